// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Small helpers shared by tests: fixture files, canned HTTP responses, the artefact directory, results
// described and VERIFY_OK.

#include "core/result.h"
#include "net/httpclient.h"

#include <QDir>
#include <QFile>
#include <QString>
#include <QTest>

#include <optional>

namespace Elevate::Test {

/// The contents of tests/data/<subdir>/<name>; a missing fixture aborts the test run.
inline QByteArray fixture(const char *subdir, const char *name)
{
    QFile f(QStringLiteral(ELEVATE_TEST_DATA "/") + QLatin1String(subdir) + u'/' + QLatin1String(name));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s/%s", subdir, name);
    return f.readAll();
}

/// An HTTP response as HttpClient would deliver it.
inline Net::HttpResponse httpResponse(int status, const QByteArray &body)
{
    Net::HttpResponse r;
    r.status = status;
    r.body = body;
    return r;
}

/// Where tests leave screenshots: $ELEVATE_TEST_ARTIFACTS, else <build>/test-artifacts.
inline QString artifactPath(const QString &name)
{
    QString dir = qEnvironmentVariable("ELEVATE_TEST_ARTIFACTS");
    if (dir.isEmpty())
        dir = QStringLiteral(ELEVATE_BINARY_DIR "/test-artifacts");
    QDir().mkpath(dir);
    return dir + u'/' + name;
}

/// "ok", or the error of a failed result (safe to build whether the result is ok or not).
template<typename T> QByteArray describe(const Core::Result<T> &r)
{
    if (r.ok())
        return "ok";
    const Core::Error &e = r.error();
    return QStringLiteral("kind %1, HTTP %2, code '%3': %4")
        .arg(int(e.kind))
        .arg(e.httpStatus)
        .arg(e.serviceCode, e.message)
        .toUtf8();
}

/// Likewise for an answer that may not have come at all.
template<typename T> QByteArray describe(const std::optional<Core::Result<T>> &r)
{
    return r ? describe(*r) : QByteArray("no answer in time");
}

/// Whether a result (or an answer that may not have come) is there and ok.
template<typename T> bool isOk(const Core::Result<T> &r)
{
    return r.ok();
}
template<typename T> bool isOk(const std::optional<Core::Result<T>> &r)
{
    return r && r->ok();
}

} // namespace Elevate::Test

/// Fails the test unless `result` (a Result, or an optional one) is ok, saying what the error was.
/// `result` is evaluated once.
#define VERIFY_OK(result)                                                                                    \
    do {                                                                                                     \
        const auto &verifyOkResult_ = (result);                                                              \
        QVERIFY2(::Elevate::Test::isOk(verifyOkResult_),                                                     \
                 ::Elevate::Test::describe(verifyOkResult_).constData());                                    \
    } while (false)

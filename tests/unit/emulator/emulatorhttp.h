// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Talking to the in-process emulator over real HTTP from its tests: one request, waited for, with
// what the tests look at in the answer.

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPair>
#include <QTest>
#include <QUrl>

namespace Elevate::Test {

struct EmulatorReply
{
    int status = 0; ///< 0 when nothing came back in time
    QByteArray body;
    QUrl location;
    QByteArray rawLocation;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QHash<QByteArray, QByteArray> headers; // lower-case names

    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    /// PIM's effective error code and message: unwrapped from UnknownError when wrapped.
    QPair<QString, QString> pimError() const
    {
        const QJsonObject e = json().value(QStringLiteral("error")).toObject();
        const QString message = e.value(QStringLiteral("message")).toString();
        const QJsonObject inner = QJsonDocument::fromJson(message.toUtf8()).object();
        if (inner.contains(QStringLiteral("errorCode")))
            return {inner.value(QStringLiteral("errorCode")).toString(),
                    inner.value(QStringLiteral("message")).toString()};
        return {e.value(QStringLiteral("code")).toString(), message};
    }
    QString pimCode() const { return pimError().first; }
    QString outerCode() const
    {
        return json().value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString();
    }
};

/// Sends without following redirects and waits up to 10 s.
inline EmulatorReply sendToEmulator(QNetworkAccessManager &nam, const QByteArray &method, const QUrl &url,
                                    const QByteArray &body,
                                    const QList<QPair<QByteArray, QByteArray>> &headers,
                                    const QByteArray &contentType)
{
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    for (const auto &h : headers)
        req.setRawHeader(h.first, h.second);
    QNetworkReply *reply = nam.sendCustomRequest(req, method, body);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000))
        return {};
    EmulatorReply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.location = reply->header(QNetworkRequest::LocationHeader).toUrl();
    r.rawLocation = reply->rawHeader("Location");
    r.error = reply->error();
    for (const auto &h : reply->rawHeaderPairs())
        r.headers.insert(h.first.toLower(), h.second);
    reply->deleteLater();
    return r;
}

} // namespace Elevate::Test

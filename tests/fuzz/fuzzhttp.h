// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by the fuzz targets that read service answers: an HTTP response made from arbitrary bytes,
// written the way a response looks on the wire so that seeds stay readable:
//
//   <status line>\n<header line>\n<header line>\n\n<body>
//
// The status is the status line's leading decimal digits (at most three); a status line without
// digits means no answer arrived (a transport error: Timeout when the line starts with 'T', Network
// otherwise). A header line is `name: value` (value trimmed of spaces; a line without ':' is a name
// with an empty value); '\r' before '\n' is dropped. Everything after the first empty line is the
// body; without an empty line there is no body.

#include "core/error.h"
#include "net/httpclient.h"

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QLoggingCategory>

#include <cstdint>
#include <cstdlib>

// Each target that includes this header is one translation unit: the parsers' log lines would cost
// more than the parsing, so libFuzzer's start-up hook turns logging off.
extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    QLoggingCategory::setFilterRules(QStringLiteral("*=false"));
    return 0;
}

namespace ElevateFuzz {

inline void check(bool ok)
{
    if (!ok)
        std::abort();
}

/// The fixed "now" the targets judge times against (no clock: a run must replay the same).
inline const QDateTime &now()
{
    static const QDateTime t(QDate(2026, 5, 4), QTime(12, 0), Qt::UTC);
    return t;
}

inline QByteArray bytesOf(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

inline QByteArray chopCr(QByteArray line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    return line;
}

inline Elevate::Net::HttpResponse responseFrom(const QByteArray &bytes)
{
    using Elevate::Core::Error;
    Elevate::Net::HttpResponse r;
    qsizetype split = bytes.indexOf("\n\n");
    qsizetype bodyAt = split + 2;
    if (const qsizetype crlf = bytes.indexOf("\r\n\r\n"); crlf >= 0 && (split < 0 || crlf < split)) {
        split = crlf;
        bodyAt = crlf + 4;
    }
    const QByteArray head = split < 0 ? bytes : bytes.left(split);
    if (split >= 0)
        r.body = bytes.mid(bodyAt);
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray statusLine = chopCr(lines.value(0));
    int status = 0;
    int digits = 0;
    while (digits < statusLine.size() && digits < 3 && statusLine[digits] >= '0' && statusLine[digits] <= '9')
        status = status * 10 + (statusLine[digits++] - '0');
    if (digits == 0) {
        const bool timeout = statusLine.startsWith('T');
        r.transportError = Error::make(timeout ? Error::Kind::Timeout : Error::Kind::Network,
                                       QStringLiteral("no answer (fuzz)"));
    } else {
        r.status = status;
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = chopCr(lines.at(i));
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            r.headers.append({line, QByteArray()});
        else
            r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    return r;
}

/// Splits `bytes` into at most `n` fields at '\n' (the last field keeps any further '\n').
inline QList<QByteArray> fields(const QByteArray &bytes, int n)
{
    QList<QByteArray> out;
    qsizetype at = 0;
    while (out.size() < n - 1) {
        const qsizetype nl = bytes.indexOf('\n', at);
        if (nl < 0)
            break;
        out.append(bytes.mid(at, nl - at));
        at = nl + 1;
    }
    out.append(bytes.mid(at));
    while (out.size() < n)
        out.append(QByteArray());
    return out;
}

} // namespace ElevateFuzz

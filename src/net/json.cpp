// SPDX-License-Identifier: GPL-3.0-or-later
#include "json.h"

#include <QLocale>

#include <algorithm>
#include <limits>

namespace Elevate::Net {

using Core::Error;

Core::Result<Json> parseJson(const QByteArray &body)
{
    Json j = Json::parse(body.constBegin(), body.constEnd(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
        return Error::make(Error::Kind::Parse,
                           body.isEmpty()
                               ? QStringLiteral("empty body where JSON was expected")
                               : QStringLiteral("malformed JSON body (%1 bytes)").arg(body.size()));
    return j;
}

QString jsonString(const Json &object, const char *key)
{
    if (!object.is_object())
        return {};
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string())
        return {};
    return QString::fromStdString(it->get<std::string>());
}

std::optional<qint64> jsonInt(const Json &object, const char *key)
{
    if (!object.is_object())
        return std::nullopt;
    const auto it = object.find(key);
    if (it == object.end())
        return std::nullopt;
    // A number no qint64 holds is no integer to hand out: above 2^63-1 unsigned, or a float beyond
    // the range (1e300 as expires_in), whose conversion would be undefined.
    if (it->is_number_unsigned()) {
        const auto u = it->get<quint64>();
        if (u > quint64(std::numeric_limits<qint64>::max()))
            return std::nullopt;
        return qint64(u);
    }
    if (it->is_number_integer())
        return it->get<qint64>();
    if (it->is_number_float()) {
        const double d = it->get<double>();
        constexpr double limit = 9223372036854775808.0; // 2^63
        if (!(d >= -limit && d < limit))
            return std::nullopt;
        return static_cast<qint64>(d);
    }
    if (it->is_string()) {
        bool ok = false;
        const qint64 v = QString::fromStdString(it->get<std::string>()).trimmed().toLongLong(&ok);
        if (ok)
            return v;
    }
    return std::nullopt;
}

std::optional<qint64> parseRetryAfterMs(const QByteArray &value, const QDateTime &now, qint64 maxMs)
{
    const QByteArray v = value.trimmed();
    if (v.isEmpty())
        return std::nullopt;
    bool ok = false;
    const double secs = v.toDouble(&ok);
    qint64 ms = 0;
    if (ok) {
        if (!(secs >= 0))
            return std::nullopt;
        ms = static_cast<qint64>(std::min(secs * 1000.0, double(maxMs)));
    } else {
        // IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
        QDateTime when = QLocale::c().toDateTime(QString::fromLatin1(v),
                                                 QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
        if (!when.isValid())
            return std::nullopt;
        when.setTimeSpec(Qt::UTC);
        ms = now.msecsTo(when);
    }
    return std::clamp<qint64>(ms, 0, maxMs);
}

} // namespace Elevate::Net

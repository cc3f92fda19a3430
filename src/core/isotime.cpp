// SPDX-License-Identifier: GPL-3.0-or-later
#include "isotime.h"

#include <QRegularExpression>
#include <QTimeZone>
#include <QtNumeric>

namespace Elevate::Core {

QDateTime parseGraphDateTime(const QString &text)
{
    static const QRegularExpression re(QStringLiteral(
        R"(^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?$)"));
    const auto m = re.match(text.trimmed());
    if (!m.hasMatch())
        return {};
    const int year = m.capturedView(1).toInt();
    if (year <= 1)
        return {}; // 0001-01-01 sentinel: "unset"
    const QDate date(year, m.capturedView(2).toInt(), m.capturedView(3).toInt());
    QString frac = m.captured(7);
    const int ms = frac.isEmpty() ? 0 : frac.leftJustified(3, u'0').left(3).toInt();
    const QTime time(m.capturedView(4).toInt(), m.capturedView(5).toInt(), m.capturedView(6).toInt(), ms);
    if (!date.isValid() || !time.isValid())
        return {};
    const QString zone = m.captured(8);
    int offsetSecs = 0;
    if (!zone.isEmpty() && zone != u"Z" && zone != u"z") {
        QString digits = zone.mid(1);
        digits.remove(u':');
        offsetSecs
            = (digits.left(2).toInt() * 3600 + digits.mid(2, 2).toInt() * 60) * (zone[0] == u'-' ? -1 : 1);
    }
    QDateTime t(date, time, Qt::UTC);
    return t.addSecs(-offsetSecs);
}

QString formatGraphDateTime(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")) + u'Z';
}

std::optional<qint64> parseIsoDurationMs(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral(R"(^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d+))?S)?)?$)"),
        QRegularExpression::CaseInsensitiveOption);
    const QString s = text.trimmed();
    const auto m = re.match(s);
    if (!m.hasMatch() || s.size() < 3 || s.endsWith(u'T') || s.endsWith(u't'))
        return std::nullopt;
    // Each step checked: a duration no qint64 of milliseconds holds (P9999999999999999W, or a group
    // with more digits than 64 bits take) is no duration.
    qint64 ms = 0;
    bool fits = true;
    const auto add = [&](qint64 factor, int group) {
        bool ok = true;
        const qint64 n = m.capturedView(group).isEmpty() ? 0 : m.capturedView(group).toLongLong(&ok);
        fits = fits && ok && !qMulOverflow(ms, factor, &ms) && !qAddOverflow(ms, n, &ms);
    };
    add(1, 1); // weeks
    add(7, 2); // days
    add(24, 3); // hours
    add(60, 4); // minutes
    add(60, 5); // seconds
    const QString frac = m.captured(6);
    const qint64 fracMs = frac.isEmpty() ? 0 : frac.leftJustified(3, u'0').left(3).toLongLong();
    fits = fits && !qMulOverflow(ms, qint64(1000), &ms) && !qAddOverflow(ms, fracMs, &ms);
    if (!fits)
        return std::nullopt;
    return ms;
}

} // namespace Elevate::Core

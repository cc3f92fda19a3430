// SPDX-License-Identifier: GPL-3.0-or-later
#include "countdown.h"

#include <algorithm>

namespace Elevate::Core {

QString formatCountdown(qint64 secs)
{
    if (secs < 0)
        secs = 0;
    const qint64 h = secs / 3600;
    const qint64 m = (secs % 3600) / 60;
    const qint64 s = secs % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3")
            .arg(h)
            .arg(m, 2, 10, QLatin1Char('0'))
            .arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

ExpiryWatcher::ExpiryWatcher(QList<int> minutesBefore)
{
    for (int m : minutesBefore)
        if (m > 0 && !m_thresholds.contains(m))
            m_thresholds << m;
    std::sort(m_thresholds.begin(), m_thresholds.end(), std::greater<int>());
}

QList<ExpiryWatcher::Event> ExpiryWatcher::update(const QList<Grant> &grants, const QDateTime &now)
{
    QList<Event> events;
    QSet<QString> present;
    for (const Grant &g : grants) {
        if (g.isPermanent())
            continue;
        present.insert(g.id);
        auto it = m_seen.find(g.id);
        if (it == m_seen.end()) {
            it = m_seen.insert(g.id, Seen {g, {}});
            // A grant first seen with plenty of time left must not announce thresholds it is past
            // only because of how it was created; one first seen inside a threshold still gets the
            // most urgent warning that applies (e.g. after a restart).
        }
        it->grant = g;
        const qint64 left = g.secondsLeft(now);
        if (left <= 0) {
            if (!it->fired.contains(0)) {
                it->fired.insert(0);
                events.append({g.id, g.groupId, 0, 0});
            }
            continue;
        }
        // The most urgent threshold reached, if it has not fired; larger ones are then moot.
        int due = -1;
        for (int t : m_thresholds)
            if (left <= qint64(t) * 60)
                due = t;
        if (due > 0 && !it->fired.contains(due)) {
            for (int t : m_thresholds)
                if (t >= due)
                    it->fired.insert(t);
            events.append({g.id, g.groupId, due, left});
        }
    }
    // Gone from the list (expired on the server, deactivated elsewhere): the end, once.
    for (auto it = m_seen.begin(); it != m_seen.end();) {
        if (present.contains(it.key())) {
            ++it;
            continue;
        }
        if (!it->fired.contains(0))
            events.append({it.key(), it->grant.groupId, 0, 0});
        it = m_seen.erase(it);
    }
    return events;
}

qint64 ExpiryWatcher::secondsToNextEvent(const QDateTime &now) const
{
    qint64 best = -1;
    for (const Seen &s : m_seen) {
        if (s.fired.contains(0))
            continue;
        const qint64 left = s.grant.secondsLeft(now);
        auto consider = [&best](qint64 v) {
            if (v >= 0 && (best < 0 || v < best))
                best = v;
        };
        for (int t : m_thresholds)
            if (!s.fired.contains(t))
                consider(left - qint64(t) * 60);
        consider(left);
    }
    return best;
}

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "pim.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

namespace Elevate::Core {

/// "1:05:09" (h:mm:ss) from one hour up, "4:07" (m:ss) below; 0 and less give "0:00".
QString formatCountdown(qint64 secs);

/**
 * Decides when to warn about grants that are about to end, each warning exactly once. It keeps no
 * timer and counts nothing down: every update() compares each grant's end with the `now` it is
 * given, so a suspended laptop, a clock jump forward or back, or a late timer cannot make it fire
 * twice, fire for a threshold already past, or miss the end.
 *
 *   update(grants, now) ─▶ for each grant: the smallest threshold ≥ time left that has not fired
 *                          (larger ones are then skipped: a jump from 20 to 3 minutes gives one "5")
 *                       ─▶ a grant at or past its end, or gone from the list, gives one "ended"
 */
class ExpiryWatcher
{
public:
    struct Event
    {
        QString grantId;
        QString groupId;
        int minutesBefore = 0; ///< 0 = the grant has ended
        qint64 secondsLeft = 0;
    };

    /// Thresholds in minutes (any order; duplicates and non-positive values are ignored).
    explicit ExpiryWatcher(QList<int> minutesBefore = {15, 5, 1});

    /// Feeds the current grants; returns what to announce now (possibly nothing).
    QList<Event> update(const QList<Grant> &grants, const QDateTime &now);
    /// Seconds until the next warning or end among the grants last seen (-1 when nothing is due):
    /// when to call update() again.
    qint64 secondsToNextEvent(const QDateTime &now) const;
    const QList<int> &thresholds() const { return m_thresholds; }

private:
    struct Seen
    {
        Grant grant;
        QSet<int> fired; ///< thresholds fired; 0 = ended
    };
    QList<int> m_thresholds; // descending
    QHash<QString, Seen> m_seen;
};

} // namespace Elevate::Core

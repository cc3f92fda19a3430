// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>

namespace Elevate::Core {

/**
 * The source of "now" for everything that reasons about time (token expiry, countdowns). Injected,
 * so tests use a manual clock and a countdown is always `end - now`, never a decremented counter.
 */
class Clock
{
public:
    virtual ~Clock() = default;
    virtual QDateTime now() const = 0;
    qint64 nowSecs() const { return now().toSecsSinceEpoch(); }
};

class SystemClock final : public Clock
{
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
};

} // namespace Elevate::Core

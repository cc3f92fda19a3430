// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"

#include <QDateTime>

namespace Elevate::Test {

/// A clock that moves only when told to: tests set "now" instead of waiting for it.
class ManualClock final : public Core::Clock
{
public:
    explicit ManualClock(QDateTime start = QDateTime::fromSecsSinceEpoch(1'764'000'000, Qt::UTC))
        : m_now(std::move(start))
    { }
    QDateTime now() const override { return m_now; }
    void set(const QDateTime &t) { m_now = t; }
    void advance(qint64 seconds) { m_now = m_now.addSecs(seconds); }

private:
    QDateTime m_now;
};

/// The system clock plus an offset that moves only when told to: for a stack against a live emulator
/// (whose own clock runs), so that a test or the bench moves "now" on instead of waiting for it.
class OffsetClock final : public Core::Clock
{
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc().addSecs(m_offsetSecs); }
    void advance(qint64 seconds) { m_offsetSecs += seconds; }

private:
    qint64 m_offsetSecs = 0;
};

} // namespace Elevate::Test

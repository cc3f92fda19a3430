// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"

#include <QJsonObject>
#include <QString>

#include <cstdio>

namespace Elevate::Bridge {

/**
 * One JSON object per line for each event, on stdout (or the FILE* given), flushed at once:
 *   {"time":"2026-12-04T10:00:00.123Z","level":"info","event":"push",...fields}
 * `time` from the injected clock; `level` info|warning|error. Field values are what the caller
 * passes; callers never pass tokens, secrets or keys (the tests check the output for them).
 */
class EventLog
{
public:
    explicit EventLog(const Core::Clock *clock, std::FILE *out = stdout);
    void info(const QString &event, const QJsonObject &fields = {});
    void warning(const QString &event, const QJsonObject &fields = {});
    void error(const QString &event, const QJsonObject &fields = {});

private:
    void write(const char *level, const QString &event, const QJsonObject &fields);
    const Core::Clock *m_clock;
    std::FILE *m_out;
};

} // namespace Elevate::Bridge

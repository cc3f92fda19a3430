// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLoggingCategory>

namespace Elevate::App {

Q_DECLARE_LOGGING_CATEGORY(lcStartup)

/**
 * Start-up marks for scripts/bench: with QT_LOGGING_RULES=elevate.startup.debug=true the tray
 * prints "elevate.startup: <mark> <ms>" where ms is the monotonic clock (CLOCK_MONOTONIC on Linux,
 * the clock the benchmark reads before it starts the process). Marks: `main` (the application
 * object exists), `icon` (the tray icon was asked to show), `menu` (the menu first lists eligible
 * access after the last page). Off by default; costs one check when off.
 */
void markStartup(const char *what);

} // namespace Elevate::App

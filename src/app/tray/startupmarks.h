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

Q_DECLARE_LOGGING_CATEGORY(lcNotifications)
/// With QT_LOGGING_RULES=elevate.notifications.debug=true: "elevate.notifications: <title> <epoch s>"
/// for every notification the tray shows, on the app's clock, so a benchmark can check that a
/// warning came on time. Titles name no secret.
void logNotification(const QString &title, qint64 epochSecs);

} // namespace Elevate::App

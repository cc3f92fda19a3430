// SPDX-License-Identifier: GPL-3.0-or-later
#include "startupmarks.h"

#include <QElapsedTimer>

namespace Elevate::App {

Q_LOGGING_CATEGORY(lcStartup, "elevate.startup", QtInfoMsg)

void markStartup(const char *what)
{
    if (!lcStartup().isDebugEnabled())
        return;
    QElapsedTimer timer;
    timer.start();
    qCDebug(lcStartup).noquote() << what << timer.msecsSinceReference();
}

Q_LOGGING_CATEGORY(lcNotifications, "elevate.notifications", QtInfoMsg)

void logNotification(const QString &title, qint64 epochSecs)
{
    qCDebug(lcNotifications).noquote() << title << epochSecs;
}

} // namespace Elevate::App

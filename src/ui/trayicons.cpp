// SPDX-License-Identifier: GPL-3.0-or-later
#include "trayicons.h"

#include <QGuiApplication>
#include <QPalette>

namespace Elevate::Ui {

namespace {
QString stateName(TrayState state)
{
    switch (state) {
    case TrayState::SignedOut:
        return QStringLiteral("signedout");
    case TrayState::Idle:
        return QStringLiteral("idle");
    case TrayState::Busy:
        return QStringLiteral("busy");
    case TrayState::Pending:
        return QStringLiteral("pending");
    case TrayState::Active:
        return QStringLiteral("active");
    case TrayState::Expiring:
        return QStringLiteral("expiring");
    case TrayState::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("idle");
}
} // namespace

bool panelIsDark()
{
    const QString forced = qEnvironmentVariable("ELEVATE_TRAY_THEME");
    if (forced == u"dark")
        return true;
    if (forced == u"light")
        return false;
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

QString trayIconPath(TrayState state, bool darkPanel)
{
    return QStringLiteral(":/icons/tray-%1-%2.svg")
        .arg(stateName(state), darkPanel ? QStringLiteral("dark") : QStringLiteral("light"));
}

QIcon trayIcon(TrayState state)
{
    return QIcon(trayIconPath(state, panelIsDark()));
}

} // namespace Elevate::Ui

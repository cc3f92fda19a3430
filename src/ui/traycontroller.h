// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "trayicons.h"

#include <QObject>
#include <QPointer>

class QMenu;
class QSystemTrayIcon;

namespace Elevate::Ui {

class AccessController;

/**
 * The tray icon and its menu, built in code from the AccessController's state:
 *
 *   Alex Wilber (alex@contoso.example)      <- account, or "Not signed in"
 *   ──────────
 *   Production (123456789012)  ▸ AdministratorAccess, ReadOnlyAccess …
 *   Staging (210987654321)     ▸ …
 *   Not mapped                 ▸ (group names, disabled)
 *   ──────────
 *   Refresh · Sign in… | Cancel sign-in | Sign out · Open Elevate… · Quit
 *
 * The menu is rebuilt whenever the controller changes. Works without a system tray too (the icon
 * is then simply not shown; the application opens its window instead).
 */
class TrayController : public QObject
{
    Q_OBJECT
public:
    explicit TrayController(AccessController *controller, QObject *parent = nullptr);
    ~TrayController() override;

    QMenu *menu() const { return m_menu; }
    QSystemTrayIcon *trayIcon() const { return m_tray; }
    TrayState state() const { return m_state; }
    void show();
    /// A desktop notification through the tray (no-op when there is no tray).
    void notify(const QString &title, const QString &message, bool isError);

Q_SIGNALS:
    /// The user asked for the window, optionally on one target (TargetsModel::rowKey), empty = none.
    void openWindowRequested(const QString &targetKey);
    void quitRequested();

private:
    void rebuild();

    AccessController *m_controller;
    QMenu *m_menu;
    QSystemTrayIcon *m_tray;
    TrayState m_state = TrayState::SignedOut;
};

} // namespace Elevate::Ui

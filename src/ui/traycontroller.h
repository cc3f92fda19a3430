// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/model.h"
#include "core/pim.h"
#include "trayicons.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>

class QAction;
class QMenu;
class QSystemTrayIcon;
class QTimer;

namespace Elevate::Ui {

class PimPresenter;
class AwsPresenter;

/**
 * The tray icon and its menu, built in code from the PimPresenter's state:
 *
 *   Alex Wilber (alex@contoso.example)      <- account, or "Not signed in"
 *   ──────────
 *   AdministratorAccess on Production — 1:23:45 left  ▸ AWS: ready · Open AWS console · Renew… · Deactivate
 *   NetworkAdministrator on Shared — waiting for approval (4 min)  ▸ Cancel request
 *   ──────────
 *   Production (123456789012)  ▸ AdministratorAccess (active), ReadOnlyAccess …
 *   Staging (210987654321)     ▸ …
 *   Not mapped                 ▸ (group names, disabled)
 *   ──────────
 *   Approvals (2)…                          <- only for approvers; the icon shows the count
 *   End all access now…                     <- with the AWS side, while anything is live
 *   ──────────
 *   Refresh · Sign in… | Cancel sign-in | Sign out · Open Elevate… · History… · Quit
 *
 * The menu is rebuilt whenever the PIM presenter changes; while it is open, its countdowns tick every
 * second (only then), and the tooltip and icon state (active / expiring / pending) follow every
 * 30 seconds while something is live. While Graph has asked Elevate to wait (throttling), the tooltip
 * says until when. Works without a system tray too (the icon is then simply not
 * shown; the application opens its window instead).
 */
class TrayController : public QObject
{
    Q_OBJECT
public:
    explicit TrayController(PimPresenter *pim, QObject *parent = nullptr);
    ~TrayController() override;

    /// Adds the AWS side to the menu: each grant's AWS state, "Open AWS console", "End all access now…".
    void setAws(AwsPresenter *aws);
    QMenu *menu() const { return m_menu; }
    QSystemTrayIcon *trayIcon() const { return m_tray; }
    TrayState state() const { return m_state; }
    const TrayIconCache &icons() const { return m_icons; }
    void show();
    /// A desktop notification through the tray (no-op when there is no tray).
    void notify(const QString &title, const QString &message, bool isError);
    /// A notification about a request waiting for approval: clicking it opens the queue on it.
    void notifyApproval(const QString &requestId, const QString &title, const QString &message);
    /// The count drawn on the icon (requests waiting for this user's decision).
    int badge() const { return m_badge; }

Q_SIGNALS:
    /// The user asked for the window, optionally on one target (TargetsModel::rowKey), empty = none.
    void openWindowRequested(const QString &targetKey);
    /// The user picked an eligible target: open the request form for it (TargetsModel::rowKey).
    void requestFormRequested(const QString &targetKey);
    /// Renew a live grant (opens the form prefilled).
    void renewRequested(const QString &grantId);
    void historyRequested();
    /// "End all access now…" (the caller confirms first).
    void endAllRequested();
    /// Open the approver queue, optionally on one request.
    void approvalsRequested(const QString &requestId);
    void quitRequested();

public:
    /// Recomputes countdown texts, tooltip and icon (the timers call it; tests may too).
    void tick();

private:
    void rebuild();
    QString shortName(const QString &groupId, const QString &groupName, Core::AccessKind access) const;
    QString grantText(const Core::Grant &grant) const;
    /// The tooltip's line for a grant: its end time, which needs no timer to stay true.
    QString tipText(const Core::Grant &grant) const;
    QString requestText(const Core::AccessRequest &request) const;
    /// Adds the per-account submenus to the menu: the kept ones with `keep` (rebuild() found `layout`
    /// to be what they were made from, none of them gone), else new ones made from `layout`.
    void addTargetMenus(const QList<Core::Target> &targets, const QStringList &layout, bool keep);

    PimPresenter *m_pim;
    QMenu *m_menu;
    QSystemTrayIcon *m_tray;
    TrayState m_state = TrayState::SignedOut;
    int m_badge = 0;
    TrayState m_iconState = TrayState::SignedOut; // what the icon shows, to redraw only on change
    TrayIconCache m_icons; // one QIcon per state shown: Qt caches each one's renderings
    int m_iconBadge = -1;
    QString m_messageApprovalId; // the request the last notification was about, if an approval
    QTimer *m_fastTick; // 1 s while the menu is open
    QTimer *m_nextChange; // once, when the soonest grant enters its warning time
    QList<QPair<QPointer<QMenu>, QString>> m_grantMenus; // menu -> grant id
    QList<QPair<QPointer<QMenu>, QString>> m_requestMenus; // menu -> request id
    QList<QPair<QPointer<QAction>, QString>> m_awsPhaseActions; // "AWS: waiting …" line -> grant id
    // The per-account submenus of eligible roles, kept from one rebuild to the next while the
    // targets stay the same (a rebuild only retitles their actions): with a thousand eligibilities
    // a rebuild from scratch made a thousand actions at every change of state.
    QList<QPointer<QMenu>> m_targetMenus; // in the order they were added to the menu
    QList<QPointer<QAction>> m_targetActions; // one per mapped target, in the targets' order
    QStringList m_targetLayout; // what m_targetMenus were made from
    AwsPresenter *m_aws = nullptr;
    QDateTime m_throttledUntil; // Graph asked to wait until then (on the presenter's clock)
    QString m_throttledBy;
};

} // namespace Elevate::Ui

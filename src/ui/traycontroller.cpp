// SPDX-License-Identifier: GPL-3.0-or-later
#include "traycontroller.h"

#include "aws/rolepipeline.h"
#include "awspresenter.h"
#include "core/countdown.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "pimpresenter.h"
#include "targetsmodel.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QMap>
#include <QMenu>
#include <QSystemTrayIcon>
#include <QTimer>

namespace Elevate::Ui {

TrayController::TrayController(PimPresenter *pim, QObject *parent)
    : QObject(parent)
    , m_pim(pim)
    , m_menu(new QMenu)
    , m_tray(new QSystemTrayIcon(this))
    , m_fastTick(new QTimer(this))
    , m_nextChange(new QTimer(this))
{
    m_fastTick->setInterval(1000);
    m_nextChange->setSingleShot(true);
    connect(m_fastTick, &QTimer::timeout, this, &TrayController::tick);
    connect(m_nextChange, &QTimer::timeout, this, &TrayController::tick);
    connect(m_menu, &QMenu::aboutToShow, this, [this] {
        tick();
        m_fastTick->start();
        // The state may be a while old: look again, at most every 30 seconds.
        const auto last = m_pim->requests()->lastSync();
        if (last.isValid() && last.secsTo(m_pim->clock()->now()) > 30)
            m_pim->requests()->sync();
    });
    connect(m_menu, &QMenu::aboutToHide, m_fastTick, &QTimer::stop);
    m_menu->setObjectName(QStringLiteral("trayMenu"));
    m_tray->setContextMenu(m_menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
            Q_EMIT openWindowRequested({});
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] {
        if (!m_messageApprovalId.isEmpty())
            Q_EMIT approvalsRequested(m_messageApprovalId);
        else
            Q_EMIT openWindowRequested({});
    });
    connect(m_pim, &PimPresenter::changed, this, &TrayController::rebuild);
    if (m_pim->graph())
        connect(m_pim->graph(), &Graph::GraphClient::throttled, this,
                [this](const QDateTime &retryAt, const QString &service) {
                    m_throttledUntil = retryAt;
                    m_throttledBy = service;
                    tick();
                    // And once more when the wait is over, so the line goes.
                    const qint64 ms = m_pim->clock()->now().msecsTo(retryAt);
                    QTimer::singleShot(int(qBound<qint64>(0, ms + 500, qint64(24) * 3600 * 1000)), this,
                                       &TrayController::tick);
                });
    rebuild();
}

TrayController::~TrayController()
{
    delete m_menu; // a context menu has no QObject parent
}

void TrayController::show()
{
    m_tray->show();
}

void TrayController::notifyApproval(const QString &requestId, const QString &title, const QString &message)
{
    m_messageApprovalId = requestId;
    if (m_tray->isVisible() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, message, QSystemTrayIcon::Information);
}

void TrayController::notify(const QString &title, const QString &message, bool isError)
{
    m_messageApprovalId.clear();
    if (m_tray->isVisible() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, message,
                            isError ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information);
}

void TrayController::rebuild()
{
    using Status = PimPresenter::Status;
    const Status status = m_pim->status();
    const auto account = m_pim->account();
    const bool signedIn = account.has_value() && (status == Status::Loading || status == Status::Ready);
    const auto &targets = m_pim->targets()->targets();

    // What the per-account submenus are made from; while it stays the same they are kept.
    QStringList layout;
    if (signedIn) {
        layout.reserve(targets.size());
        for (const auto &t : targets) {
            if (!t.aws)
                layout.append(QStringLiteral("-\x1f") + t.key());
            else
                layout.append(TargetsModel::accountLabel(*t.aws) + u'\x1f' + t.aws->accountId + u'\x1f'
                              + t.aws->roleName + u'\x1f' + Core::accessIdOf(t.eligibility.access) + u'\x1f'
                              + TargetsModel::rowKey(t));
        }
    }
    const bool keepTargets = !layout.isEmpty() && layout == m_targetLayout
        && std::none_of(m_targetMenus.cbegin(), m_targetMenus.cend(),
                        [](const auto &m) { return m.isNull(); });
    if (!keepTargets) {
        m_targetMenus.clear();
        m_targetActions.clear();
        m_targetLayout.clear();
    }
    // QMenu::clear() drops the actions but not the submenus it made: retire them (later, in case
    // this runs from one of their actions), nameless so nothing finds them meanwhile. The kept
    // target submenus stay; clear() only takes their entries out of this menu.
    for (QMenu *sub : m_menu->findChildren<QMenu *>(Qt::FindDirectChildrenOnly)) {
        if (m_targetMenus.contains(sub))
            continue;
        sub->setObjectName({});
        sub->deleteLater();
    }
    m_menu->clear();
    QAction *header = m_menu->addAction(signedIn ? tr("%1 (%2)").arg(account->displayName, account->username)
                                                 : tr("Not signed in"));
    header->setEnabled(false);
    header->setObjectName(QStringLiteral("accountAction"));
    m_menu->addSeparator();

    if (status == Status::Restoring || status == Status::SigningIn) {
        m_menu
            ->addAction(status == Status::Restoring ? tr("Signing in…")
                                                    : tr("Waiting for sign-in in the browser…"))
            ->setEnabled(false);
    } else if (status == Status::Loading && targets.isEmpty()) {
        m_menu->addAction(tr("Loading eligible access…"))->setEnabled(false);
    } else if (signedIn && targets.isEmpty()) {
        m_menu
            ->addAction(m_pim->lastError().kind == Core::Error::Kind::None
                            ? tr("No eligible access")
                            : tr("Eligible access could not be loaded"))
            ->setEnabled(false);
    } else if (signedIn) {
        // What is live or on its way first: each grant and open request with its own submenu.
        m_grantMenus.clear();
        m_requestMenus.clear();
        m_awsPhaseActions.clear();
        QList<Core::Grant> grants = m_pim->requests()->grants();
        std::sort(grants.begin(), grants.end(), [](const Core::Grant &a, const Core::Grant &b) {
            if (a.isPermanent() != b.isPermanent())
                return !a.isPermanent();
            return a.end < b.end;
        });
        const QDateTime now = m_pim->clock()->now();
        for (const auto &g : grants) {
            QMenu *m = m_menu->addMenu(grantText(g));
            m->setObjectName(QStringLiteral("grant_") + g.groupId);
            m_grantMenus.append({m, g.id});
            if (m_aws && !m_aws->phaseText(g).isEmpty()) {
                QAction *phase = m->addAction(m_aws->phaseText(g));
                const auto *target = m_aws->targetOf(g);
                if (m_aws->isReady(g) && target && target->profileProblem.isEmpty()) {
                    // Readable (not greyed out), and a click puts the profile name on the clipboard.
                    const QString profile = target->profileName;
                    phase->setToolTip(tr("Copy the profile name"));
                    connect(phase, &QAction::triggered, this,
                            [profile] { QGuiApplication::clipboard()->setText(profile); });
                } else {
                    phase->setEnabled(false);
                }
                phase->setObjectName(QStringLiteral("awsPhaseAction"));
                m_awsPhaseActions.append({phase, g.id});
                if (m_aws->isReady(g)) {
                    m->addAction(tr("Open AWS &console"), this, [this, g] {
                         m_aws->openConsole(g);
                     })->setObjectName(QStringLiteral("consoleAction"));
                } else if (!m_aws->isSignedIn()) {
                    m->addAction(tr("Sign in to &AWS…"), m_aws, &AwsPresenter::signIn)
                        ->setObjectName(QStringLiteral("awsSignInAction"));
                } else if (m_aws->offersFreshSignIn(g)) {
                    QAction *again
                        = m->addAction(tr("Sign in to AWS a&gain…"), m_aws, &AwsPresenter::signInAgain);
                    again->setObjectName(QStringLiteral("awsSignInAgainAction"));
                    again->setToolTip(tr("Identity Center may answer from the group memberships of your "
                                         "last sign-in: sign out of the AWS portal and sign in anew."));
                    again->setEnabled(!m_aws->isSigningIn());
                }
                if (m_aws->canSyncNow(g))
                    m->addAction(tr("&Sync to AWS now"), this, [this, g] {
                         m_aws->syncNow(g);
                     })->setObjectName(QStringLiteral("syncNowAction"));
                m->addSeparator();
            }
            if (g.isPermanent() || g.assignmentType == u"assigned") {
                m->addAction(tr("Permanent assignment; nothing to renew or end here"))->setEnabled(false);
                continue;
            }
            QAction *renew
                = m->addAction(tr("&Renew…"), this, [this, id = g.id] { Q_EMIT renewRequested(id); });
            renew->setObjectName(QStringLiteral("renewAction"));
            QAction *deactivate
                = m->addAction(tr("&Deactivate now"), m_pim, [this, g] { m_pim->deactivate(g); });
            deactivate->setObjectName(QStringLiteral("deactivateAction"));
            const qint64 age
                = g.start.isValid() ? g.start.secsTo(now) : Core::kMinimumActiveSecsBeforeDeactivate;
            if (age < Core::kMinimumActiveSecsBeforeDeactivate) {
                deactivate->setEnabled(false);
                deactivate->setText(
                    tr("Deactivate (possible %1 after the start)")
                        .arg(Graph::PimWording::duration(Core::kMinimumActiveSecsBeforeDeactivate)));
            }
        }
        for (const auto &r : m_pim->requests()->openRequests()) {
            QMenu *m = m_menu->addMenu(requestText(r));
            m->setObjectName(QStringLiteral("request_") + r.id);
            m_requestMenus.append({m, r.id});
            QAction *cancel
                = m->addAction(tr("&Cancel request"), m_pim, [this, id = r.id] { m_pim->cancelRequest(id); });
            cancel->setObjectName(QStringLiteral("cancelRequestAction"));
        }
        if (!grants.isEmpty() || !m_pim->requests()->openRequests().isEmpty())
            m_menu->addSeparator();
        addTargetMenus(targets, layout, keepTargets);
    }

    if (signedIn && m_pim->approvals()->isApprover()) {
        m_menu->addSeparator();
        const int waiting = int(m_pim->approvals()->pending().size());
        QAction *approvals
            = m_menu->addAction(waiting > 0 ? tr("Approvals (%1)…").arg(waiting) : tr("Approvals…"), this,
                                [this] { Q_EMIT approvalsRequested({}); });
        approvals->setObjectName(QStringLiteral("approvalsAction"));
    }
    if (signedIn && m_aws && !m_pim->requests()->grants().isEmpty()) {
        m_menu->addSeparator();
        m_menu->addAction(tr("&End all access now…"), this, &TrayController::endAllRequested)
            ->setObjectName(QStringLiteral("endAllAction"));
    }
    m_menu->addSeparator();
    if (signedIn) {
        QAction *refresh = m_menu->addAction(tr("Refresh"), m_pim, &PimPresenter::refresh);
        refresh->setObjectName(QStringLiteral("refreshAction"));
        refresh->setEnabled(status == Status::Ready);
    }
    if (status == Status::SigningIn) {
        m_menu->addAction(tr("Cancel sign-in"), m_pim, &PimPresenter::cancelSignIn)
            ->setObjectName(QStringLiteral("cancelSignInAction"));
    } else if (signedIn) {
        m_menu->addAction(tr("Sign out"), m_pim, &PimPresenter::signOut)
            ->setObjectName(QStringLiteral("signOutAction"));
    } else {
        QAction *signIn = m_menu->addAction(tr("Sign in…"), m_pim, &PimPresenter::signIn);
        signIn->setObjectName(QStringLiteral("signInAction"));
        signIn->setEnabled(status == Status::SignedOut);
    }
    m_menu->addAction(tr("Open Elevate…"), this, [this] { Q_EMIT openWindowRequested({}); })
        ->setObjectName(QStringLiteral("openWindowAction"));
    m_menu->addAction(tr("History…"), this, &TrayController::historyRequested)
        ->setObjectName(QStringLiteral("historyAction"));
    m_menu->addAction(tr("Quit"), this, &TrayController::quitRequested)
        ->setObjectName(QStringLiteral("quitAction"));

    tick();
}

void TrayController::addTargetMenus(const QList<Core::Target> &targets, const QStringList &layout, bool keep)
{
    if (keep) {
        for (const auto &m : std::as_const(m_targetMenus))
            m_menu->addMenu(m);
    }
    // One submenu per AWS account in the model's order; the model puts unmapped groups last.
    QMenu *current = nullptr;
    QString currentAccount;
    QMenu *unmapped = nullptr;
    qsizetype mapped = 0;
    for (const auto &t : targets) {
        if (!t.aws) {
            if (keep)
                continue; // a disabled line that says the same whatever the state
            if (!unmapped) {
                unmapped = m_menu->addMenu(tr("Not mapped"));
                unmapped->setObjectName(QStringLiteral("unmappedMenu"));
                unmapped->setToolTipsVisible(true);
                m_targetMenus.append(unmapped);
            }
            QAction *a = unmapped->addAction(t.key());
            a->setEnabled(false);
            a->setToolTip(tr("This PIM group does not map to an AWS account and role."));
            continue;
        }
        const bool owner = t.eligibility.access == Core::AccessKind::Owner;
        QString text = owner ? tr("%1 (as group owner)").arg(t.aws->roleName) : t.aws->roleName;
        const auto live = m_pim->requests()->grantFor(t.eligibility.groupId, t.eligibility.access);
        const auto open = m_pim->requests()->openRequestFor(t.eligibility.groupId, t.eligibility.access);
        if (live)
            text = tr("%1 — active").arg(text);
        else if (open)
            text = tr("%1 — %2").arg(text, Graph::PimWording::status(*open));
        else
            text = tr("%1…").arg(text); // opens the request form
        // A live or requested role opens the window at its row; any other opens the request form.
        const bool opensWindow = live.has_value() || open.has_value();
        if (keep) {
            QAction *a = m_targetActions.value(mapped++);
            if (a && a->text() != text)
                a->setText(text);
            if (a)
                a->setProperty("opensWindow", opensWindow);
            continue;
        }
        if (!current || currentAccount != t.aws->accountId) {
            currentAccount = t.aws->accountId;
            current = m_menu->addMenu(TargetsModel::accountLabel(*t.aws));
            current->setObjectName(QStringLiteral("account_") + currentAccount);
            m_targetMenus.append(current);
        }
        const QString key = TargetsModel::rowKey(t);
        QAction *a = current->addAction(text);
        a->setData(key);
        a->setProperty("opensWindow", opensWindow);
        connect(a, &QAction::triggered, this, [this, a, key] {
            if (a->property("opensWindow").toBool())
                Q_EMIT openWindowRequested(key);
            else
                Q_EMIT requestFormRequested(key);
        });
        m_targetActions.append(a);
    }
    m_targetLayout = layout;
}

void TrayController::setAws(AwsPresenter *aws)
{
    m_aws = aws;
    connect(aws, &AwsPresenter::changed, this, &TrayController::rebuild);
    rebuild();
}

QString TrayController::shortName(const QString &groupId, const QString &groupName,
                                  Core::AccessKind access) const
{
    // "Role on Account name": the menu has less room than the window, so no account id.
    const Core::Target t = m_pim->targetFor(groupId, groupName, access);
    if (!t.aws)
        return t.key();
    return tr("%1 on %2")
        .arg(t.aws->roleName, t.aws->accountName.isEmpty() ? t.aws->accountId : t.aws->accountName);
}

QString TrayController::grantText(const Core::Grant &g) const
{
    const QString name = shortName(g.groupId, g.groupDisplayName, g.access);
    if (g.isPermanent())
        return tr("%1 — permanent").arg(name);
    const QString left = Core::formatCountdown(g.secondsLeft(m_pim->clock()->now()));
    if (m_aws) {
        const auto *t = m_aws->targetOf(g);
        if (t && t->phase != Aws::AwsTarget::Phase::Ready)
            return tr("%1 — %2 left · waiting for AWS").arg(name, left);
    }
    return tr("%1 — %2 left").arg(name, left);
}

QString TrayController::tipText(const Core::Grant &g) const
{
    const QString name = shortName(g.groupId, g.groupDisplayName, g.access);
    if (g.isPermanent())
        return tr("%1 — permanent").arg(name);
    const QString until = g.end.toLocalTime().toString(QStringLiteral("HH:mm"));
    if (m_aws) {
        const auto *t = m_aws->targetOf(g);
        if (t && t->phase != Aws::AwsTarget::Phase::Ready)
            return tr("%1 — until %2 · waiting for AWS").arg(name, until);
    }
    return tr("%1 — until %2").arg(name, until);
}

QString TrayController::requestText(const Core::AccessRequest &r) const
{
    const QString name = shortName(r.groupId, r.groupDisplayName, r.access);
    const qint64 waiting = r.created.isValid() ? qMax<qint64>(0, r.created.secsTo(m_pim->clock()->now())) : 0;
    return waiting < 60 ? tr("%1 — %2, asked just now").arg(name, Graph::PimWording::status(r))
                        : tr("%1 — %2, asked %3 ago")
                              .arg(name, Graph::PimWording::status(r), Graph::PimWording::duration(waiting));
}

void TrayController::tick()
{
    using Status = PimPresenter::Status;
    const Status status = m_pim->status();
    const auto account = m_pim->account();
    const bool signedIn = account.has_value() && (status == Status::Loading || status == Status::Ready);
    const auto *access = m_pim->requests();
    const QDateTime now = m_pim->clock()->now();

    for (const auto &[menu, id] : m_grantMenus)
        if (menu)
            for (const auto &g : access->grants())
                if (g.id == id)
                    menu->setTitle(grantText(g));
    if (m_aws)
        for (const auto &[action, id] : m_awsPhaseActions)
            if (action)
                for (const auto &g : access->grants())
                    if (g.id == id)
                        action->setText(m_aws->phaseText(g));
    for (const auto &[menu, id] : m_requestMenus)
        if (menu)
            for (const auto &r : access->openRequests())
                if (r.id == id)
                    menu->setTitle(requestText(r));

    const auto soonest = m_pim->soonestGrant();
    const bool awaiting = std::any_of(
        access->openRequests().cbegin(), access->openRequests().cend(),
        [](const Core::AccessRequest &r) { return r.phase() == Core::RequestPhase::AwaitingApproval; });
    const int warnSecs = m_pim->warnMinutes().isEmpty() ? 15 * 60 : m_pim->warnMinutes().first() * 60;
    if (m_pim->lastError().kind != Core::Error::Kind::None && status != Status::SigningIn) {
        m_state = TrayState::Error;
    } else if (status == Status::Restoring || status == Status::SigningIn || status == Status::Loading) {
        m_state = TrayState::Busy;
    } else if (signedIn && soonest && soonest->secondsLeft(now) <= warnSecs) {
        m_state = TrayState::Expiring;
    } else if (signedIn && !access->grants().isEmpty()) {
        m_state = TrayState::Active;
    } else if (signedIn && awaiting) {
        m_state = TrayState::Pending;
    } else {
        m_state = signedIn ? TrayState::Idle : TrayState::SignedOut;
    }
    QString tip;
    if (signedIn) {
        tip = tr("Elevate — %1").arg(account->username);
        if (soonest)
            tip += u'\n' + tipText(*soonest);
        else
            tip += u'\n'
                + tr("%n eligible target(s), nothing active", nullptr,
                     int(m_pim->targets()->targets().size()));
        const int others = int(access->grants().size()) - (soonest ? 1 : 0);
        if (others > 0)
            tip += u'\n' + tr("and %n more active", nullptr, others);
        if (!access->openRequests().isEmpty())
            tip += u'\n' + tr("%n request(s) waiting", nullptr, int(access->openRequests().size()));
    } else {
        tip = tr("Elevate — not signed in");
    }
    m_badge = signedIn ? int(m_pim->approvals()->pending().size()) : 0;
    if (m_badge > 0)
        tip += u'\n' + tr("%n request(s) waiting for your approval", nullptr, m_badge);
    if (m_throttledUntil.isValid() && now < m_throttledUntil)
        tip += u'\n'
            + tr("%1 asked Elevate to wait; retrying at %2")
                  .arg(m_throttledBy, m_throttledUntil.toLocalTime().toString(QStringLiteral("HH:mm:ss")));
    if (m_state != m_iconState || m_badge != m_iconBadge || m_tray->icon().isNull()) {
        m_iconState = m_state;
        m_iconBadge = m_badge;
        m_tray->setIcon(m_icons.icon(m_state, m_badge));
    }
    m_tray->setToolTip(tip);
    // Nothing ticks while the menu is closed: the tooltip names the end time, not a countdown, so
    // the icon changes only when the soonest grant enters its warning time (a grant's end comes
    // with the sync RequestTracker runs just after it, and phases with their own signals).
    m_nextChange->stop();
    if (signedIn && soonest && !soonest->isPermanent() && m_state != TrayState::Error) {
        const qint64 toWarning = soonest->secondsLeft(now) - warnSecs;
        if (toWarning > 0)
            m_nextChange->start(int(qMin<qint64>(toWarning, qint64(24) * 3600) * 1000 + 500));
    }
}

} // namespace Elevate::Ui

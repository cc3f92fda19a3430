// SPDX-License-Identifier: GPL-3.0-or-later
#include "traycontroller.h"

#include "accesscontroller.h"
#include "targetsmodel.h"

#include <QMap>
#include <QMenu>
#include <QSystemTrayIcon>

namespace Elevate::Ui {

TrayController::TrayController(AccessController *controller, QObject *parent)
    : QObject(parent)
    , m_controller(controller)
    , m_menu(new QMenu)
    , m_tray(new QSystemTrayIcon(this))
{
    m_menu->setObjectName(QStringLiteral("trayMenu"));
    m_tray->setContextMenu(m_menu);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
            Q_EMIT openWindowRequested({});
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, [this] { Q_EMIT openWindowRequested({}); });
    connect(m_controller, &AccessController::changed, this, &TrayController::rebuild);
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

void TrayController::notify(const QString &title, const QString &message, bool isError)
{
    if (m_tray->isVisible() && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, message,
                            isError ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information);
}

void TrayController::rebuild()
{
    using Status = AccessController::Status;
    const Status status = m_controller->status();
    const auto account = m_controller->account();
    const bool signedIn = account.has_value() && (status == Status::Loading || status == Status::Ready);
    const auto &targets = m_controller->targets()->targets();

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
            ->addAction(m_controller->lastError().kind == Core::Error::Kind::None
                            ? tr("No eligible access")
                            : tr("Eligible access could not be loaded"))
            ->setEnabled(false);
    } else if (signedIn) {
        // One submenu per AWS account in the model's order; the model puts unmapped groups last.
        QMenu *current = nullptr;
        QString currentAccount;
        QMenu *unmapped = nullptr;
        for (const auto &t : targets) {
            const QString key = TargetsModel::rowKey(t);
            const bool owner = t.eligibility.accessId == u"owner";
            if (!t.aws) {
                if (!unmapped) {
                    unmapped = m_menu->addMenu(tr("Not mapped"));
                    unmapped->setObjectName(QStringLiteral("unmappedMenu"));
                    unmapped->setToolTipsVisible(true);
                }
                QAction *a = unmapped->addAction(t.key());
                a->setEnabled(false);
                a->setToolTip(tr("This PIM group does not map to an AWS account and role."));
                continue;
            }
            if (!current || currentAccount != t.aws->accountId) {
                currentAccount = t.aws->accountId;
                current = m_menu->addMenu(TargetsModel::accountLabel(*t.aws));
                current->setObjectName(QStringLiteral("account_") + currentAccount);
            }
            QAction *a = current->addAction(owner ? tr("%1 (as group owner)").arg(t.aws->roleName)
                                                  : t.aws->roleName);
            a->setData(key);
            connect(a, &QAction::triggered, this, [this, key] { Q_EMIT openWindowRequested(key); });
        }
    }

    m_menu->addSeparator();
    if (signedIn) {
        QAction *refresh = m_menu->addAction(tr("Refresh"), m_controller, &AccessController::refresh);
        refresh->setObjectName(QStringLiteral("refreshAction"));
        refresh->setEnabled(status == Status::Ready);
    }
    if (status == Status::SigningIn) {
        m_menu->addAction(tr("Cancel sign-in"), m_controller, &AccessController::cancelSignIn)
            ->setObjectName(QStringLiteral("cancelSignInAction"));
    } else if (signedIn) {
        m_menu->addAction(tr("Sign out"), m_controller, &AccessController::signOut)
            ->setObjectName(QStringLiteral("signOutAction"));
    } else {
        QAction *signIn = m_menu->addAction(tr("Sign in…"), m_controller, &AccessController::signIn);
        signIn->setObjectName(QStringLiteral("signInAction"));
        signIn->setEnabled(status == Status::SignedOut);
    }
    m_menu->addAction(tr("Open Elevate…"), this, [this] { Q_EMIT openWindowRequested({}); })
        ->setObjectName(QStringLiteral("openWindowAction"));
    m_menu->addAction(tr("Quit"), this, &TrayController::quitRequested)
        ->setObjectName(QStringLiteral("quitAction"));

    // Icon and tooltip.
    QString tip;
    if (m_controller->lastError().kind != Core::Error::Kind::None && status != Status::SigningIn) {
        m_state = TrayState::Error;
    } else if (status == Status::Restoring || status == Status::SigningIn || status == Status::Loading) {
        m_state = TrayState::Busy;
    } else {
        m_state = signedIn ? TrayState::Idle : TrayState::SignedOut;
    }
    if (signedIn)
        tip = tr("Elevate — %1\n%n eligible target(s)", nullptr, int(targets.size())).arg(account->username);
    else
        tip = tr("Elevate — not signed in");
    m_tray->setIcon(Ui::trayIcon(m_state));
    m_tray->setToolTip(tip);
}

} // namespace Elevate::Ui

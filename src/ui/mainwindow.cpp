// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"

#include "awspresenter.h"
#include "core/countdown.h"
#include "graph/approvalservice.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "pimpresenter.h"
#include "targetsmodel.h"
#include "ui_mainwindow.h"

#include <QCloseEvent>
#include <QLocale>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QTimer>

using namespace Qt::StringLiterals;

namespace Elevate::Ui {

MainWindow::MainWindow(PimPresenter *pim, QWidget *parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<::Ui::MainWindow>())
    , m_pim(pim)
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/elevate.svg")));
    m_proxy->setSourceModel(m_pim->targets());
    m_proxy->setFilterRole(TargetsModel::SearchTextRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_ui->targetsView->setModel(m_proxy);
    m_ui->bannerFrame->hide();
    m_ui->bannerFrame->setStyleSheet(
        QStringLiteral("#bannerFrame { background: #fdecea; border: 1px solid #e0a3a0; border-radius: 4px; }"
                       "#bannerLabel { color: #611a15; }"));

    connect(m_ui->searchEdit, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_ui->bannerCloseButton, &QToolButton::clicked, m_ui->bannerFrame, &QWidget::hide);
    connect(m_ui->refreshButton, &QPushButton::clicked, m_pim, &PimPresenter::refresh);
    connect(m_ui->signInButton, &QPushButton::clicked, this, [this] {
        switch (m_pim->status()) {
        case PimPresenter::Status::SignedOut:
            m_pim->signIn();
            break;
        case PimPresenter::Status::SigningIn:
            m_pim->cancelSignIn();
            break;
        default:
            m_pim->signOut();
            break;
        }
    });
    connect(m_ui->targetsView->selectionModel(), &QItemSelectionModel::currentChanged, this,
            &MainWindow::updateDetails);
    connect(m_pim, &PimPresenter::changed, this, &MainWindow::updateFromController);

    auto *find = new QShortcut(QKeySequence::Find, this);
    connect(find, &QShortcut::activated, this, [this] {
        m_ui->searchEdit->setFocus();
        m_ui->searchEdit->selectAll();
    });
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_pim, &PimPresenter::refresh);
    auto *close = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    connect(close, &QShortcut::activated, this, &QWidget::close);
    // Enter in the search box moves to the list.
    connect(m_ui->searchEdit, &QLineEdit::returnPressed, this, [this] {
        m_ui->targetsView->setFocus();
        if (!m_ui->targetsView->currentIndex().isValid() && m_proxy->rowCount() > 0)
            m_ui->targetsView->setCurrentIndex(m_proxy->index(0, 0));
    });

    m_tick = new QTimer(this);
    m_tick->setInterval(1000);
    connect(m_tick, &QTimer::timeout, this, &MainWindow::updateDetails);
    connect(m_ui->targetsView, &QAbstractItemView::activated, this, [this](const QModelIndex &idx) {
        if (idx.isValid())
            Q_EMIT requestFormRequested(idx.data(TargetsModel::TargetKeyRole).toString());
    });
    connect(m_ui->requestButton, &QPushButton::clicked, this, [this] {
        const QModelIndex idx = m_ui->targetsView->currentIndex();
        if (idx.isValid())
            Q_EMIT requestFormRequested(idx.data(TargetsModel::TargetKeyRole).toString());
    });
    connect(m_ui->deactivateButton, &QPushButton::clicked, this, [this] {
        const auto t
            = m_pim->target(m_ui->targetsView->currentIndex().data(TargetsModel::TargetKeyRole).toString());
        if (!t)
            return;
        if (const auto g = m_pim->requests()->grantFor(t->eligibility.groupId, t->eligibility.access))
            m_pim->deactivate(*g);
    });
    connect(m_ui->cancelRequestButton, &QPushButton::clicked, this, [this] {
        const auto t
            = m_pim->target(m_ui->targetsView->currentIndex().data(TargetsModel::TargetKeyRole).toString());
        if (!t)
            return;
        if (const auto r = m_pim->requests()->openRequestFor(t->eligibility.groupId, t->eligibility.access))
            m_pim->cancelRequest(r->id);
    });
    connect(m_ui->consoleButton, &QPushButton::clicked, this, [this] {
        const auto t
            = m_pim->target(m_ui->targetsView->currentIndex().data(TargetsModel::TargetKeyRole).toString());
        if (!t || !m_aws)
            return;
        if (const auto g = m_pim->requests()->grantFor(t->eligibility.groupId, t->eligibility.access))
            m_aws->openConsole(*g);
    });
    connect(m_ui->awsSignInAgainButton, &QPushButton::clicked, this, [this] {
        if (m_aws)
            m_aws->signInAgain();
    });
    connect(m_ui->endAllButton, &QPushButton::clicked, this, &MainWindow::endAllRequested);
    connect(m_ui->historyButton, &QPushButton::clicked, this, &MainWindow::historyRequested);
    connect(m_ui->approvalsButton, &QPushButton::clicked, this, [this] { Q_EMIT approvalsRequested({}); });

    updateFromController();
}

MainWindow::~MainWindow() = default;

void MainWindow::setAws(AwsPresenter *aws)
{
    m_aws = aws;
    connect(aws, &AwsPresenter::changed, this, &MainWindow::updateDetails);
    updateDetails();
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    updateDetails();
}

void MainWindow::hideEvent(QHideEvent *event)
{
    m_tick->stop();
    QMainWindow::hideEvent(event);
}

void MainWindow::selectTarget(const QString &key)
{
    const int row = m_pim->targets()->rowOf(key);
    if (row < 0)
        return;
    QModelIndex idx = m_proxy->mapFromSource(m_pim->targets()->index(row, 0));
    if (!idx.isValid()) {
        m_ui->searchEdit->clear();
        idx = m_proxy->mapFromSource(m_pim->targets()->index(row, 0));
    }
    m_ui->targetsView->setCurrentIndex(idx);
    m_ui->targetsView->scrollTo(idx);
    m_ui->targetsView->setFocus();
}

void MainWindow::showError(const QString &text)
{
    m_ui->bannerLabel->setText(text);
    m_ui->bannerFrame->show();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_quitOnClose) {
        event->accept();
        return;
    }
    hide();
    event->ignore();
}

void MainWindow::updateFromController()
{
    using Status = PimPresenter::Status;
    const Status status = m_pim->status();
    const auto account = m_pim->account();
    const bool signedIn = account && (status == Status::Ready || status == Status::Loading);
    switch (status) {
    case Status::SignedOut:
        m_ui->accountLabel->setText(tr("Not signed in"));
        break;
    case Status::Restoring:
        m_ui->accountLabel->setText(tr("Signing in…"));
        break;
    case Status::SigningIn:
        m_ui->accountLabel->setText(tr("Waiting for sign-in in the browser…"));
        break;
    case Status::Loading:
    case Status::Ready:
        m_ui->accountLabel->setText(
            account ? tr("Signed in as <b>%1</b> (%2)")
                          .arg(account->displayName.toHtmlEscaped(), account->username.toHtmlEscaped())
                    : tr("Not signed in"));
        break;
    }
    m_ui->signInButton->setText(status == Status::SigningIn ? tr("&Cancel sign-in")
                                    : signedIn              ? tr("&Sign out")
                                                            : tr("&Sign in…"));
    m_ui->signInButton->setEnabled(status != Status::Restoring);
    m_ui->refreshButton->setEnabled(status == Status::Ready);
    m_ui->searchEdit->setEnabled(signedIn);
    if (m_pim->lastError().kind == Core::Error::Kind::None)
        m_ui->bannerFrame->hide();

    const int count = m_pim->targets()->rowCount();
    if (status == Status::Loading)
        statusBar()->showMessage(tr("Loading eligible access…"));
    else if (signedIn && m_pim->lastRefresh().isValid())
        statusBar()->showMessage(
            tr("%n eligible target(s) · updated %1", nullptr, count)
                .arg(QLocale().toString(m_pim->lastRefresh().toLocalTime().time(), QLocale::ShortFormat)));
    else
        statusBar()->clearMessage();
    updateDetails();
}

void MainWindow::updateDetails()
{
    const QModelIndex idx = m_ui->targetsView->currentIndex();
    const auto *access = m_pim->requests();
    const bool live = !access->grants().isEmpty() || !access->openRequests().isEmpty();
    if (live && isVisible() && !m_tick->isActive())
        m_tick->start();
    else if (!live)
        m_tick->stop();
    const auto target = idx.isValid() ? m_pim->target(idx.data(TargetsModel::TargetKeyRole).toString())
                                      : std::optional<Core::Target>();
    const auto grant = target ? access->grantFor(target->eligibility.groupId, target->eligibility.access)
                              : std::optional<Core::Grant>();
    const auto open = target ? access->openRequestFor(target->eligibility.groupId, target->eligibility.access)
                             : std::optional<Core::AccessRequest>();
    const QDateTime now = m_pim->clock()->now();
    m_ui->requestButton->setEnabled(target.has_value() && !open);
    m_ui->requestButton->setText(grant ? tr("Re&new…") : tr("Re&quest access…"));
    m_ui->deactivateButton->setEnabled(
        grant && !grant->isPermanent() && grant->assignmentType != u"assigned"
        && (!grant->start.isValid() || grant->start.secsTo(now) >= Core::kMinimumActiveSecsBeforeDeactivate));
    m_ui->deactivateButton->setToolTip(
        m_ui->deactivateButton->isEnabled() || !grant
            ? QString()
            : tr("PIM allows ending an activation 5 minutes after it started."));
    m_ui->cancelRequestButton->setVisible(open.has_value());
    const QString awsState = m_aws && grant ? m_aws->phaseText(*grant) : QString();
    m_ui->consoleButton->setVisible(!awsState.isEmpty());
    m_ui->consoleButton->setEnabled(m_aws && grant && m_aws->isReady(*grant));
    m_ui->awsSignInAgainButton->setVisible(m_aws && grant && m_aws->offersFreshSignIn(*grant));
    m_ui->awsSignInAgainButton->setEnabled(m_aws && !m_aws->isSigningIn());
    m_ui->endAllButton->setVisible(m_aws && !access->grants().isEmpty());
    m_ui->deactivateButton->setVisible(!open.has_value());
    m_ui->historyButton->setEnabled(m_pim->history() != nullptr);
    // Approvers only; the queue is also in the tray, but without a tray host this is the way in.
    const int waiting = int(m_pim->approvals()->pending().size());
    m_ui->approvalsButton->setVisible(m_pim->account().has_value() && m_pim->approvals()->isApprover());
    m_ui->approvalsButton->setText(waiting > 0 ? tr("A&pprovals (%1)…").arg(waiting) : tr("A&pprovals…"));
    QString state;
    if (grant && grant->isPermanent())
        state = tr("<br><b>Active</b> (permanent assignment).");
    else if (grant)
        state = tr("<br><b>Active</b> until %1 — <b>%2</b> left.")
                    .arg(grant->end.toLocalTime().toString(QStringLiteral("HH:mm")),
                         Core::formatCountdown(grant->secondsLeft(now)));
    else if (open)
        state = tr("<br><b>%1</b> for %2 (asked %3 ago).")
                    .arg(Graph::PimWording::status(*open).toHtmlEscaped(),
                         Graph::PimWording::duration(open->durationSecs),
                         Graph::PimWording::duration(
                             open->created.isValid() ? qMax<qint64>(0, open->created.secsTo(now)) : 0));
    if (!awsState.isEmpty())
        state += u"<br>"_s + awsState.toHtmlEscaped();
    if (!idx.isValid()) {
        m_ui->detailsLabel->setText(
            m_pim->targets()->rowCount() == 0 ? QString() : tr("Select a target to see its details."));
        return;
    }
    const QString group = idx.data(TargetsModel::GroupNameRole).toString().toHtmlEscaped();
    if (!idx.data(TargetsModel::MappedRole).toBool()) {
        m_ui->detailsLabel->setText(
            tr("PIM group <b>%1</b> is not mapped to an AWS account and role. Rename the "
               "group to AWS-&lt;account id&gt;-&lt;permission set&gt; or add it to the "
               "mapping table in the configuration.")
                .arg(group)
            + state);
        return;
    }
    const QString account = idx.data(TargetsModel::AccountNameRole).toString();
    m_ui->detailsLabel->setText(
        tr("Role <b>%1</b> in AWS account <b>%2</b>%3 through PIM group %4.")
            .arg(idx.data(TargetsModel::RoleNameRole).toString().toHtmlEscaped(),
                 idx.data(TargetsModel::AccountIdRole).toString(),
                 account.isEmpty() ? QString() : tr(" (%1)").arg(account.toHtmlEscaped()), group)
        + state);
}

} // namespace Elevate::Ui

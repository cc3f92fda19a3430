// SPDX-License-Identifier: GPL-3.0-or-later
#include "approvalswindow.h"

#include "approvalsmodel.h"
#include "errortext.h"
#include "graph/approvalservice.h"
#include "pimpresenter.h"
#include "ui_approvalswindow.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QTimer>

namespace Elevate::Ui {

ApprovalsWindow::ApprovalsWindow(PimPresenter *pim, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_ui(std::make_unique<::Ui::ApprovalsWindow>())
    , m_pim(pim)
    , m_model(new ApprovalsModel(
          pim->clock(),
          [pim](const Core::AccessRequest &r) {
              return pim->targetDisplayName(r.groupId, r.groupDisplayName, r.access);
          },
          this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_tick(new QTimer(this))
{
    m_ui->setupUi(this);
    setObjectName(QStringLiteral("approvalsWindow"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::EditRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    m_ui->approvalsView->setModel(m_proxy);
    m_ui->approvalsView->sortByColumn(ApprovalsModel::TimeLeft, Qt::AscendingOrder);
    m_ui->approvalsView->verticalHeader()->hide();
    m_ui->approvalsView->horizontalHeader()->setStretchLastSection(true);
    m_tick->setInterval(1000);
    connect(m_tick, &QTimer::timeout, m_model, &ApprovalsModel::tick);
    connect(m_ui->filterEdit, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_ui->approveButton, &QPushButton::clicked, this, [this] { decide(true); });
    connect(m_ui->denyButton, &QPushButton::clicked, this, [this] { decide(false); });
    connect(m_ui->refreshButton, &QPushButton::clicked, this, [this] { m_pim->approvals()->refresh(); });
    connect(m_ui->closeButton, &QPushButton::clicked, this, &QWidget::close);
    connect(m_ui->justificationEdit, &QLineEdit::textChanged, this, &ApprovalsWindow::update);
    connect(m_ui->approvalsView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ApprovalsWindow::update);
    connect(m_pim->approvals(), &Graph::ApprovalService::changed, this, [this] {
        const bool wasEmpty = m_model->rowCount() == 0;
        m_model->setRequests(m_pim->approvals()->pending());
        // The window usually exists before anything waits (the tray keeps it): fit the columns to
        // the first rows, not only to the headers. Later updates keep the user's widths.
        if (wasEmpty && m_model->rowCount() > 0)
            fitColumns();
        update();
    });
    auto *find = new QShortcut(QKeySequence::Find, this);
    connect(find, &QShortcut::activated, this, [this] {
        m_ui->filterEdit->setFocus(Qt::ShortcutFocusReason);
        m_ui->filterEdit->selectAll();
    });
    auto *close = new QShortcut(QKeySequence::Cancel, this);
    connect(close, &QShortcut::activated, this, &QWidget::close);
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_ui->refreshButton, &QPushButton::click);
    m_model->setRequests(m_pim->approvals()->pending());
    fitColumns();
    update();
}

void ApprovalsWindow::fitColumns()
{
    m_ui->approvalsView->resizeColumnsToContents();
    // A justification can be a paragraph: keep it from pushing the countdown out of sight (the
    // cell elides, its tooltip has it all).
    constexpr int kMaxJustificationWidth = 320;
    if (m_ui->approvalsView->columnWidth(ApprovalsModel::Justification) > kMaxJustificationWidth)
        m_ui->approvalsView->setColumnWidth(ApprovalsModel::Justification, kMaxJustificationWidth);
}

ApprovalsWindow::~ApprovalsWindow() = default;

void ApprovalsWindow::showEvent(QShowEvent *event)
{
    m_tick->start();
    m_model->tick();
    QWidget::showEvent(event);
}

void ApprovalsWindow::hideEvent(QHideEvent *event)
{
    m_tick->stop();
    QWidget::hideEvent(event);
}

QStringList ApprovalsWindow::selectedIds() const
{
    QStringList ids;
    for (const QModelIndex &idx : m_ui->approvalsView->selectionModel()->selectedRows())
        ids << idx.data(ApprovalsModel::RequestIdRole).toString();
    return ids;
}

void ApprovalsWindow::selectRequest(const QString &requestId)
{
    const int row = m_model->rowOf(requestId);
    if (row < 0)
        return;
    m_ui->filterEdit->clear();
    const QModelIndex idx = m_proxy->mapFromSource(m_model->index(row, 0));
    m_ui->approvalsView->selectionModel()->select(
        idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_ui->approvalsView->setCurrentIndex(idx);
    m_ui->approvalsView->scrollTo(idx);
    m_ui->justificationEdit->setFocus(Qt::OtherFocusReason);
}

void ApprovalsWindow::update()
{
    const int count = m_model->rowCount();
    const int selected = int(selectedIds().size());
    m_ui->emptyLabel->setVisible(count == 0);
    m_ui->approvalsView->setVisible(count > 0);
    m_ui->countLabel->setText(tr("%n request(s) waiting for you", nullptr, count));
    const bool canDecide = !m_busy && selected > 0 && !m_ui->justificationEdit->text().trimmed().isEmpty();
    m_ui->approveButton->setEnabled(canDecide);
    m_ui->denyButton->setEnabled(canDecide);
    m_ui->approveButton->setText(selected > 1 ? tr("&Approve %n", nullptr, selected) : tr("&Approve"));
    m_ui->denyButton->setText(selected > 1 ? tr("&Deny %n", nullptr, selected) : tr("&Deny"));
    m_ui->approveButton->setToolTip(selected == 0 ? tr("Select one or more requests first")
                                        : m_ui->justificationEdit->text().trimmed().isEmpty()
                                        ? tr("A justification is required")
                                        : QString());
    m_ui->denyButton->setToolTip(m_ui->approveButton->toolTip());
}

void ApprovalsWindow::decide(bool approve)
{
    // One decision at a time: a second press while the first is under way would send the same
    // decisions again and come back as "someone else decided first" about the user's own.
    if (m_busy)
        return;
    const QStringList ids = selectedIds();
    const QString justification = m_ui->justificationEdit->text().trimmed();
    if (ids.isEmpty())
        return;
    if (justification.isEmpty()) {
        m_ui->messageLabel->setText(tr("A justification is required for a decision."));
        m_ui->justificationEdit->setFocus(Qt::OtherFocusReason);
        return;
    }
    // Names now: the rows may leave the queue before the answers come.
    QHash<QString, QString> names;
    for (const QString &id : ids) {
        const int row = m_model->rowOf(id);
        names.insert(id,
                     row < 0 ? id
                             : m_model->index(row, ApprovalsModel::Requester).data().toString()
                             + QStringLiteral(" — ")
                             + m_model->index(row, ApprovalsModel::Target).data().toString());
    }
    m_busy = true;
    update();
    m_ui->messageLabel->setText(approve ? tr("Approving…") : tr("Denying…"));
    m_pim->approvals()->decide(
        ids, approve, justification, this, [this, names](QList<Graph::ApprovalService::Outcome> outcomes) {
            m_busy = false;
            QStringList lines;
            bool allOk = true;
            for (const auto &o : outcomes) {
                allOk = allOk && o.result.ok();
                // PIM sets a new request's stage up for a few seconds; nothing was decided, so the
                // approver only needs to press again.
                const bool notReady = !o.result.ok() && o.result.error().serviceCode == u"StageNotReady";
                lines << tr("%1: %2").arg(names.value(o.requestId),
                                          notReady ? tr("PIM is still opening this request for decisions; "
                                                        "try again in a few seconds.")
                                                   : m_pim->approvals()->rowMessage(o.requestId));
            }
            m_ui->messageLabel->setText(lines.join(u'\n'));
            if (allOk)
                m_ui->justificationEdit->clear();
            update();
        });
}

} // namespace Elevate::Ui

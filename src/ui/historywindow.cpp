// SPDX-License-Identifier: GPL-3.0-or-later
#include "historywindow.h"

#include "historymodel.h"
#include "ui_historywindow.h"

#include <QDir>
#include <QFileDialog>
#include <QHeaderView>
#include <QMessageBox>
#include <QSaveFile>
#include <QShortcut>
#include <QSortFilterProxyModel>

namespace Elevate::Ui {

HistoryWindow::HistoryWindow(Core::HistoryStore *store, QWidget *parent)
    : QWidget(parent, Qt::Window)
    , m_ui(std::make_unique<::Ui::HistoryWindow>())
    , m_store(store)
    , m_model(new HistoryModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);
    setObjectName(QStringLiteral("historyWindow"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::EditRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    m_ui->historyView->setModel(m_proxy);
    m_ui->historyView->sortByColumn(HistoryModel::Requested, Qt::DescendingOrder);
    m_ui->historyView->verticalHeader()->hide();
    m_ui->historyView->horizontalHeader()->setStretchLastSection(true);
    connect(m_ui->filterEdit, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_ui->reloadButton, &QPushButton::clicked, this, &HistoryWindow::reload);
    connect(m_ui->closeButton, &QPushButton::clicked, this, &QWidget::close);
    connect(m_ui->exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export history"), QDir::homePath() + QStringLiteral("/elevate-history.csv"),
            tr("CSV files (*.csv)"));
        if (path.isEmpty())
            return;
        const QString error = exportTo(path);
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Export history"), error);
    });
    auto *find = new QShortcut(QKeySequence::Find, this);
    connect(find, &QShortcut::activated, m_ui->filterEdit, [this] {
        m_ui->filterEdit->setFocus(Qt::ShortcutFocusReason);
        m_ui->filterEdit->selectAll();
    });
    auto *close = new QShortcut(QKeySequence::Cancel, this);
    connect(close, &QShortcut::activated, this, &QWidget::close);
    if (!m_store) {
        m_ui->countLabel->setText(tr("The history is not available."));
        m_ui->exportButton->setEnabled(false);
        m_ui->reloadButton->setEnabled(false);
    }
}

HistoryWindow::~HistoryWindow() = default;

void HistoryWindow::showEvent(QShowEvent *event)
{
    reload();
    QWidget::showEvent(event);
}

void HistoryWindow::reload()
{
    if (!m_store)
        return;
    const auto entries = m_store->entries();
    if (!entries.ok()) {
        m_ui->countLabel->setText(tr("The history cannot be read: %1").arg(entries.error().message));
        return;
    }
    m_model->setEntries(entries.value());
    m_ui->historyView->resizeColumnsToContents();
    m_ui->countLabel->setText(tr("%n request(s) on record", nullptr, int(entries->size())));
}

QString HistoryWindow::exportTo(const QString &path) const
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
    f.write(Core::HistoryStore::toCsv(m_model->entries()));
    if (!f.commit())
        return tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), f.errorString());
    return {};
}

} // namespace Elevate::Ui

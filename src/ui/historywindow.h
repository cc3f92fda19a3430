// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/history.h"

#include <QWidget>

#include <memory>

class QSortFilterProxyModel;

namespace Ui {
class HistoryWindow;
}

namespace Elevate::Ui {

class HistoryModel;

/// The history window (ui/historywindow.ui): every request and how it ended, sortable and
/// filterable, exportable to CSV. Reads the store when shown and on Reload.
class HistoryWindow : public QWidget
{
    Q_OBJECT
public:
    explicit HistoryWindow(Core::HistoryStore *store, QWidget *parent = nullptr);
    ~HistoryWindow() override;

    void reload();
    /// Writes the CSV to `path` (atomically); returns an error sentence or empty on success.
    QString exportTo(const QString &path) const;
    HistoryModel *model() const { return m_model; }

protected:
    void showEvent(QShowEvent *event) override;

private:
    std::unique_ptr<::Ui::HistoryWindow> m_ui;
    Core::HistoryStore *m_store;
    HistoryModel *m_model;
    QSortFilterProxyModel *m_proxy;
};

} // namespace Elevate::Ui

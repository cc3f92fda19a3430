// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

#include <memory>

class QSortFilterProxyModel;
class QTimer;

namespace Ui {
class ApprovalsWindow;
}

namespace Elevate::Ui {

class PimPresenter;
class ApprovalsModel;

/**
 * The approver's pending queue (ui/approvalswindow.ui): one row per request waiting for the
 * signed-in user's decision, sortable, filterable, multi-select, with a live countdown of PIM's
 * approval window. Approve or Deny applies to every selected row and needs a justification; the
 * outcome of each row is said under the table, and rows someone else decided leave the queue with
 * who decided. Countdowns tick only while the window is shown.
 */
class ApprovalsWindow : public QWidget
{
    Q_OBJECT
public:
    explicit ApprovalsWindow(PimPresenter *pim, QWidget *parent = nullptr);
    ~ApprovalsWindow() override;

    /// Selects that request (when it is in the queue) and focuses the justification.
    void selectRequest(const QString &requestId);
    ApprovalsModel *model() const { return m_model; }
    QStringList selectedIds() const;
    /// Approve or deny the selection (what the buttons do).
    void decide(bool approve);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void update();
    /// Column widths from the contents (the justification capped).
    void fitColumns();

    std::unique_ptr<::Ui::ApprovalsWindow> m_ui;
    PimPresenter *m_pim;
    ApprovalsModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTimer *m_tick;
    bool m_busy = false;
};

} // namespace Elevate::Ui

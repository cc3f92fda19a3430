// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMainWindow>

#include <memory>

class QSortFilterProxyModel;
class QTimer;

namespace Ui {
class MainWindow;
}

namespace Elevate::Ui {

class PimPresenter;
class AwsPresenter;

/**
 * The main window: the account, sign in / out, and the eligible targets in a searchable list with
 * details of the selected one. A banner shows the last error until dismissed or until the next
 * success. Closing the window hides it (the tray keeps running) unless there is no tray.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(PimPresenter *pim, QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Selects the target with that key (TargetsModel::rowKey) and clears the search if needed.
    void selectTarget(const QString &key);
    /// Shows an error in the banner (already worded for people).
    void showError(const QString &text);
    void setQuitOnClose(bool quit) { m_quitOnClose = quit; }
    /// The AWS side: the selected grant's AWS state, "Open AWS console" and "End all access…".
    void setAws(AwsPresenter *aws);

Q_SIGNALS:
    /// The user wants to request (or renew) the target with that key.
    void requestFormRequested(const QString &targetKey);
    void historyRequested();
    void approvalsRequested(const QString &requestId);
    /// "End all access…" (the caller confirms first).
    void endAllRequested();

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void updateFromController();
    void updateDetails();

    std::unique_ptr<::Ui::MainWindow> m_ui;
    PimPresenter *m_pim;
    QSortFilterProxyModel *m_proxy;
    AwsPresenter *m_aws = nullptr;
    bool m_quitOnClose = false;
    QTimer *m_tick; // 1 s while shown and something is live: the countdown in the details
};

} // namespace Elevate::Ui

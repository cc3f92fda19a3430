// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/config.h"
#include "core/history.h"
#include "core/result.h"

#include <QObject>
#include <QPointer>
#include <QTemporaryDir>
#include <QTranslator>

#include <memory>

class QNetworkAccessManager;

namespace Elevate::Auth {
class EntraSession;
} // namespace Elevate::Auth
namespace Elevate::Core {
class ChangeNotice;
class SecretStore;
} // namespace Elevate::Core
namespace Elevate::Auth {
class IdcSession;
}
namespace Elevate::Aws {
class RolePipeline;
class PortalClient;
} // namespace Elevate::Aws
namespace Elevate::Net {
class HttpClient;
}
namespace Elevate::Graph {
class GraphClient;
}
namespace Elevate::Emulator {
class Emulator;
}

namespace Elevate::Ui {
class PimPresenter;
class ApprovalsWindow;
class AwsPresenter;
class HistoryWindow;
class MainWindow;
class TrayController;
} // namespace Elevate::Ui

namespace Elevate::App {

/**
 * The tray program's composition root: builds every object once, in order, and passes pointers
 * (no singletons). In demo mode it first starts an in-process emulator with the built-in scenario
 * and keeps all data in a temporary directory and a separate keychain service.
 */
class TrayApp : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString configPath; // empty: ELEVATE_CONFIG, then the default path
        bool demo = false;
        QString
            demoAutoSignIn; // demo: emulator signs this user in without a page, and sign-in starts at once
        /// What every part reads as "now"; null: the system clock. A benchmark's emulated working day
        /// passes one that moves with the emulator's.
        Core::Clock *clock = nullptr;
    };

    explicit TrayApp(Options options, QObject *parent = nullptr);
    ~TrayApp() override;

    /// Builds everything and shows the tray (or the window, without a tray). Fails only for demo
    /// set-up problems; a bad configuration is shown in the window instead.
    Core::Result<void> start();

    /// Shows the window (used when a second instance asks this one to come forward).
    void showWindow(const QString &targetKey = {});
    /// Leaves the application; in demo mode after removing the demo keychain entry (bounded wait).
    void requestQuit();

    Ui::PimPresenter *pim() const { return m_pim; }
    Ui::TrayController *tray() const { return m_tray.get(); }
    Ui::AwsPresenter *aws() const { return m_awsPresenter; }
    Aws::RolePipeline *rolePipeline() const { return m_aws; }
    Ui::MainWindow *window() const { return m_window.get(); }
    /// Opens the request form for an eligible target (TargetsModel::rowKey).
    void openRequestForm(const QString &targetKey);
    void openRenewForm(const QString &grantId);
    void showHistory();
    /// The approver queue, on one request when `requestId` is given.
    void showApprovals(const QString &requestId = {});
    Ui::ApprovalsWindow *approvalsWindow() const { return m_approvalsWindow.get(); }
    Ui::HistoryWindow *historyWindow() const { return m_historyWindow.get(); }
    Emulator::Emulator *emulator() const { return m_emulator; }
    /// The stamp the command line touches after it changed something; the tray syncs when it does.
    Core::ChangeNotice *changeNotice() const { return m_changes; }
    QString demoDataDir() const { return m_demoDir ? m_demoDir->path() : QString(); }

private:
    Core::Result<QString> prepareDemo();
    /// The AWS side, when the configuration names an Identity Center.
    void startAws(const Core::AppConfig &config, const QString &configPath);
    /// Asks, then ends every grant, removes profiles and cached credentials, signs out of AWS.
    void confirmEndAll();

    Options m_options;
    QTranslator m_english;
    Core::SystemClock m_systemClock;
    Core::Clock *m_clock = &m_systemClock;
    std::unique_ptr<QTemporaryDir> m_demoDir;
    Emulator::Emulator *m_emulator = nullptr;
    QNetworkAccessManager *m_nam = nullptr;
    Net::HttpClient *m_http = nullptr;
    std::unique_ptr<Core::SecretStore> m_secrets;
    Auth::EntraSession *m_session = nullptr;
    Graph::GraphClient *m_graph = nullptr;
    Ui::PimPresenter *m_pim = nullptr;
    Auth::IdcSession *m_idc = nullptr;
    Aws::PortalClient *m_portal = nullptr;
    Aws::RolePipeline *m_aws = nullptr;
    Ui::AwsPresenter *m_awsPresenter = nullptr;
    std::unique_ptr<Ui::TrayController> m_tray;
    std::unique_ptr<Ui::MainWindow> m_window;
    std::unique_ptr<Core::HistoryStore> m_history;
    Core::ChangeNotice *m_changes = nullptr;
    std::unique_ptr<Ui::HistoryWindow> m_historyWindow;
    std::unique_ptr<Ui::ApprovalsWindow> m_approvalsWindow;
    int m_defaultDurationMinutes = 60;
    bool m_quitting = false;
};

} // namespace Elevate::App

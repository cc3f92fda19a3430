// SPDX-License-Identifier: GPL-3.0-or-later
#include "trayapp.h"

#include "auth/entrasession.h"
#include "auth/idcsession.h"
#include "auth/keychainsecretstore.h"
#include "aws/portalclient.h"
#include "aws/rolepipeline.h"
#include "core/changenotice.h"
#include "core/config.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/requesttracker.h"
#include "net/httpclient.h"
#include "startupmarks.h"
#include "ui/approvalswindow.h"
#include "ui/awspresenter.h"
#include "ui/browser.h"
#include "ui/errortext.h"
#include "ui/historywindow.h"
#include "ui/mainwindow.h"
#include "ui/pimpresenter.h"
#include "ui/requestdialog.h"
#include "ui/targetsmodel.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QPushButton>
#include <QStandardPaths>
#include <QSystemTrayIcon>
#include <QTextStream>
#include <QTimer>

namespace Elevate::App {

using Core::Error;

TrayApp::TrayApp(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    if (m_options.clock)
        m_clock = m_options.clock;
}

TrayApp::~TrayApp()
{
    // Views first: they point at the PIM presenter.
    m_historyWindow.reset();
    m_approvalsWindow.reset();
    m_window.reset();
    m_tray.reset();
}

Core::Result<QString> TrayApp::prepareDemo()
{
    m_demoDir = std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/elevate-demo-XXXXXX"));
    if (!m_demoDir->isValid())
        return Error::make(Error::Kind::Internal,
                           QStringLiteral("cannot create a temporary directory for the demo"));
    m_emulator = new Emulator::Emulator(this);
    if (!m_emulator->loadBuiltInScenario())
        return Error::make(Error::Kind::Internal, QStringLiteral("the built-in demo scenario does not load"));
    if (!m_options.demoAutoSignIn.isEmpty())
        m_emulator->setAutoSignIn(m_options.demoAutoSignIn);
    QString listenError;
    if (!m_emulator->listen(QHostAddress::LocalHost, 0, &listenError))
        return Error::make(Error::Kind::Network,
                           QStringLiteral("the demo emulator cannot listen: %1").arg(listenError));
    auto config = Core::AppConfig::fromJson(m_emulator->configJson());
    if (!config.ok())
        return config.error();
    Core::AppConfig c = config.value();
    c.keychainService = QStringLiteral("Elevate (demo)");
    c.historyPath = m_demoDir->filePath(QStringLiteral("history.sqlite"));
    const QString path = m_demoDir->filePath(QStringLiteral("config.json"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(c.toJson()) < 0)
        return Error::make(Error::Kind::Internal, QStringLiteral("cannot write %1").arg(path));
    f.close();
    QTextStream(stdout)
        << tr("Elevate demo: emulator at %1\n"
              "Demo data (configuration) is in %2 and is removed on quit; keychain entries use the "
              "service \"%3\" and are removed on sign-out or quit.\n"
              "Your real settings, keychain entries and ~/.aws are not used.\n")
               .arg(m_emulator->baseUrl().toString(), m_demoDir->path(), c.keychainService)
        << Qt::flush;
    return path;
}

Core::Result<void> TrayApp::start()
{
    // English plural forms ("1 eligible target", "2 eligible targets") come from the embedded .qm.
    if (m_english.load(QStringLiteral(":/i18n/elevate_en.qm")))
        QCoreApplication::installTranslator(&m_english);
    QString configPath = m_options.configPath;
    if (m_options.demo) {
        auto demo = prepareDemo();
        if (!demo.ok())
            return demo.error();
        configPath = demo.value();
    } else if (configPath.isEmpty()) {
        configPath = qEnvironmentVariable("ELEVATE_CONFIG", Core::AppConfig::defaultPath());
    }
    auto config = Core::AppConfig::load(configPath);
    // Without a usable configuration the app still starts, so the user sees why in the window.
    Core::AppConfig cfg;
    if (config.ok()) {
        cfg = config.value();
    } else {
        cfg.tenant = QStringLiteral("unconfigured");
        cfg.clientId = QStringLiteral("unconfigured");
    }

    m_nam = new QNetworkAccessManager(this);
    m_http = new Net::HttpClient(m_nam, this);
    m_secrets = std::make_unique<Auth::KeychainSecretStore>(cfg.keychainService);
    m_session = new Auth::EntraSession(cfg, m_http, m_secrets.get(), m_clock, this);
    m_graph = new Graph::GraphClient(QUrl(cfg.graphBaseUrl), cfg.graphResource, m_http, m_session, this);
    m_graph->setReplicationWindowSecs(cfg.graphReplicationWindowSeconds);
    auto history = Core::HistoryStore::open(cfg.effectiveHistoryPath());
    if (history.ok())
        m_history = std::move(history).value();
    m_defaultDurationMinutes = cfg.defaultDurationMinutes;
    m_graph->setClock(m_clock);
    const Core::TargetMapper mapper(cfg.mapping);
    auto *requests = new Graph::RequestTracker(m_graph, m_history.get(), mapper, m_clock, this);
    auto *approvals = new Graph::ApprovalService(m_graph, m_history.get(), m_clock, this);
    m_pim = new Ui::PimPresenter({m_session, m_graph, requests, approvals, m_clock, m_history.get()}, mapper,
                                 this);
    m_pim->setWarnMinutes(cfg.warnMinutesBefore);
    m_changes = new Core::ChangeNotice(Core::ChangeNotice::beside(cfg.effectiveHistoryPath()), this);
    connect(m_changes, &Core::ChangeNotice::changedElsewhere, m_pim,
            &Ui::PimPresenter::noticeChangeElsewhere);
    m_changes->watch();
    m_tray = std::make_unique<Ui::TrayController>(m_pim);
    if (lcStartup().isDebugEnabled()) {
        // After the tray's own handler: the menu has been rebuilt with the targets by then.
        auto *once = new QObject(this);
        connect(m_pim, &Ui::PimPresenter::changed, once, [this, once] {
            if (m_pim->status() != Ui::PimPresenter::Status::Ready || m_pim->targets()->targets().isEmpty())
                return;
            markStartup("menu");
            once->deleteLater();
        });
    }
    m_window = std::make_unique<Ui::MainWindow>(m_pim);

    connect(m_pim, &Ui::PimPresenter::browserUrlReady, this, [this](const QUrl &url) {
        if (!Ui::openInBrowser(url))
            m_window->showError(
                tr("Elevate could not open a browser. Open this address yourself to sign in: %1")
                    .arg(url.toString(QUrl::FullyEncoded)));
    });
    connect(m_pim, &Ui::PimPresenter::errorOccurred, this,
            [this](const QString &operation, const Error &error) {
                const QString text = Ui::ErrorText::describe(operation, error);
                m_window->showError(text);
                m_tray->notify(tr("Elevate"), text, true);
            });
    connect(m_pim, &Ui::PimPresenter::notify, this, [this](const QString &title, const QString &message) {
        logNotification(title, m_clock->nowSecs());
        m_tray->notify(title, message, false);
    });
    connect(m_tray.get(), &Ui::TrayController::openWindowRequested, this, &TrayApp::showWindow);
    connect(m_tray.get(), &Ui::TrayController::requestFormRequested, this, &TrayApp::openRequestForm);
    connect(m_tray.get(), &Ui::TrayController::renewRequested, this, &TrayApp::openRenewForm);
    connect(m_tray.get(), &Ui::TrayController::historyRequested, this, &TrayApp::showHistory);
    connect(m_tray.get(), &Ui::TrayController::approvalsRequested, this, &TrayApp::showApprovals);
    connect(m_pim, &Ui::PimPresenter::approvalArrived, m_tray.get(), &Ui::TrayController::notifyApproval);
    connect(m_window.get(), &Ui::MainWindow::requestFormRequested, this, &TrayApp::openRequestForm);
    connect(m_window.get(), &Ui::MainWindow::historyRequested, this, &TrayApp::showHistory);
    connect(m_window.get(), &Ui::MainWindow::approvalsRequested, this, &TrayApp::showApprovals);
    connect(m_tray.get(), &Ui::TrayController::quitRequested, this, &TrayApp::requestQuit);
    if (config.ok() && cfg.aws.isConfigured())
        startAws(cfg, configPath);

    const bool hasTray = QSystemTrayIcon::isSystemTrayAvailable();
    if (hasTray) {
        m_tray->show();
        markStartup("icon");
    } else {
        // Without a tray host the window is the app: closing it quits.
        m_window->setQuitOnClose(true);
        connect(qApp, &QGuiApplication::lastWindowClosed, this, &TrayApp::requestQuit);
    }
    if (!hasTray || m_options.demo)
        showWindow({});

    if (!history.ok())
        m_window->showError(Ui::ErrorText::describe(tr("Opening the history"), history.error()));
    if (!config.ok()) {
        m_pim->setConfigurationError(config.error());
        m_window->showError(Ui::ErrorText::describe(tr("Loading the configuration"), config.error()) + u' '
                            + tr("See the README section \"Real setup\"."));
        showWindow({});
        return {};
    }
    if (m_options.demo) {
        // Demo mode never restores a saved sign-in (it would belong to an emulator that is gone).
        if (!m_options.demoAutoSignIn.isEmpty())
            QTimer::singleShot(0, m_pim, &Ui::PimPresenter::signIn);
    } else {
        m_pim->start();
        if (m_awsPresenter)
            m_awsPresenter->start();
    }
    return {};
}

namespace {
/// The `elevate` program the AWS profiles run: beside the tray when installed, in the build tree's
/// cli directory when run from there, else whatever PATH has.
QString elevateProgram()
{
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString &candidate :
         QStringList {dir + QStringLiteral("/elevate"), dir + QStringLiteral("/../cli/elevate")}) {
        const QFileInfo info(candidate);
        if (info.isExecutable() && info.isFile())
            return info.canonicalFilePath();
    }
    const QString found = QStandardPaths::findExecutable(QStringLiteral("elevate"));
    return found.isEmpty() ? QStringLiteral("elevate") : found;
}
} // namespace

void TrayApp::startAws(const Core::AppConfig &config, const QString &configPath)
{
    m_idc = new Auth::IdcSession(config, m_http, m_secrets.get(), m_clock, this);
    m_portal = new Aws::PortalClient(config.aws, m_http, m_idc, m_clock, this);
    // The demo never touches the user's own AWS files.
    Aws::AwsFiles files = m_demoDir
        ? Aws::AwsFiles(m_demoDir->filePath(QStringLiteral("aws/config")),
                        m_demoDir->filePath(QStringLiteral("aws/credentials")))
        : Aws::AwsFiles(Aws::AwsFiles::defaultConfigPath(), Aws::AwsFiles::defaultCredentialsPath());
    QStringList args;
    if (configPath != Core::AppConfig::defaultPath())
        args << QStringLiteral("--config") << QFileInfo(configPath).absoluteFilePath();
    m_aws = new Aws::RolePipeline(config, m_http, m_portal, std::move(files), m_secrets.get(), m_clock,
                                  Aws::RolePipeline::commandLine(elevateProgram(), args), this);
    m_awsPresenter = new Ui::AwsPresenter(m_pim, m_aws, m_idc, config.aws.scimServicePrincipalId, this);
    m_tray->setAws(m_awsPresenter);
    m_window->setAws(m_awsPresenter);
    // Sign-out (the menu and the window) takes the AWS side with it, before the Entra sign-in.
    m_pim->setSignOutStep(
        [aws = m_awsPresenter](std::function<void(QStringList)> done) { aws->signOut(std::move(done)); });
    connect(m_awsPresenter, &Ui::AwsPresenter::openUrl, this, [this](const QUrl &url) {
        if (!Ui::openInBrowser(url))
            m_window->showError(tr("Elevate could not open a browser. Open this address yourself: %1")
                                    .arg(url.toString(QUrl::FullyEncoded)));
    });
    connect(m_awsPresenter, &Ui::AwsPresenter::notify, this,
            [this](const QString &title, const QString &message, bool isError) {
                m_tray->notify(title, message, isError);
            });
    connect(m_tray.get(), &Ui::TrayController::endAllRequested, this, &TrayApp::confirmEndAll);
    connect(m_window.get(), &Ui::MainWindow::endAllRequested, this, &TrayApp::confirmEndAll);
}

void TrayApp::confirmEndAll()
{
    QMessageBox box(QMessageBox::Warning, tr("End all access now"), tr("End all your access now?"),
                    QMessageBox::Cancel);
    box.setInformativeText(
        tr("Elevate deactivates every active grant in PIM, removes its AWS profiles and cached "
           "credentials, and signs out of AWS IAM Identity Center. Credentials and console "
           "sessions already handed out keep working until they expire."));
    QPushButton *end = box.addButton(tr("End all access"), QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == end)
        m_awsPresenter->endAll();
}

void TrayApp::showWindow(const QString &targetKey)
{
    m_window->show();
    m_window->raise();
    m_window->activateWindow();
    if (!targetKey.isEmpty())
        m_window->selectTarget(targetKey);
}

void TrayApp::openRequestForm(const QString &targetKey)
{
    const auto target = m_pim->target(targetKey);
    if (!target) {
        m_window->showError(
            tr("%1 is no longer in your eligible access; refresh and try again.").arg(targetKey));
        return;
    }
    if (const auto grant
        = m_pim->requests()->grantFor(target->eligibility.groupId, target->eligibility.access))
        return openRenewForm(grant->id);
    Ui::RequestDialog::open(m_pim, *target, m_defaultDurationMinutes, std::nullopt, nullptr);
}

void TrayApp::openRenewForm(const QString &grantId)
{
    for (const auto &g : m_pim->requests()->grants())
        if (g.id == grantId) {
            Ui::RequestDialog::open(m_pim, m_pim->targetFor(g.groupId, g.groupDisplayName, g.access),
                                    m_defaultDurationMinutes, g, nullptr);
            return;
        }
    m_window->showError(tr("That access is no longer active."));
}

void TrayApp::showHistory()
{
    if (!m_historyWindow)
        m_historyWindow = std::make_unique<Ui::HistoryWindow>(m_history.get());
    m_historyWindow->show();
    m_historyWindow->raise();
    m_historyWindow->activateWindow();
}

void TrayApp::showApprovals(const QString &requestId)
{
    if (!m_approvalsWindow)
        m_approvalsWindow = std::make_unique<Ui::ApprovalsWindow>(m_pim);
    m_approvalsWindow->show();
    m_approvalsWindow->raise();
    m_approvalsWindow->activateWindow();
    if (!requestId.isEmpty())
        m_approvalsWindow->selectRequest(requestId);
}

void TrayApp::requestQuit()
{
    if (m_quitting)
        return;
    m_quitting = true;
    if (!m_options.demo) {
        QCoreApplication::quit();
        return;
    }
    // Demo: remove the demo keychain entry before leaving; don't wait forever for the keychain.
    connect(m_session, &Auth::EntraSession::signedOut, qApp, &QCoreApplication::quit);
    QTimer::singleShot(3000, qApp, &QCoreApplication::quit);
    m_session->signOut();
}

} // namespace Elevate::App

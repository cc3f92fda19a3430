// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/config.h"
#include "core/quitonsignals.h"
#include "singleinstance.h"
#include "startupmarks.h"
#include "trayapp.h"
#include "ui/errortext.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    Elevate::App::markStartup("main");
    QApplication::setApplicationName(QStringLiteral("Elevate"));
    QApplication::setOrganizationName(QStringLiteral("Elevate"));
    QApplication::setApplicationVersion(QStringLiteral(ELEVATE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("io.github.elevate.Elevate"));
    QApplication::setQuitOnLastWindowClosed(false);

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Just-in-time AWS access through Entra ID PIM, from the system tray."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"),
                                          QCoreApplication::translate("main", "Use this configuration file."),
                                          QStringLiteral("file"));
    const QCommandLineOption demoOption(
        QStringLiteral("demo"),
        QCoreApplication::translate("main",
                                    "Run against a built-in emulator with demo data; touches none of your "
                                    "real settings, keychain entries or AWS files."));
    const QCommandLineOption demoUserOption(
        QStringLiteral("demo-auto-sign-in"),
        QCoreApplication::translate("main",
                                    "Demo only: sign this emulated user in at once, without a sign-in page."),
        QStringLiteral("upn"));
    parser.addOptions({configOption, demoOption, demoUserOption});
    parser.process(app);

    Elevate::App::TrayApp::Options options;
    options.configPath = parser.value(configOption);
    options.demo = parser.isSet(demoOption);
    options.demoAutoSignIn = parser.value(demoUserOption);
    if (!options.demoAutoSignIn.isEmpty() && !options.demo) {
        QTextStream(stderr) << QCoreApplication::translate(
            "main", "elevate-tray: --demo-auto-sign-in needs --demo\n");
        return 2;
    }

    // One tray per configuration; a second start brings the running one's window up instead.
    // Demo runs are independent of each other and of the real app.
    const QString configKey = options.configPath.isEmpty()
        ? qEnvironmentVariable("ELEVATE_CONFIG", Elevate::Core::AppConfig::defaultPath())
        : QFileInfo(options.configPath).absoluteFilePath();
    Elevate::App::SingleInstance instance(configKey,
                                          QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation));
    if (!options.demo && !instance.claim()) {
        QTextStream(stdout) << QCoreApplication::translate(
            "main", "Elevate is already running; its window is shown.\n");
        return 0;
    }

    Elevate::App::TrayApp trayApp(options);
    QObject::connect(&instance, &Elevate::App::SingleInstance::activationRequested, &trayApp,
                     [&trayApp] { trayApp.showWindow(); });
    const auto started = trayApp.start();
    if (!started.ok()) {
        QTextStream(stderr) << "elevate-tray: "
                            << Elevate::Ui::ErrorText::describe(
                                   QCoreApplication::translate("main", "Start-up"), started.error())
                            << '\n';
        return 1;
    }
    Elevate::Core::quitOnTerminationSignals(&app, [&trayApp] { trayApp.requestQuit(); });
    return app.exec();
}

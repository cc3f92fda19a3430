// SPDX-License-Identifier: GPL-3.0-or-later
// elevate: the command line. Every capability of the tray, scriptable.

#include "cli.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>
#include <QTimer>

using namespace Elevate;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("Elevate"));
    QCoreApplication::setOrganizationName(QStringLiteral("Elevate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ELEVATE_VERSION));
    auto tr = [](const char *s) { return QCoreApplication::translate("elevate", s); };

    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Just-in-time AWS access through Entra ID PIM, from the command line.\n\n"
           "Commands:\n"
           "  login [--device-code] [--login-hint UPN]\n"
           "                          sign in (system browser, or device code)\n"
           "  logout                  sign out and remove Elevate's keychain entries\n"
           "  whoami                  the signed-in account\n"
           "  eligible                the AWS accounts and roles you are eligible for\n\n"
           "Exit codes: 0 ok, 1 service error, 2 usage, 3 configuration, 4 not signed in or sign-in needed,\n"
           "5 network or time-out, 6 keychain, 7 sign-in cancelled or timed out.\n"
           "ELEVATE_BROWSER names a command that opens the sign-in URL (its last argument)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOpt(
        QStringLiteral("config"),
        tr("Configuration file (default: $ELEVATE_CONFIG, then %1).").arg(Core::AppConfig::defaultPath()),
        QStringLiteral("file"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), tr("Print JSON."));
    const QCommandLineOption deviceOpt(QStringLiteral("device-code"), tr("login: use the device-code flow."));
    const QCommandLineOption hintOpt(QStringLiteral("login-hint"),
                                     tr("login: suggest this account (UPN) on the sign-in page."),
                                     QStringLiteral("upn"));
    parser.addOptions({configOpt, jsonOpt, deviceOpt, hintOpt});
    parser.addPositionalArgument(QStringLiteral("command"), tr("login, logout, whoami or eligible"));
    if (!parser.parse(QCoreApplication::arguments())) {
        QTextStream(stderr) << "elevate: " << parser.errorText() << '\n';
        return Cli::ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(Cli::ExitOk);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();

    const QStringList args = parser.positionalArguments();
    static const QStringList commands = {QStringLiteral("login"), QStringLiteral("logout"),
                                         QStringLiteral("whoami"), QStringLiteral("eligible")};
    if (args.size() != 1 || !commands.contains(args.first())) {
        QTextStream(stderr) << "elevate: "
                            << (args.isEmpty()
                                    ? tr("no command given; see `elevate --help`")
                                    : tr("unknown command \"%1\"; see `elevate --help`").arg(args.join(u' ')))
                            << '\n';
        return Cli::ExitUsage;
    }
    const QString command = args.first();
    if ((parser.isSet(deviceOpt) || parser.isSet(hintOpt)) && command != u"login") {
        QTextStream(stderr) << "elevate: " << tr("--device-code and --login-hint apply to login only")
                            << '\n';
        return Cli::ExitUsage;
    }

    QString path = parser.value(configOpt);
    if (path.isEmpty())
        path = qEnvironmentVariable("ELEVATE_CONFIG", Core::AppConfig::defaultPath());
    const auto config = Core::AppConfig::load(path);
    if (!config.ok()) {
        QTextStream(stderr) << "elevate: " << tr("configuration error: %1").arg(config.error().message)
                            << '\n';
        return Cli::ExitConfig;
    }

    Cli::CliApp cli(config.value(), parser.isSet(jsonOpt));
    QTimer::singleShot(0, &cli, [&] {
        if (command == u"login")
            cli.login(parser.isSet(deviceOpt), parser.value(hintOpt));
        else if (command == u"logout")
            cli.logout();
        else if (command == u"whoami")
            cli.whoami();
        else
            cli.eligible();
    });
    return app.exec();
}

// SPDX-License-Identifier: GPL-3.0-or-later
// elevate: the command line. Every capability of the tray, scriptable.

#include "cli.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <QTimer>

using namespace Elevate;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // stderr is for the one line that says what went wrong; progress logging only when asked for
    // (QT_LOGGING_RULES="elevate.*.info=true").
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("elevate.*.info=false"));
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
           "  logout                  sign out; Elevate's AWS profiles and keychain entries go\n"
           "                          too (PIM grants stay active until they end)\n"
           "  whoami                  the signed-in account\n"
           "  eligible                the AWS accounts and roles you are eligible for\n"
           "  request <target> [--duration 1h30m] [--justification TEXT]\n"
           "          [--ticket-system S --ticket N] [--start TIME] [--wait]\n"
           "                          ask PIM for access (checked against the group's policy first)\n"
           "  status                  active access (end time, seconds left) and open requests\n"
           "  cancel <request|target> withdraw a request that waits for approval\n"
           "  deactivate <target> [--justification TEXT]\n"
           "                          end active access early (PIM refuses in its first 5 minutes)\n"
           "  history [--csv]         every request and how it ended\n"
           "  approvals               requests waiting for your approval\n"
           "  approve <request> --justification TEXT\n"
           "  deny <request> --justification TEXT\n"
           "                          decide a request waiting for your approval\n"
           "  aws-login [--device-code] [--fresh]\n"
           "                          sign in to AWS IAM Identity Center, then list your roles; an\n"
           "                          account that cannot be read is named on stderr (exit 0 if any\n"
           "                          account answered, else that error's exit code); --fresh signs out\n"
           "                          of the AWS portal first (when AWS should list a role by now)\n"
           "  console <target> [--print-url]\n"
           "                          open the AWS console for a live grant; --print-url prints the\n"
           "                          sign-in URL instead: a secret, it signs in whoever opens it\n"
           "  env <target>            shell export lines with the role's credentials\n"
           "  profiles                the AWS CLI profiles Elevate keeps for live grants\n"
           "  end-all                 end all access now: deactivate in PIM, remove profiles and cached\n"
           "                          credentials, sign out of AWS\n"
           "  credential-process --account A --role R\n"
           "                          the AWS CLI's credential_process helper (used by the profiles)\n\n"
           "A target is ACCOUNT/ROLE (123456789012/ReadOnlyAccess) or a PIM group name.\n"
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
    const QCommandLineOption freshOpt(QStringLiteral("fresh"),
                                      tr("aws-login: end the AWS portal session and sign in anew."));
    const QCommandLineOption hintOpt(QStringLiteral("login-hint"),
                                     tr("login: suggest this account (UPN) on the sign-in page."),
                                     QStringLiteral("upn"));
    const QCommandLineOption durationOpt(
        QStringLiteral("duration"),
        tr("request: how long, e.g. 1h30m, 45m, 2h or PT2H (default from the "
           "configuration, capped by the group's policy)."),
        QStringLiteral("duration"));
    const QCommandLineOption justificationOpt(
        QStringLiteral("justification"),
        tr("request, deactivate: why you need it; approve, deny: why you decide so."),
        QStringLiteral("text"));
    const QCommandLineOption ticketSystemOpt(QStringLiteral("ticket-system"),
                                             tr("request: the ticket system."), QStringLiteral("system"));
    const QCommandLineOption ticketOpt(QStringLiteral("ticket"), tr("request: the ticket number."),
                                       QStringLiteral("number"));
    const QCommandLineOption startOpt(
        QStringLiteral("start"), tr("request: start later, e.g. 14:30 or 2026-12-01T09:00 (default now)."),
        QStringLiteral("time"));
    const QCommandLineOption waitOpt(QStringLiteral("wait"),
                                     tr("request: wait until the request is granted, denied or ends."));
    const QCommandLineOption csvOpt(QStringLiteral("csv"), tr("history: print CSV."));
    const QCommandLineOption printUrlOpt(
        QStringLiteral("print-url"),
        tr("console: print the sign-in URL instead of opening it (a secret: whoever "
           "opens it within 15 minutes is signed in to the console)."));
    const QCommandLineOption accountOpt(QStringLiteral("account"),
                                        tr("credential-process: the AWS account id."), QStringLiteral("id"));
    const QCommandLineOption roleOpt(
        QStringLiteral("role"), tr("credential-process: the role (permission set)."), QStringLiteral("name"));
    parser.addOptions({configOpt, jsonOpt, deviceOpt, freshOpt, hintOpt, durationOpt, justificationOpt,
                       ticketSystemOpt, ticketOpt, startOpt, waitOpt, csvOpt, printUrlOpt, accountOpt,
                       roleOpt});
    parser.addPositionalArgument(
        QStringLiteral("command"),
        tr("login, logout, whoami, eligible, request, status, cancel, deactivate, history, approvals, "
           "approve, deny, aws-login, console, env, profiles, end-all or credential-process"));
    if (!parser.parse(QCoreApplication::arguments())) {
        QTextStream(stderr) << "elevate: " << parser.errorText() << '\n';
        return Cli::ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(Cli::ExitOk);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();

    const QStringList args = parser.positionalArguments();
    static const QStringList commands
        = {QStringLiteral("login"),     QStringLiteral("logout"),     QStringLiteral("whoami"),
           QStringLiteral("eligible"),  QStringLiteral("request"),    QStringLiteral("status"),
           QStringLiteral("cancel"),    QStringLiteral("deactivate"), QStringLiteral("history"),
           QStringLiteral("approvals"), QStringLiteral("approve"),    QStringLiteral("deny"),
           QStringLiteral("aws-login"), QStringLiteral("console"),    QStringLiteral("env"),
           QStringLiteral("profiles"),  QStringLiteral("end-all"),    QStringLiteral("credential-process")};
    static const QStringList withArgument
        = {QStringLiteral("request"), QStringLiteral("cancel"), QStringLiteral("deactivate"),
           QStringLiteral("approve"), QStringLiteral("deny"),   QStringLiteral("console"),
           QStringLiteral("env")};
    if (!args.isEmpty() && withArgument.contains(args.first()) && args.size() != 2) {
        QTextStream(stderr) << "elevate: "
                            << tr("%1 needs exactly one target; see `elevate --help`").arg(args.first())
                            << '\n';
        return Cli::ExitUsage;
    }
    if (args.isEmpty() || !commands.contains(args.first())
        || (args.size() != 1 && !withArgument.contains(args.first()))) {
        QTextStream(stderr) << "elevate: "
                            << (args.isEmpty()
                                    ? tr("no command given; see `elevate --help`")
                                    : tr("unknown command \"%1\"; see `elevate --help`").arg(args.join(u' ')))
                            << '\n';
        return Cli::ExitUsage;
    }
    const QString command = args.first();
    if ((parser.isSet(deviceOpt) && command != u"login" && command != u"aws-login")
        || (parser.isSet(hintOpt) && command != u"login")) {
        QTextStream(stderr) << "elevate: "
                            << tr("--device-code applies to login and aws-login, --login-hint to login")
                            << '\n';
        return Cli::ExitUsage;
    }
    if ((parser.isSet(printUrlOpt) && command != u"console")
        || (parser.isSet(freshOpt) && command != u"aws-login")
        || ((parser.isSet(accountOpt) || parser.isSet(roleOpt)) && command != u"credential-process")) {
        QTextStream(stderr) << "elevate: "
                            << tr("an option does not apply to %1; see `elevate --help`").arg(command)
                            << '\n';
        return Cli::ExitUsage;
    }
    if (command == u"credential-process" && (!parser.isSet(accountOpt) || !parser.isSet(roleOpt))) {
        QTextStream(stderr) << "elevate: " << tr("credential-process needs --account and --role") << '\n';
        return Cli::ExitUsage;
    }
    const bool requestOptions = parser.isSet(durationOpt) || parser.isSet(ticketSystemOpt)
        || parser.isSet(ticketOpt) || parser.isSet(startOpt) || parser.isSet(waitOpt);
    if ((requestOptions && command != u"request")
        || (parser.isSet(justificationOpt) && command != u"request" && command != u"deactivate"
            && command != u"approve" && command != u"deny")
        || (parser.isSet(csvOpt) && command != u"history")) {
        QTextStream(stderr) << "elevate: "
                            << tr("an option does not apply to %1; see `elevate --help`").arg(command)
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
        else if (command == u"eligible")
            cli.eligible();
        else if (command == u"request")
            cli.request({args.at(1), parser.value(durationOpt), parser.value(justificationOpt),
                         parser.value(ticketSystemOpt), parser.value(ticketOpt), parser.value(startOpt),
                         parser.isSet(waitOpt)});
        else if (command == u"status")
            cli.status();
        else if (command == u"cancel")
            cli.cancel(args.at(1));
        else if (command == u"deactivate")
            cli.deactivate(args.at(1), parser.value(justificationOpt));
        else if (command == u"history")
            cli.history(parser.isSet(csvOpt));
        else if (command == u"approvals")
            cli.approvals();
        else if (command == u"aws-login")
            cli.awsLogin(parser.isSet(deviceOpt), parser.isSet(freshOpt));
        else if (command == u"console")
            cli.console(args.at(1), parser.isSet(printUrlOpt));
        else if (command == u"env")
            cli.env(args.at(1));
        else if (command == u"profiles")
            cli.profiles();
        else if (command == u"end-all")
            cli.endAll();
        else if (command == u"credential-process")
            cli.credentialProcess(parser.value(accountOpt), parser.value(roleOpt));
        else
            cli.decide(args.at(1), command == u"approve", parser.value(justificationOpt));
    });
    return app.exec();
}

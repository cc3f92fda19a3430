// SPDX-License-Identifier: GPL-3.0-or-later
#include "commandline.h"

#include "approvalcommands.h"
#include "awscommands.h"
#include "cli.h"
#include "completion.h"
#include "core/config.h"
#include "pimcommands.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <algorithm>

namespace Elevate::Cli {

QString Invocation::effectiveConfigPath() const
{
    if (!configPath.isEmpty())
        return configPath;
    return qEnvironmentVariable("ELEVATE_CONFIG", Core::AppConfig::defaultPath());
}

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("elevate", text);
}

int printCompletion(const Invocation &i)
{
    const QString script = completionScript(i.argument);
    if (script.isEmpty()) {
        QTextStream(stderr)
            << "elevate: "
            << tr("no completion for \"%1\"; there is one for bash, zsh and fish").arg(i.argument) << '\n';
        return ExitUsage;
    }
    QTextStream(stdout) << script;
    return ExitOk;
}

/// For the completion scripts: one value a line; nothing (and exit 0) when there is nothing to offer.
int printCompletionValues(const Invocation &i)
{
    const auto config = Core::AppConfig::load(i.effectiveConfigPath());
    const QString history = config.ok() ? config.value().effectiveHistoryPath() : QString();
    QTextStream out(stdout);
    for (const QString &value : completionValues(i.argument, history))
        out << value << '\n';
    return ExitOk;
}

int printManPage(const Invocation &)
{
    QTextStream(stdout) << manPage(QCoreApplication::applicationVersion());
    return ExitOk;
}

} // namespace

const std::vector<OptionSpec> &globalOptions()
{
    static const std::vector<OptionSpec> options = {
        {"config", "file",
         QT_TRANSLATE_NOOP("elevate", "Configuration file (default: $ELEVATE_CONFIG, then %1).")},
        {"json", nullptr, QT_TRANSLATE_NOOP("elevate", "Print JSON.")},
    };
    return options;
}

const std::vector<OptionSpec> &commandOptions()
{
    static const std::vector<OptionSpec> options = {
        {"device-code", nullptr, QT_TRANSLATE_NOOP("elevate", "use the device-code flow.")},
        {"login-hint", "upn",
         QT_TRANSLATE_NOOP("elevate", "suggest this account (UPN) on the sign-in page.")},
        {"fresh", nullptr, QT_TRANSLATE_NOOP("elevate", "end the AWS portal session and sign in anew.")},
        {"duration", "duration",
         QT_TRANSLATE_NOOP("elevate",
                           "how long, e.g. 1h30m, 45m, 2h or PT2H (default from the configuration, "
                           "capped by the group's policy).")},
        {"justification", "text",
         QT_TRANSLATE_NOOP("elevate", "why you need the access or end it, or why you decide a request so.")},
        {"ticket-system", "system", QT_TRANSLATE_NOOP("elevate", "the ticket system.")},
        {"ticket", "number", QT_TRANSLATE_NOOP("elevate", "the ticket number.")},
        {"start", "time",
         QT_TRANSLATE_NOOP("elevate", "start later, e.g. 14:30 or 2026-12-01T09:00 (default now).")},
        {"wait", nullptr, QT_TRANSLATE_NOOP("elevate", "wait until the request is granted, denied or ends.")},
        {"csv", nullptr, QT_TRANSLATE_NOOP("elevate", "print CSV.")},
        {"print-url", nullptr,
         QT_TRANSLATE_NOOP("elevate",
                           "print the sign-in URL instead of opening it (a secret: whoever opens it "
                           "within 15 minutes is signed in to the console).")},
        {"account", "id", QT_TRANSLATE_NOOP("elevate", "the AWS account id.")},
        {"role", "name", QT_TRANSLATE_NOOP("elevate", "the role (permission set).")},
    };
    return options;
}

const std::vector<CommandSpec> &commands()
{
    static const std::vector<CommandSpec> table = {
        {"login",
         nullptr,
         {"device-code", "login-hint"},
         {},
         QT_TRANSLATE_NOOP("elevate", "Sign in (system browser, or device code)."),
         [](CliApp &app, const Invocation &i) {
             app.pimCommands().login(i.isSet("device-code"), i.value("login-hint"));
         }},
        {"logout",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate",
                           "Sign out; Elevate's AWS profiles and keychain entries go too (PIM "
                           "grants stay active until they end)."),
         [](CliApp &app, const Invocation &) { app.pimCommands().logout(); }},
        {"whoami",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "The signed-in account."),
         [](CliApp &app, const Invocation &) { app.pimCommands().whoami(); }},
        {"eligible",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "The AWS accounts and roles you are eligible for."),
         [](CliApp &app, const Invocation &) { app.pimCommands().eligible(); }},
        {"request",
         "target",
         {"duration", "justification", "ticket-system", "ticket", "start", "wait"},
         {},
         QT_TRANSLATE_NOOP("elevate", "Ask PIM for access (checked against the group's policy first)."),
         [](CliApp &app, const Invocation &i) {
             app.pimCommands().request({i.argument, i.value("duration"), i.value("justification"),
                                        i.value("ticket-system"), i.value("ticket"), i.value("start"),
                                        i.isSet("wait")});
         }},
        {"status",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "Active access (end time, seconds left) and open requests."),
         [](CliApp &app, const Invocation &) { app.pimCommands().status(); }},
        {"cancel",
         "request|target",
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "Withdraw a request that waits for approval."),
         [](CliApp &app, const Invocation &i) { app.pimCommands().cancel(i.argument); }},
        {"deactivate",
         "target",
         {"justification"},
         {},
         QT_TRANSLATE_NOOP("elevate", "End active access early (PIM refuses in its first 5 minutes)."),
         [](CliApp &app, const Invocation &i) {
             app.pimCommands().deactivate(i.argument, i.value("justification"));
         }},
        {"history",
         nullptr,
         {"csv"},
         {},
         QT_TRANSLATE_NOOP("elevate", "Every request and how it ended."),
         [](CliApp &app, const Invocation &i) { app.pimCommands().history(i.isSet("csv")); }},
        {"approvals",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "Requests waiting for your approval."),
         [](CliApp &app, const Invocation &) { app.approvalCommands().approvals(); }},
        {"approve",
         "request",
         {"justification"},
         {"justification"},
         QT_TRANSLATE_NOOP("elevate", "Approve a request waiting for your approval."),
         [](CliApp &app, const Invocation &i) {
             app.approvalCommands().decide(i.argument, true, i.value("justification"));
         }},
        {"deny",
         "request",
         {"justification"},
         {"justification"},
         QT_TRANSLATE_NOOP("elevate", "Deny a request waiting for your approval."),
         [](CliApp &app, const Invocation &i) {
             app.approvalCommands().decide(i.argument, false, i.value("justification"));
         }},
        {"aws-login",
         nullptr,
         {"device-code", "fresh"},
         {},
         QT_TRANSLATE_NOOP("elevate",
                           "Sign in to AWS IAM Identity Center, then list your roles; an account that cannot "
                           "be read is named on stderr (exit 0 if any account answered, else that error's "
                           "exit code); --fresh signs out of the AWS portal first (when AWS should list a "
                           "role by now)."),
         [](CliApp &app, const Invocation &i) {
             app.awsCommands().awsLogin(i.isSet("device-code"), i.isSet("fresh"));
         }},
        {"console",
         "target",
         {"print-url"},
         {},
         QT_TRANSLATE_NOOP("elevate",
                           "Open the AWS console for a live grant; --print-url prints the sign-in "
                           "URL instead: a secret, it signs in whoever opens it."),
         [](CliApp &app, const Invocation &i) {
             app.awsCommands().console(i.argument, i.isSet("print-url"));
         }},
        {"env",
         "target",
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "Shell export lines with the role's credentials."),
         [](CliApp &app, const Invocation &i) { app.awsCommands().env(i.argument); }},
        {"profiles",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate", "The AWS CLI profiles Elevate keeps for live grants."),
         [](CliApp &app, const Invocation &) { app.awsCommands().profiles(); }},
        {"end-all",
         nullptr,
         {},
         {},
         QT_TRANSLATE_NOOP("elevate",
                           "End all access now: deactivate in PIM, remove profiles and cached "
                           "credentials, sign out of AWS."),
         [](CliApp &app, const Invocation &) { app.awsCommands().endAll(); }},
        {"credential-process",
         nullptr,
         {"account", "role"},
         {"account", "role"},
         QT_TRANSLATE_NOOP("elevate", "The AWS CLI's credential_process helper (used by the profiles)."),
         [](CliApp &app, const Invocation &i) {
             app.awsCommands().credentialProcess(i.value("account"), i.value("role"));
         }},
        {"completion",
         "shell",
         {},
         {},
         QT_TRANSLATE_NOOP("elevate",
                           "Print the completion script for bash, zsh or fish, e.g. `source <(elevate "
                           "completion bash)`."),
         nullptr,
         &printCompletion},
        {"__complete",
         "kind",
         {},
         {},
         "The values an argument may take, from the local history.",
         nullptr,
         &printCompletionValues,
         true},
        {"__man", nullptr, {}, {}, "The man page elevate(1).", nullptr, &printManPage, true},
    };
    return table;
}

const CommandSpec *findCommand(const QString &name)
{
    for (const CommandSpec &c : commands())
        if (name == QLatin1String(c.name))
            return &c;
    return nullptr;
}

const OptionSpec *findOption(const QString &name)
{
    for (const auto *list : {&globalOptions(), &commandOptions()})
        for (const OptionSpec &o : *list)
            if (name == QLatin1String(o.name))
                return &o;
    return nullptr;
}

namespace {

bool applies(const CommandSpec &command, const char *option)
{
    return std::any_of(command.options.cbegin(), command.options.cend(),
                       [option](const char *o) { return qstrcmp(o, option) == 0; });
}

/// The commands an option applies to, "a, b, c".
QString commandsTaking(const char *option)
{
    QStringList names;
    for (const CommandSpec &c : commands())
        if (applies(c, option))
            names << QLatin1String(c.name);
    return names.join(QStringLiteral(", "));
}

QString optionHelp(const OptionSpec &o)
{
    QString text = tr(o.help);
    if (qstrcmp(o.name, "config") == 0)
        text = text.arg(Core::AppConfig::defaultPath());
    return text;
}

/// `text` wrapped at `width` columns, the first line indented by `indent`, the others by `hanging`.
QString wrapped(const QString &text, int indent, int hanging, int width)
{
    QString result;
    QString line;
    QString pad(indent, u' ');
    for (const QString &word : text.split(u' ', Qt::SkipEmptyParts)) {
        if (!line.isEmpty() && pad.size() + line.size() + 1 + word.size() > width) {
            result += pad + line + u'\n';
            line.clear();
            pad = QString(hanging, u' ');
        }
        line += (line.isEmpty() ? QString() : QStringLiteral(" ")) + word;
    }
    if (!line.isEmpty())
        result += pad + line + u'\n';
    return result;
}

QString optionUsage(const OptionSpec &o)
{
    QString text = QStringLiteral("--") + QLatin1String(o.name);
    if (o.valueName)
        text += QStringLiteral(" <") + QLatin1String(o.valueName) + u'>';
    return text;
}

QString commandsDescription()
{
    QString text = tr("Just-in-time AWS access through Entra ID PIM, from the command line.") + u"\n\n"
        + tr("Commands:") + u'\n';
    for (const CommandSpec &c : commands()) {
        if (c.hidden)
            continue;
        text += wrapped(synopsis(c), 2, 6, 100);
        text += wrapped(tr(c.help), 8, 8, 100);
    }
    text += u'\n'
        + tr("A target is ACCOUNT/ROLE (123456789012/ReadOnlyAccess) or a PIM group name.\n"
             "Exit codes: 0 ok, 1 service error, 2 usage, 3 configuration, 4 not signed in or sign-in "
             "needed,\n"
             "5 network or time-out, 6 keychain, 7 sign-in cancelled or timed out.\n"
             "ELEVATE_BROWSER names a command that opens the sign-in URL (its last argument).");
    return text;
}

/// The parser for the whole table: every option once, described with the commands it applies to.
/// The table's options for `parser`; with `forHelp` also every text --help shows (only parsing, every
/// run of `elevate` does, needs none of it).
void describe(QCommandLineParser &parser, bool forHelp)
{
    if (forHelp)
        parser.setApplicationDescription(commandsDescription());
    parser.addHelpOption();
    parser.addVersionOption();
    for (const OptionSpec &o : globalOptions()) {
        QCommandLineOption option(QLatin1String(o.name), forHelp ? optionHelp(o) : QString());
        if (o.valueName)
            option.setValueName(QLatin1String(o.valueName));
        parser.addOption(option);
    }
    for (const OptionSpec &o : commandOptions()) {
        QCommandLineOption option(QLatin1String(o.name),
                                  forHelp ? tr("%1: %2").arg(commandsTaking(o.name), optionHelp(o))
                                          : QString());
        if (o.valueName)
            option.setValueName(QLatin1String(o.valueName));
        parser.addOption(option);
    }
    if (!forHelp)
        return;
    QStringList names;
    for (const CommandSpec &c : commands())
        if (!c.hidden)
            names << QLatin1String(c.name);
    parser.addPositionalArgument(QStringLiteral("command"), names.join(QStringLiteral(", ")),
                                 QStringLiteral("command [argument]"));
}

} // namespace

QString synopsis(const CommandSpec &command)
{
    QString text = QLatin1String(command.name);
    if (command.argument)
        text += QStringLiteral(" <") + QLatin1String(command.argument) + u'>';
    for (const char *name : command.options) {
        const OptionSpec *o = findOption(QLatin1String(name));
        const bool required = std::any_of(command.required.cbegin(), command.required.cend(),
                                          [name](const char *r) { return qstrcmp(r, name) == 0; });
        text += u' ' + (required ? optionUsage(*o) : u'[' + optionUsage(*o) + u']');
    }
    return text;
}

QString helpText()
{
    QCommandLineParser parser;
    describe(parser, true);
    return parser.helpText();
}

ParseResult parseCommandLine(const QStringList &arguments)
{
    ParseResult result;
    QCommandLineParser parser;
    describe(parser, false);
    const QString seeHelp = tr("see `elevate --help`");
    if (!parser.parse(arguments)) {
        result.error = parser.errorText();
        return result;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        result.action = ParseResult::Action::Help;
        return result;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        result.action = ParseResult::Action::Version;
        return result;
    }
    const QStringList args = parser.positionalArguments();
    if (args.isEmpty()) {
        result.error = tr("no command given; %1").arg(seeHelp);
        return result;
    }
    const CommandSpec *command = findCommand(args.first());
    if (!command) {
        result.error = tr("unknown command \"%1\"; %2").arg(args.first(), seeHelp);
        return result;
    }
    const int wanted = command->argument ? 1 : 0;
    if (args.size() - 1 != wanted) {
        result.error = command->argument
            ? tr("%1 needs exactly one %2; %3").arg(args.first(), QLatin1String(command->argument), seeHelp)
            : tr("%1 takes no argument, not \"%2\"; %3").arg(args.first(), args.mid(1).join(u' '), seeHelp);
        return result;
    }
    Invocation &inv = result.invocation;
    inv.command = args.first();
    inv.argument = args.value(1);
    inv.configPath = parser.value(QStringLiteral("config"));
    inv.json = parser.isSet(QStringLiteral("json"));
    for (const OptionSpec &o : commandOptions()) {
        const QString name = QLatin1String(o.name);
        if (!parser.isSet(name))
            continue;
        if (!applies(*command, o.name)) {
            result.error = tr("--%1 does not apply to %2 (it applies to %3); %4")
                               .arg(name, inv.command, commandsTaking(o.name), seeHelp);
            return result;
        }
        inv.flags.insert(name);
        if (o.valueName)
            inv.values.insert(name, parser.value(name));
    }
    QStringList missing;
    for (const char *r : command->required)
        if (!inv.isSet(QLatin1String(r)))
            missing << QStringLiteral("--") + QLatin1String(r);
    if (!missing.isEmpty()) {
        const QString last = missing.takeLast();
        const QString list
            = missing.isEmpty() ? last : tr("%1 and %2").arg(missing.join(QStringLiteral(", ")), last);
        result.error = tr("%1 needs %2; %3").arg(inv.command, list, seeHelp);
        return result;
    }
    result.action = ParseResult::Action::Run;
    return result;
}

} // namespace Elevate::Cli

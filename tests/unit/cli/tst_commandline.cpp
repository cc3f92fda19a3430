// SPDX-License-Identifier: GPL-3.0-or-later
#include "commandline.h"

#include <QSet>
#include <QTest>

using namespace Elevate::Cli;

class TestCommandLine : public QObject
{
    Q_OBJECT

private:
    static ParseResult parse(QStringList args)
    {
        args.prepend(QStringLiteral("elevate"));
        return parseCommandLine(args);
    }

private Q_SLOTS:
    void theTableIsConsistent()
    {
        QSet<QString> names;
        for (const CommandSpec &c : commands()) {
            const QString name = QLatin1String(c.name);
            QVERIFY2(!names.contains(name), qPrintable(name));
            names.insert(name);
            QVERIFY2(bool(c.run) != bool(c.runLocal), c.name); // one way to run, not two
            QVERIFY2(c.help && *c.help, c.name);
            for (const char *o : c.options) {
                const OptionSpec *option = findOption(QLatin1String(o));
                QVERIFY2(option, o);
                // A command's own options never include a global one.
                QVERIFY2(std::none_of(globalOptions().cbegin(), globalOptions().cend(),
                                      [o](const OptionSpec &g) { return qstrcmp(g.name, o) == 0; }),
                         o);
            }
            for (const char *r : c.required)
                QVERIFY2(std::any_of(c.options.cbegin(), c.options.cend(),
                                     [r](const char *o) { return qstrcmp(o, r) == 0; }),
                         r);
        }
        QCOMPARE(names.size(), 21);
        // Every command option is used by some command.
        for (const OptionSpec &o : commandOptions())
            QVERIFY2(std::any_of(commands().cbegin(), commands().cend(),
                                 [&o](const CommandSpec &c) {
                                     return std::any_of(
                                         c.options.cbegin(), c.options.cend(),
                                         [&o](const char *n) { return qstrcmp(n, o.name) == 0; });
                                 }),
                     o.name);
    }

    void helpNamesEveryCommandAndOption()
    {
        const QString help = helpText();
        for (const CommandSpec &c : commands()) {
            if (c.hidden) {
                QVERIFY2(!help.contains(QLatin1String(c.name)), c.name);
                continue;
            }
            // The synopsis may wrap; its first word and argument are on the command's line.
            QString first = QStringLiteral("\n  ") + QLatin1String(c.name);
            if (c.argument)
                first += QStringLiteral(" <") + QLatin1String(c.argument) + u'>';
            QVERIFY2(help.contains(first), c.name);
        }
        for (const auto *list : {&globalOptions(), &commandOptions()})
            for (const OptionSpec &o : *list)
                QVERIFY2(help.contains(QStringLiteral("--") + QLatin1String(o.name)), o.name);
        QVERIFY(help.contains(QStringLiteral("credential-process --account <id> --role <name>")));
        QVERIFY(help.contains(QStringLiteral("aws-login [--device-code] [--fresh]")));
        // An option's help names the commands it applies to.
        QVERIFY(help.contains(QStringLiteral("login, aws-login: use the device-code flow")));
        QVERIFY(help.contains(QStringLiteral("Exit codes: 0 ok")));
        for (const QString &line : help.split(u'\n'))
            QVERIFY2(line.size() <= 100, qPrintable(line));
    }

    void synopsisMarksRequiredOptions()
    {
        QCOMPARE(synopsis(*findCommand(QStringLiteral("approve"))),
                 QStringLiteral("approve <request> --justification <text>"));
        QCOMPARE(synopsis(*findCommand(QStringLiteral("history"))), QStringLiteral("history [--csv]"));
        QCOMPARE(synopsis(*findCommand(QStringLiteral("status"))), QStringLiteral("status"));
    }

    void parsesACommandWithItsOptions()
    {
        const ParseResult r
            = parse({QStringLiteral("--config"), QStringLiteral("c.json"), QStringLiteral("request"),
                     QStringLiteral("123456789012/Admin"), QStringLiteral("--duration=1h30m"),
                     QStringLiteral("--justification"), QStringLiteral("deploy fix"),
                     QStringLiteral("--ticket-system"), QStringLiteral("Jira"), QStringLiteral("--ticket"),
                     QStringLiteral("OPS-1"), QStringLiteral("--wait"), QStringLiteral("--json")});
        QCOMPARE(r.action, ParseResult::Action::Run);
        QVERIFY(r.error.isEmpty());
        const Invocation &i = r.invocation;
        QCOMPARE(i.command, QStringLiteral("request"));
        QCOMPARE(i.argument, QStringLiteral("123456789012/Admin"));
        QCOMPARE(i.configPath, QStringLiteral("c.json"));
        QVERIFY(i.json);
        QCOMPARE(i.value("duration"), QStringLiteral("1h30m"));
        QCOMPARE(i.value("justification"), QStringLiteral("deploy fix"));
        QCOMPARE(i.value("ticket-system"), QStringLiteral("Jira"));
        QCOMPARE(i.value("ticket"), QStringLiteral("OPS-1"));
        QVERIFY(i.isSet("wait"));
        QVERIFY(!i.isSet("start"));
        QVERIFY(i.value("start").isEmpty());
    }

    void everyCommandParsesWithItsArgumentAndRequiredOptions()
    {
        for (const CommandSpec &c : commands()) {
            QStringList args {QLatin1String(c.name)};
            if (c.argument)
                args << QStringLiteral("x");
            for (const char *r : c.required)
                args << QStringLiteral("--") + QLatin1String(r) << QStringLiteral("v");
            const ParseResult r = parse(args);
            QVERIFY2(r.action == ParseResult::Action::Run,
                     qPrintable(QLatin1String(c.name) + u": " + r.error));
            QCOMPARE(findCommand(r.invocation.command), &c);
        }
    }

    void refusesWhatTheTableDoesNotAllow_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::newRow("nothing") << QStringList {} << QStringLiteral("no command given");
        QTest::newRow("unknown") << QStringList {QStringLiteral("frobnicate")}
                                 << QStringLiteral("unknown command \"frobnicate\"");
        QTest::newRow("missing target")
            << QStringList {QStringLiteral("request")} << QStringLiteral("request needs exactly one target");
        QTest::newRow("two targets") << QStringList {QStringLiteral("env"), QStringLiteral("a"),
                                                     QStringLiteral("b")}
                                     << QStringLiteral("env needs exactly one target");
        QTest::newRow("argument to whoami") << QStringList {QStringLiteral("whoami"), QStringLiteral("me")}
                                            << QStringLiteral("whoami takes no argument");
        QTest::newRow("device code on whoami")
            << QStringList {QStringLiteral("whoami"), QStringLiteral("--device-code")}
            << QStringLiteral("--device-code does not apply to whoami (it applies to login, aws-login)");
        QTest::newRow("fresh on profiles")
            << QStringList {QStringLiteral("profiles"), QStringLiteral("--fresh")}
            << QStringLiteral("--fresh does not apply to profiles");
        QTest::newRow("csv on status") << QStringList {QStringLiteral("status"), QStringLiteral("--csv")}
                                       << QStringLiteral("--csv does not apply to status");
        QTest::newRow("wait on cancel")
            << QStringList {QStringLiteral("cancel"), QStringLiteral("r1"), QStringLiteral("--wait")}
            << QStringLiteral("--wait does not apply to cancel");
        QTest::newRow("credential-process without role")
            << QStringList {QStringLiteral("credential-process"), QStringLiteral("--account"),
                            QStringLiteral("1")}
            << QStringLiteral("credential-process needs --role");
        QTest::newRow("credential-process without both") << QStringList {QStringLiteral("credential-process")}
                                                         << QStringLiteral("needs --account and --role");
        QTest::newRow("approve without justification")
            << QStringList {QStringLiteral("approve"), QStringLiteral("r1")}
            << QStringLiteral("approve needs --justification");
        QTest::newRow("deny without a request")
            << QStringList {QStringLiteral("deny"), QStringLiteral("--justification"), QStringLiteral("x")}
            << QStringLiteral("deny needs exactly one request");
        QTest::newRow("unknown option")
            << QStringList {QStringLiteral("status"), QStringLiteral("--bogus")} << QStringLiteral("bogus");
        QTest::newRow("value missing")
            << QStringList {QStringLiteral("request"), QStringLiteral("t"), QStringLiteral("--duration")}
            << QStringLiteral("duration");
    }

    void refusesWhatTheTableDoesNotAllow()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        const ParseResult r = parse(args);
        QCOMPARE(r.action, ParseResult::Action::Usage);
        QVERIFY2(r.error.contains(error), qPrintable(r.error));
    }

    void helpAndVersionWinOverACommand()
    {
        QCOMPARE(parse({QStringLiteral("request"), QStringLiteral("--help")}).action,
                 ParseResult::Action::Help);
        QCOMPARE(parse({QStringLiteral("--version")}).action, ParseResult::Action::Version);
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"

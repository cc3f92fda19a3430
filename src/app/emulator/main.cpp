// SPDX-License-Identifier: GPL-3.0-or-later
// elevate-emulator: runs the emulator of Entra ID, Graph PIM and IAM Identity Center on its own, for
// scripts and demos.

#include "core/quitonsignals.h"
#include "emulator/emulator.h"
#include "emulator/generate.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSaveFile>
#include <QTextStream>

namespace {
int fail(const QString &message, int code)
{
    QTextStream(stderr) << "elevate-emulator: " << message << '\n';
    return code;
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("elevate-emulator"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A local emulator of Entra ID, Microsoft Graph PIM for Groups and AWS IAM Identity Center (with\n"
        "the SCIM sync between them), for Elevate's tests and demos. Not Microsoft, not AWS. The first\n"
        "line on stdout is the base URL it listens on.\n"
        "\n"
        "Admin endpoints (JSON bodies):\n"
        "  GET    /_emulator/state            users, eligibilities, grants (live activations), requests\n"
        "                                     (PIM requests with decisions and their approval stage),\n"
        "                                     httpRequests, tokens, now; aws (scimDelaySeconds,\n"
        "                                     assignments, memberships, credentials, sign-in tokens)\n"
        "  POST   /_emulator/clock/advance    {\"seconds\": N}; activations expire, scheduled ones start "
        "and\n"
        "                                     approvals lapse (24 h) on the emulator's clock\n"
        "  POST   /_emulator/auto-sign-in     {\"user\": \"upn\"} (empty: show the sign-in page)\n"
        "  POST   /_emulator/decide           {\"request\": \"id\", \"decision\": \"Approve\"|\"Deny\",\n"
        "                                      \"approver\": \"upn\", \"justification\": \"text\"}\n"
        "                                     (as that approver's PATCH of the approval stage would;\n"
        "                                     no approver: the first one who is not the requester)\n"
        "  POST   /_emulator/settings         {\"pimErrorShape\": \"wrapped\"|\"plain\",\n"
        "                                      \"approvalTimeoutStatus\": \"TimedOut\"|\"Canceled\", "
        "\"graphPageSize\": N,\n"
        "                                      \"scimDelaySeconds\": N,\n"
        "                                      \"portalRateLimit\": {\"requests\": N, \"perSeconds\": S},\n"
        "                                      \"replicationLagSeconds\": S, \"enumCasing\": "
        "\"camel\"|\"pascal\",\n"
        "                                      \"filterOr\": true|false, \"approvalInitializingSeconds\": "
        "S,\n"
        "                                      \"policyReadForbidden\": [groupId], \"groupExpandNull\": "
        "[groupId]}\n"
        "                                     (answers with every setting in force; see the README)\n"
        "  POST   /_emulator/faults           {\"path\": \"substring\", \"method\": \"POST\", \"status\": "
        "429,\n"
        "                                      \"retryAfter\": \"2.5\", \"delayMs\": 0, \"body\": \"raw\",\n"
        "                                      \"malformed\": false, \"drop\": false, \"partial\": false,\n"
        "                                      \"when\": \"before\"|\"after\", \"count\": 1,\n"
        "                                      \"headers\": {\"Name\": \"value\"|[\"v1\", \"v2\"]},\n"
        "                                      \"oauthError\": \"temporarily_unavailable\", \"claims\": "
        "\"{...}\"}\n"
        "                                     (or an array). A fault with status or drop replaces the "
        "answer:\n"
        "                                     \"before\" without processing the request, \"after\" once it "
        "was\n"
        "                                     processed (the answer is lost). Otherwise the real answer is\n"
        "                                     delayed, truncated (malformed) or given another body. drop\n"
        "                                     closes without answering; partial sends half an answer first.\n"
        "  GET    /_emulator/faults           the faults not used up yet\n"
        "  DELETE /_emulator/faults           clears them\n"
        "Every answer carries a Date header from the emulator's clock.\n"
        "\n"
        "IAM Identity Center is served at the root of the base URL (OIDC /client/register,\n"
        "/device_authorization, /token, /authorize; portal /assignment/..., /federation/credentials,\n"
        "/logout; console /federation; access portal /aws/start). The AWS CLI 2.9 reaches it through\n"
        "endpoint rule sets: see --aws-data-path."));
    parser.addHelpOption();
    const QCommandLineOption listenOpt(QStringLiteral("listen"),
                                       QStringLiteral("Listen on HOST:PORT (port 0 = any)."),
                                       QStringLiteral("host:port"), QStringLiteral("127.0.0.1:0"));
    const QCommandLineOption remoteOpt(
        QStringLiteral("allow-remote"),
        QStringLiteral("Allow --listen on an address other hosts can reach (its state endpoint lists every "
                       "token it issued)."));
    const QCommandLineOption scenarioOpt(
        QStringLiteral("scenario"), QStringLiteral("Load this scenario file instead of the built-in demo."),
        QStringLiteral("file"));
    const QCommandLineOption generateOpt(
        QStringLiteral("generate-scenario"),
        QStringLiteral("Load a scenario generated from SPEC instead of the built-in demo: key=value pairs "
                       "joined by commas, eligibilities=N (1-20000) and accounts=M (1-5000, at least N/10) "
                       "required, approvers=K (2; 0-100), users=U (1; 1-1000), assignments=A (0; 0-M), "
                       "pageSize=P (1-999) and portalRate=R (1-100000) optional. The demo's tenant, app and "
                       "first user stay."),
        QStringLiteral("spec"));
    const QCommandLineOption writeScenarioOpt(
        QStringLiteral("write-scenario"),
        QStringLiteral(
            "Write the scenario (generated, from --scenario, or the built-in demo) to FILE and exit "
            "without listening."),
        QStringLiteral("file"));
    const QCommandLineOption autoOpt(
        QStringLiteral("auto-sign-in"),
        QStringLiteral("Sign this user (UPN) in without a page; a request's login_hint "
                       "naming another scenario user wins."),
        QStringLiteral("upn"));
    const QCommandLineOption pageOpt(QStringLiteral("page-size"), QStringLiteral("Graph page size."),
                                     QStringLiteral("n"));
    const QCommandLineOption configOpt(
        QStringLiteral("write-config"),
        QStringLiteral("Write an Elevate configuration for this emulator to FILE."), QStringLiteral("file"));
    const QCommandLineOption bridgeConfigOpt(
        QStringLiteral("write-bridge-config"),
        QStringLiteral("Write an elevate-bridge configuration for this emulator to FILE (mode 0600): the "
                       "scenario's first application as the bridge, its secret in FILE's directory as "
                       "<base name>.secret (0600; the built-in scenario's secret is new at every start), "
                       "state in <base name>.sqlite, polling every 10 s. Existing files are replaced."),
        QStringLiteral("file"));
    const QCommandLineOption awsDataOpt(
        QStringLiteral("aws-data-path"),
        QStringLiteral("Write the AWS CLI's endpoint rule sets for sso and sso-oidc under DIR, so that "
                       "AWS_DATA_PATH=DIR aws ... talks to this emulator."),
        QStringLiteral("dir"));
    const QCommandLineOption scimOpt(
        QStringLiteral("scim-delay"),
        QStringLiteral("Seconds from a PIM activation to its role in Identity Center (default: the "
                       "scenario's)."),
        QStringLiteral("seconds"));
    const QCommandLineOption profileOpt(
        QStringLiteral("profile"),
        QStringLiteral("realistic: as awkward as the real services (replication lag 3 s, enums in the docs' "
                       "PascalCase, no `or` in $filter, approval stages Initializing for 2 s); friendly: "
                       "answers at once. Default: ELEVATE_EMULATOR_PROFILE, else friendly. The scenario's "
                       "settings override it."),
        QStringLiteral("realistic|friendly"));
    parser.addOptions({listenOpt, remoteOpt, scenarioOpt, generateOpt, writeScenarioOpt, autoOpt, pageOpt,
                       configOpt, bridgeConfigOpt, awsDataOpt, scimOpt, profileOpt});
    parser.process(app);

    Elevate::Emulator::Emulator emulator;
    QString error;
    if (parser.isSet(profileOpt) && !emulator.setProfile(parser.value(profileOpt)))
        return fail(QStringLiteral("--profile is realistic or friendly"), 2);
    if (parser.isSet(scenarioOpt) && parser.isSet(generateOpt))
        return fail(QStringLiteral("--scenario and --generate-scenario cannot be used together"), 2);
    if (parser.isSet(writeScenarioOpt))
        for (const QCommandLineOption *o : {&configOpt, &bridgeConfigOpt, &awsDataOpt})
            if (parser.isSet(*o))
                return fail(QStringLiteral("--write-scenario exits without listening, so --%1 cannot be used "
                                           "with it")
                                .arg(o->names().constFirst()),
                            2);
    QByteArray scenario;
    if (parser.isSet(scenarioOpt)) {
        QFile f(parser.value(scenarioOpt));
        if (!f.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read %1: %2").arg(f.fileName(), f.errorString()), 2);
        scenario = f.readAll();
        if (!emulator.loadScenario(scenario, &error))
            return fail(QStringLiteral("%1: %2").arg(f.fileName(), error), 2);
    } else if (parser.isSet(generateOpt)) {
        const Elevate::Emulator::GeneratedScenario generated
            = Elevate::Emulator::generateScenario(parser.value(generateOpt));
        if (!generated.ok())
            return fail(QStringLiteral("--generate-scenario: %1").arg(generated.error), 2);
        scenario = generated.json;
        if (!emulator.loadScenario(scenario, &error))
            return fail(QStringLiteral("the generated scenario does not load: %1").arg(error), 1);
    } else {
        scenario = Elevate::Emulator::Emulator::builtInScenario();
        if (!emulator.loadScenario(scenario))
            return fail(QStringLiteral("the built-in scenario does not load"), 1);
    }
    if (parser.isSet(writeScenarioOpt)) {
        QSaveFile f(parser.value(writeScenarioOpt));
        if (!f.open(QIODevice::WriteOnly) || f.write(scenario) != scenario.size() || !f.commit())
            return fail(QStringLiteral("cannot write %1: %2").arg(f.fileName(), f.errorString()), 1);
        return 0;
    }
    if (parser.isSet(pageOpt)) {
        bool ok = false;
        const int n = parser.value(pageOpt).toInt(&ok);
        if (!ok || n < 1)
            return fail(QStringLiteral("--page-size needs a positive number"), 2);
        emulator.setPageSize(n);
    }
    if (parser.isSet(scimOpt)) {
        bool ok = false;
        const qint64 n = parser.value(scimOpt).toLongLong(&ok);
        if (!ok || n < 0)
            return fail(QStringLiteral("--scim-delay needs a number of seconds"), 2);
        emulator.setScimDelay(n);
    }
    emulator.setAutoSignIn(parser.value(autoOpt));

    const QString listen = parser.value(listenOpt);
    const int colon = listen.lastIndexOf(u':');
    bool portOk = false;
    const int port = listen.mid(colon + 1).toInt(&portOk);
    QString host = listen.left(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    const QHostAddress address(host == u"localhost" ? QStringLiteral("127.0.0.1") : host);
    if (colon < 0 || !portOk || port < 0 || port > 65535 || address.isNull())
        return fail(QStringLiteral("--listen needs HOST:PORT, e.g. 127.0.0.1:0"), 2);
    if (!address.isLoopback() && !parser.isSet(remoteOpt))
        return fail(QStringLiteral("--listen %1 can be reached from other hosts, and the emulator's state "
                                   "endpoint lists every token it issued; use a loopback address, or add "
                                   "--allow-remote")
                        .arg(listen),
                    2);
    if (!emulator.listen(address, quint16(port), &error))
        return fail(error, 1);

    if (parser.isSet(configOpt)) {
        QFile f(parser.value(configOpt));
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(emulator.configJson()) < 0)
            return fail(QStringLiteral("cannot write %1: %2").arg(f.fileName(), f.errorString()), 1);
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    }
    if (parser.isSet(bridgeConfigOpt) && !emulator.writeBridgeConfig(parser.value(bridgeConfigOpt), &error))
        return fail(error, 1);
    if (parser.isSet(awsDataOpt) && !emulator.writeAwsCliEndpointRules(parser.value(awsDataOpt), &error))
        return fail(error, 1);
    QTextStream out(stdout);
    out << emulator.baseUrl().toString() << Qt::endl;
    if (parser.isSet(awsDataOpt)) {
        const QString base = emulator.baseUrl().toString();
        out << "AWS CLI: export AWS_DATA_PATH=" << QDir(parser.value(awsDataOpt)).absolutePath()
            << " and use /usr/bin/aws (2.9) with\n"
            << "  [sso-session emu]\n  sso_start_url = " << base << "/aws/start\n"
            << "  sso_region = eu-central-1\n  sso_registration_scopes = sso:account:access\n"
            << "  (aws sso login --sso-session emu --no-browser; the page is " << base << "/aws/device)"
            << Qt::endl;
    }

    Elevate::Core::quitOnTerminationSignals(&app);
    return app.exec();
}

// SPDX-License-Identifier: GPL-3.0-or-later
// elevate-bridge: the headless service an organisation runs once per tenant. It watches PIM
// activations of the groups that map to AWS and provisions each new (and each ended) member on demand,
// so that a grant is usable in AWS within a minute instead of at the next 40-minute SCIM cycle.
//
// The composition root: it reads the configuration and the credential, builds the parts and wires
// Bridge's outcome to the exit code. What the bridge does is in bridge.cpp.

#include "bridge.h"
#include "bridgeconfig.h"
#include "bridgestate.h"
#include "clientcredentials.h"
#include "core/clock.h"
#include "core/quitonsignals.h"
#include "eventlog.h"
#include "graph/graphclient.h"
#include "healthserver.h"
#include "metrics.h"
#include "net/httpclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QTextStream>
#include <QTimer>
#include <QUrl>

#include <memory>

using namespace Elevate;

namespace {

// Exit codes (README, packaging/bridge): what a scheduler or systemd tells apart.
constexpr int ExitOk = 0;
constexpr int ExitFailed = 1;
constexpr int ExitUsage = 2;
constexpr int ExitConfig = 3;

int fail(const QString &message, int code)
{
    QTextStream(stderr) << "elevate-bridge: " << message << '\n';
    return code;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // stderr carries the line that says why the bridge stopped, and Qt's own logging only when asked
    // for; the events are the JSON lines on stdout.
    if (qgetenv("ELEVATE_BRIDGE_DEBUG") == "1")
        QLoggingCategory::setFilterRules(QStringLiteral("elevate.*.debug=true\nelevate.*.info=true"));
    else
        QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false\n*.info=false"));
    QCoreApplication::setApplicationName(QStringLiteral("elevate-bridge"));
    QCoreApplication::setOrganizationName(QStringLiteral("Elevate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ELEVATE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Watches PIM activations of the Entra groups that map to AWS and provisions each new and each\n"
        "ended member to IAM Identity Center on demand (the provisioning job's provisionOnDemand), so a\n"
        "grant is usable in AWS within a minute. One instance per tenant; see the README.\n"
        "\n"
        "Events: one JSON object per line on stdout. ELEVATE_BRIDGE_DEBUG=1 adds Qt's debug logging on\n"
        "stderr.\n"
        "Exit codes: 0 ok (--once: the cycle finished), 1 other error (--once: the cycle did not finish),\n"
        "2 usage, 3 configuration, credential or state file refused, 4 sign-in refused (AADSTS...),\n"
        "5 an application permission is missing, 6 the provisioning job cannot be found."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOpt(
        QStringLiteral("config"), QStringLiteral("Configuration file (default: $ELEVATE_BRIDGE_CONFIG)."),
        QStringLiteral("file"));
    const QCommandLineOption onceOpt(
        QStringLiteral("once"), QStringLiteral("Run one cycle (poll, then push what it found) and exit."));
    const QCommandLineOption dryOpt(
        QStringLiteral("dry-run"),
        QStringLiteral("Log what would be pushed; push nothing, record nothing as "
                       "pushed."));
    parser.addOptions({configOpt, onceOpt, dryOpt});
    if (!parser.parse(QCoreApplication::arguments()))
        return fail(parser.errorText(), ExitUsage);
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(ExitOk);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unexpected argument \"%1\"; see --help")
                        .arg(parser.positionalArguments().first()),
                    ExitUsage);
    QString path = parser.value(configOpt);
    if (path.isEmpty())
        path = qEnvironmentVariable("ELEVATE_BRIDGE_CONFIG");
    if (path.isEmpty())
        return fail(QStringLiteral("no configuration: give --config FILE or set ELEVATE_BRIDGE_CONFIG"),
                    ExitUsage);

    auto config = Bridge::BridgeConfig::load(path);
    if (!config.ok())
        return fail(QStringLiteral("configuration error: %1").arg(config.error().message), ExitConfig);
    const auto credential = Bridge::readCredential(config.value());
    if (!credential.ok())
        return fail(QStringLiteral("credential refused: %1").arg(credential.error().message), ExitConfig);
    QByteArray certificatePem;
    if (config->credential == Bridge::BridgeConfig::Credential::Certificate) {
        QFile f(config->certificateFile);
        if (!f.open(QIODevice::ReadOnly))
            return fail(
                QStringLiteral("cannot read the certificate %1: %2").arg(f.fileName(), f.errorString()),
                ExitConfig);
        certificatePem = f.readAll();
        if (certificatePem.isEmpty())
            return fail(QStringLiteral("the certificate %1 is empty").arg(f.fileName()), ExitConfig);
    }

    const QString statePath = config->effectiveStatePath();
    auto opened = Bridge::BridgeState::open(statePath);
    if (!opened.ok())
        return fail(QStringLiteral("cannot open the state %1: %2").arg(statePath, opened.error().message),
                    ExitConfig);
    const std::unique_ptr<Bridge::BridgeState> state = std::move(opened).value();

    // Declared in the order they depend on each other, so they go in the reverse one.
    Core::SystemClock clock;
    QNetworkAccessManager nam;
    Net::HttpClient http(&nam);
    Bridge::ClientCredentialsProvider tokens(config.value(), credential.value(), certificatePem, &http,
                                             &clock);
    Graph::GraphClient graph(QUrl(config->app.graphBaseUrl), config->app.graphResource, &http, &tokens);
    graph.setClock(&clock);
    Bridge::Metrics metrics;
    Bridge::EventLog events(&clock, stdout);
    Bridge::Bridge::Options options;
    options.dryRun = parser.isSet(dryOpt);
    Bridge::Bridge bridge(config.value(), &graph, &tokens, state.get(), &metrics, &events, &clock, options);

    std::unique_ptr<Bridge::HealthServer> health;
    if (!config->listen.isEmpty()) {
        health = std::make_unique<Bridge::HealthServer>(&metrics, [&bridge] { return bridge.health(); });
        const auto port = health->listen(config->listen);
        if (!port.ok())
            return fail(QStringLiteral("cannot listen on %1: %2").arg(config->listen, port.error().message),
                        ExitConfig);
        // The port, for a listen address with port 0 (tests) and for whoever reads the log.
        const int colon = config->listen.lastIndexOf(u':');
        events.info(QStringLiteral("listening"),
                    {{QStringLiteral("address"), config->listen.left(colon)},
                     {QStringLiteral("port"), int(port.value())},
                     {QStringLiteral("paths"), QStringLiteral("/healthz /metrics")}});
    }

    // The first outcome decides the exit code; what comes after it (a stopped() after a fatal) does not.
    // Bridge writes the events (the fatal error, "stopping", "stopped"); stderr gets the one line.
    bool exiting = false;
    bool stopRequested = false;
    auto exitWith = [&exiting](int code) {
        if (exiting)
            return;
        exiting = true;
        QCoreApplication::exit(code);
    };
    QObject::connect(&bridge, &Bridge::Bridge::fatal, &app, [&](const Core::Error &error, int exitCode) {
        QTextStream(stderr) << "elevate-bridge: " << error.message << '\n';
        exitWith(exitCode);
    });
    QObject::connect(&bridge, &Bridge::Bridge::stopped, &app, [&] { exitWith(ExitOk); });
    if (parser.isSet(onceOpt))
        // A cycle cut short by SIGTERM is no failure: stopped() follows and exits 0.
        QObject::connect(&bridge, &Bridge::Bridge::cycleFinished, &app, [&](bool ok) {
            if (!stopRequested)
                exitWith(ok ? ExitOk : ExitFailed);
        });
    Core::quitOnTerminationSignals(&app, [&] {
        stopRequested = true;
        bridge.stop();
    });

    QTimer::singleShot(0, &bridge, [&] {
        if (parser.isSet(onceOpt))
            bridge.runOnce();
        else
            bridge.start();
    });
    return app.exec();
}

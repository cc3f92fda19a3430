// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/config.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Elevate::Core;
using namespace Qt::StringLiterals;

namespace {
QByteArray minimal(const QByteArray &extraEntra = {}, const QByteArray &rest = {})
{
    return "{\"entra\": {\"tenant\": \"t\", \"clientId\": \"c\"" + extraEntra + "}" + rest + "}";
}
} // namespace

class TestConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults()
    {
        const auto c = AppConfig::fromJson(minimal());
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QCOMPARE(c->authorityHost, u"https://login.microsoftonline.com"_s);
        QCOMPARE(c->graphBaseUrl, u"https://graph.microsoft.com/v1.0"_s);
        QCOMPARE(c->redirectHost, u"localhost"_s);
        QVERIFY(c->qualifiedGraphScopes().contains(u"https://graph.microsoft.com/User.Read"_s));
        QCOMPARE(c->graphReplicationWindowSeconds, 60);
    }
    void replicationWindow()
    {
        const auto c = AppConfig::fromJson(minimal({}, ", \"graph\": {\"replicationWindowSeconds\": 8}"));
        QVERIFY(c.ok());
        QCOMPARE(c->graphReplicationWindowSeconds, 8);
        const auto again = AppConfig::fromJson(c->toJson());
        QVERIFY(again.ok());
        QCOMPARE(again->graphReplicationWindowSeconds, 8);
    }
    void roundTrip()
    {
        auto c = AppConfig::fromJson(
            minimal(", \"authorityHost\": \"http://127.0.0.1:4000/\"",
                    ", \"graph\": {\"baseUrl\": \"http://127.0.0.1:4000/graph/v1.0\"},\n"
                    "                                                 \"mapping\": {\"groups\": {\"g\": "
                    "{\"account\": \"123456789012\", \"role\": \"R\"}},\n"
                    "                                                             \"accountNames\": "
                    "{\"123456789012\": \"Prod\"}}"));
        QVERIFY(c.ok());
        QCOMPARE(c->authorityHost, u"http://127.0.0.1:4000"_s);
        const auto again = AppConfig::fromJson(c->toJson());
        QVERIFY(again.ok());
        QCOMPARE(again->authorityHost, c->authorityHost);
        QCOMPARE(again->mapping.groups.value(u"g"_s).roleName, u"R"_s);
        QCOMPARE(again->mapping.accountNames.value(u"123456789012"_s), u"Prod"_s);
    }
    void syncBridge_data()
    {
        QTest::addColumn<QByteArray>("sync");
        QTest::addColumn<bool>("bridge");
        QTest::addColumn<int>("typical");
        QTest::addColumn<int>("limit");
        QTest::newRow("no sync object") << QByteArray() << false << 40 << 60;
        QTest::newRow("bridge off") << QByteArray("\"bridge\": false") << false << 40 << 60;
        QTest::newRow("bridge null") << QByteArray("\"bridge\": null") << false << 40 << 60;
        QTest::newRow("bridge on") << QByteArray("\"bridge\": true") << true << 1 << 5;
        QTest::newRow("bridge on, typical given")
            << QByteArray("\"bridge\": true, \"typicalMinutes\": 3") << true << 3 << 5;
        QTest::newRow("bridge on, limit given")
            << QByteArray("\"limitMinutes\": 12, \"bridge\": true") << true << 1 << 12;
        QTest::newRow("bridge on, both given")
            << QByteArray("\"typicalMinutes\": 40, \"limitMinutes\": 60, \"bridge\": true") << true << 40
            << 60;
        QTest::newRow("bridge off, typical given")
            << QByteArray("\"bridge\": false, \"typicalMinutes\": 3") << false << 3 << 60;
        // Without an explicit limit it is never below the typical time (half again on top).
        QTest::newRow("bridge on, a longer typical time")
            << QByteArray("\"bridge\": true, \"typicalMinutes\": 10") << true << 10 << 15;
        QTest::newRow("bridge off, a longer typical time")
            << QByteArray("\"typicalMinutes\": 90") << false << 90 << 135;
        QTest::newRow("an explicit limit wins even when shorter")
            << QByteArray("\"typicalMinutes\": 90, \"limitMinutes\": 30") << false << 90 << 30;
    }
    void syncBridge()
    {
        QFETCH(QByteArray, sync);
        QFETCH(bool, bridge);
        QFETCH(int, typical);
        QFETCH(int, limit);
        const QByteArray rest = sync.isNull() ? QByteArray() : ", \"aws\": {\"sync\": {" + sync + "}}";
        const auto c = AppConfig::fromJson(minimal({}, rest));
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QCOMPARE(c->aws.syncBridge, bridge);
        QCOMPARE(c->aws.typicalSyncMinutes, typical);
        QCOMPARE(c->aws.waitingLimitMinutes, limit);
        // toJson writes what was read; reading it back gives the same times and the same switch.
        const auto json = QJsonDocument::fromJson(c->toJson()).object();
        QCOMPARE(json.value(u"aws").toObject().value(u"sync").toObject().value(u"bridge"),
                 QJsonValue(bridge));
        const auto again = AppConfig::fromJson(c->toJson());
        QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().message));
        QCOMPARE(again->aws.syncBridge, bridge);
        QCOMPARE(again->aws.typicalSyncMinutes, typical);
        QCOMPARE(again->aws.waitingLimitMinutes, limit);
    }
    void rejects_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("not json") << QByteArray("{") << u"JSON"_s;
        QTest::newRow("array") << QByteArray("[]") << u"JSON"_s;
        QTest::newRow("no tenant") << QByteArray("{\"entra\": {\"clientId\": \"c\"}}") << u"entra.tenant"_s;
        QTest::newRow("no client") << QByteArray("{\"entra\": {\"tenant\": \"t\"}}") << u"entra.clientId"_s;
        QTest::newRow("plain http authority")
            << minimal(", \"authorityHost\": \"http://login.example.com\"") << u"authorityHost"_s;
        QTest::newRow("plain http graph")
            << minimal({}, ", \"graph\": {\"baseUrl\": \"http://graph.example.com\"}") << u"graph.baseUrl"_s;
        QTest::newRow("negative replication window")
            << minimal({}, ", \"graph\": {\"replicationWindowSeconds\": -1}")
            << u"replicationWindowSeconds"_s;
        QTest::newRow("replication window over an hour")
            << minimal({}, ", \"graph\": {\"replicationWindowSeconds\": 7200}")
            << u"replicationWindowSeconds"_s;
        QTest::newRow("redirect host") << minimal(", \"redirectHost\": \"0.0.0.0\"") << u"redirectHost"_s;
        QTest::newRow("bad pattern") << minimal({}, ", \"mapping\": {\"pattern\": \"(\"}")
                                     << u"mapping.pattern"_s;
        QTest::newRow("pattern without groups")
            << minimal({}, ", \"mapping\": {\"pattern\": \"^AWS-.*$\"}") << u"named groups"_s;
        QTest::newRow("table entry incomplete")
            << minimal({}, ", \"mapping\": {\"groups\": {\"g\": {\"role\": \"R\"}}}")
            << u"mapping.groups.g"_s;
    }
    void rejects()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, mentions);
        const auto c = AppConfig::fromJson(json, u"/x/config.json"_s);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, Error::Kind::Config);
        QVERIFY2(c.error().message.contains(mentions), qPrintable(c.error().message));
        QVERIFY(c.error().message.startsWith(u"/x/config.json: "_s));
    }
    // Issue 12, item 6: a planted or mistyped endpoint must not receive tokens unless the file says so.
    void foreignHosts_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("host");
        QTest::addColumn<bool>("optInLoads");
        const auto entra
            = [](const char *url) { return minimal(", \"authorityHost\": \"" + QByteArray(url) + "\""); };
        const auto aws = [](const QByteArray &member) {
            return minimal({}, ", \"aws\": {\"region\": \"eu-central-1\", " + member + "}");
        };
        QTest::newRow("authority elsewhere") << entra("https://login.example.com") << u"entra.authorityHost"_s
                                             << u"login.example.com"_s << true;
        QTest::newRow("authority look-alike")
            << entra("https://login.microsoftonline.com.evil.example") << u"entra.authorityHost"_s
            << u"login.microsoftonline.com.evil.example"_s << true;
        QTest::newRow("authority is Graph") << entra("https://graph.microsoft.com")
                                            << u"entra.authorityHost"_s << u"graph.microsoft.com"_s << true;
        QTest::newRow("graph elsewhere, one origin")
            << minimal({},
                       ", \"graph\": {\"resource\": \"https://graph.example.com\", \"baseUrl\": "
                       "\"https://graph.example.com/v1.0\"}")
            << u"graph.resource"_s << u"graph.example.com"_s << true;
        QTest::newRow("oidc elsewhere") << aws("\"oidcEndpoint\": \"https://oidc.example.com\"")
                                        << u"aws.oidcEndpoint"_s << u"oidc.example.com"_s << true;
        // amazonaws.com also holds anyone's load balancers: only the service's own host shape passes.
        QTest::newRow("oidc on a load balancer")
            << aws("\"oidcEndpoint\": \"https://oidc.eu-central-1.elb.amazonaws.com\"")
            << u"aws.oidcEndpoint"_s << u"oidc.eu-central-1.elb.amazonaws.com"_s << true;
        QTest::newRow("oidc in the wrong partition's domain")
            << aws("\"oidcEndpoint\": \"https://oidc.cn-north-1.amazonaws.com\"") << u"aws.oidcEndpoint"_s
            << u"oidc.cn-north-1.amazonaws.com"_s << true;
        QTest::newRow("portal elsewhere") << aws("\"portalEndpoint\": \"https://portal.sso.example.com\"")
                                          << u"aws.portalEndpoint"_s << u"portal.sso.example.com"_s << true;
        QTest::newRow("portal in a bucket")
            << aws("\"portalEndpoint\": \"https://portal.sso.s3.amazonaws.com\"") << u"aws.portalEndpoint"_s
            << u"portal.sso.s3.amazonaws.com"_s << true;
        QTest::newRow("signin elsewhere")
            << aws("\"signinEndpoint\": \"https://signin.example.com/federation\"") << u"aws.signinEndpoint"_s
            << u"signin.example.com"_s << true;
        QTest::newRow("signin under a non-region")
            << aws("\"signinEndpoint\": \"https://evil.signin.aws.amazon.com/federation\"")
            << u"aws.signinEndpoint"_s << u"evil.signin.aws.amazon.com"_s << true;
        QTest::newRow("start URL elsewhere") << aws("\"startUrl\": \"https://start.example.com/start\"")
                                             << u"aws.startUrl"_s << u"start.example.com"_s << true;
        QTest::newRow("start URL not on a label boundary")
            << aws("\"startUrl\": \"https://evilawsapps.com/start\"") << u"aws.startUrl"_s
            << u"evilawsapps.com"_s << true;
        QTest::newRow("console destination elsewhere") << aws(
            "\"console\": {\"destinations\": {\"123456789012/Admin\": \"https://console.example/home\"}}")
                                                       << u"aws.console.destinations.123456789012/Admin"_s
                                                       << u"console.example"_s << true;
        // A user name in front of a trusted name: the host is the part after the @, opt-in or not.
        QTest::newRow("user info hides the host") << entra("https://login.microsoftonline.com@evil.example")
                                                  << u"entra.authorityHost"_s << u"user name"_s << false;
    }
    void foreignHosts()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, key);
        QFETCH(QString, host);
        QFETCH(bool, optInLoads);
        const auto c = AppConfig::fromJson(json, u"/x/config.json"_s);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, Error::Kind::Config);
        const QString message = c.error().message;
        QVERIFY2(message.startsWith(u"/x/config.json: "_s + key), qPrintable(message));
        QVERIFY2(message.contains(host), qPrintable(message));
        if (optInLoads)
            QVERIFY2(message.contains(u"\"allowCustomEndpoints\": true"_s), qPrintable(message));

        // The same file with the opt-in at the top level.
        QByteArray optIn = json;
        optIn.insert(1, "\"allowCustomEndpoints\": true, ");
        const auto again = AppConfig::fromJson(optIn);
        QCOMPARE(again.ok(), optInLoads);
        if (optInLoads) {
            QVERIFY(again->allowCustomEndpoints);
            // ... and it stays on through a round trip.
            const auto written = AppConfig::fromJson(again->toJson());
            QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.error().message));
            QVERIFY(written->allowCustomEndpoints);
        }
    }
    void optInStillNeedsHttps()
    {
        const auto c = AppConfig::fromJson(
            "{\"allowCustomEndpoints\": true, \"entra\": {\"tenant\": \"t\", \"clientId\": \"c\"}, "
            "\"aws\": {\"oidcEndpoint\": \"http://oidc.example.com\"}}");
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(u"aws.oidcEndpoint must be an https URL"_s),
                 qPrintable(c.error().message));
    }
    void microsoftAndAwsHostsLoad_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("US Government")
            << minimal(", \"authorityHost\": \"https://login.microsoftonline.us\"",
                       ", \"graph\": {\"resource\": \"https://graph.microsoft.us\", \"baseUrl\": "
                       "\"https://graph.microsoft.us/v1.0\"}");
        QTest::newRow("US DoD") << minimal(", \"authorityHost\": \"https://login.microsoftonline.us\"",
                                           ", \"graph\": {\"resource\": \"https://dod-graph.microsoft.us\", "
                                           "\"baseUrl\": \"https://dod-graph.microsoft.us/beta\"}");
        QTest::newRow("China") << minimal(
            ", \"authorityHost\": \"https://login.chinacloudapi.cn/\"",
            ", \"graph\": {\"resource\": \"https://microsoftgraph.chinacloudapi.cn\", "
            "\"baseUrl\": \"https://microsoftgraph.chinacloudapi.cn/v1.0\"}");
        QTest::newRow("China, Entra's host")
            << minimal(", \"authorityHost\": \"https://login.partner.microsoftonline.cn\"");
        QTest::newRow("AWS commercial") << minimal(
            {},
            ", \"aws\": {\"startUrl\": \"https://d-1234567890.awsapps.com/start\", \"region\": "
            "\"eu-central-1\", "
            "\"oidcEndpoint\": \"https://oidc.eu-central-1.amazonaws.com\", \"portalEndpoint\": "
            "\"https://portal.sso.eu-central-1.amazonaws.com\", \"signinEndpoint\": "
            "\"https://eu-central-1.signin.aws.amazon.com/federation\", \"console\": {\"destinations\": "
            "{\"123456789012/Admin\": "
            "\"https://eu-central-1.console.aws.amazon.com/ec2/home?region=eu-central-1#Instances\", "
            "\"123456789012/Read\": \"s3\"}}}");
        QTest::newRow("AWS newer start URL") << minimal(
            {},
            ", \"aws\": {\"startUrl\": \"https://ssoins-1234567890abcdef.portal.us-east-1.app.aws\", "
            "\"region\": \"us-east-1\", \"signinEndpoint\": \"https://signin.aws.amazon.com/federation\"}");
        QTest::newRow("AWS China") << minimal(
            {},
            ", \"aws\": {\"startUrl\": \"https://d-1234567890.awsapps.cn/start\", \"region\": "
            "\"cn-north-1\", "
            "\"oidcEndpoint\": \"https://oidc.cn-north-1.amazonaws.com.cn\", \"portalEndpoint\": "
            "\"https://portal.sso.cn-north-1.amazonaws.com.cn\", \"signinEndpoint\": "
            "\"https://cn-north-1.signin.amazonaws.cn/federation\", \"console\": {\"destinations\": "
            "{\"123456789012/Admin\": \"https://console.amazonaws.cn/console/home\"}}}");
        QTest::newRow("AWS GovCloud") << minimal(
            {},
            ", \"aws\": {\"startUrl\": \"https://start.us-gov-home.awsapps.com/directory/d-1234567890\", "
            "\"region\": \"us-gov-west-1\", \"oidcEndpoint\": \"https://oidc.us-gov-west-1.amazonaws.com\", "
            "\"portalEndpoint\": \"https://portal.sso.us-gov-west-1.amazonaws.com\", \"signinEndpoint\": "
            "\"https://signin.amazonaws-us-gov.com/federation\"}");
        QTest::newRow("AWS ISO") << minimal({},
                                            ", \"aws\": {\"region\": \"us-iso-east-1\", \"portalEndpoint\": "
                                            "\"https://portal.sso.us-iso-east-1.c2s.ic.gov\"}");
        QTest::newRow("AWS European Sovereign Cloud") << minimal(
            {},
            ", \"aws\": {\"startUrl\": \"https://ssoins-1.portal.eusc-de-east-1.api.amazonwebservices.eu\", "
            "\"region\": \"eusc-de-east-1\", \"oidcEndpoint\": \"https://oidc.eusc-de-east-1.amazonaws.eu\", "
            "\"signinEndpoint\": \"https://eusc-de-east-1.signin.amazonaws-eusc.eu/federation\"}");
        // What the emulator writes: everything on one loopback origin, Graph's real resource name.
        QTest::newRow("loopback, as the emulator writes it") << minimal(
            ", \"authorityHost\": \"http://127.0.0.1:4000\"",
            ", \"graph\": {\"resource\": \"https://graph.microsoft.com\", \"baseUrl\": "
            "\"http://127.0.0.1:4000/graph/v1.0\"}, \"aws\": {\"startUrl\": "
            "\"http://127.0.0.1:4000/aws/start\", "
            "\"region\": \"eu-central-1\", \"oidcEndpoint\": \"http://127.0.0.1:4000\", \"portalEndpoint\": "
            "\"http://127.0.0.1:4000\", \"signinEndpoint\": \"http://127.0.0.1:4000/federation\"}");
        QTest::newRow("loopback IPv6 and localhost")
            << minimal(", \"authorityHost\": \"http://[::1]:4000\"",
                       ", \"graph\": {\"baseUrl\": \"http://localhost:4000/graph/v1.0\"}");
    }
    void microsoftAndAwsHostsLoad()
    {
        QFETCH(QByteArray, json);
        const auto c = AppConfig::fromJson(json);
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QVERIFY(!c->allowCustomEndpoints);
    }
    // Tokens for graph.resource go to graph.baseUrl: another origin is refused, with or without the opt-in.
    void graphBaseUrlOnTheResourceOrigin_data()
    {
        QTest::addColumn<QByteArray>("graph");
        QTest::newRow("another cloud's Graph")
            << QByteArray("{\"baseUrl\": \"https://graph.microsoft.us/v1.0\"}");
        QTest::newRow("another port")
            << QByteArray("{\"baseUrl\": \"https://graph.microsoft.com:8443/v1.0\"}");
        QTest::newRow("a custom Graph for the real resource")
            << QByteArray("{\"baseUrl\": \"https://graph.example.com/v1.0\"}");
        QTest::newRow("a loopback resource, a remote Graph") << QByteArray(
            "{\"resource\": \"http://127.0.0.1:4000\", \"baseUrl\": \"https://graph.microsoft.com/v1.0\"}");
    }
    void graphBaseUrlOnTheResourceOrigin()
    {
        QFETCH(QByteArray, graph);
        for (const bool allow : {false, true}) {
            const QByteArray optIn = allow ? "true" : "false";
            const auto c = AppConfig::fromJson(
                "{\"allowCustomEndpoints\": " + optIn
                + ", \"entra\": {\"tenant\": \"t\", \"clientId\": \"c\"}, \"graph\": " + graph + "}");
            QVERIFY2(!c.ok(), optIn.constData());
            QVERIFY2(c.error().message.contains(u"graph.baseUrl"_s)
                         && c.error().message.contains(u"must be on the origin of graph.resource"_s),
                     qPrintable(c.error().message));
        }
        // The explicit default port is the same origin.
        QVERIFY(AppConfig::fromJson(
                    minimal({}, ", \"graph\": {\"baseUrl\": \"https://graph.microsoft.com:443/v1.0\"}"))
                    .ok());
    }
    // Hostile files: the wrong type is named, never read as the default; nothing crashes.
    void wrongTypes_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("opt-in as a string") << QByteArray(
            "{\"allowCustomEndpoints\": \"true\", \"entra\": {\"tenant\": \"t\", \"clientId\": \"c\"}}")
                                            << u"allowCustomEndpoints must be true or false"_s;
        QTest::newRow("entra as a list") << QByteArray("{\"entra\": [1, 2]}") << u"entra must be an object"_s;
        QTest::newRow("tenant as a number") << QByteArray("{\"entra\": {\"tenant\": 5, \"clientId\": \"c\"}}")
                                            << u"entra.tenant must be a string"_s;
        QTest::newRow("authority as an object")
            << minimal(", \"authorityHost\": {}") << u"entra.authorityHost"_s;
        QTest::newRow("timeout as a string") << minimal(", \"signInTimeoutSeconds\": \"300\"")
                                             << u"entra.signInTimeoutSeconds must be a whole number"_s;
        QTest::newRow("timeout fractional") << minimal(", \"signInTimeoutSeconds\": 30.5")
                                            << u"entra.signInTimeoutSeconds must be a whole number"_s;
        QTest::newRow("timeout beyond int") << minimal(", \"signInTimeoutSeconds\": 1e300")
                                            << u"entra.signInTimeoutSeconds must be a whole number"_s;
        // In range for an int, but times 1000 it would not be (the timers take milliseconds).
        QTest::newRow("timeout too long") << minimal(", \"signInTimeoutSeconds\": 2147483")
                                          << u"entra.signInTimeoutSeconds must be between"_s;
        QTest::newRow("scopes as a string")
            << minimal({}, ", \"graph\": {\"scopes\": \"User.Read\"}") << u"graph.scopes"_s;
        QTest::newRow("scope as a number")
            << minimal({}, ", \"graph\": {\"scopes\": [1]}") << u"graph.scopes"_s;
        QTest::newRow("plain credentials as a string")
            << minimal({}, ", \"aws\": {\"plainCredentials\": \"yes\"}")
            << u"aws.plainCredentials must be true or false"_s;
        QTest::newRow("console as a string")
            << minimal({}, ", \"aws\": {\"console\": \"federation\"}") << u"aws.console must be an object"_s;
        QTest::newRow("destination as a number")
            << minimal({}, ", \"aws\": {\"console\": {\"destinations\": {\"1/R\": 5}}}")
            << u"aws.console.destinations.1/R must be a string"_s;
        QTest::newRow("sync minutes as a list")
            << minimal({}, ", \"aws\": {\"sync\": {\"typicalMinutes\": [40]}}")
            << u"aws.sync.typicalMinutes"_s;
        QTest::newRow("portal pace zero") << minimal({}, ", \"aws\": {\"portalRequestsPerSecond\": 0}")
                                          << u"aws.portalRequestsPerSecond must be between 1 and 1000"_s;
        QTest::newRow("portal pace too fast") << minimal({}, ", \"aws\": {\"portalRequestsPerSecond\": 1001}")
                                              << u"aws.portalRequestsPerSecond must be between 1 and 1000"_s;
        QTest::newRow("portal pace as a string")
            << minimal({}, ", \"aws\": {\"portalRequestsPerSecond\": \"20\"}")
            << u"aws.portalRequestsPerSecond must be a whole number"_s;
        QTest::newRow("bridge as a string") << minimal({}, ", \"aws\": {\"sync\": {\"bridge\": \"true\"}}")
                                            << u"aws.sync.bridge must be true or false"_s;
        QTest::newRow("bridge as a number") << minimal({}, ", \"aws\": {\"sync\": {\"bridge\": 1}}")
                                            << u"aws.sync.bridge must be true or false"_s;
        QTest::newRow("bridge as an object") << minimal({}, ", \"aws\": {\"sync\": {\"bridge\": {}}}")
                                             << u"aws.sync.bridge must be true or false"_s;
        QTest::newRow("account name as a list")
            << minimal({}, ", \"mapping\": {\"accountNames\": {\"123456789012\": []}}")
            << u"mapping.accountNames.123456789012 must be a string"_s;
        QTest::newRow("group entry as a string")
            << minimal({}, ", \"mapping\": {\"groups\": {\"g\": \"123456789012/R\"}}")
            << u"mapping.groups.g"_s;
        QTest::newRow("group account as a number") << minimal(
            {}, ", \"mapping\": {\"groups\": {\"g\": {\"account\": 123456789012, \"role\": \"R\"}}}")
                                                   << u"mapping.groups.g"_s;
        QTest::newRow("warnings as a number")
            << minimal({}, ", \"requests\": {\"warnMinutesBefore\": 15}") << u"requests.warnMinutesBefore"_s;
        QTest::newRow("keychain service as a bool")
            << minimal({}, ", \"keychain\": {\"service\": true}") << u"keychain.service must be a string"_s;
        QTest::newRow("history as a string")
            << minimal({}, ", \"history\": \"/tmp/h.sqlite\"") << u"history must be an object"_s;
        QTest::newRow("endpoint not a URL")
            << minimal(", \"authorityHost\": \"::::\"") << u"entra.authorityHost is not a URL"_s;
        QTest::newRow("endpoint with a query")
            << minimal({}, ", \"graph\": {\"baseUrl\": \"https://graph.microsoft.com/v1.0?x=1\"}")
            << u"graph.baseUrl must not have a query or fragment"_s;
        QTest::newRow("resource not a URL")
            << minimal({}, ", \"graph\": {\"resource\": \"00000003-0000-0000-c000-000000000000\"}")
            << u"graph.resource is not a URL"_s;
    }
    void wrongTypes()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, mentions);
        const auto c = AppConfig::fromJson(json, u"/x/config.json"_s);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, Error::Kind::Config);
        QVERIFY2(c.error().message.contains(mentions), qPrintable(c.error().message));
    }
    void portalPace()
    {
        const auto plain = AppConfig::fromJson(minimal());
        QVERIFY(plain.ok());
        QCOMPARE(plain.value().aws.portalRequestsPerSecond, 20);
        const auto c = AppConfig::fromJson(minimal({}, ", \"aws\": {\"portalRequestsPerSecond\": 5}"));
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QCOMPARE(c.value().aws.portalRequestsPerSecond, 5);
    }
    void nullIsAbsent()
    {
        const auto c = AppConfig::fromJson(minimal(", \"authorityHost\": null", ", \"aws\": null"));
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QCOMPARE(c->authorityHost, u"https://login.microsoftonline.com"_s);
    }
    void hostileDocuments()
    {
        // Deeply nested junk where an object is expected, and as an ignored member.
        const QByteArray deep = QByteArray(5000, '[') + QByteArray(5000, ']');
        auto c = AppConfig::fromJson(minimal({}, ", \"junk\": " + deep));
        QVERIFY(!c.ok()); // deeper than the JSON parser's limit: not a document
        c = AppConfig::fromJson(minimal({}, ", \"graph\": " + QByteArray(100, '[') + QByteArray(100, ']')));
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(u"graph must be an object"_s), qPrintable(c.error().message));
        // Larger than the limit: refused before parsing.
        const QByteArray huge
            = minimal(", \"clientId2\": \"" + QByteArray(AppConfig::maxJsonBytes, 'x') + "\"");
        c = AppConfig::fromJson(huge);
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(u"larger than"_s), qPrintable(c.error().message));
        // A long value under the limit is just a value.
        const QByteArray longTenant(100000, 'a');
        c = AppConfig::fromJson("{\"entra\": {\"tenant\": \"" + longTenant + "\", \"clientId\": \"c\"}}");
        QVERIFY(c.ok());
        QCOMPARE(c->tenant.size(), longTenant.size());
        // Invalid UTF-8 and a NUL.
        static const char invalid[] = "{\"entra\": {\"tenant\": \"\xff\xfe\", \0 }}";
        QVERIFY(!AppConfig::fromJson(QByteArray(invalid, sizeof invalid - 1)).ok());
    }
    void loadMissingFile()
    {
        QTemporaryDir dir;
        const auto c = AppConfig::load(dir.filePath(u"nope.json"_s));
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.contains(u"no such file"_s));
    }
    void loopback()
    {
        QVERIFY(isLoopbackUrl(QUrl(u"http://127.0.0.1:1/"_s)));
        QVERIFY(isLoopbackUrl(QUrl(u"http://[::1]:1/"_s)));
        QVERIFY(isLoopbackUrl(QUrl(u"http://LOCALHOST/"_s)));
        QVERIFY(!isLoopbackUrl(QUrl(u"http://127.0.0.1.example.com/"_s)));
        QVERIFY(!isLoopbackUrl(QUrl(u"http://10.0.0.1/"_s)));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Console sign-in URLs per partition, the credential_process answer and the portal's wire formats.
#include "aws/console.h"
#include "aws/portalclient.h"
#include "core/awsendpoints.h"
#include "net/httpclient.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
Aws::RoleCredentials sample()
{
    Aws::RoleCredentials c;
    c.accountId = u"123456789012"_s;
    c.roleName = u"AdministratorAccess"_s;
    c.accessKeyId = u"ASIAEXAMPLEEXAMPLE12"_s;
    c.secretAccessKey = u"wJalr/K7MDENG+bPxRfiCY=KEY"_s;
    c.sessionToken = u"IQoJb3&JpZ2luX2Vj?EXAMPLE=="_s;
    c.expiration = QDateTime(QDate(2026, 11, 30), QTime(14, 0, 0), Qt::UTC);
    return c;
}

QString queryValue(const QUrl &url, const QString &key)
{
    return QUrlQuery(url).queryItemValue(key, QUrl::FullyDecoded);
}

/// A minimal configuration file with this Identity Center region.
QByteArray configWithRegion(const QString &region)
{
    return R"({"entra": {"tenant": "t", "clientId": "c"}, "aws": {"startUrl": )"
           R"("https://d-1234567890.awsapps.com/start", "region": ")"
        + region.toUtf8() + R"("}})";
}

Core::AwsConfig awsIn(const QString &region)
{
    Core::AwsConfig aws;
    aws.region = region;
    aws.startUrl = u"https://d-1234567890.awsapps.com/start"_s;
    return aws;
}
} // namespace

class TestConsole : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sessionLengthFollowsTheGrant_data()
    {
        QTest::addColumn<qint64>("secondsLeft");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("ten minutes left: the 15-minute minimum") << qint64(600) << qint64(900);
        QTest::newRow("two hours left") << qint64(7200) << qint64(7200);
        QTest::newRow("twenty hours left: the 12-hour maximum") << qint64(72000) << qint64(43200);
        QTest::newRow("already over") << qint64(-30) << qint64(900);
    }
    void sessionLengthFollowsTheGrant()
    {
        QFETCH(qint64, secondsLeft);
        QFETCH(qint64, expected);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QCOMPARE(Aws::Console::sessionSeconds(now.addSecs(secondsLeft), now), expected);
        QCOMPARE(Aws::Console::sessionSeconds(QDateTime(), now), Aws::Console::kMaxSessionSecs);
    }

    void signinTokenRequestCarriesTheSessionJson()
    {
        const QUrl fed(u"https://eu-central-1.signin.aws.amazon.com/federation"_s);
        const QUrl url = Aws::Console::signinTokenUrl(fed, sample(), 3600);
        QCOMPARE(url.host(), u"eu-central-1.signin.aws.amazon.com"_s);
        QCOMPARE(queryValue(url, u"Action"_s), u"getSigninToken"_s);
        QCOMPARE(queryValue(url, u"SessionDuration"_s), u"3600"_s);
        const auto session = QJsonDocument::fromJson(queryValue(url, u"Session"_s).toUtf8()).object();
        QCOMPARE(session.value(u"sessionId"_s).toString(), sample().accessKeyId);
        QCOMPARE(session.value(u"sessionKey"_s).toString(), sample().secretAccessKey);
        QCOMPARE(session.value(u"sessionToken"_s).toString(), sample().sessionToken);
        // '+', '/', '=', '&' and '?' of the secrets must be percent-encoded, never sent raw.
        const QByteArray wire = url.toEncoded();
        QVERIFY(!wire.contains("K7MDENG+"));
        QVERIFY(!wire.contains("IQoJb3&"));
        QVERIFY(wire.contains("%2B"));
    }

    void loginUrlEncodesTheDestination()
    {
        const QUrl fed(u"https://eu-central-1.signin.aws.amazon.com/federation"_s);
        const QUrl dest(u"https://eu-central-1.console.aws.amazon.com/ec2/home?region=eu-central-1"_s);
        const QUrl url = Aws::Console::loginUrl(fed, u"Elevate"_s, dest, u"tok+en/=="_s);
        QCOMPARE(queryValue(url, u"Action"_s), u"login"_s);
        QCOMPARE(queryValue(url, u"Issuer"_s), u"Elevate"_s);
        QCOMPARE(queryValue(url, u"Destination"_s), dest.toString());
        QCOMPARE(queryValue(url, u"SigninToken"_s), u"tok+en/=="_s);
        QVERIFY(url.toEncoded().contains("Destination=https%3A%2F%2F"));
    }

    void parsesTheSigninToken()
    {
        QCOMPARE(Aws::Console::parseSigninToken(R"({"SigninToken":"abc"})").value(), u"abc"_s);
        QCOMPARE(Aws::Console::parseSigninToken("{}").error().kind, Core::Error::Kind::Parse);
        QCOMPARE(Aws::Console::parseSigninToken("<html>").error().kind, Core::Error::Kind::Parse);
    }

    // Every partition of the SDKs' partitions.json: its region pattern, DNS suffix (OIDC and portal
    // hosts), federation host and console destination (aws-sso.md §1.1, §5.1).
    void endpointsPerPartition_data()
    {
        QTest::addColumn<QString>("region");
        QTest::addColumn<QString>("partition");
        QTest::addColumn<QString>("portal");
        QTest::addColumn<QString>("federation");
        QTest::addColumn<QString>("console");
        QTest::newRow("aws")
            << u"eu-central-1"_s << u"aws"_s << u"https://portal.sso.eu-central-1.amazonaws.com"_s
            << u"https://eu-central-1.signin.aws.amazon.com/federation"_s
            << u"https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1"_s;
        QTest::newRow("aws, a newer prefix")
            << u"mx-central-1"_s << u"aws"_s << u"https://portal.sso.mx-central-1.amazonaws.com"_s
            << u"https://mx-central-1.signin.aws.amazon.com/federation"_s
            << u"https://mx-central-1.console.aws.amazon.com/console/home"
               "?region=mx-central-1"_s;
        QTest::newRow("aws-cn") << u"cn-north-1"_s << u"aws-cn"_s
                                << u"https://portal.sso.cn-north-1.amazonaws.com.cn"_s
                                << u"https://cn-north-1.signin.amazonaws.cn/federation"_s
                                << u"https://console.amazonaws.cn/console/home?region=cn-north-1"_s;
        QTest::newRow("aws-us-gov")
            << u"us-gov-west-1"_s << u"aws-us-gov"_s << u"https://portal.sso.us-gov-west-1.amazonaws.com"_s
            << u"https://us-gov-west-1.signin.amazonaws-us-gov.com/federation"_s
            << u"https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"_s;
        QTest::newRow("aws-eusc") << u"eusc-de-east-1"_s << u"aws-eusc"_s
                                  << u"https://portal.sso.eusc-de-east-1.amazonaws.eu"_s
                                  << u"https://eusc-de-east-1.signin.amazonaws-eusc.eu/federation"_s
                                  << u"https://eusc-de-east-1.console.amazonaws-eusc.eu/console/home"
                                     "?region=eusc-de-east-1"_s;
        // The ISO partitions: OIDC and portal on their own suffix; no console federation or link.
        QTest::newRow("aws-iso") << u"us-iso-east-1"_s << u"aws-iso"_s
                                 << u"https://portal.sso.us-iso-east-1.c2s.ic.gov"_s << QString()
                                 << QString();
        QTest::newRow("aws-iso-b") << u"us-isob-east-1"_s << u"aws-iso-b"_s
                                   << u"https://portal.sso.us-isob-east-1.sc2s.sgov.gov"_s << QString()
                                   << QString();
        QTest::newRow("aws-iso-e") << u"eu-isoe-west-1"_s << u"aws-iso-e"_s
                                   << u"https://portal.sso.eu-isoe-west-1.cloud.adc-e.uk"_s << QString()
                                   << QString();
        QTest::newRow("aws-iso-f") << u"us-isof-south-1"_s << u"aws-iso-f"_s
                                   << u"https://portal.sso.us-isof-south-1.csp.hci.ic.gov"_s << QString()
                                   << QString();
    }
    void endpointsPerPartition()
    {
        QFETCH(QString, region);
        QFETCH(QString, partition);
        QFETCH(QString, portal);
        QFETCH(QString, federation);
        QFETCH(QString, console);
        const auto aws = awsIn(region);
        QCOMPARE(Core::AwsPartition::forRegion(region).id, partition);
        QVERIFY(Core::awsRegionProblem(region).isEmpty());
        QCOMPARE(Core::awsPortalEndpoint(aws).toString(), portal);
        QCOMPARE(Core::awsOidcEndpoint(aws).toString(),
                 QString(portal).replace(u"portal.sso."_s, u"oidc."_s));
        QCOMPARE(Core::awsFederationEndpoint(aws).toString(), federation);
        QCOMPARE(Aws::Console::destination(aws, u"123456789012/Admin"_s).toString(), console);
        // The configuration takes the region, and a configured full destination works everywhere.
        const QByteArray json = configWithRegion(region);
        const auto config = Core::AppConfig::fromJson(json);
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.error().message));
        QCOMPARE(config.value().aws.region, region);
        auto configured = aws;
        configured.destinations.insert(u"123456789012/Admin"_s, u"https://console.example/home"_s);
        QCOMPARE(Aws::Console::destination(configured, u"123456789012/Admin"_s).toString(),
                 u"https://console.example/home"_s);
    }

    void malformedRegionsAreRefused_data()
    {
        QTest::addColumn<QString>("region");
        QTest::newRow("no number") << u"eu-central"_s;
        QTest::newRow("upper case") << u"EU-CENTRAL-1"_s;
        QTest::newRow("one word") << u"eucentral1"_s;
        QTest::newRow("a host injected") << u"eu-central-1.evil.example/x"_s;
        QTest::newRow("spaces") << u" eu-central-1"_s;
        QTest::newRow("five-letter prefix") << u"europ-central-1"_s;
        QTest::newRow("a trailing newline") << u"eu-central-1\n"_s;
        QTest::newRow("a partition's region with a trailing newline") << u"us-gov-west-1\n"_s;
    }
    void malformedRegionsAreRefused()
    {
        QFETCH(QString, region);
        const auto aws = awsIn(region);
        QVERIFY(!Core::AwsPartition::forRegion(region).isValid());
        QVERIFY(Core::awsRegionProblem(region).contains(region));
        QVERIFY(!Core::awsPortalEndpoint(aws).isValid());
        QVERIFY(!Core::awsOidcEndpoint(aws).isValid());
        QVERIFY(!Core::awsFederationEndpoint(aws).isValid());
        const QByteArray json = configWithRegion(region);
        const auto config = Core::AppConfig::fromJson(json);
        QVERIFY(!config.ok());
        QVERIFY2(config.error().message.contains(u"aws.region"_s), qPrintable(config.error().message));
        // An override of the endpoints still wins (the emulator, a proxy).
        auto overridden = aws;
        overridden.portalEndpoint = u"http://127.0.0.1:8080"_s;
        QCOMPARE(Core::awsPortalEndpoint(overridden).toString(), u"http://127.0.0.1:8080"_s);
    }

    void signinTokenUrlWithoutDuration()
    {
        const QUrl fed(u"https://eu-central-1.signin.aws.amazon.com/federation"_s);
        const QUrl url = Aws::Console::signinTokenUrl(fed, sample(), 0);
        QVERIFY(!QUrlQuery(url).hasQueryItem(u"SessionDuration"_s));
        QCOMPARE(queryValue(url, u"Action"_s), u"getSigninToken"_s);
        QVERIFY(!queryValue(url, u"Session"_s).isEmpty());
    }

    void destinationPerTarget()
    {
        auto aws = awsIn(u"eu-central-1"_s);
        aws.destinations.insert(u"123456789012/Admin"_s, u"ec2"_s);
        aws.destinations.insert(u"123456789012/Net"_s,
                                u"https://eu-west-1.console.aws.amazon.com/vpc/home"_s);
        aws.consoleRegion = u"eu-west-1"_s;
        QCOMPARE(Aws::Console::destination(aws, u"123456789012/Admin"_s).toString(),
                 u"https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1"_s);
        QCOMPARE(Aws::Console::destination(aws, u"123456789012/Net"_s).toString(),
                 u"https://eu-west-1.console.aws.amazon.com/vpc/home"_s);
        // Anything else is not trusted as a path: the console home.
        aws.destinations.insert(u"123456789012/Odd"_s, u"../../evil"_s);
        QCOMPARE(Aws::Console::destination(aws, u"123456789012/Odd"_s).path(), u"/console/home"_s);
    }

    void portalShortcutLink()
    {
        const QUrl url = Aws::Console::portalShortcut(
            u"https://d-1234567890.awsapps.com/start/"_s, u"111122223333"_s, u"Admin+Ops"_s,
            QUrl(u"https://eu-central-1.console.aws.amazon.com/ec2/home"_s));
        QCOMPARE(url.host(), u"d-1234567890.awsapps.com"_s);
        QCOMPARE(url.path(), u"/start/"_s);
        const QString fragment = url.fragment(QUrl::FullyEncoded);
        QVERIFY2(fragment.startsWith(
                     u"/console?account_id=111122223333&role_name=Admin%2BOps&destination=https%3A%2F%2F"_s),
                 qPrintable(fragment));
    }

    void processCredentialsJson()
    {
        const QDateTime cap(QDate(2026, 11, 30), QTime(13, 30, 0), Qt::UTC);
        const QByteArray out = Aws::processCredentialsJson(sample(), cap);
        const auto o = QJsonDocument::fromJson(out).object();
        QVERIFY(o.value(u"Version"_s).isDouble());
        QCOMPARE(o.value(u"Version"_s).toInt(), 1);
        QCOMPARE(o.value(u"AccessKeyId"_s).toString(), sample().accessKeyId);
        QCOMPARE(o.value(u"SecretAccessKey"_s).toString(), sample().secretAccessKey);
        QCOMPARE(o.value(u"SessionToken"_s).toString(), sample().sessionToken);
        QCOMPARE(o.value(u"Expiration"_s).toString(), u"2026-11-30T13:30:00Z"_s);
        QCOMPARE(o.size(), 5);
        QVERIFY(out.startsWith("{\n  \"Version\": 1,"));
    }

    void shellExportsQuote()
    {
        auto c = sample();
        c.secretAccessKey = u"it's$HOME"_s;
        const QString out = QString::fromUtf8(Aws::shellExports(c, c.expiration, u"eu-west-1"_s));
        QVERIFY(out.contains(u"export AWS_SECRET_ACCESS_KEY='it'\\''s$HOME'\n"_s));
        QVERIFY(out.contains(u"export AWS_CREDENTIAL_EXPIRATION='2026-11-30T14:00:00Z'\n"_s));
        QVERIFY(out.contains(u"export AWS_REGION='eu-west-1'\n"_s));
    }

    void roleCredentialsUseEpochMilliseconds()
    {
        const auto c = Aws::PortalClient::parseRoleCredentials(
            R"({"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t","expiration":1763945400000}})");
        QVERIFY(c.ok());
        QCOMPARE(c.value().expiration.toSecsSinceEpoch(), 1763945400);
        QCOMPARE(Aws::PortalClient::parseRoleCredentials(R"({"roleCredentials":{"accessKeyId":"ASIA1"}})")
                     .error()
                     .kind,
                 Core::Error::Kind::Parse);
        QCOMPARE(Aws::PortalClient::parseRoleCredentials("not json").error().kind, Core::Error::Kind::Parse);
    }

    void portalErrorCodes()
    {
        Net::HttpResponse r;
        r.status = 403;
        r.headers = {{"x-amzn-ErrorType", "ForbiddenException:http://internal.amazon.com/coral/x/"}};
        r.body = R"({"message":"No access","__type":"com.amazonaws.switchboard.portal#ForbiddenException"})";
        QCOMPARE(Aws::PortalClient::errorCode(r), u"ForbiddenException"_s);
        auto e = Aws::PortalClient::errorFor(r);
        QCOMPARE(e.message, u"No access"_s);
        QVERIFY(Aws::PortalClient::isNotAssigned(e));
        r.headers.clear();
        QCOMPARE(Aws::PortalClient::errorCode(r), u"ForbiddenException"_s);
        r.status = 401;
        r.body
            = R"({"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"})";
        e = Aws::PortalClient::errorFor(r);
        QCOMPARE(e.serviceCode, u"UnauthorizedException"_s);
        QVERIFY(!Aws::PortalClient::isNotAssigned(e));
        r.status = 500;
        r.body = "<html>";
        QCOMPARE(Aws::PortalClient::errorFor(r).kind, Core::Error::Kind::Http);
    }
};

QTEST_GUILESS_MAIN(TestConsole)
#include "tst_console.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The SSO OIDC wire protocol (aws-sso.md §2): exact request bodies, the /authorize URL, parsers and
// the error mapping, against the shapes quoted in the reference.

#include "auth/idcprotocol.h"
#include "auth/pkce.h"
#include "support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;
using namespace Elevate::Auth;
using Core::Error;
using Test::httpResponse;

namespace {
Core::AwsConfig aws(const QString &oidcEndpoint = {})
{
    Core::AwsConfig a;
    a.startUrl = QStringLiteral("https://d-1234567890.awsapps.com/start");
    a.region = QStringLiteral("eu-central-1");
    a.oidcEndpoint = oidcEndpoint;
    return a;
}

Idc::Registration registration()
{
    Idc::Registration r;
    r.clientId = QStringLiteral("EXAMPLEclientIdZXUtY2VudHJhbC0x");
    r.clientSecret = QStringLiteral("eyJraWQiOi.EXAMPLE");
    r.expiresAt = QDateTime::fromSecsSinceEpoch(1771717747, Qt::UTC);
    r.grantTypes = Idc::grantTypesFor(Idc::Flow::AuthorizationCode);
    return r;
}

QJsonObject body(const Net::HttpRequest &request)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qFatal("request body is not a JSON object: %s", request.body.constData());
    return doc.object();
}

QStringList sortedKeys(const QJsonObject &o)
{
    QStringList keys = o.keys();
    keys.sort();
    return keys;
}

QByteArray header(const Net::HttpRequest &request, QByteArrayView name)
{
    for (const auto &h : request.headers)
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

Net::HttpResponse withHeader(Net::HttpResponse r, const QByteArray &name, const QByteArray &value)
{
    r.headers.append({name, value});
    return r;
}

const QByteArray kCoral = ":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";
} // namespace

class TestIdcProtocol : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void endpointsAndNames()
    {
        QCOMPARE(Idc::oidcUrl(aws(), QStringLiteral("/token")),
                 QUrl(QStringLiteral("https://oidc.eu-central-1.amazonaws.com/token")));
        // The emulator override, with and without a trailing slash or a base path.
        QCOMPARE(Idc::oidcUrl(aws(QStringLiteral("http://127.0.0.1:8080")), QStringLiteral("/token")),
                 QUrl(QStringLiteral("http://127.0.0.1:8080/token")));
        QCOMPARE(
            Idc::oidcUrl(aws(QStringLiteral("http://127.0.0.1:8080/oidc/")), QStringLiteral("/authorize")),
            QUrl(QStringLiteral("http://127.0.0.1:8080/oidc/authorize")));
        QCOMPARE(Idc::clientName(aws()), QStringLiteral("elevate-d-1234567890"));
        Core::AwsConfig odd = aws();
        odd.startUrl = QStringLiteral("https://My_Portal.awsapps.com/start");
        QCOMPARE(Idc::clientName(odd), QStringLiteral("elevate-myportal"));
        odd.startUrl = QStringLiteral("http://127.0.0.1:8080/aws/start");
        QCOMPARE(Idc::clientName(odd), QStringLiteral("elevate-127-0-0-1"));
        odd.startUrl.clear();
        QCOMPARE(Idc::clientName(odd), QStringLiteral("elevate-client"));
        QCOMPARE(Idc::redirectUri(53421), QStringLiteral("http://127.0.0.1:53421/oauth/callback"));
    }

    void registerClientPkce()
    {
        const auto r = Idc::registerClientRequest(aws(), Idc::Flow::AuthorizationCode);
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.url, QUrl(QStringLiteral("https://oidc.eu-central-1.amazonaws.com/client/register")));
        QCOMPARE(header(r, "content-type"), QByteArray("application/json"));
        const QJsonObject b = body(r);
        QCOMPARE(sortedKeys(b),
                 (QStringList {QStringLiteral("clientName"), QStringLiteral("clientType"),
                               QStringLiteral("grantTypes"), QStringLiteral("issuerUrl"),
                               QStringLiteral("redirectUris"), QStringLiteral("scopes")}));
        QCOMPARE(b.value(u"clientName").toString(), QStringLiteral("elevate-d-1234567890"));
        QCOMPARE(b.value(u"clientType").toString(), QStringLiteral("public"));
        QCOMPARE(b.value(u"scopes").toArray(), QJsonArray {QStringLiteral("sso:account:access")});
        QCOMPARE(b.value(u"grantTypes").toArray(),
                 (QJsonArray {QStringLiteral("authorization_code"), QStringLiteral("refresh_token")}));
        QCOMPARE(b.value(u"redirectUris").toArray(),
                 QJsonArray {QStringLiteral("http://127.0.0.1/oauth/callback")});
        QCOMPARE(b.value(u"issuerUrl").toString(), QStringLiteral("https://d-1234567890.awsapps.com/start"));
    }

    void registerClientDevice()
    {
        // Exactly what the 2.9.19 CLI sends: scopes, no grant types, no redirect, no issuer.
        const auto r = Idc::registerClientRequest(aws(), Idc::Flow::DeviceCode);
        QCOMPARE(header(r, "Content-Type"), QByteArray("application/json"));
        const QJsonObject b = body(r);
        QCOMPARE(sortedKeys(b),
                 (QStringList {QStringLiteral("clientName"), QStringLiteral("clientType"),
                               QStringLiteral("scopes")}));
        QCOMPARE(b.value(u"clientType").toString(), QStringLiteral("public"));
        QCOMPARE(b.value(u"scopes").toArray(), QJsonArray {QStringLiteral("sso:account:access")});
    }

    void startDeviceAuthorization()
    {
        const auto r = Idc::startDeviceAuthorizationRequest(aws(), registration());
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.url.path(), QStringLiteral("/device_authorization"));
        QCOMPARE(header(r, "Content-Type"), QByteArray("application/json"));
        const QJsonObject b = body(r);
        QCOMPARE(sortedKeys(b),
                 (QStringList {QStringLiteral("clientId"), QStringLiteral("clientSecret"),
                               QStringLiteral("startUrl")}));
        QCOMPARE(b.value(u"clientId").toString(), QStringLiteral("EXAMPLEclientIdZXUtY2VudHJhbC0x"));
        QCOMPARE(b.value(u"clientSecret").toString(), QStringLiteral("eyJraWQiOi.EXAMPLE"));
        QCOMPARE(b.value(u"startUrl").toString(), QStringLiteral("https://d-1234567890.awsapps.com/start"));
    }

    void createTokenBodies()
    {
        const auto device = Idc::deviceCodeTokenRequest(aws(), registration(), QStringLiteral("dev-code"));
        QCOMPARE(device.url.path(), QStringLiteral("/token"));
        QCOMPARE(header(device, "Content-Type"), QByteArray("application/json"));
        QJsonObject b = body(device);
        QCOMPARE(sortedKeys(b),
                 (QStringList {QStringLiteral("clientId"), QStringLiteral("clientSecret"),
                               QStringLiteral("deviceCode"), QStringLiteral("grantType")}));
        QCOMPARE(b.value(u"grantType").toString(),
                 QStringLiteral("urn:ietf:params:oauth:grant-type:device_code"));
        QCOMPARE(b.value(u"deviceCode").toString(), QStringLiteral("dev-code"));
        QCOMPARE(b.value(u"clientSecret").toString(), QStringLiteral("eyJraWQiOi.EXAMPLE"));

        Idc::AuthorizationRequest req;
        req.clientId = registration().clientId;
        req.codeVerifier = "Zr3Qm0k2b8pX1yVt6Wc9Lh4Nf7Ds5Ja-Ue.Io_Kg~Pq2Rw8Tz0By3Cx6Mn1Vs4Hd";
        req.redirectUri = Idc::redirectUri(53421);
        const auto code
            = Idc::authorizationCodeTokenRequest(aws(), registration(), req, QStringLiteral("EXAMPLE-code"));
        QCOMPARE(code.url.path(), QStringLiteral("/token"));
        b = body(code);
        QCOMPARE(sortedKeys(b),
                 (QStringList {QStringLiteral("clientId"), QStringLiteral("clientSecret"),
                               QStringLiteral("code"), QStringLiteral("codeVerifier"),
                               QStringLiteral("grantType"), QStringLiteral("redirectUri")}));
        QCOMPARE(b.value(u"grantType").toString(), QStringLiteral("authorization_code"));
        QCOMPARE(b.value(u"code").toString(), QStringLiteral("EXAMPLE-code"));
        // Exactly the redirect URI of /authorize, port included.
        QCOMPARE(b.value(u"redirectUri").toString(), QStringLiteral("http://127.0.0.1:53421/oauth/callback"));
        QCOMPARE(b.value(u"codeVerifier").toString(),
                 QStringLiteral("Zr3Qm0k2b8pX1yVt6Wc9Lh4Nf7Ds5Ja-Ue.Io_Kg~Pq2Rw8Tz0By3Cx6Mn1Vs4Hd"));

        const auto refresh = Idc::refreshTokenRequest(aws(), registration(), QStringLiteral("aorRT"));
        b = body(refresh);
        QCOMPARE(sortedKeys(b),
                 (QStringList {QStringLiteral("clientId"), QStringLiteral("clientSecret"),
                               QStringLiteral("grantType"), QStringLiteral("refreshToken")}));
        QCOMPARE(b.value(u"grantType").toString(), QStringLiteral("refresh_token"));
        QCOMPARE(b.value(u"refreshToken").toString(), QStringLiteral("aorRT"));
    }

    void authorizeUrlAsTheCliBuildsIt()
    {
        // The reference's concrete example (aws-sso.md §2.4 step 5), byte for byte.
        Core::AwsConfig a = aws();
        a.region = QStringLiteral("us-east-1");
        Idc::AuthorizationRequest req;
        req.clientId = QStringLiteral("EXAMPLECLIENTID");
        req.state = "3f1c2a9e-7b54-4c1e-9d2a-6b8e0f4a1c77";
        req.codeVerifier = "Zr3Qm0k2b8pX1yVt6Wc9Lh4Nf7Ds5Ja-Ue.Io_Kg~Pq2Rw8Tz0By3Cx6Mn1Vs4Hd";
        req.codeChallenge = Pkce::challengeFor(req.codeVerifier);
        req.redirectUri = Idc::redirectUri(53421);
        QCOMPARE(
            Idc::authorizeUrl(a, req).toString(QUrl::FullyEncoded),
            QStringLiteral("https://oidc.us-east-1.amazonaws.com/authorize?response_type=code&client_id="
                           "EXAMPLECLIENTID&redirect_uri=http%3A%2F%2F127.0.0.1%3A53421%2Foauth%2Fcallback"
                           "&state=3f1c2a9e-7b54-4c1e-9d2a-6b8e0f4a1c77&code_challenge_method=S256&scopes=sso"
                           "%3Aaccount%3Aaccess&code_challenge=jEa08WrAEApg1645scVsKipm1FruQ2KLIBUmoQXi5hg"));
    }

    void authorizeUrlParameters()
    {
        Idc::AuthorizationRequest req;
        req.clientId = QStringLiteral("client+1");
        req.state = "st";
        req.codeChallenge = "ch";
        req.redirectUri = Idc::redirectUri(5000);
        const QUrl url = Idc::authorizeUrl(aws(QStringLiteral("http://127.0.0.1:8080")), req);
        QCOMPARE(url.scheme(), QStringLiteral("http"));
        QCOMPARE(url.authority(), QStringLiteral("127.0.0.1:8080"));
        QCOMPARE(url.path(), QStringLiteral("/authorize"));
        const QUrlQuery q(url);
        QCOMPARE(q.queryItemValue(QStringLiteral("response_type")), QStringLiteral("code"));
        QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
        QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge")), QStringLiteral("ch"));
        QCOMPARE(q.queryItemValue(QStringLiteral("state")), QStringLiteral("st"));
        QCOMPARE(q.queryItemValue(QStringLiteral("scopes"), QUrl::FullyDecoded),
                 QStringLiteral("sso:account:access"));
        QVERIFY(!q.hasQueryItem(QStringLiteral("scope"))); // plural, as the CLI and the Toolkit send it
        QCOMPARE(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded),
                 QStringLiteral("http://127.0.0.1:5000/oauth/callback"));
        QCOMPARE(q.queryItemValue(QStringLiteral("client_id"), QUrl::FullyDecoded),
                 QStringLiteral("client+1"));
        // '+' arrives as '+', not as a space.
        const QString encoded = url.toString(QUrl::FullyEncoded);
        QVERIFY(encoded.contains(QStringLiteral("client_id=client%2B1")));
        QVERIFY(!encoded.contains(QStringLiteral("client_secret")));
        // The documented parameters and nothing else: no login_hint (Identity Center does not list it).
        QStringList names;
        for (const auto &item : q.queryItems())
            names << item.first;
        QCOMPARE(names,
                 (QStringList {QStringLiteral("response_type"), QStringLiteral("client_id"),
                               QStringLiteral("redirect_uri"), QStringLiteral("state"),
                               QStringLiteral("code_challenge_method"), QStringLiteral("scopes"),
                               QStringLiteral("code_challenge")}));
    }

    void finalRefusals_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addColumn<bool>("final");
        QTest::addColumn<bool>("registration");
        QTest::newRow("expired_token") << QStringLiteral("expired_token") << true << false;
        QTest::newRow("access_denied") << QStringLiteral("access_denied") << true << false;
        QTest::newRow("unauthorized_client") << QStringLiteral("unauthorized_client") << true << true;
        QTest::newRow("unsupported_grant_type") << QStringLiteral("unsupported_grant_type") << true << true;
        QTest::newRow("invalid_scope") << QStringLiteral("invalid_scope") << true << true;
        // The device poll's normal answers, and the refusals the session handles on their own.
        QTest::newRow("authorization_pending") << QStringLiteral("authorization_pending") << false << false;
        QTest::newRow("slow_down") << QStringLiteral("slow_down") << false << false;
        QTest::newRow("invalid_grant") << QStringLiteral("invalid_grant") << false << false;
        QTest::newRow("invalid_client") << QStringLiteral("invalid_client") << false << false;
        QTest::newRow("server_error") << QStringLiteral("server_error") << false << false;
        QTest::newRow("empty") << QString() << false << false;
    }

    void finalRefusals()
    {
        QFETCH(QString, code);
        QFETCH(bool, final);
        QFETCH(bool, registration);
        QCOMPARE(Idc::isFinalRefusal(code), final);
        QCOMPARE(Idc::refusesTheRegistration(code), registration);
    }

    void registrationInEpochSeconds()
    {
        const auto r = Idc::parseRegistration(
            httpResponse(200,
                         "{\"clientId\": \"EXAMPLEclientIdZXUtY2VudHJhbC0x\", \"clientSecret\": "
                         "\"eyJraWQiOiJrZXktMTU2...EXAMPLE\", \"clientIdIssuedAt\": 1763941747, "
                         "\"clientSecretExpiresAt\": 1771717747, \"authorizationEndpoint\": null, "
                         "\"tokenEndpoint\": null}"),
            Idc::Flow::DeviceCode);
        QVERIFY(r.ok());
        QCOMPARE(r->clientId, QStringLiteral("EXAMPLEclientIdZXUtY2VudHJhbC0x"));
        QCOMPARE(r->clientSecret, QStringLiteral("eyJraWQiOiJrZXktMTU2...EXAMPLE"));
        QCOMPARE(r->issuedAt, QDateTime(QDate(2025, 11, 23), QTime(23, 49, 7), Qt::UTC));
        QCOMPARE(r->expiresAt, QDateTime(QDate(2026, 2, 21), QTime(23, 49, 7), Qt::UTC));
        QCOMPARE(r->issuedAt.daysTo(r->expiresAt), 90);
        QCOMPARE(r->grantTypes,
                 (QStringList {QStringLiteral("urn:ietf:params:oauth:grant-type:device_code"),
                               QStringLiteral("refresh_token")}));
        const auto pkce = Idc::parseRegistration(
            httpResponse(200,
                         "{\"clientId\":\"c\",\"clientSecret\":\"s\",\"clientSecretExpiresAt\":1771717747}"),
            Idc::Flow::AuthorizationCode);
        QVERIFY(pkce.ok());
        QVERIFY(!pkce->issuedAt.isValid());
        QCOMPARE(pkce->grantTypes,
                 (QStringList {QStringLiteral("authorization_code"), QStringLiteral("refresh_token")}));

        for (const QByteArray &bad :
             {QByteArray("{\"clientId\":\"c\",\"clientSecretExpiresAt\":1771717747}"),
              QByteArray("{\"clientId\":\"c\",\"clientSecret\":\"s\"}"),
              QByteArray("{\"clientId\":\"c\",\"clientSecret\":\"s\",\"clientSecretEx"), QByteArray("[]")}) {
            const auto p = Idc::parseRegistration(httpResponse(200, bad), Idc::Flow::DeviceCode);
            QVERIFY2(!p.ok(), bad.constData());
            QCOMPARE(p.error().kind, Error::Kind::Parse);
        }
    }

    void registrationReuse()
    {
        const QDateTime now = QDateTime::fromSecsSinceEpoch(1771717747 - 16 * 60, Qt::UTC);
        Idc::Registration pkce = registration();
        QVERIFY(Idc::isUsableFor(pkce, Idc::Flow::AuthorizationCode, now));
        QVERIFY(!Idc::isUsableFor(pkce, Idc::Flow::AuthorizationCode, now.addSecs(2 * 60))); // 14 min left
        QVERIFY(!Idc::isUsableFor(pkce, Idc::Flow::DeviceCode, now)); // no device_code grant
        Idc::Registration device = pkce;
        device.grantTypes = Idc::grantTypesFor(Idc::Flow::DeviceCode);
        QVERIFY(Idc::isUsableFor(device, Idc::Flow::DeviceCode, now));
        QVERIFY(!Idc::isUsableFor(device, Idc::Flow::AuthorizationCode, now)); // not made for PKCE
        Idc::Registration both = pkce;
        both.grantTypes.append(QStringLiteral("urn:ietf:params:oauth:grant-type:device_code"));
        QVERIFY(Idc::isUsableFor(both, Idc::Flow::DeviceCode, now));
        QVERIFY(Idc::isUsableFor(both, Idc::Flow::AuthorizationCode, now));
        QVERIFY(!Idc::isUsableFor(Idc::Registration {}, Idc::Flow::DeviceCode, now));
    }

    void deviceAuthorization()
    {
        const auto d = Idc::parseDeviceAuthorization(
            httpResponse(200,
                         "{\"deviceCode\": \"EXAMPLE-device-code-opaque\", \"userCode\": \"RHHX-BCTS\", "
                         "\"verificationUri\": \"https://device.sso.eu-central-1.amazonaws.com/\", "
                         "\"verificationUriComplete\": "
                         "\"https://device.sso.eu-central-1.amazonaws.com/?user_code=RHHX-BCTS\", "
                         "\"expiresIn\": 600, \"interval\": 1}"));
        QVERIFY(d.ok());
        QCOMPARE(d->deviceCode, QStringLiteral("EXAMPLE-device-code-opaque"));
        QCOMPARE(d->userCode, QStringLiteral("RHHX-BCTS"));
        QCOMPARE(d->verificationUri, QUrl(QStringLiteral("https://device.sso.eu-central-1.amazonaws.com/")));
        QCOMPARE(QUrlQuery(d->verificationUriComplete).queryItemValue(QStringLiteral("user_code")),
                 QStringLiteral("RHHX-BCTS"));
        QCOMPARE(d->expiresIn, 600);
        QCOMPARE(d->interval, 1);

        // Defaults and bounds: no complete URI, no interval, a zero interval.
        const auto sparse = Idc::parseDeviceAuthorization(httpResponse(
            200,
            "{\"deviceCode\":\"d\",\"userCode\":\"U\",\"verificationUri\":\"https://device.example/\","
            "\"verificationUriComplete\":null,\"interval\":0}"));
        QVERIFY(sparse.ok());
        QVERIFY(!sparse->verificationUriComplete.isValid());
        QCOMPARE(sparse->interval, 1);
        QCOMPARE(sparse->expiresIn, 600);

        for (const QByteArray &bad :
             {QByteArray("{}"), QByteArray("{\"deviceCode\":\"d\",\"userCode\":\"U\"}"),
              QByteArray("{\"deviceCode\":\"d\",\"userCode\":\"U\",\"verificationUri\":\"/relative\"}"),
              QByteArray("{\"deviceCode\":\"d\",\"userCode\":\"U\",\"verificationUri\":\"https://x/"
                         "\",\"expiresIn\":0}"),
              QByteArray("{\"deviceCode\":")}) {
            const auto p = Idc::parseDeviceAuthorization(httpResponse(200, bad));
            QVERIFY2(!p.ok(), bad.constData());
            QCOMPARE(p.error().kind, Error::Kind::Parse);
        }
    }

    void tokens()
    {
        const auto t = Idc::parseTokenResponse(
            httpResponse(200,
                         "{\"accessToken\": \"aoaAAAAAGEXAMPLE...:MGUCMEXAMPLE...\", \"tokenType\": "
                         "\"Bearer\", \"expiresIn\": 3600, \"refreshToken\": \"aorAAAAAGEXAMPLE...\", "
                         "\"idToken\": null}"));
        QVERIFY(t.ok());
        QCOMPARE(t->accessToken, QStringLiteral("aoaAAAAAGEXAMPLE...:MGUCMEXAMPLE..."));
        QCOMPARE(t->tokenType, QStringLiteral("Bearer"));
        QCOMPARE(t->expiresIn, 3600);
        QCOMPARE(t->refreshToken, QStringLiteral("aorAAAAAGEXAMPLE..."));

        // A registration without scopes: no refresh token; idToken absent.
        const auto noRt = Idc::parseTokenResponse(
            httpResponse(200, "{\"accessToken\":\"a\",\"tokenType\":\"Bearer\",\"expiresIn\":28800}"));
        QVERIFY(noRt.ok());
        QVERIFY(noRt->refreshToken.isEmpty());
        // An idToken that is there anyway is ignored, whatever its shape.
        QVERIFY(Idc::parseTokenResponse(
                    httpResponse(200, "{\"accessToken\":\"a\",\"expiresIn\":1,\"idToken\":7}"))
                    .ok());

        for (const QByteArray &bad :
             {QByteArray("{\"accessToken\":\"a\"}"), QByteArray("{\"expiresIn\":3600}"),
              QByteArray("{\"accessToken\":\"a\",\"expiresIn\":0}"),
              QByteArray("{\"accessToken\":\"a\",\"exp"), QByteArray(""), QByteArray("<html></html>")}) {
            const auto p = Idc::parseTokenResponse(httpResponse(200, bad));
            QVERIFY2(!p.ok(), bad.constData());
            QCOMPARE(p.error().kind, Error::Kind::Parse);
            QCOMPARE(p.error().httpStatus, 200);
        }
    }

    void errors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("errorType"); // x-amzn-ErrorType; empty for none
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("message");

        const QByteArray pending
            = "{\"error\":\"authorization_pending\",\"error_description\":\"Authorization is "
              "still pending\"}";
        QTest::newRow("pending, header and body")
            << 400 << QByteArray("AuthorizationPendingException" + kCoral) << pending
            << int(Error::Kind::Service) << QStringLiteral("authorization_pending")
            << QStringLiteral("Authorization is still pending");
        QTest::newRow("pending, body only")
            << 400 << QByteArray() << pending << int(Error::Kind::Service)
            << QStringLiteral("authorization_pending") << QStringLiteral("Authorization is still pending");
        QTest::newRow("slow_down, header only, empty body")
            << 400 << QByteArray("SlowDownException" + kCoral) << QByteArray() << int(Error::Kind::Service)
            << QStringLiteral("slow_down") << QStringLiteral("slow_down");
        QTest::newRow("expired_token")
            << 400 << QByteArray("ExpiredTokenException" + kCoral)
            << QByteArray("{\"error\":\"expired_token\"}") << int(Error::Kind::Service)
            << QStringLiteral("expired_token") << QStringLiteral("expired_token");
        QTest::newRow("access_denied")
            << 400 << QByteArray("AccessDeniedException" + kCoral)
            << QByteArray("{\"error\":\"access_denied\",\"error_description\":\"denied\",\"reason\":null}")
            << int(Error::Kind::Cancelled) << QStringLiteral("access_denied") << QStringLiteral("denied");
        QTest::newRow("invalid_grant")
            << 400 << QByteArray("InvalidGrantException" + kCoral)
            << QByteArray("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid "
                          "refresh token provided\"}")
            << int(Error::Kind::InteractionRequired) << QStringLiteral("invalid_grant")
            << QStringLiteral("Invalid refresh token provided");
        QTest::newRow("invalid_client, 401")
            << 401 << QByteArray("InvalidClientException" + kCoral)
            << QByteArray(
                   "{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}")
            << int(Error::Kind::Service) << QStringLiteral("invalid_client")
            << QStringLiteral("Client authentication failed");
        QTest::newRow("header without coral suffix, no body")
            << 400 << QByteArray("UnsupportedGrantTypeException") << QByteArray() << int(Error::Kind::Service)
            << QStringLiteral("unsupported_grant_type") << QStringLiteral("unsupported_grant_type");
        QTest::newRow("header wins over body")
            << 400 << QByteArray("InvalidClientMetadataException" + kCoral)
            << QByteArray("{\"error\":\"invalid_request\"}") << int(Error::Kind::Service)
            << QStringLiteral("invalid_client_metadata") << QStringLiteral("invalid_client_metadata");
        QTest::newRow("__type form") << 400 << QByteArray()
                                     << QByteArray("{\"__type\":\"com.amazonaws.sso.oidc#"
                                                   "InvalidScopeException\",\"message\":\"Invalid scope\"}")
                                     << int(Error::Kind::Service) << QStringLiteral("invalid_scope")
                                     << QStringLiteral("Invalid scope");
        QTest::newRow("__type invalid_grant")
            << 400 << QByteArray()
            << QByteArray("{\"__type\":\"InvalidGrantException\",\"Message\":\"gone\"}")
            << int(Error::Kind::InteractionRequired) << QStringLiteral("invalid_grant")
            << QStringLiteral("gone");
        QTest::newRow("server error, 500")
            << 500 << QByteArray("InternalServerException" + kCoral)
            << QByteArray("{\"error\":\"server_error\",\"error_description\":\"boom\"}")
            << int(Error::Kind::Http) << QStringLiteral("server_error") << QStringLiteral("boom");
        QTest::newRow("HTML 503") << 503 << QByteArray()
                                  << QByteArray("<html><body>Service Unavailable</body></html>")
                                  << int(Error::Kind::Http) << QString() << QString();
        QTest::newRow("HTML 403 from a proxy") << 403 << QByteArray() << QByteArray("<html>Forbidden</html>")
                                               << int(Error::Kind::Http) << QString() << QString();
        QTest::newRow("truncated JSON 400") << 400 << QByteArray() << QByteArray("{\"error\":\"invalid_gr")
                                            << int(Error::Kind::Parse) << QString() << QString();
        QTest::newRow("JSON without a code") << 400 << QByteArray() << QByteArray("{\"hello\":1}")
                                             << int(Error::Kind::Http) << QString() << QString();
        QTest::newRow("header with unreadable body")
            << 400 << QByteArray("InvalidRequestException" + kCoral) << QByteArray("{\"err")
            << int(Error::Kind::Service) << QStringLiteral("invalid_request")
            << QStringLiteral("invalid_request");
    }
    void errors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, errorType);
        QFETCH(QByteArray, body);
        QFETCH(int, kind);
        QFETCH(QString, code);
        QFETCH(QString, message);
        Net::HttpResponse r = httpResponse(status, body);
        if (!errorType.isEmpty())
            r = withHeader(r, "x-amzn-ErrorType", errorType);
        const Error e = Idc::oidcError(r);
        QCOMPARE(int(e.kind), kind);
        QCOMPARE(e.serviceCode, code);
        QCOMPARE(e.httpStatus, status);
        QVERIFY(!e.message.isEmpty());
        if (!message.isEmpty())
            QCOMPARE(e.message, message);
        // The parsers report the same error.
        const auto t = Idc::parseTokenResponse(r);
        QVERIFY(!t.ok());
        QCOMPARE(int(t.error().kind), kind);
        QCOMPARE(t.error().serviceCode, code);
    }

    void errorHeaderNameIsCaseInsensitive()
    {
        const Error e = Idc::oidcError(
            withHeader(httpResponse(400, {}), "X-Amzn-Errortype", "AuthorizationPendingException" + kCoral));
        QCOMPARE(e.serviceCode, QStringLiteral("authorization_pending"));
    }

    void transportErrorPassesThrough()
    {
        Net::HttpResponse r;
        r.transportError = Error::make(Error::Kind::Timeout, QStringLiteral("slow"));
        QCOMPARE(Idc::oidcError(r).kind, Error::Kind::Timeout);
        QCOMPARE(Idc::parseRegistration(r, Idc::Flow::DeviceCode).error().kind, Error::Kind::Timeout);
        QCOMPARE(Idc::parseDeviceAuthorization(r).error().kind, Error::Kind::Timeout);
    }
};

QTEST_GUILESS_MAIN(TestIdcProtocol)
#include "tst_idcprotocol.moc"

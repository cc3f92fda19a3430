// SPDX-License-Identifier: GPL-3.0-or-later
#include "auth/entraprotocol.h"
#include "support/testsupport.h"

#include <QFile>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;
using namespace Elevate::Auth;
using Core::Error;

namespace {
QByteArray fixture(const char *name)
{
    return Test::fixture("auth", name);
}
using Test::httpResponse;
QByteArray b64(const QByteArray &json)
{
    return json.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}
QString jwt(const QByteArray &payload)
{
    return QString::fromLatin1(b64("{\"alg\":\"RS256\"}") + '.' + b64(payload) + ".c2ln");
}
Core::AppConfig config()
{
    Core::AppConfig c;
    c.tenant = QStringLiteral("aaaabbbb-0000-cccc-1111-dddd2222eeee");
    c.clientId = QStringLiteral("client-1");
    return c;
}
} // namespace

class TestEntraProtocol : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void authorizeUrlCarriesEverything()
    {
        AuthorizationRequest req;
        req.state = "st";
        req.nonce = "no";
        req.codeChallenge = "ch";
        req.redirectUri = QStringLiteral("http://localhost:5000/");
        req.loginHint = QStringLiteral("alex+test@contoso.example");
        req.claims = QStringLiteral("{\"access_token\":{\"xms_cc\":{\"values\":[\"cp1\"]}}}");
        const QUrl url = authorizeUrl(config(), req);
        QCOMPARE(url.path(), QStringLiteral("/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/authorize"));
        QCOMPARE(url.host(), QStringLiteral("login.microsoftonline.com"));
        const QUrlQuery q(url);
        QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
        QCOMPARE(q.queryItemValue(QStringLiteral("response_type")), QStringLiteral("code"));
        QCOMPARE(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded), req.redirectUri);
        // '+' must arrive as '+', not as a space (QtNetworkAuth 6.4 defect #7).
        QVERIFY(url.toString(QUrl::FullyEncoded)
                    .contains(QStringLiteral("login_hint=alex%2Btest%40contoso.example")));
        QCOMPARE(q.queryItemValue(QStringLiteral("claims"), QUrl::FullyDecoded), req.claims);
        QVERIFY(q.queryItemValue(QStringLiteral("scope"), QUrl::FullyDecoded)
                    .startsWith(QStringLiteral(
                        "openid profile offline_access https://graph.microsoft.com/User.Read")));
        QVERIFY(!q.hasQueryItem(QStringLiteral("client_secret")));
    }

    void redemptionAndRefreshBodies()
    {
        AuthorizationRequest req;
        req.codeVerifier = "verifier";
        req.redirectUri = QStringLiteral("http://localhost:5000/");
        const auto redeem = codeRedemption(config(), req, QStringLiteral("c+ode"));
        const QUrlQuery body(QString::fromLatin1(redeem.body));
        QCOMPARE(body.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded), QStringLiteral("c+ode"));
        QCOMPARE(body.queryItemValue(QStringLiteral("code_verifier")), QStringLiteral("verifier"));
        QCOMPARE(body.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded), req.redirectUri);
        QVERIFY(!body.hasQueryItem(QStringLiteral("client_secret")));
        const auto refresh = refreshRequest(config(), QStringLiteral("rt"), {QStringLiteral("openid")});
        const QUrlQuery rb(QString::fromLatin1(refresh.body));
        QVERIFY(!rb.hasQueryItem(QStringLiteral("client_secret")));
        QVERIFY(!rb.hasQueryItem(QStringLiteral("redirect_uri")));
        QCOMPARE(rb.queryItemValue(QStringLiteral("grant_type")), QStringLiteral("refresh_token"));
    }

    void errorBodies_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("code");
        QTest::newRow("MFA required")
            << 400 << fixture("mfa-required.json") << int(Error::Kind::InteractionRequired)
            << QStringLiteral("AADSTS50076");
        QTest::newRow("CA blocked") << 400 << fixture("ca-blocked.json")
                                    << int(Error::Kind::InteractionRequired) << QStringLiteral("AADSTS53003");
        QTest::newRow("public client secret") << 401 << fixture("public-client-secret.json")
                                              << int(Error::Kind::Service) << QStringLiteral("AADSTS700025");
        QTest::newRow("client mismatch") << 400 << fixture("client-mismatch.json")
                                         << int(Error::Kind::Service) << QStringLiteral("AADSTS700005");
        QTest::newRow("interaction_required")
            << 400 << QByteArray("{\"error\":\"interaction_required\"}")
            << int(Error::Kind::InteractionRequired) << QStringLiteral("interaction_required");
        QTest::newRow("HTML 500") << 500 << fixture("server-error.html") << int(Error::Kind::Http)
                                  << QString();
        QTest::newRow("truncated") << 400 << fixture("truncated.json") << int(Error::Kind::Http) << QString();
        QTest::newRow("200 garbage") << 200 << QByteArray("{\"access") << int(Error::Kind::Parse)
                                     << QString();
    }
    void errorBodies()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(int, kind);
        QFETCH(QString, code);
        const auto parsed = parseTokenResponse(httpResponse(status, body));
        QVERIFY(!parsed.ok());
        QCOMPARE(int(parsed.error().kind), kind);
        QCOMPARE(parsed.error().serviceCode, code);
        QCOMPARE(parsed.error().httpStatus, status);
        QVERIFY(!parsed.error().message.contains(QStringLiteral("Trace ID")));
        QVERIFY(!parsed.error().message.isEmpty());
    }
    void transientTokenErrors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("transient");
        QTest::newRow("503") << 503 << QByteArray("{\"error\":\"temporarily_unavailable\"}") << true;
        QTest::newRow("HTML 500") << 500 << fixture("server-error.html") << true;
        QTest::newRow("429") << 429 << QByteArray() << true;
        QTest::newRow("400 temporarily_unavailable")
            << 400 << QByteArray("{\"error\":\"temporarily_unavailable\"}") << true;
        QTest::newRow("400 server_error") << 400 << QByteArray("{\"error\":\"server_error\"}") << true;
        QTest::newRow("MFA required") << 400 << fixture("mfa-required.json") << false;
        QTest::newRow("public client secret") << 401 << fixture("public-client-secret.json") << false;
        QTest::newRow("truncated") << 400 << fixture("truncated.json") << false;
        QTest::newRow("200") << 200 << QByteArray("{}") << false;
    }
    void transientTokenErrors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(bool, transient);
        QCOMPARE(isTransientTokenError(httpResponse(status, body)), transient);
        QCOMPARE(int(tokenError(httpResponse(status, body)).source), int(Error::Source::Entra));
    }
    void transportFailuresAreTransientButNotCancellation()
    {
        Net::HttpResponse r;
        r.transportError = Error::make(Error::Kind::Timeout, QStringLiteral("slow"));
        QVERIFY(isTransientTokenError(r));
        r.transportError = Error::make(Error::Kind::Cancelled, QStringLiteral("aborted"));
        QVERIFY(!isTransientTokenError(r));
    }
    void amrRequestBecomesAmrValues_data()
    {
        QTest::addColumn<QString>("claims");
        QTest::addColumn<QString>("left");
        QTest::addColumn<QStringList>("amr");
        QTest::newRow("mfa only") << QStringLiteral(
            R"({"access_token":{"amr":{"essential":true,"values":["mfa"]}}})")
                                  << QString() << QStringList {QStringLiteral("mfa")};
        QTest::newRow("mfa and capability") << QStringLiteral(
            R"({"access_token":{"amr":{"essential":true,"values":["mfa"]},"xms_cc":{"values":["cp1"]}}})")
                                            << QStringLiteral(
                                                   R"({"access_token":{"xms_cc":{"values":["cp1"]}}})")
                                            << QStringList {QStringLiteral("mfa")};
        QTest::newRow("acrs untouched")
            << QStringLiteral(R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})")
            << QStringLiteral(R"({"access_token":{"acrs":{"essential":true,"value":"c1"}}})")
            << QStringList();
        QTest::newRow("not JSON") << QStringLiteral("{nope") << QStringLiteral("{nope") << QStringList();
        QTest::newRow("amr not an object")
            << QStringLiteral(R"({"access_token":{"amr":"mfa"}})") << QString() << QStringList();
    }
    void amrRequestBecomesAmrValues()
    {
        QFETCH(QString, claims);
        QFETCH(QString, left);
        QFETCH(QStringList, amr);
        const ClaimsRequest split = splitClaimsRequest(claims);
        QCOMPARE(split.claims, left);
        QCOMPARE(split.amrValues, amr);
        AuthorizationRequest req;
        req.redirectUri = QStringLiteral("http://localhost:1234/");
        req.claims = split.claims;
        req.amrValues = split.amrValues;
        const QUrlQuery q(authorizeUrl(config(), req));
        QCOMPARE(q.queryItemValue(QStringLiteral("amr_values")), amr.join(u' '));
        QCOMPARE(q.hasQueryItem(QStringLiteral("amr_values")), !amr.isEmpty());
    }
    void claimsAreKept()
    {
        const Error e = tokenError(httpResponse(400, fixture("ca-blocked.json")));
        QVERIFY(e.claims.contains(QStringLiteral("capolids")));
    }
    void transportErrorPassesThrough()
    {
        Net::HttpResponse r;
        r.transportError = Error::make(Error::Kind::Network, QStringLiteral("down"));
        QCOMPARE(tokenError(r).kind, Error::Kind::Network);
    }
    void tokenWithStringNumbers()
    {
        const auto t = parseTokenResponse(httpResponse(200, fixture("token-v1-strings.json")));
        QVERIFY(t.ok());
        QCOMPARE(t->expiresIn, 4726);
        QCOMPARE(t->refreshToken, QStringLiteral("1.AXoAu7uq-rt"));
        QVERIFY(!parseTokenResponse(httpResponse(200, "{\"access_token\":\"x\"}")).ok()); // no expires_in
    }
    void idTokenChecks()
    {
        const QByteArray good = "{\"aud\":\"client-1\",\"nonce\":\"n1\",\"oid\":\"o\",\"tid\":\"t\","
                                "\"preferred_username\":\"alex@contoso.example\",\"name\":\"Alex\"}";
        const QString ci = QString::fromLatin1(b64("{\"uid\":\"u\",\"utid\":\"ut\"}"));
        auto a = accountFromIdToken(jwt(good), ci, QStringLiteral("client-1"), "n1");
        QVERIFY(a.ok());
        QCOMPARE(a->homeAccountId, QStringLiteral("u.ut"));
        QCOMPARE(a->username, QStringLiteral("alex@contoso.example"));
        QCOMPARE(accountFromIdToken(jwt(good), ci, QStringLiteral("other-client"), "n1").error().kind,
                 Error::Kind::Security);
        QCOMPARE(accountFromIdToken(jwt(good), ci, QStringLiteral("client-1"), "n2").error().kind,
                 Error::Kind::Security);
        QCOMPARE(accountFromIdToken(QStringLiteral("not-a-jwt"), ci, QStringLiteral("client-1"), "n1")
                     .error()
                     .kind,
                 Error::Kind::Parse);
        QCOMPARE(accountFromIdToken(jwt("{\"aud\":\"client-1\"}"), ci, QStringLiteral("client-1"), {})
                     .error()
                     .kind,
                 Error::Kind::Parse);
    }
    void deviceCodeResponse()
    {
        const auto d = parseDeviceCodeResponse(httpResponse(
            200,
            "{\"user_code\":\"F7KQ2PXLM\",\"device_code\":\"D\",\"verification_uri\":\"https://microsoft.com/"
            "devicelogin\",\"expires_in\":\"900\",\"interval\":5,\"message\":\"To sign in…\"}"));
        QVERIFY(d.ok());
        QCOMPARE(d->expiresIn, 900);
        QCOMPARE(d->interval, 5);
        QVERIFY(!parseDeviceCodeResponse(httpResponse(200, "{}")).ok());
    }
};

QTEST_GUILESS_MAIN(TestEntraProtocol)
#include "tst_entraprotocol.moc"

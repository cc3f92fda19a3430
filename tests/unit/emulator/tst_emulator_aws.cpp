// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's IAM Identity Center over real HTTP (aws-sso.md §2, §3, §5, §6): SSO OIDC (registration,
// device flow, authorization code + PKCE, refresh rotation, its errors), the portal (paging, 401/403/
// 404/429 in both error forms, logout), the SCIM delay between a PIM activation and the role in AWS,
// provision on demand (graph-pim.md §12), console federation, and the real AWS CLI 2.9 against it.
//
// Demo scenario: alex is eligible for the AWS-* groups; megan is an Application Administrator with a
// permanent ReadOnlyAccess in Staging; lee has a permanent ViewOnlyAccess in Shared Services (PT12H).

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kCallback = QStringLiteral("http://127.0.0.1:53421/oauth/callback");
const QString kStartUrl = QStringLiteral("https://d-1234567890.awsapps.com/start");
const QString kScope = QStringLiteral("sso:account:access");
const QString kDeviceGrant = QStringLiteral("urn:ietf:params:oauth:grant-type:device_code");
const QString kOidcNs = QStringLiteral(":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/");
const QString kAlex = QStringLiteral("00000000-aaaa-bbbb-cccc-123456789abc");
const QString kAlexUpn = QStringLiteral("alex@contoso.example");
const QString kMeganUpn = QStringLiteral("megan@contoso.example");
const QString kLeeUpn = QStringLiteral("lee@contoso.example");
const QString kProduction = QStringLiteral("123456789012");
const QString kStaging = QStringLiteral("210987654321");
const QString kShared = QStringLiteral("345678901234");
// Groups of the demo scenario (member eligibilities of alex).
const QString kReadOnly = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"); // 123456789012, PT8H
const QString kPowerUser = QStringLiteral("3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"); // 210987654321, just.
const QString kBilling = QStringLiteral("6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0"); // 345678901234, just.
const QString kViewOnly = QStringLiteral("7a8b9c0d-1e2f-4a3b-c4d5-e6f7a8b9c0d1"); // owner eligibility
const QString kSp = QStringLiteral("6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f");
const QString kJob
    = QStringLiteral("aWSSingleSignOn.0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e.6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f");
const QString kRule = QStringLiteral("33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2");
const QString kRequests
    = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests");
const QString kSyncScope = QStringLiteral("https://graph.microsoft.com/Synchronization.ReadWrite.All");
const QString kEntraScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup");

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString enc(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}
} // namespace

class TestEmulatorAws : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;

    Reply send(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        return Test::sendToEmulator(m_nam, method, url(path), body, headers, contentType);
    }
    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    Reply post(const QString &path, const QJsonObject &body) { return send("POST", path, compact(body)); }
    Reply portal(const QString &pathAndQuery, const QString &token, const QByteArray &method = "GET")
    {
        return send(method, pathAndQuery, {}, {{"x-amz-sso_bearer_token", token.toLatin1()}});
    }
    Reply credentials(const QString &token, const QString &account, const QString &role)
    {
        return portal(QStringLiteral("/federation/credentials?role_name=%1&account_id=%2").arg(role, account),
                      token);
    }
    Reply admin(const QString &what, const QByteArray &body)
    {
        return send("POST", QStringLiteral("/_emulator/") + what, body);
    }
    QJsonObject awsState() { return m_emu->state().value(QStringLiteral("aws")).toObject(); }

    /// A registration: the CLI 2.9 device form (scopes or none) or the PKCE form.
    QJsonObject newClient(bool scopes = true, bool pkce = false)
    {
        QJsonObject body {{QStringLiteral("clientName"), QStringLiteral("botocore-client-emu")},
                          {QStringLiteral("clientType"), QStringLiteral("public")}};
        if (scopes)
            body.insert(QStringLiteral("scopes"), QJsonArray {kScope});
        if (pkce) {
            body.insert(QStringLiteral("grantTypes"),
                        QJsonArray {QStringLiteral("authorization_code"), QStringLiteral("refresh_token")});
            body.insert(QStringLiteral("redirectUris"),
                        QJsonArray {QStringLiteral("http://127.0.0.1/oauth/callback")});
            body.insert(QStringLiteral("issuerUrl"), kStartUrl);
        }
        const Reply r = post(QStringLiteral("/client/register"), body);
        return r.status == 200 ? r.json() : QJsonObject();
    }
    QJsonObject clientPart(const QJsonObject &client) const
    {
        return {{QStringLiteral("clientId"), client.value(QStringLiteral("clientId"))},
                {QStringLiteral("clientSecret"), client.value(QStringLiteral("clientSecret"))}};
    }
    Reply token(const QJsonObject &client, const QString &grant, const QJsonObject &extra)
    {
        QJsonObject body = clientPart(client);
        body.insert(QStringLiteral("grantType"), grant);
        for (auto it = extra.begin(); it != extra.end(); ++it)
            body.insert(it.key(), it.value());
        return post(QStringLiteral("/token"), body);
    }
    QUrl authorizeUrl(const QJsonObject &client, const QString &redirect, const QString &loginHint = {},
                      const QString &scopes = kScope)
    {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("client_id"), enc(str(client, "clientId")));
        q.addQueryItem(QStringLiteral("redirect_uri"), enc(redirect));
        q.addQueryItem(QStringLiteral("state"), QStringLiteral("3f1c2a9e"));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        if (!scopes.isEmpty())
            q.addQueryItem(QStringLiteral("scopes"), enc(scopes));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        if (!loginHint.isEmpty())
            q.addQueryItem(QStringLiteral("login_hint"), enc(loginHint));
        QUrl u = url(QStringLiteral("/authorize"));
        u.setQuery(q);
        return u;
    }
    Reply get(const QUrl &u) { return Test::sendToEmulator(m_nam, "GET", u, {}, {}, {}); }
    QString codeFrom(const Reply &r)
    {
        return QUrlQuery(r.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
    }
    Reply redeem(const QJsonObject &client, const QString &code, const QByteArray &verifier = kVerifier,
                 const QString &redirect = kCallback)
    {
        return token(client, QStringLiteral("authorization_code"),
                     {{QStringLiteral("code"), code},
                      {QStringLiteral("redirectUri"), redirect},
                      {QStringLiteral("codeVerifier"), QString::fromLatin1(verifier)}});
    }
    /// An Identity Center sign-in of `upn` through the code flow (scoped: 1 h tokens and a refresh token;
    /// otherwise a client without scopes: 8 h, no refresh token).
    QJsonObject idc(const QString &upn, bool scoped = true, QJsonObject *clientOut = nullptr)
    {
        QJsonObject client = newClient(scoped, true);
        if (clientOut)
            *clientOut = client;
        const Reply a = get(authorizeUrl(client, kCallback, upn, scoped ? kScope : QString()));
        return redeem(client, codeFrom(a)).json();
    }
    QString accessToken(const QString &upn, bool scoped = true)
    {
        return str(idc(upn, scoped), "accessToken");
    }

    /// An Entra access token for PIM requests (the code flow of the Entra side, login_hint wins).
    QString entraToken(const QString &upn, const QString &extraScope = {})
    {
        const QString scope = extraScope.isEmpty() ? kEntraScope : kEntraScope + u' ' + extraScope;
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"), enc(QStringLiteral("http://localhost:5000/")));
        q.addQueryItem(QStringLiteral("scope"), enc(scope));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("login_hint"), enc(upn));
        QUrl u = url(u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/authorize"));
        u.setQuery(q);
        const Reply a = get(u);
        const QString code = QUrlQuery(a.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(QStringLiteral("http://localhost:5000/"))
            + "&code_verifier=" + kVerifier + "&scope=" + QUrl::toPercentEncoding(scope);
        return str(send("POST", u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token"), body, {},
                        "application/x-www-form-urlencoded")
                       .json(),
                   "access_token");
    }
    Reply pim(const QString &entra, const QString &action, const QString &groupId,
              const QString &accessId = QStringLiteral("member"))
    {
        QJsonObject body {{QStringLiteral("accessId"), accessId},
                          {QStringLiteral("principalId"), kAlex},
                          {QStringLiteral("groupId"), groupId},
                          {QStringLiteral("action"), action},
                          {QStringLiteral("justification"), QStringLiteral("Testing the SCIM delay")}};
        if (action == u"selfActivate")
            body.insert(QStringLiteral("scheduleInfo"),
                        QJsonObject {{QStringLiteral("startDateTime"), m_emu->now().toString(Qt::ISODate)},
                                     {QStringLiteral("expiration"),
                                      QJsonObject {{QStringLiteral("type"), QStringLiteral("afterDuration")},
                                                   {QStringLiteral("duration"), QStringLiteral("PT1H")}}}});
        return send("POST", kRequests, compact(body), {{"Authorization", "Bearer " + entra.toLatin1()}});
    }
    /// Alex activates the group now (PT1H).
    void activate(const QString &groupId)
    {
        const Reply r = pim(entraToken(kAlexUpn), QStringLiteral("selfActivate"), groupId);
        QCOMPARE(r.status, 201);
        QCOMPARE(str(r.json(), "status"), QStringLiteral("Provisioned"));
    }
    void deactivate(const QString &groupId)
    {
        QCOMPARE(pim(entraToken(kAlexUpn), QStringLiteral("selfDeactivate"), groupId).status, 201);
    }
    Reply pod(const QString &entra, const QString &groupId, const QStringList &members,
              const QString &rule = kRule, const QString &sp = kSp)
    {
        QJsonArray list;
        for (const auto &m : members)
            list.append(QJsonObject {{QStringLiteral("objectId"), m},
                                     {QStringLiteral("objectTypeName"), QStringLiteral("User")}});
        const QJsonObject subject {
            {QStringLiteral("objectId"), groupId},
            {QStringLiteral("objectTypeName"), QStringLiteral("Group")},
            {QStringLiteral("links"), QJsonObject {{QStringLiteral("members"), list}}}};
        const QJsonObject body {
            {QStringLiteral("parameters"),
             QJsonArray {QJsonObject {{QStringLiteral("ruleId"), rule},
                                      {QStringLiteral("subjects"), QJsonArray {subject}}}}}};
        return send(
            "POST",
            QStringLiteral("/graph/v1.0/servicePrincipals/%1/synchronization/jobs/%2/provisionOnDemand")
                .arg(sp, kJob),
            compact(body), {{"Authorization", "Bearer " + entra.toLatin1()}});
    }
    static void verifyOidcError(const Reply &r, int status, const QString &exception, const QString &error)
    {
        QCOMPARE(r.status, status);
        QCOMPARE(r.headers.value("x-amzn-errortype"), QString(exception + kOidcNs).toLatin1());
        QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
        QCOMPARE(str(r.json(), "error"), error);
        QVERIFY(!str(r.json(), "error_description").isEmpty());
    }
    static void verifyPortalError(const Reply &r, int status, const QString &exception,
                                  const QString &message = {})
    {
        QCOMPARE(r.status, status);
        QCOMPARE(r.headers.value("x-amzn-errortype"), exception.toLatin1());
        QCOMPARE(str(r.json(), "__type"), QStringLiteral("com.amazonaws.switchboard.portal#") + exception);
        if (!message.isEmpty())
            QCOMPARE(str(r.json(), "message"), message);
    }
    static QString sessionParam(const QJsonObject &creds)
    {
        return enc(QString::fromUtf8(
            compact({{QStringLiteral("sessionId"), creds.value(QStringLiteral("accessKeyId"))},
                     {QStringLiteral("sessionKey"), creds.value(QStringLiteral("secretAccessKey"))},
                     {QStringLiteral("sessionToken"), creds.value(QStringLiteral("sessionToken"))}})));
    }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        m_emu->setAutoSignIn(kAlexUpn);
    }
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    void registerClient_data()
    {
        QTest::addColumn<bool>("scopes");
        QTest::newRow("with scopes") << true;
        QTest::newRow("without scopes") << false;
    }
    void registerClient()
    {
        QFETCH(bool, scopes);
        QJsonObject body {{QStringLiteral("clientName"), QStringLiteral("botocore-client-emu")},
                          {QStringLiteral("clientType"), QStringLiteral("public")}};
        if (scopes)
            body.insert(QStringLiteral("scopes"), QJsonArray {kScope});
        const Reply r = post(QStringLiteral("/client/register"), body);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
        QVERIFY(!r.headers.value("x-amzn-requestid").isEmpty());
        const QJsonObject j = r.json();
        QVERIFY(!str(j, "clientId").isEmpty());
        QVERIFY(!str(j, "clientSecret").isEmpty());
        // Epoch seconds, 90 days apart, on the emulator's clock.
        const qint64 issued = j.value(QStringLiteral("clientIdIssuedAt")).toInteger();
        QVERIFY(qAbs(issued - m_emu->now().toSecsSinceEpoch()) < 5);
        QCOMPARE(j.value(QStringLiteral("clientSecretExpiresAt")).toInteger() - issued, 90LL * 24 * 3600);
        QCOMPARE(awsState().value(QStringLiteral("registeredClients")).toInt(), 1);
    }

    void registerClientErrors()
    {
        Reply r = post(QStringLiteral("/client/register"),
                       {{QStringLiteral("clientName"), QStringLiteral("x")},
                        {QStringLiteral("clientType"), QStringLiteral("confidential")}});
        verifyOidcError(r, 400, QStringLiteral("InvalidClientMetadataException"),
                        QStringLiteral("invalid_client_metadata"));
        r = post(QStringLiteral("/client/register"), {{QStringLiteral("clientName"), QStringLiteral("x")}});
        verifyOidcError(r, 400, QStringLiteral("InvalidRequestException"), QStringLiteral("invalid_request"));
        r = send("POST", QStringLiteral("/client/register"), "{nope");
        verifyOidcError(r, 400, QStringLiteral("InvalidRequestException"), QStringLiteral("invalid_request"));
        r = post(QStringLiteral("/client/register"),
                 {{QStringLiteral("clientName"), QStringLiteral("x")},
                  {QStringLiteral("clientType"), QStringLiteral("public")},
                  {QStringLiteral("grantTypes"), QJsonArray {QStringLiteral("password")}}});
        verifyOidcError(r, 400, QStringLiteral("UnsupportedGrantTypeException"),
                        QStringLiteral("unsupported_grant_type"));
        // The authorization code grant needs redirect URIs and the issuer URL.
        r = post(QStringLiteral("/client/register"),
                 {{QStringLiteral("clientName"), QStringLiteral("x")},
                  {QStringLiteral("clientType"), QStringLiteral("public")},
                  {QStringLiteral("grantTypes"), QJsonArray {QStringLiteral("authorization_code")}}});
        verifyOidcError(r, 400, QStringLiteral("InvalidRequestException"), QStringLiteral("invalid_request"));
        r = send("GET", QStringLiteral("/client/register"));
        QCOMPARE(r.status, 405);
    }

    void deviceFlow()
    {
        const QJsonObject client = newClient();
        Reply r = post(QStringLiteral("/device_authorization"),
                       {{QStringLiteral("clientId"), client.value(QStringLiteral("clientId"))},
                        {QStringLiteral("clientSecret"), client.value(QStringLiteral("clientSecret"))},
                        {QStringLiteral("startUrl"), kStartUrl}});
        QCOMPARE(r.status, 200);
        const QJsonObject da = r.json();
        const QString userCode = str(da, "userCode");
        QVERIFY2(QRegularExpression(QStringLiteral("^[A-Z]{4}-[A-Z]{4}$")).match(userCode).hasMatch(),
                 qPrintable(userCode));
        QCOMPARE(str(da, "verificationUri"), m_emu->baseUrl().toString() + QStringLiteral("/aws/device"));
        QCOMPARE(str(da, "verificationUriComplete"),
                 str(da, "verificationUri") + QStringLiteral("?user_code=") + userCode);
        QCOMPARE(da.value(QStringLiteral("expiresIn")).toInt(), 600);
        QCOMPARE(da.value(QStringLiteral("interval")).toInt(), 1);
        const QJsonObject poll {{QStringLiteral("deviceCode"), da.value(QStringLiteral("deviceCode"))}};

        verifyOidcError(token(client, kDeviceGrant, poll), 400,
                        QStringLiteral("AuthorizationPendingException"),
                        QStringLiteral("authorization_pending"));
        verifyOidcError(token(client, kDeviceGrant, poll), 400, QStringLiteral("SlowDownException"),
                        QStringLiteral("slow_down"));
        QTest::qWait(1100);
        verifyOidcError(token(client, kDeviceGrant, poll), 400,
                        QStringLiteral("AuthorizationPendingException"),
                        QStringLiteral("authorization_pending"));

        // The verification page approves for the auto sign-in user.
        const QUrl complete(str(da, "verificationUriComplete"));
        r = get(complete);
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("Request approved"));
        QVERIFY(r.body.contains("alex@contoso.example"));
        QTest::qWait(1100);
        r = token(client, kDeviceGrant, poll);
        QCOMPARE(r.status, 200);
        const QJsonObject t = r.json();
        QVERIFY(str(t, "accessToken").startsWith(QStringLiteral("aoa")));
        QVERIFY(str(t, "refreshToken").startsWith(QStringLiteral("aor")));
        QCOMPARE(str(t, "tokenType"), QStringLiteral("Bearer"));
        QCOMPARE(t.value(QStringLiteral("expiresIn")).toInt(), 3600);
        // The device code is used up.
        QTest::qWait(1100);
        verifyOidcError(token(client, kDeviceGrant, poll), 400, QStringLiteral("InvalidGrantException"),
                        QStringLiteral("invalid_grant"));
        QCOMPARE(awsState().value(QStringLiteral("liveAccessTokens")).toInt(), 1);
        // The token reaches the portal as alex (no roles yet).
        r = portal(QStringLiteral("/assignment/accounts"), str(t, "accessToken"));
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().value(QStringLiteral("accountList")).toArray().isEmpty());
    }

    void deviceFlowPageDeniedExpired()
    {
        m_emu->setAutoSignIn({});
        const QJsonObject client = newClient(false); // no scopes: 8 h, no refresh token
        auto start = [&] {
            return post(QStringLiteral("/device_authorization"),
                        {{QStringLiteral("clientId"), client.value(QStringLiteral("clientId"))},
                         {QStringLiteral("clientSecret"), client.value(QStringLiteral("clientSecret"))},
                         {QStringLiteral("startUrl"), kStartUrl}})
                .json();
        };
        // Without auto sign-in the page asks; megan approves.
        QJsonObject da = start();
        Reply r = get(QUrl(str(da, "verificationUriComplete")));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("Allow as"));
        QVERIFY(r.body.contains(str(da, "userCode").toLatin1()));
        const QByteArray form
            = "user_code=" + str(da, "userCode").toLatin1() + "&user=00000000-aaaa-bbbb-cccc-fedcba987654";
        r = send("POST", QStringLiteral("/aws/device"), form, {}, "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("megan@contoso.example"));
        r = token(client, kDeviceGrant,
                  {{QStringLiteral("deviceCode"), da.value(QStringLiteral("deviceCode"))}});
        QCOMPARE(r.status, 200);
        QVERIFY(!r.json().contains(QStringLiteral("refreshToken")));
        QCOMPARE(r.json().value(QStringLiteral("expiresIn")).toInt(), 8 * 3600);
        // megan's permanent assignment: Staging.
        r = portal(QStringLiteral("/assignment/accounts"), str(r.json(), "accessToken"));
        QCOMPARE(r.json().value(QStringLiteral("accountList")).toArray().size(), 1);

        // Denied.
        da = start();
        r = send("POST", QStringLiteral("/aws/device"),
                 "user_code=" + str(da, "userCode").toLatin1() + "&deny=1", {},
                 "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 200);
        verifyOidcError(token(client, kDeviceGrant,
                              {{QStringLiteral("deviceCode"), da.value(QStringLiteral("deviceCode"))}}),
                        400, QStringLiteral("AccessDeniedException"), QStringLiteral("access_denied"));
        // A wrong code on the page.
        r = send("POST", QStringLiteral("/aws/device"), "user_code=ZZZZ-ZZZZ&user=x", {},
                 "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 400);

        // Expired after 600 s of emulator time.
        da = start();
        m_emu->advanceClock(601);
        verifyOidcError(token(client, kDeviceGrant,
                              {{QStringLiteral("deviceCode"), da.value(QStringLiteral("deviceCode"))}}),
                        400, QStringLiteral("ExpiredTokenException"), QStringLiteral("expired_token"));
    }

    void authorizationCode()
    {
        const QJsonObject client = newClient(true, true);
        // Any loopback port matches the registered http://127.0.0.1/oauth/callback.
        Reply r = get(authorizeUrl(client, kCallback));
        QCOMPARE(r.status, 302);
        QCOMPARE(r.location.port(), 53421);
        QCOMPARE(r.location.path(), QStringLiteral("/oauth/callback"));
        QCOMPARE(QUrlQuery(r.location).queryItemValue(QStringLiteral("state")), QStringLiteral("3f1c2a9e"));
        const QString code = codeFrom(r);
        QVERIFY(!code.isEmpty());

        verifyOidcError(redeem(client, code, "wrong-verifier-wrong-verifier-wrong-verifier-wrong-verifier"),
                        400, QStringLiteral("InvalidGrantException"), QStringLiteral("invalid_grant"));
        // The redirect URI must be the one used at /authorize, port included.
        verifyOidcError(redeem(client, code, kVerifier, QStringLiteral("http://127.0.0.1/oauth/callback")),
                        400, QStringLiteral("InvalidGrantException"), QStringLiteral("invalid_grant"));
        r = redeem(client, code);
        QCOMPARE(r.status, 200);
        QVERIFY(r.json().contains(QStringLiteral("refreshToken")));
        verifyOidcError(redeem(client, code), 400, QStringLiteral("InvalidGrantException"),
                        QStringLiteral("invalid_grant"));

        // Codes live 10 minutes.
        const QString late = codeFrom(get(authorizeUrl(client, kCallback)));
        m_emu->advanceClock(601);
        verifyOidcError(redeem(client, late), 400, QStringLiteral("InvalidGrantException"),
                        QStringLiteral("invalid_grant"));

        // Not registered: another path, or another client; neither is redirected to.
        r = get(authorizeUrl(client, QStringLiteral("http://127.0.0.1:5/other")));
        QCOMPARE(r.status, 400);
        QJsonObject other = client;
        other.insert(QStringLiteral("clientId"), QStringLiteral("nope"));
        QCOMPARE(get(authorizeUrl(other, kCallback)).status, 400);
        // A client registered for the device flow only may not use the code flow.
        const QJsonObject device = newClient();
        verifyOidcError(redeem(device, code), 400, QStringLiteral("UnsupportedGrantTypeException"),
                        QStringLiteral("unsupported_grant_type"));
    }

    void authorizationCodePage()
    {
        m_emu->setAutoSignIn({});
        const QJsonObject client = newClient(true, true);
        Reply r = get(authorizeUrl(client, kCallback));
        QCOMPARE(r.status, 200);
        const QRegularExpressionMatch m
            = QRegularExpression(QStringLiteral("name=\"pending\" value=\"([^\"]+)\""))
                  .match(QString::fromUtf8(r.body));
        QVERIFY(m.hasMatch());
        r = send("POST", QStringLiteral("/aws/signin"),
                 "pending=" + m.captured(1).toLatin1() + "&user=00000000-aaaa-bbbb-cccc-0123456789ab", {},
                 "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 302);
        r = redeem(client, codeFrom(r));
        QCOMPARE(r.status, 200);
        // lee's permanent ViewOnlyAccess in Shared Services shows that it is lee.
        r = portal(QStringLiteral("/assignment/roles?account_id=") + kShared, str(r.json(), "accessToken"));
        QCOMPARE(r.json().value(QStringLiteral("roleList")).toArray().size(), 1);

        // Deny: back to the app with access_denied and the state.
        r = get(authorizeUrl(client, kCallback));
        const QString pending = QRegularExpression(QStringLiteral("name=\"pending\" value=\"([^\"]+)\""))
                                    .match(QString::fromUtf8(r.body))
                                    .captured(1);
        r = send("POST", QStringLiteral("/aws/signin"), "pending=" + pending.toLatin1() + "&deny=1", {},
                 "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 302);
        QCOMPARE(QUrlQuery(r.location).queryItemValue(QStringLiteral("error")),
                 QStringLiteral("access_denied"));
        QCOMPARE(QUrlQuery(r.location).queryItemValue(QStringLiteral("state")), QStringLiteral("3f1c2a9e"));

        // With auto sign-in on, a login_hint naming a scenario user wins.
        m_emu->setAutoSignIn(kAlexUpn);
        const QString megan = str(idc(kMeganUpn), "accessToken");
        r = portal(QStringLiteral("/assignment/roles?account_id=") + kStaging, megan);
        QCOMPARE(r.json().value(QStringLiteral("roleList")).toArray().size(), 1);
    }

    void refreshRotationAndClientErrors()
    {
        QJsonObject client;
        const QJsonObject first = idc(kAlexUpn, true, &client);
        const QString rt1 = str(first, "refreshToken");
        QVERIFY(!rt1.isEmpty());
        Reply r = token(client, QStringLiteral("refresh_token"), {{QStringLiteral("refreshToken"), rt1}});
        QCOMPARE(r.status, 200);
        const QString rt2 = str(r.json(), "refreshToken");
        QVERIFY(!rt2.isEmpty() && rt2 != rt1);
        QVERIFY(str(r.json(), "accessToken") != str(first, "accessToken"));
        QCOMPARE(r.json().value(QStringLiteral("expiresIn")).toInt(), 3600);
        // The old one is dead, the new one works once.
        verifyOidcError(
            token(client, QStringLiteral("refresh_token"), {{QStringLiteral("refreshToken"), rt1}}), 400,
            QStringLiteral("InvalidGrantException"), QStringLiteral("invalid_grant"));
        r = token(client, QStringLiteral("refresh_token"), {{QStringLiteral("refreshToken"), rt2}});
        QCOMPARE(r.status, 200);
        const QString rt3 = str(r.json(), "refreshToken");
        verifyOidcError(token(client, QStringLiteral("refresh_token"),
                              {{QStringLiteral("refreshToken"), QStringLiteral("aorNOPE")}}),
                        400, QStringLiteral("InvalidGrantException"), QStringLiteral("invalid_grant"));

        // invalid_client (401): unknown client, wrong secret.
        QJsonObject wrong = client;
        wrong.insert(QStringLiteral("clientSecret"), QStringLiteral("nope"));
        verifyOidcError(
            token(wrong, QStringLiteral("refresh_token"), {{QStringLiteral("refreshToken"), rt3}}), 401,
            QStringLiteral("InvalidClientException"), QStringLiteral("invalid_client"));
        wrong.insert(QStringLiteral("clientId"), QStringLiteral("nope"));
        verifyOidcError(
            token(wrong, QStringLiteral("refresh_token"), {{QStringLiteral("refreshToken"), rt3}}), 401,
            QStringLiteral("InvalidClientException"), QStringLiteral("invalid_client"));
        verifyOidcError(token(client, QStringLiteral("password"), {}), 400,
                        QStringLiteral("UnsupportedGrantTypeException"),
                        QStringLiteral("unsupported_grant_type"));
        verifyOidcError(
            post(QStringLiteral("/token"), {{QStringLiteral("grantType"), QStringLiteral("refresh_token")}}),
            400, QStringLiteral("InvalidRequestException"), QStringLiteral("invalid_request"));

        // Access tokens last an hour of emulator time; the registration 90 days.
        const QString access = str(r.json(), "accessToken");
        QCOMPARE(portal(QStringLiteral("/assignment/accounts"), access).status, 200);
        m_emu->advanceClock(3601);
        verifyPortalError(portal(QStringLiteral("/assignment/accounts"), access), 401,
                          QStringLiteral("UnauthorizedException"),
                          QStringLiteral("Session token not found or invalid"));
        r = token(client, QStringLiteral("refresh_token"), {{QStringLiteral("refreshToken"), rt3}});
        QCOMPARE(r.status, 200);
        m_emu->advanceClock(91LL * 24 * 3600);
        verifyOidcError(token(client, QStringLiteral("refresh_token"),
                              {{QStringLiteral("refreshToken"), str(r.json(), "refreshToken")}}),
                        401, QStringLiteral("InvalidClientException"), QStringLiteral("invalid_client"));
    }

    void portalPagingAndErrors()
    {
        QVERIFY(admin(QStringLiteral("settings"), R"({"scimDelaySeconds": 0})").status == 200);
        activate(kReadOnly);
        QCOMPARE(pim(entraToken(kAlexUpn), QStringLiteral("selfActivate"), kPowerUser).status, 201);
        QCOMPARE(pim(entraToken(kAlexUpn), QStringLiteral("selfActivate"), kBilling).status, 201);
        const QString at = accessToken(kAlexUpn);

        Reply r = portal(QStringLiteral("/assignment/accounts"), at);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.headers.value("content-type"), QByteArray("application/json"));
        QVERIFY(r.json().value(QStringLiteral("nextToken")).isNull());
        const QJsonArray all = r.json().value(QStringLiteral("accountList")).toArray();
        QCOMPARE(all.size(), 3);
        QCOMPARE(str(all.at(0).toObject(), "accountId"), kProduction);
        QCOMPARE(str(all.at(0).toObject(), "accountName"), QStringLiteral("Production"));
        QCOMPARE(str(all.at(0).toObject(), "emailAddress"), QStringLiteral("aws-production@contoso.example"));
        QVERIFY(!all.at(2).toObject().contains(QStringLiteral("emailAddress"))); // clients must cope

        // Pages of one, as `aws sso list-accounts --page-size 1` asks for them.
        QStringList seen;
        QString next;
        for (int page = 0; page < 5; ++page) {
            QString path = QStringLiteral("/assignment/accounts?max_result=1");
            if (!next.isEmpty())
                path += QStringLiteral("&next_token=") + enc(next);
            r = portal(path, at);
            QCOMPARE(r.status, 200);
            const QJsonArray list = r.json().value(QStringLiteral("accountList")).toArray();
            QCOMPARE(list.size(), 1);
            seen << str(list.first().toObject(), "accountId");
            if (r.json().value(QStringLiteral("nextToken")).isNull())
                break;
            next = str(r.json(), "nextToken");
            QVERIFY(!next.isEmpty());
        }
        QCOMPARE(seen, QStringList({kProduction, kStaging, kShared}));

        r = portal(QStringLiteral("/assignment/roles?account_id=") + kProduction, at);
        QCOMPARE(r.status, 200);
        const QJsonArray roles = r.json().value(QStringLiteral("roleList")).toArray();
        QCOMPARE(roles.size(), 1);
        QCOMPARE(str(roles.first().toObject(), "roleName"), QStringLiteral("ReadOnlyAccess"));
        QCOMPARE(str(roles.first().toObject(), "accountId"), kProduction);
        QVERIFY(r.json().value(QStringLiteral("nextToken")).isNull());

        verifyPortalError(portal(QStringLiteral("/assignment/accounts?max_result=0"), at), 400,
                          QStringLiteral("InvalidRequestException"));
        verifyPortalError(portal(QStringLiteral("/assignment/accounts?max_result=101"), at), 400,
                          QStringLiteral("InvalidRequestException"));
        verifyPortalError(portal(QStringLiteral("/assignment/accounts?next_token=garbage"), at), 400,
                          QStringLiteral("InvalidRequestException"));
        verifyPortalError(portal(QStringLiteral("/assignment/roles"), at), 400,
                          QStringLiteral("InvalidRequestException"));
        verifyPortalError(portal(QStringLiteral("/assignment/roles?account_id=999999999999"), at), 404,
                          QStringLiteral("ResourceNotFoundException"));
        verifyPortalError(portal(QStringLiteral("/federation/credentials?account_id=") + kProduction, at),
                          400, QStringLiteral("InvalidRequestException"));
        verifyPortalError(credentials(at, QStringLiteral("999999999999"), QStringLiteral("ReadOnlyAccess")),
                          404, QStringLiteral("ResourceNotFoundException"));
        verifyPortalError(credentials(at, kProduction, QStringLiteral("AdministratorAccess")), 403,
                          QStringLiteral("ForbiddenException"), QStringLiteral("No access"));
        QCOMPARE(portal(QStringLiteral("/assignment/accounts"), at, "POST").status, 405);

        // 401 in all its forms: no token, an unknown one, a logged-out one.
        verifyPortalError(send("GET", QStringLiteral("/assignment/accounts")), 401,
                          QStringLiteral("UnauthorizedException"),
                          QStringLiteral("Session token not found or invalid"));
        verifyPortalError(portal(QStringLiteral("/assignment/accounts"), QStringLiteral("aoaGARBAGE")), 401,
                          QStringLiteral("UnauthorizedException"));
        r = portal(QStringLiteral("/logout"), at, "POST");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.isEmpty());
        verifyPortalError(portal(QStringLiteral("/assignment/accounts"), at), 401,
                          QStringLiteral("UnauthorizedException"));
        verifyPortalError(portal(QStringLiteral("/logout"), at, "POST"), 401,
                          QStringLiteral("UnauthorizedException"));
    }

    void scimDelay()
    {
        QCOMPARE(awsState().value(QStringLiteral("scimDelaySeconds")).toInt(), 90);
        const QString at = accessToken(kAlexUpn, false); // 8 h: outlives the clock moves below
        activate(kReadOnly);
        verifyPortalError(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")), 403,
                          QStringLiteral("ForbiddenException"), QStringLiteral("No access"));
        QVERIFY(portal(QStringLiteral("/assignment/accounts"), at)
                    .json()
                    .value(QStringLiteral("accountList"))
                    .toArray()
                    .isEmpty());
        m_emu->advanceClock(85);
        QCOMPARE(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")).status, 403);
        m_emu->advanceClock(10);
        Reply r = credentials(at, kProduction, QStringLiteral("ReadOnlyAccess"));
        QCOMPARE(r.status, 200);
        const QJsonObject c = r.json().value(QStringLiteral("roleCredentials")).toObject();
        QVERIFY(str(c, "accessKeyId").startsWith(QStringLiteral("ASIA")));
        QCOMPARE(str(c, "accessKeyId").size(), 20);
        QVERIFY(!str(c, "secretAccessKey").isEmpty());
        QVERIFY(!str(c, "sessionToken").isEmpty());
        // Epoch milliseconds: now + the permission set's session duration (ReadOnlyAccess: PT8H).
        const qint64 expiration = c.value(QStringLiteral("expiration")).toInteger();
        QVERIFY(qAbs(expiration - m_emu->now().addSecs(8 * 3600).toMSecsSinceEpoch()) < 5000);
        r = portal(QStringLiteral("/assignment/accounts"), at);
        QCOMPARE(str(r.json().value(QStringLiteral("accountList")).toArray().first().toObject(), "accountId"),
                 kProduction);

        // State: the assignment with its start, the credentials without secrets.
        const QJsonObject state = awsState();
        bool found = false;
        for (const auto &v : state.value(QStringLiteral("assignments")).toArray()) {
            const QJsonObject a = v.toObject();
            if (str(a, "user") == kAlexUpn && str(a, "accountId") == kProduction) {
                found = str(a, "roleName") == u"ReadOnlyAccess" && !str(a, "since").isEmpty();
            }
        }
        QVERIFY(found);
        const QJsonObject issued
            = state.value(QStringLiteral("roleCredentials")).toArray().first().toObject();
        QCOMPARE(str(issued, "accessKeyId"), str(c, "accessKeyId"));
        QCOMPARE(str(issued, "user"), kAlexUpn);
        QVERIFY(!issued.contains(QStringLiteral("secretAccessKey")));
        QVERIFY(!QJsonDocument(state).toJson().contains(str(c, "secretAccessKey").toUtf8()));

        // The grant ends after PT1H; AWS keeps the role for the delay, then it goes.
        m_emu->advanceClock(3600 - 95 + 5); // 5 s past the end
        QCOMPARE(m_emu->state().value(QStringLiteral("grants")).toArray().size(), 0);
        QCOMPARE(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")).status, 200);
        m_emu->advanceClock(86);
        verifyPortalError(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")), 403,
                          QStringLiteral("ForbiddenException"), QStringLiteral("No access"));

        // A deactivation ends it the same way, with the delay from the deactivation.
        const QString at2 = accessToken(kAlexUpn, false);
        QCOMPARE(pim(entraToken(kAlexUpn), QStringLiteral("selfActivate"), kPowerUser).status, 201);
        m_emu->advanceClock(301);
        QCOMPARE(credentials(at2, kStaging, QStringLiteral("PowerUserAccess")).status, 200);
        deactivate(kPowerUser);
        m_emu->advanceClock(80);
        QCOMPARE(credentials(at2, kStaging, QStringLiteral("PowerUserAccess")).status, 200);
        m_emu->advanceClock(11);
        QCOMPARE(credentials(at2, kStaging, QStringLiteral("PowerUserAccess")).status, 403);

        // An owner activation is not a membership: it never reaches AWS.
        QCOMPARE(pim(entraToken(kAlexUpn), QStringLiteral("selfActivate"), kViewOnly, QStringLiteral("owner"))
                     .status,
                 201);
        m_emu->advanceClock(120);
        QCOMPARE(credentials(at2, kShared, QStringLiteral("ViewOnlyAccess")).status, 403);

        // The delay is a setting.
        QVERIFY(admin(QStringLiteral("settings"), R"({"scimDelaySeconds": 0})").status == 200);
        activate(kBilling);
        QCOMPARE(credentials(at2, kShared, QStringLiteral("Billing")).status, 200);
        QCOMPARE(admin(QStringLiteral("settings"), R"({"scimDelaySeconds": -1})").status, 400);
    }

    void rateLimit()
    {
        QCOMPARE(
            admin(QStringLiteral("settings"), R"({"portalRateLimit": {"requests": 3, "perSeconds": 60}})")
                .status,
            200);
        const QString at = accessToken(kMeganUpn);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(portal(QStringLiteral("/assignment/accounts"), at).status, 200);
        const Reply r = portal(QStringLiteral("/assignment/accounts"), at);
        verifyPortalError(r, 429, QStringLiteral("TooManyRequestsException"));
        QVERIFY(!str(r.json(), "message").isEmpty());
        // Per token: another sign-in is not throttled.
        QCOMPARE(portal(QStringLiteral("/assignment/accounts"), accessToken(kMeganUpn)).status, 200);
    }

    void faultsOnAwsRoutesAreAwsShaped()
    {
        QCOMPARE(admin(QStringLiteral("faults"), R"({"path": "/assignment/accounts", "status": 429})").status,
                 201);
        const QString at = accessToken(kMeganUpn);
        verifyPortalError(portal(QStringLiteral("/assignment/accounts"), at), 429,
                          QStringLiteral("TooManyRequestsException"));
        QCOMPARE(
            admin(QStringLiteral("faults"), R"({"path": "/token", "method": "POST", "status": 500})").status,
            201);
        const QJsonObject client = newClient();
        verifyOidcError(token(client, QStringLiteral("refresh_token"),
                              {{QStringLiteral("refreshToken"), QStringLiteral("x")}}),
                        500, QStringLiteral("InternalServerException"), QStringLiteral("server_error"));
    }

    void provisionOnDemand()
    {
        const QString at = accessToken(kAlexUpn, false);
        activate(kReadOnly);
        QCOMPARE(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")).status, 403);

        // alex is no administrator: Graph says no, in its own envelope.
        const QString alexGraph = entraToken(kAlexUpn);
        Reply r = pod(alexGraph, kReadOnly, {kAlex});
        QCOMPARE(r.status, 403);
        QCOMPARE(r.outerCode(), QStringLiteral("Authorization_RequestDenied"));
        QCOMPARE(send("GET", QStringLiteral("/graph/v1.0/servicePrincipals/%1/synchronization/jobs").arg(kSp),
                      {}, {{"Authorization", "Bearer " + alexGraph.toLatin1()}})
                     .status,
                 403);
        QCOMPARE(pod(QStringLiteral("garbage"), kReadOnly, {kAlex}).status, 401);

        // Even an administrator needs Synchronization.ReadWrite.All in the token for provision on demand.
        QCOMPARE(pod(entraToken(kMeganUpn), kReadOnly, {kAlex}).status, 403);

        // megan is an Application Administrator: the job, its schema, provision on demand.
        const QString megan = entraToken(kMeganUpn, kSyncScope);
        const QList<QPair<QByteArray, QByteArray>> auth {{"Authorization", "Bearer " + megan.toLatin1()}};
        r = send("GET", QStringLiteral("/graph/v1.0/servicePrincipals/%1/synchronization/jobs").arg(kSp), {},
                 auth);
        QCOMPARE(r.status, 200);
        const QJsonObject job = r.json().value(QStringLiteral("value")).toArray().first().toObject();
        QCOMPARE(str(job, "id"), kJob);
        QCOMPARE(str(job.value(QStringLiteral("schedule")).toObject(), "interval"), QStringLiteral("PT40M"));
        QVERIFY(!str(job.value(QStringLiteral("status"))
                         .toObject()
                         .value(QStringLiteral("lastExecution"))
                         .toObject(),
                     "timeEnded")
                     .isEmpty());
        r = send(
            "GET",
            QStringLiteral("/graph/v1.0/servicePrincipals/%1/synchronization/jobs/%2/schema").arg(kSp, kJob),
            {}, auth);
        QCOMPARE(r.status, 200);
        QCOMPARE(
            str(r.json().value(QStringLiteral("synchronizationRules")).toArray().first().toObject(), "id"),
            kRule);
        QCOMPARE(
            send("GET", QStringLiteral("/graph/v1.0/servicePrincipals/nope/synchronization/jobs"), {}, auth)
                .status,
            404);

        r = pod(megan, kReadOnly, {kAlex});
        QCOMPARE(r.status, 200);
        const QJsonObject key = QJsonDocument::fromJson(str(r.json(), "key").toUtf8()).object();
        QCOMPARE(str(key, "result"), QStringLiteral("Success"));
        QVERIFY(QJsonDocument::fromJson(str(r.json(), "value").toUtf8()).isObject());
        QVERIFY(str(r.json(), "@odata.context").endsWith(QStringLiteral("stringKeyStringValuePair")));
        // At once, no delay.
        QCOMPARE(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")).status, 200);

        // The deactivation reaches AWS after the delay, or at once on demand.
        m_emu->advanceClock(301);
        deactivate(kReadOnly);
        QCOMPARE(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")).status, 200);
        QCOMPARE(pod(entraToken(kMeganUpn, kSyncScope), kReadOnly, {kAlex}).status, 200);
        QCOMPARE(credentials(at, kProduction, QStringLiteral("ReadOnlyAccess")).status, 403);

        // Bad requests: another rule, six members, a group outside the job's scope.
        const QString megan2 = entraToken(kMeganUpn, kSyncScope);
        QCOMPARE(pod(megan2, kReadOnly, {kAlex}, QStringLiteral("other-rule")).status, 400);
        QCOMPARE(pod(megan2, kReadOnly, {kAlex, kAlex, kAlex, kAlex, kAlex, kAlex}).status, 400);
        // The service allows 5 requests in 10 seconds: the fifth goes through, the sixth does not.
        // Nothing left to push: Skipped, RedundantExport.
        r = pod(megan2, kReadOnly, {kAlex});
        QCOMPARE(r.status, 200);
        QCOMPARE(str(QJsonDocument::fromJson(str(r.json(), "key").toUtf8()).object(), "result"),
                 QStringLiteral("Skipped"));
        QVERIFY(str(r.json(), "key").contains(QStringLiteral("RedundantExport")));
        r = pod(megan2, kReadOnly, {kAlex});
        QCOMPARE(r.status, 429);
        QCOMPARE(r.outerCode(), QStringLiteral("TooManyRequests"));
        QVERIFY(!r.headers.value("retry-after").isEmpty());
        const QJsonArray calls = awsState().value(QStringLiteral("provisionOnDemand")).toArray();
        QCOMPARE(calls.size(), 3);
        QCOMPARE(str(calls.first().toObject(), "caller"), kMeganUpn);
    }

    void consoleFederation()
    {
        const QString at = accessToken(kLeeUpn);
        const QJsonObject creds = credentials(at, kShared, QStringLiteral("ViewOnlyAccess"))
                                      .json()
                                      .value(QStringLiteral("roleCredentials"))
                                      .toObject();
        QVERIFY(!creds.isEmpty());
        const QString base
            = QStringLiteral("/federation?Action=getSigninToken&Session=") + sessionParam(creds);
        Reply r = send("GET", base);
        QCOMPARE(r.status, 200);
        const QString signin = str(r.json(), "SigninToken");
        QVERIFY(signin.size() > 100);
        r = send("GET", base + QStringLiteral("&SessionDuration=3600"));
        QCOMPARE(r.status, 200);
        const QString withDuration = str(r.json(), "SigninToken");
        for (const auto &v : awsState().value(QStringLiteral("signinTokens")).toArray()) {
            const QDateTime end = QDateTime::fromString(str(v.toObject(), "sessionEnd"), Qt::ISODate);
            const qint64 secs = m_emu->now().secsTo(end);
            // Default: what the credentials have left (ViewOnlyAccess: PT12H); or the duration asked for.
            QVERIFY2(qAbs(secs - 12 * 3600) < 5 || qAbs(secs - 3600) < 5, qPrintable(QString::number(secs)));
            QCOMPARE(str(v.toObject(), "roleName"), QStringLiteral("ViewOnlyAccess"));
        }
        for (const char *bad : {"899", "43201", "1h"})
            QCOMPARE(send("GET", base + QStringLiteral("&SessionDuration=") + QLatin1String(bad)).status,
                     400);
        QJsonObject forged = creds;
        forged.insert(QStringLiteral("secretAccessKey"), QStringLiteral("wrong"));
        QCOMPARE(
            send("GET", QStringLiteral("/federation?Action=getSigninToken&Session=") + sessionParam(forged))
                .status,
            400);
        QCOMPARE(send("GET", QStringLiteral("/federation?Action=getSigninToken&Session=%7Bnope")).status,
                 400);
        QCOMPARE(send("GET", QStringLiteral("/federation?Action=dance")).status, 400);

        // The login page says where it signed in; the token works once.
        const QString login = QStringLiteral("/federation?Action=login&Issuer=")
            + enc(QStringLiteral("https://elevate.example")) + QStringLiteral("&Destination=")
            + enc(QStringLiteral(
                "https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1"))
            + QStringLiteral("&SigninToken=");
        r = send("GET", login + enc(signin));
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.value("content-type").startsWith("text/html"));
        const QString html = QString::fromUtf8(r.body);
        QVERIFY2(html.contains(QStringLiteral(
                     "Signed in to AWS account 345678901234 (Shared Services) as ViewOnlyAccess")),
                 qPrintable(html));
        QVERIFY(html.contains(kLeeUpn));
        QVERIFY(html.contains(QStringLiteral("eu-central-1.console.aws.amazon.com")));
        QCOMPARE(send("GET", login + enc(signin)).status, 400);
        QCOMPARE(send("GET", login + QStringLiteral("nope")).status, 400);
        QVERIFY(awsState()
                    .value(QStringLiteral("signinTokens"))
                    .toArray()
                    .first()
                    .toObject()
                    .contains(QStringLiteral("used")));

        // Sign-in tokens last 15 minutes; expired credentials get none.
        m_emu->advanceClock(901);
        QCOMPARE(send("GET", login + enc(withDuration)).status, 400);
        m_emu->advanceClock(12 * 3600);
        QCOMPARE(send("GET", base).status, 400);
    }

    void startPageRoutesAndConfig()
    {
        Reply r = send("GET", QStringLiteral("/aws/start"));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("AWS access portal"));
        QVERIFY(r.body.contains("account_id"));
        QVERIFY(r.body.contains("alex@contoso.example"));

        // Next to the Entra routes: a tenant's token endpoint still answers as Entra, /token as AWS.
        r = send("POST", u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token"), "grant_type=x", {},
                 "application/x-www-form-urlencoded");
        QCOMPARE(r.status, 400);
        QVERIFY(r.json().contains(QStringLiteral("error_codes")));
        r = send("GET", QStringLiteral("/token"));
        QCOMPARE(r.status, 405);
        QVERIFY(r.headers.value("x-amzn-errortype").startsWith("MethodNotAllowedException"));

        const QJsonObject config = QJsonDocument::fromJson(m_emu->configJson()).object();
        const QJsonObject aws = config.value(QStringLiteral("aws")).toObject();
        const QString base = m_emu->baseUrl().toString();
        QCOMPARE(str(aws, "startUrl"), base + QStringLiteral("/aws/start"));
        QCOMPARE(str(aws, "region"), QStringLiteral("eu-central-1"));
        QCOMPARE(str(aws, "oidcEndpoint"), base);
        QCOMPARE(str(aws, "portalEndpoint"), base);
        QCOMPARE(str(aws, "signinEndpoint"), base + QStringLiteral("/federation"));
        QCOMPARE(str(aws.value(QStringLiteral("sync")).toObject(), "servicePrincipalId"), kSp);
        // The break-glass group reaches AWS through its scenario "aws" field, not through Elevate's mapping.
        QVERIFY(!config.value(QStringLiteral("mapping")).toObject().contains(QStringLiteral("groups")));

        QTemporaryDir dir;
        QString error;
        QVERIFY2(m_emu->writeAwsCliEndpointRules(dir.path(), &error), qPrintable(error));
        for (const char *service : {"sso", "sso-oidc"}) {
            QFile f(dir.filePath(QLatin1String(service)
                                 + QStringLiteral("/2019-06-10/endpoint-rule-set-1.json")));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QJsonObject rules = QJsonDocument::fromJson(f.readAll()).object();
            QCOMPARE(rules.value(QStringLiteral("rules"))
                         .toArray()
                         .first()
                         .toObject()
                         .value(QStringLiteral("endpoint"))
                         .toObject()
                         .value(QStringLiteral("url"))
                         .toString(),
                     base);
        }
    }

    // settings.portalMembershipSnapshot: a session answers from the memberships of its sign-in (refreshes
    // keep them); settings.portalCredentialsLagSeconds: a new assignment is listed before its credentials
    // are handed out. Both from a scenario's settings; bad values are refused with a reason.
    void membershipSnapshotAndCredentialsLag()
    {
        QJsonObject j = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        QJsonObject settings = j.value(QStringLiteral("settings")).toObject();
        settings.insert(QStringLiteral("portalMembershipSnapshot"), true);
        settings.insert(QStringLiteral("portalCredentialsLagSeconds"), 30);
        j.insert(QStringLiteral("settings"), settings);
        QVERIFY(m_emu->loadScenario(QJsonDocument(j).toJson()));
        QCOMPARE(awsState().value(QStringLiteral("portalMembershipSnapshot")).toBool(), true);
        QCOMPARE(awsState().value(QStringLiteral("portalCredentialsLagSeconds")).toInt(), 30);

        QJsonObject client;
        const QJsonObject before = idc(kAlexUpn, true, &client); // signed in before the grant
        activate(kReadOnly);
        m_emu->advanceClock(95); // past the SCIM delay: Identity Center has the assignment
        auto roles = [this](const QString &token) {
            return portal(QStringLiteral("/assignment/roles?account_id=") + kProduction, token)
                .json()
                .value(QStringLiteral("roleList"))
                .toArray()
                .size();
        };
        const QString old = str(before, "accessToken");
        QCOMPARE(roles(old), 0);
        QCOMPARE(credentials(old, kProduction, QStringLiteral("ReadOnlyAccess")).status, 403);
        // A refresh keeps the sign-in's memberships.
        Reply r = token(client, QStringLiteral("refresh_token"),
                        {{QStringLiteral("refreshToken"), str(before, "refreshToken")}});
        QCOMPARE(r.status, 200);
        QCOMPARE(roles(str(r.json(), "accessToken")), 0);

        // A new sign-in sees it: listed at once, credentials only after the lag since it appeared.
        const QString fresh = accessToken(kAlexUpn);
        QCOMPARE(roles(fresh), 1);
        verifyPortalError(credentials(fresh, kProduction, QStringLiteral("ReadOnlyAccess")), 403,
                          QStringLiteral("ForbiddenException"), QStringLiteral("No access"));
        m_emu->advanceClock(30);
        QCOMPARE(credentials(fresh, kProduction, QStringLiteral("ReadOnlyAccess")).status, 200);
        // A direct assignment (lee's ViewOnlyAccess) has no lag and no snapshot.
        QCOMPARE(credentials(accessToken(kLeeUpn), kShared, QStringLiteral("ViewOnlyAccess")).status, 200);

        // Off again through the admin endpoint: the old session sees the role too.
        QCOMPARE(admin(QStringLiteral("settings"), R"({"portalMembershipSnapshot": false})").status, 200);
        QCOMPARE(roles(old), 1);
        QCOMPARE(admin(QStringLiteral("settings"), R"({"portalCredentialsLagSeconds": "soon"})").status, 400);

        settings.insert(QStringLiteral("portalMembershipSnapshot"), QStringLiteral("yes"));
        j.insert(QStringLiteral("settings"), settings);
        QString error;
        QVERIFY(!m_emu->loadScenario(QJsonDocument(j).toJson(), &error));
        QVERIFY2(error.contains(QStringLiteral("settings.portalMembershipSnapshot")), qPrintable(error));
    }

    void bareScenarioWithoutAws()
    {
        // A scenario without aws: no delay, no SCIM job, permanent assignments none; groups still map.
        QByteArray scenario = Emulator::Emulator::builtInScenario();
        QJsonObject j = QJsonDocument::fromJson(scenario).object();
        j.remove(QStringLiteral("aws"));
        QVERIFY(m_emu->loadScenario(QJsonDocument(j).toJson()));
        activate(kReadOnly);
        QCOMPARE(credentials(accessToken(kAlexUpn), kProduction, QStringLiteral("ReadOnlyAccess")).status,
                 200);
        QCOMPARE(pod(entraToken(kMeganUpn), kReadOnly, {kAlex}).status, 404);
        // Bad aws sections are refused with a reason.
        j.insert(QStringLiteral("aws"),
                 QJsonObject {{QStringLiteral("scimDelaySeconds"), QStringLiteral("soon")}});
        QString error;
        QVERIFY(!m_emu->loadScenario(QJsonDocument(j).toJson(), &error));
        QVERIFY(error.contains(QStringLiteral("scimDelaySeconds")));
    }

    void realAwsCli()
    {
        const QString aws = QStringLiteral("/usr/bin/aws");
        if (!QFile::exists(aws))
            QSKIP("/usr/bin/aws (Debian's awscli) is not installed");
        QTemporaryDir home, data;
        QVERIFY(m_emu->writeAwsCliEndpointRules(data.path()));
        // lee holds ViewOnlyAccess in Shared Services (no PIM); AdministratorAccess in Production nobody.
        QJsonObject client;
        const QJsonObject t = idc(kLeeUpn, true, &client);
        QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".aws/sso/cache")));
        QFile config(home.filePath(QStringLiteral(".aws/config")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("[sso-session emu]\nsso_start_url = https://d-1234567890.awsapps.com/start\n"
                     "sso_region = eu-central-1\nsso_registration_scopes = sso:account:access\n\n"
                     "[profile emu]\nsso_session = emu\nsso_account_id = 345678901234\n"
                     "sso_role_name = ViewOnlyAccess\n\n"
                     "[profile denied]\nsso_session = emu\nsso_account_id = 123456789012\n"
                     "sso_role_name = AdministratorAccess\n");
        config.close();
        const auto utc
            = [](const QDateTime &d) { return d.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ssZ")); };
        const QDateTime wall = QDateTime::currentDateTimeUtc();
        auto writeCache = [&](const QDateTime &expiresAt) {
            QFile cache(home.filePath(
                QStringLiteral(".aws/sso/cache/")
                + QString::fromLatin1(QCryptographicHash::hash("emu", QCryptographicHash::Sha1).toHex())
                + QStringLiteral(".json")));
            QVERIFY(cache.open(QIODevice::WriteOnly | QIODevice::Truncate));
            cache.write(
                compact({{QStringLiteral("startUrl"), kStartUrl},
                         {QStringLiteral("region"), QStringLiteral("eu-central-1")},
                         {QStringLiteral("accessToken"), t.value(QStringLiteral("accessToken"))},
                         {QStringLiteral("expiresAt"), utc(expiresAt)},
                         {QStringLiteral("clientId"), client.value(QStringLiteral("clientId"))},
                         {QStringLiteral("clientSecret"), client.value(QStringLiteral("clientSecret"))},
                         {QStringLiteral("registrationExpiresAt"), utc(wall.addDays(89))},
                         {QStringLiteral("refreshToken"), t.value(QStringLiteral("refreshToken"))}}));
        };
        writeCache(wall.addSecs(3600));

        auto run = [&](const QString &profile, int *exitCode, QByteArray *out, QByteArray *err) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            for (const char *name : {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE",
                                     "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                     "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"})
                env.remove(QLatin1String(name));
            env.insert(QStringLiteral("HOME"), home.path());
            env.insert(QStringLiteral("AWS_DATA_PATH"), data.path());
            env.insert(QStringLiteral("AWS_PAGER"), QString());
            p.setProcessEnvironment(env);
            QSignalSpy finished(&p, &QProcess::finished);
            // The emulator lives on this thread: let the event loop run while the CLI talks to it.
            p.start(aws,
                    {QStringLiteral("configure"), QStringLiteral("export-credentials"),
                     QStringLiteral("--profile"), profile});
            QVERIFY(p.waitForStarted());
            QTRY_VERIFY_WITH_TIMEOUT(finished.size() == 1, 90'000);
            *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
            *out = p.readAllStandardOutput();
            *err = p.readAllStandardError();
        };
        int code = 0;
        QByteArray out, err;
        run(QStringLiteral("emu"), &code, &out, &err);
        QVERIFY2(code == 0, err.constData());
        const QJsonObject exported = QJsonDocument::fromJson(out).object();
        const QJsonArray issued = awsState().value(QStringLiteral("roleCredentials")).toArray();
        QCOMPARE(issued.size(), 1);
        QCOMPARE(str(exported, "AccessKeyId"), str(issued.first().toObject(), "accessKeyId"));
        QCOMPARE(str(issued.first().toObject(), "user"), kLeeUpn);
        QVERIFY(!str(exported, "SessionToken").isEmpty());
        QCOMPARE(exported.value(QStringLiteral("Version")).toInt(), 1);

        run(QStringLiteral("denied"), &code, &out, &err);
        QVERIFY(code != 0);
        QVERIFY2(err.contains("ForbiddenException") && err.contains("No access"), err.constData());

        // A token with 5 minutes left: the CLI refreshes it through /token (rotation) before using it.
        writeCache(wall.addSecs(300));
        QDir(home.filePath(QStringLiteral(".aws/cli/cache"))).removeRecursively();
        run(QStringLiteral("emu"), &code, &out, &err);
        QVERIFY2(code == 0, err.constData());
        int refreshes = 0;
        for (const auto &v : m_emu->state().value(QStringLiteral("httpRequests")).toArray())
            refreshes += str(v.toObject(), "path") == u"/token"
                && v.toObject().value(QStringLiteral("status")).toInt() == 200;
        QCOMPARE(refreshes, 2); // the sign-in above, and the CLI's refresh
    }
};

QTEST_GUILESS_MAIN(TestEmulatorAws)
#include "tst_emulator_aws.moc"

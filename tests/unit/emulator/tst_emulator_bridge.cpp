// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's app-only side for elevate-bridge over real HTTP: confidential applications and the
// client-credentials grant (secret and client assertion, every AADSTS refusal), app tokens' claims,
// Graph for app tokens (assignment schedule instances by group or principal, paged; /groups with
// startswith; the SCIM job, its schema and provisionOnDemand with each permission way, the throttle,
// several members, a quarantined or paused job, a deleted group), a batch of app reads with one step
// throttled, and writeBridgeConfig (--write-bridge-config).

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>
#include <QUuid>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

// The demo scenario's ids.
const QString kAdmin = QStringLiteral("0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b"); // AWS-123456789012-Admin...
const QString kReadOnly = QStringLiteral("5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9");
const QString kUnknownGroup = QStringLiteral("99999999-9999-4999-8999-999999999999");
const QString kSp = QStringLiteral("6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f");
const QString kJob
    = QStringLiteral("aWSSingleSignOn.0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e.6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f");
const QString kRule = QStringLiteral("33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2");
const QString kAlex = QStringLiteral("00000000-aaaa-bbbb-cccc-123456789abc");
const QString kMegan = QStringLiteral("00000000-aaaa-bbbb-cccc-fedcba987654");
const QString kLee = QStringLiteral("00000000-aaaa-bbbb-cccc-0123456789ab");
const QString kGraphDefault = QStringLiteral("https://graph.microsoft.com/.default");
const QString kInstances = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                          "assignmentScheduleInstances");
const QString kThumb256 = QStringLiteral("n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg");
const QString kThumb1 = QStringLiteral("lDpwLQbzRZmu4fjajvn3KWAx1pk");

QByteArray b64(const QByteArray &b)
{
    return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray jwt(const QJsonObject &header, const QJsonObject &claims)
{
    return b64(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
        + b64(QJsonDocument(claims).toJson(QJsonDocument::Compact)) + '.' + b64("not-a-real-signature");
}

QJsonObject payloadOf(const QString &token)
{
    const QList<QByteArray> parts = token.toLatin1().split('.');
    if (parts.size() != 3)
        return {};
    return QJsonDocument::fromJson(QByteArray::fromBase64(parts.at(1), QByteArray::Base64UrlEncoding))
        .object();
}

QStringList strings(const QJsonValue &v)
{
    QStringList out;
    for (const auto &x : v.toArray())
        out << x.toString();
    return out;
}

QString newClientId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}
} // namespace

class TestEmulatorBridge : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;

    Reply send(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        return Test::sendToEmulator(m_nam, method, QUrl(m_emu->baseUrl().toString() + path), body, headers,
                                    contentType);
    }
    QString tokenEndpoint() const
    {
        return m_emu->baseUrl().toString() + u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token");
    }
    Reply token(const QList<QPair<QString, QString>> &params)
    {
        QUrlQuery q;
        for (const auto &p : params)
            q.addQueryItem(p.first, QString::fromLatin1(QUrl::toPercentEncoding(p.second)));
        return send("POST", u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token"),
                    q.query(QUrl::FullyEncoded).toLatin1(), {}, "application/x-www-form-urlencoded");
    }
    /// Registers an application (POST /_emulator/applications); its service principal id.
    QString registerApp(const QJsonObject &app)
    {
        const Reply r = send("POST", QStringLiteral("/_emulator/applications"),
                             QJsonDocument(app).toJson(QJsonDocument::Compact));
        if (r.status != 200)
            qWarning("register: %s", r.body.constData());
        return r.json().value(QStringLiteral("servicePrincipalId")).toString();
    }
    /// A token for a new application with these roles (and owner of these service principals).
    QString appToken(const QStringList &roles, const QStringList &ownerOf = {})
    {
        const QString id = newClientId();
        const QString secret = QStringLiteral("secret-of-") + id;
        registerApp({{QStringLiteral("clientId"), id},
                     {QStringLiteral("secret"), secret},
                     {QStringLiteral("roles"), QJsonArray::fromStringList(roles)},
                     {QStringLiteral("ownerOf"), QJsonArray::fromStringList(ownerOf)}});
        const Reply r = token({{QStringLiteral("client_id"), id},
                               {QStringLiteral("client_secret"), secret},
                               {QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                               {QStringLiteral("scope"), kGraphDefault}});
        return r.json().value(QStringLiteral("access_token")).toString();
    }
    Reply get(const QString &path, const QString &bearer)
    {
        return send("GET", path, {}, {{"Authorization", "Bearer " + bearer.toLatin1()}});
    }
    Reply post(const QString &path, const QString &bearer, const QJsonObject &body)
    {
        return send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact),
                    {{"Authorization", "Bearer " + bearer.toLatin1()}});
    }
    QString jobsPath() const
    {
        return QStringLiteral("/graph/v1.0/servicePrincipals/%1/synchronization/jobs").arg(kSp);
    }
    Reply provisionGroup(const QString &bearer, const QString &groupId, const QStringList &members)
    {
        QJsonArray m;
        for (const auto &id : members)
            m.append(QJsonObject {{QStringLiteral("objectId"), id},
                                  {QStringLiteral("objectTypeName"), QStringLiteral("User")}});
        const QJsonObject subject {{QStringLiteral("objectId"), groupId},
                                   {QStringLiteral("objectTypeName"), QStringLiteral("Group")},
                                   {QStringLiteral("links"), QJsonObject {{QStringLiteral("members"), m}}}};
        return post(jobsPath() + u'/' + kJob + QStringLiteral("/provisionOnDemand"), bearer,
                    {{QStringLiteral("parameters"),
                      QJsonArray {QJsonObject {{QStringLiteral("ruleId"), kRule},
                                               {QStringLiteral("subjects"), QJsonArray {subject}}}}}});
    }
    static QJsonObject keyOf(const Reply &r)
    {
        return QJsonDocument::fromJson(r.json().value(QStringLiteral("key")).toString().toUtf8()).object();
    }
    /// "user accountId/roleName" of the Identity Center assignments now.
    QStringList awsAssignments()
    {
        QStringList out;
        const QJsonObject aws = m_emu->state().value(QStringLiteral("aws")).toObject();
        for (const auto &a : aws.value(QStringLiteral("assignments")).toArray())
            out << a[QStringLiteral("user")].toString() + u' ' + a[QStringLiteral("accountId")].toString()
                    + u'/' + a[QStringLiteral("roleName")].toString();
        return out;
    }
    void checkEntraError(const Reply &r, int status, const QString &error, int code)
    {
        QCOMPARE(r.status, status);
        const QJsonObject j = r.json();
        QCOMPARE(j.value(QStringLiteral("error")).toString(), error);
        QVERIFY2(j.value(QStringLiteral("error_description"))
                     .toString()
                     .startsWith(QStringLiteral("AADSTS%1: ").arg(code)),
                 qPrintable(j.value(QStringLiteral("error_description")).toString()));
        QCOMPARE(j.value(QStringLiteral("error_codes")).toArray(), QJsonArray {code});
        for (const char *k : {"timestamp", "trace_id", "correlation_id"})
            QVERIFY2(!j.value(QLatin1String(k)).toString().isEmpty(), k);
        QVERIFY(!j.contains(QStringLiteral("access_token")));
    }
    QJsonObject assertionClaims(const QString &clientId, qint64 expIn = 600) const
    {
        const qint64 t = m_emu->now().toSecsSinceEpoch();
        return {{QStringLiteral("iss"), clientId},
                {QStringLiteral("sub"), clientId},
                {QStringLiteral("aud"), tokenEndpoint()},
                {QStringLiteral("jti"), QUuid::createUuid().toString(QUuid::WithoutBraces)},
                {QStringLiteral("nbf"), t},
                {QStringLiteral("iat"), t},
                {QStringLiteral("exp"), t + expIn}};
    }
    Reply assertionToken(const QString &clientId, const QByteArray &assertion)
    {
        return token({{QStringLiteral("client_id"), clientId},
                      {QStringLiteral("client_assertion_type"),
                       QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")},
                      {QStringLiteral("client_assertion"), QString::fromLatin1(assertion)},
                      {QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                      {QStringLiteral("scope"), kGraphDefault}});
    }
    /// The demo scenario with permanent assignments of all three users to the AdministratorAccess group.
    QByteArray scenarioWithAssignments()
    {
        QJsonObject s = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        QJsonArray a;
        for (const char *upn : {"alex@contoso.example", "megan@contoso.example", "lee@contoso.example"})
            a.append(QJsonObject {
                {QStringLiteral("user"), QLatin1String(upn)},
                {QStringLiteral("group"), QStringLiteral("AWS-123456789012-AdministratorAccess")}});
        s.insert(QStringLiteral("assignments"), a);
        return QJsonDocument(s).toJson(QJsonDocument::Compact);
    }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        m_emu->setProfile(QStringLiteral("friendly"));
        QString error;
        QVERIFY2(m_emu->loadScenario(scenarioWithAssignments(), &error), qPrintable(error));
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
    }
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    // 1. The client-credentials grant ------------------------------------------------------------------

    void secretGivesAnAppTokenWithTheAppsRoles()
    {
        const QString id = newClientId();
        const QString sp
            = registerApp({{QStringLiteral("clientId"), id},
                           {QStringLiteral("secret"), QStringLiteral("s3cret~value")},
                           {QStringLiteral("roles"),
                            QJsonArray {QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup"),
                                        QStringLiteral("Group.Read.All")}}});
        QVERIFY(!QUuid(sp).isNull());
        const Reply r = token({{QStringLiteral("client_id"), id},
                               {QStringLiteral("client_secret"), QStringLiteral("s3cret~value")},
                               {QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                               {QStringLiteral("scope"), kGraphDefault}});
        QCOMPARE(r.status, 200);
        const QJsonObject j = r.json();
        QCOMPARE(j.value(QStringLiteral("token_type")).toString(), QStringLiteral("Bearer"));
        QCOMPARE(j.value(QStringLiteral("expires_in")).toInt(), 3599);
        QCOMPARE(j.value(QStringLiteral("ext_expires_in")).toInt(), 3599);
        QVERIFY(!j.contains(QStringLiteral("refresh_token")));
        QVERIFY(!j.contains(QStringLiteral("id_token")));
        const QJsonObject claims = payloadOf(j.value(QStringLiteral("access_token")).toString());
        QCOMPARE(strings(claims.value(QStringLiteral("roles"))),
                 (QStringList {QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup"),
                               QStringLiteral("Group.Read.All")}));
        QCOMPARE(claims.value(QStringLiteral("appid")).toString(), id);
        QCOMPARE(claims.value(QStringLiteral("azp")).toString(), id);
        QCOMPARE(claims.value(QStringLiteral("oid")).toString(), sp);
        QCOMPARE(claims.value(QStringLiteral("sub")).toString(), sp);
        QCOMPARE(claims.value(QStringLiteral("idtyp")).toString(), QStringLiteral("app"));
        QCOMPARE(claims.value(QStringLiteral("tid")).toString(), m_emu->tenantId());
        QCOMPARE(claims.value(QStringLiteral("aud")).toString(),
                 QStringLiteral("https://graph.microsoft.com"));
        QVERIFY(!claims.contains(QStringLiteral("scp")));
        QVERIFY(claims.value(QStringLiteral("exp")).toInteger() > m_emu->now().toSecsSinceEpoch());
        // The service principal id is stable from the clientId (a second registration keeps it).
        QCOMPARE(
            registerApp({{QStringLiteral("clientId"), id}, {QStringLiteral("secret"), QStringLiteral("x")}}),
            sp);
    }

    void refusals_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("code");
        QTest::newRow("wrong secret") << "wrongSecret" << 401 << "invalid_client" << 7000215;
        QTest::newRow("expired secret") << "expiredSecret" << 401 << "invalid_client" << 7000222;
        QTest::newRow("unknown client") << "unknownClient" << 400 << "unauthorized_client" << 700016;
        QTest::newRow("delegated scope") << "delegatedScope" << 400 << "invalid_scope" << 1002012;
        QTest::newRow("two scopes") << "twoScopes" << 400 << "invalid_scope" << 1002012;
        QTest::newRow("no scope") << "noScope" << 400 << "invalid_scope" << 1002012;
        QTest::newRow("neither credential") << "neither" << 401 << "invalid_client" << 7000218;
        QTest::newRow("both credentials") << "both" << 400 << "invalid_request" << 90014;
        QTest::newRow("unregistered certificate") << "unknownThumbprint" << 401 << "invalid_client" << 700027;
        QTest::newRow("no thumbprint") << "noThumbprint" << 401 << "invalid_client" << 700027;
        QTest::newRow("iss not the client") << "wrongIss" << 401 << "invalid_client" << 700021;
        QTest::newRow("sub not the client") << "wrongSub" << 401 << "invalid_client" << 700021;
        QTest::newRow("aud not the token endpoint") << "wrongAud" << 401 << "invalid_client" << 50027;
        QTest::newRow("expired assertion") << "expired" << 401 << "invalid_client" << 700024;
        QTest::newRow("assertion not yet valid") << "notYet" << 401 << "invalid_client" << 700024;
        QTest::newRow("alg HS256") << "hs256" << 401 << "invalid_client" << 50027;
        QTest::newRow("typ not JWT") << "typ" << 401 << "invalid_client" << 50027;
        QTest::newRow("no jti") << "noJti" << 401 << "invalid_client" << 50027;
        QTest::newRow("not a JWT") << "garbage" << 401 << "invalid_client" << 50027;
        QTest::newRow("unsigned JWT") << "unsigned" << 401 << "invalid_client" << 50027;
        QTest::newRow("wrong assertion type") << "assertionType" << 400 << "invalid_request" << 90014;
        QTest::newRow("public client with a secret") << "publicSecret" << 401 << "invalid_client" << 700025;
    }
    void refusals()
    {
        QFETCH(QString, what);
        QFETCH(int, status);
        QFETCH(QString, error);
        QFETCH(int, code);
        const QString id = newClientId();
        registerApp({{QStringLiteral("clientId"), id},
                     {QStringLiteral("secret"), QStringLiteral("right")},
                     {QStringLiteral("secretExpired"), what == u"expiredSecret"},
                     {QStringLiteral("certificates"),
                      QJsonArray {QJsonObject {{QStringLiteral("x5tS256"), kThumb256},
                                               {QStringLiteral("x5t"), kThumb1}}}},
                     {QStringLiteral("roles"), QJsonArray {QStringLiteral("Group.Read.All")}}});
        QList<QPair<QString, QString>> p {
            {QStringLiteral("client_id"), id},
            {QStringLiteral("grant_type"), QStringLiteral("client_credentials")}};
        const QString scope = what == u"delegatedScope"
            ? QStringLiteral("https://graph.microsoft.com/User.Read")
            : what == u"twoScopes" ? kGraphDefault + QStringLiteral(" https://management.azure.com/.default")
                                   : kGraphDefault;
        if (what != u"noScope")
            p.append({QStringLiteral("scope"), scope});
        QJsonObject header {{QStringLiteral("alg"), QStringLiteral("RS256")},
                            {QStringLiteral("typ"), QStringLiteral("JWT")},
                            {QStringLiteral("x5t#S256"), kThumb256}};
        QJsonObject claims = assertionClaims(id);
        const qint64 t = m_emu->now().toSecsSinceEpoch();
        bool assertion = true;
        if (what == u"wrongSecret" || what == u"expiredSecret" || what == u"delegatedScope"
            || what == u"twoScopes" || what == u"noScope" || what == u"both") {
            p.append({QStringLiteral("client_secret"),
                      what == u"wrongSecret" ? QStringLiteral("wrong") : QStringLiteral("right")});
            assertion = what == u"both";
        } else if (what == u"unknownClient") {
            p[0].second = newClientId();
            p.append({QStringLiteral("client_secret"), QStringLiteral("right")});
            assertion = false;
        } else if (what == u"neither") {
            assertion = false;
        } else if (what == u"publicSecret") {
            p[0].second = m_emu->clientId();
            p.append({QStringLiteral("client_secret"), QStringLiteral("right")});
            assertion = false;
        } else if (what == u"unknownThumbprint") {
            header[QStringLiteral("x5t#S256")]
                = QStringLiteral("AAAAQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg");
        } else if (what == u"noThumbprint") {
            header.remove(QStringLiteral("x5t#S256"));
        } else if (what == u"wrongIss") {
            claims[QStringLiteral("iss")] = newClientId();
        } else if (what == u"wrongSub") {
            claims[QStringLiteral("sub")] = newClientId();
        } else if (what == u"wrongAud") {
            claims[QStringLiteral("aud")] = QStringLiteral("https://graph.microsoft.com");
        } else if (what == u"expired") {
            claims[QStringLiteral("exp")] = t - 1;
        } else if (what == u"notYet") {
            claims[QStringLiteral("nbf")] = t + 300;
        } else if (what == u"hs256") {
            header[QStringLiteral("alg")] = QStringLiteral("HS256");
        } else if (what == u"typ") {
            header[QStringLiteral("typ")] = QStringLiteral("JOSE+JSON");
        } else if (what == u"noJti") {
            claims.remove(QStringLiteral("jti"));
        }
        if (assertion) {
            QByteArray jwtText = jwt(header, claims);
            if (what == u"garbage")
                jwtText = "not.a.jwt";
            if (what == u"unsigned")
                jwtText = jwtText.left(jwtText.lastIndexOf('.') + 1);
            p.append({QStringLiteral("client_assertion_type"),
                      what == u"assertionType"
                          ? QStringLiteral("urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
                          : QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")});
            p.append({QStringLiteral("client_assertion"), QString::fromLatin1(jwtText)});
        }
        checkEntraError(token(p), status, error, code);
    }

    void assertionsRs256AndPs256WithEitherThumbprint()
    {
        const QString id = newClientId();
        registerApp({{QStringLiteral("clientId"), id},
                     {QStringLiteral("certificates"),
                      QJsonArray {QJsonObject {{QStringLiteral("x5tS256"), kThumb256},
                                               {QStringLiteral("x5t"), kThumb1}}}},
                     {QStringLiteral("roles"), QJsonArray {QStringLiteral("Group.Read.All")}}});
        const Reply rs = assertionToken(id,
                                        jwt({{QStringLiteral("alg"), QStringLiteral("RS256")},
                                             {QStringLiteral("typ"), QStringLiteral("JWT")},
                                             {QStringLiteral("x5t#S256"), kThumb256}},
                                            assertionClaims(id)));
        QCOMPARE(rs.status, 200);
        QCOMPARE(strings(payloadOf(rs.json().value(QStringLiteral("access_token")).toString())
                             .value(QStringLiteral("roles"))),
                 QStringList {QStringLiteral("Group.Read.All")});
        const Reply ps = assertionToken(id,
                                        jwt({{QStringLiteral("alg"), QStringLiteral("PS256")},
                                             {QStringLiteral("typ"), QStringLiteral("JWT")},
                                             {QStringLiteral("x5t"), kThumb1}},
                                            assertionClaims(id)));
        QCOMPARE(ps.status, 200);
        // The aud may also name the tenant as the request path does (here: the same tenant id).
        QJsonObject claims = assertionClaims(id);
        const QByteArray again = jwt({{QStringLiteral("alg"), QStringLiteral("RS256")},
                                      {QStringLiteral("typ"), QStringLiteral("JWT")},
                                      {QStringLiteral("x5t#S256"), kThumb256}},
                                     claims);
        QCOMPARE(assertionToken(id, again).status, 200);
        // A replayed assertion (same jti) is refused.
        checkEntraError(assertionToken(id, again), 401, QStringLiteral("invalid_client"), 50027);
    }

    void secretsNeverInState()
    {
        const QString id = newClientId();
        registerApp({{QStringLiteral("clientId"), id},
                     {QStringLiteral("secret"), QStringLiteral("do-not-leak-4711")}});
        const QByteArray state = QJsonDocument(m_emu->state()).toJson();
        QVERIFY(state.contains(id.toLatin1()));
        QVERIFY(!state.contains("do-not-leak-4711"));
        const Reply list = send("GET", QStringLiteral("/_emulator/applications"));
        QCOMPARE(list.status, 200);
        QVERIFY(list.body.contains(id.toLatin1()));
        QVERIFY(!list.body.contains("do-not-leak-4711"));
        // Bad registrations are refused.
        for (const QJsonObject &bad :
             {QJsonObject {{QStringLiteral("clientId"), QStringLiteral("not-a-guid")}},
              QJsonObject {{QStringLiteral("clientId"), m_emu->clientId()}},
              QJsonObject {{QStringLiteral("clientId"), newClientId()},
                           {QStringLiteral("roles"), QStringLiteral("x")}},
              QJsonObject {{QStringLiteral("clientId"), newClientId()},
                           {QStringLiteral("secret"), QString()}},
              QJsonObject {{QStringLiteral("clientId"), newClientId()},
                           {QStringLiteral("certificates"), QJsonArray {QJsonObject {}}}}})
            QCOMPARE(send("POST", QStringLiteral("/_emulator/applications"),
                          QJsonDocument(bad).toJson(QJsonDocument::Compact))
                         .status,
                     400);
    }

    // 2. Graph, app-only ------------------------------------------------------------------------------

    void delegatedRoutesRefuseAppTokens()
    {
        const QString t = appToken({QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"),
                                    QStringLiteral("PrivilegedEligibilitySchedule.Read.AzureADGroup")});
        QVERIFY(!t.isEmpty());
        QCOMPARE(get(QStringLiteral("/graph/v1.0/me"), t).status, 400);
        const Reply elig
            = get(QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                 "eligibilityScheduleInstances/filterByCurrentUser(on='principal')"),
                  t);
        QCOMPARE(elig.status, 403);
        QCOMPARE(elig.outerCode(), QStringLiteral("Authorization_RequestDenied"));
        QCOMPARE(get(QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                    "assignmentScheduleRequests/filterByCurrentUser(on='principal')"),
                     t)
                     .status,
                 403);
        // App Graph calls are counted like anybody's.
        const int before
            = m_emu->state().value(QStringLiteral("calls")).toObject().value(QStringLiteral("graph")).toInt();
        get(kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kAdmin), t);
        QCOMPARE(
            m_emu->state().value(QStringLiteral("calls")).toObject().value(QStringLiteral("graph")).toInt(),
            before + 1);
    }

    void instancesByGroupArePaged()
    {
        m_emu->setPageSize(2);
        const QString t = appToken({QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup")});
        Reply r = get(kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kAdmin), t);
        QCOMPARE(r.status, 200);
        QStringList principals;
        int pages = 0;
        for (;;) {
            ++pages;
            for (const auto &v : r.json().value(QStringLiteral("value")).toArray()) {
                QCOMPARE(v[QStringLiteral("groupId")].toString(), kAdmin);
                principals << v[QStringLiteral("principalId")].toString();
            }
            const QString next = r.json().value(QStringLiteral("@odata.nextLink")).toString();
            if (next.isEmpty())
                break;
            QVERIFY(next.contains(QStringLiteral("$filter=")));
            r = get(QUrl(next).toString(QUrl::RemoveScheme | QUrl::RemoveAuthority), t);
            QCOMPARE(r.status, 200);
        }
        QCOMPARE(pages, 2);
        principals.sort();
        QStringList want {kAlex, kMegan, kLee};
        want.sort();
        QCOMPARE(principals, want);
        // By principal, %24filter spelt out; another group has none of them.
        const Reply mine
            = get(kInstances + QStringLiteral("?%24filter=principalId%20eq%20'%1'").arg(kMegan), t);
        QCOMPARE(mine.status, 200);
        const QJsonArray megan = mine.json().value(QStringLiteral("value")).toArray();
        QVERIFY(!megan.isEmpty());
        for (const auto &v : megan)
            QCOMPARE(v[QStringLiteral("principalId")].toString(), kMegan);
        const Reply other = get(kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kReadOnly), t);
        QCOMPARE(other.status, 200);
        QCOMPARE(other.json().value(QStringLiteral("value")).toArray().size(), 0);
    }

    void instancesNeedAFilterAndARole()
    {
        const QString t = appToken({QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup")});
        QCOMPARE(get(kInstances, t).status, 400);
        QCOMPARE(get(kInstances + QStringLiteral("?$filter=accessId eq 'member'"), t).status, 400);
        const QString none = appToken({QStringLiteral("Group.Read.All")});
        const Reply r = get(kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kAdmin), none);
        QCOMPARE(r.status, 403);
        QCOMPARE(r.pimCode(), QStringLiteral("PermissionScopeNotGranted"));
        const QString rw = appToken({QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup")});
        QCOMPARE(get(kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kAdmin), rw).status, 200);
        // Tokens from nobody: 401.
        QCOMPARE(
            get(kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kAdmin), QStringLiteral("forged"))
                .status,
            401);
    }

    void missingGroupBothReadings()
    {
        const QString t = appToken({QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup")});
        const QString path = kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kUnknownGroup);
        QCOMPARE(m_emu->state().isEmpty(), false);
        const Reply empty = get(path, t); // the friendly profile: "empty"
        QCOMPARE(empty.status, 200);
        QCOMPARE(empty.json().value(QStringLiteral("value")).toArray().size(), 0);
        QCOMPARE(
            send("POST", QStringLiteral("/_emulator/settings"), R"({"missingGroupInstances":"notFound"})")
                .status,
            200);
        const Reply nf = get(path, t);
        QCOMPARE(nf.status, 404);
        QCOMPARE(nf.pimCode(), QStringLiteral("ResourceNotFound"));
        QCOMPARE(send("POST", QStringLiteral("/_emulator/settings"), R"({"missingGroupInstances":"maybe"})")
                     .status,
                 400);
        // The realistic profile takes the second reading.
        QVERIFY(m_emu->setProfile(QStringLiteral("realistic")));
        const Reply s = send("POST", QStringLiteral("/_emulator/settings"), "{}");
        QCOMPARE(s.json().value(QStringLiteral("missingGroupInstances")).toString(),
                 QStringLiteral("notFound"));
        QVERIFY(m_emu->setProfile(QStringLiteral("friendly")));
        QCOMPARE(get(path, t).status, 200);
    }

    void groupsListWithStartswithAndTop()
    {
        const QString t = appToken({QStringLiteral("Group.Read.All")});
        Reply r = get(
            QStringLiteral(
                "/graph/v1.0/groups?$select=id,displayName&$filter=startswith(displayName,'AWS-')&$top=4"),
            t);
        QCOMPARE(r.status, 200);
        QStringList names;
        int pages = 0;
        for (;;) {
            ++pages;
            const QJsonArray v = r.json().value(QStringLiteral("value")).toArray();
            QVERIFY(v.size() <= 4);
            for (const auto &g : v) {
                QCOMPARE(g.toObject().keys(),
                         (QStringList {QStringLiteral("displayName"), QStringLiteral("id")}));
                names << g[QStringLiteral("displayName")].toString();
            }
            const QString next = r.json().value(QStringLiteral("@odata.nextLink")).toString();
            if (next.isEmpty())
                break;
            r = get(QUrl(next).toString(QUrl::RemoveScheme | QUrl::RemoveAuthority), t);
            QCOMPARE(r.status, 200);
        }
        QCOMPARE(pages, 2);
        QCOMPARE(names.size(), 8); // every AWS- group, not the break-glass group
        for (const auto &n : std::as_const(names))
            QVERIFY(n.startsWith(u"AWS-"));
        const Reply all = get(QStringLiteral("/graph/v1.0/groups?$top=999"), t);
        QCOMPARE(all.json().value(QStringLiteral("value")).toArray().size(), 9);
        QCOMPARE(get(QStringLiteral("/graph/v1.0/groups/%1").arg(kAdmin), t).status, 200);
        QCOMPARE(get(QStringLiteral("/graph/v1.0/groups?$filter=displayName eq 'x'"), t).status, 400);
        QCOMPARE(get(QStringLiteral("/graph/v1.0/groups?$top=0"), t).status, 400);
        QCOMPARE(get(QStringLiteral("/graph/v1.0/groups?$select=id,secret"), t).status, 400);
        const QString none = appToken({QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup")});
        const Reply denied = get(QStringLiteral("/graph/v1.0/groups"), none);
        QCOMPARE(denied.status, 403);
        QCOMPARE(denied.outerCode(), QStringLiteral("Authorization_RequestDenied"));
        QCOMPARE(get(QStringLiteral("/graph/v1.0/groups/%1").arg(kAdmin), none).status, 403);
    }

    void syncPermissions_data()
    {
        QTest::addColumn<QStringList>("roles");
        QTest::addColumn<bool>("owner");
        QTest::addColumn<int>("read");
        QTest::addColumn<int>("provision");
        QTest::newRow("ReadWrite.All")
            << QStringList {QStringLiteral("Synchronization.ReadWrite.All")} << false << 200 << 200;
        QTest::newRow("Read.All") << QStringList {QStringLiteral("Synchronization.Read.All")} << false << 200
                                  << 403;
        QTest::newRow("OwnedBy, owner")
            << QStringList {QStringLiteral("Application.ReadWrite.OwnedBy")} << true << 200 << 200;
        QTest::newRow("OwnedBy, not owner")
            << QStringList {QStringLiteral("Application.ReadWrite.OwnedBy")} << false << 403 << 403;
        QTest::newRow("owner without OwnedBy")
            << QStringList {QStringLiteral("Group.Read.All")} << true << 403 << 403;
    }
    void syncPermissions()
    {
        QFETCH(QStringList, roles);
        QFETCH(bool, owner);
        QFETCH(int, read);
        QFETCH(int, provision);
        const QString t = appToken(roles, owner ? QStringList {kSp} : QStringList {});
        const Reply jobs = get(jobsPath(), t);
        QCOMPARE(jobs.status, read);
        QCOMPARE(get(jobsPath() + u'/' + kJob + QStringLiteral("/schema"), t).status, read);
        if (read == 200)
            QCOMPARE(
                jobs.json().value(QStringLiteral("value")).toArray().first()[QStringLiteral("id")].toString(),
                kJob);
        else
            QCOMPARE(jobs.outerCode(), QStringLiteral("Authorization_RequestDenied"));
        const Reply pod = provisionGroup(t, kAdmin, {kAlex});
        QCOMPARE(pod.status, provision);
        if (provision == 200)
            QCOMPARE(keyOf(pod).value(QStringLiteral("result")).toString(), QStringLiteral("Success"));
    }

    void provisionOnDemandIsThrottledForAppsToo()
    {
        const QString t = appToken({QStringLiteral("Synchronization.ReadWrite.All")});
        for (int i = 0; i < 5; ++i)
            QCOMPARE(provisionGroup(t, kReadOnly, {kAlex}).status, 200);
        const Reply sixth = provisionGroup(t, kReadOnly, {kAlex});
        QCOMPARE(sixth.status, 429);
        QVERIFY(sixth.headers.value("retry-after").toInt() >= 1);
    }

    void severalMembersAreEachPushed()
    {
        m_emu->setScimDelay(40 * 86400); // the assignments (30 days old) have not reached AWS yet
        QVERIFY(!awsAssignments().contains(
            QStringLiteral("alex@contoso.example 123456789012/AdministratorAccess")));
        const QString t = appToken({QStringLiteral("Synchronization.ReadWrite.All")});
        const Reply r = provisionGroup(t, kAdmin, {kAlex, kMegan, kLee});
        QCOMPARE(r.status, 200);
        QCOMPARE(keyOf(r).value(QStringLiteral("result")).toString(), QStringLiteral("Success"));
        // The documented stringKeyStringValuePair: key and value are JSON text.
        QVERIFY(r.json().value(QStringLiteral("key")).isString());
        const QJsonObject value
            = QJsonDocument::fromJson(r.json().value(QStringLiteral("value")).toString().toUtf8()).object();
        QVERIFY(!value.value(QStringLiteral("provisioningSteps")).toArray().isEmpty());
        const QStringList now = awsAssignments();
        for (const char *upn : {"alex@contoso.example", "megan@contoso.example", "lee@contoso.example"})
            QVERIFY2(now.contains(QLatin1String(upn) + QStringLiteral(" 123456789012/AdministratorAccess")),
                     upn);
        // Six members in one call are refused.
        QCOMPARE(provisionGroup(t, kAdmin, {kAlex, kMegan, kLee, kAlex, kMegan, kLee}).status, 400);
    }

    void quarantinedOrPausedJob()
    {
        m_emu->setScimDelay(40 * 86400);
        QCOMPARE(send("POST", QStringLiteral("/_emulator/scim/job"),
                      R"({"statusCode":"Quarantine","quarantineReason":"EncounteredQuarantineException"})")
                     .status,
                 200);
        QString t = appToken({QStringLiteral("Synchronization.ReadWrite.All")});
        const QJsonObject job
            = get(jobsPath(), t).json().value(QStringLiteral("value")).toArray().first().toObject();
        QCOMPARE(job[QStringLiteral("status")][QStringLiteral("code")].toString(),
                 QStringLiteral("Quarantine"));
        QCOMPARE(
            job[QStringLiteral("status")][QStringLiteral("quarantine")][QStringLiteral("reason")].toString(),
            QStringLiteral("EncounteredQuarantineException"));
        const Reply q = provisionGroup(t, kAdmin, {kAlex});
        QCOMPARE(q.status, 200);
        QCOMPARE(keyOf(q).value(QStringLiteral("result")).toString(), QStringLiteral("Failure"));
        QCOMPARE(keyOf(q)[QStringLiteral("details")][QStringLiteral("errorCode")].toString(),
                 QStringLiteral("SynchronizationJobQuarantined"));
        QVERIFY(!awsAssignments().contains(
            QStringLiteral("alex@contoso.example 123456789012/AdministratorAccess")));
        // The regular cycle stops too: past the delay, still nothing in AWS; it catches up once running.
        m_emu->advanceClock(11 * 86400);
        QVERIFY(!awsAssignments().contains(
            QStringLiteral("alex@contoso.example 123456789012/AdministratorAccess")));
        int seen = 0;
        for (const auto &m : m_emu->state()[QStringLiteral("aws")][QStringLiteral("memberships")].toArray())
            if (m[QStringLiteral("groupId")].toString() == kAdmin) {
                ++seen;
                QVERIFY(m[QStringLiteral("appearsInAws")].isNull()); // the state agrees: not while stopped
            }
        QCOMPARE(seen, 3);
        QCOMPARE(send("POST", QStringLiteral("/_emulator/scim/job"), R"({"statusCode":"Active"})").status,
                 200);
        QVERIFY(awsAssignments().contains(
            QStringLiteral("alex@contoso.example 123456789012/AdministratorAccess")));
        // A paused schedule: shown, and provisionOnDemand refused.
        QCOMPARE(send("POST", QStringLiteral("/_emulator/scim/job"), R"({"scheduleState":"Paused"})").status,
                 200);
        t = appToken({QStringLiteral("Synchronization.ReadWrite.All")}); // the clock moved: a fresh token
        const QJsonObject paused
            = get(jobsPath(), t).json().value(QStringLiteral("value")).toArray().first().toObject();
        QCOMPARE(paused[QStringLiteral("schedule")][QStringLiteral("state")].toString(),
                 QStringLiteral("Paused"));
        QCOMPARE(provisionGroup(t, kAdmin, {kAlex}).status, 400);
        QCOMPARE(send("POST", QStringLiteral("/_emulator/scim/job"), R"({"scheduleState":"Stopped"})").status,
                 400);
        QCOMPARE(send("POST", QStringLiteral("/_emulator/scim/job"), R"({"statusCode":"Broken"})").status,
                 400);
    }

    void deletedGroup()
    {
        const QString t
            = appToken({QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup"),
                        QStringLiteral("Group.Read.All"), QStringLiteral("Synchronization.ReadWrite.All")});
        const QString path = kInstances + QStringLiteral("?$filter=groupId eq '%1'").arg(kAdmin);
        QVERIFY(!get(path, t).json().value(QStringLiteral("value")).toArray().isEmpty());
        QCOMPARE(send("DELETE", QStringLiteral("/_emulator/groups/%1").arg(kAdmin)).status, 200);
        QCOMPARE(send("DELETE", QStringLiteral("/_emulator/groups/%1").arg(kAdmin)).status, 404);
        const Reply empty = get(path, t);
        QCOMPARE(empty.status, 200);
        QCOMPARE(empty.json().value(QStringLiteral("value")).toArray().size(), 0);
        QCOMPARE(
            send("POST", QStringLiteral("/_emulator/settings"), R"({"missingGroupInstances":"notFound"})")
                .status,
            200);
        QCOMPARE(get(path, t).status, 404);
        QCOMPARE(get(QStringLiteral("/graph/v1.0/groups/%1").arg(kAdmin), t).status, 404);
        const Reply pod = provisionGroup(t, kAdmin, {kAlex});
        QCOMPARE(pod.status, 200);
        QCOMPARE(keyOf(pod).value(QStringLiteral("result")).toString(), QStringLiteral("Failure"));
        QCOMPARE(keyOf(pod)[QStringLiteral("details")][QStringLiteral("errorCode")].toString(),
                 QStringLiteral("SourceObjectNotFound"));
    }

    void batchOfTwentyAppReadsWithOneStepThrottled()
    {
        const QString t = appToken({QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup")});
        QCOMPARE(send("POST", QStringLiteral("/_emulator/faults"),
                      QJsonDocument(QJsonObject {{QStringLiteral("path"),
                                                  QStringLiteral("assignmentScheduleInstances")},
                                                 {QStringLiteral("query"), kReadOnly},
                                                 {QStringLiteral("status"), 429},
                                                 {QStringLiteral("retryAfter"), 7}})
                          .toJson(QJsonDocument::Compact))
                     .status,
                 201);
        QJsonArray steps;
        for (int i = 0; i < 20; ++i)
            steps.append(QJsonObject {{QStringLiteral("id"), QString::number(i)},
                                      {QStringLiteral("method"), QStringLiteral("GET")},
                                      {QStringLiteral("url"),
                                       QStringLiteral("/identityGovernance/privilegedAccess/group/"
                                                      "assignmentScheduleInstances?$filter=groupId eq '%1'")
                                           .arg(i == 13 ? kReadOnly : kAdmin)}});
        const Reply r = post(QStringLiteral("/graph/v1.0/$batch"), t, {{QStringLiteral("requests"), steps}});
        QCOMPARE(r.status, 200);
        const QJsonArray responses = r.json().value(QStringLiteral("responses")).toArray();
        QCOMPARE(responses.size(), 20);
        for (const auto &v : responses) {
            const QJsonObject o = v.toObject();
            if (o[QStringLiteral("id")].toString() == u"13") {
                QCOMPARE(o[QStringLiteral("status")].toInt(), 429);
                QCOMPARE(o[QStringLiteral("headers")][QStringLiteral("Retry-After")].toString(),
                         QStringLiteral("7"));
            } else {
                QCOMPARE(o[QStringLiteral("status")].toInt(), 200);
                QVERIFY(!o[QStringLiteral("body")][QStringLiteral("value")].toArray().isEmpty());
            }
        }
        steps.append(steps.first());
        QCOMPARE(post(QStringLiteral("/graph/v1.0/$batch"), t, {{QStringLiteral("requests"), steps}}).status,
                 400);
    }

    // 3. --write-bridge-config ------------------------------------------------------------------------

    void writeBridgeConfig()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("bridge.json"));
        const QString secretFile = dir.filePath(QStringLiteral("bridge.secret"));
        { // an older secret file, readable by all: replaced, and 0600
            QFile old(secretFile);
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.write("old\n");
            old.close();
            QVERIFY(old.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                       | QFileDevice::ReadOther));
        }
        QString error;
        QVERIFY2(m_emu->writeBridgeConfig(file, &error), qPrintable(error));
        const auto others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
            | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther
            | QFileDevice::ExeOwner;
        for (const QString &f : {file, secretFile}) {
            const QFileInfo info(f);
            QVERIFY2(info.exists(), qPrintable(f));
            QCOMPARE(info.permissions() & others, QFileDevice::Permissions());
            QVERIFY(info.permissions() & QFileDevice::ReadOwner);
        }
        QFile cf(file);
        QVERIFY(cf.open(QIODevice::ReadOnly));
        const QJsonObject c = QJsonDocument::fromJson(cf.readAll()).object();
        QCOMPARE(c[QStringLiteral("entra")][QStringLiteral("clientId")].toString(), m_emu->bridgeClientId());
        QVERIFY(m_emu->bridgeClientId() != m_emu->clientId() && !m_emu->bridgeClientId().isEmpty());
        QCOMPARE(c[QStringLiteral("entra")][QStringLiteral("tenant")].toString(), m_emu->tenantId());
        QCOMPARE(c[QStringLiteral("entra")][QStringLiteral("authorityHost")].toString(),
                 m_emu->baseUrl().toString());
        QCOMPARE(c[QStringLiteral("graph")][QStringLiteral("baseUrl")].toString(),
                 m_emu->baseUrl().toString() + QStringLiteral("/graph/v1.0"));
        QCOMPARE(c[QStringLiteral("graph")][QStringLiteral("resource")].toString(),
                 QStringLiteral("https://graph.microsoft.com"));
        QCOMPARE(
            c[QStringLiteral("aws")][QStringLiteral("sync")][QStringLiteral("servicePrincipalId")].toString(),
            kSp);
        QVERIFY(c[QStringLiteral("mapping")].isObject());
        const QJsonObject b = c[QStringLiteral("bridge")].toObject();
        QCOMPARE(b[QStringLiteral("clientSecretFile")].toString(), secretFile);
        QCOMPARE(b[QStringLiteral("statePath")].toString(), dir.filePath(QStringLiteral("bridge.sqlite")));
        QCOMPARE(b[QStringLiteral("pollSeconds")].toInt(), 10);
        QFile sf(secretFile);
        QVERIFY(sf.open(QIODevice::ReadOnly));
        const QString secret = QString::fromUtf8(sf.readAll()).trimmed();
        QVERIFY(secret.size() >= 43); // 32 random bytes, base64url
        QVERIFY(secret != u"old");
        QVERIFY(!cf.fileName().isEmpty());
        QVERIFY(!QJsonDocument(c).toJson().contains(secret.toUtf8())); // the secret only in its file
        QVERIFY(!QJsonDocument(m_emu->state()).toJson().contains(secret.toUtf8()));
        // The written secret signs the bridge application in, and its token has the demo's roles.
        const Reply r = token({{QStringLiteral("client_id"), m_emu->bridgeClientId()},
                               {QStringLiteral("client_secret"), secret},
                               {QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                               {QStringLiteral("scope"), kGraphDefault}});
        QCOMPARE(r.status, 200);
        const QStringList roles = strings(payloadOf(r.json().value(QStringLiteral("access_token")).toString())
                                              .value(QStringLiteral("roles")));
        QVERIFY(roles.contains(QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup")));
        QVERIFY(roles.contains(QStringLiteral("Application.ReadWrite.OwnedBy")));
        const QString bridgeToken = r.json().value(QStringLiteral("access_token")).toString();
        QCOMPARE(get(jobsPath(), bridgeToken).status, 200); // an owner of the SCIM service principal
        checkEntraError(token({{QStringLiteral("client_id"), m_emu->bridgeClientId()},
                               {QStringLiteral("client_secret"), secret + u'x'},
                               {QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                               {QStringLiteral("scope"), kGraphDefault}}),
                        401, QStringLiteral("invalid_client"), 7000215);
        // Refused: a directory as the file, a scenario without applications.
        QVERIFY(!m_emu->writeBridgeConfig(dir.path(), &error));
        QJsonObject bare = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        bare.remove(QStringLiteral("applications"));
        QVERIFY(m_emu->loadScenario(QJsonDocument(bare).toJson()));
        QVERIFY(!m_emu->writeBridgeConfig(dir.filePath(QStringLiteral("b2.json")), &error));
        QVERIFY(error.contains(u"applications"));
    }
};

QTEST_GUILESS_MAIN(TestEmulatorBridge)
#include "tst_emulator_bridge.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's portal at organisation scale and its console federation's refusal, over real HTTP:
// aws.generatedAccounts (thousands of accounts from one scenario line) paged by ListAccounts with the
// documented max_result bound (1..100, aws-sso.md §3.1), a fault aimed at one account through its query,
// and settings.federationRefusesSessionDuration (getSigninToken's 400 when a SessionDuration is sent,
// aws-sso.md §5.1).

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSet>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kCallback = u"http://127.0.0.1:53421/oauth/callback"_s;
const QString kLeeUpn = u"lee@contoso.example"_s;
const QString kShared = u"345678901234"_s; // lee: ViewOnlyAccess there, permanently
constexpr int kGenerated = 5'050;

QString enc(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

/// The demo scenario with `aws` members added or replaced and `settings` members added.
QByteArray scenarioWith(const QJsonObject &aws, const QJsonObject &settings = {})
{
    QJsonObject root = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
    QJsonObject a = root.value(u"aws"_s).toObject();
    for (auto it = aws.begin(); it != aws.end(); ++it)
        a.insert(it.key(), it.value());
    root.insert(u"aws"_s, a);
    QJsonObject s = root.value(u"settings"_s).toObject();
    for (auto it = settings.begin(); it != settings.end(); ++it)
        s.insert(it.key(), it.value());
    root.insert(u"settings"_s, s);
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

QJsonObject generated(int count, const QString &firstId = u"500000000000"_s)
{
    return {{u"generatedAccounts"_s,
             QJsonObject {{u"count"_s, count},
                          {u"user"_s, kLeeUpn},
                          {u"roleNames"_s, QJsonArray {u"ReadOnlyAccess"_s, u"Billing"_s}},
                          {u"firstId"_s, firstId},
                          {u"namePrefix"_s, u"tenant"_s}}}};
}
} // namespace

class TestEmulatorPortal : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;

    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    Reply send(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        return Test::sendToEmulator(m_nam, method, url(path), body, headers, "application/json");
    }
    Reply portal(const QString &pathAndQuery, const QString &token)
    {
        return send("GET", pathAndQuery, {}, {{"x-amz-sso_bearer_token", token.toLatin1()}});
    }
    bool load(const QByteArray &scenario, QString *error = nullptr)
    {
        delete m_emu;
        m_emu = new Emulator::Emulator(this);
        const bool ok = m_emu->loadScenario(scenario, error);
        if (ok) {
            (void)m_emu->listen();
            m_emu->setAutoSignIn(kLeeUpn);
        }
        return ok;
    }

    /// An Identity Center access token of the auto-signed-in user (code flow with PKCE).
    QString accessToken()
    {
        const QJsonObject reg {{u"clientName"_s, u"tst-emulator-portal"_s},
                               {u"clientType"_s, u"public"_s},
                               {u"scopes"_s, QJsonArray {u"sso:account:access"_s}},
                               {u"grantTypes"_s, QJsonArray {u"authorization_code"_s, u"refresh_token"_s}},
                               {u"redirectUris"_s, QJsonArray {u"http://127.0.0.1/oauth/callback"_s}},
                               {u"issuerUrl"_s, u"https://d-1234567890.awsapps.com/start"_s}};
        const QJsonObject client = send("POST", u"/client/register"_s, compact(reg)).json();
        QUrlQuery q;
        q.addQueryItem(u"response_type"_s, u"code"_s);
        q.addQueryItem(u"client_id"_s, enc(client.value(u"clientId"_s).toString()));
        q.addQueryItem(u"redirect_uri"_s, enc(kCallback));
        q.addQueryItem(u"state"_s, u"s1"_s);
        q.addQueryItem(u"code_challenge_method"_s, u"S256"_s);
        q.addQueryItem(u"scopes"_s, enc(u"sso:account:access"_s));
        q.addQueryItem(u"code_challenge"_s, QString::fromLatin1(kChallenge));
        QUrl authorize = url(u"/authorize"_s);
        authorize.setQuery(q);
        const Reply a = Test::sendToEmulator(m_nam, "GET", authorize, {}, {}, {});
        const QString code = QUrlQuery(a.location).queryItemValue(u"code"_s, QUrl::FullyDecoded);
        const QJsonObject body {{u"clientId"_s, client.value(u"clientId"_s)},
                                {u"clientSecret"_s, client.value(u"clientSecret"_s)},
                                {u"grantType"_s, u"authorization_code"_s},
                                {u"code"_s, code},
                                {u"redirectUri"_s, kCallback},
                                {u"codeVerifier"_s, QString::fromLatin1(kVerifier)}};
        return send("POST", u"/token"_s, compact(body)).json().value(u"accessToken"_s).toString();
    }

    QString sessionQuery(const QJsonObject &creds)
    {
        return u"/federation?Action=getSigninToken&Session="_s
            + enc(QString::fromUtf8(compact({{u"sessionId"_s, creds.value(u"accessKeyId"_s)},
                                             {u"sessionKey"_s, creds.value(u"secretAccessKey"_s)},
                                             {u"sessionToken"_s, creds.value(u"sessionToken"_s)}})));
    }

private Q_SLOTS:
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    void generatedAccountsPageThroughListAccounts()
    {
        QString error;
        QVERIFY2(load(scenarioWith(generated(kGenerated)), &error), qPrintable(error));
        const QString at = accessToken();
        QVERIFY(!at.isEmpty());
        QSet<QString> ids;
        QHash<QString, QString> names;
        QString token;
        int pages = 0;
        do {
            QString path = u"/assignment/accounts?max_result=100"_s;
            if (!token.isEmpty())
                path += u"&next_token="_s + enc(token);
            const Reply r = portal(path, at);
            QCOMPARE(r.status, 200);
            const QJsonArray list = r.json().value(u"accountList"_s).toArray();
            QVERIFY(list.size() <= 100);
            for (const auto &v : list) {
                const QString id = v.toObject().value(u"accountId"_s).toString();
                ids.insert(id);
                names.insert(id, v.toObject().value(u"accountName"_s).toString());
            }
            token = r.json().value(u"nextToken"_s).toString();
            ++pages;
        } while (!token.isEmpty() && pages < 200);
        // Lee's own account of the demo, and every generated one: past 5,000, across 51 pages.
        QCOMPARE(ids.size(), kGenerated + 1);
        QCOMPARE(pages, (kGenerated + 1 + 99) / 100);
        QVERIFY(ids.contains(kShared));
        QVERIFY(ids.contains(u"500000000000"_s));
        QVERIFY(ids.contains(u"500000005049"_s));
        QVERIFY(!ids.contains(u"500000005050"_s));

        // Names and roles of a generated account.
        const Reply first = portal(u"/assignment/accounts?max_result=1"_s, at);
        QCOMPARE(first.json().value(u"accountList"_s).toArray().size(), 1);
        const Reply roles = portal(u"/assignment/roles?account_id=500000000007"_s, at);
        QCOMPARE(roles.status, 200);
        QStringList roleNames;
        for (const auto &v : roles.json().value(u"roleList"_s).toArray())
            roleNames << v.toObject().value(u"roleName"_s).toString();
        QCOMPARE(roleNames, QStringList({u"Billing"_s, u"ReadOnlyAccess"_s}));
        QCOMPARE(names.value(u"500000000007"_s), u"tenant-00008"_s);
        QCOMPARE(names.value(u"500000005049"_s), u"tenant-05050"_s);

        // The documented bound of max_result is 1..100.
        for (const char *bad : {"0", "101", "x"})
            QCOMPARE(portal(u"/assignment/accounts?max_result="_s + QLatin1String(bad), at).status, 400);
        QCOMPARE(portal(u"/assignment/accounts?next_token=garbage"_s, at).status, 400);
    }

    void generatedAccountsAreChecked_data()
    {
        QTest::addColumn<QJsonObject>("spec");
        const QJsonObject good = generated(3).value(u"generatedAccounts"_s).toObject();
        auto with = [&good](const QString &key, const QJsonValue &v) {
            QJsonObject o = good;
            if (v.isUndefined())
                o.remove(key);
            else
                o.insert(key, v);
            return o;
        };
        QTest::newRow("no count") << with(u"count"_s, QJsonValue::Undefined);
        QTest::newRow("zero") << with(u"count"_s, 0);
        QTest::newRow("too many") << with(u"count"_s, 100'001);
        QTest::newRow("unknown user") << with(u"user"_s, u"nobody@contoso.example"_s);
        QTest::newRow("no roles") << with(u"roleNames"_s, QJsonArray {});
        QTest::newRow("roles not strings") << with(u"roleNames"_s, QJsonArray {1, 2});
        QTest::newRow("short id") << with(u"firstId"_s, u"12345"_s);
        QTest::newRow("past 12 digits") << with(u"firstId"_s, u"999999999999"_s);
    }
    void generatedAccountsAreChecked()
    {
        QFETCH(QJsonObject, spec);
        QString error;
        QVERIFY(!load(scenarioWith({{u"generatedAccounts"_s, spec}}), &error));
        QVERIFY2(error.contains(u"generatedAccounts"_s), qPrintable(error));
    }

    void aFaultAimsAtOneAccountThroughItsQuery()
    {
        QVERIFY(load(scenarioWith(generated(3))));
        const QString at = accessToken();
        const QJsonObject fault {{u"path"_s, u"/assignment/roles"_s},
                                 {u"query"_s, u"account_id=500000000001"_s},
                                 {u"status"_s, 500},
                                 {u"count"_s, 2}};
        Reply r = send("POST", u"/_emulator/faults"_s, compact(fault));
        QCOMPARE(r.status, 201);
        QCOMPARE(r.json().value(u"faults"_s).toArray().first().toObject().value(u"query"_s).toString(),
                 u"account_id=500000000001"_s);
        QCOMPARE(portal(u"/assignment/roles?account_id=500000000000"_s, at).status, 200);
        QCOMPARE(portal(u"/assignment/roles?account_id=500000000002"_s, at).status, 200);
        r = portal(u"/assignment/roles?account_id=500000000001"_s, at);
        QCOMPARE(r.status, 500);
        QCOMPARE(r.headers.value("x-amzn-errortype"), QByteArray("InternalServerException"));
        QCOMPARE(portal(u"/assignment/roles?account_id=500000000001"_s, at).status, 500);
        QCOMPARE(portal(u"/assignment/roles?account_id=500000000001"_s, at).status, 200); // used up
        QCOMPARE(send("POST", u"/_emulator/faults"_s, R"({"path": "/x", "query": 5})").status, 400);
    }

    void federationRefusesSessionDuration()
    {
        QVERIFY(load(Emulator::Emulator::builtInScenario()));
        const QString at = accessToken();
        const QJsonObject creds
            = portal(u"/federation/credentials?role_name=ViewOnlyAccess&account_id="_s + kShared, at)
                  .json()
                  .value(u"roleCredentials"_s)
                  .toObject();
        QVERIFY(!creds.isEmpty());
        const QString base = sessionQuery(creds);
        // Off (both profiles, see README): the duration is taken.
        QCOMPARE(send("GET", base + u"&SessionDuration=3600"_s).status, 200);
        Reply r = send("POST", u"/_emulator/settings"_s, R"({"federationRefusesSessionDuration": true})");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(u"federationRefusesSessionDuration"_s).toBool(), true);
        r = send("GET", base + u"&SessionDuration=3600"_s);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.body.startsWith("Invalid Credentials Parameter"), r.body.constData());
        // Without a duration the same credentials sign in; the console session is theirs.
        r = send("GET", base);
        QCOMPARE(r.status, 200);
        QVERIFY(!r.json().value(u"SigninToken"_s).toString().isEmpty());
        QCOMPARE(
            send("POST", u"/_emulator/settings"_s, R"({"federationRefusesSessionDuration": "yes"})").status,
            400);
        QCOMPARE(
            send("POST", u"/_emulator/settings"_s, R"({"federationRefusesSessionDuration": false})").status,
            200);
        QCOMPARE(send("GET", base + u"&SessionDuration=3600"_s).status, 200);

        // The scenario's settings take it too, and check it.
        QVERIFY(load(scenarioWith({}, {{u"federationRefusesSessionDuration"_s, true}})));
        QCOMPARE(
            m_emu->state().value(u"aws"_s).toObject().value(u"federationRefusesSessionDuration"_s).toBool(),
            true);
        QString error;
        QVERIFY(!load(scenarioWith({}, {{u"federationRefusesSessionDuration"_s, 1}}), &error));
        QVERIFY2(error.contains(u"federationRefusesSessionDuration"_s), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestEmulatorPortal)
#include "tst_emulator_portal.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's Graph JSON batching over real HTTP (graph-pim.md §11.2): steps answered one by one and
// correlated by id, the limit of 20, malformed batches, a throttled step with its own Retry-After,
// dependsOn and 424.

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedEligibilitySchedule.Read.AzureADGroup");
const QString kRedirect = QStringLiteral("http://localhost:5000/");
// Groups of the demo scenario.
const QString kAdmin = QStringLiteral("0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b");
const QString kReadOnly = QStringLiteral("5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9");
const QString kUnknown = QStringLiteral("99999999-9999-4999-8999-999999999999");

QJsonObject groupStep(const QString &id, const QString &groupId)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("method"), QStringLiteral("GET")},
            {QStringLiteral("url"),
             QStringLiteral("/groups/%1?$select=id,displayName,description").arg(groupId)}};
}

QByteArray batchBody(const QJsonArray &steps)
{
    return QJsonDocument(QJsonObject {{QStringLiteral("requests"), steps}}).toJson(QJsonDocument::Compact);
}

/// The responses of a batch answer by id.
QHash<QString, QJsonObject> byId(const Reply &r)
{
    QHash<QString, QJsonObject> out;
    for (const auto &v : r.json().value(QStringLiteral("responses")).toArray())
        out.insert(v.toObject().value(QStringLiteral("id")).toString(), v.toObject());
    return out;
}
} // namespace

class TestEmulatorBatch : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;
    QString m_token;

    Reply send(const QByteArray &method, const QString &path, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        return Test::sendToEmulator(m_nam, method, QUrl(m_emu->baseUrl().toString() + path), body, headers,
                                    contentType);
    }
    Reply postBatch(const QByteArray &body, const QString &version = QStringLiteral("v1.0"))
    {
        return send("POST", QStringLiteral("/graph/%1/$batch").arg(version), body,
                    {{"Authorization", "Bearer " + m_token.toLatin1()}});
    }
    QString signIn(const QString &upn)
    {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"),
                       QString::fromLatin1(QUrl::toPercentEncoding(kRedirect)));
        q.addQueryItem(QStringLiteral("scope"), QString::fromLatin1(QUrl::toPercentEncoding(kScope)));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("login_hint"), QString::fromLatin1(QUrl::toPercentEncoding(upn)));
        const Reply a
            = send("GET", u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/authorize?") + q.query());
        const QString code = QUrlQuery(a.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(kRedirect) + "&code_verifier=" + kVerifier
            + "&scope=" + QUrl::toPercentEncoding(kScope);
        return send("POST", u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token"), body, {},
                    "application/x-www-form-urlencoded")
            .json()
            .value(QStringLiteral("access_token"))
            .toString();
    }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        m_emu->setAutoSignIn(QStringLiteral("alex@contoso.example"));
        m_token = signIn(QStringLiteral("alex@contoso.example"));
        QVERIFY(!m_token.isEmpty());
    }
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    void stepsAreAnsweredOneByOneAndCorrelatedById()
    {
        QJsonObject me {
            {QStringLiteral("id"), QStringLiteral("me")},
            {QStringLiteral("method"), QStringLiteral("GET")},
            {QStringLiteral("url"), QStringLiteral("me?$select=id,displayName")}}; // no leading slash
        const Reply r = postBatch(
            batchBody({groupStep(QStringLiteral("1"), kAdmin), groupStep(QStringLiteral("2"), kReadOnly),
                       groupStep(QStringLiteral("3"), kUnknown), me}));
        QCOMPARE(r.status, 200);
        const QJsonArray responses = r.json().value(QStringLiteral("responses")).toArray();
        QCOMPARE(responses.size(), 4);
        // Not in the order sent: a client has to correlate by id.
        QVERIFY(responses.first().toObject().value(QStringLiteral("id")).toString() != u"1");
        const auto got = byId(r);
        QCOMPARE(got.value(QStringLiteral("1")).value(QStringLiteral("status")).toInt(), 200);
        const QJsonObject admin = got.value(QStringLiteral("1")).value(QStringLiteral("body")).toObject();
        QCOMPARE(admin.value(QStringLiteral("id")).toString(), kAdmin);
        QCOMPARE(admin.value(QStringLiteral("displayName")).toString(),
                 QStringLiteral("AWS-123456789012-AdministratorAccess"));
        QVERIFY(got.value(QStringLiteral("1"))
                    .value(QStringLiteral("headers"))
                    .toObject()
                    .value(QStringLiteral("Content-Type"))
                    .toString()
                    .startsWith(u"application/json"));
        const QJsonObject readOnly = got.value(QStringLiteral("2")).value(QStringLiteral("body")).toObject();
        QCOMPARE(readOnly.value(QStringLiteral("displayName")).toString(),
                 QStringLiteral("AWS-210987654321-ReadOnlyAccess"));
        QVERIFY(readOnly.value(QStringLiteral("description")).isNull()); // null, as Graph prints it
        // One missing group is that step's 404, not the batch's.
        QCOMPARE(got.value(QStringLiteral("3")).value(QStringLiteral("status")).toInt(), 404);
        QCOMPARE(got.value(QStringLiteral("3"))
                     .value(QStringLiteral("body"))
                     .toObject()
                     .value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("code"))
                     .toString(),
                 QStringLiteral("Request_ResourceNotFound"));
        QCOMPARE(got.value(QStringLiteral("me"))
                     .value(QStringLiteral("body"))
                     .toObject()
                     .value(QStringLiteral("displayName")),
                 QJsonValue(QStringLiteral("Alex Wilber")));
        // The beta root batches as well.
        QCOMPARE(byId(postBatch(batchBody({groupStep(QStringLiteral("a"), kAdmin)}), QStringLiteral("beta")))
                     .value(QStringLiteral("a"))
                     .value(QStringLiteral("status"))
                     .toInt(),
                 200);
    }

    void atMostTwentySteps()
    {
        QJsonArray twenty, twentyOne;
        for (int i = 0; i < 20; ++i) {
            twenty.append(groupStep(QString::number(i), kAdmin));
            twentyOne.append(groupStep(QString::number(i), kAdmin));
        }
        twentyOne.append(groupStep(QStringLiteral("20"), kAdmin));
        const Reply ok = postBatch(batchBody(twenty));
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.json().value(QStringLiteral("responses")).toArray().size(), 20);
        const Reply tooMany = postBatch(batchBody(twentyOne));
        QCOMPARE(tooMany.status, 400);
        QCOMPARE(tooMany.outerCode(), QStringLiteral("BadRequest"));
        QVERIFY(!tooMany.json().contains(QStringLiteral("responses")));
    }

    void malformedBatchesAreRefusedWhole_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("not JSON") << QByteArray("{\"requests\": [");
        QTest::newRow("no requests") << QByteArray("{}");
        QTest::newRow("requests not an array") << QByteArray(R"({"requests": {}})");
        QTest::newRow("empty") << QByteArray(R"({"requests": []})");
        QTest::newRow("step without id") << QByteArray(R"({"requests": [{"method": "GET", "url": "/me"}]})");
        QTest::newRow("ids equal but for case")
            << QByteArray(R"({"requests": [{"id": "a", "method": "GET", "url": "/me"},
                                           {"id": "A", "method": "GET", "url": "/me"}]})");
        QTest::newRow("no method") << QByteArray(R"({"requests": [{"id": "1", "url": "/me"}]})");
        QTest::newRow("unknown method")
            << QByteArray(R"({"requests": [{"id": "1", "method": "FETCH", "url": "/me"}]})");
        QTest::newRow("absolute url") << QByteArray("{\"requests\": [{\"id\": \"1\", \"method\": \"GET\", "
                                                    "\"url\": \"https://graph.microsoft.com/v1.0/me\"}]}");
        QTest::newRow("body without Content-Type") << QByteArray(
            R"({"requests": [{"id": "1", "method": "PATCH", "url": "/me", "body": {"city": "x"}}]})");
        QTest::newRow("dependency not in the batch") << QByteArray(
            R"({"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["7"]}]})");
        QTest::newRow("dependency cycle")
            << QByteArray(R"({"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["2"]},
                                           {"id": "2", "method": "GET", "url": "/me", "dependsOn": ["1"]}]})");
    }
    void malformedBatchesAreRefusedWhole()
    {
        QFETCH(QByteArray, body);
        const Reply r = postBatch(body);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.outerCode(), QStringLiteral("BadRequest"));
        QVERIFY(!r.json().contains(QStringLiteral("responses")));
    }

    void onlyPostWithAValidToken()
    {
        QCOMPARE(send("GET", QStringLiteral("/graph/v1.0/$batch"), {},
                      {{"Authorization", "Bearer " + m_token.toLatin1()}})
                     .status,
                 405);
        const Reply anonymous = send("POST", QStringLiteral("/graph/v1.0/$batch"),
                                     batchBody({groupStep(QStringLiteral("1"), kAdmin)}));
        QCOMPARE(anonymous.status, 401);
        // %24batch is the same path.
        QCOMPARE(send("POST", QStringLiteral("/graph/v1.0/%24batch"),
                      batchBody({groupStep(QStringLiteral("1"), kAdmin)}),
                      {{"Authorization", "Bearer " + m_token.toLatin1()}})
                     .status,
                 200);
        // A batch inside a batch is that step's 400.
        const QJsonObject nested {
            {QStringLiteral("id"), QStringLiteral("n")},
            {QStringLiteral("method"), QStringLiteral("POST")},
            {QStringLiteral("url"), QStringLiteral("/$batch")},
            {QStringLiteral("headers"),
             QJsonObject {{QStringLiteral("Content-Type"), QStringLiteral("application/json")}}},
            {QStringLiteral("body"), QJsonObject {{QStringLiteral("requests"), QJsonArray()}}}};
        const Reply r = postBatch(batchBody({nested}));
        QCOMPARE(r.status, 200);
        QCOMPARE(byId(r).value(QStringLiteral("n")).value(QStringLiteral("status")).toInt(), 400);
    }

    void aThrottledStepCarriesItsOwnRetryAfter()
    {
        // The fault matches the sub-request's path, once; the other step and the batch are fine.
        QCOMPARE(send("POST", QStringLiteral("/_emulator/faults"),
                      QStringLiteral(R"({"path": "/groups/%1", "status": 429, "retryAfter": "3"})")
                          .arg(kAdmin)
                          .toUtf8())
                     .status,
                 201);
        const QByteArray body
            = batchBody({groupStep(QStringLiteral("1"), kAdmin), groupStep(QStringLiteral("2"), kReadOnly)});
        const Reply r = postBatch(body);
        QCOMPARE(r.status, 200);
        const auto got = byId(r);
        const QJsonObject throttled = got.value(QStringLiteral("1"));
        QCOMPARE(throttled.value(QStringLiteral("status")).toInt(), 429);
        QCOMPARE(throttled.value(QStringLiteral("headers"))
                     .toObject()
                     .value(QStringLiteral("Retry-After"))
                     .toString(),
                 QStringLiteral("3"));
        const QJsonObject error
            = throttled.value(QStringLiteral("body")).toObject().value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("TooManyRequests"));
        QVERIFY(error.value(QStringLiteral("innerError")).toObject().contains(QStringLiteral("request-id")));
        QCOMPARE(got.value(QStringLiteral("2")).value(QStringLiteral("status")).toInt(), 200);
        // A fault's own headers go on the step's answer; a name given twice is joined, as in one header.
        QCOMPARE(
            send(
                "POST", QStringLiteral("/_emulator/faults"),
                QStringLiteral(
                    R"({"path": "/groups/%1", "status": 503, "headers": {"x-ms-ags-diagnostic": ["a", "b"]}})")
                    .arg(kReadOnly)
                    .toUtf8())
                .status,
            201);
        const QJsonObject unavailable = byId(postBatch(body)).value(QStringLiteral("2"));
        QCOMPARE(unavailable.value(QStringLiteral("status")).toInt(), 503);
        QCOMPARE(unavailable.value(QStringLiteral("headers"))
                     .toObject()
                     .value(QStringLiteral("x-ms-ags-diagnostic"))
                     .toString(),
                 QStringLiteral("a, b"));
        // Used up: the same batch again is answered in full.
        const auto again = byId(postBatch(body));
        QCOMPARE(again.value(QStringLiteral("1")).value(QStringLiteral("status")).toInt(), 200);
        QVERIFY(!again.value(QStringLiteral("1"))
                     .value(QStringLiteral("headers"))
                     .toObject()
                     .contains(QStringLiteral("Retry-After")));
    }

    void aFailedDependencyIs424()
    {
        QJsonObject first = groupStep(QStringLiteral("1"), kUnknown);
        QJsonObject second = groupStep(QStringLiteral("2"), kAdmin);
        second.insert(QStringLiteral("dependsOn"), QJsonArray {QStringLiteral("1")});
        QJsonObject third = groupStep(QStringLiteral("3"), kReadOnly);
        QJsonObject fourth = groupStep(QStringLiteral("4"), kAdmin);
        fourth.insert(QStringLiteral("dependsOn"), QJsonArray {QStringLiteral("3")});
        // Listed before what it depends on: the order of the steps is not the order they run in.
        const auto got = byId(postBatch(batchBody({fourth, first, second, third})));
        QCOMPARE(got.size(), 4);
        QCOMPARE(got.value(QStringLiteral("1")).value(QStringLiteral("status")).toInt(), 404);
        QCOMPARE(got.value(QStringLiteral("2")).value(QStringLiteral("status")).toInt(), 424);
        QCOMPARE(got.value(QStringLiteral("3")).value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(got.value(QStringLiteral("4")).value(QStringLiteral("status")).toInt(), 200);
    }
};

QTEST_GUILESS_MAIN(TestEmulatorBatch)
#include "tst_emulator_batch.moc"

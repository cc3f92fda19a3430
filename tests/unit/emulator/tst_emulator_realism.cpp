// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's awkward face over real HTTP: each setting on and off (replication lag, the docs' enum
// casing, no `or` in $filter, stages initializing, refused policy reads, null expanded groups), the
// realistic profile, the scenario's payload variety (eligibility through a group, permanent assignments,
// requests in every open status) and faults with headers and OAuth bodies.

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedEligibilitySchedule.Read.AzureADGroup "
                     "https://graph.microsoft.com/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup "
                     "https://graph.microsoft.com/RoleManagementPolicy.Read.AzureADGroup");
const QString kRedirect = QStringLiteral("http://localhost:5000/");
const QString kAlex = QStringLiteral("00000000-aaaa-bbbb-cccc-123456789abc");
// Groups of the demo scenario.
const QString kAdmin
    = QStringLiteral("0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b"); // just.+ticket, approval (megan)
const QString kReadOnly = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"); // PT8H, nothing required
const QString kRequests
    = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests");
const QString kMyRequests = kRequests + QStringLiteral("/filterByCurrentUser(on='principal')");
const QString kInstances = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                          "assignmentScheduleInstances/filterByCurrentUser(on='principal')");
const QString kEligibilities
    = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                     "eligibilityScheduleInstances/filterByCurrentUser(on='principal')");
const QString kApprovals
    = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/assignmentApprovals/");

/// JSON written with single quotes: fewer raw strings, which moc 6.4 can misread (see below).
QByteArray dq(QByteArray s)
{
    return s.replace('\'', '"');
}

QString enc(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

/// A small scenario of its own: payload variety that the demo does not have. (No URL in it: moc 6.4
/// takes the // of one inside a multi-line raw string for a comment and then finds no test class.)
const QByteArray kVarietyScenario = R"({
  "tenant": {"id": "tid"}, "app": {"clientId": "cid"},
  "users": [{"id": "u-alex", "userPrincipalName": "alex@x"}, {"id": "u-megan", "userPrincipalName": "megan@x"}],
  "groups": [{"id": "g-db", "displayName": "AWS-111111111111-Db"}, {"id": "g-team", "displayName": "DBA team"},
             {"id": "g-perm", "displayName": "AWS-111111111111-ReadOnly"},
             {"id": "g-viateam", "displayName": "AWS-222222222222-ReadOnly"},
             {"id": "g-open", "displayName": "AWS-333333333333-Open"}],
  "eligibilities": [{"user": "alex@x", "group": "g-db"},
                    {"user": "alex@x", "group": "g-db", "memberType": "Group", "viaGroup": "g-team"},
                    {"user": "alex@x", "group": "g-open"}],
  "assignments": [{"user": "alex@x", "group": "g-perm", "memberType": "Direct", "assignmentType": "Assigned"},
                  {"user": "alex@x", "group": "g-viateam", "memberType": "Group", "viaGroup": "g-team",
                   "assignmentType": "Assigned"}],
  "requests": [{"id": "r-pending", "user": "alex@x", "group": "g-open", "status": "PendingApproval",
                "justification": "seeded"}],
  "policies": [{"group": "g-open", "approval": true, "approvers": ["megan@x"]}]
})";
} // namespace

class TestEmulatorRealism : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;
    QString m_alex;

    Reply send(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        return Test::sendToEmulator(m_nam, method, url, body, headers, contentType);
    }
    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    QString tokenPath() const { return u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token"); }

    QString tokenFor(const QString &upn)
    {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"), enc(kRedirect));
        q.addQueryItem(QStringLiteral("scope"), enc(kScope));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("login_hint"), enc(upn));
        QUrl u = url(u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/authorize"));
        u.setQuery(q);
        const Reply a = send("GET", u);
        const QString code = QUrlQuery(a.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(kRedirect) + "&code_verifier=" + kVerifier
            + "&scope=" + QUrl::toPercentEncoding(kScope);
        return send("POST", url(tokenPath()), body, {}, "application/x-www-form-urlencoded")
            .json()
            .value(QStringLiteral("access_token"))
            .toString();
    }
    Reply graph(const QByteArray &method, const QString &path, const QByteArray &body = {},
                QString token = {})
    {
        if (token.isEmpty())
            token = m_alex;
        return send(method, url(path), body, {{"Authorization", "Bearer " + token.toLatin1()}});
    }
    Reply admin(const QByteArray &method, const QString &what, const QByteArray &body = {})
    {
        return send(method, url(QStringLiteral("/_emulator/") + what), body);
    }
    Reply settings(const QByteArray &body) { return admin("POST", QStringLiteral("settings"), body); }
    static QByteArray activation(const QString &groupId, const QString &principal = kAlex,
                                 const QString &justification = QStringLiteral("work"),
                                 const QString &ticket = {})
    {
        QJsonObject body {
            {QStringLiteral("accessId"), QStringLiteral("member")},
            {QStringLiteral("principalId"), principal},
            {QStringLiteral("groupId"), groupId},
            {QStringLiteral("action"), QStringLiteral("selfActivate")},
            {QStringLiteral("justification"), justification},
            {QStringLiteral("scheduleInfo"),
             QJsonObject {{QStringLiteral("startDateTime"),
                           QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
                          {QStringLiteral("expiration"),
                           QJsonObject {{QStringLiteral("type"), QStringLiteral("afterDuration")},
                                        {QStringLiteral("duration"), QStringLiteral("PT1H")}}}}}};
        if (!ticket.isEmpty())
            body.insert(QStringLiteral("ticketInfo"), QJsonObject {{QStringLiteral("ticketNumber"), ticket}});
        return QJsonDocument(body).toJson(QJsonDocument::Compact);
    }
    static QByteArray deactivation(const QString &groupId, const QString &principal = kAlex)
    {
        return QJsonDocument(QJsonObject {{QStringLiteral("accessId"), QStringLiteral("member")},
                                          {QStringLiteral("principalId"), principal},
                                          {QStringLiteral("groupId"), groupId},
                                          {QStringLiteral("action"), QStringLiteral("selfDeactivate")}})
            .toJson(QJsonDocument::Compact);
    }
    QJsonArray listOf(const QString &path)
    {
        const Reply r = graph("GET", path);
        return r.status == 200 ? r.json().value(QStringLiteral("value")).toArray() : QJsonArray();
    }
    /// Every page of a collection (the demo's page size is 3).
    QJsonArray allOf(QString path)
    {
        QJsonArray all;
        for (int page = 0; page < 50 && !path.isEmpty(); ++page) {
            const Reply r = graph("GET", path);
            if (r.status != 200)
                return {};
            for (const auto &v : r.json().value(QStringLiteral("value")).toArray())
                all.append(v);
            const QString next = r.json().value(QStringLiteral("@odata.nextLink")).toString();
            path = next.isEmpty() ? QString()
                                  : QUrl(next).path() + u'?' + QUrl(next).query(QUrl::FullyEncoded);
        }
        return all;
    }
    QJsonObject byGroup(const QJsonArray &items, const QString &groupId)
    {
        for (const auto &v : items)
            if (v.toObject().value(QStringLiteral("groupId")).toString() == groupId)
                return v.toObject();
        return {};
    }
    bool hasId(const QJsonArray &items, const QString &id)
    {
        for (const auto &v : items)
            if (v.toObject().value(QStringLiteral("id")).toString() == id)
                return true;
        return false;
    }
    static QString id(const Reply &r) { return r.json().value(QStringLiteral("id")).toString(); }
    void useVarietyScenario()
    {
        QString error;
        QVERIFY2(m_emu->loadScenario(kVarietyScenario, &error), qPrintable(error));
        m_emu->setAutoSignIn(QStringLiteral("alex@x"));
        m_alex = tokenFor(QStringLiteral("alex@x"));
        QVERIFY(!m_alex.isEmpty());
    }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        QVERIFY(m_emu->setProfile(QStringLiteral("friendly"))); // whatever the environment says
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        m_emu->setAutoSignIn(QStringLiteral("alex@contoso.example"));
        m_alex = tokenFor(QStringLiteral("alex@contoso.example"));
        QVERIFY(!m_alex.isEmpty());
    }
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    void settingsAnswerWithEverySetting()
    {
        const Reply r = settings("{}");
        QCOMPARE(r.status, 200);
        const QJsonObject s = r.json();
        QCOMPARE(s.value(QStringLiteral("replicationLagSeconds")).toDouble(), 0.0);
        QCOMPARE(s.value(QStringLiteral("enumCasing")).toString(), QStringLiteral("camel"));
        QCOMPARE(s.value(QStringLiteral("filterOr")).toBool(false), true);
        QCOMPARE(s.value(QStringLiteral("approvalInitializingSeconds")).toDouble(), 0.0);
        QCOMPARE(s.value(QStringLiteral("policyReadForbidden")).toArray(), QJsonArray());
        QCOMPARE(s.value(QStringLiteral("groupExpandNull")).toArray(), QJsonArray());
        QCOMPARE(s.value(QStringLiteral("profile")).toString(), QStringLiteral("friendly"));
        // The older settings are still in the answer.
        QVERIFY(s.contains(QStringLiteral("pimErrorShape")));
        QVERIFY(s.contains(QStringLiteral("scimDelaySeconds")));

        const QByteArray change
            = dq("{'replicationLagSeconds': 1.5, 'enumCasing': 'pascal', 'filterOr': false, "
                 "'approvalInitializingSeconds': 4, 'policyReadForbidden': ['"
                 + kAdmin.toLatin1() + "'], 'groupExpandNull': ['" + kReadOnly.toLatin1() + "']}");
        const QJsonObject after = settings(change).json();
        QCOMPARE(after.value(QStringLiteral("replicationLagSeconds")).toDouble(), 1.5);
        QCOMPARE(after.value(QStringLiteral("enumCasing")).toString(), QStringLiteral("pascal"));
        QCOMPARE(after.value(QStringLiteral("filterOr")).toBool(true), false);
        QCOMPARE(after.value(QStringLiteral("approvalInitializingSeconds")).toDouble(), 4.0);
        QCOMPARE(after.value(QStringLiteral("policyReadForbidden")).toArray(), QJsonArray({kAdmin}));
        QCOMPARE(after.value(QStringLiteral("groupExpandNull")).toArray(), QJsonArray({kReadOnly}));
        // A later POST that names none of them keeps them.
        QCOMPARE(settings(R"({"graphPageSize": 3})").json().value(QStringLiteral("enumCasing")).toString(),
                 QStringLiteral("pascal"));
    }

    void badSettingValues_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("named");
        QTest::newRow("lag negative")
            << QByteArray(R"({"replicationLagSeconds": -1})") << QStringLiteral("replicationLagSeconds");
        QTest::newRow("lag text") << QByteArray(R"({"replicationLagSeconds": "3"})")
                                  << QStringLiteral("replicationLagSeconds");
        QTest::newRow("lag bool") << QByteArray(R"({"replicationLagSeconds": true})")
                                  << QStringLiteral("replicationLagSeconds");
        QTest::newRow("casing") << QByteArray(R"({"enumCasing": "Pascal"})") << QStringLiteral("enumCasing");
        QTest::newRow("or text") << QByteArray(R"({"filterOr": "no"})") << QStringLiteral("filterOr");
        QTest::newRow("initializing") << QByteArray(R"({"approvalInitializingSeconds": null})")
                                      << QStringLiteral("approvalInitializingSeconds");
        QTest::newRow("forbidden not array")
            << QByteArray(R"({"policyReadForbidden": "g"})") << QStringLiteral("policyReadForbidden");
        QTest::newRow("forbidden unknown group")
            << QByteArray(R"({"policyReadForbidden": ["nope"]})") << QStringLiteral("nope");
        QTest::newRow("expand null number")
            << QByteArray(R"({"groupExpandNull": [7]})") << QStringLiteral("groupExpandNull");
    }
    void badSettingValues()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, named);
        // A valid setting beside the bad one is not applied either.
        QByteArray withValid = body;
        withValid.insert(1, R"("enumCasing": "pascal", )");
        if (body.contains("enumCasing"))
            withValid = body;
        const Reply r = settings(withValid);
        QCOMPARE(r.status, 400);
        QVERIFY2(r.json().value(QStringLiteral("error")).toString().contains(named), r.body.constData());
        QCOMPARE(settings("{}").json().value(QStringLiteral("enumCasing")).toString(),
                 QStringLiteral("camel"));
        // The same in a scenario's settings: the load fails and says why.
        QByteArray scenario = kVarietyScenario;
        scenario.insert(scenario.lastIndexOf('}'), ", \"settings\": " + body);
        QString error;
        QVERIFY(!m_emu->loadScenario(scenario, &error));
        QVERIFY2(error.startsWith(QStringLiteral("settings.")) && error.contains(named), qPrintable(error));
    }

    void realisticProfile()
    {
        QVERIFY(!m_emu->setProfile(QStringLiteral("awkward")));
        QVERIFY(m_emu->setProfile(QStringLiteral("realistic")));
        QJsonObject s = settings("{}").json();
        QCOMPARE(s.value(QStringLiteral("profile")).toString(), QStringLiteral("realistic"));
        QCOMPARE(s.value(QStringLiteral("replicationLagSeconds")).toDouble(), 3.0);
        QCOMPARE(s.value(QStringLiteral("enumCasing")).toString(), QStringLiteral("pascal"));
        QCOMPARE(s.value(QStringLiteral("filterOr")).toBool(true), false);
        QCOMPARE(s.value(QStringLiteral("approvalInitializingSeconds")).toDouble(), 2.0);
        // A scenario's own settings override the profile; the rest of the profile stays.
        QByteArray scenario = kVarietyScenario;
        scenario.insert(scenario.lastIndexOf('}'), R"(, "settings": {"replicationLagSeconds": 0})");
        QVERIFY(m_emu->loadScenario(scenario));
        s = settings("{}").json();
        QCOMPARE(s.value(QStringLiteral("replicationLagSeconds")).toDouble(), 0.0);
        QCOMPARE(s.value(QStringLiteral("enumCasing")).toString(), QStringLiteral("pascal"));
        QVERIFY(m_emu->setProfile(QStringLiteral("friendly")));
        QCOMPARE(settings("{}").json().value(QStringLiteral("enumCasing")).toString(),
                 QStringLiteral("camel"));

        // The environment chooses the profile when an emulator is built.
        qputenv("ELEVATE_EMULATOR_PROFILE", "realistic");
        {
            Emulator::Emulator fromEnv;
            QVERIFY(fromEnv.loadBuiltInScenario());
            QVERIFY(fromEnv.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
            const Reply r = send(
                "POST", QUrl(fromEnv.baseUrl().toString() + QStringLiteral("/_emulator/settings")), "{}");
            QCOMPARE(r.json().value(QStringLiteral("replicationLagSeconds")).toDouble(), 3.0);
            QCOMPARE(r.json().value(QStringLiteral("filterOr")).toBool(true), false);
        }
        qputenv("ELEVATE_EMULATOR_PROFILE", "friendly");
        {
            Emulator::Emulator fromEnv;
            QVERIFY(fromEnv.loadBuiltInScenario());
            QCOMPARE(fromEnv.state().isEmpty(), false);
            QVERIFY(fromEnv.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
            const Reply r = send(
                "POST", QUrl(fromEnv.baseUrl().toString() + QStringLiteral("/_emulator/settings")), "{}");
            QCOMPARE(r.json().value(QStringLiteral("replicationLagSeconds")).toDouble(), 0.0);
        }
        qunsetenv("ELEVATE_EMULATOR_PROFILE");
    }

    void programProfileOption()
    {
        const QString program = QStringLiteral(ELEVATE_BINARY_DIR "/src/app/emulator/elevate-emulator");
        QVERIFY2(QFileInfo::exists(program), qPrintable(program));
        QProcess bad;
        bad.start(program, {QStringLiteral("--profile"), QStringLiteral("awkward")});
        QVERIFY(bad.waitForFinished(10'000));
        QCOMPARE(bad.exitCode(), 2);
        const QList<QByteArray> lines = bad.readAllStandardError().trimmed().split('\n');
        QCOMPARE(lines.size(), 1);
        QVERIFY(lines.first().contains("--profile"));

        QProcess emulator;
        emulator.start(program, {QStringLiteral("--profile"), QStringLiteral("realistic")});
        QVERIFY(emulator.waitForStarted(10'000));
        QVERIFY(QTest::qWaitFor([&emulator] { return emulator.canReadLine(); }, 10'000));
        const QUrl base(QString::fromLatin1(emulator.readLine().trimmed()));
        const Reply r = send("POST", QUrl(base.toString() + QStringLiteral("/_emulator/settings")), "{}");
        emulator.kill();
        emulator.waitForFinished(5000);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("profile")).toString(), QStringLiteral("realistic"));
        QCOMPARE(r.json().value(QStringLiteral("approvalInitializingSeconds")).toDouble(), 2.0);
    }

    void filterOr()
    {
        const QString either = QStringLiteral("?$filter=")
            + enc(QStringLiteral("status eq 'PendingApproval' or status eq 'Granted'"));
        const QString both = QStringLiteral("?$filter=")
            + enc(QStringLiteral("status eq 'PendingApproval' and groupId eq '%1'").arg(kAdmin));
        const QString orInValue = QStringLiteral("?$filter=") + enc(QStringLiteral("groupId eq 'a or b'"));
        QCOMPARE(
            graph("POST", kRequests, activation(kAdmin, kAlex, QStringLiteral("w"), QStringLiteral("T-1")))
                .status,
            201);
        QCOMPARE(listOf(kMyRequests + either).size(), 1);
        QCOMPARE(graph("GET",
                       kInstances + QStringLiteral("?$filter=")
                           + enc(QStringLiteral("groupId eq 'x' or groupId eq 'y'")))
                     .status,
                 200);

        settings(R"({"filterOr": false})");
        for (const QString &path : {QString(kMyRequests + either),
                                    QString(kInstances + QStringLiteral("?$filter=")
                                            + enc(QStringLiteral("groupId eq 'x' OR groupId eq 'y'"))),
                                    QString(kEligibilities + QStringLiteral("?$filter=")
                                            + enc(QStringLiteral("(groupId eq 'x')or(groupId eq 'y')")))}) {
            const Reply r = graph("GET", path);
            QCOMPARE(r.status, 400);
            QCOMPARE(r.outerCode(), QStringLiteral("BadRequest"));
            QVERIFY2(r.json()
                         .value(QStringLiteral("error"))
                         .toObject()
                         .value(QStringLiteral("message"))
                         .toString()
                         .contains(QStringLiteral("'or'")),
                     r.body.constData());
        }
        // `and`, `eq` and an "or" inside a quoted value are still fine.
        QCOMPARE(listOf(kMyRequests + both).size(), 1);
        QCOMPARE(graph("GET", kMyRequests + orInValue).status, 200);
        QCOMPARE(graph("GET",
                       kEligibilities + QStringLiteral("?$filter=")
                           + enc(QStringLiteral("groupId eq 'x or y' and accessId eq 'member'")))
                     .status,
                 200);
    }

    void enumCasing()
    {
        const Reply created = graph("POST", kRequests, activation(kReadOnly));
        QCOMPARE(created.status, 201);
        QCOMPARE(created.json().value(QStringLiteral("action")).toString(), QStringLiteral("selfActivate"));
        QJsonObject listed = listOf(kMyRequests).first().toObject();
        QCOMPARE(listed.value(QStringLiteral("action")).toString(), QStringLiteral("selfActivate"));
        QCOMPARE(listed.value(QStringLiteral("scheduleInfo"))
                     .toObject()
                     .value(QStringLiteral("expiration"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
                 QStringLiteral("afterDuration"));
        QVERIFY(!listed.contains(QStringLiteral("createdDateTIme")));

        settings(R"({"enumCasing": "pascal"})");
        listed = listOf(kMyRequests).first().toObject();
        QCOMPARE(listed.value(QStringLiteral("action")).toString(), QStringLiteral("SelfActivate"));
        QCOMPARE(listed.value(QStringLiteral("scheduleInfo"))
                     .toObject()
                     .value(QStringLiteral("expiration"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
                 QStringLiteral("AfterDuration"));
        QCOMPARE(listed.value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        // The docs' misspelt names beside the right ones, with the same values.
        QVERIFY(listed.contains(QStringLiteral("createdDateTime")));
        QCOMPARE(listed.value(QStringLiteral("createdDateTIme")),
                 listed.value(QStringLiteral("createdDateTime")));
        QCOMPARE(listed.value(QStringLiteral("completedDateTIme")),
                 listed.value(QStringLiteral("completedDateTime")));
        const QJsonObject one = graph("GET", kRequests + u'/' + id(created)).json();
        QCOMPARE(one.value(QStringLiteral("action")).toString(), QStringLiteral("SelfActivate"));
        m_emu->advanceClock(301);
        QCOMPARE(graph("POST", kRequests, deactivation(kReadOnly))
                     .json()
                     .value(QStringLiteral("action"))
                     .toString(),
                 QStringLiteral("SelfDeactivate"));
        // Every eligibility says Direct, not just some.
        for (const auto &e : allOf(kEligibilities)) {
            const QString memberType = e.toObject().value(QStringLiteral("memberType")).toString();
            QVERIFY2(memberType == u"Direct" || memberType == u"Group", qPrintable(memberType));
        }
        // Filters still compare case-insensitively.
        QCOMPARE(listOf(kMyRequests + QStringLiteral("?$filter=")
                        + enc(QStringLiteral("action eq 'selfActivate'")))
                     .size(),
                 1);
    }

    void replicationLagOfARequestAndItsGrant()
    {
        // Off: what was written is read at once.
        Reply created = graph("POST", kRequests, activation(kReadOnly));
        QCOMPARE(graph("GET", kRequests + u'/' + id(created)).status, 200);
        QVERIFY(!byGroup(listOf(kInstances), kReadOnly).isEmpty());
        QVERIFY(m_emu->loadBuiltInScenario());
        m_alex = tokenFor(QStringLiteral("alex@contoso.example"));

        settings(R"({"replicationLagSeconds": 30})");
        created = graph("POST", kRequests, activation(kReadOnly));
        QCOMPARE(created.status, 201); // the POST's own answer is immediate
        QCOMPARE(created.json().value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        const Reply early = graph("GET", kRequests + u'/' + id(created));
        QCOMPARE(early.status, 404);
        QCOMPARE(early.pimCode(), QStringLiteral("ResourceNotFound"));
        QVERIFY(listOf(kMyRequests).isEmpty());
        QVERIFY(byGroup(listOf(kInstances), kReadOnly).isEmpty());
        // The truth is in the state at once.
        QCOMPARE(m_emu->state().value(QStringLiteral("grants")).toArray().size(), 1);
        m_emu->advanceClock(20);
        QCOMPARE(graph("GET", kRequests + u'/' + id(created)).status, 404);
        m_emu->advanceClock(10);
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(created)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("Provisioned"));
        QCOMPARE(listOf(kMyRequests).size(), 1);
        QVERIFY(!byGroup(listOf(kInstances), kReadOnly).isEmpty());

        // A deactivation: the instance is still listed during the lag, and activating again then is
        // refused the way PIM refuses an existing assignment (wrapped, §10.2).
        m_emu->advanceClock(300);
        const Reply revoked = graph("POST", kRequests, deactivation(kReadOnly));
        QCOMPARE(revoked.status, 201);
        QCOMPARE(revoked.json().value(QStringLiteral("status")).toString(), QStringLiteral("Revoked"));
        QVERIFY(!byGroup(listOf(kInstances), kReadOnly).isEmpty());
        QCOMPARE(graph("GET", kRequests + u'/' + id(revoked)).status, 404);
        QVERIFY(m_emu->state().value(QStringLiteral("grants")).toArray().isEmpty());
        const Reply again = graph("POST", kRequests, activation(kReadOnly));
        QCOMPARE(again.status, 400);
        QCOMPARE(again.outerCode(), QStringLiteral("UnknownError"));
        QCOMPARE(again.pimCode(), QStringLiteral("RoleAssignmentExists"));
        m_emu->advanceClock(30);
        QVERIFY(byGroup(listOf(kInstances), kReadOnly).isEmpty());
        QCOMPARE(graph("GET", kRequests + u'/' + id(revoked)).status, 200);
        QCOMPARE(graph("POST", kRequests, activation(kReadOnly)).status, 201);
    }

    void replicationLagOfAnExpiry()
    {
        settings(R"({"replicationLagSeconds": 30})");
        QCOMPARE(graph("POST", kRequests, activation(kReadOnly)).status, 201);
        m_emu->advanceClock(30);
        QVERIFY(!byGroup(listOf(kInstances), kReadOnly).isEmpty());
        m_emu->advanceClock(3571); // one second past the end of PT1H
        m_alex = tokenFor(QStringLiteral("alex@contoso.example")); // the old one may have expired
        QVERIFY(m_emu->state().value(QStringLiteral("grants")).toArray().isEmpty());
        QVERIFY(!byGroup(listOf(kInstances), kReadOnly).isEmpty());
        QCOMPARE(graph("POST", kRequests, activation(kReadOnly)).pimCode(),
                 QStringLiteral("RoleAssignmentExists"));
        m_emu->advanceClock(30);
        QVERIFY(byGroup(listOf(kInstances), kReadOnly).isEmpty());
        QCOMPARE(graph("POST", kRequests, activation(kReadOnly)).status, 201);
    }

    void replicationLagOfADecision()
    {
        const QString megan = tokenFor(QStringLiteral("megan@contoso.example"));
        settings(R"({"replicationLagSeconds": 30})");
        const Reply created
            = graph("POST", kRequests, activation(kAdmin, kAlex, QStringLiteral("w"), QStringLiteral("T-1")));
        QCOMPARE(created.json().value(QStringLiteral("status")).toString(),
                 QStringLiteral("PendingApproval"));
        m_emu->advanceClock(30);
        QCOMPARE(listOf(kMyRequests).first().toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("PendingApproval"));
        const QString stage = kApprovals + id(created) + QStringLiteral("/stages/") + id(created);
        QCOMPARE(graph("PATCH", stage, R"({"reviewResult": "Approve", "justification": "ok"})", megan).status,
                 204);
        // Decided, and yet read as pending with no grant until the lag has passed.
        QCOMPARE(listOf(kMyRequests).first().toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("PendingApproval"));
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(created)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("PendingApproval"));
        QVERIFY(byGroup(listOf(kInstances), kAdmin).isEmpty());
        m_emu->advanceClock(30);
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(created)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("Provisioned"));
        QVERIFY(!byGroup(listOf(kInstances), kAdmin).isEmpty());
        // Canceling is a change too: a second request is canceled, and read as pending during the lag.
        QVERIFY(m_emu->loadBuiltInScenario());
        m_alex = tokenFor(QStringLiteral("alex@contoso.example"));
        settings(R"({"replicationLagSeconds": 30})");
        const Reply second
            = graph("POST", kRequests, activation(kAdmin, kAlex, QStringLiteral("w"), QStringLiteral("T-2")));
        m_emu->advanceClock(30);
        QCOMPARE(graph("POST", kRequests + u'/' + id(second) + QStringLiteral("/cancel")).status, 204);
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(second)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("PendingApproval"));
        m_emu->advanceClock(30);
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(second)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("Canceled"));
    }

    void approvalStageInitializing()
    {
        const QString megan = tokenFor(QStringLiteral("megan@contoso.example"));
        // Off: InProgress at once.
        Reply created
            = graph("POST", kRequests, activation(kAdmin, kAlex, QStringLiteral("w"), QStringLiteral("T-1")));
        QJsonObject stage = graph("GET", kApprovals + id(created), {}, megan)
                                .json()
                                .value(QStringLiteral("stages"))
                                .toArray()
                                .first()
                                .toObject();
        QCOMPARE(stage.value(QStringLiteral("status")).toString(), QStringLiteral("InProgress"));
        QVERIFY(m_emu->loadBuiltInScenario());
        m_alex = tokenFor(QStringLiteral("alex@contoso.example"));
        const QString megan2 = tokenFor(QStringLiteral("megan@contoso.example"));

        settings(R"({"approvalInitializingSeconds": 20})");
        created
            = graph("POST", kRequests, activation(kAdmin, kAlex, QStringLiteral("w"), QStringLiteral("T-1")));
        const QString approval = kApprovals + id(created);
        stage = graph("GET", approval, {}, megan2)
                    .json()
                    .value(QStringLiteral("stages"))
                    .toArray()
                    .first()
                    .toObject();
        QCOMPARE(stage.value(QStringLiteral("status")).toString(), QStringLiteral("Initializing"));
        QCOMPARE(stage.value(QStringLiteral("assignedToMe")).toBool(), true);
        const QJsonObject step
            = send("GET", url(QString(approval).replace(QStringLiteral("/v1.0/"), QStringLiteral("/beta/"))),
                   {}, {{"Authorization", "Bearer " + megan2.toLatin1()}})
                  .json()
                  .value(QStringLiteral("steps"))
                  .toArray()
                  .first()
                  .toObject();
        QCOMPARE(step.value(QStringLiteral("status")).toString(), QStringLiteral("Initializing"));
        // The approver's queue lists it (it is waiting), but a decision is refused until the stage opens.
        QVERIFY(
            hasId(graph("GET", kApprovals + QStringLiteral("filterByCurrentUser(on='approver')"), {}, megan2)
                      .json()
                      .value(QStringLiteral("value"))
                      .toArray(),
                  id(created)));
        const QString patch = approval + QStringLiteral("/stages/") + id(created);
        const Reply early
            = graph("PATCH", patch, R"({"reviewResult": "Approve", "justification": "ok"})", megan2);
        QCOMPARE(early.status, 400);
        QCOMPARE(early.pimCode(), QStringLiteral("InvalidApprovalStageStatus"));
        const Reply shortcut
            = admin("POST", QStringLiteral("decide"),
                    dq("{'request': '" + id(created).toLatin1() + "', 'decision': 'Approve'}"));
        QCOMPARE(shortcut.status, 409);
        QVERIFY(shortcut.json()
                    .value(QStringLiteral("error"))
                    .toString()
                    .contains(QStringLiteral("Initializing")));
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(created)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("PendingApproval"));
        m_emu->advanceClock(20);
        stage = graph("GET", approval, {}, megan2)
                    .json()
                    .value(QStringLiteral("stages"))
                    .toArray()
                    .first()
                    .toObject();
        QCOMPARE(stage.value(QStringLiteral("status")).toString(), QStringLiteral("InProgress"));
        QCOMPARE(
            graph("PATCH", patch, R"({"reviewResult": "Approve", "justification": "ok"})", megan2).status,
            204);
        QCOMPARE(
            graph("GET", kRequests + u'/' + id(created)).json().value(QStringLiteral("status")).toString(),
            QStringLiteral("Provisioned"));
    }

    void policyReadForbidden()
    {
        const auto policyOf = [this](const QString &group) {
            return graph("GET",
                         QStringLiteral("/graph/v1.0/policies/roleManagementPolicyAssignments?$filter=")
                             + enc(QStringLiteral("scopeId eq '%1' and scopeType eq 'Group' and "
                                                  "roleDefinitionId eq 'member'")
                                       .arg(group))
                             + QStringLiteral("&$expand=policy($expand=rules)"));
        };
        QCOMPARE(policyOf(kReadOnly).status, 200);
        settings(dq("{'policyReadForbidden': ['" + kReadOnly.toLatin1() + "']}"));
        const Reply refused = policyOf(kReadOnly);
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.outerCode(), QStringLiteral("Authorization_RequestDenied"));
        QCOMPARE(policyOf(kAdmin).status, 200);
        // The request itself still goes through: only the read is refused.
        QCOMPARE(graph("POST", kRequests, activation(kReadOnly)).status, 201);
        settings(R"({"policyReadForbidden": []})");
        QCOMPARE(policyOf(kReadOnly).status, 200);
    }

    void groupExpandNull()
    {
        QCOMPARE(graph("POST", kRequests, activation(kReadOnly)).status, 201);
        QVERIFY(byGroup(allOf(kEligibilities + QStringLiteral("?$expand=group")), kReadOnly)
                    .value(QStringLiteral("group"))
                    .isObject());
        settings(dq("{'groupExpandNull': ['" + kReadOnly.toLatin1() + "']}"));
        const QJsonArray eligibilities = allOf(kEligibilities + QStringLiteral("?$expand=group"));
        const QJsonObject nulled = byGroup(eligibilities, kReadOnly);
        QVERIFY(nulled.contains(QStringLiteral("group")));
        QVERIFY(nulled.value(QStringLiteral("group")).isNull());
        QVERIFY(
            byGroup(eligibilities, kAdmin).value(QStringLiteral("group")).isObject()); // others keep theirs
        QVERIFY(byGroup(listOf(kInstances + QStringLiteral("?$expand=group")), kReadOnly)
                    .value(QStringLiteral("group"))
                    .isNull());
        QVERIFY(
            byGroup(listOf(kMyRequests + QStringLiteral("?$expand=group($select=id,displayName)")), kReadOnly)
                .value(QStringLiteral("group"))
                .isNull());
        // The fallback works: GET /groups/{id}.
        const Reply g = graph("GET",
                              QStringLiteral("/graph/v1.0/groups/") + kReadOnly
                                  + QStringLiteral("?$select=id,displayName,description"));
        QCOMPARE(g.status, 200);
        QCOMPARE(g.json().value(QStringLiteral("displayName")).toString(),
                 QStringLiteral("AWS-123456789012-ReadOnlyAccess"));
    }

    void eligibleDirectlyAndThroughAGroup()
    {
        useVarietyScenario();
        QJsonArray list;
        for (const auto &v : allOf(kEligibilities))
            if (v.toObject().value(QStringLiteral("groupId")).toString() == u"g-db")
                list.append(v);
        QCOMPARE(list.size(), 2);
        QStringList kinds;
        for (const auto &v : list) {
            const QJsonObject e = v.toObject();
            QCOMPARE(e.value(QStringLiteral("groupId")).toString(), QStringLiteral("g-db"));
            const QString memberType = e.value(QStringLiteral("memberType")).toString().toLower();
            kinds << memberType;
            QCOMPARE(e.value(QStringLiteral("principalId")).toString(),
                     memberType == u"group" ? QStringLiteral("g-team") : QStringLiteral("u-alex"));
        }
        kinds.sort();
        QCOMPARE(kinds, QStringList({QStringLiteral("direct"), QStringLiteral("group")}));
        QVERIFY(list.at(0).toObject().value(QStringLiteral("id"))
                != list.at(1).toObject().value(QStringLiteral("id")));
        QCOMPARE(
            graph("POST", kRequests, activation(QStringLiteral("g-db"), QStringLiteral("u-alex"))).status,
            201);

        QString error;
        QByteArray bad = kVarietyScenario;
        bad.replace(R"("viaGroup": "g-team"},)", R"("viaGroup": "nope"},)");
        QVERIFY(!m_emu->loadScenario(bad, &error));
        QVERIFY2(error.contains(QStringLiteral("viaGroup")), qPrintable(error));
        bad = kVarietyScenario;
        bad.replace(R"({"user": "alex@x", "group": "g-db"},)",
                    R"({"user": "alex@x", "group": "g-db", "memberType": "Nested"},)");
        QVERIFY(!m_emu->loadScenario(bad, &error));
        QVERIFY2(error.contains(QStringLiteral("memberType")), qPrintable(error));
    }

    void permanentAssignments()
    {
        useVarietyScenario();
        const QJsonArray list = listOf(kInstances);
        const QJsonObject direct = byGroup(list, QStringLiteral("g-perm"));
        QCOMPARE(direct.value(QStringLiteral("memberType")).toString(), QStringLiteral("Direct"));
        QCOMPARE(direct.value(QStringLiteral("assignmentType")).toString(), QStringLiteral("Assigned"));
        QVERIFY(direct.value(QStringLiteral("startDateTime")).isNull());
        QVERIFY(direct.value(QStringLiteral("endDateTime")).isNull());
        QCOMPARE(direct.value(QStringLiteral("principalId")).toString(), QStringLiteral("u-alex"));
        const QJsonObject viaGroup = byGroup(list, QStringLiteral("g-viateam"));
        QCOMPARE(viaGroup.value(QStringLiteral("memberType")).toString(), QStringLiteral("Group"));
        QCOMPARE(viaGroup.value(QStringLiteral("principalId")).toString(), QStringLiteral("g-team"));
        QCOMPARE(listOf(kInstances + QStringLiteral("?$filter=")
                        + enc(QStringLiteral("assignmentType eq 'assigned' and memberType eq 'Group'")))
                     .size(),
                 1);
        // Not the user's to end; and another activation of it exists already. Permanent: no expiry.
        QCOMPARE(graph("POST", kRequests, deactivation(QStringLiteral("g-perm"), QStringLiteral("u-alex")))
                     .pimCode(),
                 QStringLiteral("RoleAssignmentDoesNotExist"));
        m_emu->advanceClock(400 * 86400);
        m_alex = tokenFor(QStringLiteral("alex@x"));
        QCOMPARE(listOf(kInstances).size(), 2);

        QString error;
        QByteArray bad = kVarietyScenario;
        bad.replace(dq("'memberType': 'Direct', 'assignmentType': 'Assigned'"),
                    dq("'memberType': 'Direct', 'assignmentType': 'Activated'"));
        QVERIFY(!m_emu->loadScenario(bad, &error));
        QVERIFY2(error.contains(QStringLiteral("assignmentType")), qPrintable(error));
        bad = kVarietyScenario;
        bad.replace(dq("{'user': 'alex@x', 'group': 'g-perm'"), dq("{'user': 'nobody@x', 'group': 'g-perm'"));
        QVERIFY(!m_emu->loadScenario(bad, &error));
        QVERIFY2(error.startsWith(QStringLiteral("assignment 0")), qPrintable(error));
    }

    void seededRequestsInEveryOpenStatus_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<bool>("awaitsApprover");
        for (const char *s : {"PendingApproval", "PendingApprovalProvisioning", "PendingAdminDecision"})
            QTest::newRow(s) << QString::fromLatin1(s) << true;
        for (const char *s :
             {"PendingScheduleCreation", "ScheduleCreated", "Accepted", "PendingProvisioning", "Granted"})
            QTest::newRow(s) << QString::fromLatin1(s) << false;
    }
    void seededRequestsInEveryOpenStatus()
    {
        QFETCH(QString, status);
        QFETCH(bool, awaitsApprover);
        QByteArray scenario = kVarietyScenario;
        scenario.replace(dq("'status': 'PendingApproval'"),
                         QByteArray("\"status\": \"" + status.toLatin1() + "\""));
        QString error;
        QVERIFY2(m_emu->loadScenario(scenario, &error), qPrintable(error));
        m_alex = tokenFor(QStringLiteral("alex@x"));
        const QJsonArray mine = listOf(kMyRequests + QStringLiteral("?$filter=")
                                       + enc(QStringLiteral("status eq '%1'").arg(status)));
        QCOMPARE(mine.size(), 1);
        const QJsonObject r = mine.first().toObject();
        QCOMPARE(r.value(QStringLiteral("id")).toString(), QStringLiteral("r-pending"));
        QCOMPARE(r.value(QStringLiteral("groupId")).toString(), QStringLiteral("g-open"));
        QCOMPARE(r.value(QStringLiteral("justification")).toString(), QStringLiteral("seeded"));
        QCOMPARE(r.value(QStringLiteral("approvalId")).isNull(), !awaitsApprover);
        // It stays as it is (nobody moves it on), and it is pending for PIM: no second request.
        m_emu->advanceClock(1800);
        QCOMPARE(graph("GET", kRequests + QStringLiteral("/r-pending"))
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
                 status);
        QCOMPARE(graph("POST", kRequests, activation(QStringLiteral("g-open"), QStringLiteral("u-alex")))
                     .pimCode(),
                 QStringLiteral("PendingRoleAssignmentRequest"));
        QCOMPARE(graph("POST", kRequests + QStringLiteral("/r-pending/cancel")).status, 204);
        QCOMPARE(graph("GET", kRequests + QStringLiteral("/r-pending"))
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
                 QStringLiteral("Canceled"));
    }
    void seededRequestIsDecided()
    {
        useVarietyScenario();
        const QString megan = tokenFor(QStringLiteral("megan@x"));
        const QString stage = kApprovals + QStringLiteral("r-pending/stages/r-pending");
        QCOMPARE(graph("PATCH", stage, R"({"reviewResult": "Approve", "justification": "ok"})", megan).status,
                 204);
        QCOMPARE(graph("GET", kRequests + QStringLiteral("/r-pending"))
                     .json()
                     .value(QStringLiteral("status"))
                     .toString(),
                 QStringLiteral("Provisioned"));
        QVERIFY(!byGroup(listOf(kInstances), QStringLiteral("g-open")).isEmpty());

        QString error;
        QByteArray bad = kVarietyScenario;
        bad.replace(dq("'status': 'PendingApproval'"), dq("'status': 'Provisioned'"));
        QVERIFY(!m_emu->loadScenario(bad, &error));
        QVERIFY2(error.contains(QStringLiteral("not an open status")), qPrintable(error));
    }

    void faultHeaders()
    {
        const QByteArray cae
            = "Bearer realm=\"\", "
              "authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", "
              "client_id=\"00000003-0000-0000-c000-000000000000\", error=\"insufficient_claims\", "
              "claims="
              "\"eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=\"";
        const QJsonObject fault {
            {QStringLiteral("path"), QStringLiteral("/me")},
            {QStringLiteral("status"), 401},
            {QStringLiteral("count"), 2},
            {QStringLiteral("headers"),
             QJsonObject {
                 {QStringLiteral("WWW-Authenticate"),
                  QJsonArray({QStringLiteral("PoP realm=\"\", nonce=\"abc\""), QString::fromLatin1(cae)})},
                 {QStringLiteral("x-ms-ags-diagnostic"), QStringLiteral("{}")}}}};
        QCOMPARE(admin("POST", QStringLiteral("faults"), QJsonDocument(fault).toJson()).status, 201);
        const Reply r = graph("GET", QStringLiteral("/graph/v1.0/me"));
        QCOMPARE(r.status, 401);
        QCOMPARE(r.outerCode(), QStringLiteral("InvalidAuthenticationToken"));
        QVERIFY(r.headers.value("www-authenticate").contains("error=\"insufficient_claims\""));
        QCOMPARE(r.headers.value("x-ms-ags-diagnostic"), QByteArray("{}"));

        // On the wire the challenge is two header lines, not one joined by the client library.
        QTcpSocket socket;
        socket.connectToHost(m_emu->baseUrl().host(), quint16(m_emu->baseUrl().port()));
        QVERIFY(socket.waitForConnected(5000));
        socket.write("GET /graph/v1.0/me HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                     + m_alex.toLatin1() + "\r\nConnection: close\r\n\r\n");
        QByteArray raw;
        QVERIFY(QTest::qWaitFor(
                    [&] {
                        raw += socket.readAll();
                        return raw.contains("\r\n\r\n") && socket.state() != QAbstractSocket::ConnectedState;
                    },
                    5000)
                || raw.contains("\r\n\r\n"));
        const QList<QByteArray> lines = raw.left(raw.indexOf("\r\n\r\n")).split('\n');
        int challenges = 0;
        for (const QByteArray &line : lines)
            if (line.toLower().startsWith("www-authenticate:"))
                ++challenges;
        QCOMPARE(challenges, 2);
        QVERIFY(raw.contains(QByteArray("WWW-Authenticate: " + cae + "\r\n")));
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200); // used up

        // Without its own challenge a 401 carries Graph's plain one, once.
        admin("POST", QStringLiteral("faults"), R"({"path": "/me", "status": 401})");
        const Reply plain = graph("GET", QStringLiteral("/graph/v1.0/me"));
        QCOMPARE(plain.status, 401);
        QVERIFY(plain.headers.value("www-authenticate").startsWith("Bearer realm="));
        QVERIFY(!plain.headers.value("www-authenticate").contains("insufficient_claims"));
        QVERIFY(!plain.headers.value("www-authenticate").contains(", Bearer"));

        // Headers decorate a real answer too.
        admin("POST", QStringLiteral("faults"), R"({"path": "/me", "headers": {"x-test": "yes"}})");
        const Reply decorated = graph("GET", QStringLiteral("/graph/v1.0/me"));
        QCOMPARE(decorated.status, 200);
        QCOMPARE(decorated.headers.value("x-test"), QByteArray("yes"));

        for (const QByteArray &bad :
             {QByteArray(R"({"headers": ["x"]})"), QByteArray(R"({"headers": {"x": 1}})"),
              QByteArray(R"({"headers": {"x": ["a\nb"]}})"), QByteArray(R"({"headers": {"a:b": "c"}})")}) {
            const Reply refused = admin("POST", QStringLiteral("faults"), bad);
            QCOMPARE(refused.status, 400);
            QVERIFY(
                refused.json().value(QStringLiteral("error")).toString().contains(QStringLiteral("header")));
        }
    }

    void tokenEndpointFaults_data()
    {
        QTest::addColumn<QByteArray>("fault");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("code");
        QTest::newRow("429") << QByteArray(R"({"path": "oauth2/v2.0/token", "status": 429, "retryAfter": 7})")
                             << 429 << QStringLiteral("temporarily_unavailable") << 90055;
        QTest::newRow("503") << QByteArray(R"({"path": "oauth2/v2.0/token", "status": 503})") << 503
                             << QStringLiteral("temporarily_unavailable") << 90033;
        QTest::newRow("500") << QByteArray(R"({"path": "oauth2/v2.0/token", "status": 500})") << 500
                             << QStringLiteral("server_error") << 50000;
        QTest::newRow("temporarily_unavailable")
            << QByteArray(R"({"path": "oauth2/v2.0/token", "oauthError": "temporarily_unavailable"})") << 400
            << QStringLiteral("temporarily_unavailable") << 90033;
        const QJsonObject interaction {
            {QStringLiteral("path"), QStringLiteral("oauth2/v2.0/token")},
            {QStringLiteral("status"), 400},
            {QStringLiteral("oauthError"), QStringLiteral("interaction_required")},
            {QStringLiteral("claims"),
             QStringLiteral("{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"p1\"]}}}")}};
        QTest::newRow("interaction_required")
            << QJsonDocument(interaction).toJson() << 400 << QStringLiteral("interaction_required") << 50076;
    }
    void tokenEndpointFaults()
    {
        QFETCH(QByteArray, fault);
        QFETCH(int, status);
        QFETCH(QString, error);
        QFETCH(int, code);
        QCOMPARE(admin("POST", QStringLiteral("faults"), fault).status, 201);
        const QByteArray refresh
            = "grant_type=refresh_token&refresh_token=x&client_id=" + m_emu->clientId().toLatin1();
        const Reply r = send("POST", url(tokenPath()), refresh,
                             {{"client-request-id", "0b1c2d3e-0000-4000-8000-000000000001"}},
                             "application/x-www-form-urlencoded");
        QCOMPARE(r.status, status);
        const QJsonObject body = r.json();
        QCOMPARE(body.value(QStringLiteral("error")).toString(), error);
        QCOMPARE(body.value(QStringLiteral("error_codes")).toArray(), QJsonArray({code}));
        QVERIFY(body.value(QStringLiteral("error_description"))
                    .toString()
                    .startsWith(QStringLiteral("AADSTS%1: ").arg(code)));
        QVERIFY(!body.value(QStringLiteral("timestamp")).toString().isEmpty());
        QVERIFY(!body.value(QStringLiteral("trace_id")).toString().isEmpty());
        QCOMPARE(body.value(QStringLiteral("correlation_id")).toString(),
                 QStringLiteral("0b1c2d3e-0000-4000-8000-000000000001"));
        const QJsonDocument asFault = QJsonDocument::fromJson(fault);
        const QString claims = asFault.object().value(QStringLiteral("claims")).toString();
        QCOMPARE(body.value(QStringLiteral("claims")).toString(), claims);
        if (!claims.isEmpty())
            QCOMPARE(
                QJsonDocument::fromJson(claims.toUtf8()).object().contains(QStringLiteral("access_token")),
                true);
        if (asFault.object().contains(QStringLiteral("retryAfter")))
            QCOMPARE(r.headers.value("retry-after"), QByteArray("7"));
        // Used up: the real endpoint answers the next one (an unknown refresh token).
        QCOMPARE(send("POST", url(tokenPath()), refresh, {}, "application/x-www-form-urlencoded")
                     .json()
                     .value(QStringLiteral("error"))
                     .toString(),
                 QStringLiteral("invalid_grant"));
    }
    void badTokenFaults()
    {
        for (const QByteArray &bad :
             {QByteArray(R"({"oauthError": 5})"), QByteArray(R"({"oauthError": ""})"),
              QByteArray(R"({"claims": "not json"})"), QByteArray(R"({"claims": {}})")}) {
            const Reply r = admin("POST", QStringLiteral("faults"), bad);
            QCOMPARE(r.status, 400);
            QVERIFY(!r.json().value(QStringLiteral("error")).toString().isEmpty());
        }
    }
};

QTEST_GUILESS_MAIN(TestEmulatorRealism)
#include "tst_emulator_realism.moc"

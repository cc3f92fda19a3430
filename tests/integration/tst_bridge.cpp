// SPDX-License-Identifier: GPL-3.0-or-later
// elevate-bridge's watch-and-push cycle (issue 13, item 1) against the in-process emulator with the
// real parts: the bridge's configuration as the emulator writes it, app-only tokens with its client
// secret, Graph, the SQLite state. A user activates → one cycle later the push succeeded and Identity
// Center lists the role long before the SCIM delay; the end is pushed; a restart pushes nothing again
// and catches an end that happened while it was down; a throttled push waits; first start with an old
// and a young activation; a quarantined job; a missing permission; a deleted group; a dry run.
// Time: the emulator's clock, and a ManualClock set to it before each cycle.

#include "app/bridge/bridge.h"
#include "app/bridge/bridgeconfig.h"
#include "app/bridge/bridgestate.h"
#include "app/bridge/clientcredentials.h"
#include "app/bridge/eventlog.h"
#include "app/bridge/metrics.h"
#include "emulator/emulator.h"
#include "graph/graphclient.h"
#include "net/httpclient.h"
#include "support/manualclock.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include <cstdio>
#include <memory>

using namespace Elevate;

namespace {
const QString kAlex = QStringLiteral("00000000-aaaa-bbbb-cccc-123456789abc");
const QString kAlexUpn = QStringLiteral("alex@contoso.example");
const QString kReadOnly
    = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"); // AWS-123456789012-ReadOnlyAccess
const QString kPowerUser
    = QStringLiteral("3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"); // AWS-210987654321-PowerUserAccess
const QString kReadOnlyRole = QStringLiteral("alex@contoso.example 123456789012/ReadOnlyAccess");
const QString kPowerUserRole = QStringLiteral("alex@contoso.example 210987654321/PowerUserAccess");
const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kEntraScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup");
constexpr qint64 kScimDelay = 40 * 60; // the regular cycle
constexpr qint64 kSettle = 10; // past the realistic profile's replication lag (3 s)

struct Reply
{
    int status = 0;
    QByteArray body;
    QUrl location;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};
} // namespace

class TestBridge : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<Emulator::Emulator> m_emu;
    QNetworkAccessManager m_nam;
    Net::HttpClient m_http {&m_nam};
    Test::ManualClock m_clock;
    Bridge::BridgeConfig m_config;
    QByteArray m_secret;
    // One bridge process: dropped and made again for a restart (the state file stays).
    std::unique_ptr<Bridge::ClientCredentialsProvider> m_tokens;
    std::unique_ptr<Graph::GraphClient> m_graph;
    std::unique_ptr<Bridge::BridgeState> m_state;
    std::unique_ptr<Bridge::Metrics> m_metrics;
    std::unique_ptr<Bridge::EventLog> m_events;
    std::unique_ptr<Bridge::Bridge> m_bridge;
    std::FILE *m_log = nullptr;
    QString m_logPath;
    int m_fatalCode = 0;
    QString m_fatalMessage;

    Reply send(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        QNetworkRequest req(url);
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        if (!body.isEmpty())
            req.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
        for (const auto &h : headers)
            req.setRawHeader(h.first, h.second);
        QNetworkReply *reply = m_nam.sendCustomRequest(req, method, body);
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000))
            return {};
        Reply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.body = reply->readAll();
        r.location = QUrl(QString::fromUtf8(reply->rawHeader("Location")));
        reply->deleteLater();
        return r;
    }
    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    Reply admin(const QString &what, const QByteArray &body, const QByteArray &method = "POST")
    {
        return send(method, url(QStringLiteral("/_emulator/") + what), body);
    }
    QString userToken(const QString &upn)
    {
        auto enc = [](const QString &s) { return QString::fromLatin1(QUrl::toPercentEncoding(s)); };
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"), enc(QStringLiteral("http://localhost:5000/")));
        q.addQueryItem(QStringLiteral("scope"), enc(kEntraScope));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("login_hint"), enc(upn));
        QUrl u = url(u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/authorize"));
        u.setQuery(q);
        const Reply a = send("GET", u);
        const QString code = QUrlQuery(a.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(QStringLiteral("http://localhost:5000/"))
            + "&code_verifier=" + kVerifier + "&scope=" + QUrl::toPercentEncoding(kEntraScope);
        return send("POST", url(u'/' + m_emu->tenantId() + QStringLiteral("/oauth2/v2.0/token")), body, {},
                    "application/x-www-form-urlencoded")
            .json()
            .value(QStringLiteral("access_token"))
            .toString();
    }
    /// Alex activates (or deactivates) the group's membership, as the app would.
    bool pim(const QString &action, const QString &groupId)
    {
        QJsonObject body {{QStringLiteral("accessId"), QStringLiteral("member")},
                          {QStringLiteral("principalId"), kAlex},
                          {QStringLiteral("groupId"), groupId},
                          {QStringLiteral("action"), action},
                          {QStringLiteral("justification"), QStringLiteral("Testing the bridge")}};
        if (action == u"selfActivate")
            body.insert(QStringLiteral("scheduleInfo"),
                        QJsonObject {{QStringLiteral("startDateTime"), m_emu->now().toString(Qt::ISODate)},
                                     {QStringLiteral("expiration"),
                                      QJsonObject {{QStringLiteral("type"), QStringLiteral("afterDuration")},
                                                   {QStringLiteral("duration"), QStringLiteral("PT2H")}}}});
        const Reply r = send("POST",
                             url(QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                                "assignmentScheduleRequests")),
                             QJsonDocument(body).toJson(QJsonDocument::Compact),
                             {{"Authorization", "Bearer " + userToken(kAlexUpn).toLatin1()}});
        if (r.status != 201)
            qWarning("%s: %d %s", qPrintable(action), r.status, r.body.constData());
        m_emu->advanceClock(kSettle);
        return r.status == 201;
    }
    QStringList awsAssignments() const
    {
        QStringList out;
        const QJsonObject aws = m_emu->state().value(QStringLiteral("aws")).toObject();
        for (const auto &a : aws.value(QStringLiteral("assignments")).toArray())
            out << a[QStringLiteral("user")].toString() + u' ' + a[QStringLiteral("accountId")].toString()
                    + u'/' + a[QStringLiteral("roleName")].toString();
        return out;
    }

    void makeBridge(Bridge::Bridge::Options options = {})
    {
        dropBridge();
        m_clock.set(m_emu->now());
        m_tokens = std::make_unique<Bridge::ClientCredentialsProvider>(m_config, m_secret, QByteArray(),
                                                                       &m_http, &m_clock);
        m_graph = std::make_unique<Graph::GraphClient>(QUrl(m_config.app.graphBaseUrl),
                                                       m_config.app.graphResource, &m_http, m_tokens.get());
        m_graph->setClock(&m_clock);
        auto state = Bridge::BridgeState::open(m_config.effectiveStatePath());
        QVERIFY2(state.ok(), state.ok() ? "" : qPrintable(state.error().message));
        m_state = std::move(state).value();
        m_metrics = std::make_unique<Bridge::Metrics>();
        m_log = std::fopen(QFile::encodeName(m_logPath).constData(), "a");
        m_events = std::make_unique<Bridge::EventLog>(&m_clock, m_log);
        m_bridge = std::make_unique<Bridge::Bridge>(m_config, m_graph.get(), m_tokens.get(), m_state.get(),
                                                    m_metrics.get(), m_events.get(), &m_clock, options);
        m_fatalCode = 0;
        connect(m_bridge.get(), &Bridge::Bridge::fatal, this, [this](const Core::Error &e, int code) {
            m_fatalCode = code;
            m_fatalMessage = e.message;
        });
    }
    void dropBridge()
    {
        m_bridge.reset();
        m_events.reset();
        if (m_log)
            std::fclose(m_log);
        m_log = nullptr;
        m_metrics.reset();
        m_state.reset();
        m_graph.reset();
        m_tokens.reset();
    }
    /// One --once cycle at the emulator's time; true when it finished (false: fatal).
    bool cycle()
    {
        m_clock.set(m_emu->now());
        QSignalSpy finished(m_bridge.get(), &Bridge::Bridge::cycleFinished);
        m_bridge->runOnce();
        if (!QTest::qWaitFor([&] { return !finished.isEmpty() || m_fatalCode != 0; }, 60'000))
            return false;
        return !finished.isEmpty();
    }
    QList<QJsonObject> events(const QString &name) const
    {
        std::fflush(m_log);
        QFile f(m_logPath);
        QList<QJsonObject> out;
        if (!f.open(QIODevice::ReadOnly))
            return out;
        for (const QByteArray &line : f.readAll().split('\n')) {
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            if (o.value(QStringLiteral("event")).toString() == name)
                out << o;
        }
        return out;
    }
    std::optional<Bridge::Membership> row(const QString &groupId) const
    {
        const auto rows = m_state->memberships();
        if (rows.ok())
            for (const auto &m : rows.value())
                if (m.groupId == groupId && m.principalId == kAlex)
                    return m;
        return std::nullopt;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_emu = std::make_unique<Emulator::Emulator>();
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        m_emu->setScimDelay(kScimDelay);
        m_emu->setAutoSignIn(kAlexUpn);
        const QString file = m_dir.filePath(
            QStringLiteral("bridge-%1.json").arg(QLatin1String(QTest::currentTestFunction())));
        QFile::remove(m_dir.filePath(
            QStringLiteral("bridge-%1.sqlite").arg(QLatin1String(QTest::currentTestFunction()))));
        QString error;
        QVERIFY2(m_emu->writeBridgeConfig(file, &error), qPrintable(error));
        auto config = Bridge::BridgeConfig::load(file);
        QVERIFY2(config.ok(), config.ok() ? "" : qPrintable(config.error().message));
        m_config = config.value();
        auto secret = Bridge::readCredential(m_config);
        QVERIFY(secret.ok());
        m_secret = secret.value();
        m_logPath = m_dir.filePath(
            QStringLiteral("events-%1.jsonl").arg(QLatin1String(QTest::currentTestFunction())));
        QFile::remove(m_logPath);
    }
    void cleanup()
    {
        // No secret and no token in any event line.
        if (m_log) {
            std::fflush(m_log);
            QFile f(m_logPath);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray all = f.readAll();
            QVERIFY(!all.contains(m_secret));
            QVERIFY(!all.contains("eyJ"));
        }
        dropBridge();
        m_emu.reset();
    }

    void anActivationIsPushedWithinOneCycleAndItsEndToo()
    {
        makeBridge();
        QVERIFY(cycle()); // nothing active yet
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 0);
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QVERIFY(!awsAssignments().contains(kReadOnlyRole)); // the regular cycle is 40 minutes away
        QVERIFY(cycle());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 1);
        QVERIFY(awsAssignments().contains(kReadOnlyRole)); // long before the SCIM delay
        QVERIFY(row(kReadOnly)->startPushed.isValid());
        QCOMPARE(m_metrics->latencies().size(), 1);
        QVERIFY(m_metrics->latencies().first() >= 0 && m_metrics->latencies().first() < kScimDelay);
        const auto pushes = events(QStringLiteral("push"));
        QCOMPARE(pushes.size(), 1);
        QCOMPARE(pushes.first().value(QStringLiteral("kind")).toString(), QStringLiteral("start"));
        QCOMPARE(pushes.first().value(QStringLiteral("group")).toString(), kReadOnly);
        // Another cycle: nothing new, nothing pushed again.
        QVERIFY(cycle());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 1);
        QCOMPARE(m_bridge->health().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));

        m_emu->advanceClock(301); // PIM refuses a deactivation within 5 minutes
        QVERIFY(pim(QStringLiteral("selfDeactivate"), kReadOnly));
        QVERIFY(cycle());
        QVERIFY(row(kReadOnly)->endPushed.isValid());
        QVERIFY(!awsAssignments().contains(kReadOnlyRole));
        QCOMPARE(events(QStringLiteral("push")).last().value(QStringLiteral("kind")).toString(),
                 QStringLiteral("end"));
    }

    void aRestartPushesNothingAgainAndCatchesAnEndWhileDown()
    {
        makeBridge();
        QVERIFY(cycle());
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QVERIFY(cycle());
        QVERIFY(awsAssignments().contains(kReadOnlyRole));
        // A restart: nothing is pushed again.
        makeBridge();
        QVERIFY(cycle());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success"))
                     + m_metrics->pushes(QStringLiteral("RedundantExport")),
                 0);
        // Down while the grant ends; the next start pushes the end.
        dropBridge();
        m_emu->advanceClock(301);
        QVERIFY(pim(QStringLiteral("selfDeactivate"), kReadOnly));
        makeBridge();
        QVERIFY(cycle());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 1);
        QVERIFY(row(kReadOnly)->endPushed.isValid());
        QVERIFY(!awsAssignments().contains(kReadOnlyRole));
        // Activated again after the pushed end: a new membership, pushed again.
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QVERIFY(cycle());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 2);
        QVERIFY(awsAssignments().contains(kReadOnlyRole));
        QVERIFY(!row(kReadOnly)->endPushed.isValid());
    }

    void firstStartBaselinesOldActivationsAndPushesYoungOnes()
    {
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        m_emu->advanceClock(41 * 60); // older than catchUpMinutes (40) and still live (2 h)
        QVERIFY(pim(QStringLiteral("selfActivate"), kPowerUser));
        m_emu->setScimDelay(10 * 3600); // neither has reached AWS by the regular cycle
        makeBridge();
        QVERIFY(cycle());
        QVERIFY(row(kReadOnly)->baseline);
        QVERIFY(!row(kReadOnly)->startPushed.isValid());
        QVERIFY(!row(kPowerUser)->baseline);
        QVERIFY(row(kPowerUser)->startPushed.isValid());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 1);
        QVERIFY(awsAssignments().contains(kPowerUserRole));
        QVERIFY(!awsAssignments().contains(kReadOnlyRole));
    }

    void aThrottledPushWaitsForRetryAfterAndLosesNothing()
    {
        makeBridge();
        QVERIFY(cycle());
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QCOMPARE(admin(QStringLiteral("faults"),
                       R"({"path":"provisionOnDemand","status":429,"retryAfter":1,"count":1})")
                     .status,
                 201);
        QVERIFY(cycle());
        QCOMPARE(m_metrics->throttled(QStringLiteral("provisioning")), 1);
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 1);
        QVERIFY(awsAssignments().contains(kReadOnlyRole));
        QCOMPARE(events(QStringLiteral("throttled")).size(), 1);
    }

    void aQuarantinedJobHoldsPushesUntilActive()
    {
        QCOMPARE(admin(QStringLiteral("scim/job"),
                       R"({"statusCode":"Quarantine","quarantineReason":"EncounteredQuarantineException"})")
                     .status,
                 200);
        makeBridge();
        QVERIFY(cycle());
        QCOMPARE(events(QStringLiteral("job")).size(), 1);
        QCOMPARE(events(QStringLiteral("job")).first().value(QStringLiteral("level")).toString(),
                 QStringLiteral("warning"));
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QVERIFY(cycle());
        QCOMPARE(m_metrics->queueLength(), 1);
        QVERIFY(!row(kReadOnly)->startPushed.isValid());
        QCOMPARE(m_bridge->health().value(QStringLiteral("status")).toString(), QStringLiteral("degraded"));
        QCOMPARE(admin(QStringLiteral("scim/job"), R"({"statusCode":"Active","quarantineReason":""})").status,
                 200);
        m_emu->advanceClock(61); // the job is looked at again at most once a minute
        QVERIFY(cycle());
        QVERIFY(row(kReadOnly)->startPushed.isValid());
        QCOMPARE(m_metrics->queueLength(), 0);
    }

    void aMissingPermissionIsFatalAndNamed()
    {
        // The bridge's application without the permission to read assignment schedules.
        const QJsonObject app {
            {QStringLiteral("clientId"), m_emu->bridgeClientId()},
            {QStringLiteral("secret"), QString::fromUtf8(m_secret)},
            {QStringLiteral("roles"), QJsonArray {QStringLiteral("Group.Read.All")}},
            {QStringLiteral("ownerOf"), QJsonArray {m_config.app.aws.scimServicePrincipalId}}};
        QCOMPARE(
            admin(QStringLiteral("applications"), QJsonDocument(app).toJson(QJsonDocument::Compact)).status,
            200);
        makeBridge();
        QVERIFY(!cycle());
        QCOMPARE(m_fatalCode, 5);
        QVERIFY2(m_fatalMessage.contains(u"PrivilegedAssignmentSchedule.Read.AzureADGroup"),
                 qPrintable(m_fatalMessage));
        QVERIFY2(m_fatalMessage.contains(u"Synchronization.ReadWrite.All"), qPrintable(m_fatalMessage));
        QVERIFY(!m_fatalMessage.contains(u"Group.Read.All ("));
        QCOMPARE(m_metrics->errors(QStringLiteral("permission")), 1);
    }

    void aDeletedGroupGetsItsEndsPushedOnceThenIsDropped()
    {
        makeBridge();
        QVERIFY(cycle());
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QVERIFY(cycle());
        QVERIFY(row(kReadOnly)->startPushed.isValid());
        const int watched = m_bridge->health().value(QStringLiteral("watchedGroups")).toInt();
        QCOMPARE(admin(QStringLiteral("groups/") + kReadOnly, {}, "DELETE").status, 200);
        QCOMPARE(admin(QStringLiteral("settings"), R"({"missingGroupInstances":"notFound"})").status, 200);
        m_emu->advanceClock(kSettle);
        QVERIFY(cycle());
        QCOMPARE(m_metrics->errors(QStringLiteral("group")), 1);
        QVERIFY(row(kReadOnly)->endPushed.isValid()); // Failure SourceObjectNotFound: recorded, not retried
        QVERIFY(row(kReadOnly)->lastResult.contains(u"SourceObjectNotFound"));
        QCOMPARE(m_metrics->pushes(QStringLiteral("Failure")), 1);
        QVERIFY(cycle());
        QCOMPARE(m_metrics->pushes(QStringLiteral("Failure")), 1);
        QCOMPARE(m_bridge->health().value(QStringLiteral("watchedGroups")).toInt(), watched - 1);
        QCOMPARE(m_metrics->errors(QStringLiteral("group")), 1);
    }

    void twelveMembersOfOneGroupGoInThreeCallsOfAtMostFive()
    {
        // Twelve permanent members of one group, seen for the first time by a bridge whose state is
        // not new (so they are not baseline): pushed once each, five to a call.
        QJsonObject scenario = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        QJsonArray users = scenario.value(QStringLiteral("users")).toArray();
        QJsonArray assignments;
        assignments.append(
            QJsonObject {{QStringLiteral("user"), kAlexUpn}, {QStringLiteral("group"), kReadOnly}});
        for (int i = 0; i < 11; ++i) {
            const QString upn = QStringLiteral("member%1@contoso.example").arg(i);
            users.append(
                QJsonObject {{QStringLiteral("id"),
                              QStringLiteral("00000000-1111-2222-3333-%1").arg(i, 12, 10, QLatin1Char('0'))},
                             {QStringLiteral("userPrincipalName"), upn},
                             {QStringLiteral("displayName"), QStringLiteral("Member %1").arg(i)}});
            assignments.append(
                QJsonObject {{QStringLiteral("user"), upn}, {QStringLiteral("group"), kReadOnly}});
        }
        scenario.insert(QStringLiteral("users"), users);
        scenario.insert(QStringLiteral("assignments"), assignments);
        QJsonArray apps = scenario.value(QStringLiteral("applications")).toArray();
        QJsonObject app = apps.first().toObject();
        app.insert(QStringLiteral("secret"), QString::fromUtf8(m_secret)); // the secret the config names
        apps.replace(0, app);
        scenario.insert(QStringLiteral("applications"), apps);
        QString error;
        QVERIFY2(m_emu->loadScenario(QJsonDocument(scenario).toJson(QJsonDocument::Compact), &error),
                 qPrintable(error));
        makeBridge();
        Bridge::Membership other;
        other.groupId = kPowerUser;
        other.principalId = QStringLiteral("00000000-9999-9999-9999-000000000000");
        other.firstSeen = m_emu->now();
        other.endedSeen = m_emu->now();
        other.endPushed = m_emu->now();
        QVERIFY(m_state->save(other).ok());
        QVERIFY(cycle());
        QJsonArray calls;
        for (const auto &c : m_emu->state()
                                 .value(QStringLiteral("aws"))
                                 .toObject()
                                 .value(QStringLiteral("provisionOnDemand"))
                                 .toArray())
            if (c[QStringLiteral("objectId")].toString() == kReadOnly)
                calls.append(c);
        QCOMPARE(calls.size(), 3);
        const auto pushes = events(QStringLiteral("push"));
        QCOMPARE(pushes.size(), 3);
        int members = 0;
        for (const auto &p : pushes) {
            const int n = int(p.value(QStringLiteral("members")).toArray().size());
            QVERIFY(n >= 1 && n <= 5);
            members += n;
        }
        QCOMPARE(members, 12);
        const auto rows = m_state->memberships();
        int pushed = 0;
        for (const auto &m : rows.value())
            pushed += m.groupId == kReadOnly && m.startPushed.isValid();
        QCOMPARE(pushed, 12);
        // Nothing again next cycle.
        QVERIFY(cycle());
        QCOMPARE(events(QStringLiteral("push")).size(), 3);
    }

    void permissionsAcceptEitherWayTheDocsGive()
    {
        using B = Bridge::Bridge;
        const QString read = QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup");
        const QString readWrite = QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup");
        const QString sync = QStringLiteral("Synchronization.ReadWrite.All");
        const QString owned = QStringLiteral("Application.ReadWrite.OwnedBy");
        const QString groups = QStringLiteral("Group.Read.All");
        QVERIFY(B::missingPermissions({read, sync}, false).isEmpty());
        QVERIFY(B::missingPermissions({readWrite, owned}, false).isEmpty());
        QVERIFY(B::missingPermissions({read, owned, groups}, true).isEmpty());
        QCOMPARE(B::missingPermissions({read, sync}, true).size(), 1);
        QVERIFY(B::missingPermissions({read, sync}, true).first().startsWith(groups));
        QCOMPARE(B::missingPermissions({}, false).size(), 2);
        QCOMPARE(B::missingPermissions({}, true).size(), 3);
        QVERIFY(B::missingPermissions({sync, groups}, true).first().startsWith(read));
        // Synchronization.Read.All is not enough to push.
        QCOMPARE(B::missingPermissions({read, QStringLiteral("Synchronization.Read.All")}, false).size(), 1);
    }

    void stopEndsAfterTheCallInFlight()
    {
        makeBridge();
        QSignalSpy finished(m_bridge.get(), &Bridge::Bridge::cycleFinished);
        QSignalSpy stopped(m_bridge.get(), &Bridge::Bridge::stopped);
        m_bridge->start();
        m_bridge->stop(); // while the startup's token call is in flight
        QVERIFY(QTest::qWaitFor([&] { return !stopped.isEmpty(); }, 30'000));
        QCOMPARE(stopped.size(), 1);
        QVERIFY(finished.size() <= 1);
        QCOMPARE(events(QStringLiteral("stopping")).size(), 1);
        QCOMPARE(events(QStringLiteral("stopped")).size(), 1);
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 0);

        // Started and idle between polls: stops at once.
        makeBridge();
        QSignalSpy finished2(m_bridge.get(), &Bridge::Bridge::cycleFinished);
        QSignalSpy stopped2(m_bridge.get(), &Bridge::Bridge::stopped);
        m_bridge->start();
        QVERIFY(QTest::qWaitFor([&] { return !finished2.isEmpty(); }, 30'000));
        QVERIFY(finished2.first().first().toBool());
        m_bridge->stop();
        QVERIFY(QTest::qWaitFor([&] { return !stopped2.isEmpty(); }, 10'000));
        QCOMPARE(finished2.size(), 1);
    }

    void aDryRunPushesNothing()
    {
        makeBridge({true});
        QVERIFY(cycle());
        QVERIFY(pim(QStringLiteral("selfActivate"), kReadOnly));
        QVERIFY(cycle());
        QVERIFY(m_metrics->pushes(QStringLiteral("DryRun")) >= 1);
        QCOMPARE(m_metrics->pushes(QStringLiteral("Success")), 0);
        QVERIFY(!row(kReadOnly)->startPushed.isValid());
        QVERIFY(!awsAssignments().contains(kReadOnlyRole));
        const QJsonArray calls = m_emu->state()
                                     .value(QStringLiteral("aws"))
                                     .toObject()
                                     .value(QStringLiteral("provisionOnDemand"))
                                     .toArray();
        QCOMPARE(calls.size(), 0);
        QVERIFY(events(QStringLiteral("push")).first().value(QStringLiteral("wouldPush")).toBool());
    }
};

QTEST_GUILESS_MAIN(TestBridge)
#include "tst_bridge.moc"

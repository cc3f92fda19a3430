// SPDX-License-Identifier: GPL-3.0-or-later
// The Graph calls elevate-bridge makes (issue 13): assignment schedule instances of many groups in
// $batch calls of at most 20 (next pages in later batches, throttled steps after their Retry-After,
// a missing group as that group's error), the group list, the provisioning job with its state, and
// provisionOnDemand for one group with up to five members; their parsers on canned bodies.

#include "graph/graphclient.h"
#include "graph/odata.h"
#include "net/httpclient.h"
#include "net/json.h"
#include "support/manualclock.h"

#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimeZone>
#include <QTimer>
#include <QUrlQuery>

using namespace Elevate;

namespace {
/// Answers each complete request (head and Content-Length body) with what `handler` says.
class HandlerServer : public QTcpServer
{
public:
    struct Request
    {
        QByteArray method;
        QString target; // path and query, percent-decoded
        QByteArray body;
    };
    struct Answer
    {
        int status = 200;
        QByteArray body = "{}";
        QByteArray headers = {};
    };
    std::function<Answer(const Request &)> handler;
    QList<Request> requests;

    HandlerServer()
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection())
                connect(s, &QTcpSocket::readyRead, s, [this, s] { serve(s); });
        });
    }
    QString base() const { return QStringLiteral("http://127.0.0.1:%1/v1.0").arg(serverPort()); }

private:
    void serve(QTcpSocket *s)
    {
        QByteArray buf = s->property("buf").toByteArray() + s->readAll();
        for (;;) {
            const qsizetype headEnd = buf.indexOf("\r\n\r\n");
            if (headEnd < 0)
                break;
            const QByteArray head = buf.left(headEnd);
            qsizetype length = 0;
            for (const QByteArray &line : head.split('\n'))
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            if (buf.size() < headEnd + 4 + length)
                break;
            const QList<QByteArray> first = head.left(head.indexOf('\r')).split(' ');
            Request r {first.value(0), QUrl::fromPercentEncoding(first.value(1)),
                       buf.mid(headEnd + 4, length)};
            buf.remove(0, headEnd + 4 + length);
            requests << r;
            const Answer a = handler ? handler(r) : Answer {500, "{}"};
            s->write("HTTP/1.1 " + QByteArray::number(a.status) + " X\r\nContent-Type: application/json\r\n"
                     + a.headers + "Content-Length: " + QByteArray::number(a.body.size()) + "\r\n\r\n"
                     + a.body);
        }
        s->setProperty("buf", buf);
    }
};

class FakeTokens : public Core::AccessTokenProvider
{
public:
    QStringList resources;
    void requestAccessToken(const QString &resource, QObject *context, Callback callback) override
    {
        resources << resource;
        QTimer::singleShot(0, context, [callback] { callback(QStringLiteral("app-token")); });
    }
    void invalidateAccessToken(const QString &, const QString &) override { }
};

struct Rig
{
    HandlerServer server;
    QNetworkAccessManager nam;
    Net::HttpClient http {&nam};
    FakeTokens tokens;
    Test::ManualClock clock;
    Graph::GraphClient graph {QUrl(server.base()), QStringLiteral("https://graph.microsoft.com"), &http,
                              &tokens};
    QSignalSpy sent {&graph, &Graph::GraphClient::requestSent};
    Rig() { graph.setClock(&clock); }

    QList<HandlerServer::Request> batches() const
    {
        QList<HandlerServer::Request> out;
        for (const auto &r : server.requests)
            if (r.target.endsWith(u"/$batch"))
                out << r;
        return out;
    }
};

QString groupId(int i)
{
    return QStringLiteral("00000000-0000-4000-8000-%1").arg(i, 12, 10, QLatin1Char('0'));
}

/// The group id of a step url (…$filter=groupId eq '{id}' or a next link …&g={id}).
QString stepGroup(const QString &url)
{
    const QString decoded = QUrl::fromPercentEncoding(url.toUtf8());
    const qsizetype q = decoded.indexOf(u"groupId eq '");
    if (q >= 0)
        return decoded.mid(q + 12, decoded.indexOf(u'\'', q + 12) - q - 12);
    return QUrlQuery(QUrl(decoded).query()).queryItemValue(QStringLiteral("g"));
}

Net::Json instance(const QString &group, int n, const char *type = "Activated")
{
    return {{"id", QStringLiteral("i-%1-%2").arg(group).arg(n).toStdString()},
            {"groupId", group.toStdString()},
            {"principalId", QStringLiteral("u-%1").arg(n).toStdString()},
            {"accessId", "Member"},
            {"assignmentType", type},
            {"memberType", "Direct"},
            {"startDateTime", "2026-12-04T10:00:00.1234567Z"},
            {"endDateTime", nullptr}};
}

/// Answers a $batch, each step with what `step` says (status, body object, headers object), or a
/// plain GET (a round of one step) the same way.
HandlerServer::Answer batchAnswer(const HandlerServer::Request &request,
                                  const std::function<Net::Json(const QString &id, const QString &url)> &step)
{
    if (!request.target.endsWith(u"/$batch")) {
        const Net::Json answer = step(QStringLiteral("1"), request.target.mid(5)); // without "/v1.0"
        QByteArray headers;
        if (answer.contains("headers") && answer["headers"].is_object())
            for (const auto &[name, value] : answer["headers"].items())
                headers += QByteArray::fromStdString(name) + ": "
                    + QByteArray::fromStdString(value.get<std::string>()) + "\r\n";
        return {answer["status"].get<int>(),
                QByteArray::fromStdString(answer.value("body", Net::Json::object()).dump()), headers};
    }
    const Net::Json req = Net::Json::parse(request.body.toStdString());
    Net::Json responses = Net::Json::array();
    for (const auto &r : req["requests"]) {
        Net::Json answer = step(QString::fromStdString(r["id"].get<std::string>()),
                                QString::fromStdString(r["url"].get<std::string>()));
        answer["id"] = r["id"];
        responses.push_back(answer);
    }
    // Graph answers in any order: reversed here.
    std::reverse(responses.begin(), responses.end());
    return {200, QByteArray::fromStdString(Net::Json {{"responses", responses}}.dump())};
}
} // namespace

class TestBridgeGraph : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesAssignmentPages()
    {
        const QByteArray body = R"({"@odata.context":"x","value":[
            {"id":"a","groupId":"g","principalId":"p","accessId":"MEMBER","assignmentType":"Activated",
             "startDateTime":"2026-12-04T10:00:00.1234567Z","endDateTime":"2026-12-04T18:00:00Z","extra":1},
            {"id":"b","groupId":"g","principalId":"q","assignmentType":"assigned","startDateTime":null},
            {"id":"c","groupId":"g","principalId":"r","accessId":"owner","startDateTime":"2026-12-04T10:00:00.5Z",
             "endDateTime":null}],
            "@odata.nextLink":"https://graph.microsoft.com/v1.0/next"})";
        const auto page = Graph::parseGroupAssignmentPage(body);
        if (!page.ok())
            QFAIL(qPrintable(page.error().message));
        QCOMPARE(page->items.size(), 3);
        QCOMPARE(page->nextLink, QStringLiteral("https://graph.microsoft.com/v1.0/next"));
        const auto &a = page->items.at(0);
        QCOMPARE(a.access, Core::AccessKind::Member);
        QCOMPARE(a.assignmentType, QStringLiteral("activated"));
        QCOMPARE(a.principalId, QStringLiteral("p"));
        QCOMPARE(a.start, QDateTime(QDate(2026, 12, 4), QTime(10, 0, 0, 123), Qt::UTC));
        QCOMPARE(a.end, QDateTime(QDate(2026, 12, 4), QTime(18, 0), Qt::UTC));
        QCOMPARE(page->items.at(1).access, Core::AccessKind::Member); // missing: member
        QVERIFY(!page->items.at(1).start.isValid());
        QVERIFY(!page->items.at(1).end.isValid());
        QCOMPARE(page->items.at(2).access, Core::AccessKind::Owner);
        QCOMPARE(page->items.at(2).start.time().msec(), 500);
    }

    void refusesBrokenAssignmentPages_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("not json") << QByteArray("{\"value\":[");
        QTest::newRow("no value") << QByteArray("{}");
        QTest::newRow("value not array") << QByteArray(R"({"value":{}})");
        QTest::newRow("item not object") << QByteArray(R"({"value":[1]})");
        QTest::newRow("no principal") << QByteArray(R"({"value":[{"id":"a","groupId":"g"}]})");
        QTest::newRow("no group") << QByteArray(R"({"value":[{"id":"a","principalId":"p"}]})");
        QTest::newRow("no id") << QByteArray(R"({"value":[{"groupId":"g","principalId":"p"}]})");
        QTest::newRow("id a number") << QByteArray(R"({"value":[{"id":5,"groupId":"g","principalId":"p"}]})");
    }
    void refusesBrokenAssignmentPages()
    {
        QFETCH(QByteArray, body);
        QVERIFY(!Graph::parseGroupAssignmentPage(body).ok());
    }

    void parsesSyncJobsAndOutcomes()
    {
        auto job
            = Graph::parseSyncJob(R"({"value":[{"id":"j1","schedule":{"state":"Active","interval":"PT40M"},
            "status":{"code":"Active","quarantine":null}}]})");
        QVERIFY(job.ok());
        QCOMPARE(job->id, QStringLiteral("j1"));
        QVERIFY(job->isActive());
        job = Graph::parseSyncJob(R"({"value":[{"id":"j1","schedule":{"state":"Active"},
            "status":{"code":"Quarantine","quarantine":{"reason":"TooManyDeletes"}}}]})");
        QVERIFY(job.ok());
        QCOMPARE(job->quarantineReason, QStringLiteral("TooManyDeletes"));
        QVERIFY(!job->isActive());
        job = Graph::parseSyncJob(R"({"value":[{"id":"j1","schedule":{"state":"Disabled"},"status":null}]})");
        QVERIFY(job.ok());
        QVERIFY(!job->isActive());
        QCOMPARE(Graph::parseSyncJob(R"({"value":[]})").error().serviceCode,
                 QStringLiteral("NoSynchronizationJob"));
        QVERIFY(!Graph::parseSyncJob("[").ok());

        auto o = Graph::parseProvisionOutcome(
            "{\"key\":\"{\\\"result\\\":\\\"Success\\\",\\\"details\\\":{}}\",\"value\":\"{}\"}");
        QVERIFY(o.ok());
        QCOMPARE(o->result, QStringLiteral("Success"));
        QVERIFY(o->reason.isEmpty());
        o = Graph::parseProvisionOutcome("{\"key\":\"{\\\"result\\\":\\\"Skipped\\\",\\\"details\\\":{"
                                         "\\\"reason\\\":\\\"RedundantExport\\\"}}\"}");
        QCOMPARE(o->result, QStringLiteral("RedundantExport"));
        o = Graph::parseProvisionOutcome("{\"key\":\"{\\\"result\\\":\\\"Skipped\\\",\\\"details\\\":{"
                                         "\\\"reason\\\":\\\"not in scope\\\"}}\"}");
        QCOMPARE(o->result, QStringLiteral("Skipped"));
        QCOMPARE(o->reason, QStringLiteral("not in scope"));
        o = Graph::parseProvisionOutcome(
            "{\"key\":\"{\\\"result\\\":\\\"Failure\\\",\\\"details\\\":{\\\"errorCode\\\":"
            "\\\"SourceObjectNotFound\\\",\\\"errorMessage\\\":\\\"gone\\\"}}\"}");
        QCOMPARE(o->result, QStringLiteral("Failure"));
        QCOMPARE(o->reason, QStringLiteral("SourceObjectNotFound"));
        QVERIFY(!Graph::parseProvisionOutcome("{\"key\":\"not json\"}").ok());
        QVERIFY(!Graph::parseProvisionOutcome("{\"key\":\"{\\\"details\\\":{}}\"}").ok());
        const auto odd = Graph::parseProvisionOutcome(
            "{\"key\":\"{\\\"result\\\":\\\"Success\\\",\\\"details\\\":[1]}\"}");
        QVERIFY(odd.ok()); // details of another shape: no reason
        QVERIFY(odd->reason.isEmpty());
    }

    void provisionBodyCarriesOneGroupAndItsMembers()
    {
        const auto body = Net::Json::parse(Graph::provisionBody(QStringLiteral("r#V2"), QStringLiteral("g1"),
                                                                {QStringLiteral("u1"), QStringLiteral("u2")})
                                               .toStdString());
        const auto &p = body["parameters"];
        QCOMPARE(p.size(), 1u);
        QCOMPARE(p[0]["ruleId"].get<std::string>(), std::string("r#V2"));
        QCOMPARE(p[0]["subjects"].size(), 1u);
        const auto &subject = p[0]["subjects"][0];
        QCOMPARE(subject["objectId"].get<std::string>(), std::string("g1"));
        QCOMPARE(subject["objectTypeName"].get<std::string>(), std::string("Group"));
        QCOMPARE(subject["links"]["members"].size(), 2u);
        QCOMPARE(subject["links"]["members"][1]["objectId"].get<std::string>(), std::string("u2"));
        QCOMPARE(subject["links"]["members"][1]["objectTypeName"].get<std::string>(), std::string("User"));
    }

    void readsManyGroupsInBatchesOfTwenty()
    {
        Rig rig;
        QStringList groups;
        for (int i = 0; i < 45; ++i)
            groups << groupId(i);
        groups << groupId(3); // a duplicate is asked once
        int maxSteps = 0;
        rig.server.handler = [&](const HandlerServer::Request &r) {
            return batchAnswer(r, [&](const QString &, const QString &url) {
                const QString g = stepGroup(url);
                const int n = g.right(2).toInt();
                Net::Json value = Net::Json::array();
                for (int k = 0; k < n % 3; ++k)
                    value.push_back(instance(g, k));
                return Net::Json {{"status", 200}, {"headers", {}}, {"body", {{"value", value}}}};
            });
        };
        rig.server.handler = [&, inner = rig.server.handler](const HandlerServer::Request &r) {
            const auto req = Net::Json::parse(r.body.toStdString());
            maxSteps = qMax(maxSteps, int(req["requests"].size()));
            return inner(r);
        };
        QHash<QString, Core::Result<QList<Graph::GroupAssignment>>> got;
        bool done = false;
        rig.graph.listGroupAssignments(groups, this, [&](auto r) {
            QVERIFY(r.ok());
            got = r.value();
            done = true;
        });
        QTRY_VERIFY(done);
        QCOMPARE(rig.batches().size(), 3);
        QCOMPARE(maxSteps, 20);
        QCOMPARE(rig.sent.size(), 3);
        QCOMPARE(rig.graph.requestsSent(), 3);
        QCOMPARE(got.size(), 45);
        for (int i = 0; i < 45; ++i) {
            const auto &list = got.value(groupId(i));
            QVERIFY(list.ok());
            QCOMPARE(list->size(), i % 3);
            for (const auto &a : list.value())
                QCOMPARE(a.groupId, groupId(i));
        }
        // The steps ask for each group by groupId, app-only (no filterByCurrentUser).
        QVERIFY(rig.batches().first().body.contains("assignmentScheduleInstances?$filter="));
        QVERIFY(!rig.batches().first().body.contains("filterByCurrentUser"));
    }

    void followsNextPagesThrottledStepsAndMissingGroups()
    {
        Rig rig;
        const QString paged = groupId(1), throttled = groupId(2), gone = groupId(3), denied = groupId(4);
        int throttles = 0;
        rig.server.handler = [&](const HandlerServer::Request &r) {
            return batchAnswer(r, [&](const QString &, const QString &url) -> Net::Json {
                const QString g = stepGroup(url);
                if (g == paged && !url.contains(u"skiptoken"))
                    return {{"status", 200},
                            {"body",
                             {{"value", Net::Json::array({instance(g, 1)})},
                              {"@odata.nextLink",
                               QString(rig.server.base()
                                       + QStringLiteral("/identityGovernance/privilegedAccess/group/"
                                                        "assignmentScheduleInstances?$skiptoken=2&g=")
                                       + g)
                                   .toStdString()}}}};
                if (g == paged)
                    return {{"status", 200}, {"body", {{"value", Net::Json::array({instance(g, 2)})}}}};
                if (g == throttled && throttles++ == 0)
                    return {{"status", 429},
                            {"headers", {{"Retry-After", "1"}}},
                            {"body", {{"error", {{"code", "TooManyRequests"}, {"message", "slow down"}}}}}};
                if (g == gone)
                    return {{"status", 404},
                            {"body",
                             {{"error", {{"code", "Request_ResourceNotFound"}, {"message", "no group"}}}}}};
                if (g == denied)
                    return {{"status", 403},
                            {"body",
                             {{"error",
                               {{"code", "Authorization_RequestDenied"}, {"message", "Insufficient"}}}}}};
                return {{"status", 200}, {"body", {{"value", Net::Json::array({instance(g, 7)})}}}};
            });
        };
        QSignalSpy throttleSpy(&rig.graph, &Graph::GraphClient::throttled);
        std::optional<QHash<QString, Core::Result<QList<Graph::GroupAssignment>>>> got;
        rig.graph.listGroupAssignments({paged, throttled, gone, denied}, this, [&](auto r) {
            QVERIFY(r.ok());
            got = r.value();
        });
        QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 10000);
        QCOMPARE(got->value(paged)->size(), 2);
        QCOMPARE(got->value(paged)->at(1).principalId, QStringLiteral("u-2"));
        QVERIFY(got->value(throttled).ok());
        QCOMPARE(got->value(throttled)->size(), 1);
        QCOMPARE(throttleSpy.size(), 1);
        QCOMPARE(got->value(gone).error().httpStatus, 404);
        QCOMPARE(got->value(gone).error().serviceCode, QStringLiteral("Request_ResourceNotFound"));
        QCOMPARE(got->value(denied).error().httpStatus, 403);
        // One batch with all four groups; then the next page at once and the throttled group after its
        // Retry-After, each a round of one step: a plain GET.
        QCOMPARE(rig.batches().size(), 1);
        QCOMPARE(Net::Json::parse(rig.batches().at(0).body.toStdString())["requests"].size(), 4u);
        QStringList gets;
        for (const auto &r : rig.server.requests)
            if (r.method == "GET")
                gets << r.target;
        QCOMPARE(gets.size(), 2);
        QVERIFY(gets.at(0).startsWith(
            u"/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?"));
        QCOMPARE(stepGroup(gets.at(0)), paged);
        QVERIFY(gets.at(0).contains(u"skiptoken"));
        QCOMPARE(stepGroup(gets.at(1)), throttled);
        QCOMPARE(rig.graph.requestsSent(), 3);
    }

    void aNextLinkElsewhereIsThatGroupsError()
    {
        Rig rig;
        rig.server.handler = [&](const HandlerServer::Request &r) {
            return batchAnswer(r, [&](const QString &, const QString &url) -> Net::Json {
                const QString g = stepGroup(url);
                if (g == groupId(1))
                    return {{"status", 200},
                            {"body",
                             {{"value", Net::Json::array()},
                              {"@odata.nextLink", "https://evil.example/v1.0/x"}}}};
                if (g == groupId(2))
                    return {{"status", 200}, {"body", {{"value", 5}}}};
                return {{"status", 200}, {"body", {{"value", Net::Json::array({instance(g, 1)})}}}};
            });
        };
        std::optional<QHash<QString, Core::Result<QList<Graph::GroupAssignment>>>> got;
        rig.graph.listGroupAssignments({groupId(1), groupId(2), groupId(3)}, this, [&](auto r) {
            QVERIFY(r.ok());
            got = r.value();
        });
        QTRY_VERIFY(got.has_value());
        QCOMPARE(got->value(groupId(1)).error().kind, Core::Error::Kind::Security);
        QCOMPARE(got->value(groupId(2)).error().kind, Core::Error::Kind::Parse);
        QCOMPARE(got->value(groupId(3))->size(), 1);
        QCOMPARE(rig.batches().size(), 1);
    }

    void aFailedBatchCallFailsTheWholeRead_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("500") << 500
                             << QByteArray(R"({"error":{"code":"InternalServerError","message":"x"}})");
        QTest::newRow("403") << 403 << QByteArray(R"({"error":{"code":"Forbidden","message":"x"}})");
        QTest::newRow("no responses") << 200 << QByteArray(R"({"value":[]})");
        QTest::newRow("not json") << 200 << QByteArray("<html>");
    }
    void aFailedBatchCallFailsTheWholeRead()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        Rig rig;
        rig.server.handler = [&](const HandlerServer::Request &) {
            return HandlerServer::Answer {status, body};
        };
        std::optional<Core::Result<QHash<QString, Core::Result<QList<Graph::GroupAssignment>>>>> got;
        rig.graph.listGroupAssignments({groupId(1), groupId(2)}, this, [&](auto r) { got = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 20000);
        QVERIFY(!got->ok());
    }

    void listsAllGroupPages()
    {
        Rig rig;
        rig.server.handler = [&](const HandlerServer::Request &r) -> HandlerServer::Answer {
            if (!r.target.contains(u"skiptoken"))
                return {
                    200,
                    QByteArray(
                        "{\"value\":[{\"id\":\"g1\",\"displayName\":\"AWS-1-Admin\"}],\"@odata.nextLink\":\"")
                        + rig.server.base().toUtf8() + QByteArray("/groups?$skiptoken=2\"}")};
            return {200, R"({"value":[{"id":"g2","displayName":"AWS-2-Read"},{"id":"g3"}]})"};
        };
        std::optional<Core::Result<QList<Graph::GroupInfo>>> got;
        rig.graph.listGroups(QStringLiteral("startswith(displayName,'AWS-')"), this,
                             [&](auto r) { got = std::move(r); });
        QTRY_VERIFY(got.has_value());
        QVERIFY(got->ok());
        QCOMPARE(got->value().size(), 3);
        QCOMPARE(got->value().at(1).displayName, QStringLiteral("AWS-2-Read"));
        const QString first = rig.server.requests.first().target;
        QVERIFY2(first.startsWith(u"/v1.0/groups?"), qPrintable(first));
        QVERIFY(first.contains(u"$select=id,displayName"));
        QVERIFY(first.contains(u"$top=999"));
        QVERIFY(first.contains(u"$filter=startswith(displayName,'AWS-')"));
        QCOMPARE(rig.graph.requestsSent(), 2);
    }

    void findsTheJobAndProvisionsUpToFiveMembers()
    {
        Rig rig;
        QString jobState = QStringLiteral("Active");
        QList<QByteArray> posts;
        rig.server.handler = [&](const HandlerServer::Request &r) -> HandlerServer::Answer {
            if (r.target.endsWith(u"/synchronization/jobs"))
                return {200,
                        QByteArray("{\"value\":[{\"id\":\"job1\",\"schedule\":{\"state\":\"")
                            + jobState.toUtf8() + QByteArray("\"},\"status\":{\"code\":\"Active\"}}]}")};
            if (r.target.endsWith(u"/jobs/job1/schema"))
                return {200,
                        "{\"synchronizationRules\":[{\"id\":\"rule#V2\",\"sourceDirectoryName\":\"Azure "
                        "Active Directory\"}]}"};
            if (r.target.endsWith(u"/jobs/job1/provisionOnDemand")) {
                posts << r.body;
                return {200,
                        "{\"key\":\"{\\\"result\\\":\\\"Success\\\",\\\"details\\\":{}}\",\"value\":\"{}\"}"};
            }
            return {404, R"({"error":{"code":"NotFound","message":"x"}})"};
        };
        std::optional<Core::Result<Graph::SyncJob>> job;
        rig.graph.getSyncJob(QStringLiteral("sp1"), this, [&](auto r) { job = std::move(r); });
        QTRY_VERIFY(job.has_value());
        QVERIFY(job->ok());
        QCOMPARE(job->value().ruleId, QStringLiteral("rule#V2"));
        QVERIFY(job->value().isActive());
        // Read again: the state is fresh, the rule cached (no second schema read).
        jobState = QStringLiteral("Paused");
        job.reset();
        rig.graph.getSyncJob(QStringLiteral("sp1"), this, [&](auto r) { job = std::move(r); });
        QTRY_VERIFY(job.has_value());
        QVERIFY(!job->value().isActive());
        QCOMPARE(job->value().ruleId, QStringLiteral("rule#V2"));
        QCOMPARE(rig.server.requests.size(), 3);

        const QStringList five {QStringLiteral("u1"), QStringLiteral("u2"), QStringLiteral("u3"),
                                QStringLiteral("u4"), QStringLiteral("u5")};
        std::optional<Core::Result<Graph::ProvisionOutcome>> outcome;
        rig.graph.provisionMembers(QStringLiteral("sp1"), QStringLiteral("g1"), five, this,
                                   [&](auto r) { outcome = std::move(r); });
        QTRY_VERIFY(outcome.has_value());
        QVERIFY(outcome->ok());
        QCOMPARE(outcome->value().result, QStringLiteral("Success"));
        QCOMPARE(posts.size(), 1);
        const auto body = Net::Json::parse(posts.first().toStdString());
        QCOMPARE(body["parameters"][0]["ruleId"].get<std::string>(), std::string("rule#V2"));
        QCOMPARE(body["parameters"][0]["subjects"][0]["links"]["members"].size(), 5u);
        // The bridge's own token (its .default resource), not the app's incremental-consent one.
        QVERIFY(!rig.tokens.resources.contains(u"https://graph.microsoft.com/Synchronization.ReadWrite.All"));
        QCOMPARE(rig.graph.requestsSent(), 4);

        // Six members, or none, are refused before anything is sent.
        for (const QStringList &members : {five + QStringList {QStringLiteral("u6")}, QStringList {}}) {
            outcome.reset();
            rig.graph.provisionMembers(QStringLiteral("sp1"), QStringLiteral("g1"), members, this,
                                       [&](auto r) { outcome = std::move(r); });
            QTRY_VERIFY(outcome.has_value());
            QVERIFY(!outcome->ok());
        }
        QCOMPARE(posts.size(), 1);
        QCOMPARE(rig.graph.requestsSent(), 4);
    }

    void aMissingJobIsNotFound()
    {
        Rig rig;
        rig.server.handler = [&](const HandlerServer::Request &) -> HandlerServer::Answer {
            return {200, R"({"value":[]})"};
        };
        std::optional<Core::Result<Graph::SyncJob>> job;
        rig.graph.getSyncJob(QStringLiteral("sp1"), this, [&](auto r) { job = std::move(r); });
        QTRY_VERIFY(job.has_value());
        QVERIFY(!job->ok());
        QCOMPARE(job->error().httpStatus, 404);
        QCOMPARE(job->error().serviceCode, QStringLiteral("NoSynchronizationJob"));
    }

    void aThrottledProvisionWaitsForRetryAfter()
    {
        Rig rig;
        int posts = 0;
        rig.server.handler = [&](const HandlerServer::Request &r) -> HandlerServer::Answer {
            if (r.target.endsWith(u"/synchronization/jobs"))
                return {
                    200,
                    R"({"value":[{"id":"job1","schedule":{"state":"Active"},"status":{"code":"Active"}}]})"};
            if (r.target.endsWith(u"/schema"))
                return {200, R"({"synchronizationRules":[{"id":"rule1"}]})"};
            if (posts++ == 0)
                return {429, R"({"error":{"code":"TooManyRequests","message":"5 in 10 s"}})",
                        "Retry-After: 1\r\n"};
            return {200,
                    "{\"key\":\"{\\\"result\\\":\\\"Skipped\\\",\\\"details\\\":{\\\"skipReason\\\":"
                    "\\\"RedundantExport\\\"}}\"}"};
        };
        QSignalSpy throttled(&rig.graph, &Graph::GraphClient::throttled);
        std::optional<Core::Result<Graph::ProvisionOutcome>> outcome;
        rig.graph.provisionMembers(QStringLiteral("sp1"), QStringLiteral("g1"), {QStringLiteral("u1")}, this,
                                   [&](auto r) { outcome = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(outcome.has_value(), 10000);
        QVERIFY(outcome->ok());
        QCOMPARE(outcome->value().result, QStringLiteral("RedundantExport"));
        QCOMPARE(posts, 2);
        QCOMPARE(throttled.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestBridgeGraph)
#include "tst_bridgegraph.moc"

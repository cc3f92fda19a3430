// SPDX-License-Identifier: GPL-3.0-or-later
// GraphClient against a scripted loopback server: token invalidation on 401, Retry-After on 429
// (in full, on the injected clock, within the call's budget), paging that must stay on the service's
// host and ends only on the last page or a loop, decisions on stages that are still opening.

#include "graph/graphclient.h"
#include "net/httpclient.h"
#include "support/manualclock.h"

#include <QLocale>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

using namespace Elevate;

namespace {
/// Answers each request with the next scripted (status, headers, body).
class ScriptedServer : public QTcpServer
{
public:
    struct Answer
    {
        int status;
        QByteArray headers;
        QByteArray body;
    };
    QList<Answer> script;
    QList<QByteArray> requests;
    ScriptedServer()
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    QByteArray buf = s->property("buf").toByteArray() + s->readAll();
                    while (buf.contains("\r\n\r\n")) {
                        const qsizetype end = buf.indexOf("\r\n\r\n") + 4;
                        requests << buf.left(end);
                        buf.remove(0, end);
                        const Answer a = script.isEmpty() ? Answer {500, {}, "{}"} : script.takeFirst();
                        s->write("HTTP/1.1 " + QByteArray::number(a.status)
                                 + " X\r\nContent-Type: application/json\r\n" + a.headers + "Content-Length: "
                                 + QByteArray::number(a.body.size()) + "\r\n\r\n" + a.body);
                    }
                    s->setProperty("buf", buf);
                });
            }
        });
    }
    QString base() const { return QStringLiteral("http://127.0.0.1:%1/v1.0").arg(serverPort()); }
};

class FakeTokens : public Core::AccessTokenProvider
{
public:
    int issued = 0;
    QStringList invalidated;
    void requestAccessToken(const QString &, QObject *context, Callback callback) override
    {
        const QString token = QStringLiteral("token-%1").arg(++issued);
        QTimer::singleShot(0, context, [callback, token] { callback(token); });
    }
    void invalidateAccessToken(const QString &, const QString &token) override { invalidated << token; }
};

const QByteArray kThrottled
    = "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"Please retry again later.\"}}";

QByteArray retryAfter(const QByteArray &value)
{
    return "Retry-After: " + value + "\r\n";
}

/// A GraphClient on a scripted server and a manual clock.
struct Rig
{
    ScriptedServer server;
    QNetworkAccessManager nam;
    Net::HttpClient http {&nam};
    FakeTokens tokens;
    Test::ManualClock clock;
    Graph::GraphClient graph {QUrl(server.base()), QStringLiteral("https://graph.microsoft.com"), &http,
                              &tokens};
    QSignalSpy throttled {&graph, &Graph::GraphClient::throttled};
    Rig() { graph.setClock(&clock); }
    QDateTime retryAt(qsizetype i) const { return throttled.at(i).at(0).toDateTime(); }
};

QByteArray page(const QString &next, const QByteArray &id)
{
    QByteArray body = "{\"value\":[{\"id\":\"" + id + "\",\"groupId\":\"g-" + id
        + "\",\"accessId\":\"member\",\"group\":{\"id\":\"g-" + id + "\",\"displayName\":\"G\"}}]";
    if (!next.isEmpty())
        body += ",\"@odata.nextLink\":\"" + next.toUtf8() + "\"";
    return body + "}";
}
QByteArray approval(const char *status, const char *review)
{
    return QByteArray("{\"id\":\"a1\",\"stages\":[{\"id\":\"s1\",\"status\":\"") + status
        + "\",\"reviewResult\":\"" + review + "\",\"assignedToMe\":true,\"reviewedBy\":null}]}";
}
} // namespace

class TestGraphClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void unauthorizedInvalidatesAndRetriesOnce()
    {
        ScriptedServer server;
        server.script
            = {{401, {}, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"expired\"}}"},
               {200, {}, "{\"id\":\"u1\",\"displayName\":\"Alex\",\"userPrincipalName\":\"a@b\"}"}};
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        FakeTokens tokens;
        Graph::GraphClient graph(QUrl(server.base()), QStringLiteral("https://graph.microsoft.com"), &http,
                                 &tokens);
        std::optional<Core::Result<Graph::GraphUser>> me;
        graph.getMe(this, [&](Core::Result<Graph::GraphUser> r) { me = r; });
        QTRY_VERIFY(me.has_value());
        QVERIFY(me->ok());
        QCOMPARE(me->value().id, QStringLiteral("u1"));
        QCOMPARE(tokens.invalidated, QStringList {QStringLiteral("token-1")});
        QCOMPARE(server.requests.size(), 2);
        QVERIFY(server.requests.at(1).contains("Authorization: Bearer token-2"));
        QVERIFY(
            server.requests.at(0).startsWith("GET /v1.0/me?$select=id,displayName,userPrincipalName,mail "));

        // A second 401 in a row is an error, not a loop.
        server.script
            = {{401, {}, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}"},
               {401, {}, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"no\"}}"}};
        me.reset();
        graph.getMe(this, [&](Core::Result<Graph::GraphUser> r) { me = r; });
        QTRY_VERIFY(me.has_value());
        QCOMPARE(me->error().httpStatus, 401);
        QCOMPARE(me->error().serviceCode, QStringLiteral("InvalidAuthenticationToken"));
    }

    void throttlingHonoursRetryAfter()
    {
        ScriptedServer server;
        server.script = {
            {429, "Retry-After: 0.2\r\n", "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow\"}}"},
            {200, {}, page({}, "e1")}};
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        FakeTokens tokens;
        Graph::GraphClient graph(QUrl(server.base()), QStringLiteral("https://graph.microsoft.com"), &http,
                                 &tokens);
        QSignalSpy throttled(&graph, &Graph::GraphClient::throttled);
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
        QCOMPARE(list->value().size(), 1);
        QCOMPARE(server.requests.size(), 2);
        QCOMPARE(throttled.size(), 1);
        QCOMPARE(throttled.first().at(1).toString(), QStringLiteral("Microsoft Graph"));
        QVERIFY(server.requests.first().contains("filterByCurrentUser(on='principal')?$expand=group("));
    }

    void longRetryAfterIsHonouredInFull()
    {
        Rig rig;
        rig.server.script = {{429, retryAfter("120"), kThrottled}, {200, {}, page({}, "e1")}};
        const QDateTime sent = rig.clock.now();
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_COMPARE(rig.throttled.size(), 1);
        QCOMPARE(rig.retryAt(0), sent.addSecs(120)); // not cut to a cap
        // A second before the time: the wait, which looks at the clock every second, still holds.
        rig.clock.advance(119);
        QTest::qWait(1500);
        QCOMPARE(rig.server.requests.size(), 1);
        QVERIFY(!list.has_value());
        rig.clock.advance(1);
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
        QCOMPARE(rig.server.requests.size(), 2);
        QCOMPARE(rig.throttled.size(), 1);
    }

    void retryAfterAsHttpDate()
    {
        Rig rig;
        const QDateTime at = rig.clock.now().addSecs(300);
        const QByteArray date
            = QLocale::c().toString(at, QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'")).toLatin1();
        rig.server.script = {{503, retryAfter(date), "{}"}, {200, {}, page({}, "e1")}};
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_COMPARE(rig.throttled.size(), 1);
        QCOMPARE(rig.retryAt(0), at); // read against the injected clock, not the system's
        rig.clock.advance(300);
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
    }

    void fractionalRetryAfterAndBackoff()
    {
        Rig rig;
        // 2.128 s as documented; then no header at all: back off 2 s, then 4 s.
        rig.server.script = {{429, retryAfter("2.128"), kThrottled},
                             {429, {}, kThrottled},
                             {503, {}, "{}"},
                             {200, {}, page({}, "e1")}};
        const QDateTime sent = rig.clock.now();
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_COMPARE(rig.throttled.size(), 1);
        QCOMPARE(rig.retryAt(0), sent.addMSecs(2128));
        rig.clock.advance(3);
        QTRY_COMPARE(rig.throttled.size(), 2);
        QCOMPARE(rig.retryAt(1), sent.addSecs(3 + 4));
        rig.clock.advance(4);
        QTRY_COMPARE(rig.throttled.size(), 3);
        QCOMPARE(rig.retryAt(2), sent.addSecs(3 + 4 + 8));
        rig.clock.advance(8);
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
        QCOMPARE(rig.server.requests.size(), 4);
    }

    void manyWaitsEachAnnouncedOnce()
    {
        // More throttled answers than any small count of tries: still honoured, one signal per wait.
        Rig rig;
        for (int i = 0; i < 6; ++i)
            rig.server.script << ScriptedServer::Answer {429, retryAfter("30"), kThrottled};
        rig.server.script << ScriptedServer::Answer {200, {}, page({}, "e1")};
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        for (int i = 0; i < 6; ++i) {
            QTRY_COMPARE(rig.throttled.size(), i + 1);
            QCOMPARE(rig.retryAt(i), rig.clock.now().addSecs(30));
            QCOMPARE(rig.server.requests.size(), i + 1);
            rig.clock.advance(30);
        }
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
        QCOMPARE(rig.throttled.size(), 6);
        QCOMPARE(rig.server.requests.size(), 7);
    }

    void budgetExhaustedAnswersWithTheThrottledResponse()
    {
        Rig rig;
        // 10 min waited; 6 more would pass the 15-minute budget: the 429 is the answer, at once.
        rig.server.script = {{429, retryAfter("600"), kThrottled}, {429, retryAfter("360"), kThrottled}};
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_COMPARE(rig.throttled.size(), 1);
        rig.clock.advance(600);
        QTRY_VERIFY(list.has_value());
        QVERIFY(!list->ok());
        QCOMPARE(list->error().httpStatus, 429);
        QCOMPARE(list->error().serviceCode, QStringLiteral("TooManyRequests"));
        QCOMPARE(rig.throttled.size(), 1); // the wait that was not going to happen was not announced
        QCOMPARE(rig.server.requests.size(), 2);

        // A single Retry-After beyond the budget: no wait at all.
        rig.server.script = {{429, retryAfter("3600"), kThrottled}};
        list.reset();
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QCOMPARE(list->error().httpStatus, 429);
        QCOMPARE(rig.throttled.size(), 1);

        // Nonsense in the header: backoff, not an error.
        rig.server.script = {{429, retryAfter("soon"), kThrottled}, {200, {}, page({}, "e1")}};
        list.reset();
        const QDateTime sent = rig.clock.now();
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_COMPARE(rig.throttled.size(), 2);
        QCOMPARE(rig.retryAt(1), sent.addSecs(2));
        rig.clock.advance(2);
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
    }

    void writesAreRetriedOnlyOn429()
    {
        Rig rig;
        rig.server.script = {{429, retryAfter("5"), kThrottled}, {204, {}, {}}};
        std::optional<Core::Result<void>> cancelled;
        rig.graph.cancelRequest(QStringLiteral("r1"), this, [&](Core::Result<void> r) { cancelled = r; });
        QTRY_COMPARE(rig.throttled.size(), 1);
        rig.clock.advance(5);
        QTRY_VERIFY(cancelled.has_value());
        QVERIFY(cancelled->ok());
        QCOMPARE(rig.server.requests.size(), 2);
        QVERIFY(rig.server.requests.at(1).startsWith("POST /v1.0/identityGovernance/"));

        // A 503 on a write may or may not have been carried out: not retried here.
        rig.server.script = {{503, retryAfter("1"), "{}"}};
        cancelled.reset();
        rig.graph.cancelRequest(QStringLiteral("r1"), this, [&](Core::Result<void> r) { cancelled = r; });
        QTRY_VERIFY(cancelled.has_value());
        QCOMPARE(cancelled->error().httpStatus, 503);
        QCOMPARE(rig.throttled.size(), 1);
        QCOMPARE(rig.server.requests.size(), 3);
    }

    void pagingFollowsNextLinkOnSameHostOnly()
    {
        ScriptedServer server;
        const QString next = server.base() + QStringLiteral("/identityGovernance/x?$skiptoken=2");
        server.script = {{200, {}, page(next, "e1")}, {200, {}, page({}, "e2")}};
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        FakeTokens tokens;
        Graph::GraphClient graph(QUrl(server.base()), QStringLiteral("https://graph.microsoft.com"), &http,
                                 &tokens);
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
        QCOMPARE(list->value().size(), 2);
        QVERIFY(server.requests.at(1).startsWith("GET /v1.0/identityGovernance/x?$skiptoken=2 "));

        server.script
            = {{200, {}, page(QStringLiteral("https://evil.example/v1.0/steal?$skiptoken=1"), "e1")}};
        list.reset();
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QCOMPARE(list->error().kind, Core::Error::Kind::Security);

        // A link that repeats itself is not followed forever.
        const QString loop = server.base() + QStringLiteral("/identityGovernance/loop");
        server.script = {{200, {}, page(loop, "e1")}, {200, {}, page(loop, "e2")}};
        list.reset();
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QCOMPARE(list->error().kind, Core::Error::Kind::Parse);

        // A link that comes back after others is a loop too.
        const QString a = server.base() + QStringLiteral("/identityGovernance/a");
        const QString b = server.base() + QStringLiteral("/identityGovernance/b");
        server.script = {{200, {}, page(a, "e1")}, {200, {}, page(b, "e2")}, {200, {}, page(a, "e3")}};
        list.reset();
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QCOMPARE(list->error().kind, Core::Error::Kind::Parse);
        QVERIFY(server.script.isEmpty());
    }

    void pagingHasNoPageCap()
    {
        // 1,000 eligibilities at page size 3: 334 pages, far past any page count a cap would allow.
        Rig rig;
        constexpr int kTotal = 1000;
        for (int first = 0; first < kTotal; first += 3) {
            QByteArray body = "{\"value\":[";
            for (int i = first; i < qMin(first + 3, kTotal); ++i)
                body += (i == first ? "" : ",") + QByteArray("{\"id\":\"e") + QByteArray::number(i)
                    + "\",\"groupId\":\"g" + QByteArray::number(i)
                    + "\",\"accessId\":\"member\",\"group\":{\"displayName\":\"G\"}}";
            body += "]";
            if (first + 3 < kTotal)
                body += ",\"@odata.nextLink\":\"" + rig.server.base().toUtf8()
                    + "/identityGovernance/next?$skiptoken=" + QByteArray::number(first + 3) + "\"";
            rig.server.script << ScriptedServer::Answer {200, {}, body + "}"};
        }
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        rig.graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY_WITH_TIMEOUT(list.has_value(), 60'000);
        QVERIFY2(list->ok(), qPrintable(list->ok() ? QString() : list->error().message));
        QCOMPARE(list->value().size(), kTotal);
        QCOMPARE(list->value().first().id, QStringLiteral("e0"));
        QCOMPARE(list->value().last().id, QStringLiteral("e999"));
        QCOMPARE(rig.server.requests.size(), 334);
    }

    void decisionWaitsForAStageThatIsOpening()
    {
        Rig rig;
        rig.graph.setStageRereadDelayMs(10);
        const QByteArray opening = approval("Initializing", "NotReviewed");
        rig.server.script = {{200, {}, opening},
                             {200, {}, opening},
                             {200, {}, approval("InProgress", "NotReviewed")},
                             {204, {}, {}},
                             {200, {}, approval("Completed", "Approved")}};
        std::optional<Core::Result<Core::Approval>> decided;
        rig.graph.decide(QStringLiteral("a1"), true, QStringLiteral("ok"), this,
                         [&](Core::Result<Core::Approval> r) { decided = r; });
        QTRY_VERIFY(decided.has_value());
        QVERIFY2(decided->ok(), qPrintable(decided->ok() ? QString() : decided->error().serviceCode));
        QCOMPARE(decided->value().decidedStage()->reviewResult, QStringLiteral("Approved"));
        QCOMPARE(rig.server.requests.size(), 5);
        QVERIFY(rig.server.requests.at(3).startsWith("PATCH /v1.0/identityGovernance/privilegedAccess/group/"
                                                     "assignmentApprovals/a1/stages/s1 "));
    }

    void decisionOnAStageThatStaysOpeningIsNotReady()
    {
        Rig rig;
        rig.graph.setStageRereadDelayMs(10);
        for (int i = 0; i < 20; ++i)
            rig.server.script << ScriptedServer::Answer {200, {}, approval("NotStarted", "NotReviewed")};
        std::optional<Core::Result<Core::Approval>> decided;
        rig.graph.decide(QStringLiteral("a1"), false, QStringLiteral("no"), this,
                         [&](Core::Result<Core::Approval> r) { decided = r; });
        QTRY_VERIFY(decided.has_value());
        QVERIFY(!decided->ok());
        QCOMPARE(decided->error().serviceCode, QStringLiteral("StageNotReady")); // not AlreadyDecided
        QVERIFY(rig.server.requests.size() > 1); // read again before answering
        QVERIFY(rig.server.requests.size() < 20); // and bounded
        for (const auto &request : rig.server.requests)
            QVERIFY(request.startsWith("GET ")); // nothing was decided

        // A stage that was decided stays "already decided".
        rig.server.script = {{200, {}, approval("Completed", "Denied")}};
        decided.reset();
        rig.graph.decide(QStringLiteral("a1"), true, QStringLiteral("ok"), this,
                         [&](Core::Result<Core::Approval> r) { decided = r; });
        QTRY_VERIFY(decided.has_value());
        QCOMPARE(decided->error().serviceCode, QStringLiteral("AlreadyDecided"));
    }
};

QTEST_GUILESS_MAIN(TestGraphClient)
#include "tst_graphclient.moc"

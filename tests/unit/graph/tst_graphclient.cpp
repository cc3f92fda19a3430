// SPDX-License-Identifier: GPL-3.0-or-later
// GraphClient against a scripted loopback server: token invalidation on 401, Retry-After on 429,
// paging that must stay on the service's host.

#include "graph/graphclient.h"
#include "net/httpclient.h"

#include <QNetworkAccessManager>
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

QByteArray page(const QString &next, const QByteArray &id)
{
    QByteArray body
        = "{\"value\":[{\"id\":\"" + id + "\",\"groupId\":\"g-" + id + "\",\"accessId\":\"member\"}]";
    if (!next.isEmpty())
        body += ",\"@odata.nextLink\":\"" + next.toUtf8() + "\"";
    return body + "}";
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
        QElapsedTimer timer;
        timer.start();
        std::optional<Core::Result<QList<Core::Eligibility>>> list;
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { list = r; });
        QTRY_VERIFY(list.has_value());
        QVERIFY(list->ok());
        QCOMPARE(list->value().size(), 1);
        QVERIFY(timer.elapsed() >= 180);
        QVERIFY(server.requests.first().contains("filterByCurrentUser(on='principal')?$expand=group("));
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
    }
};

QTEST_GUILESS_MAIN(TestGraphClient)
#include "tst_graphclient.moc"

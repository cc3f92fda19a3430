// SPDX-License-Identifier: GPL-3.0-or-later
#include "net/httpclient.h"
#include "net/json.h"

#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <limits>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
/// A loopback server that answers every request with one canned raw HTTP response (or not at all).
class CannedServer : public QTcpServer
{
public:
    QByteArray response;
    QByteArray lastRequest;
    bool silent = false;
    CannedServer()
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            QTcpSocket *s = nextPendingConnection();
            connect(s, &QTcpSocket::readyRead, s, [this, s] {
                lastRequest += s->readAll();
                if (!silent && lastRequest.contains("\r\n\r\n")) {
                    s->write(response);
                    s->disconnectFromHost();
                }
            });
        });
    }
    QUrl url(const QString &path = u"/x"_s) const
    {
        return QUrl(u"http://127.0.0.1:%1%2"_s.arg(serverPort()).arg(path));
    }
};

Net::HttpResponse run(Net::HttpClient &client, const Net::HttpRequest &req)
{
    QSignalSpy spy(client.send(req), &Net::HttpJob::finished);
    if (!spy.wait(10'000))
        return {};
    return spy.first().first().value<Net::HttpResponse>();
}
} // namespace

Q_DECLARE_METATYPE(Elevate::Net::HttpResponse)

class TestHttpClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<Net::HttpResponse>(); }

    void refusesPlainHttpToOtherHosts()
    {
        QNetworkAccessManager nam;
        Net::HttpClient client(&nam);
        const auto r = run(client, Net::HttpRequest::get(QUrl(u"http://example.com/token"_s)));
        QCOMPARE(r.transportError.kind, Core::Error::Kind::Security);
        QVERIFY(!r.hasStatus());
    }

    void errorStatusKeepsBodyAndHeaders()
    {
        CannedServer server;
        server.response = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nRetry-After: 2.5\r\n"
                          "Content-Length: 26\r\nConnection: close\r\n\r\n{\"error\":\"invalid_grant\"}\n";
        QNetworkAccessManager nam;
        Net::HttpClient client(&nam);
        auto req = Net::HttpRequest::postForm(server.url(), {{u"a b"_s, u"x+y&z"_s}});
        const auto r = run(client, req);
        QVERIFY(r.hasStatus());
        QCOMPARE(r.status, 400);
        QVERIFY(!r.isSuccess());
        QCOMPARE(r.header("retry-after"), QByteArray("2.5"));
        QVERIFY(r.body.startsWith("{\"error\""));
        QVERIFY(server.lastRequest.startsWith("POST /x "));
        QVERIFY(server.lastRequest.endsWith("a%20b=x%2By%26z"));
        QCOMPARE(r.genericError().httpStatus, 400);
    }

    void redirectsAreNotFollowed()
    {
        CannedServer server;
        server.response
            = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\nContent-Length: 0\r\n"
              "Connection: close\r\n\r\n";
        QNetworkAccessManager nam;
        Net::HttpClient client(&nam);
        const auto r = run(client, Net::HttpRequest::get(server.url()));
        QCOMPARE(r.status, 302);
    }

    void timeoutIsReported()
    {
        CannedServer server;
        server.silent = true;
        QNetworkAccessManager nam;
        Net::HttpClient client(&nam);
        auto req = Net::HttpRequest::get(server.url());
        req.timeoutMs = 300;
        const auto r = run(client, req);
        QCOMPARE(r.transportError.kind, Core::Error::Kind::Timeout);
    }

    void connectionRefused()
    {
        QNetworkAccessManager nam;
        Net::HttpClient client(&nam);
        const auto r = run(client, Net::HttpRequest::get(QUrl(u"http://127.0.0.1:9/"_s)));
        QCOMPARE(r.transportError.kind, Core::Error::Kind::Network);
        QVERIFY(r.transportError.message.contains(u"127.0.0.1"_s));
    }

    void callbackNotCalledAfterContextDies()
    {
        CannedServer server;
        server.response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        QNetworkAccessManager nam;
        Net::HttpClient client(&nam);
        int calls = 0;
        auto *context = new QObject;
        client.send(Net::HttpRequest::get(server.url()), context,
                    [&calls](const Net::HttpResponse &) { ++calls; });
        delete context;
        QTest::qWait(300);
        QCOMPARE(calls, 0);
        QObject alive;
        client.send(Net::HttpRequest::get(server.url()), &alive,
                    [&calls](const Net::HttpResponse &) { ++calls; });
        QTRY_COMPARE(calls, 1);
    }

    void jsonParsing()
    {
        QVERIFY(Net::parseJson("{\"a\":1}").ok());
        const auto truncated = Net::parseJson("{\"a\":");
        QVERIFY(!truncated.ok());
        QCOMPARE(truncated.error().kind, Core::Error::Kind::Parse);
        QVERIFY(!Net::parseJson("<html>").ok());
        QVERIFY(!Net::parseJson({}).ok());
        const auto j = Net::parseJson("{\"n\":\"4726\",\"m\":4726,\"s\":null,\"x\":\"y\"}").value();
        QCOMPARE(Net::jsonInt(j, "n"), std::optional<qint64>(4726));
        QCOMPARE(Net::jsonInt(j, "m"), std::optional<qint64>(4726));
        QCOMPARE(Net::jsonInt(j, "s"), std::nullopt);
        QCOMPARE(Net::jsonString(j, "s"), QString());
        QCOMPARE(Net::jsonString(j, "missing"), QString());
        QCOMPARE(Net::jsonString(j, "x"), u"y"_s);
    }
    // Found by fuzz_idc (issue 12): a float beyond the range of qint64 was converted anyway, which is
    // undefined, and an unsigned above 2^63-1 wrapped to a negative number. Neither is an integer.
    void jsonIntOutOfRange()
    {
        const auto j = Net::parseJson(R"({"big":1e300,"neg":-1e300,"u":18446744073709551615,)"
                                      R"("max":9223372036854775807,"min":-9223372036854775808,)"
                                      R"("f":4726.9,"two63":9223372036854775808.0,"s":"1e300"})")
                           .value();
        QCOMPARE(Net::jsonInt(j, "big"), std::nullopt);
        QCOMPARE(Net::jsonInt(j, "neg"), std::nullopt);
        QCOMPARE(Net::jsonInt(j, "u"), std::nullopt);
        QCOMPARE(Net::jsonInt(j, "two63"), std::nullopt);
        QCOMPARE(Net::jsonInt(j, "s"), std::nullopt);
        QCOMPARE(Net::jsonInt(j, "max"), std::optional<qint64>(std::numeric_limits<qint64>::max()));
        QCOMPARE(Net::jsonInt(j, "min"), std::optional<qint64>(std::numeric_limits<qint64>::min()));
        QCOMPARE(Net::jsonInt(j, "f"), std::optional<qint64>(4726));
    }

    void retryAfter()
    {
        const QDateTime now(QDate(2015, 10, 21), QTime(7, 28), Qt::UTC);
        QCOMPARE(Net::parseRetryAfterMs("2.128", now), std::optional<qint64>(2128));
        QCOMPARE(Net::parseRetryAfterMs("30", now), std::optional<qint64>(30'000));
        QCOMPARE(Net::parseRetryAfterMs("Wed, 21 Oct 2015 07:28:10 GMT", now), std::optional<qint64>(10'000));
        QCOMPARE(Net::parseRetryAfterMs("Wed, 21 Oct 2015 07:27:00 GMT", now), std::optional<qint64>(0));
        QCOMPARE(Net::parseRetryAfterMs("99999", now, 60'000), std::optional<qint64>(60'000));
        QCOMPARE(Net::parseRetryAfterMs("-1", now), std::nullopt);
        QCOMPARE(Net::parseRetryAfterMs("soon", now), std::nullopt);
        QCOMPARE(Net::parseRetryAfterMs("", now), std::nullopt);
    }
};

QTEST_GUILESS_MAIN(TestHttpClient)
#include "tst_httpclient.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// /healthz and /metrics over real HTTP (QNetworkAccessManager to a real socket): 200 and 503 with
// the health object, the metrics text with its content type, 404 and 405, what "host:port" accepts,
// a port of 0, a taken port refused by number, and no request body in any log.

#include "app/bridge/healthserver.h"
#include "app/bridge/metrics.h"

#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;

namespace {

struct Answer
{
    int status = 0;
    QByteArray contentType;
    QByteArray allow;
    QByteArray body;
    bool finished = false;
};

/// One request; waits for its end (the guard only keeps a broken server from hanging the run).
Answer request(const QByteArray &method, const QUrl &url, const QByteArray &body = {})
{
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkRequest req(url);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    QNetworkReply *reply
        = body.isEmpty() ? nam.sendCustomRequest(req, method) : nam.sendCustomRequest(req, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(60'000, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    Answer a;
    a.finished = reply->isFinished();
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.contentType = reply->rawHeader("Content-Type");
    a.allow = reply->rawHeader("Allow");
    a.body = reply->readAll();
    reply->abort();
    delete reply;
    return a;
}

QStringList g_messages;
QtMessageHandler g_previous = nullptr;

void capture(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    g_messages << message;
    if (g_previous)
        g_previous(type, context, message);
}

} // namespace

class TestHealthServer : public QObject
{
    Q_OBJECT
private:
    QUrl base(quint16 port, const QString &host = u"127.0.0.1"_s) const
    {
        return QUrl(u"http://%1:%2"_s.arg(host).arg(port));
    }

private Q_SLOTS:
    void healthzOkAndUnavailable()
    {
        Metrics metrics;
        QJsonObject state {
            {u"status"_s, u"ok"_s}, {u"lastCycle"_s, u"2026-12-04T10:00:00.000Z"_s}, {u"queue"_s, 0}};
        int calls = 0;
        HealthServer server(&metrics, [&] {
            ++calls;
            return state;
        });
        const auto port = server.listen(u"127.0.0.1:0"_s);
        QVERIFY2(port.ok(), qPrintable(port.ok() ? QString() : port.error().message));
        QVERIFY(*port != 0);

        Answer a = request("GET", base(*port).resolved(QUrl(u"/healthz"_s)));
        QVERIFY(a.finished);
        QCOMPARE(a.status, 200);
        QCOMPARE(a.contentType, "application/json");
        QCOMPARE(QJsonDocument::fromJson(a.body).object(), state);
        QCOMPARE(calls, 1);

        // Asked again at each request: the answer follows the state.
        state = {{u"status"_s, u"degraded"_s}, {u"reason"_s, u"the provisioning job is in quarantine"_s}};
        a = request("GET", base(*port).resolved(QUrl(u"/healthz?verbose=1"_s)));
        QCOMPARE(a.status, 503);
        QCOMPARE(a.contentType, "application/json");
        QCOMPARE(QJsonDocument::fromJson(a.body).object(), state);
        QCOMPARE(calls, 2);

        state = {{u"reason"_s, u"no status at all"_s}}; // not "ok": unavailable
        a = request("GET", base(*port).resolved(QUrl(u"/healthz"_s)));
        QCOMPARE(a.status, 503);
        QCOMPARE(QJsonDocument::fromJson(a.body).object(), state);

        state = {{u"status"_s, u"OK"_s}}; // exactly "ok"
        a = request("GET", base(*port).resolved(QUrl(u"/healthz"_s)));
        QCOMPARE(a.status, 503);
    }

    void metricsBodyAndContentType()
    {
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto port = server.listen(u"localhost:0"_s);
        QVERIFY(port.ok());
        Answer a = request("GET", base(*port).resolved(QUrl(u"/metrics"_s)));
        QCOMPARE(a.status, 200);
        QCOMPARE(a.contentType, "text/plain; version=0.0.4; charset=utf-8");
        QCOMPARE(a.body, metrics.prometheusText());
        QVERIFY(a.body.contains("elevate_bridge_polls_total{result=\"ok\"} 0\n"));

        // What is counted between two scrapes shows in the second.
        metrics.countPoll(true);
        metrics.countPush(u"Success"_s);
        a = request("GET", base(*port).resolved(QUrl(u"/metrics"_s)));
        QCOMPARE(a.status, 200);
        QCOMPARE(a.body, metrics.prometheusText());
        QVERIFY(a.body.contains("elevate_bridge_polls_total{result=\"ok\"} 1\n"));
        QVERIFY(a.body.contains("elevate_bridge_pushes_total{result=\"Success\"} 1\n"));
    }

    void unknownPathsAndOtherMethods()
    {
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto port = server.listen(u"127.0.0.1:0"_s);
        QVERIFY(port.ok());
        for (const QString &path :
             {u"/"_s, u"/nope"_s, u"/healthz/"_s, u"/metrics/x"_s, u"/HEALTHZ"_s, u"/healthzz"_s}) {
            const Answer a = request("GET", base(*port).resolved(QUrl(path)));
            QVERIFY2(a.status == 404, qPrintable(path));
        }
        for (const QByteArray &method :
             {QByteArray("POST"), QByteArray("PUT"), QByteArray("DELETE"), QByteArray("PATCH")}) {
            for (const QString &path : {u"/healthz"_s, u"/metrics"_s}) {
                const Answer a = request(method, base(*port).resolved(QUrl(path)), "{\"x\":1}");
                QVERIFY2(a.status == 405, QByteArray(method + ' ' + path.toUtf8()).constData());
                QCOMPARE(a.allow, "GET");
            }
        }
        // The server still answers after all that.
        QCOMPARE(request("GET", base(*port).resolved(QUrl(u"/healthz"_s))).status, 200);
    }

    void noRequestBodyInAnyLog()
    {
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto port = server.listen(u"127.0.0.1:0"_s);
        QVERIFY(port.ok());
        g_messages.clear();
        g_previous = qInstallMessageHandler(capture);
        const QByteArray marker = "client_secret=do-not-log-this-7f3a";
        const int s1 = request("POST", base(*port).resolved(QUrl(u"/healthz"_s)), marker).status;
        const int s2 = request("POST", base(*port).resolved(QUrl(u"/unknown"_s)), marker).status;
        const int s3 = request("GET", base(*port).resolved(QUrl(u"/metrics"_s))).status;
        qInstallMessageHandler(g_previous);
        QCOMPARE(s1, 405);
        QCOMPARE(s2, 404);
        QCOMPARE(s3, 200);
        for (const QString &m : std::as_const(g_messages))
            QVERIFY2(!m.contains(QString::fromLatin1(marker)), qPrintable(m));
    }

    void ipv6Loopback()
    {
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto port = server.listen(u"[::1]:0"_s);
        if (!port.ok()) {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHostIPv6))
                QSKIP("no IPv6 loopback on this machine");
            QFAIL(qPrintable(port.error().message));
        }
        QVERIFY(*port != 0);
        const Answer a = request("GET", base(*port, u"[::1]"_s).resolved(QUrl(u"/healthz"_s)));
        QCOMPARE(a.status, 200);
    }

    void takenPortIsRefusedByNumber()
    {
        QTcpServer holder;
        QVERIFY(holder.listen(QHostAddress::LocalHost));
        const quint16 taken = holder.serverPort();
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto r = server.listen(u"127.0.0.1:%1"_s.arg(taken));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Elevate::Core::Error::Kind::Config);
        QVERIFY2(r.error().message.contains(QString::number(taken)), qPrintable(r.error().message));
        // A free port on the same server object still works afterwards.
        const auto again = server.listen(u"127.0.0.1:0"_s);
        QVERIFY(again.ok());
        QCOMPARE(request("GET", base(*again).resolved(QUrl(u"/healthz"_s))).status, 200);
    }

    void fixedPortIsThePortAsked()
    {
        // A port known to be free a moment ago (taken, then let go), asked by number.
        quint16 free = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            free = probe.serverPort();
        }
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto r = server.listen(u"127.0.0.1:%1"_s.arg(free));
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(*r, free);
    }

    void badAddresses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << QString();
        QTest::newRow("no port") << u"127.0.0.1"_s;
        QTest::newRow("empty port") << u"127.0.0.1:"_s;
        QTest::newRow("port too big") << u"127.0.0.1:65536"_s;
        QTest::newRow("port not a number") << u"127.0.0.1:http"_s;
        QTest::newRow("negative port") << u"127.0.0.1:-1"_s;
        QTest::newRow("port with sign") << u"127.0.0.1:+80"_s;
        QTest::newRow("port with space") << u"127.0.0.1: 80"_s;
        QTest::newRow("no host") << u":9464"_s;
        QTest::newRow("host name") << u"example.com:9464"_s;
        QTest::newRow("bare IPv6") << u"::1:9464"_s;
        QTest::newRow("IPv4 in brackets") << u"[127.0.0.1]:9464"_s;
        QTest::newRow("bad IPv6") << u"[::g]:9464"_s;
        QTest::newRow("unclosed bracket") << u"[::1:9464"_s;
        QTest::newRow("bad IPv4") << u"127.0.0.256:9464"_s;
    }

    void badAddresses()
    {
        QFETCH(QString, text);
        Metrics metrics;
        HealthServer server(&metrics, [] { return QJsonObject {{u"status"_s, u"ok"_s}}; });
        const auto r = server.listen(text);
        QVERIFY2(!r.ok(), qPrintable(text));
        QCOMPARE(r.error().kind, Elevate::Core::Error::Kind::Config);
        QVERIFY2(r.error().message.contains(text), qPrintable(r.error().message));
    }
};

QTEST_GUILESS_MAIN(TestHealthServer)
#include "tst_healthserver.moc"

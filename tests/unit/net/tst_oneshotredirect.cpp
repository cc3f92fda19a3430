// SPDX-License-Identifier: GPL-3.0-or-later
// The console hand-off: a loopback URL with a random path that answers one GET from this user with a
// redirect to the secret URL, and nothing else.
#include "net/oneshotredirect.h"
#include "support/rawexchange.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <future>
#include <memory>

#ifdef Q_OS_LINUX
#include <unistd.h>
#endif

using namespace Elevate;
using namespace Qt::StringLiterals;
using Elevate::Test::rawExchange;
using Net::LoopbackHttpServer;
using Net::OneShotRedirect;

namespace {

const QHostAddress kLoopback4(QHostAddress::LocalHost);
const QUrl kSecret(u"http://127.0.0.1:9/federation?Action=login&Issuer=Elevate&SigninToken=tok%2Ben_xyz"_s);

struct Answer
{
    int status = 0; // 0: no HTTP answer
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QByteArray location;
    QByteArray cacheControl;
    QByteArray referrerPolicy;
};

/// One request with Qt's client, redirects not followed.
Answer fetch(QNetworkAccessManager &nam, const QUrl &url, const QByteArray &method = "GET")
{
    QNetworkRequest req(url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    std::unique_ptr<QNetworkReply> reply(nam.sendCustomRequest(req, method));
    QSignalSpy done(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished() && !done.wait(15'000))
        return {};
    Answer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.error = reply->error();
    a.location = reply->rawHeader("Location");
    a.cacheControl = reply->rawHeader("Cache-Control");
    a.referrerPolicy = reply->rawHeader("Referrer-Policy");
    return a;
}

QUrl withPath(QUrl url, const QString &path)
{
    url.setPath(path);
    return url;
}

} // namespace

class TestOneShotRedirect : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void urlIsLoopbackWithRandomPath()
    {
        OneShotRedirect a;
        OneShotRedirect b;
        const auto ua = a.start(kSecret);
        const auto ub = b.start(kSecret);
        QVERIFY(ua.ok() && ub.ok());
        QCOMPARE(ua.value(), a.url());
        QCOMPARE(ua.value().scheme(), u"http"_s);
        QCOMPARE(ua.value().host(), u"127.0.0.1"_s);
        QVERIFY(ua.value().port() > 0);
        QVERIFY(!ua.value().hasQuery());
        // 256 bits in base64url: 43 characters of [A-Za-z0-9_-].
        static const QRegularExpression random(u"^/[A-Za-z0-9_-]{43}$"_s);
        QVERIFY2(random.match(ua.value().path()).hasMatch(), qPrintable(ua.value().path()));
        QVERIFY(random.match(ub.value().path()).hasMatch());
        QVERIFY(ua.value().path() != ub.value().path());
        QVERIFY(!ua.value().toString().contains(u"SigninToken"_s));
        QVERIFY(a.isListening());
        // Not reachable on another address of this host (only 127.0.0.1 is bound).
        QTcpSocket v6;
        v6.connectToHost(QHostAddress::LocalHostIPv6, quint16(ua.value().port()));
        QVERIFY(!v6.waitForConnected(2000));
    }

    void refusesWhatCannotBeALocation()
    {
        OneShotRedirect r;
        QVERIFY(!r.start(QUrl()).ok());
        QVERIFY(!r.start(QUrl(u"/relative"_s)).ok());
        QVERIFY(!r.isListening());
    }

    void firstGetRedirectsOnceThenCloses()
    {
        OneShotRedirect r;
        QSignalSpy finished(&r, &OneShotRedirect::finished);
        const auto url = r.start(kSecret);
        QVERIFY(url.ok());
        QNetworkAccessManager nam;
        const Answer first = fetch(nam, url.value());
        QCOMPARE(first.status, 302);
        QCOMPARE(first.location, kSecret.toEncoded());
        QCOMPARE(first.cacheControl, QByteArray("no-store"));
        QCOMPARE(first.referrerPolicy, QByteArray("no-referrer"));
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toBool(), true);
        QVERIFY(!r.isListening());
        // Gone: the same URL again reaches nobody.
        const Answer second = fetch(nam, url.value());
        QCOMPARE(second.status, 0);
        QCOMPARE(second.error, QNetworkReply::ConnectionRefusedError);
        QTest::qWait(50);
        QCOMPARE(finished.size(), 1);
    }

    void otherRequestsGet404AndConsumeNothing()
    {
        OneShotRedirect r;
        QSignalSpy finished(&r, &OneShotRedirect::finished);
        const auto started = r.start(kSecret);
        QVERIFY(started.ok());
        const QUrl url = started.value();
        const QString path = url.path();
        QString oneCharOff = path;
        oneCharOff[5] = oneCharOff[5] == u'A' ? u'B' : u'A';
        QNetworkAccessManager nam;
        for (const QUrl &wrong : {withPath(url, u"/"_s), withPath(url, u"/favicon.ico"_s),
                                  withPath(url, oneCharOff), withPath(url, path.left(path.size() - 1)),
                                  withPath(url, path + u"x"_s), withPath(url, path + u"/"_s),
                                  withPath(url, path.toLower()), QUrl(url.toString() + u"?x=1"_s)}) {
            const Answer a = fetch(nam, wrong);
            QVERIFY2(a.status == 404, qPrintable(wrong.path() + u" → "_s + QString::number(a.status)));
            QVERIFY(a.location.isEmpty());
        }
        // The right path with another method.
        for (const QByteArray method : {"HEAD", "POST", "PUT", "DELETE", "OPTIONS"}) {
            const Answer a = fetch(nam, url, method);
            QVERIFY2(a.status == 404, method.constData());
            QVERIFY(a.location.isEmpty());
        }
        // Malformed requests, also one that carries the right path.
        const quint16 port = quint16(url.port());
        const QByteArray p = path.toLatin1();
        for (const QByteArray &raw :
             {QByteArray("GET " + p + "\r\n\r\n"), QByteArray("GET " + p + " SPDY/3\r\n\r\n"),
              QByteArray("GET  " + p + " HTTP/1.1\r\n\r\n"), QByteArray("\r\n\r\n")}) {
            const QByteArray answer = rawExchange(port, raw);
            QVERIFY2(answer.startsWith("HTTP/1.1 400 "), answer.constData());
            QVERIFY(!answer.contains("Location"));
        }
        // An absolute-form target is not the path either.
        QVERIFY(
            rawExchange(port, "GET " + url.toEncoded() + " HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 404 "));
        QVERIFY(r.isListening());
        QCOMPARE(finished.size(), 0);
        // Still there for the browser.
        const Answer right = fetch(nam, url);
        QCOMPARE(right.status, 302);
        QCOMPARE(right.location, kSecret.toEncoded());
        QTRY_COMPARE(finished.size(), 1);
    }

    void anotherUsersProcessIsRefused()
    {
        OneShotRedirect r;
        QSignalSpy finished(&r, &OneShotRedirect::finished);
        const auto url = r.start(kSecret);
        QVERIFY(url.ok());
        int asked = 0;
        r.setPeerCheck([&asked](const QTcpSocket &) {
            ++asked;
            return false;
        });
        QNetworkAccessManager nam;
        const Answer refused = fetch(nam, url.value());
        QCOMPARE(refused.status, 404);
        QVERIFY(refused.location.isEmpty());
        QCOMPARE(asked, 1);
        QVERIFY(r.isListening());
        QCOMPARE(finished.size(), 0);
        // Only the right path reaches the check at all.
        QCOMPARE(fetch(nam, withPath(url.value(), u"/x"_s)).status, 404);
        QCOMPARE(asked, 1);
        // This user's browser afterwards: the real check lets it through.
        r.setPeerCheck(&LoopbackHttpServer::peerIsThisUser);
        QCOMPARE(fetch(nam, url.value()).status, 302);
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toBool(), true);
    }

    void oversizedHeadIsRefused()
    {
        OneShotRedirect r;
        QSignalSpy finished(&r, &OneShotRedirect::finished);
        const auto url = r.start(kSecret);
        QVERIFY(url.ok());
        const QByteArray path = url.value().path().toLatin1();
        const QByteArray big = "GET " + path
            + " HTTP/1.1\r\nX-Pad: " + QByteArray(OneShotRedirect::MaxHeadBytes, 'a') + "\r\n\r\n";
        const QByteArray answer = rawExchange(quint16(url.value().port()), big);
        QVERIFY2(answer.startsWith("HTTP/1.1 431 "), answer.left(60).constData());
        QVERIFY(!answer.contains("Location"));
        // Without an end: the same once the limit is passed.
        const QByteArray endless
            = "GET " + path + " HTTP/1.1\r\nX-Pad: " + QByteArray(OneShotRedirect::MaxHeadBytes + 10, 'a');
        QVERIFY(rawExchange(quint16(url.value().port()), endless).startsWith("HTTP/1.1 431 "));
        QCOMPARE(finished.size(), 0);
        // Just under the limit is a request like any other.
        const QByteArray fits = "GET " + path + " HTTP/1.1\r\nX-Pad: "
            + QByteArray(OneShotRedirect::MaxHeadBytes - path.size() - 40, 'a') + "\r\n\r\n";
        QVERIFY(fits.size() <= OneShotRedirect::MaxHeadBytes);
        const QByteArray ok = rawExchange(quint16(url.value().port()), fits);
        QVERIFY2(ok.startsWith("HTTP/1.1 302 "), ok.left(60).constData());
        QVERIFY(ok.contains(QByteArray("\r\nLocation: " + kSecret.toEncoded() + "\r\n")));
        QTRY_COMPARE(finished.size(), 1);
    }

    void idleConnectionIsDropped()
    {
        OneShotRedirect r;
        const auto url = r.start(kSecret);
        QVERIFY(url.ok());
        QTcpSocket idle;
        idle.connectToHost(QHostAddress::LocalHost, quint16(url.value().port()));
        QVERIFY(idle.waitForConnected(2000));
        idle.write("GET "); // starts, never ends
        QSignalSpy gone(&idle, &QTcpSocket::disconnected);
        QVERIFY(gone.wait(OneShotRedirect::ConnectionTimeoutMs + 5'000));
        QVERIFY(r.isListening());
        QNetworkAccessManager nam;
        QCOMPARE(fetch(nam, url.value()).status, 302);
    }

    void connectionsAreCapped()
    {
        OneShotRedirect r;
        const auto url = r.start(kSecret);
        QVERIFY(url.ok());
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        std::vector<std::unique_ptr<QSignalSpy>> closed;
        auto open = [&] {
            sockets.push_back(std::make_unique<QTcpSocket>());
            closed.push_back(std::make_unique<QSignalSpy>(sockets.back().get(), &QTcpSocket::disconnected));
            sockets.back()->connectToHost(QHostAddress::LocalHost, quint16(url.value().port()));
            QVERIFY(sockets.back()->waitForConnected(2000));
            sockets.back()->write("GET /");
            QVERIFY(sockets.back()->waitForBytesWritten(2000));
        };
        for (int i = 0; i < OneShotRedirect::MaxConnections; ++i)
            open();
        QTest::qWait(200);
        for (const auto &c : closed)
            QCOMPARE(c->size(), 0); // up to the cap they all stay
        open();
        open();
        // Beyond the cap the oldest go, long before their idle time is up.
        QTRY_COMPARE_WITH_TIMEOUT(closed[0]->size(), 1, 3'000);
        QTRY_COMPARE_WITH_TIMEOUT(closed[1]->size(), 1, 3'000);
        QCOMPARE(closed[2]->size(), 0);
        QCOMPARE(closed.back()->size(), 0);
        // The browser still gets through.
        QNetworkAccessManager nam;
        QCOMPARE(fetch(nam, url.value()).status, 302);
        // Consumed: the others are closed.
        QTRY_COMPARE_WITH_TIMEOUT(closed.back()->size(), 1, 3'000);
    }

    void lifetimeEndsUnfetched()
    {
        OneShotRedirect r;
        QSignalSpy finished(&r, &OneShotRedirect::finished);
        const auto url = r.start(kSecret, 300);
        QVERIFY(url.ok());
        QVERIFY(finished.wait(10'000));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY(!r.isListening());
        QNetworkAccessManager nam;
        const Answer late = fetch(nam, url.value());
        QCOMPARE(late.status, 0);
        QVERIFY(late.location.isEmpty());
        QCOMPARE(finished.size(), 1);
    }

    void cancelAndRestart()
    {
        OneShotRedirect r;
        QSignalSpy finished(&r, &OneShotRedirect::finished);
        const auto first = r.start(kSecret);
        QVERIFY(first.ok());
        r.cancel();
        r.cancel();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY(!r.isListening());
        // A new start is a new path; starting again ends the running one first.
        const auto second = r.start(kSecret);
        QVERIFY(second.ok());
        QVERIFY(second.value().path() != first.value().path());
        const auto third = r.start(kSecret);
        QVERIFY(third.ok());
        QCOMPARE(finished.size(), 2);
        QNetworkAccessManager nam;
        QCOMPARE(fetch(nam, second.value()).status, 0);
        QCOMPARE(fetch(nam, third.value()).status, 302);
        QTRY_COMPARE(finished.size(), 3);
        QCOMPARE(finished.last().first().toBool(), true);
    }

    void socketOwnerReadsProcNetTcp()
    {
        const QByteArray table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
                                 "retrnsmt   uid  timeout inode\n"
                                 "   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 "
                                 "00000000  1000        0 1 1 0\n"
                                 "   1: 0100007F:D431 0100007F:9C40 01 00000000:00000000 00:00000000 "
                                 "00000000  4242        0 2 1 0\n"
                                 "   2: 0100007F:9C40 0100007F:D431 01 00000000:00000000 00:00000000 "
                                 "00000000  1000        0 3 1 0\n";
        QCOMPARE(LoopbackHttpServer::socketOwner(table, "0100007F:D431", "0100007F:9C40"),
                 std::optional<uint>(4242));
        QCOMPARE(LoopbackHttpServer::socketOwner(table, "0100007f:d431", "0100007f:9c40"),
                 std::optional<uint>(4242));
        QCOMPARE(LoopbackHttpServer::socketOwner(table, "0100007F:9C40", "0100007F:D431"),
                 std::optional<uint>(1000));
        QCOMPARE(LoopbackHttpServer::socketOwner(table, "0100007F:D432", "0100007F:9C40"), std::nullopt);
        QCOMPARE(LoopbackHttpServer::socketOwner("", "0100007F:D431", "0100007F:9C40"), std::nullopt);
        QCOMPARE(LoopbackHttpServer::socketOwner("garbage\n1: x\n", "0100007F:D431", "0100007F:9C40"),
                 std::nullopt);
        if constexpr (Q_BYTE_ORDER == Q_LITTLE_ENDIAN)
            QCOMPARE(LoopbackHttpServer::procNetTcpEndpoint(kLoopback4, 0xD431), QByteArray("0100007F:D431"));
        else
            QCOMPARE(LoopbackHttpServer::procNetTcpEndpoint(kLoopback4, 0xD431), QByteArray("7F000001:D431"));
        QCOMPARE(LoopbackHttpServer::procNetTcpEndpoint(kLoopback4, 80).right(5), QByteArray(":0050"));
        // A TIME_WAIT line is nobody's (the kernel prints uid 0 there): not an owner, not even root.
        const QByteArray closing = "   0: 0100007F:D431 0100007F:9C40 06 00000000:00000000 03:00000F2B "
                                   "00000000     0        0 0 3 0000000000000000\n";
        QCOMPARE(LoopbackHttpServer::socketOwner(closing, "0100007F:D431", "0100007F:9C40"), std::nullopt);
        QCOMPARE(LoopbackHttpServer::socketOwner(closing + table, "0100007F:D431", "0100007F:9C40"),
                 std::optional<uint>(4242));
    }

    /// The same for ::1 in /proc/net/tcp6: the address as four 32-bit words.
    void socketOwnerReadsProcNetTcp6()
    {
        const QByteArray table
            = "  sl  local_address                         remote_address                        st tx_queue "
              "rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
              "   0: 00000000000000000000000001000000:9C40 00000000000000000000000000000000:0000 0A "
              "00000000:00000000 00:00000000 00000000  1000        0 11 1 0\n"
              "   1: 00000000000000000000000001000000:D431 00000000000000000000000001000000:9C40 01 "
              "00000000:00000000 00:00000000 00000000  4242        0 12 1 0\n";
        const QByteArray one = "00000000000000000000000001000000";
        QCOMPARE(LoopbackHttpServer::socketOwner(table, one + ":D431", one + ":9C40"),
                 std::optional<uint>(4242));
        QCOMPARE(LoopbackHttpServer::socketOwner(table, one + ":9C40", one + ":D431"), std::nullopt);
        const QHostAddress v6(QHostAddress::LocalHostIPv6);
        if constexpr (Q_BYTE_ORDER == Q_LITTLE_ENDIAN) {
            QCOMPARE(LoopbackHttpServer::procNetTcpEndpoint(v6, 0xD431), one + ":D431");
            // Each word on its own: 2001:db8::ff00:42 as the kernel prints it.
            QCOMPARE(LoopbackHttpServer::procNetTcpEndpoint(QHostAddress(u"2001:db8::ff00:42"_s), 1),
                     QByteArray("B80D01200000000000000000420000FF:0001"));
        } else {
            QCOMPARE(LoopbackHttpServer::procNetTcpEndpoint(v6, 0xD431),
                     QByteArray("00000000000000000000000000000001:D431"));
        }
        QVERIFY(LoopbackHttpServer::procNetTcpEndpoint(QHostAddress(), 1).isEmpty());
        QVERIFY(LoopbackHttpServer::procNetTcpEndpoint(QHostAddress(QHostAddress::AnyIPv4), 1).size() == 13);
    }

    void peerCheckKnowsThisUsersSocket_data()
    {
        QTest::addColumn<QHostAddress>("address");
        QTest::addColumn<QString>("table");
        QTest::newRow("127.0.0.1") << QHostAddress(QHostAddress::LocalHost) << u"/proc/net/tcp"_s;
        QTest::newRow("::1") << QHostAddress(QHostAddress::LocalHostIPv6) << u"/proc/net/tcp6"_s;
    }

    void peerCheckKnowsThisUsersSocket()
    {
#ifndef Q_OS_LINUX
        QSKIP("the peer's user is only looked up on Linux");
#else
        QFETCH(QHostAddress, address);
        QFETCH(QString, table);
        QTcpServer server;
        if (!server.listen(address, 0) && address.protocol() == QAbstractSocket::IPv6Protocol)
            QSKIP("no IPv6 loopback on this machine");
        QVERIFY(server.isListening());
        QTcpSocket client;
        client.connectToHost(address, server.serverPort());
        QVERIFY(client.waitForConnected(2000));
        QVERIFY(server.waitForNewConnection(2000));
        std::unique_ptr<QTcpSocket> accepted(server.nextPendingConnection());
        QVERIFY(accepted);
        QVERIFY(LoopbackHttpServer::peerIsThisUser(*accepted));
        QFile f(table);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto owner = LoopbackHttpServer::socketOwner(
            f.readAll(), LoopbackHttpServer::procNetTcpEndpoint(address, client.localPort()),
            LoopbackHttpServer::procNetTcpEndpoint(address, server.serverPort()));
        QCOMPARE(owner, std::optional<uint>(::getuid()));
        // Once the browser's end is gone, nobody can be shown to own it: refused.
        client.abort();
        QTRY_VERIFY(!LoopbackHttpServer::peerIsThisUser(*accepted));
#endif
    }
};

QTEST_GUILESS_MAIN(TestOneShotRedirect)
#include "tst_oneshotredirect.moc"

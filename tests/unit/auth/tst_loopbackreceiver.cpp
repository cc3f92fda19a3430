// SPDX-License-Identifier: GPL-3.0-or-later
#include "auth/loopbackreceiver.h"
#include "support/rawexchange.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <cstring>
#include <future>
#include <memory>

#ifdef Q_OS_LINUX
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

using namespace Elevate;
using namespace Elevate::Auth;
using namespace Qt::StringLiterals;
using Elevate::Test::rawExchange;

Q_DECLARE_METATYPE(Elevate::Core::Result<Elevate::Auth::AuthorizationResponse>)

namespace {
QByteArray get(const QByteArray &target)
{
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}
using R = Core::Result<AuthorizationResponse>;
const QHostAddress v4(QHostAddress::LocalHost);
const QHostAddress v6(QHostAddress::LocalHostIPv6);
const QByteArray notOurs = "not for the current attempt"; // only Elevate's 400 page says this

bool haveIpv6Loopback()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHostIPv6, 0);
}

#ifdef Q_OS_LINUX
/// Run as root: a process of another user (nobody) sends `request` to host:port and the answer comes
/// back through a pipe. The child makes system calls only (it is forked from a threaded process).
QByteArray exchangeAsNobody(const QHostAddress &host, quint16 port, const QByteArray &request)
{
    sockaddr_storage to {};
    socklen_t toSize = 0;
    if (host.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&to);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        const Q_IPV6ADDR six = host.toIPv6Address();
        std::memcpy(&a->sin6_addr, six.c, 16);
        toSize = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&to);
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(host.toIPv4Address());
        toSize = sizeof(sockaddr_in);
    }
    int out[2];
    if (::pipe(out) != 0)
        return "NO PIPE";
    const pid_t child = ::fork();
    if (child == 0) {
        ::close(out[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(2);
        const int s = ::socket(to.ss_family, SOCK_STREAM, 0);
        if (s < 0 || ::connect(s, reinterpret_cast<const sockaddr *>(&to), toSize) != 0)
            ::_exit(3);
        if (::write(s, request.constData(), size_t(request.size())) != request.size())
            ::_exit(4);
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(s, buffer, sizeof(buffer))) > 0) {
            if (::write(out[1], buffer, size_t(n)) != n)
                ::_exit(5);
        }
        ::_exit(0);
    }
    ::close(out[1]);
    auto future = std::async(std::launch::async, [fd = out[0]] {
        QByteArray answer;
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(fd, buffer, sizeof(buffer))) > 0)
            answer.append(buffer, n);
        ::close(fd);
        return answer;
    });
    const QByteArray answer = Test::getProcessingEvents(future);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return "CHILD FAILED " + QByteArray::number(status);
    return answer;
}
#endif

/// A silent client in this thread (it never sends a byte unless told).
std::unique_ptr<QTcpSocket> silentConnection(quint16 port)
{
    auto s = std::make_unique<QTcpSocket>();
    QSignalSpy connected(s.get(), &QTcpSocket::connected);
    s->connectToHost(QHostAddress::LocalHost, port);
    if (s->state() != QAbstractSocket::ConnectedState && !connected.wait(5000))
        return nullptr;
    return s;
}
} // namespace

class TestLoopbackReceiver : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<R>(); }

    void bindsToLoopbackOnly()
    {
        LoopbackReceiver r;
        const auto port = r.start("s", 10'000);
        QVERIFY(port.ok());
        QVERIFY(port.value() > 0);
        QVERIFY(r.isListening());
        const QList<QHostAddress> addresses = r.serverAddresses();
        QVERIFY(addresses.contains(v4));
        for (const QHostAddress &a : addresses)
            QVERIFY2(a.isLoopback(), qPrintable(a.toString()));
        if (!haveIpv6Loopback())
            QSKIP("no IPv6 loopback on this machine: 127.0.0.1 only is right here");
        QCOMPARE(addresses.size(), 2);
        QVERIFY(addresses.contains(v6));
        // The same port on both: nobody else can take either.
        for (const QHostAddress &a : {v4, v6}) {
            QTcpServer other;
            QVERIFY(!other.listen(a, port.value()));
            QCOMPARE(other.serverError(), QAbstractSocket::AddressInUseError);
        }
    }

    /// A browser that resolves `localhost` to ::1 reaches Elevate, on the port of the redirect.
    void ipv6RequestFinishes()
    {
        if (!haveIpv6Loopback())
            QSKIP("no IPv6 loopback on this machine");
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("st4te", 10'000).value();
        const QByteArray wrong = rawExchange(port, get("/?code=evil&state=wrong"), v6);
        QVERIFY(wrong.startsWith("HTTP/1.1 400"));
        QVERIFY(wrong.contains(notOurs));
        QCOMPARE(done.count(), 0);
        QVERIFY(rawExchange(port, get("/?code=c6&state=st4te"), v6).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("c6"));
        QVERIFY(!r.isListening()); // both closed
        QCOMPARE(rawExchange(port, get("/?code=again&state=st4te"), v4), QByteArray("NO CONNECTION"));
        QCOMPARE(rawExchange(port, get("/?code=again&state=st4te"), v6), QByteArray("NO CONNECTION"));
        QCOMPARE(done.count(), 1);
    }

    /// The port asked for is used when it is free on both (so the next tests do move it).
    void firstPortIsUsedWhenFree()
    {
        if (!haveIpv6Loopback())
            QSKIP("no IPv6 loopback on this machine");
        quint16 wanted = 0;
        {
            QTcpServer probe4;
            QVERIFY(probe4.listen(v4, 0));
            wanted = probe4.serverPort();
            QTcpServer probe6;
            if (!probe6.listen(v6, wanted))
                QSKIP("the probe port is taken on ::1 by someone else; try again");
        }
        LoopbackReceiver r;
        const auto port = r.start("s", 10'000, QStringLiteral("/"), wanted);
        QVERIFY(port.ok());
        QCOMPARE(port.value(), wanted);
    }

    /// A local process that already listens on [::1]:N cannot get Elevate to redirect to
    /// localhost:N with only 127.0.0.1:N its own: Elevate moves to a port it holds on both.
    void hostileListenerMovesThePort_data()
    {
        QTest::addColumn<bool>("hostileOnIpv6");
        QTest::newRow("[::1] taken") << true;
        QTest::newRow("127.0.0.1 taken") << false;
    }

    void hostileListenerMovesThePort()
    {
        QFETCH(bool, hostileOnIpv6);
        if (!haveIpv6Loopback())
            QSKIP("no IPv6 loopback on this machine");
        // The hostile listener holds one family on a port that is free on the other, so the
        // receiver does get that far.
        QTcpServer hostile;
        quint16 taken = 0;
        for (int i = 0; i < 20 && taken == 0; ++i) {
            QVERIFY(hostile.listen(hostileOnIpv6 ? v6 : v4, 0));
            QTcpServer probe;
            if (probe.listen(hostileOnIpv6 ? v4 : v6, hostile.serverPort()))
                taken = hostile.serverPort();
            else
                hostile.close();
        }
        QVERIFY(taken != 0);

        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const auto port = r.start("st4te", 10'000, QStringLiteral("/"), taken);
        QVERIFY(port.ok());
        QVERIFY(port.value() != taken);
        QCOMPARE(r.serverAddresses().size(), 2);
        // Both addresses on the new port are Elevate's (its own 400 page), and neither is the
        // hostile listener's.
        for (const QHostAddress &a : {v4, v6}) {
            const QByteArray answer = rawExchange(port.value(), get("/?code=evil&state=wrong"), a);
            QVERIFY2(answer.startsWith("HTTP/1.1 400") && answer.contains(notOurs), qPrintable(a.toString()));
        }
        // The sign-in still lands, through either family.
        QVERIFY(rawExchange(port.value(), get("/?code=mine&state=st4te"), hostileOnIpv6 ? v6 : v4)
                    .startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("mine"));
        QVERIFY(!hostile.hasPendingConnections());
    }

    void codeWithRightStateWins()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("st4te", 10'000).value();
        const QByteArray answer
            = rawExchange(port, get("/?code=abc%2Bd&state=st4te&session_state=x&client_info=ci"));
        QVERIFY(answer.startsWith("HTTP/1.1 200"));
        QVERIFY(answer.contains("Cache-Control: no-store"));
        QVERIFY(answer.contains("Referrer-Policy: no-referrer"));
        QVERIFY(answer.contains("Content-Type: text/html; charset=utf-8"));
        QVERIFY(answer.contains("close this tab"));
        QVERIFY(!answer.contains("abc")); // nothing reflected
        QCOMPARE(done.count(), 1);
        const R result = done.first().first().value<R>();
        QVERIFY(result.ok());
        QCOMPARE(result->code, QStringLiteral("abc+d"));
        QCOMPARE(result->clientInfo, QStringLiteral("ci"));
        QVERIFY(!r.isListening()); // one-shot: the port is closed
        QCOMPARE(rawExchange(port, get("/?code=again&state=st4te")), QByteArray("NO CONNECTION"));
        QCOMPARE(done.count(), 1);
    }

    void wrongStateIsIgnoredAndWaitingGoesOn()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("right", 10'000).value();
        QVERIFY(rawExchange(port, get("/?code=evil&state=wrong")).startsWith("HTTP/1.1 400"));
        QVERIFY(rawExchange(port, get("/?code=evil")).startsWith("HTTP/1.1 400"));
        QVERIFY(rawExchange(port, get("/?error=access_denied&state=wrong")).startsWith("HTTP/1.1 400"));
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
        QVERIFY(rawExchange(port, get("/?code=good&state=right")).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("good"));
    }

    void wrongPathMethodAndFavicon()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 10'000).value();
        QVERIFY(rawExchange(port, get("/favicon.ico")).startsWith("HTTP/1.1 404"));
        QVERIFY(rawExchange(port, get("/other?code=x&state=s")).startsWith("HTTP/1.1 404"));
        QVERIFY(rawExchange(port, "POST /?code=x&state=s HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                    .startsWith("HTTP/1.1 404"));
        QVERIFY(rawExchange(port, "garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
    }

    void errorRedirectIsDecoded()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 10'000).value();
        const QByteArray answer = rawExchange(
            port,
            get("/?error=access_denied&error_description=AADSTS65004%3a+User+declined+to+consent.&state=s"));
        QVERIFY(answer.startsWith("HTTP/1.1 200"));
        QVERIFY(answer.contains("did not complete"));
        QCOMPARE(done.count(), 1);
        const R result = done.first().first().value<R>();
        QVERIFY(result.ok());
        QCOMPARE(result->error, QStringLiteral("access_denied"));
        QCOMPARE(result->errorDescription, QStringLiteral("AADSTS65004: User declined to consent."));
    }

    void timeoutAndCancel()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 200).value();
        QVERIFY(done.wait(3000));
        QCOMPARE(done.first().first().value<R>().error().kind, Core::Error::Kind::Cancelled);
        QVERIFY(!r.isListening());
        QCOMPARE(rawExchange(port, get("/?code=x&state=s")), QByteArray("NO CONNECTION"));

        LoopbackReceiver c;
        QSignalSpy cancelled(&c, &LoopbackReceiver::finished);
        QVERIFY(c.start("s", 10'000).ok());
        c.cancel();
        c.cancel();
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(!c.isListening());
    }

    void oversizedHeadIsRefusedAndWaitingGoesOn()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 10'000).value();
        const QByteArray huge
            = "GET /?state=s&code=x HTTP/1.1\r\nX-Pad: " + QByteArray(20'000, 'a') + "\r\n\r\n";
        QVERIFY(rawExchange(port, huge).startsWith("HTTP/1.1 431"));
        // Without an end of head too: refused once past the limit, not buffered on.
        QVERIFY(rawExchange(port, "GET /?state=s&code=x HTTP/1.1\r\nX-Pad: " + QByteArray(20'000, 'a'))
                    .startsWith("HTTP/1.1 431"));
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
        QVERIFY(rawExchange(port, get("/?code=after&state=s")).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("after"));
    }

    void silentConnectionIsClosedAfterItsTimeout()
    {
        LoopbackReceiver r;
        r.setConnectionTimeout(300);
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 60'000).value();
        const auto silent = silentConnection(port);
        QVERIFY(silent);
        const auto slow = silentConnection(port); // starts a head, never ends it
        QVERIFY(slow);
        slow->write("GET /?state=s&code=x HTTP/1.1\r\nHost: localhost\r\n");
        QSignalSpy silentClosed(silent.get(), &QTcpSocket::disconnected);
        QSignalSpy slowClosed(slow.get(), &QTcpSocket::disconnected);
        QTRY_VERIFY_WITH_TIMEOUT(silentClosed.count() == 1 && slowClosed.count() == 1, 30'000);
        QVERIFY(!slow->readAll().startsWith("HTTP/1.1 200")); // aborted, never answered
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
        QVERIFY(rawExchange(port, get("/?code=late&state=s")).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
    }

    void theOldestConnectionsGoBeyondTheCap()
    {
        LoopbackReceiver r;
        r.setConnectionTimeout(600'000); // only the cap closes anything here
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 600'000).value();
        constexpr int extra = 3;
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        std::vector<std::unique_ptr<QSignalSpy>> closed;
        for (int i = 0; i < LoopbackReceiver::MaxConnections + extra; ++i) {
            sockets.push_back(silentConnection(port));
            QVERIFY(sockets.back());
            closed.push_back(std::make_unique<QSignalSpy>(sockets.back().get(), &QTcpSocket::disconnected));
        }
        // The first `extra` were dropped; the rest are still open.
        QTRY_VERIFY_WITH_TIMEOUT(closed[extra - 1]->count() == 1, 30'000);
        for (int i = 0; i < extra; ++i)
            QCOMPARE(closed[i]->count(), 1);
        for (size_t i = extra; i < sockets.size(); ++i) {
            QCOMPARE(closed[i]->count(), 0);
            QCOMPARE(sockets[i]->state(), QAbstractSocket::ConnectedState);
        }
        // The real browser still gets through (and its connection pushes out the next oldest).
        QVERIFY(rawExchange(port, get("/?code=browser&state=s")).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("browser"));
        QTRY_VERIFY_WITH_TIMEOUT(closed[extra]->count() == 1, 30'000);
        QCOMPARE(closed[extra + 1]->count(), 0);
    }

    /// Another local user's process that read the state from the browser's command line cannot
    /// answer first: refused before its state is looked at, and the real browser still gets through.
    void anotherUsersProcessIsRefused_data()
    {
        QTest::addColumn<QHostAddress>("address");
        QTest::newRow("127.0.0.1") << v4;
        QTest::newRow("::1") << v6;
    }

    void anotherUsersProcessIsRefused()
    {
        QFETCH(QHostAddress, address);
        if (address == v6 && !haveIpv6Loopback())
            QSKIP("no IPv6 loopback on this machine");
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("st4te", 10'000).value();
        int asked = 0;
        r.setPeerCheck([&asked](const QTcpSocket &) {
            ++asked;
            return false;
        });
        for (const QByteArray &target :
             {QByteArray("/?code=theirs&state=st4te"), QByteArray("/?error=access_denied&state=st4te"),
              QByteArray("/?code=theirs&state=wrong")}) {
            const QByteArray answer = rawExchange(port, get(target), address);
            QVERIFY2(answer.startsWith("HTTP/1.1 403"), answer.left(40).constData());
            QVERIFY(!answer.contains(notOurs)); // the state was not even looked at
        }
        QCOMPARE(asked, 3);
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
        // Other paths do not reach the check.
        QVERIFY(rawExchange(port, get("/favicon.ico"), address).startsWith("HTTP/1.1 404"));
        QCOMPARE(asked, 3);
        // No check at all refuses too (fail closed).
        r.setPeerCheck({});
        QVERIFY(rawExchange(port, get("/?code=theirs&state=st4te"), address).startsWith("HTTP/1.1 403"));
        QCOMPARE(done.count(), 0);
        // This user's browser: the real check (/proc/net/tcp or tcp6) lets it through.
        r.setPeerCheck(&Net::LoopbackHttpServer::peerIsThisUser);
        QVERIFY(rawExchange(port, get("/?code=mine&state=st4te"), address).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("mine"));
    }

    /// The same with the real check and a real process of another user (needs root to become one).
    void anotherUsersRealProcessIsRefused_data() { anotherUsersProcessIsRefused_data(); }

    void anotherUsersRealProcessIsRefused()
    {
#ifndef Q_OS_LINUX
        QSKIP("the peer's user is only looked up on Linux");
#else
        QFETCH(QHostAddress, address);
        if (::getuid() != 0)
            QSKIP("only root can start a process of another user here");
        if (address == v6 && !haveIpv6Loopback())
            QSKIP("no IPv6 loopback on this machine");
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("st4te", 10'000).value();
        const QByteArray answer = exchangeAsNobody(address, port, get("/?code=theirs&state=st4te"));
        QVERIFY2(answer.startsWith("HTTP/1.1 403"), answer.left(40).constData());
        QCOMPARE(done.count(), 0);
        // Another path: a 404, as for anyone.
        QVERIFY(exchangeAsNobody(address, port, get("/x")).startsWith("HTTP/1.1 404"));
        QVERIFY(rawExchange(port, get("/?code=mine&state=st4te"), address).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("mine"));
#endif
    }

    void emptyStateIsRefused()
    {
        LoopbackReceiver r;
        QVERIFY(!r.start("", 10'000).ok());
        QVERIFY(!r.isListening());
    }

    // The pure parts.

    void parseRedirectRequest_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("status");
        QTest::addColumn<QStringList>("parameters"); // name=decoded value, sorted
        const QString root = QStringLiteral("/");
        const QString cb = QStringLiteral("/callback");
        QTest::newRow("no end of head yet")
            << QByteArray("GET /?code=x&state=s HTTP/1.1\r\nHost: a\r\n") << root << 0 << QStringList();
        QTest::newRow("nothing") << QByteArray() << root << 0 << QStringList();
        QTest::newRow("too large, incomplete")
            << QByteArray(LoopbackReceiver::MaxHeadBytes + 1, 'a') << root << 431 << QStringList();
        QTest::newRow("too large, complete") << QByteArray(
            "GET / HTTP/1.1\r\nX: " + QByteArray(LoopbackReceiver::MaxHeadBytes, 'a') + "\r\n\r\n")
                                             << root << 431 << QStringList();
        QByteArray limit = "GET /?a=1 HTTP/1.1\r\nX: ";
        limit += QByteArray(LoopbackReceiver::MaxHeadBytes - limit.size() - 4, 'a') + "\r\n\r\n";
        QTest::newRow("at the limit") << limit << root << 200 << QStringList {QStringLiteral("a=1")};
        QTest::newRow("a body past the limit does not count")
            << QByteArray("GET /?a=1 HTTP/1.1\r\n\r\n" + QByteArray(LoopbackReceiver::MaxHeadBytes, 'b'))
            << root << 200 << QStringList {QStringLiteral("a=1")};
        QTest::newRow("garbage") << QByteArray("garbage\r\n\r\n") << root << 400 << QStringList();
        QTest::newRow("HTTP/2") << QByteArray("GET / HTTP/2\r\n\r\n") << root << 400 << QStringList();
        QTest::newRow("two spaces") << QByteArray("GET  /?code=x HTTP/1.1\r\n\r\n") << root << 400
                                    << QStringList();
        QTest::newRow("bare LF") << QByteArray("GET /?code=x HTTP/1.1\n\n") << root << 0 << QStringList();
        QTest::newRow("POST") << QByteArray("POST /?code=x&state=s HTTP/1.1\r\n\r\n") << root << 404
                              << QStringList();
        QTest::newRow("favicon") << QByteArray("GET /favicon.ico HTTP/1.1\r\n\r\n") << root << 404
                                 << QStringList();
        QTest::newRow("other path") << QByteArray("GET /other?code=x HTTP/1.1\r\n\r\n") << cb << 404
                                    << QStringList();
        QTest::newRow("path prefix") << QByteArray("GET /callbackx?code=x HTTP/1.1\r\n\r\n") << cb << 404
                                     << QStringList();
        QTest::newRow("encoded path") << QByteArray("GET /%63allback?code=x HTTP/1.1\r\n\r\n") << cb << 200
                                      << QStringList {QStringLiteral("code=x")};
        QTest::newRow("no query") << QByteArray("GET / HTTP/1.0\r\n\r\n") << root << 200 << QStringList();
        QTest::newRow("success") << QByteArray(
            "GET /?code=1.AX%2Bb&state=St&session_state=u&client_info=eyJ HTTP/1.1\r\n"
            "Host: localhost:5000\r\n\r\n")
                                 << root << 200
                                 << QStringList {
                                        QStringLiteral("client_info=eyJ"), QStringLiteral("code=1.AX+b"),
                                        QStringLiteral("session_state=u"), QStringLiteral("state=St")};
        QTest::newRow("plus is a space, %2B a plus")
            << QByteArray("GET /?error_description=a+b%2Bc%20d HTTP/1.1\r\n\r\n") << root << 200
            << QStringList {QStringLiteral("error_description=a b+c d")};
        QTest::newRow("first occurrence wins")
            << QByteArray("GET /?state=one&state=two&code=a&code=b HTTP/1.1\r\n\r\n") << root << 200
            << QStringList {QStringLiteral("code=a"), QStringLiteral("state=one")};
        QTest::newRow("stray #") << QByteArray("GET /?code=c&state=s# HTTP/1.1\r\n\r\n") << root << 200
                                 << QStringList {QStringLiteral("code=c"), QStringLiteral("state=s")};
        QTest::newRow("pairs without a name or '='")
            << QByteArray("GET /?=x&flag&&code=&state=s HTTP/1.1\r\n\r\n") << root << 200
            << QStringList {QStringLiteral("code="), QStringLiteral("state=s")};
        QTest::newRow("UTF-8") << QByteArray("GET /?d=%C3%A4 HTTP/1.1\r\n\r\n") << root << 200
                               << QStringList {QStringLiteral("d=\u00e4")};
        QTest::newRow("only the head counts")
            << QByteArray("GET /?a=1 HTTP/1.1\r\n\r\nGET /?a=2&b=3 HTTP/1.1\r\n\r\n") << root << 200
            << QStringList {QStringLiteral("a=1")};
    }

    void parseRedirectRequest()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, path);
        QFETCH(int, status);
        QFETCH(QStringList, parameters);
        const RedirectRequest parsed = Auth::parseRedirectRequest(bytes, path);
        QCOMPARE(parsed.status, status);
        QStringList got;
        for (auto it = parsed.parameters.cbegin(); it != parsed.parameters.cend(); ++it)
            got.append(QString::fromUtf8(it.key()) + u'=' + it.value());
        got.sort();
        QCOMPARE(got, parameters);
    }

    /// The limit is a parameter (the fuzz target reaches it with small inputs): the head up to and
    /// including its blank line may have exactly that many bytes.
    void parseRedirectRequestWithAnotherLimit()
    {
        const QByteArray head = "GET /?a=1 HTTP/1.1\r\nX: yz\r\n\r\n";
        QCOMPARE(Auth::parseRedirectRequest(head, u"/"_s, head.size()).status, 200);
        QCOMPARE(Auth::parseRedirectRequest(head + "more", u"/"_s, head.size()).status, 200);
        QCOMPARE(Auth::parseRedirectRequest(head, u"/"_s, head.size() - 1).status, 431);
        QCOMPARE(Auth::parseRedirectRequest(head.left(head.size() - 1), u"/"_s, head.size() - 1).status, 0);
        QCOMPARE(Auth::parseRedirectRequest(head.left(head.size() - 1), u"/"_s, head.size() - 2).status, 431);
        QCOMPARE(Auth::parseRedirectRequest(head, u"/"_s, 0).status, 431);
        QCOMPARE(Auth::parseRedirectRequest(QByteArray(), u"/"_s, 0).status, 0);
    }

    void matchAuthorizationResponse()
    {
        using P = QHash<QByteArray, QString>;
        AuthorizationResponse out;
        out.code = QStringLiteral("untouched");
        QCOMPARE(Auth::matchAuthorizationResponse(P {{"code", u"c"_s}, {"state", u"x"_s}}, "s", &out),
                 RedirectMatch::WrongState);
        QCOMPARE(Auth::matchAuthorizationResponse(P {{"code", u"c"_s}}, "s", &out),
                 RedirectMatch::WrongState);
        QCOMPARE(Auth::matchAuthorizationResponse(P {{"code", u"c"_s}, {"state", u"ss"_s}}, "s", &out),
                 RedirectMatch::WrongState);
        // No state is never ours, even against an empty expectation.
        QCOMPARE(Auth::matchAuthorizationResponse(P {{"code", u"c"_s}}, "", &out), RedirectMatch::WrongState);
        QCOMPARE(Auth::matchAuthorizationResponse(P {{"code", u"c"_s}, {"state", QString()}}, "", &out),
                 RedirectMatch::WrongState);
        QCOMPARE(Auth::matchAuthorizationResponse(P {{"state", u"s"_s}, {"code", QString()}}, "s", &out),
                 RedirectMatch::Incomplete);
        QCOMPARE(out.code, QStringLiteral("untouched"));
        QCOMPARE(
            Auth::matchAuthorizationResponse(
                P {{"state", u"s"_s}, {"code", u"c"_s}, {"client_info", u"ci"_s}, {"session_state", u"x"_s}},
                "s", &out),
            RedirectMatch::Accepted);
        QCOMPARE(out.code, QStringLiteral("c"));
        QCOMPARE(out.clientInfo, QStringLiteral("ci"));
        QVERIFY(out.error.isEmpty());
        QCOMPARE(Auth::matchAuthorizationResponse(
                     P {{"state", u"s"_s}, {"error", u"access_denied"_s}, {"error_description", u"d"_s}}, "s",
                     &out),
                 RedirectMatch::Accepted);
        QCOMPARE(out.error, QStringLiteral("access_denied"));
        QCOMPARE(out.errorDescription, QStringLiteral("d"));
        QVERIFY(out.code.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLoopbackReceiver)
#include "tst_loopbackreceiver.moc"

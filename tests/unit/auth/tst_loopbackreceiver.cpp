// SPDX-License-Identifier: GPL-3.0-or-later
#include "auth/loopbackreceiver.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <future>

using namespace Elevate;
using namespace Elevate::Auth;

Q_DECLARE_METATYPE(Elevate::Core::Result<Elevate::Auth::AuthorizationResponse>)

namespace {
/// Sends raw bytes to the listener from another thread (the listener needs this thread's event
/// loop) and returns the whole answer (the listener closes the connection).
QByteArray exchange(quint16 port, const QByteArray &request)
{
    auto future = std::async(std::launch::async, [port, request] {
        QTcpSocket s;
        s.connectToHost(QHostAddress::LocalHost, port);
        if (!s.waitForConnected(2000))
            return QByteArray("NO CONNECTION");
        s.write(request);
        s.waitForBytesWritten(2000);
        QByteArray answer;
        while (s.state() == QAbstractSocket::ConnectedState && s.waitForReadyRead(3000))
            answer += s.readAll();
        answer += s.readAll();
        return answer;
    });
    while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    return future.get();
}
QByteArray get(const QByteArray &target)
{
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}
using R = Core::Result<AuthorizationResponse>;
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
        QCOMPARE(r.serverAddress(), QHostAddress(QHostAddress::LocalHost));
        QVERIFY(r.isListening());
    }

    void codeWithRightStateWins()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("st4te", 10'000).value();
        const QByteArray answer
            = exchange(port, get("/?code=abc%2Bd&state=st4te&session_state=x&client_info=ci"));
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
        QCOMPARE(exchange(port, get("/?code=again&state=st4te")), QByteArray("NO CONNECTION"));
        QCOMPARE(done.count(), 1);
    }

    void wrongStateIsIgnoredAndWaitingGoesOn()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("right", 10'000).value();
        QVERIFY(exchange(port, get("/?code=evil&state=wrong")).startsWith("HTTP/1.1 400"));
        QVERIFY(exchange(port, get("/?code=evil")).startsWith("HTTP/1.1 400"));
        QVERIFY(exchange(port, get("/?error=access_denied&state=wrong")).startsWith("HTTP/1.1 400"));
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
        QVERIFY(exchange(port, get("/?code=good&state=right")).startsWith("HTTP/1.1 200"));
        QCOMPARE(done.count(), 1);
        QCOMPARE(done.first().first().value<R>()->code, QStringLiteral("good"));
    }

    void wrongPathMethodAndFavicon()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 10'000).value();
        QVERIFY(exchange(port, get("/favicon.ico")).startsWith("HTTP/1.1 404"));
        QVERIFY(exchange(port, get("/other?code=x&state=s")).startsWith("HTTP/1.1 404"));
        QVERIFY(exchange(port, "POST /?code=x&state=s HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
                    .startsWith("HTTP/1.1 404"));
        QVERIFY(exchange(port, "garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
        QCOMPARE(done.count(), 0);
        QVERIFY(r.isListening());
    }

    void errorRedirectIsDecoded()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 10'000).value();
        const QByteArray answer = exchange(
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
        QCOMPARE(exchange(port, get("/?code=x&state=s")), QByteArray("NO CONNECTION"));

        LoopbackReceiver c;
        QSignalSpy cancelled(&c, &LoopbackReceiver::finished);
        QVERIFY(c.start("s", 10'000).ok());
        c.cancel();
        c.cancel();
        QCOMPARE(cancelled.count(), 1);
        QVERIFY(!c.isListening());
    }

    void oversizedHeadIsRefused()
    {
        LoopbackReceiver r;
        QSignalSpy done(&r, &LoopbackReceiver::finished);
        const quint16 port = r.start("s", 10'000).value();
        const QByteArray huge
            = "GET /?state=s&code=x HTTP/1.1\r\nX-Pad: " + QByteArray(20'000, 'a') + "\r\n\r\n";
        QVERIFY(exchange(port, huge).startsWith("HTTP/1.1 431"));
        QCOMPARE(done.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestLoopbackReceiver)
#include "tst_loopbackreceiver.moc"

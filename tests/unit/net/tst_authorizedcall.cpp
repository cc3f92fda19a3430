// SPDX-License-Identifier: GPL-3.0-or-later
#include "net/authorizedcall.h"

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimeZone>
#include <QTimer>

#include <optional>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {

/// A loopback server that answers the n-th request with the n-th canned response (the last one
/// again when they run out) and keeps every request.
class ScriptedServer : public QTcpServer
{
public:
    QList<QByteArray> responses;
    QList<QByteArray> requests;
    ScriptedServer()
    {
        listen(QHostAddress::LocalHost, 0);
        connect(this, &QTcpServer::newConnection, this, [this] {
            QTcpSocket *s = nextPendingConnection();
            auto buffer = std::make_shared<QByteArray>();
            connect(s, &QTcpSocket::readyRead, s, [this, s, buffer] {
                *buffer += s->readAll();
                if (!buffer->contains("\r\n\r\n"))
                    return;
                requests << *buffer;
                s->write(responses.value(requests.size() - 1, responses.last()));
                s->disconnectFromHost();
            });
        });
    }
    QUrl url() const { return QUrl(u"http://127.0.0.1:%1/x"_s.arg(serverPort())); }
};

QByteArray answer(int status, const QByteArray &headers = {})
{
    return "HTTP/1.1 " + QByteArray::number(status) + " X\r\n" + headers
        + "Content-Length: 2\r\nConnection: close\r\n\r\n{}";
}

/// Tokens "t1", "t2", … (a new one after each invalidation); step-up tokens "up".
class Tokens final : public Core::AccessTokenProvider
{
public:
    int issued = 1;
    int requests = 0;
    QStringList invalidated;
    QStringList claims;
    std::optional<Core::Error> refuse;
    void requestAccessToken(const QString &, QObject *, Callback callback) override
    {
        ++requests;
        if (refuse)
            return callback(*refuse);
        callback(u"t%1"_s.arg(issued));
    }
    void invalidateAccessToken(const QString &, const QString &token) override
    {
        invalidated << token;
        ++issued;
    }
    void requestStepUpToken(const QString &, const QString &c, QObject *, Callback callback) override
    {
        claims << c;
        callback(u"up"_s);
    }
};

class StepClock final : public Core::Clock
{
public:
    QDateTime t = QDateTime::fromSecsSinceEpoch(1'764'000'000, Qt::UTC);
    QDateTime now() const override { return t; }
};

} // namespace

class TestAuthorizedCall : public QObject
{
    Q_OBJECT

    QNetworkAccessManager m_nam;
    Net::HttpClient m_http {&m_nam};
    Tokens m_tokens;
    StepClock m_clock;
    Net::CallPolicy m_policy;

    /// Runs one call to `server`; nullopt when `done` did not run within `ms`.
    std::optional<Core::Result<Net::HttpResponse>> run(ScriptedServer &server,
                                                       const QByteArray &method = "GET", int ms = 10'000)
    {
        std::optional<Core::Result<Net::HttpResponse>> result;
        Net::AuthorizedCall::send(&m_http, &m_tokens, &m_clock, &m_policy,
                                  Net::HttpRequest {method, server.url(), {}, {}}, this,
                                  [&result](Core::Result<Net::HttpResponse> r) { result = std::move(r); });
        (void)QTest::qWaitFor([&] { return result.has_value(); }, ms);
        return result;
    }

private Q_SLOTS:
    void init()
    {
        m_tokens = Tokens();
        m_policy = Net::CallPolicy();
        m_policy.resource = u"https://service.example"_s;
        m_policy.retryable = [](const Net::HttpResponse &r, bool write) {
            return r.hasStatus() && (r.status == 429 || (!write && r.status == 503));
        };
        m_policy.backoffMs = [](int) { return 50; };
    }

    void sendsTheTokenInThePolicysHeader()
    {
        ScriptedServer server;
        server.responses = {answer(200)};
        m_policy.authHeader = "x-token";
        m_policy.authPrefix = "Key ";
        m_policy.decorate = [](Net::HttpRequest &req) { req.withHeader("x-extra", "1"); };
        int sent = 0;
        m_policy.sent = [&sent] { ++sent; };
        const auto r = run(server);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 200);
        QCOMPARE(server.requests.size(), 1);
        QVERIFY2(server.requests.first().contains("x-token: Key t1\r\n"),
                 server.requests.first().constData());
        QVERIFY(server.requests.first().contains("x-extra: 1\r\n"));
        QVERIFY(!server.requests.first().contains("Authorization"));
        QCOMPARE(sent, 1);
    }

    void a401GetsANewTokenOnce()
    {
        ScriptedServer server;
        server.responses = {answer(401), answer(200)};
        auto r = run(server);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 200);
        QCOMPARE(m_tokens.invalidated, QStringList {u"t1"_s});
        QVERIFY(server.requests.at(1).contains("Authorization: Bearer t2\r\n"));

        ScriptedServer refusing;
        refusing.responses = {answer(401)};
        m_tokens = Tokens();
        r = run(refusing);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 401); // the second 401 is the answer
        QCOMPARE(refusing.requests.size(), 2);
    }

    void aClaimsChallengeStepsUpOnce()
    {
        ScriptedServer server;
        server.responses = {answer(401), answer(401), answer(200)};
        m_policy.stepUpClaims = [](const Net::HttpResponse &r) {
            return r.status == 401 ? u"{\"access_token\":{}}"_s : QString();
        };
        const auto r = run(server);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 200);
        QCOMPARE(m_tokens.claims, QStringList {u"{\"access_token\":{}}"_s});
        QVERIFY(server.requests.at(1).contains("Authorization: Bearer up\r\n"));
        QCOMPARE(m_tokens.invalidated, QStringList {u"up"_s}); // then the plain 401 retry
        QCOMPARE(server.requests.size(), 3);
    }

    void retryAfterIsWaitedOut()
    {
        ScriptedServer server;
        server.responses = {answer(429, "Retry-After: 0.3\r\n"), answer(200)};
        QList<qint64> waits;
        m_policy.retrying
            = [&waits](const Net::HttpRequest &, const Net::HttpResponse &r, qint64 wait, const QDateTime &) {
                  QCOMPARE(r.status, 429);
                  waits << wait;
              };
        QElapsedTimer elapsed;
        elapsed.start();
        const auto r = run(server);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 200);
        QCOMPARE(waits, QList<qint64> {300});
        QVERIFY(elapsed.elapsed() >= 290);
    }

    void theCountAndTheBudgetEndTheRetries()
    {
        ScriptedServer server;
        server.responses = {answer(503)};
        m_policy.maxRetries = 2;
        int gaveUp = 0;
        m_policy.gaveUp = [&gaveUp](const Net::HttpResponse &, qint64) { ++gaveUp; };
        auto r = run(server);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 503);
        QCOMPARE(server.requests.size(), 3);
        QCOMPARE(gaveUp, 1);

        ScriptedServer slow;
        slow.responses = {answer(429, "Retry-After: 30\r\n")};
        m_policy.maxRetries = 0;
        m_policy.budgetMs = 10'000;
        r = run(slow);
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 429); // a wait past the budget is not begun
        QCOMPARE(slow.requests.size(), 1);
        QCOMPARE(gaveUp, 2);
    }

    void aWriteIsRetriedOnlyWhereThePolicySays()
    {
        ScriptedServer server;
        server.responses = {answer(503), answer(200)};
        const auto r = run(server, "POST");
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 503);
        QCOMPARE(server.requests.size(), 1);
    }

    void theWaitEndsWithTheInjectedClock()
    {
        ScriptedServer server;
        server.responses = {answer(429, "Retry-After: 60\r\n"), answer(200)};
        m_policy.retrying
            = [this](const Net::HttpRequest &, const Net::HttpResponse &, qint64, const QDateTime &at) {
                  QCOMPARE(at, m_clock.t.addSecs(60));
                  m_clock.t = m_clock.t.addSecs(61); // the machine slept through the wait
              };
        const auto r = run(server, "GET", 5000); // far less than the minute on the monotonic clock
        QVERIFY(r && r->ok());
        QCOMPARE(r->value().status, 200);
    }

    void thePaceDecidesWhenEachSendGoes()
    {
        ScriptedServer server;
        server.responses = {answer(401), answer(200)};
        int paced = 0;
        m_policy.pace = [&paced](QObject *context, std::function<void()> send) {
            ++paced;
            QTimer::singleShot(20, context, send);
        };
        const auto r = run(server);
        QVERIFY(r && r->ok());
        QCOMPARE(paced, 2);
        QCOMPARE(server.requests.size(), 2);
    }

    void noTokenNoRequest()
    {
        ScriptedServer server;
        server.responses = {answer(200)};
        m_tokens.refuse = Core::Error::make(Core::Error::Kind::NotSignedIn, u"signed out"_s);
        const auto r = run(server);
        QVERIFY(r);
        QVERIFY(!r->ok());
        QCOMPARE(r->error().kind, Core::Error::Kind::NotSignedIn);
        QVERIFY(server.requests.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAuthorizedCall)
#include "tst_authorizedcall.moc"

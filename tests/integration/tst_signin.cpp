// SPDX-License-Identifier: GPL-3.0-or-later
// Sign-in against the in-process emulator: the test plays the browser; the keychain is the real one
// (Secret Service) when the test runs inside scripts/desktop-session.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "emulator/emulator.h"
#include "net/httpclient.h"
#include "support/browser.h"
#include "support/manualclock.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;
using Core::Error;

Q_DECLARE_METATYPE(Elevate::Core::Result<Elevate::Core::Account>)
Q_DECLARE_METATYPE(Elevate::Core::Result<void>)

namespace {
using AccountResult = Core::Result<Core::Account>;

using Test::Browser;

/// Runs one interactive sign-in with `browser` playing the browser; returns its result.
AccountResult signInWith(Auth::EntraSession &session, Browser &browser)
{
    auto connection = QObject::connect(&session, &Auth::EntraSession::browserUrlReady, &browser.nam,
                                       [&browser](const QUrl &url) { browser.open(url); });
    QSignalSpy finished(&session, &Auth::EntraSession::signInFinished);
    session.signInInteractive();
    const bool done = finished.wait(15'000);
    QObject::disconnect(connection);
    if (!done)
        return Error::make(Error::Kind::Timeout, QStringLiteral("no result"));
    return finished.first().first().value<AccountResult>();
}

bool haveSecretService()
{
    return !qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS");
}

/// The refresh token the session keeps in its (in-memory) keychain entry.
QString storedRefreshToken(const Auth::InMemorySecretStore &secrets)
{
    if (secrets.entries().size() != 1)
        return {};
    return QJsonDocument::fromJson(secrets.entries().begin().value())
        .object()
        .value(QStringLiteral("refreshToken"))
        .toString();
}
} // namespace

class TestSignIn : public QObject
{
    Q_OBJECT
private:
    Emulator::Emulator *m_emulator = nullptr;
    Core::AppConfig m_config;
    QNetworkAccessManager m_adminNam;

    int addFault(const QByteArray &json)
    {
        QNetworkRequest req(QUrl(m_emulator->baseUrl().toString() + QStringLiteral("/_emulator/faults")));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_adminNam.post(req, json);
        const bool done = QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000);
        const int status = done ? reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() : 0;
        reply->deleteLater();
        return status;
    }

    /// Token-endpoint requests the emulator has answered so far.
    int tokenPosts() const
    {
        int n = 0;
        for (const auto &v : m_emulator->state().value(QStringLiteral("httpRequests")).toArray()) {
            const QJsonObject o = v.toObject();
            if (o.value(QStringLiteral("method")).toString() == u"POST"
                && o.value(QStringLiteral("path")).toString().endsWith(u"/oauth2/v2.0/token"))
                ++n;
        }
        return n;
    }

    Core::Result<QString> graphToken(Auth::EntraSession &session)
    {
        std::optional<Core::Result<QString>> out;
        session.requestAccessToken(m_config.graphResource, this,
                                   [&out](Core::Result<QString> t) { out = t; });
        if (!QTest::qWaitFor([&out] { return out.has_value(); }, 10'000))
            return Error::make(Error::Kind::Timeout, QStringLiteral("no token answer"));
        return *out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<AccountResult>();
        qRegisterMetaType<Core::Result<void>>();
    }
    void init()
    {
        m_emulator = new Emulator::Emulator(this);
        QVERIFY(m_emulator->loadBuiltInScenario());
        QVERIFY(m_emulator->listen());
        m_emulator->setAutoSignIn(QStringLiteral("alex@contoso.example"));
        auto cfg = Core::AppConfig::fromJson(m_emulator->configJson());
        QVERIFY(cfg.ok());
        m_config = cfg.value();
        m_config.keychainService = QStringLiteral("Elevate test %1").arg(m_emulator->baseUrl().port());
    }
    void cleanup()
    {
        delete m_emulator;
        m_emulator = nullptr;
    }

    void interactiveSignInRefreshRestoreSignOut()
    {
        if (!haveSecretService())
            QSKIP("no D-Bus session: run inside scripts/desktop-session (scripts/test does)");
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::KeychainSecretStore keychain(m_config.keychainService);
        Test::ManualClock clock(m_emulator->now());
        Auth::EntraSession session(m_config, &http, &keychain, &clock);
        Browser browser;
        QUrl authorizeUrl;
        connect(&session, &Auth::EntraSession::browserUrlReady, this, [&](const QUrl &url) {
            authorizeUrl = url;
            browser.open(url);
        });
        QSignalSpy finished(&session, &Auth::EntraSession::signInFinished);
        session.signInInteractive();
        QVERIFY(finished.wait(15'000));
        const AccountResult result = finished.first().first().value<AccountResult>();
        QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
        QCOMPARE(result->username, QStringLiteral("alex@contoso.example"));
        QCOMPARE(session.state(), Auth::EntraSession::State::SignedIn);

        // What the browser saw: PKCE S256, a long random state, a loopback redirect on localhost.
        const QUrlQuery q(authorizeUrl);
        QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
        QVERIFY(q.queryItemValue(QStringLiteral("state")).size() >= 43);
        const QUrl redirect(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
        QCOMPARE(redirect.host(), QStringLiteral("localhost"));
        QCOMPARE(browser.lastRedirect.port(), redirect.port());
        QTRY_COMPARE(browser.deliveredStatus, 200);
        QVERIFY(browser.deliveredBody.contains("close this tab"));

        // An access token from memory, then a silent refresh once it is near expiry.
        QSignalSpy tokenSpy(this, &QObject::objectNameChanged);
        QString first, second;
        session.requestAccessToken(m_config.graphResource, this, [&](Core::Result<QString> t) {
            QVERIFY(t.ok());
            first = t.value();
        });
        QTRY_VERIFY(!first.isEmpty());
        const int rtsBefore = m_emulator->state()
                                  .value(QStringLiteral("tokens"))
                                  .toObject()
                                  .value(QStringLiteral("refreshTokens"))
                                  .toArray()
                                  .size();
        clock.advance(2 * 3600);
        m_emulator->advanceClock(2 * 3600);
        session.requestAccessToken(m_config.graphResource, this, [&](Core::Result<QString> t) {
            QVERIFY(t.ok());
            second = t.value();
        });
        QTRY_VERIFY(!second.isEmpty());
        QVERIFY(first != second);
        const int rtsAfter = m_emulator->state()
                                 .value(QStringLiteral("tokens"))
                                 .toObject()
                                 .value(QStringLiteral("refreshTokens"))
                                 .toArray()
                                 .size();
        QCOMPARE(rtsAfter, rtsBefore + 1); // the refresh token rotated

        // A new session object restores silently from the keychain.
        Auth::EntraSession restored(m_config, &http, &keychain, &clock);
        QSignalSpy restoredSpy(&restored, &Auth::EntraSession::signInFinished);
        restored.restore();
        QVERIFY(restoredSpy.wait(15'000));
        QVERIFY(restoredSpy.first().first().value<AccountResult>().ok());
        QCOMPARE(restored.account()->objectId, result->objectId);

        // Sign-out removes the keychain entry: a third session finds nothing.
        QSignalSpy out(&restored, &Auth::EntraSession::signedOut);
        restored.signOut();
        QVERIFY(out.wait(10'000));
        QVERIFY(out.first().first().value<Core::Result<void>>().ok());
        bool read = false;
        keychain.read(QStringLiteral("entra:%1:%2:%3")
                          .arg(QUrl(m_config.authorityHost).authority(), m_config.tenant, m_config.clientId),
                      this, [&](Core::Result<std::optional<QByteArray>> r) {
                          QVERIFY(r.ok());
                          QVERIFY(!r.value().has_value());
                          read = true;
                      });
        QTRY_VERIFY(read);
        Auth::EntraSession third(m_config, &http, &keychain, &clock);
        QSignalSpy thirdSpy(&third, &Auth::EntraSession::signInFinished);
        third.restore();
        QVERIFY(thirdSpy.wait(10'000));
        QCOMPARE(thirdSpy.first().first().value<AccountResult>().error().kind, Error::Kind::NotSignedIn);
    }

    void tokenEndpointErrorThenRetryWorks()
    {
        // A wrong client id: Entra answers with an AADSTS page, no redirect; the attempt times out
        // or is cancelled, and the next attempt with the right configuration works.
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        Core::AppConfig broken = m_config;
        broken.tenant = QStringLiteral("00000000-0000-0000-0000-000000000000");
        broken.signInTimeoutSeconds = 10;
        Auth::EntraSession session(broken, &http, &secrets, &clock);
        Browser browser;
        connect(&session, &Auth::EntraSession::browserUrlReady, this,
                [&](const QUrl &url) { browser.open(url); });
        QSignalSpy finished(&session, &Auth::EntraSession::signInFinished);
        session.signInInteractive();
        QTest::qWait(500);
        QVERIFY(!browser.lastRedirect.isValid()); // unknown tenant: error page, no redirect
        session.cancelSignIn();
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.first().first().value<AccountResult>().error().kind, Error::Kind::Cancelled);

        Auth::EntraSession good(m_config, &http, &secrets, &clock);
        QVERIFY(signInWith(good, browser).ok());
        QCOMPARE(secrets.entries().size(), 1);
        // The stored blob holds the refresh token, never an access token.
        const QByteArray blob = secrets.entries().begin().value();
        const QJsonArray ats = m_emulator->state()
                                   .value(QStringLiteral("tokens"))
                                   .toObject()
                                   .value(QStringLiteral("accessTokens"))
                                   .toArray();
        for (const auto &at : ats)
            QVERIFY(!blob.contains(at.toString().toLatin1()));
    }

    void lockedKeychainFailsClearly()
    {
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        secrets.setFailing(true);
        Core::SystemClock clock;
        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        Browser browser;
        QCOMPARE(signInWith(session, browser).error().kind, Error::Kind::Keychain);
        QCOMPARE(session.state(), Auth::EntraSession::State::SignedOut);
        QVERIFY(!session.account());
    }

    void restoreWhileOfflineStaysSignedIn()
    {
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        {
            Auth::EntraSession session(m_config, &http, &secrets, &clock);
            Browser browser;
            connect(&session, &Auth::EntraSession::browserUrlReady, this,
                    [&](const QUrl &url) { browser.open(url); });
            QSignalSpy finished(&session, &Auth::EntraSession::signInFinished);
            session.signInInteractive();
            QVERIFY(finished.wait(15'000));
            QVERIFY(finished.first().first().value<AccountResult>().ok());
        }
        delete m_emulator; // the service goes away
        m_emulator = nullptr;
        Auth::EntraSession offline(m_config, &http, &secrets, &clock);
        QSignalSpy restored(&offline, &Auth::EntraSession::signInFinished);
        offline.restore();
        QVERIFY(restored.wait(15'000));
        QVERIFY(restored.first().first().value<AccountResult>().ok());
        QCOMPARE(offline.state(), Auth::EntraSession::State::SignedIn);
        std::optional<Core::Result<QString>> token;
        offline.requestAccessToken(m_config.graphResource, this, [&](Core::Result<QString> t) { token = t; });
        QTRY_VERIFY(token.has_value());
        QCOMPARE(token->error().kind, Error::Kind::Network);
        QCOMPARE(offline.state(), Auth::EntraSession::State::SignedIn); // still there for the next try
        QCOMPARE(secrets.entries().size(), 1);
    }

    /// A browser that resolves the redirect's `localhost` to ::1 (Debian's /etc/hosts lists both)
    /// delivers the code to Elevate, on the redirect's port, and the sign-in completes (issue 12).
    void browserPreferringIpv6StillSignsIn()
    {
        {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHostIPv6, 0))
                QSKIP("no IPv6 loopback on this machine");
        }
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        QNetworkAccessManager browserNam;
        QUrl delivered;
        int deliveredStatus = 0;
        connect(&session, &Auth::EntraSession::browserUrlReady, this, [&](const QUrl &url) {
            QNetworkRequest req(url);
            req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
            QNetworkReply *reply = browserNam.get(req);
            connect(reply, &QNetworkReply::finished, reply, [&, reply] {
                reply->deleteLater();
                QUrl location = reply->header(QNetworkRequest::LocationHeader).toUrl();
                if (location.host() != u"localhost")
                    return;
                location.setHost(QStringLiteral("::1"));
                delivered = location;
                QNetworkReply *second = browserNam.get(QNetworkRequest(location));
                connect(second, &QNetworkReply::finished, second, [&, second] {
                    second->deleteLater();
                    deliveredStatus = second->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                });
            });
        });
        QSignalSpy finished(&session, &Auth::EntraSession::signInFinished);
        session.signInInteractive();
        QVERIFY(finished.wait(15'000));
        const AccountResult r = finished.first().first().value<AccountResult>();
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->username, QStringLiteral("alex@contoso.example"));
        QCOMPARE(delivered.host(), QStringLiteral("::1"));
        QTRY_COMPARE(deliveredStatus, 200);
        QVERIFY(!storedRefreshToken(secrets).isEmpty());
    }

    void deviceCodeFlow()
    {
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        QSignalSpy code(&session, &Auth::EntraSession::deviceCodeReady);
        QSignalSpy finished(&session, &Auth::EntraSession::signInFinished);
        session.signInWithDeviceCode();
        QVERIFY(code.wait(5000));
        QVERIFY(code.first().at(2).toString().contains(code.first().at(0).toString()));
        QVERIFY(finished.wait(30'000));
        const AccountResult r = finished.first().first().value<AccountResult>();
        QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
        QCOMPARE(r->username, QStringLiteral("alex@contoso.example"));
    }

    void transientTokenErrorsKeepTheSignIn_data()
    {
        QTest::addColumn<QByteArray>("fault");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("waitSecs");
        // Without Retry-After the first wait is the backoff's 5 s; a Retry-After is honoured in full.
        QTest::newRow("503") << QByteArray(R"("status":503)") << 503 << 5;
        QTest::newRow("500 server_error") << QByteArray(R"("status":500)") << 500 << 5;
        QTest::newRow("429 Retry-After 2 min")
            << QByteArray(R"("status":429,"retryAfter":"120")") << 429 << 120;
        QTest::newRow("503 Retry-After 2 h")
            << QByteArray(R"("status":503,"retryAfter":"7200")") << 503 << 7200;
        QTest::newRow("400 temporarily_unavailable")
            << QByteArray(R"("status":400,"oauthError":"temporarily_unavailable")") << 400 << 5;
    }
    void transientTokenErrorsKeepTheSignIn()
    {
        QFETCH(QByteArray, fault);
        QFETCH(int, status);
        QFETCH(int, waitSecs);
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Test::ManualClock clock(m_emulator->now());
        Browser browser;
        {
            Auth::EntraSession first(m_config, &http, &secrets, &clock);
            QVERIFY(signInWith(first, browser).ok());
        }
        const QString rt = storedRefreshToken(secrets);
        QVERIFY(!rt.isEmpty());

        // Restore: Entra fails transiently. The sign-in stays, refresh token and all.
        QCOMPARE(addFault(R"({"path":"/oauth2/v2.0/token",)" + fault + "}"), 201);
        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        QSignalSpy restored(&session, &Auth::EntraSession::signInFinished);
        session.restore();
        QVERIFY(restored.wait(15'000));
        const AccountResult result = restored.first().first().value<AccountResult>();
        QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
        QCOMPARE(session.state(), Auth::EntraSession::State::SignedIn);
        QCOMPARE(session.account()->username, QStringLiteral("alex@contoso.example"));
        QCOMPARE(storedRefreshToken(secrets), rt);

        // Until the wait is over, token requests fail at once with Entra's answer, without asking again.
        const int posts = tokenPosts();
        const auto early = graphToken(session);
        QVERIFY(!early.ok());
        QCOMPARE(early.error().httpStatus, status);
        QCOMPARE(int(early.error().source), int(Error::Source::Entra));
        clock.advance(waitSecs - 1);
        QVERIFY(!graphToken(session).ok());
        QCOMPARE(tokenPosts(), posts);
        QCOMPARE(session.state(), Auth::EntraSession::State::SignedIn);

        // Then the next request refreshes, and works.
        clock.advance(1);
        const auto later = graphToken(session);
        QVERIFY2(later.ok(), qPrintable(later.ok() ? QString() : later.error().message));
        QCOMPARE(tokenPosts(), posts + 1);
    }

    void transientRefreshFailuresBackOffWithinBounds()
    {
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Test::ManualClock clock(m_emulator->now());
        Browser browser;
        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        QVERIFY(signInWith(session, browser).ok());
        QVERIFY(graphToken(session).ok());
        clock.advance(2 * 3600); // the access token is over: the next request refreshes
        QCOMPARE(addFault(R"({"path":"/oauth2/v2.0/token","status":503,"count":9})"), 201);
        const int posts = tokenPosts();
        QVERIFY(!graphToken(session).ok());
        QCOMPARE(tokenPosts(), posts + 1);
        // 5 s, doubling, never more than 5 min; each wait is kept, then the refresh is tried again.
        const QList<int> waits {5, 10, 20, 40, 80, 160, 300, 300};
        for (int i = 0; i < waits.size(); ++i) {
            clock.advance(waits.at(i) - 1);
            QVERIFY(!graphToken(session).ok());
            QCOMPARE(tokenPosts(), posts + 1 + i);
            clock.advance(1);
            QVERIFY(!graphToken(session).ok());
            QCOMPARE(tokenPosts(), posts + 2 + i);
            QCOMPARE(session.state(), Auth::EntraSession::State::SignedIn);
        }
        clock.advance(300);
        const auto recovered = graphToken(session);
        QVERIFY2(recovered.ok(), qPrintable(recovered.ok() ? QString() : recovered.error().message));
        // Once it worked, the next failure starts the backoff again at 5 s.
        clock.advance(2 * 3600);
        QCOMPARE(addFault(R"({"path":"/oauth2/v2.0/token","status":503})"), 201);
        QVERIFY(!graphToken(session).ok());
        clock.advance(5);
        QVERIFY(graphToken(session).ok());
    }

    void interactionRequiredKeepsTheRefreshTokenAndPassesClaims_data()
    {
        QTest::addColumn<bool>("atRestore");
        QTest::newRow("refresh") << false;
        QTest::newRow("restore") << true;
    }
    void interactionRequiredKeepsTheRefreshTokenAndPassesClaims()
    {
        QFETCH(bool, atRestore);
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Test::ManualClock clock(m_emulator->now());
        Browser browser;
        auto session = std::make_unique<Auth::EntraSession>(m_config, &http, &secrets, &clock);
        QVERIFY(signInWith(*session, browser).ok());
        const QString rt = storedRefreshToken(secrets);
        const QByteArray claims = R"({"access_token":{"capolids":{"essential":true,"values":["p1"]}}})";
        const QJsonObject fault {{QStringLiteral("path"), QStringLiteral("/oauth2/v2.0/token")},
                                 {QStringLiteral("status"), 400},
                                 {QStringLiteral("oauthError"), QStringLiteral("interaction_required")},
                                 {QStringLiteral("claims"), QString::fromUtf8(claims)}};
        QCOMPARE(addFault(QJsonDocument(fault).toJson()), 201);
        if (atRestore) {
            session = std::make_unique<Auth::EntraSession>(m_config, &http, &secrets, &clock);
            QSignalSpy restored(session.get(), &Auth::EntraSession::signInFinished);
            session->restore();
            QVERIFY(restored.wait(15'000));
            const AccountResult r = restored.first().first().value<AccountResult>();
            QVERIFY(!r.ok());
            QCOMPARE(r.error().kind, Error::Kind::InteractionRequired);
            QCOMPARE(r.error().claims.toUtf8(), claims);
        } else {
            clock.advance(2 * 3600);
            const auto token = graphToken(*session);
            QVERIFY(!token.ok());
            QCOMPARE(token.error().kind, Error::Kind::InteractionRequired);
            QCOMPARE(token.error().claims.toUtf8(), claims);
        }
        // Only the user can go on, but the refresh token is not thrown away (MSAL keeps it).
        QCOMPARE(session->state(), Auth::EntraSession::State::SignedOut);
        QCOMPARE(storedRefreshToken(secrets), rt);
        QCOMPARE(graphToken(*session).error().kind, Error::Kind::NotSignedIn);

        // The next interactive sign-in carries Entra's claims (with the client capability) and the user.
        QUrl authorize;
        auto seen = connect(session.get(), &Auth::EntraSession::browserUrlReady, this,
                            [&authorize](const QUrl &url) { authorize = url; });
        QVERIFY(signInWith(*session, browser).ok());
        const QUrlQuery q(authorize);
        const QJsonObject asked
            = QJsonDocument::fromJson(q.queryItemValue(QStringLiteral("claims"), QUrl::FullyDecoded).toUtf8())
                  .object()
                  .value(QStringLiteral("access_token"))
                  .toObject();
        QCOMPARE(asked.value(QStringLiteral("capolids")).toObject().value(QStringLiteral("values")).toArray(),
                 QJsonArray {QStringLiteral("p1")});
        QVERIFY(asked.contains(QStringLiteral("xms_cc")));
        QCOMPARE(q.queryItemValue(QStringLiteral("login_hint"), QUrl::FullyDecoded),
                 QStringLiteral("alex@contoso.example"));
        QCOMPARE(session->state(), Auth::EntraSession::State::SignedIn);
        QVERIFY(graphToken(*session).ok());
        QVERIFY(storedRefreshToken(secrets) != rt); // the new sign-in replaced it

        // Claims are for that one sign-in: the one after carries none.
        authorize.clear();
        QVERIFY(signInWith(*session, browser).ok());
        disconnect(seen);
        QVERIFY(authorize.isValid());
        QVERIFY(!QUrlQuery(authorize).hasQueryItem(QStringLiteral("claims")));
    }

    void otherTokenErrorsStillSignOut()
    {
        // Entra refusing the client is not transient: the sign-in ends (and says why).
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Test::ManualClock clock(m_emulator->now());
        Browser browser;
        {
            Auth::EntraSession first(m_config, &http, &secrets, &clock);
            QVERIFY(signInWith(first, browser).ok());
        }
        QCOMPARE(addFault(R"({"path":"/oauth2/v2.0/token","status":401,"oauthError":"invalid_client"})"),
                 201);
        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        QSignalSpy restored(&session, &Auth::EntraSession::signInFinished);
        session.restore();
        QVERIFY(restored.wait(15'000));
        const AccountResult r = restored.first().first().value<AccountResult>();
        QVERIFY(!r.ok());
        QCOMPARE(r.error().httpStatus, 401);
        QCOMPARE(session.state(), Auth::EntraSession::State::SignedOut);
    }

    // issue 12, "What bad input gets": an entry Elevate did not write (or no longer can read) is no
    // sign-in. Restore says so, nothing of the entry is shown, and the next sign-in overwrites it.
    void corruptKeychainEntryIsNoSignIn_data()
    {
        QTest::addColumn<QByteArray>("entry");
        QTest::addColumn<bool>("parseable"); // what Elevate wrote, with a refresh token Entra refuses
        const QByteArray valid
            = R"({"v":1,"account":{"homeAccountId":"h.t","objectId":"o","tenantId":"t","username":"u@x",)"
              R"("displayName":"U"},"refreshToken":"RT-CORRUPT-MARKER"})";
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("not JSON") << QByteArray("RT-CORRUPT-MARKER not json") << false;
        QTest::newRow("truncated") << valid.left(valid.size() - 20) << false;
        QTest::newRow("array") << QByteArray(R"(["RT-CORRUPT-MARKER"])") << false;
        QTest::newRow("no version") << QByteArray(valid).replace(R"("v":1,)", "") << false;
        QTest::newRow("version a string") << QByteArray(valid).replace(R"("v":1)", R"("v":"x")") << false;
        QTest::newRow("version null") << QByteArray(valid).replace(R"("v":1)", R"("v":null)") << false;
        QTest::newRow("version an object") << QByteArray(valid).replace(R"("v":1)", R"("v":{})") << false;
        QTest::newRow("other version") << QByteArray(valid).replace(R"("v":1)", R"("v":2)") << false;
        QTest::newRow("huge version") << QByteArray(valid).replace(R"("v":1)", R"("v":1e400)") << false;
        QTest::newRow("account a string")
            << QByteArray(R"({"v":1,"account":"u@x","refreshToken":"RT-CORRUPT-MARKER"})") << false;
        QTest::newRow("ids of the wrong type")
            << QByteArray(valid).replace(R"("objectId":"o")", R"("objectId":7)") << false;
        QTest::newRow("refresh token a number")
            << QByteArray(valid).replace(R"("RT-CORRUPT-MARKER")", "12345") << false;
        QTest::newRow("empty refresh token")
            << QByteArray(valid).replace(R"("RT-CORRUPT-MARKER")", R"("")") << false;
        QTest::newRow("not UTF-8") << QByteArray(valid).replace("RT-CORRUPT-MARKER",
                                                                "RT-CORRUPT-MARKER\xff\xfe")
                                   << false;
        const QByteArray huge = QByteArray("RT-CORRUPT-MARKER") + QByteArray(1 << 20, 'A');
        QTest::newRow("huge refresh token") << QByteArray(valid).replace("RT-CORRUPT-MARKER", huge) << true;
        QTest::newRow("refresh token Entra does not know") << valid << true;
    }

    void corruptKeychainEntryIsNoSignIn()
    {
        QFETCH(QByteArray, entry);
        QFETCH(bool, parseable);
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Test::ManualClock clock(m_emulator->now());
        const QString key
            = QStringLiteral("entra:%1:%2:%3")
                  .arg(QUrl(m_config.authorityHost).authority(), m_config.tenant, m_config.clientId);
        bool planted = false;
        secrets.write(key, entry, this, [&planted](Core::Result<void> r) { planted = r.ok(); });
        QTRY_VERIFY(planted);

        Auth::EntraSession session(m_config, &http, &secrets, &clock);
        std::optional<Core::Result<std::optional<Core::Account>>> saved;
        session.readSavedAccount(this, [&saved](Core::Result<std::optional<Core::Account>> r) { saved = r; });
        QTRY_VERIFY(saved.has_value());
        QVERIFY(saved->ok());
        QCOMPARE(saved->value().has_value(), parseable);

        QSignalSpy restored(&session, &Auth::EntraSession::signInFinished);
        session.restore();
        QVERIFY(restored.wait(15'000));
        const AccountResult r = restored.first().first().value<AccountResult>();
        QVERIFY(!r.ok());
        QVERIFY2(r.error().kind == Error::Kind::NotSignedIn
                     || r.error().kind == Error::Kind::InteractionRequired,
                 qPrintable(r.error().message));
        if (!parseable)
            QCOMPARE(r.error().message, QStringLiteral("the saved sign-in could not be read; sign in again"));
        QVERIFY(!r.error().message.contains(u"RT-CORRUPT"));
        QVERIFY(!r.error().claims.contains(u"RT-CORRUPT"));
        QCOMPARE(session.state(), Auth::EntraSession::State::SignedOut);
        QVERIFY(!session.account());
        std::optional<Core::Result<QString>> token;
        session.requestAccessToken(m_config.graphResource, this,
                                   [&token](Core::Result<QString> t) { token = t; });
        QTRY_VERIFY(token.has_value());
        QCOMPARE(token->error().kind, Error::Kind::NotSignedIn);

        // The sign-in is still possible and replaces the entry with one that restores.
        Browser browser;
        const AccountResult signedIn = signInWith(session, browser);
        QVERIFY2(signedIn.ok(), qPrintable(signedIn.ok() ? QString() : signedIn.error().message));
        QCOMPARE(secrets.entries().size(), 1);
        QVERIFY(secrets.entries().value(key) != entry);
        QVERIFY(!secrets.entries().value(key).contains("RT-CORRUPT"));
        QVERIFY(!storedRefreshToken(secrets).isEmpty());
        Auth::EntraSession next(m_config, &http, &secrets, &clock);
        QSignalSpy again(&next, &Auth::EntraSession::signInFinished);
        next.restore();
        QVERIFY(again.wait(15'000));
        QVERIFY(again.first().first().value<AccountResult>().ok());
        QCOMPARE(next.account()->objectId, signedIn->objectId);
    }
};

QTEST_GUILESS_MAIN(TestSignIn)
#include "tst_signin.moc"

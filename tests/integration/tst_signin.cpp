// SPDX-License-Identifier: GPL-3.0-or-later
// Sign-in against the in-process emulator: the test plays the browser; the keychain is the real one
// (Secret Service) when the test runs inside scripts/desktop-session.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "emulator/emulator.h"
#include "net/httpclient.h"
#include "support/browser.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
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
} // namespace

class TestSignIn : public QObject
{
    Q_OBJECT
private:
    Emulator::Emulator *m_emulator = nullptr;
    Core::AppConfig m_config;

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
        Core::ManualClock clock(m_emulator->now());
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
};

QTEST_GUILESS_MAIN(TestSignIn)
#include "tst_signin.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// PortalClient role discovery at organisation scale and the console sign-in token with its fallback,
// against the in-process emulator over real HTTP: 5,050 generated accounts (51 pages of ListAccounts at
// the documented 100 a page), one account that keeps failing, one throttled for a moment, one without an
// assignment; a sign-out mid-way; and getSigninToken when the federation endpoint refuses SessionDuration
// (settings.federationRefusesSessionDuration). The Identity Center token comes straight from the
// emulator's OIDC (the sign-in itself is tst_idcsession's business).

#include "aws/console.h"
#include "aws/portalclient.h"
#include "core/accesstokenprovider.h"
#include "core/awsendpoints.h"
#include "core/config.h"
#include "emulator/emulator.h"
#include "net/httpclient.h"
#include "support/manualclock.h"
#include "support/testsupport.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSet>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include <memory>
#include <optional>

using namespace Elevate;
using namespace Qt::StringLiterals;
using Core::Error;
using Test::describe;

namespace {

constexpr int kWaitMs = 60'000;
constexpr int kGenerated = 5'050;
const QString kLee = u"lee@contoso.example"_s;
const QString kShared = u"345678901234"_s; // lee: ViewOnlyAccess (PT12H), permanently
const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kCallback = u"http://127.0.0.1:53421/oauth/callback"_s;

QString generatedId(int i)
{
    return u"%1"_s.arg(500'000'000'000LL + i, 12, 10, QLatin1Char('0'));
}

/// One fixed Identity Center token; counts what the client asks of it.
class FixedTokens : public Core::AccessTokenProvider
{
public:
    QString token;
    int invalidated = 0;
    void requestAccessToken(const QString &, QObject *, Callback callback) override { callback(token); }
    void invalidateAccessToken(const QString &, const QString &) override { ++invalidated; }
};

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString enc(const QString &s)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(s));
}

} // namespace

class TestPortal : public QObject
{
    Q_OBJECT
    std::unique_ptr<Emulator::Emulator> m_emulator;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    std::unique_ptr<Net::HttpClient> m_http;
    std::unique_ptr<Test::ManualClock> m_clock;
    FixedTokens m_tokens;
    Core::AppConfig m_config;
    std::unique_ptr<Aws::PortalClient> m_portal;

    /// A request to the emulator (admin, OIDC or the browser's side); the status and the JSON body.
    int call(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
             QJsonObject *json = nullptr, QUrl *location = nullptr)
    {
        QNetworkRequest req(url);
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        if (!body.isEmpty())
            req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_nam->sendCustomRequest(req, method, body);
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, kWaitMs))
            return 0;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (json)
            *json = QJsonDocument::fromJson(reply->readAll()).object();
        if (location)
            *location = reply->header(QNetworkRequest::LocationHeader).toUrl();
        reply->deleteLater();
        return status;
    }
    QUrl at(const QString &path) const { return QUrl(m_emulator->baseUrl().toString() + path); }
    int admin(const QString &what, const QJsonObject &body)
    {
        return call("POST", at(u"/_emulator/"_s + what), compact(body));
    }
    int fault(const QString &path, const QString &query, int status, int count,
              const QString &retryAfter = {})
    {
        QJsonObject f {{u"path"_s, path}, {u"status"_s, status}, {u"count"_s, count}};
        if (!query.isEmpty())
            f.insert(u"query"_s, query);
        if (!retryAfter.isEmpty())
            f.insert(u"retryAfter"_s, retryAfter);
        return admin(u"faults"_s, f);
    }

    /// Lee's Identity Center access token, by the code flow with PKCE.
    QString signIn()
    {
        QJsonObject client;
        const QJsonObject reg {{u"clientName"_s, u"tst-portal"_s},
                               {u"clientType"_s, u"public"_s},
                               {u"scopes"_s, QJsonArray {u"sso:account:access"_s}},
                               {u"grantTypes"_s, QJsonArray {u"authorization_code"_s, u"refresh_token"_s}},
                               {u"redirectUris"_s, QJsonArray {u"http://127.0.0.1/oauth/callback"_s}},
                               {u"issuerUrl"_s, m_config.aws.startUrl}};
        if (call("POST", at(u"/client/register"_s), compact(reg), &client) != 200)
            return {};
        QUrlQuery q;
        q.addQueryItem(u"response_type"_s, u"code"_s);
        q.addQueryItem(u"client_id"_s, enc(client.value(u"clientId"_s).toString()));
        q.addQueryItem(u"redirect_uri"_s, enc(kCallback));
        q.addQueryItem(u"state"_s, u"s1"_s);
        q.addQueryItem(u"code_challenge_method"_s, u"S256"_s);
        q.addQueryItem(u"scopes"_s, enc(u"sso:account:access"_s));
        q.addQueryItem(u"code_challenge"_s, QString::fromLatin1(kChallenge));
        QUrl authorize = at(u"/authorize"_s);
        authorize.setQuery(q);
        QUrl redirect;
        call("GET", authorize, {}, nullptr, &redirect);
        QJsonObject token;
        const QJsonObject body {
            {u"clientId"_s, client.value(u"clientId"_s)},
            {u"clientSecret"_s, client.value(u"clientSecret"_s)},
            {u"grantType"_s, u"authorization_code"_s},
            {u"code"_s, QUrlQuery(redirect).queryItemValue(u"code"_s, QUrl::FullyDecoded)},
            {u"redirectUri"_s, kCallback},
            {u"codeVerifier"_s, QString::fromLatin1(kVerifier)}};
        call("POST", at(u"/token"_s), compact(body), &token);
        return token.value(u"accessToken"_s).toString();
    }

    /// The emulator with `generated` accounts for lee (0: the demo as it is), listening, lee signed in;
    /// the client paced at `perSecond` portal requests (by default out of the way of the counts).
    bool start(int generated, int perSecond = 1'000'000)
    {
        m_portal.reset();
        m_emulator = std::make_unique<Emulator::Emulator>();
        QJsonObject root = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        if (generated > 0) {
            QJsonObject aws = root.value(u"aws"_s).toObject();
            aws.insert(u"generatedAccounts"_s,
                       QJsonObject {{u"count"_s, generated},
                                    {u"user"_s, kLee},
                                    {u"roleNames"_s, QJsonArray {u"ReadOnlyAccess"_s, u"Billing"_s}},
                                    {u"firstId"_s, generatedId(0)},
                                    {u"namePrefix"_s, u"tenant"_s}});
            root.insert(u"aws"_s, aws);
        }
        QString error;
        if (!m_emulator->loadScenario(QJsonDocument(root).toJson(), &error) || !m_emulator->listen()) {
            qWarning() << "emulator:" << error;
            return false;
        }
        m_emulator->setAutoSignIn(kLee);
        const auto config = Core::AppConfig::fromJson(m_emulator->configJson());
        if (!config.ok()) {
            qWarning() << "config:" << config.error().message;
            return false;
        }
        m_config = config.value();
        m_clock = std::make_unique<Test::ManualClock>(m_emulator->now());
        m_tokens.token = signIn();
        m_tokens.invalidated = 0;
        if (m_tokens.token.isEmpty())
            return false;
        m_config.aws.portalRequestsPerSecond = perSecond;
        m_portal = std::make_unique<Aws::PortalClient>(m_config.aws, m_http.get(), &m_tokens, m_clock.get());
        return true;
    }

    struct Run
    {
        std::optional<Core::Result<Aws::Discovery>> result;
        QList<QPair<int, int>> progress;
    };
    std::shared_ptr<Run> discover(int concurrency = 6)
    {
        auto run = std::make_shared<Run>();
        // A plain event loop, not qWaitFor: its 10 ms naps between turns would dominate 5,000 round trips.
        QEventLoop loop;
        QTimer::singleShot(kWaitMs, &loop, &QEventLoop::quit);
        m_portal->discoverRoles(
            this,
            [run](int done, int total) {
                run->progress.append({done, total});
            },
            [run, &loop](Core::Result<Aws::Discovery> r) {
                run->result = std::move(r);
                loop.quit();
            },
            concurrency);
        if (!run->result)
            loop.exec();
        return run;
    }

    std::optional<Core::Result<Aws::RoleCredentials>> credentials()
    {
        std::optional<Core::Result<Aws::RoleCredentials>> out;
        m_portal->getRoleCredentials(kShared, u"ViewOnlyAccess"_s, this,
                                     [&out](Core::Result<Aws::RoleCredentials> c) { out = std::move(c); });
        (void)QTest::qWaitFor([&out] { return out.has_value(); }, kWaitMs);
        return out;
    }
    std::optional<Core::Result<Aws::Console::SigninToken>> signinToken(const Aws::RoleCredentials &c,
                                                                       qint64 secs)
    {
        std::optional<Core::Result<Aws::Console::SigninToken>> out;
        Aws::Console::requestSigninToken(
            m_http.get(), Core::awsFederationEndpoint(m_config.aws), c, secs, this,
            [&out](Core::Result<Aws::Console::SigninToken> t) { out = std::move(t); });
        (void)QTest::qWaitFor([&out] { return out.has_value(); }, kWaitMs);
        return out;
    }

    int throttledAnswers() const
    {
        int n = 0;
        for (const auto &r : m_emulator->state().value(u"httpRequests"_s).toArray())
            n += r.toObject().value(u"status"_s).toInt() == 429;
        return n;
    }

    /// 40 accounts' roles, the client paced at `perSecond`, the portal allowing 10 a second: every
    /// role found; the number of 429 answers the portal gave.
    int discoverAgainstTenASecond(int perSecond)
    {
        if (!start(40, perSecond)
            || admin(u"settings"_s,
                     {{u"portalRateLimit"_s, QJsonObject {{u"requests"_s, 10}, {u"perSeconds"_s, 1}}}})
                != 200)
            return -1;
        const auto run = discover(6);
        if (!run->result || !run->result->ok() || !run->result->value().isComplete()
            || run->result->value().roles.size() != 40 * 2 + 1) {
            qWarning() << "discovery:" << (run->result ? describe(*run->result) : "no answer");
            return -1;
        }
        return throttledAnswers();
    }

private Q_SLOTS:
    void initTestCase()
    {
        // Thousands of requests: the per-request lines of the emulator and the client would drown the log.
        QLoggingCategory::setFilterRules(u"elevate.emulator.info=false\nelevate.aws.info=false"_s);
    }
    void init()
    {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_http = std::make_unique<Net::HttpClient>(m_nam.get());
    }
    void cleanup()
    {
        m_portal.reset();
        m_emulator.reset();
        m_http.reset();
        m_nam.reset();
    }

    // Past 5,000 accounts; one keeps failing, one is throttled for a moment, one has no assignment.
    void discoveryOfThousandsSurvivesAFailingAccount()
    {
        QVERIFY(start(kGenerated));
        // The portal's own rate limit stays out of the count (aStillThrottledAccount… is about that).
        QCOMPARE(
            admin(u"settings"_s,
                  {{u"portalRateLimit"_s, QJsonObject {{u"requests"_s, 1'000'000}, {u"perSeconds"_s, 1}}}}),
            200);
        const QString failing = generatedId(100), throttled = generatedId(200), forbidden = generatedId(300);
        // Every attempt of one account's ListAccountRoles fails (Retry-After 0 keeps the test quick).
        QCOMPARE(fault(u"/assignment/roles"_s, u"account_id="_s + failing, 500, 4, u"0"_s), 201);
        QCOMPARE(fault(u"/assignment/roles"_s, u"account_id="_s + throttled, 429, 2, u"0"_s), 201);
        QCOMPARE(fault(u"/assignment/roles"_s, u"account_id="_s + forbidden, 403, 1), 201);

        const auto run = discover();
        QVERIFY2(run->result && run->result->ok(),
                 run->result ? describe(*run->result).constData() : "no answer");
        const Aws::Discovery &d = run->result->value();
        const int accounts = kGenerated + 1; // and lee's own of the demo
        QCOMPARE(d.accounts, accounts);
        QCOMPARE(run->progress.first(), qMakePair(0, accounts));
        QCOMPARE(run->progress.last(), qMakePair(accounts, accounts));

        // The failing account is reported, with why; the one with no assignment is not a failure.
        QCOMPARE(d.failures.size(), 1);
        QVERIFY(!d.isComplete());
        QCOMPARE(d.failures.first().account.accountId, failing);
        QCOMPARE(d.failures.first().account.accountName, u"tenant-00101"_s);
        QCOMPARE(d.failures.first().error.httpStatus, 500);
        QCOMPARE(d.failures.first().error.serviceCode, u"InternalServerException"_s);

        // Every other account's roles, the throttled one's included.
        QCOMPARE(d.roles.size(), (kGenerated - 2) * 2 + 1);
        QSet<QString> keys;
        for (const auto &r : d.roles)
            keys.insert(r.accountId + u'/' + r.roleName);
        QCOMPARE(keys.size(), int(d.roles.size()));
        QVERIFY(keys.contains(kShared + u"/ViewOnlyAccess"_s));
        QVERIFY(keys.contains(throttled + u"/ReadOnlyAccess"_s));
        QVERIFY(keys.contains(generatedId(kGenerated - 1) + u"/Billing"_s)); // the last page's last
        QVERIFY(!keys.contains(failing + u"/ReadOnlyAccess"_s));
        QVERIFY(!keys.contains(forbidden + u"/ReadOnlyAccess"_s));

        // The round trips: 51 pages of 100, one ListAccountRoles each, and the retries (3 + 2).
        QCOMPARE(m_portal->requestCount(), (accounts + 99) / 100 + accounts + 3 + 2);
        QCOMPARE(m_tokens.invalidated, 0);
    }

    // The portal publishes no limit and answers bursts with 429: at the configured pace, six
    // accounts asked at once never go past it.
    void discoveryKeepsToThePace()
    {
        QCOMPARE(discoverAgainstTenASecond(10), 0);
        QCOMPARE(m_portal->requestCount(), 1 + 41); // one page, one call per account, no retry
    }

    // Configured faster than the portal allows: the first 429s halve the pace, so the rest of the
    // discovery goes through with few refusals instead of most.
    void aThrottledPaceSlowsDown()
    {
        const int refused = discoverAgainstTenASecond(80);
        QVERIFY2(refused >= 1 && refused <= 6, QByteArray::number(refused).constData());
    }

    // Throttled through all of a call's retries: asked again a little later, one account at a time.
    void aStillThrottledAccountIsAskedAgainLater()
    {
        QVERIFY(start(4));
        const QString throttled = generatedId(2);
        QCOMPARE(fault(u"/assignment/roles"_s, u"account_id="_s + throttled, 429, 5, u"0"_s), 201);
        const auto run = discover();
        QVERIFY2(run->result && run->result->ok(),
                 run->result ? describe(*run->result).constData() : "no answer");
        QVERIFY2(run->result->value().isComplete(),
                 run->result->value().failures.isEmpty()
                     ? ""
                     : qPrintable(run->result->value().failures.first().error.message));
        QCOMPARE(run->result->value().roles.size(), 4 * 2 + 1);
        // 1 page, 5 accounts, and the throttled one's 5 refused attempts.
        QCOMPARE(m_portal->requestCount(), 1 + 5 + 5);
    }

    // Signed out mid-way: one error, not a failure per account.
    void aSignOutEndsDiscovery()
    {
        QVERIFY(start(20));
        QCOMPARE(fault(u"/assignment/roles"_s, u"account_id="_s + generatedId(5), 401, 2), 201);
        const auto run = discover(2);
        QVERIFY(run->result);
        QVERIFY(!run->result->ok());
        QCOMPARE(run->result->error().kind, Error::Kind::InteractionRequired);
        QCOMPARE(m_tokens.invalidated, 1); // the token was dropped once, the fresh one refused too
    }

    void aFailingAccountListIsAnError()
    {
        QVERIFY(start(0));
        QCOMPARE(fault(u"/assignment/accounts"_s, {}, 500, 4, u"0"_s), 201);
        const auto run = discover();
        QVERIFY(run->result);
        QVERIFY(!run->result->ok());
        QCOMPARE(run->result->error().httpStatus, 500);
        QVERIFY(run->progress.isEmpty());
    }

    // A portal that hands out the same page token again would page forever: an error, not a silent cut.
    void aListThatRepeatsItsPageTokenIsAnError()
    {
        QVERIFY(start(0));
        const QJsonObject f {
            {u"path"_s, u"/assignment/accounts"_s},
            {u"status"_s, 200},
            {u"count"_s, 3},
            {u"body"_s, uR"({"nextToken": "again", "accountList": [{"accountId": "345678901234"}]})"_s}};
        QCOMPARE(admin(u"faults"_s, f), 201);
        const auto run = discover();
        QVERIFY(run->result);
        QVERIFY(!run->result->ok());
        QVERIFY2(run->result->error().message.contains(u"repeats its page token"_s),
                 qPrintable(run->result->error().message));
        QCOMPARE(m_portal->requestCount(), 2);
    }

    void consoleTokenWithTheSessionLength()
    {
        QVERIFY(start(0));
        const auto c = credentials();
        VERIFY_OK(c);
        const auto t = signinToken(c->value(), 3600);
        VERIFY_OK(t);
        QVERIFY(!t->value().token.isEmpty());
        QCOMPARE(t->value().sessionSecs, qint64(3600));
        QVERIFY(!t->value().durationRefused);
    }

    // The federation endpoint refuses SessionDuration: asked once more without it, and said so.
    void consoleTokenWhenTheDurationIsRefused()
    {
        QVERIFY(start(0));
        QCOMPARE(admin(u"settings"_s, {{u"federationRefusesSessionDuration"_s, true}}), 200);
        const auto c = credentials();
        VERIFY_OK(c);
        const auto t = signinToken(c->value(), 3600);
        VERIFY_OK(t);
        QVERIFY(t->value().durationRefused);
        QCOMPARE(t->value().refusedSecs, qint64(3600));
        QCOMPARE(t->value().sessionSecs, qint64(0));
        // The token signs in (once): the console decides the session (here: the credentials' 12 h).
        const QUrl login = Aws::Console::loginUrl(Core::awsFederationEndpoint(m_config.aws), u"Elevate"_s,
                                                  QUrl(u"https://console.example/home"_s), t->value().token);
        QCOMPARE(call("GET", login), 200);
        QCOMPARE(call("GET", login), 400);

        // Credentials the endpoint does not know fail twice: one error, saying so.
        Aws::RoleCredentials forged = c->value();
        forged.secretAccessKey = u"wrong"_s;
        const auto bad = signinToken(forged, 3600);
        QVERIFY(bad && !bad->ok());
        QCOMPARE(bad->error().httpStatus, 400);
        QVERIFY2(bad->error().message.contains(u"also without a session length"_s),
                 qPrintable(bad->error().message));
        // Without a duration to drop, a refusal is not asked again.
        const auto plain = signinToken(forged, 0);
        QVERIFY(plain && !plain->ok());
        QVERIFY(!plain->error().message.contains(u"also without"_s));
    }
};

QTEST_GUILESS_MAIN(TestPortal)
#include "tst_portal.moc"

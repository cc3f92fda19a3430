// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's contracts, driven over real HTTP: what Entra and Graph do, quirks included.

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedEligibilitySchedule.Read.AzureADGroup");
} // namespace

class TestEmulator : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;

    Reply send(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        return Test::sendToEmulator(m_nam, method, url, body, headers,
                                    QByteArray("application/x-www-form-urlencoded"));
    }
    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    QString tenantPath(const QString &rest) const { return u'/' + m_emu->tenantId() + rest; }

    QUrl authorizeUrl(const QString &redirect, const QList<QPair<QString, QString>> &extra = {})
    {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"),
                       QString::fromLatin1(QUrl::toPercentEncoding(redirect)));
        q.addQueryItem(QStringLiteral("scope"), QString::fromLatin1(QUrl::toPercentEncoding(kScope)));
        q.addQueryItem(QStringLiteral("state"), QStringLiteral("s1"));
        q.addQueryItem(QStringLiteral("nonce"), QStringLiteral("n1"));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("client_info"), QStringLiteral("1"));
        for (const auto &e : extra)
            q.addQueryItem(e.first, QString::fromLatin1(QUrl::toPercentEncoding(e.second)));
        QUrl u = url(tenantPath(QStringLiteral("/oauth2/v2.0/authorize")));
        u.setQuery(q);
        return u;
    }
    QString code(const QString &redirect = QStringLiteral("http://localhost:5000/"))
    {
        const Reply r = send("GET", authorizeUrl(redirect));
        return QUrlQuery(r.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
    }
    Reply redeem(const QString &code, const QByteArray &verifier = kVerifier,
                 const QString &redirect = QStringLiteral("http://localhost:5000/"),
                 const QByteArray &extra = {})
    {
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(redirect) + "&code_verifier=" + verifier
            + "&scope=" + QUrl::toPercentEncoding(kScope) + "&client_info=1" + extra;
        return send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), body);
    }
    int aadsts(const Reply &r)
    {
        return r.json().value(QStringLiteral("error_codes")).toArray().first().toInt();
    }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen());
        m_emu->setAutoSignIn(QStringLiteral("alex@contoso.example"));
    }
    void cleanup() { delete m_emu; }

    void discovery()
    {
        const Reply r
            = send("GET", url(tenantPath(QStringLiteral("/v2.0/.well-known/openid-configuration"))));
        QCOMPARE(r.status, 200);
        QVERIFY(r.json()
                    .value(QStringLiteral("token_endpoint"))
                    .toString()
                    .endsWith(QStringLiteral("/oauth2/v2.0/token")));
        QVERIFY(r.json().value(QStringLiteral("issuer")).toString().contains(m_emu->tenantId()));
    }

    void authorizeRedirectsWithCodeStateClientInfo()
    {
        const Reply r = send("GET", authorizeUrl(QStringLiteral("http://localhost:5000/")));
        QCOMPARE(r.status, 302);
        QCOMPARE(r.location.host(), QStringLiteral("localhost"));
        QCOMPARE(r.location.port(), 5000);
        const QUrlQuery q(r.location);
        QVERIFY(!q.queryItemValue(QStringLiteral("code")).isEmpty());
        QCOMPARE(q.queryItemValue(QStringLiteral("state")), QStringLiteral("s1"));
        QVERIFY(!q.queryItemValue(QStringLiteral("session_state")).isEmpty());
        const QJsonObject ci
            = QJsonDocument::fromJson(
                  QByteArray::fromBase64(q.queryItemValue(QStringLiteral("client_info")).toLatin1(),
                                         QByteArray::Base64UrlEncoding))
                  .object();
        QCOMPARE(ci.value(QStringLiteral("utid")).toString(), m_emu->tenantId());
    }

    void loginHintPicksTheUser()
    {
        const Reply r
            = send("GET",
                   authorizeUrl(QStringLiteral("http://localhost:5000/"),
                                {{QStringLiteral("login_hint"), QStringLiteral("megan@contoso.example")}}));
        const QString c = QUrlQuery(r.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const Reply t = redeem(c);
        QCOMPARE(t.status, 200);
        const QStringList parts = t.json().value(QStringLiteral("id_token")).toString().split(u'.');
        const QJsonObject claims
            = QJsonDocument::fromJson(
                  QByteArray::fromBase64(parts.at(1).toLatin1(), QByteArray::Base64UrlEncoding))
                  .object();
        QCOMPARE(claims.value(QStringLiteral("preferred_username")).toString(),
                 QStringLiteral("megan@contoso.example"));
        QCOMPARE(claims.value(QStringLiteral("nonce")).toString(), QStringLiteral("n1"));
        QCOMPARE(claims.value(QStringLiteral("aud")).toString(), m_emu->clientId());
    }

    void redirectUriRules()
    {
        // Any port on a registered loopback host; the host is compared as a string.
        QCOMPARE(send("GET", authorizeUrl(QStringLiteral("http://localhost:1/"))).status, 302);
        QCOMPARE(send("GET", authorizeUrl(QStringLiteral("http://127.0.0.1:2/"))).status, 302);
        QCOMPARE(send("GET", authorizeUrl(QStringLiteral("http://localhost:3"))).status, 302);
        for (const QString &bad :
             {QStringLiteral("http://evil.example:5000/"), QStringLiteral("http://localhost:5000/cb"),
              QStringLiteral("https://localhost:5000/"), QStringLiteral("http://[::1]:5000/")}) {
            const Reply r = send("GET", authorizeUrl(bad));
            QCOMPARE(r.status, 400);
            QVERIFY(!r.location.isValid());
            QVERIFY(r.body.contains("AADSTS50011"));
        }
    }

    void pageWithoutAutoSignIn()
    {
        m_emu->setAutoSignIn({});
        const Reply r = send("GET", authorizeUrl(QStringLiteral("http://localhost:5000/")));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("Alex Wilber"));
        QVERIFY(r.body.contains("megan@contoso.example"));
        QVERIFY(r.body.contains("not Microsoft"));
        QVERIFY(!r.body.contains("s1")); // the state does not travel through the page

        // Picking a user on the page completes the sign-in for that user.
        const QString html = QString::fromUtf8(r.body);
        const int at = html.indexOf(QStringLiteral("name=\"pending\" value=\""));
        QVERIFY(at > 0);
        const int from = at + 22;
        const QByteArray pending = html.mid(from, html.indexOf(u'"', from) - from).toLatin1();
        const QByteArray megan = "00000000-aaaa-bbbb-cccc-fedcba987654";
        const Reply picked
            = send("POST", url(QStringLiteral("/signin")), "pending=" + pending + "&user=" + megan);
        QCOMPARE(picked.status, 302);
        QCOMPARE(QUrlQuery(picked.location).queryItemValue(QStringLiteral("state")), QStringLiteral("s1"));
        QVERIFY(!QUrlQuery(picked.location).queryItemValue(QStringLiteral("code")).isEmpty());
        // The pending id is single use.
        QCOMPARE(send("POST", url(QStringLiteral("/signin")), "pending=" + pending + "&user=" + megan).status,
                 400);

        // Declining redirects with Entra's access_denied, form-encoded like Entra does.
        const QString page2
            = QString::fromUtf8(send("GET", authorizeUrl(QStringLiteral("http://localhost:5000/"))).body);
        const int at2 = page2.indexOf(QStringLiteral("name=\"pending\" value=\"")) + 22;
        const QByteArray pending2 = page2.mid(at2, page2.indexOf(u'"', at2) - at2).toLatin1();
        const Reply declined
            = send("POST", url(QStringLiteral("/signin")), "pending=" + pending2 + "&decline=1");
        QCOMPARE(declined.status, 302);
        const QString raw = QString::fromLatin1(declined.rawLocation);
        QVERIFY2(raw.contains(QStringLiteral("error=access_denied")), qPrintable(raw));
        QVERIFY2(raw.contains(QStringLiteral("AADSTS65004%3a+User+declined")), qPrintable(raw));
    }

    void codeRules()
    {
        QCOMPARE(aadsts(redeem(code(), "wrong-verifier-wrong-verifier-wrong-verifier")), 501481);
        const QString c = code();
        const Reply ok = redeem(c);
        QCOMPARE(ok.status, 200);
        QVERIFY(ok.json().value(QStringLiteral("expires_in")).isDouble());
        QVERIFY(!ok.json().value(QStringLiteral("refresh_token")).toString().isEmpty());
        QCOMPARE(aadsts(redeem(c)), 54005); // single use
        const QString late = code();
        m_emu->advanceClock(11 * 60);
        QCOMPARE(aadsts(redeem(late)), 70008); // expired
        QCOMPARE(aadsts(redeem(code(), kVerifier, QStringLiteral("http://localhost:6000/"))), 500112);
        const Reply secret
            = redeem(code(), kVerifier, QStringLiteral("http://localhost:5000/"), "&client_secret=");
        QCOMPARE(secret.status, 401);
        QCOMPARE(aadsts(secret), 700025);
        const Reply get = send("GET", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))));
        QCOMPARE(aadsts(get), 900561);
        // Error bodies are shaped like Entra's.
        const QJsonObject e = redeem(code(), "x").json();
        for (const char *key : {"error", "error_description", "error_codes", "timestamp", "trace_id",
                                "correlation_id", "error_uri"})
            QVERIFY2(e.contains(QLatin1String(key)), key);
    }

    void refreshRotates()
    {
        const QString rt1 = redeem(code()).json().value(QStringLiteral("refresh_token")).toString();
        const QByteArray base = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=refresh_token&scope=" + QUrl::toPercentEncoding(kScope) + "&refresh_token=";
        const Reply r1 = send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))),
                              base + QUrl::toPercentEncoding(rt1));
        QCOMPARE(r1.status, 200);
        const QString rt2 = r1.json().value(QStringLiteral("refresh_token")).toString();
        QVERIFY(!rt2.isEmpty() && rt2 != rt1);
        // The old one still works, as Entra's do.
        QCOMPARE(send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))),
                      base + QUrl::toPercentEncoding(rt1))
                     .status,
                 200);
        QCOMPARE(aadsts(send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), base + "nope")),
                 70008);
    }

    void deviceCode()
    {
        const Reply start
            = send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/devicecode"))),
                   "client_id=" + m_emu->clientId().toLatin1() + "&scope=" + QUrl::toPercentEncoding(kScope));
        QCOMPARE(start.status, 200);
        const QString device = start.json().value(QStringLiteral("device_code")).toString();
        QCOMPARE(start.json().value(QStringLiteral("user_code")).toString().size(), 9);
        const QByteArray poll = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id="
            + m_emu->clientId().toLatin1() + "&device_code=" + QUrl::toPercentEncoding(device);
        const Reply pending = send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), poll);
        QCOMPARE(pending.json().value(QStringLiteral("error")).toString(),
                 QStringLiteral("authorization_pending"));
        QCOMPARE(send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), poll)
                     .json()
                     .value(QStringLiteral("error"))
                     .toString(),
                 QStringLiteral("slow_down"));
        m_emu->advanceClock(6);
        const Reply done = send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), poll);
        QCOMPARE(done.status, 200);
        QVERIFY(!done.json().value(QStringLiteral("access_token")).toString().isEmpty());
        QCOMPARE(send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), poll)
                     .json()
                     .value(QStringLiteral("error"))
                     .toString(),
                 QStringLiteral("bad_verification_code"));
    }

    void graphMeAndPagedEligibilities()
    {
        m_emu->setPageSize(2);
        const QString at = redeem(code()).json().value(QStringLiteral("access_token")).toString();
        const QList<QPair<QByteArray, QByteArray>> auth {{"Authorization", "Bearer " + at.toLatin1()}};
        const Reply me = send("GET", url(QStringLiteral("/graph/v1.0/me")), {}, auth);
        QCOMPARE(me.status, 200);
        QCOMPARE(me.json().value(QStringLiteral("userPrincipalName")).toString(),
                 QStringLiteral("alex@contoso.example"));

        QUrl next = url(QStringLiteral(
            "/graph/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/"
            "filterByCurrentUser(on=%27principal%27)"));
        next.setQuery(QStringLiteral("%24expand=group"));
        QSet<QString> ids;
        int pages = 0;
        while (next.isValid()) {
            const Reply page = send("GET", next, {}, auth);
            QCOMPARE(page.status, 200);
            const QJsonObject o = page.json();
            for (const auto &v : o.value(QStringLiteral("value")).toArray()) {
                ids.insert(v.toObject().value(QStringLiteral("id")).toString());
                QVERIFY(v.toObject().contains(QStringLiteral("group")));
            }
            next = QUrl(o.value(QStringLiteral("@odata.nextLink")).toString());
            ++pages;
        }
        int expected = 0;
        for (const auto &e : m_emu->state().value(QStringLiteral("eligibilities")).toArray())
            expected += e.toObject().value(QStringLiteral("user")).toString() == u"alex@contoso.example";
        QCOMPARE(ids.size(), expected);
        QCOMPARE(pages, (expected + 1) / 2);
    }

    void graphAuthErrors()
    {
        const Reply none = send("GET", url(QStringLiteral("/graph/v1.0/me")));
        QCOMPARE(none.status, 401);
        QCOMPARE(
            none.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString(),
            QStringLiteral("InvalidAuthenticationToken"));
        // A token without the PIM scope: PIM's wrapped 403.
        const QString c = code();
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(c)
            + "&redirect_uri=" + QUrl::toPercentEncoding(QStringLiteral("http://localhost:5000/"))
            + "&code_verifier=" + kVerifier + "&scope="
            + QUrl::toPercentEncoding(QStringLiteral("openid https://graph.microsoft.com/User.Read"));
        const QString at = send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), body)
                               .json()
                               .value(QStringLiteral("access_token"))
                               .toString();
        const Reply r
            = send("GET",
                   url(QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                      "eligibilityScheduleInstances/filterByCurrentUser(on='principal')")),
                   {}, {{"Authorization", "Bearer " + at.toLatin1()}});
        QCOMPARE(r.status, 403);
        const QJsonObject err = r.json().value(QStringLiteral("error")).toObject();
        QCOMPARE(err.value(QStringLiteral("code")).toString(), QStringLiteral("UnknownError"));
        QVERIFY(err.value(QStringLiteral("message"))
                    .toString()
                    .contains(QStringLiteral("PermissionScopeNotGranted")));
        // Expired access token.
        const QString good = redeem(code()).json().value(QStringLiteral("access_token")).toString();
        m_emu->advanceClock(6 * 3600);
        QCOMPARE(send("GET", url(QStringLiteral("/graph/v1.0/me")), {},
                      {{"Authorization", "Bearer " + good.toLatin1()}})
                     .status,
                 401);
    }

    void adminEndpoints()
    {
        const QString c = code();
        const QJsonObject state = send("GET", url(QStringLiteral("/_emulator/state"))).json();
        QVERIFY(state.value(QStringLiteral("tokens"))
                    .toObject()
                    .value(QStringLiteral("codes"))
                    .toArray()
                    .contains(c));
        QVERIFY(state.value(QStringLiteral("users")).toArray().size() >= 2);
        const QDateTime before = m_emu->now();
        const Reply adv
            = send("POST", url(QStringLiteral("/_emulator/clock/advance")), "{\"seconds\": 3600}");
        QCOMPARE(adv.status, 200);
        QVERIFY(before.secsTo(m_emu->now()) >= 3600);
        QCOMPARE(send("POST", url(QStringLiteral("/_emulator/clock/advance")), "{}").status, 400);
    }

    void callsPerService()
    {
        auto calls = [this] {
            return send("GET", url(QStringLiteral("/_emulator/state")))
                .json()
                .value(QStringLiteral("calls"))
                .toObject();
        };
        QJsonObject c = calls();
        for (const char *s :
             {"graph", "entraToken", "entra", "oidc", "portal", "federation", "awsPages", "other"})
            QCOMPARE(c.value(QLatin1String(s)).toInt(-1), 0); // every service there, admin calls not counted
        const QString at
            = redeem(code()).json().value(QStringLiteral("access_token")).toString(); // entra + token
        const QList<QPair<QByteArray, QByteArray>> auth {{"Authorization", "Bearer " + at.toLatin1()}};
        QCOMPARE(send("GET", url(QStringLiteral("/graph/v1.0/me")), {}, auth).status, 200);
        QCOMPARE(send("GET", url(QStringLiteral("/graph/v1.0/me")), {}, auth).status, 200);
        // A request a fault answers instead of the service was still sent: it counts.
        QCOMPARE(send("POST", url(QStringLiteral("/_emulator/faults")),
                      R"({"path": "/graph/v1.0/me", "status": 503})")
                     .status,
                 201);
        QCOMPARE(send("GET", url(QStringLiteral("/graph/v1.0/me")), {}, auth).status, 503);
        send("GET", url(QStringLiteral("/assignment/accounts?max_result=10"))); // no token: refused, counted
        send("POST", url(QStringLiteral("/client/register")), "{}");
        send("GET", url(QStringLiteral("/federation?Action=getSigninToken")));
        send("GET", url(QStringLiteral("/aws/start")));
        send("GET", url(QStringLiteral("/no/such/place")));
        c = calls();
        QCOMPARE(c.value(QStringLiteral("graph")).toInt(), 3);
        QCOMPARE(c.value(QStringLiteral("entraToken")).toInt(), 1);
        QCOMPARE(c.value(QStringLiteral("entra")).toInt(), 1); // the authorize page
        QCOMPARE(c.value(QStringLiteral("portal")).toInt(), 1);
        QCOMPARE(c.value(QStringLiteral("oidc")).toInt(), 1);
        QCOMPARE(c.value(QStringLiteral("federation")).toInt(), 1);
        QCOMPARE(c.value(QStringLiteral("awsPages")).toInt(), 1);
        QCOMPARE(c.value(QStringLiteral("other")).toInt(), 1);
        // A new scenario starts counting again.
        QVERIFY(m_emu->loadBuiltInScenario());
        QCOMPARE(calls().value(QStringLiteral("graph")).toInt(-1), 0);
    }

    void scenarioValidation()
    {
        QString error;
        QVERIFY(!m_emu->loadScenario("{", &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!m_emu->loadScenario("{\"tenant\":{}}", &error));
        QVERIFY(error.contains(QStringLiteral("tenant.id")));
        QVERIFY(!m_emu->loadScenario(R"({"tenant":{"id":"t"},"app":{"clientId":"c"},"users":[],"groups":[],
                                        "eligibilities":[{"user":"nobody","group":"g"}]})",
                                     &error));
        QVERIFY(error.contains(QStringLiteral("unknown user or group")));
        QVERIFY(m_emu->loadBuiltInScenario()); // still usable afterwards
    }
};

QTEST_GUILESS_MAIN(TestEmulator)
#include "tst_emulator.moc"

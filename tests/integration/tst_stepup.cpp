// SPDX-License-Identifier: GPL-3.0-or-later
// PIM's MfaRule against the in-process emulator: an activation of a group whose policy asks for MFA,
// sent with a token that has none, leads to one interactive sign-in with amr_values=mfa and one resend
// of the same POST; never more, and nothing when MFA is not all that failed.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "emulator/emulator.h"
#include "graph/graphclient.h"
#include "graph/odata.h"
#include "net/httpclient.h"
#include "support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;
using namespace Qt::StringLiterals;
using Core::Error;

namespace {
constexpr int kWaitMs = 20'000;
const QString kPowerUser = u"3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"_s; // AWS-210987654321-PowerUserAccess
const QString kBilling = u"6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0"_s; // AWS-345678901234-Billing

/// The built-in scenario with MFA on activation for PowerUserAccess and Billing.
QByteArray mfaScenario()
{
    QJsonObject scenario = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
    QJsonArray policies = scenario.value(u"policies"_s).toArray();
    for (auto it = policies.begin(); it != policies.end(); ++it) {
        QJsonObject p = it->toObject();
        if (p.value(u"group"_s).toString() == u"AWS-210987654321-PowerUserAccess") {
            p.insert(u"mfa"_s, true);
            *it = p;
        }
    }
    policies.append(QJsonObject {{u"group"_s, u"AWS-345678901234-Billing"_s},
                                 {u"maximumDuration"_s, u"PT8H"_s},
                                 {u"justification"_s, true},
                                 {u"mfa"_s, true}});
    scenario.insert(u"policies"_s, policies);
    return QJsonDocument(scenario).toJson();
}
} // namespace

class TestStepUp : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<Emulator::Emulator> m_emulator;
    Core::AppConfig m_config;
    std::unique_ptr<QNetworkAccessManager> m_nam, m_browser, m_adminNam;
    std::unique_ptr<Net::HttpClient> m_http;
    std::unique_ptr<Auth::InMemorySecretStore> m_secrets;
    Core::SystemClock m_clock;
    std::unique_ptr<Auth::EntraSession> m_session;
    std::unique_ptr<Graph::GraphClient> m_graph;
    QString m_principal;
    QList<QUrl> m_opened; // every sign-in URL the "browser" was given
    bool m_cancelStepUp = false;

    int addFault(const QByteArray &json)
    {
        QNetworkRequest req(QUrl(m_emulator->baseUrl().toString() + u"/_emulator/faults"_s));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_adminNam->post(req, json);
        const bool done = QTest::qWaitFor([reply] { return reply->isFinished(); }, kWaitMs);
        const int status = done ? reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() : 0;
        reply->deleteLater();
        return status;
    }
    int activationPosts() const
    {
        int n = 0;
        for (const auto &v : m_emulator->state().value(u"httpRequests"_s).toArray()) {
            const QJsonObject o = v.toObject();
            if (o.value(u"method"_s).toString() == u"POST"
                && o.value(u"path"_s).toString().endsWith(u"/assignmentScheduleRequests"))
                ++n;
        }
        return n;
    }
    int activationsIn(const QString &groupId) const
    {
        int n = 0;
        for (const auto &v : m_emulator->state().value(u"requests"_s).toArray())
            if (v.toObject().value(u"groupId"_s).toString() == groupId
                && v.toObject().value(u"action"_s).toString() == u"selfActivate")
                ++n;
        return n;
    }
    std::optional<Core::Result<Core::AccessRequest>> activate(const QString &groupId, const QString &why)
    {
        Core::ActivationDraft d;
        d.groupId = groupId;
        d.durationSecs = 3600;
        d.justification = why;
        std::optional<Core::Result<Core::AccessRequest>> result;
        m_graph->activate(d, m_principal, m_clock.now(), this,
                          [&result](Core::Result<Core::AccessRequest> r) { result = std::move(r); });
        (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
        return result;
    }

private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<Core::Result<Core::Account>>(); }

    void init()
    {
        m_emulator = std::make_unique<Emulator::Emulator>();
        QString error;
        QVERIFY2(m_emulator->loadScenario(mfaScenario(), &error), qPrintable(error));
        QVERIFY(m_emulator->listen());
        m_emulator->setAutoSignIn(u"alex@contoso.example"_s);
        const auto config = Core::AppConfig::fromJson(m_emulator->configJson());
        QVERIFY(config.ok());
        m_config = config.value();
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_browser = std::make_unique<QNetworkAccessManager>();
        m_browser->setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        m_adminNam = std::make_unique<QNetworkAccessManager>();
        m_http = std::make_unique<Net::HttpClient>(m_nam.get());
        m_secrets = std::make_unique<Auth::InMemorySecretStore>();
        m_session = std::make_unique<Auth::EntraSession>(m_config, m_http.get(), m_secrets.get(), &m_clock);
        m_opened.clear();
        m_cancelStepUp = false;
        connect(m_session.get(), &Auth::EntraSession::browserUrlReady, m_browser.get(),
                [this](const QUrl &url) {
                    m_opened << url;
                    if (m_cancelStepUp && m_opened.size() > 1)
                        return m_session->cancelSignIn(); // the user closes the browser tab
                    QNetworkReply *r = m_browser->get(QNetworkRequest(url));
                    connect(r, &QNetworkReply::finished, r, &QObject::deleteLater);
                });
        QSignalSpy signedIn(m_session.get(), &Auth::EntraSession::signInFinished);
        m_session->signInInteractive();
        QVERIFY(signedIn.wait(kWaitMs));
        const auto account = signedIn.first().first().value<Core::Result<Core::Account>>();
        VERIFY_OK(account);
        m_principal = account->objectId;
        m_graph = std::make_unique<Graph::GraphClient>(QUrl(m_config.graphBaseUrl), m_config.graphResource,
                                                       m_http.get(), m_session.get());
        m_graph->setClock(&m_clock);
        m_graph->setWriteRetryDelayMs(50);
        // The first sign-in asked for no MFA.
        QCOMPARE(m_opened.size(), 1);
        QVERIFY(!QUrlQuery(m_opened.first()).hasQueryItem(u"amr_values"_s));
    }

    void cleanup()
    {
        m_graph.reset();
        m_session.reset();
        m_secrets.reset();
        m_http.reset();
        m_adminNam.reset();
        m_browser.reset();
        m_nam.reset();
        m_emulator.reset();
    }

    void mfaRuleLeadsToOneStepUpAndOneResend()
    {
        const auto sent = activate(kPowerUser, u"deploy"_s);
        VERIFY_OK(sent);
        QCOMPARE(activationPosts(), 2); // refused for MfaRule, then the same POST once more
        QCOMPARE(activationsIn(kPowerUser), 1);
        QCOMPARE(m_opened.size(), 2);
        const QUrlQuery stepUp(m_opened.at(1));
        QCOMPARE(stepUp.queryItemValue(u"amr_values"_s), u"mfa"_s);
        QCOMPARE(stepUp.queryItemValue(u"login_hint"_s, QUrl::FullyDecoded), u"alex@contoso.example"_s);
        // Entra gets claims it knows (the client capability), never the amr request itself.
        const QString claims = stepUp.queryItemValue(u"claims"_s, QUrl::FullyDecoded);
        QVERIFY2(claims.contains(u"xms_cc"_s) && !claims.contains(u"amr"_s), qPrintable(claims));

        // The stronger sign-in lasts: a refreshed token is still multi-factor, so the next MFA group
        // needs no second step-up.
        QString token;
        m_session->requestAccessToken(m_config.graphResource, this, [&token](Core::Result<QString> t) {
            token = t.ok() ? t.value() : QString();
        });
        QTRY_VERIFY_WITH_TIMEOUT(!token.isEmpty(), kWaitMs);
        m_session->invalidateAccessToken(m_config.graphResource, token);
        const auto second = activate(kBilling, u"invoices"_s);
        VERIFY_OK(second);
        QCOMPARE(activationPosts(), 3);
        QCOMPARE(m_opened.size(), 2);
    }

    void noStepUpWhenMoreThanMfaFailed()
    {
        // Without the justification the group requires, signing in again would not help.
        const auto sent = activate(kPowerUser, QString());
        QVERIFY(sent);
        QVERIFY(!sent->ok());
        const QStringList rules = Graph::failedPolicyRules(sent->error());
        QVERIFY2(rules.contains(u"MfaRule"_s) && rules.contains(u"JustificationRule"_s),
                 qPrintable(rules.join(u',')));
        QCOMPARE(activationPosts(), 1);
        QCOMPARE(m_opened.size(), 1);
        QCOMPARE(activationsIn(kPowerUser), 0);
    }

    void theResendIsTheOnlyOne()
    {
        // PIM still says MfaRule after the step-up (the tenant wants more than Elevate can ask for):
        // the second refusal is the answer, no third POST, no second step-up.
        const QByteArray mfaRule
            = QJsonDocument(
                  QJsonObject {{u"error"_s,
                                QJsonObject {{u"code"_s, u"RoleAssignmentRequestPolicyValidationFailed"_s},
                                             {u"message"_s,
                                              u"The following policy rules failed: "
                                              "[\"MfaRule\"]"_s}}}})
                  .toJson(QJsonDocument::Compact);
        const QJsonObject fault {{u"path"_s, u"/assignmentScheduleRequests"_s},
                                 {u"method"_s, u"POST"_s},
                                 {u"status"_s, 400},
                                 {u"body"_s, QString::fromUtf8(mfaRule)},
                                 {u"count"_s, 5}};
        QCOMPARE(addFault(QJsonDocument(fault).toJson()), 201);
        const auto sent = activate(kBilling, u"invoices"_s);
        QVERIFY(sent);
        QVERIFY(!sent->ok());
        QCOMPARE(Graph::failedPolicyRules(sent->error()), QStringList {u"MfaRule"_s});
        QCOMPARE(activationPosts(), 2);
        QCOMPARE(m_opened.size(), 2);
        QCOMPARE(activationsIn(kBilling), 0);
    }

    void aStepUpTheUserAbandonsSendsNothingMore()
    {
        m_cancelStepUp = true;
        const auto sent = activate(kPowerUser, u"deploy"_s);
        QVERIFY(sent);
        QVERIFY(!sent->ok());
        QCOMPARE(sent->error().kind, Error::Kind::Cancelled);
        QCOMPARE(activationPosts(), 1);
        QCOMPARE(activationsIn(kPowerUser), 0);
        // The earlier sign-in is still there.
        QCOMPARE(m_session->state(), Auth::EntraSession::State::SignedIn);
    }
};

QTEST_GUILESS_MAIN(TestStepUp)
#include "tst_stepup.moc"

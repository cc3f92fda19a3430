// SPDX-License-Identifier: GPL-3.0-or-later
// "Sync to AWS now" against the emulator, on a manual clock: the permission is asked for only then
// (its own token), "already in sync" is a sentence and not an error, and a refusal (403, or no consent
// for the scope) is remembered per account in the history for a day, not for good.

#include "auth/entrasession.h"
#include "auth/idcsession.h"
#include "auth/keychainsecretstore.h"
#include "aws/portalclient.h"
#include "aws/rolepipeline.h"
#include "core/history.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/requesttracker.h"
#include "net/httpclient.h"
#include "support/emulatorfixture.h"
#include "support/manualclock.h"
#include "support/testsupport.h"
#include "ui/awspresenter.h"
#include "ui/pimpresenter.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
constexpr int kWaitMs = 20'000;
const QString kReadOnly = u"123456789012/ReadOnlyAccess"_s;

/// The built-in scenario, ReadOnlyAccess allowing two days, and the app's consent as given.
QByteArray scenario(const std::optional<QStringList> &consented)
{
    QJsonObject s = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
    QJsonArray policies = s.value(u"policies"_s).toArray();
    for (auto it = policies.begin(); it != policies.end(); ++it) {
        QJsonObject p = it->toObject();
        if (p.value(u"group"_s).toString() == u"AWS-123456789012-ReadOnlyAccess") {
            p.insert(u"maximumDuration"_s, u"PT48H"_s);
            *it = p;
        }
    }
    s.insert(u"policies"_s, policies);
    if (consented) {
        QJsonObject app = s.value(u"app"_s).toObject();
        app.insert(u"consentedScopes"_s, QJsonArray::fromStringList(*consented));
        s.insert(u"app"_s, app);
    }
    return QJsonDocument(s).toJson();
}

/// The tray's stack for one user, on a manual clock, with a history file.
struct Stack
{
    Emulator::Emulator emulator;
    QNetworkAccessManager nam, browser;
    std::unique_ptr<Test::ManualClock> clock;
    Core::AppConfig config;
    std::unique_ptr<Net::HttpClient> http;
    Auth::InMemorySecretStore secrets, awsSecrets;
    QTemporaryDir dir;
    std::unique_ptr<Core::HistoryStore> history;
    std::unique_ptr<Auth::EntraSession> session;
    std::unique_ptr<Graph::GraphClient> graph;
    std::unique_ptr<Graph::RequestTracker> requests;
    std::unique_ptr<Graph::ApprovalService> approvals;
    std::unique_ptr<Ui::PimPresenter> pim;
    std::unique_ptr<Auth::IdcSession> idc;
    std::unique_ptr<Aws::PortalClient> portal;
    std::unique_ptr<Aws::RolePipeline> aws;
    QString servicePrincipal;

    bool setUp(const QByteArray &json, const QString &upn)
    {
        if (!dir.isValid())
            return false;
        const auto cfg = Test::startEmulator(emulator, json, upn);
        if (!cfg)
            return false;
        emulator.setScimDelay(3600); // AWS waits until provisioned on demand
        config = *cfg;
        servicePrincipal = QJsonDocument::fromJson(emulator.configJson())
                               .object()
                               .value(u"aws"_s)
                               .toObject()
                               .value(u"sync"_s)
                               .toObject()
                               .value(u"servicePrincipalId"_s)
                               .toString();
        clock = std::make_unique<Test::ManualClock>(emulator.now());
        http = std::make_unique<Net::HttpClient>(&nam);
        auto store = Core::HistoryStore::open(dir.filePath(u"history.sqlite"_s));
        if (!store.ok())
            return false;
        history = std::move(store).value();
        session = std::make_unique<Auth::EntraSession>(config, http.get(), &secrets, clock.get());
        graph = std::make_unique<Graph::GraphClient>(QUrl(config.graphBaseUrl), config.graphResource,
                                                     http.get(), session.get());
        graph->setClock(clock.get());
        requests = std::make_unique<Graph::RequestTracker>(graph.get(), history.get(),
                                                           Core::TargetMapper(config.mapping), clock.get());
        approvals = std::make_unique<Graph::ApprovalService>(graph.get(), history.get(), clock.get());
        pim = std::make_unique<Ui::PimPresenter>(Ui::PimPresenter::Parts {session.get(), graph.get(),
                                                                          requests.get(), approvals.get(),
                                                                          clock.get(), history.get()},
                                                 Core::TargetMapper(config.mapping));
        browser.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        QObject::connect(pim.get(), &Ui::PimPresenter::browserUrlReady, &browser, [this](const QUrl &url) {
            QNetworkReply *reply = browser.get(QNetworkRequest(url));
            QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
        });
        idc = std::make_unique<Auth::IdcSession>(config, http.get(), &awsSecrets, clock.get());
        portal = std::make_unique<Aws::PortalClient>(config.aws, http.get(), idc.get(), clock.get());
        aws = std::make_unique<Aws::RolePipeline>(
            config, http.get(), portal.get(),
            Aws::AwsFiles(dir.filePath(u"aws/config"_s), dir.filePath(u"aws/credentials"_s)), &awsSecrets,
            clock.get(), Aws::RolePipeline::commandLine(u"/usr/bin/elevate"_s, {}));
        pim->signIn();
        return QTest::qWaitFor([this] { return pim->status() == Ui::PimPresenter::Status::Ready; }, kWaitMs);
    }

    /// Activates ReadOnlyAccess for 47 h and returns the grant once the tray has it.
    std::optional<Core::Grant> activate()
    {
        auto *access = pim->requests();
        const auto target = pim->target(kReadOnly);
        if (!target)
            return std::nullopt;
        Core::ActivationDraft draft;
        draft.durationSecs = 47 * 3600;
        bool requested = false;
        access->request(*target, draft, pim.get(),
                        [&requested](Core::Result<Core::AccessRequest> r) { requested = r.ok(); });
        if (!QTest::qWaitFor([&] { return requested; }, kWaitMs))
            return std::nullopt;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < kWaitMs) {
            for (const auto &g : access->grants())
                if (g.groupId == target->eligibility.groupId)
                    return g;
            bool synced = false;
            access->sync(pim.get(), [&synced](Core::Result<void>) { synced = true; });
            (void)QTest::qWaitFor([&] { return synced; }, kWaitMs);
            QTest::qWait(200);
        }
        return std::nullopt;
    }

    int count(const QString &method, const QString &pathEnd) const
    {
        int n = 0;
        for (const auto &v : emulator.state().value(u"httpRequests"_s).toArray())
            if (v.toObject().value(u"method"_s).toString() == method
                && v.toObject().value(u"path"_s).toString().endsWith(pathEnd))
                ++n;
        return n;
    }
    QJsonArray podCalls() const
    {
        return emulator.state().value(u"aws"_s).toObject().value(u"provisionOnDemand"_s).toArray();
    }
};

/// The "Sync to AWS" notifications so far: text and whether it was an error (the AWS side announces
/// other things meanwhile).
QList<QPair<QString, bool>> syncNotes(const QSignalSpy &notes)
{
    QList<QPair<QString, bool>> out;
    for (const auto &n : notes)
        if (n.at(0).toString() == u"Sync to AWS")
            out.append({n.at(1).toString(), n.at(2).toBool()});
    return out;
}
QPair<QString, bool> lastNote(const QSignalSpy &notes)
{
    const auto list = syncNotes(notes);
    return list.isEmpty() ? QPair<QString, bool>() : list.last();
}
} // namespace

class TestSyncNow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<Core::Result<Core::Account>>(); }

    void pushedThenAlreadyInSync()
    {
        Stack s;
        QVERIFY(s.setUp(scenario(std::nullopt), u"megan@contoso.example"_s)); // an Application Administrator
        Ui::AwsPresenter aws(s.pim.get(), s.aws.get(), s.idc.get(), s.servicePrincipal);
        const auto grant = s.activate();
        QVERIFY(grant);
        QTRY_VERIFY_WITH_TIMEOUT(aws.canSyncNow(*grant), kWaitMs);
        QSignalSpy notes(&aws, &Ui::AwsPresenter::notify);
        aws.syncNow(*grant);
        QTRY_COMPARE_WITH_TIMEOUT(syncNotes(notes).size(), 1, kWaitMs);
        QVERIFY2(lastNote(notes).first.contains(u"pushed"_s), qPrintable(lastNote(notes).first));
        QVERIFY(!lastNote(notes).second);
        // Once more: nothing to push. A sentence, not an error, and still offered.
        aws.syncNow(*grant);
        QTRY_COMPARE_WITH_TIMEOUT(syncNotes(notes).size(), 2, kWaitMs);
        QVERIFY2(lastNote(notes).first.contains(u"already in sync"_s), qPrintable(lastNote(notes).first));
        QVERIFY(!lastNote(notes).second);
        const QJsonArray calls = s.podCalls();
        QCOMPARE(calls.size(), 2);
        QCOMPARE(calls.last().toObject().value(u"result"_s).toString(), u"Skipped"_s);
        QVERIFY(aws.canSyncNow(*grant));
        // The sign-in's own token never carried the permission: it was a token of its own.
        QCOMPARE(s.session->state(), Auth::EntraSession::State::SignedIn);
    }

    void refusalIsRememberedForADay_data()
    {
        QTest::addColumn<QString>("user");
        QTest::addColumn<bool>("consented");
        QTest::addColumn<QString>("says");
        QTest::newRow("no consent for the scope") << u"megan@contoso.example"_s << false << u"consent"_s;
        QTest::newRow("403, not an administrator")
            << u"alex@contoso.example"_s << true << u"does not let you"_s;
    }
    void refusalIsRememberedForADay()
    {
        QFETCH(QString, user);
        QFETCH(bool, consented);
        QFETCH(QString, says);
        const QStringList elevateScopes {u"User.Read"_s, u"PrivilegedEligibilitySchedule.Read.AzureADGroup"_s,
                                         u"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"_s,
                                         u"RoleManagementPolicy.Read.AzureADGroup"_s};
        Stack s;
        QVERIFY(
            s.setUp(scenario(consented ? std::nullopt : std::optional<QStringList>(elevateScopes)), user));
        auto aws
            = std::make_unique<Ui::AwsPresenter>(s.pim.get(), s.aws.get(), s.idc.get(), s.servicePrincipal);
        const auto grant = s.activate();
        QVERIFY(grant);
        QTRY_VERIFY_WITH_TIMEOUT(aws->canSyncNow(*grant), kWaitMs);
        QSignalSpy notes(aws.get(), &Ui::AwsPresenter::notify);
        aws->syncNow(*grant);
        QTRY_COMPARE_WITH_TIMEOUT(syncNotes(notes).size(), 1, kWaitMs);
        QVERIFY2(lastNote(notes).first.contains(says) && lastNote(notes).first.contains(u"tomorrow"_s),
                 qPrintable(lastNote(notes).first));
        QVERIFY(!aws->canSyncNow(*grant));
        QCOMPARE(s.podCalls().size(), 0);
        // Refused or not, the sign-in stays.
        QCOMPARE(s.session->state(), Auth::EntraSession::State::SignedIn);

        // Remembered in the history: a restart does not offer it again within the day ...
        s.clock->advance(23 * 3600);
        aws = std::make_unique<Ui::AwsPresenter>(s.pim.get(), s.aws.get(), s.idc.get(), s.servicePrincipal);
        QTest::qWait(200);
        QVERIFY(!aws->canSyncNow(*grant));
        // ... but after it: an administrator may have granted it meanwhile.
        s.clock->advance(3600);
        QVERIFY(aws->canSyncNow(*grant));
    }
};

QTEST_MAIN(TestSyncNow)
#include "tst_syncnow.moc"

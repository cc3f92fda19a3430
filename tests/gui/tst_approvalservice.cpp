// SPDX-License-Identifier: GPL-3.0-or-later
// ApprovalService with several users signed in to one in-process emulator (support/approvalsfixture.h):
// a request arrives once, also across restarts; a decision waits for a stage that is opening, needs a
// justification, is never the requester's own, goes out once at a time, and a lapsed request leaves
// the queue. Every decision is checked in the emulator's state.

#include "core/history.h"
#include "graph/approvalservice.h"
#include "support/approvalsfixture.h"
#include "ui/approvalsmodel.h"
#include "ui/approvalswindow.h"
#include "ui/pimpresenter.h"

#include <QApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace Elevate;
using namespace Elevate::Test::Approvals;
using namespace Qt::StringLiterals;
using Core::Error;
using Test::describe;

class TestApprovalService : public Test::Approvals::ApprovalsTest
{
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { m_emulator.reset(); }

    void arrivesOnceAcrossRestarts()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        QVERIFY(megan->pim->approvals()->pending().isEmpty());
        QVERIFY(!alex->pim->approvals()->isApprover());

        QStringList arrived;
        QStringList arrivedTexts;
        connect(megan->pim.get(), &Elevate::Ui::PimPresenter::approvalArrived, this,
                [&](const QString &id, const QString &, const QString &message) {
                    arrived << id;
                    arrivedTexts << message;
                });

        const auto sent = request(*alex, kNetwork, 3600, u"BGP peering change"_s, u"CHG-77"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        QCOMPARE(sent->value().phase(), Core::RequestPhase::AwaitingApproval);

        Graph::ApprovalService *approvals = megan->pim->approvals();
        auto refreshed = refresh(approvals);
        VERIFY_OK(refreshed);
        QCOMPARE(pendingIds(approvals), QStringList {id});
        const auto r = approvals->pendingRequest(id);
        QVERIFY(r);
        QCOMPARE(r->principalDisplayName, u"Alex Wilber"_s);
        QCOMPARE(r->principalUpn, kAlex);
        QCOMPARE(r->principalId, alex->objectId());
        QCOMPARE(r->justification, u"BGP peering change"_s);
        QCOMPARE(r->ticketNumber, u"CHG-77"_s);
        QCOMPARE(r->durationSecs, qint64(3600));
        QVERIFY(r->created.isValid());
        QVERIFY(approvals->isApprover());
        QCOMPARE(arrived, QStringList {id});
        QVERIFY2(arrivedTexts.first().contains(u"Alex Wilber"_s), qPrintable(arrivedTexts.first()));
        QVERIFY2(arrivedTexts.first().contains(u"NetworkAdministrator"_s), qPrintable(arrivedTexts.first()));
        QVERIFY2(arrivedTexts.first().contains(u"BGP peering change"_s), qPrintable(arrivedTexts.first()));

        // Looking again announces nothing new.
        refreshed = refresh(approvals);
        VERIFY_OK(refreshed);
        QCOMPARE(pendingIds(approvals), QStringList {id});
        QCOMPARE(arrived.size(), 1);

        // A restart: a new service over the same store knows megan approves and says nothing.
        {
            Graph::ApprovalService restarted(megan->graph.get(), megan->history.get(), &megan->clock);
            QVERIFY(!restarted.isApprover()); // nobody signed in yet
            restarted.setPrincipalId(megan->objectId());
            QVERIFY(restarted.isApprover()); // remembered for megan, before looking
            int announced = 0;
            connect(&restarted, &Graph::ApprovalService::arrived, this,
                    [&announced](const QList<Core::AccessRequest> &l) { announced += int(l.size()); });
            refreshed = refresh(&restarted);
            VERIFY_OK(refreshed);
            QCOMPARE(pendingIds(&restarted), QStringList {id});
            QCOMPARE(announced, 0);
        }
        // The same with the store opened again from its file (another process, or after a real restart).
        {
            auto reopened = Core::HistoryStore::open(megan->historyPath());
            QVERIFY(reopened.ok());
            Graph::ApprovalService restarted(megan->graph.get(), reopened.value().get(), &megan->clock);
            restarted.setPrincipalId(megan->objectId());
            QVERIFY(restarted.isApprover());
            // Someone else on this machine is not an approver because megan is.
            Graph::ApprovalService other(megan->graph.get(), reopened.value().get(), &megan->clock);
            other.setPrincipalId(u"00000000-0000-0000-0000-000000000000"_s);
            QVERIFY(!other.isApprover());
            int announced = 0;
            connect(&restarted, &Graph::ApprovalService::arrived, this,
                    [&announced](const QList<Core::AccessRequest> &l) { announced += int(l.size()); });
            refreshed = refresh(&restarted);
            VERIFY_OK(refreshed);
            QCOMPARE(pendingIds(&restarted), QStringList {id});
            QCOMPARE(announced, 0);

            // A request that arrives after the restart is announced, once.
            const auto second = request(*alex, kAdministrator, 3600, u"incident 12"_s, u"OPS-12"_s);
            VERIFY_OK(second);
            refreshed = refresh(&restarted);
            VERIFY_OK(refreshed);
            QCOMPARE(announced, 1);
            QCOMPARE(restarted.pending().size(), 2);
        }
        QCOMPARE(arrived.size(), 1); // megan's own presenter was not involved
    }

    void decisionWaitsForAStageThatIsOpening()
    {
        QVERIFY(startEmulator());
        // The stage stays Initializing for 3 s after the request: a decision right away is neither
        // "already decided" nor lost; it goes through once the stage opens.
        QVERIFY(emulatorSettings({{u"approvalInitializingSeconds"_s, 3}}));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kAdministrator, 3600, u"rotate the keys"_s, u"OPS-91"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QCOMPARE(pendingIds(megan->pim->approvals()), QStringList {id});
        const auto decided = decide(megan->pim->approvals(), {id}, true, u"go"_s);
        QVERIFY(decided);
        VERIFY_OK(decided->first().result);
        QCOMPARE(acceptedDecisions(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(emulatorRequest(id).value(u"status"_s).toString(), u"Provisioned"_s,
                                  kWaitMs);
    }

    void decisionNeedsAJustification()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kNetwork, 3600, u"routing"_s);
        VERIFY_OK(sent);
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        const auto outcome = decide(megan->pim->approvals(), {sent->value().id}, true, u"  "_s);
        QVERIFY(outcome);
        QCOMPARE(outcome->size(), 1);
        QVERIFY(!outcome->first().result.ok());
        QCOMPARE(outcome->first().result.error().kind, Error::Kind::InvalidInput);
        QCOMPARE(acceptedDecisions(), 0);
        QCOMPARE(emulatorRequest(sent->value().id).value(u"status"_s).toString(), u"PendingApproval"_s);
        QCOMPARE(pendingIds(megan->pim->approvals()), QStringList {sent->value().id});
    }

    void noSelfApproval()
    {
        QVERIFY(startEmulator());
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        auto lee = signedIn(kLee);
        QVERIFY(lee);

        const auto sent = request(*megan, kNetwork, 1800, u"my own change"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        QCOMPARE(sent->value().phase(), Core::RequestPhase::AwaitingApproval);

        auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QVERIFY(!pendingIds(megan->pim->approvals()).contains(id));
        refreshed = refresh(lee->pim->approvals());
        VERIFY_OK(refreshed);
        QCOMPARE(pendingIds(lee->pim->approvals()), QStringList {id});
        QCOMPARE(lee->pim->approvals()->pendingRequest(id)->principalDisplayName, u"Megan Bowen"_s);

        // Asking anyway is refused, and nothing is decided.
        const auto own = decide(megan->pim->approvals(), {id}, true, u"trust me"_s);
        QVERIFY(own);
        QVERIFY(!own->first().result.ok());
        QCOMPARE(own->first().result.error().serviceCode, u"NotYourDecision"_s);
        QCOMPARE(acceptedDecisions(), 0);
        QCOMPARE(emulatorRequest(id).value(u"status"_s).toString(), u"PendingApproval"_s);

        const auto leeDecides = decide(lee->pim->approvals(), {id}, true, u"reviewed"_s);
        QVERIFY(leeDecides);
        VERIFY_OK(leeDecides->first().result);
        QCOMPARE(emulatorRequest(id).value(u"decision"_s).toObject().value(u"approver"_s).toString(), kLee);
    }

    /// Two callers (the window and a notification, say) deciding the same request at once: the
    /// second is refused locally instead of racing the first and calling its own decision someone else's.
    void serviceDecidesARequestOnceAtATime()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);

        Graph::ApprovalService *approvals = megan->pim->approvals();
        std::optional<QList<Graph::ApprovalService::Outcome>> first, second;
        approvals->decide({id}, true, u"go"_s, this, [&first](auto o) { first = std::move(o); });
        approvals->decide({id}, false, u"no, wait"_s, this, [&second](auto o) { second = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(first && second, kWaitMs);
        QCOMPARE(first->size(), 1);
        VERIFY_OK(first->first().result);
        QCOMPARE(second->size(), 1);
        QCOMPARE(second->first().requestId, id);
        QVERIFY(!second->first().result.ok());
        QCOMPARE(second->first().result.error().serviceCode, u"DecisionInProgress"_s);
        QCOMPARE(approvals->rowMessage(id), u"You approved it"_s);
        QTest::qWait(200);
        QCOMPARE(patches(), 1);
        QCOMPARE(emulatorRequest(id).value(u"decision"_s).toObject().value(u"result"_s).toString(),
                 u"Approved"_s);

        // Once the first is answered, the request can be decided again (and PIM says it is decided).
        const auto later = decide(approvals, {id}, false, u"changed my mind"_s);
        QVERIFY(later);
        QVERIFY(!later->first().result.ok());
        QCOMPARE(later->first().result.error().serviceCode, u"AlreadyDecided"_s);
    }

    void lapsedRequestLeavesTheQueue()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kNetwork, 3600, u"weekend change"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;

        Elevate::Ui::ApprovalsWindow w(megan->pim.get());
        auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QCOMPARE(pendingIds(megan->pim->approvals()), QStringList {id});
        QCOMPARE(w.model()->rowCount(), 1);

        m_emulator->advanceClock(24 * 3600 + 60);
        refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QVERIFY(megan->pim->approvals()->pending().isEmpty());
        QCOMPARE(w.model()->rowCount(), 0);
        QCOMPARE(emulatorRequest(id).value(u"status"_s).toString(), u"TimedOut"_s);

        // Deciding it anyway (a stale window) says so and sends nothing.
        const auto late = decide(megan->pim->approvals(), {id}, true, u"sorry, late"_s);
        QVERIFY(late);
        QVERIFY(!late->first().result.ok());
        QCOMPARE(acceptedDecisions(), 0);
    }
};

QTEST_MAIN(TestApprovalService)
#include "tst_approvalservice.moc"

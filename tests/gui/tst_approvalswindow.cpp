// SPDX-License-Identifier: GPL-3.0-or-later
// ApprovalsWindow with several users signed in to one in-process emulator (support/approvalsfixture.h):
// alex (and nestor) request, megan and lee select, justify and decide in the window; a second approver
// loses the race and is told who won; a denial tells the requester why and who; several rows at once;
// columns fit rows that arrive later. Every decision is checked in the emulator's state, so a decision
// sent twice (or by the wrong person) fails the test.

#include "core/history.h"
#include "graph/approvalservice.h"
#include "graph/requesttracker.h"
#include "support/approvalsfixture.h"
#include "ui/approvalsmodel.h"
#include "ui/approvalswindow.h"
#include "ui/pimpresenter.h"

#include <QApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>

using namespace Elevate;
using namespace Elevate::Test::Approvals;
using namespace Qt::StringLiterals;
using Test::describe;

class TestApprovalsWindow : public Test::Approvals::ApprovalsTest
{
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { m_emulator.reset(); }

    void windowApproves()
    {
        QVERIFY(startEmulator(scenarioWithNestor()));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto nestor = signedIn(kNestor);
        QVERIFY(nestor);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);

        const auto network = request(*alex, kNetwork, 3600, u"BGP peering change"_s, u"CHG-77"_s);
        VERIFY_OK(network);
        const auto admin = request(*alex, kAdministrator, 2 * 3600,
                                   u"incident 4711: restore the RDS snapshot"_s, u"OPS-4711"_s);
        VERIFY_OK(admin);
        const auto nestors
            = request(*nestor, kAdministrator, 4 * 3600, u"quarterly patching"_s, u"OPS-4712"_s);
        VERIFY_OK(nestors);
        const QString id = network->value().id;

        Graph::ApprovalService *approvals = megan->pim->approvals();
        const auto refreshed = refresh(approvals);
        VERIFY_OK(refreshed);
        QCOMPARE(approvals->pending().size(), 3);

        Elevate::Ui::ApprovalsWindow w(megan->pim.get());
        w.resize(1280, 420);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *view = child<QTableView>(&w, "approvalsView");
        auto *justification = child<QLineEdit>(&w, "justificationEdit");
        auto *approve = child<QPushButton>(&w, "approveButton");
        auto *deny = child<QPushButton>(&w, "denyButton");
        auto *message = child<QLabel>(&w, "messageLabel");
        auto *count = child<QLabel>(&w, "countLabel");
        auto *empty = child<QLabel>(&w, "emptyLabel");
        QVERIFY(view && justification && approve && deny && message && count && empty);
        QCOMPARE(w.model()->rowCount(), 3);
        QCOMPARE(view->model()->rowCount(), 3);
        QVERIFY(view->isVisible());
        QVERIFY(!empty->isVisible());
        QVERIFY2(count->text().startsWith(u"3 request"_s), qPrintable(count->text()));
        const int row = w.model()->rowOf(id);
        QVERIFY(row >= 0);
        QCOMPARE(w.model()->index(row, Elevate::Ui::ApprovalsModel::Requester).data().toString(),
                 u"Alex Wilber (alex@contoso.example)"_s);
        QVERIFY2(w.model()
                     ->index(row, Elevate::Ui::ApprovalsModel::Target)
                     .data()
                     .toString()
                     .contains(u"NetworkAdministrator on Shared Services"_s),
                 qPrintable(w.model()->index(row, Elevate::Ui::ApprovalsModel::Target).data().toString()));
        QCOMPARE(w.model()->index(row, Elevate::Ui::ApprovalsModel::Ticket).data().toString(),
                 u"Jira CHG-77"_s);
        QVERIFY(w.model()
                    ->index(w.model()->rowOf(nestors->value().id), Elevate::Ui::ApprovalsModel::Requester)
                    .data()
                    .toString()
                    .startsWith(u"Nestor Wilke"_s));

        // Nothing selected, no justification: nothing to press.
        QVERIFY(w.selectedIds().isEmpty());
        QVERIFY(!approve->isEnabled());
        QVERIFY(!deny->isEnabled());
        // A justification alone is not enough…
        QTest::keyClicks(justification, u"CAB approved the change"_s);
        QVERIFY(!approve->isEnabled());
        QVERIFY(!deny->isEnabled());
        justification->clear();
        // …nor a selection alone.
        w.selectRequest(id);
        QCOMPARE(w.selectedIds(), QStringList {id});
        QCOMPARE(w.focusWidget(), justification);
        QVERIFY(!approve->isEnabled());
        QVERIFY(!deny->isEnabled());
        justification->setText(u"   "_s); // blanks are no justification
        QVERIFY(!approve->isEnabled());
        justification->clear();
        QTest::keyClicks(justification, u"CAB approved the change"_s);
        QVERIFY(approve->isEnabled());
        QVERIFY(deny->isEnabled());

        // Selecting two rows offers to decide both.
        auto *proxy = qobject_cast<QSortFilterProxyModel *>(view->model());
        QVERIFY(proxy);
        view->selectionModel()->select(
            proxy->mapFromSource(w.model()->index(w.model()->rowOf(admin->value().id), 0)),
            QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(w.selectedIds().size(), 2);
        QCOMPARE(approve->text(), u"&Approve 2"_s);
        w.selectRequest(id); // back to one
        QCOMPARE(w.selectedIds(), QStringList {id});
        QCOMPARE(approve->text(), u"&Approve"_s);
        QVERIFY(approve->isEnabled());

        // The queue as megan sees it, three requests waiting, before any decision.
        QCoreApplication::processEvents();
        QVERIFY(w.grab().save(Test::artifactPath(u"approvals-window.png"_s)));

        QSignalSpy alexNotes(alex->pim.get(), &Elevate::Ui::PimPresenter::notify);
        QTest::mouseClick(approve, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(u"You approved it"_s), kWaitMs);
        QVERIFY2(message->text().contains(u"Alex Wilber"_s), qPrintable(message->text()));
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowOf(id), -1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowCount(), 2, kWaitMs);
        QVERIFY2(count->text().startsWith(u"2 request"_s), qPrintable(count->text()));
        QVERIFY(justification->text().isEmpty()); // all went well: ready for the next one
        QVERIFY(w.selectedIds().isEmpty());
        QVERIFY(!approve->isEnabled());
        QCOMPARE(approvals->rowMessage(id), u"You approved it"_s);

        // In PIM: approved once, by megan, with her words; the other two still wait.
        const QJsonObject decided = emulatorRequest(id);
        QCOMPARE(decided.value(u"status"_s).toString(), u"Provisioned"_s);
        const QJsonObject decision = decided.value(u"decision"_s).toObject();
        QCOMPARE(decision.value(u"approver"_s).toString(), kMegan);
        QCOMPARE(decision.value(u"result"_s).toString(), u"Approved"_s);
        QCOMPARE(decision.value(u"justification"_s).toString(), u"CAB approved the change"_s);
        QCOMPARE(acceptedDecisions(), 1);
        QCOMPARE(emulatorRequest(admin->value().id).value(u"status"_s).toString(), u"PendingApproval"_s);
        QCOMPARE(emulatorRequest(nestors->value().id).value(u"status"_s).toString(), u"PendingApproval"_s);

        // Alex hears who approved and has the grant.
        const auto synced = sync(*alex);
        VERIFY_OK(synced);
        QTRY_VERIFY2_WITH_TIMEOUT(alex->noted(u"Megan Bowen approved your request"_s),
                                  qPrintable(alex->notes.join(u" | "_s)), kWaitMs);
        QVERIFY(alex->pim->requests()->grantFor(alex->pim->target(kNetwork)->eligibility.groupId,
                                                Core::AccessKind::Member));
        QVERIFY(alexNotes.count() >= 1);
    }

    void secondApproverLosesTheRace()
    {
        QVERIFY(startEmulator(scenarioWithNestor()));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        auto lee = signedIn(kLee);
        QVERIFY(lee);

        const auto sent = request(*alex, kNetwork, 3600, u"firewall rule for the VPN"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        for (User *u : {megan.get(), lee.get()}) {
            const auto refreshed = refresh(u->pim->approvals());
            VERIFY_OK(refreshed);
            QCOMPARE(pendingIds(u->pim->approvals()), QStringList {id});
        }

        // Lee has the window open on it; megan decides first.
        Elevate::Ui::ApprovalsWindow w(lee->pim.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.selectRequest(id);
        QTest::keyClicks(child<QLineEdit>(&w, "justificationEdit"), u"looks fine"_s);
        QVERIFY(child<QPushButton>(&w, "approveButton")->isEnabled());

        const auto first = decide(megan->pim->approvals(), {id}, true, u"approved by the owner"_s);
        QVERIFY(first);
        QCOMPARE(first->size(), 1);
        VERIFY_OK(first->first().result);
        QCOMPARE(acceptedDecisions(), 1);

        // Lee, still seeing the row, approves too: told who decided, the row goes, nothing is sent twice.
        auto *message = child<QLabel>(&w, "messageLabel");
        QCOMPARE(w.model()->rowOf(id), 0);
        QTest::mouseClick(child<QPushButton>(&w, "approveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!message->text().isEmpty() && !message->text().startsWith(u"Approving"_s),
                                 kWaitMs);
        QVERIFY2(message->text().contains(u"Megan Bowen"_s), qPrintable(message->text()));
        QVERIFY2(lee->pim->approvals()->rowMessage(id).contains(u"Megan Bowen"_s),
                 qPrintable(lee->pim->approvals()->rowMessage(id)));
        QVERIFY2(lee->pim->approvals()->rowMessage(id).contains(u"approved"_s),
                 qPrintable(lee->pim->approvals()->rowMessage(id)));
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowOf(id), -1, kWaitMs);
        QVERIFY(!lee->pim->approvals()->pendingRequest(id));
        // The justification stays: lee's decision did not go through.
        QCOMPARE(child<QLineEdit>(&w, "justificationEdit")->text(), u"looks fine"_s);
        QVERIFY(child<QLabel>(&w, "emptyLabel")->isVisible());
        QVERIFY(w.grab().save(Test::artifactPath(u"approvals-window-race.png"_s)));

        // The same through the service: the outcome is AlreadyDecided and names megan.
        const auto again = decide(lee->pim->approvals(), {id}, false, u"too late"_s);
        QVERIFY(again);
        QCOMPARE(again->size(), 1);
        QVERIFY(!again->first().result.ok());
        QCOMPARE(again->first().result.error().serviceCode, u"AlreadyDecided"_s);
        QVERIFY2(again->first().result.error().message.contains(u"Megan Bowen"_s),
                 qPrintable(again->first().result.error().message));

        QCOMPARE(acceptedDecisions(), 1);
        const QJsonObject decision = emulatorRequest(id).value(u"decision"_s).toObject();
        QCOMPARE(decision.value(u"approver"_s).toString(), kMegan);
        QCOMPARE(decision.value(u"result"_s).toString(), u"Approved"_s);
        QCOMPARE(decision.value(u"justification"_s).toString(), u"approved by the owner"_s);
        QCOMPARE(emulatorRequest(id).value(u"status"_s).toString(), u"Provisioned"_s);

        // Both at the same moment (nestor's request): exactly one decision lands, the other approver
        // is told who it was.
        auto nestor = signedIn(kNestor);
        QVERIFY(nestor);
        const auto other = request(*nestor, kNetwork, 1800, u"VPN certificate rotation"_s);
        VERIFY_OK(other);
        const QString otherId = other->value().id;
        for (User *u : {megan.get(), lee.get()}) {
            const auto refreshed = refresh(u->pim->approvals());
            VERIFY_OK(refreshed);
            QCOMPARE(pendingIds(u->pim->approvals()), QStringList {otherId});
        }
        std::optional<QList<Graph::ApprovalService::Outcome>> meganSays, leeSays;
        megan->pim->approvals()->decide({otherId}, true, u"go ahead"_s, this,
                                        [&meganSays](auto o) { meganSays = std::move(o); });
        lee->pim->approvals()->decide({otherId}, false, u"not today"_s, this,
                                      [&leeSays](auto o) { leeSays = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(meganSays && leeSays, kWaitMs);
        QCOMPARE(meganSays->size(), 1);
        QCOMPARE(leeSays->size(), 1);
        const auto &m = meganSays->first().result;
        const auto &l = leeSays->first().result;
        QVERIFY2(m.ok() != l.ok(), QByteArray(describe(m) + " / " + describe(l)).constData());
        const QJsonObject raced = emulatorRequest(otherId).value(u"decision"_s).toObject();
        const auto &loser = m.ok() ? l : m;
        QCOMPARE(loser.error().serviceCode, u"AlreadyDecided"_s);
        QVERIFY2(loser.error().message.contains(m.ok() ? u"Megan Bowen"_s : u"Lee Gu"_s),
                 qPrintable(loser.error().message));
        QCOMPARE(raced.value(u"approver"_s).toString(), m.ok() ? kMegan : kLee);
        QCOMPARE(raced.value(u"result"_s).toString(), m.ok() ? u"Approved"_s : u"Denied"_s);
        QCOMPARE(acceptedDecisions(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(megan->pim->approvals()->pending().isEmpty()
                                     && lee->pim->approvals()->pending().isEmpty(),
                                 kWaitMs);
    }

    void decisionOnAStageThatStaysOpeningSaysTryAgain()
    {
        QVERIFY(startEmulator());
        QVERIFY(emulatorSettings({{u"approvalInitializingSeconds"_s, 600}}));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kAdministrator, 3600, u"rotate the keys"_s, u"OPS-92"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);

        Elevate::Ui::ApprovalsWindow w(megan->pim.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.selectRequest(id);
        QTest::keyClicks(child<QLineEdit>(&w, "justificationEdit"), u"fine"_s);
        QTest::mouseClick(child<QPushButton>(&w, "approveButton"), Qt::LeftButton);
        auto *message = child<QLabel>(&w, "messageLabel");
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(u"still opening"_s), kWaitMs);
        QVERIFY2(!message->text().contains(u"decided first"_s), qPrintable(message->text()));
        QCOMPARE(acceptedDecisions(), 0);
        QCOMPARE(w.model()->rowOf(id), 0); // still waiting for a decision
        QCOMPARE(child<QLineEdit>(&w, "justificationEdit")->text(), u"fine"_s);
        QVERIFY(w.grab().save(Test::artifactPath(u"approvals-window-opening.png"_s)));

        // Once the stage is open, the same press goes through.
        m_emulator->advanceClock(601);
        QTest::mouseClick(child<QPushButton>(&w, "approveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(u"You approved it"_s), kWaitMs);
        QCOMPARE(acceptedDecisions(), 1);
    }

    void denyTellsTheRequesterWhyAndWho()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);

        const auto sent = request(*alex, kAdministrator, 3600, u"clean up IAM users"_s, u"OPS-90"_s);
        VERIFY_OK(sent);
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);

        Elevate::Ui::ApprovalsWindow w(megan->pim.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.selectRequest(id);
        QTest::keyClicks(child<QLineEdit>(&w, "justificationEdit"), u"not during the change freeze"_s);
        QTest::mouseClick(child<QPushButton>(&w, "denyButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(&w, "messageLabel")->text().contains(u"You denied it"_s),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowCount(), 0, kWaitMs);
        QVERIFY(child<QLabel>(&w, "emptyLabel")->isVisible());

        const QJsonObject inPim = emulatorRequest(id);
        QCOMPARE(inPim.value(u"status"_s).toString(), u"Denied"_s);
        QCOMPARE(inPim.value(u"decision"_s).toObject().value(u"approver"_s).toString(), kMegan);
        QCOMPARE(acceptedDecisions(), 1);

        const auto synced = sync(*alex);
        VERIFY_OK(synced);
        QTRY_VERIFY2_WITH_TIMEOUT(alex->noted(u"not during the change freeze"_s),
                                  qPrintable(alex->notes.join(u" | "_s)), kWaitMs);
        QString note;
        for (const QString &n : alex->notes)
            if (n.contains(u"not during the change freeze"_s))
                note = n;
        QVERIFY2(note.contains(u"Megan Bowen"_s), qPrintable(note));
        QVERIFY2(note.contains(u"denied"_s), qPrintable(note));
        QVERIFY(alex->pim->requests()->openRequests().isEmpty());

        const auto entries = alex->history->entries();
        QVERIFY(entries.ok());
        std::optional<Core::HistoryEntry> h;
        for (const auto &e : entries.value())
            if (e.requestId == id)
                h = e;
        QVERIFY(h);
        QCOMPARE(h->decision, u"Denied"_s);
        QCOMPARE(h->outcome, u"Denied"_s);
        QCOMPARE(h->approver, u"Megan Bowen"_s);
        QCOMPARE(h->decisionJustification, u"not during the change freeze"_s);
        QCOMPARE(h->ticketNumber, u"OPS-90"_s);
    }

    /// Several rows at once, one of which someone else decided meanwhile; the filter; and a second
    /// press while the first decision is under way sends nothing more.
    void windowDecidesSeveralAtOnce()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        auto lee = signedIn(kLee);
        QVERIFY(lee);
        const auto network = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        VERIFY_OK(network);
        const auto admin = request(*alex, kAdministrator, 3600, u"incident 4711"_s, u"OPS-4711"_s);
        VERIFY_OK(admin);
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QCOMPARE(megan->pim->approvals()->pending().size(), 2);

        Elevate::Ui::ApprovalsWindow w(megan->pim.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *view = child<QTableView>(&w, "approvalsView");
        auto *filter = child<QLineEdit>(&w, "filterEdit");
        auto *message = child<QLabel>(&w, "messageLabel");
        auto *justification = child<QLineEdit>(&w, "justificationEdit");

        // The filter narrows the table; selecting a request from a notification clears it.
        QTest::keyClicks(filter, u"ops-4711"_s);
        QCOMPARE(view->model()->rowCount(), 1);
        QCOMPARE(view->model()->index(0, 0).data(Elevate::Ui::ApprovalsModel::RequestIdRole).toString(),
                 admin->value().id);
        w.selectRequest(network->value().id);
        QVERIFY(filter->text().isEmpty());
        QCOMPARE(view->model()->rowCount(), 2);
        QCOMPARE(w.selectedIds(), QStringList {network->value().id});

        // Lee decides the network request behind megan's back.
        const auto byLee = decide(lee->pim->approvals(), {network->value().id}, true, u"fine by me"_s);
        QVERIFY(byLee && byLee->first().result.ok());
        QCOMPARE(acceptedDecisions(), 1);

        view->selectAll();
        QCOMPARE(w.selectedIds().size(), 2);
        QTest::keyClicks(justification, u"reviewed both"_s);
        QCOMPARE(child<QPushButton>(&w, "approveButton")->text(), u"&Approve 2"_s);
        w.decide(true);
        QVERIFY(!child<QPushButton>(&w, "approveButton")->isEnabled()); // busy
        QVERIFY(!child<QPushButton>(&w, "denyButton")->isEnabled());
        w.decide(true); // a second press (shortcut, double click) while busy
        QTRY_VERIFY_WITH_TIMEOUT(!message->text().isEmpty() && !message->text().startsWith(u"Approving"_s),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowCount(), 0, kWaitMs);
        QTest::qWait(200); // anything still on its way would land now
        const QStringList lines = message->text().split(u'\n');
        QCOMPARE(lines.size(), 2);
        for (const QString &line : lines) {
            if (line.contains(u"NetworkAdministrator"_s))
                QVERIFY2(line.contains(u"Someone else decided first"_s) && line.contains(u"Lee Gu"_s),
                         qPrintable(line));
            else
                QVERIFY2(line.contains(u"AdministratorAccess"_s) && line.contains(u"You approved it"_s),
                         qPrintable(line));
        }
        QCOMPARE(acceptedDecisions(), 2); // lee's and megan's one; nothing twice
        QCOMPARE(emulatorRequest(admin->value().id)
                     .value(u"decision"_s)
                     .toObject()
                     .value(u"approver"_s)
                     .toString(),
                 kMegan);
        QCOMPARE(emulatorRequest(network->value().id)
                     .value(u"decision"_s)
                     .toObject()
                     .value(u"approver"_s)
                     .toString(),
                 kLee);
        QCOMPARE(patches(), 2); // megan never PATCHed the one lee had decided, nor anything twice
    }

    /// The window is usually opened before anything waits (the tray keeps it): the columns must fit
    /// the rows that arrive later, not only the headers.
    void windowFitsColumnsToRowsThatArriveLater()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        Elevate::Ui::ApprovalsWindow w(megan->pim.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.model()->rowCount(), 0);
        QVERIFY(child<QLabel>(&w, "emptyLabel")->isVisible());
        QVERIFY(!child<QTableView>(&w, "approvalsView")->isVisible());

        const auto sent = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        VERIFY_OK(sent);
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QCOMPARE(w.model()->rowCount(), 1);
        auto *view = child<QTableView>(&w, "approvalsView");
        QVERIFY(view->isVisible());
        QVERIFY(!child<QLabel>(&w, "emptyLabel")->isVisible());
        for (int col :
             {int(Elevate::Ui::ApprovalsModel::Requester), int(Elevate::Ui::ApprovalsModel::Target)}) {
            const QString text = w.model()->index(0, col).data().toString();
            QVERIFY2(view->columnWidth(col) >= view->fontMetrics().horizontalAdvance(text),
                     qPrintable(u"%1: %2 px for '%3'"_s.arg(col).arg(view->columnWidth(col)).arg(text)));
        }
    }
};

QTEST_MAIN(TestApprovalsWindow)
#include "tst_approvalswindow.moc"

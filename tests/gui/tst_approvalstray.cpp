// SPDX-License-Identifier: GPL-3.0-or-later
// The approver's way in (support/approvalsfixture.h): the tray's "Approvals (n)…" entry and badge, the
// main window's button without a tray host, and the notification clicks that open the queue.

#include "graph/approvalservice.h"
#include "support/approvalsfixture.h"
#include "support/menus.h"
#include "ui/mainwindow.h"
#include "ui/pimpresenter.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QMenu>
#include <QPushButton>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTest>

using namespace Elevate;
using namespace Elevate::Test::Approvals;
using namespace Qt::StringLiterals;
using Test::byName;
using Test::describe;

class TestApprovalsTray : public Test::Approvals::ApprovalsTest
{
    Q_OBJECT
private Q_SLOTS:
    void cleanup() { m_emulator.reset(); }

    void trayShowsTheQueue()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        Elevate::Ui::TrayController meganTray(megan->pim.get());
        Elevate::Ui::TrayController alexTray(alex->pim.get());
        // megan's store is fresh and nothing waits yet: no entry for her either.
        QVERIFY(!byName(meganTray.menu(), u"approvalsAction"_s));
        QCOMPARE(meganTray.badge(), 0);

        const auto network = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        VERIFY_OK(network);
        const auto admin = request(*alex, kAdministrator, 3600, u"incident 4711"_s, u"OPS-4711"_s);
        VERIFY_OK(admin);
        QStringList announced;
        connect(megan->pim.get(), &Elevate::Ui::PimPresenter::approvalArrived, &meganTray,
                [&](const QString &id, const QString &title, const QString &message) {
                    announced << id;
                    meganTray.notifyApproval(id, title, message);
                });
        const auto refreshed = refresh(megan->pim->approvals());
        VERIFY_OK(refreshed);
        QCOMPARE(announced.size(), 2);

        QAction *entry = byName(meganTray.menu(), u"approvalsAction"_s);
        QVERIFY(entry);
        QCOMPARE(entry->text(), u"Approvals (2)…"_s);
        QCOMPARE(meganTray.badge(), 2);
        // Without a tray host the window is the way in: the same entry as a button, approvers only.
        {
            Elevate::Ui::MainWindow meganWindow(megan->pim.get());
            Elevate::Ui::MainWindow alexWindow(alex->pim.get());
            auto *button = meganWindow.findChild<QPushButton *>(u"approvalsButton"_s);
            QVERIFY(button && !button->isHidden());
            QCOMPARE(button->text(), u"A&pprovals (2)…"_s);
            QSignalSpy asked(&meganWindow, &Elevate::Ui::MainWindow::approvalsRequested);
            button->click();
            QCOMPARE(asked.count(), 1);
            QVERIFY(alexWindow.findChild<QPushButton *>(u"approvalsButton"_s)->isHidden());
        }
        QVERIFY2(meganTray.trayIcon()->toolTip().contains(u"waiting for your approval"_s),
                 qPrintable(meganTray.trayIcon()->toolTip()));
        QVERIFY(!meganTray.trayIcon()->icon().isNull());
        const QImage badged = meganTray.trayIcon()->icon().pixmap(32, 32).toImage();
        const QImage plain = Elevate::Ui::trayIcon(meganTray.state()).pixmap(32, 32).toImage();
        QVERIFY(!badged.isNull());
        QVERIFY(badged != plain); // the count is drawn on it
        QVERIFY(meganTray.trayIcon()->icon().pixmap(32, 32).save(
            Test::artifactPath(u"approvals-tray-icon.png"_s)));

        // The tray menu as megan sees it.
        QMenu *menu = meganTray.menu();
        menu->popup(QPoint(10, 10));
        QTest::qWait(50);
        QVERIFY(menu->grab().save(Test::artifactPath(u"approvals-tray-menu.png"_s)));
        menu->hide();

        // The entry opens the queue; a click on an approval's notification opens it on that request;
        // a click on any other notification opens the main window.
        QSignalSpy queue(&meganTray, &Elevate::Ui::TrayController::approvalsRequested);
        QSignalSpy window(&meganTray, &Elevate::Ui::TrayController::openWindowRequested);
        entry->trigger();
        QCOMPARE(queue.count(), 1);
        QCOMPARE(queue.takeFirst().first().toString(), QString());
        meganTray.notifyApproval(admin->value().id, u"Approval needed"_s, u"Alex Wilber asks"_s);
        Q_EMIT meganTray.trayIcon()->messageClicked();
        QCOMPARE(queue.count(), 1);
        QCOMPARE(queue.takeFirst().first().toString(), admin->value().id);
        QCOMPARE(window.count(), 0);
        meganTray.notify(u"Access granted"_s, u"ReadOnlyAccess is active."_s, false);
        Q_EMIT meganTray.trayIcon()->messageClicked();
        QCOMPARE(queue.count(), 0);
        QCOMPARE(window.count(), 1);

        // alex has never had anything to approve: no entry, no badge.
        QVERIFY(!alex->pim->approvals()->isApprover());
        QVERIFY(!byName(alexTray.menu(), u"approvalsAction"_s));
        QCOMPARE(alexTray.badge(), 0);
        QVERIFY(!alexTray.trayIcon()->toolTip().contains(u"approval"_s));

        // One decided: the count follows; none left: the entry stays (megan is an approver), uncounted.
        const auto one = decide(megan->pim->approvals(), {network->value().id}, true, u"ok"_s);
        QVERIFY(one && one->first().result.ok());
        QTRY_COMPARE_WITH_TIMEOUT(meganTray.badge(), 1, kWaitMs);
        QCOMPARE(byName(meganTray.menu(), u"approvalsAction"_s)->text(), u"Approvals (1)…"_s);
        const auto two = decide(megan->pim->approvals(), {admin->value().id}, false, u"no"_s);
        QVERIFY(two && two->first().result.ok());
        QTRY_COMPARE_WITH_TIMEOUT(meganTray.badge(), 0, kWaitMs);
        QVERIFY(byName(meganTray.menu(), u"approvalsAction"_s));
        QCOMPARE(byName(meganTray.menu(), u"approvalsAction"_s)->text(), u"Approvals…"_s);
        QVERIFY(!meganTray.trayIcon()->toolTip().contains(u"waiting for your approval"_s));
    }
};

QTEST_MAIN(TestApprovalsTray)
#include "tst_approvalstray.moc"

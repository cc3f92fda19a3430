// SPDX-License-Identifier: GPL-3.0-or-later
// The tray menu's contents through a whole sign-in against the in-process emulator (offscreen).

#include "signedinfixture.h"
#include "ui/targetsmodel.h"
#include "ui/traycontroller.h"

#include <QMenu>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
QStringList texts(const QMenu *menu)
{
    QStringList out;
    for (const QAction *a : menu->actions())
        out << (a->isSeparator() ? u"---"_s : a->text());
    return out;
}
QAction *byName(const QMenu *menu, const QString &name)
{
    for (QAction *a : menu->actions())
        if (a->objectName() == name)
            return a;
    return nullptr;
}
} // namespace

class TestTrayMenu : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void signedOutMenu()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.controller.get());
        const QStringList t = texts(tray.menu());
        QCOMPARE(t.first(), u"Not signed in"_s);
        QVERIFY(!tray.menu()->actions().first()->isEnabled());
        QVERIFY(byName(tray.menu(), u"signInAction"_s));
        QVERIFY(byName(tray.menu(), u"openWindowAction"_s));
        QVERIFY(byName(tray.menu(), u"quitAction"_s));
        QVERIFY(!byName(tray.menu(), u"signOutAction"_s));
        QVERIFY(!byName(tray.menu(), u"refreshAction"_s));
        QCOMPARE(tray.state(), Ui::TrayState::SignedOut);
        QCOMPARE(tray.trayIcon()->toolTip(), u"Elevate — not signed in"_s);
    }

    void signedInMenuListsTargetsByAccount()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.controller.get());
        QVERIFY(f.signIn());
        QMenu *menu = tray.menu();
        QCOMPARE(menu->actions().first()->text(), u"Alex Wilber (alex@contoso.example)"_s);

        // Expected: every mapped target under its account's submenu, every unmapped group under "Not mapped".
        const auto &targets = f.controller->targets()->targets();
        QCOMPARE(targets.size(), f.scenarioEligibilities(u"alex@contoso.example"_s).size());
        QVERIFY(targets.size() >= 8);
        QMap<QString, QStringList> expectedRoles;
        QStringList expectedUnmapped;
        for (const auto &t : targets) {
            if (t.aws)
                expectedRoles[Ui::TargetsModel::accountLabel(*t.aws)]
                    << (t.eligibility.accessId == u"owner" ? t.aws->roleName + u" (as group owner)"_s
                                                           : t.aws->roleName);
            else
                expectedUnmapped << t.key();
        }
        QVERIFY2(expectedRoles.size() >= 3, "the demo scenario spans at least three AWS accounts");
        QVERIFY2(!expectedUnmapped.isEmpty(), "the demo scenario has a group that breaks the naming rule");

        QMap<QString, QStringList> actualRoles;
        QStringList actualUnmapped;
        QList<QAction *> targetActions;
        for (QAction *a : menu->actions()) {
            if (!a->menu())
                continue;
            if (a->menu()->objectName() == u"unmappedMenu") {
                for (QAction *g : a->menu()->actions()) {
                    QVERIFY(!g->isEnabled());
                    actualUnmapped << g->text();
                }
                continue;
            }
            for (QAction *r : a->menu()->actions()) {
                actualRoles[a->text()] << r->text();
                targetActions << r;
            }
        }
        QCOMPARE(actualRoles, expectedRoles);
        QCOMPARE(actualUnmapped, expectedUnmapped);
        // "Not mapped" comes after every account.
        QList<QAction *> submenus;
        for (QAction *a : menu->actions())
            if (a->menu())
                submenus << a;
        QCOMPARE(submenus.last()->menu()->objectName(), u"unmappedMenu"_s);

        QVERIFY(byName(menu, u"signOutAction"_s));
        QVERIFY(byName(menu, u"refreshAction"_s)->isEnabled());
        QVERIFY(!byName(menu, u"signInAction"_s));
        QCOMPARE(tray.state(), Ui::TrayState::Idle);
        QVERIFY(tray.trayIcon()->toolTip().contains(u"%1 eligible target"_s.arg(targets.size())));

        // A target entry opens the window on that target.
        QSignalSpy open(&tray, &Ui::TrayController::openWindowRequested);
        targetActions.first()->trigger();
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.first().first().toString(), targetActions.first()->data().toString());
        QVERIFY(f.controller->targets()->rowOf(open.first().first().toString()) >= 0);

        menu->popup(QPoint(10, 10));
        QTest::qWait(50);
        QVERIFY(menu->grab().save(Test::artifactPath(u"tray-menu-offscreen.png"_s)));
        menu->hide();

        // Sign out: the targets disappear and "Sign in…" returns.
        byName(menu, u"signOutAction"_s)->trigger();
        QTRY_COMPARE(f.controller->status(), Ui::AccessController::Status::SignedOut);
        QCOMPARE(tray.menu()->actions().first()->text(), u"Not signed in"_s);
        QVERIFY(byName(tray.menu(), u"signInAction"_s));
        QVERIFY(f.secrets.entries().isEmpty());
    }

    void loadFailureIsShownNotHidden()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.controller.get());
        QVERIFY(f.signIn());
        // Point Graph at a port where nothing listens: the refresh fails, the menu says so.
        Graph::GraphClient brokenGraph(QUrl(u"http://127.0.0.1:9/graph/v1.0"_s), f.config.graphResource,
                                       f.http.get(), f.session.get());
        Ui::AccessController broken(f.session.get(), &brokenGraph, Core::TargetMapper(f.config.mapping),
                                    &f.clock);
        Ui::TrayController brokenTray(&broken);
        QSignalSpy errors(&broken, &Ui::AccessController::errorOccurred);
        broken.refresh();
        QTRY_COMPARE(errors.count(), 1);
        QCOMPARE(brokenTray.state(), Ui::TrayState::Error);
        QVERIFY(texts(brokenTray.menu()).contains(u"Eligible access could not be loaded"_s));
    }
};

QTEST_MAIN(TestTrayMenu)
#include "tst_traymenu.moc"

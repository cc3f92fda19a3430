// SPDX-License-Identifier: GPL-3.0-or-later
// The tray menu's contents through a whole sign-in against the in-process emulator (offscreen).

#include "graph/requesttracker.h"
#include "support/emulatorfixture.h"
#include "support/menus.h"
#include "support/signedinfixture.h"
#include "ui/targetsmodel.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QMenu>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTest>
#include <QTimer>

#include <optional>

using namespace Elevate;
using namespace Qt::StringLiterals;

using Test::byName;
using Test::texts;

class TestTrayMenu : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void signedOutMenu()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
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

    void iconsAreMadeOncePerState()
    {
        // Qt caches an icon's renderings under its QIcon: a new QIcon for a state shown before rendered
        // again under new keys, a few kB per grant for hours (issue 14, tray_growth_mb).
        qunsetenv("ELEVATE_TRAY_THEME");
        Ui::TrayIconCache cache;
        const QIcon active = cache.icon(Ui::TrayState::Active);
        QVERIFY(!active.pixmap(22, 22).isNull());
        const QIcon idle = cache.icon(Ui::TrayState::Idle);
        QVERIFY(idle.cacheKey() != active.cacheKey());
        QCOMPARE(cache.icon(Ui::TrayState::Active).cacheKey(), active.cacheKey());
        QCOMPARE(cache.icon(Ui::TrayState::Idle, -1).cacheKey(), idle.cacheKey()); // no count, no badge
        QCOMPARE(cache.size(), 2);
        // One icon per count drawn, and every count above 9 is drawn "9+".
        const QIcon two = cache.icon(Ui::TrayState::Idle, 2);
        QVERIFY(two.cacheKey() != idle.cacheKey());
        QCOMPARE(cache.icon(Ui::TrayState::Idle, 12).cacheKey(),
                 cache.icon(Ui::TrayState::Idle, 40).cacheKey());
        QVERIFY(cache.icon(Ui::TrayState::Idle, 12).cacheKey()
                != cache.icon(Ui::TrayState::Idle, 9).cacheKey());
        QCOMPARE(cache.size(), 5);
        // The panel's variant is part of the key.
        qputenv("ELEVATE_TRAY_THEME", "dark");
        const qint64 dark = cache.icon(Ui::TrayState::Active).cacheKey();
        qunsetenv("ELEVATE_TRAY_THEME");
        QVERIFY(dark != active.cacheKey());
        QCOMPARE(cache.size(), 6);

        // The tray shows the same icon again when a state comes back.
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QCOMPARE(tray.state(), Ui::TrayState::SignedOut);
        const qint64 signedOut = tray.trayIcon()->icon().cacheKey();
        QVERIFY(f.signIn());
        QTRY_COMPARE(tray.state(), Ui::TrayState::Idle);
        QVERIFY(tray.trayIcon()->icon().cacheKey() != signedOut);
        f.pim->signOut();
        QTRY_COMPARE(tray.state(), Ui::TrayState::SignedOut);
        QCOMPARE(tray.trayIcon()->icon().cacheKey(), signedOut);
        QVERIFY2(tray.icons().size() <= 3, qPrintable(QString::number(tray.icons().size()))); // Busy too
    }

    void signedInMenuListsTargetsByAccount()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        QMenu *menu = tray.menu();
        QCOMPARE(menu->actions().first()->text(), u"Alex Wilber (alex@contoso.example)"_s);

        // Expected: every mapped target under its account's submenu, every unmapped group under "Not mapped".
        const auto &targets = f.pim->targets()->targets();
        QCOMPARE(targets.size(), f.scenarioEligibilities(u"alex@contoso.example"_s).size());
        QVERIFY(targets.size() >= 8);
        QMap<QString, QStringList> expectedRoles;
        QStringList expectedUnmapped;
        for (const auto &t : targets) {
            if (t.aws)
                expectedRoles[Ui::TargetsModel::accountLabel(*t.aws)]
                    << (t.eligibility.access == Core::AccessKind::Owner
                            ? t.aws->roleName + u" (as group owner)…"_s
                            : t.aws->roleName + u"…"_s);
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

        // An eligible target's entry opens the request form for that target.
        QSignalSpy open(&tray, &Ui::TrayController::requestFormRequested);
        targetActions.first()->trigger();
        QCOMPARE(open.count(), 1);
        QCOMPARE(open.first().first().toString(), targetActions.first()->data().toString());
        QVERIFY(f.pim->targets()->rowOf(open.first().first().toString()) >= 0);

        menu->popup(QPoint(10, 10));
        QTest::qWait(50);
        QVERIFY(menu->grab().save(Test::artifactPath(u"tray-menu-offscreen.png"_s)));
        menu->hide();

        // Sign out: the targets disappear and "Sign in…" returns.
        byName(menu, u"signOutAction"_s)->trigger();
        QTRY_COMPARE(f.pim->status(), Ui::PimPresenter::Status::SignedOut);
        QCOMPARE(tray.menu()->actions().first()->text(), u"Not signed in"_s);
        QVERIFY(byName(tray.menu(), u"signInAction"_s));
        QVERIFY(f.secrets.entries().isEmpty());
    }

    void loadFailureIsShownNotHidden()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        // Point Graph at a port where nothing listens: the refresh fails, the menu says so.
        Graph::GraphClient brokenGraph(QUrl(u"http://127.0.0.1:9/graph/v1.0"_s), f.config.graphResource,
                                       f.http.get(), f.session.get());
        brokenGraph.setClock(&f.clock);
        Graph::RequestTracker brokenRequests(&brokenGraph, nullptr, Core::TargetMapper(f.config.mapping),
                                             &f.clock);
        Graph::ApprovalService brokenApprovals(&brokenGraph, nullptr, &f.clock);
        Ui::PimPresenter broken({f.session.get(), &brokenGraph, &brokenRequests, &brokenApprovals, &f.clock},
                                Core::TargetMapper(f.config.mapping));
        Ui::TrayController brokenTray(&broken);
        QSignalSpy errors(&broken, &Ui::PimPresenter::errorOccurred);
        broken.refresh();
        QTRY_COMPARE(errors.count(), 1);
        QCOMPARE(brokenTray.state(), Ui::TrayState::Error);
        QVERIFY(texts(brokenTray.menu()).contains(u"Eligible access could not be loaded"_s));
    }
};

class TestTrayLive : public QObject
{
    Q_OBJECT

    static bool noRepeatingTimer(const Ui::TrayController &tray)
    {
        const auto timers = tray.findChildren<QTimer *>();
        return std::none_of(timers.cbegin(), timers.cend(),
                            [](const QTimer *t) { return t->isActive() && !t->isSingleShot(); });
    }

    /// Activates `target` for `secs` once the first sync is done; true when the grant is listed.
    static bool activate(Test::SignedInFixture &f, const QString &target, int secs)
    {
        auto *access = f.pim->requests();
        if (!QTest::qWaitFor([access] { return access->lastSync().isValid(); }))
            return false;
        const auto t = f.pim->target(target);
        if (!t)
            return false;
        Core::ActivationDraft draft;
        draft.durationSecs = secs;
        std::optional<bool> ok;
        access->request(*t, draft, f.pim.get(), [&ok](Core::Result<Core::AccessRequest> r) { ok = r.ok(); });
        return QTest::qWaitFor([&ok] { return ok.has_value(); }) && *ok
            && QTest::qWaitFor([access] { return access->grants().size() == 1; });
    }

private Q_SLOTS:
    void closedMenuWakesOnlyForTheWarning()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        auto *access = f.pim->requests();
        QVERIFY(activate(f, u"123456789012/ReadOnlyAccess"_s, 30 * 60));
        QCOMPARE(tray.state(), Ui::TrayState::Active);
        // One single-shot timer, due when the grant enters its 15-minute warning; nothing repeats.
        QVERIFY2(noRepeatingTimer(tray), "a timer repeats while the menu is closed");
        const auto timers = tray.findChildren<QTimer *>();
        const qint64 toWarning = (access->grants().first().secondsLeft(f.clock.now()) - 15 * 60) * 1000 + 500;
        QVERIFY(std::any_of(timers.cbegin(), timers.cend(), [toWarning](const QTimer *t) {
            return t->isActive() && t->isSingleShot() && qAbs(t->remainingTime() - toWarning) < 5000;
        }));
        // While the menu is open the countdown ticks every second, and stops with the menu.
        Q_EMIT tray.menu()->aboutToShow();
        QVERIFY(std::any_of(timers.cbegin(), timers.cend(), [](const QTimer *t) {
            return t->isActive() && !t->isSingleShot() && t->interval() == 1000;
        }));
        Q_EMIT tray.menu()->aboutToHide();
        QVERIFY(noRepeatingTimer(tray));
    }

    void activeGrantAndPendingRequestAtTheTop()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        auto *access = f.pim->requests();
        QTRY_VERIFY(access->lastSync().isValid());
        const auto ro = f.pim->target(u"123456789012/ReadOnlyAccess"_s);
        QVERIFY(ro);

        // Ten minutes of ReadOnlyAccess: active, and already inside the 15-minute warning.
        QSignalSpy notes(f.pim.get(), &Ui::PimPresenter::notify);
        QVERIFY(activate(f, ro->key(), 10 * 60));
        QCOMPARE(tray.state(), Ui::TrayState::Expiring);
        // The tooltip names the end time: it stays true without a timer while nobody looks.
        const QString until = access->grants().first().end.toLocalTime().toString(u"HH:mm"_s);
        QVERIFY2(tray.trayIcon()->toolTip().contains(u"ReadOnlyAccess on Production — until "_s + until),
                 qPrintable(tray.trayIcon()->toolTip()));
        QVERIFY2(noRepeatingTimer(tray), "a timer repeats while the menu is closed");
        QTRY_VERIFY(std::any_of(notes.cbegin(), notes.cend(), [](const QList<QVariant> &n) {
            return n.at(0).toString() == u"Access granted"_s
                && n.at(1).toString().contains(u"ReadOnlyAccess"_s);
        }));
        // The 15-minute warning fired once (the grant was born inside it); the 5 and 1 are to come.
        QTRY_VERIFY(std::any_of(notes.cbegin(), notes.cend(), [](const QList<QVariant> &n) {
            return n.at(0).toString() == u"Access ends soon"_s;
        }));

        QMenu *menu = tray.menu();
        QMenu *grantMenu = menu->findChild<QMenu *>(u"grant_"_s + ro->eligibility.groupId);
        QVERIFY(grantMenu);
        QVERIFY(menu->actions().indexOf(grantMenu->menuAction()) < 3); // right under the account
        QVERIFY2(grantMenu->title().contains(u" left"_s), qPrintable(grantMenu->title()));
        QAction *deactivate = grantMenu->findChild<QAction *>(u"deactivateAction"_s);
        QVERIFY(deactivate);
        QVERIFY2(!deactivate->isEnabled(), "PIM refuses in the first 5 minutes; the menu must not offer it");
        QVERIFY(grantMenu->findChild<QAction *>(u"renewAction"_s));
        // The role entry in its account submenu says it is active.
        bool marked = false;
        for (QAction *a : menu->actions())
            if (a->menu() && a->menu()->objectName() == u"account_123456789012"_s)
                for (QAction *r : a->menu()->actions())
                    marked = marked || r->text() == u"ReadOnlyAccess — active"_s;
        QVERIFY(marked);

        // A request that needs approval: listed with a cancel action.
        const auto admin = f.pim->target(u"123456789012/AdministratorAccess"_s);
        QVERIFY(admin);
        Core::ActivationDraft pending;
        pending.durationSecs = 3600;
        pending.justification = u"Rotate KMS keys"_s;
        pending.ticketSystem = u"Jira"_s;
        pending.ticketNumber = u"OPS-7"_s;
        QString requestId;
        access->request(*admin, pending, &tray, [&requestId](Core::Result<Core::AccessRequest> r) {
            QVERIFY(r.ok());
            requestId = r->id;
        });
        QTRY_VERIFY(!requestId.isEmpty());
        QTRY_VERIFY(menu->findChild<QMenu *>(u"request_"_s + requestId));
        QMenu *requestMenu = menu->findChild<QMenu *>(u"request_"_s + requestId);
        QVERIFY2(requestMenu->title().contains(u"waiting for approval"_s), qPrintable(requestMenu->title()));
        QVERIFY(tray.trayIcon()->toolTip().contains(u"1 request"_s));

        // Countdowns tick while the menu is open: the clock a minute on, the next tick shows it.
        menu->popup(QPoint(10, 10));
        QTest::qWait(50);
        grantMenu = menu->findChild<QMenu *>(u"grant_"_s + ro->eligibility.groupId);
        const QString before = grantMenu->title();
        f.clock.advance(60);
        QTRY_VERIFY2(grantMenu->title() != before, qPrintable(before + u" / "_s + grantMenu->title()));
        QVERIFY(menu->grab().save(Test::artifactPath(u"tray-menu-live.png"_s)));
        menu->hide();

        // Cancel from the menu.
        requestMenu = menu->findChild<QMenu *>(u"request_"_s + requestId);
        requestMenu->findChild<QAction *>(u"cancelRequestAction"_s)->trigger();
        QTRY_VERIFY(!menu->findChild<QMenu *>(u"request_"_s + requestId));
        const QJsonObject state = f.emulator.state();
        bool canceled = false;
        for (const auto &r : state.value(u"requests"_s).toArray())
            canceled = canceled
                || (r.toObject().value(u"id"_s).toString() == requestId
                    && r.toObject().value(u"status"_s).toString() == u"Canceled"_s);
        QVERIFY(canceled);
    }

    void accountMenusAreKeptWhileTheTargetsStay()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        auto *access = f.pim->requests();
        QTRY_VERIFY(access->lastSync().isValid());
        QMenu *menu = tray.menu();
        const auto roleAction = [menu]() -> QAction * {
            for (QAction *a : menu->actions())
                if (a->menu() && a->menu()->objectName() == u"account_123456789012"_s)
                    for (QAction *r : a->menu()->actions())
                        if (r->text().startsWith(u"ReadOnlyAccess"_s))
                            return r;
            return nullptr;
        };
        const auto actionsInMenu = [menu] {
            QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
            return menu->findChildren<QAction *>().size();
        };
        const QPointer<QMenu> production = menu->findChild<QMenu *>(u"account_123456789012"_s);
        const QPointer<QAction> ro = roleAction();
        QVERIFY(production && ro);
        QCOMPARE(ro->text(), u"ReadOnlyAccess…"_s);
        const auto baseline = actionsInMenu();

        // Rebuilds with nothing new: the same submenus and actions, none made again.
        for (int i = 0; i < 3; ++i)
            f.pim->refresh();
        QTRY_VERIFY(f.pim->status() == Ui::PimPresenter::Status::Ready);
        QCOMPARE(menu->findChild<QMenu *>(u"account_123456789012"_s), production.data());
        QCOMPARE(roleAction(), ro.data());
        QCOMPARE(actionsInMenu(), baseline);

        // The role goes live: the same action is retitled, and now opens the window at its row.
        QVERIFY(activate(f, u"123456789012/ReadOnlyAccess"_s, 30 * 60));
        QTRY_COMPARE(ro->text(), u"ReadOnlyAccess — active"_s);
        QVERIFY(production);
        QCOMPARE(roleAction(), ro.data());
        QVERIFY(menu->actions().contains(production->menuAction()));
        const auto withGrant = actionsInMenu(); // the grant's submenu added, nothing else
        QVERIFY(withGrant > baseline);
        QSignalSpy window(&tray, &Ui::TrayController::openWindowRequested);
        QSignalSpy form(&tray, &Ui::TrayController::requestFormRequested);
        ro->trigger();
        QCOMPARE(window.count(), 1);
        QCOMPARE(form.count(), 0);
        QCOMPARE(window.first().first().toString(), ro->data().toString());

        // A role that is not live in the same kept submenu still opens the request form.
        QAction *other = nullptr;
        for (QAction *r : production->actions())
            if (r != ro && r->text().endsWith(u"…"_s))
                other = r;
        QVERIFY(other);
        other->trigger();
        QCOMPARE(form.count(), 1);
        QCOMPARE(form.first().first().toString(), other->data().toString());
        QCOMPARE(window.count(), 1);

        // Signed out, the submenus go; signed in again, new ones list the same roles, the grant still live.
        f.pim->signOut();
        QTRY_VERIFY(production.isNull());
        QVERIFY(f.signIn());
        QTRY_VERIFY(roleAction() && roleAction() != ro.data());
        QTRY_COMPARE(roleAction()->text(), u"ReadOnlyAccess — active"_s);
        QCOMPARE(actionsInMenu(), withGrant);
    }

    void throttlingIsShownInTheTooltip()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        auto *access = f.pim->requests();
        QTRY_VERIFY(access->lastSync().isValid());
        QVERIFY(Test::injectFault(
            f.emulator,
            R"({"path": "assignmentScheduleInstances", "status": 429, "retryAfter": "2", "count": 1})"));
        const QString line = u"Microsoft Graph asked Elevate to wait; retrying at "_s;
        QVERIFY(!tray.trayIcon()->toolTip().contains(line));
        bool done = false;
        access->sync(&tray, [&done](Core::Result<void> synced) { done = synced.ok(); });
        QTRY_VERIFY(tray.trayIcon()->toolTip().contains(line));
        QTRY_VERIFY(done); // the sync went through after the wait
        QCOMPARE(tray.state(), Ui::TrayState::Idle);
        // Once the wait is over, the line goes.
        QTRY_VERIFY_WITH_TIMEOUT(!tray.trayIcon()->toolTip().contains(line), 5000);
    }

    void failingSyncIsSaidOnce()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Ui::TrayController tray(f.pim.get());
        QVERIFY(f.signIn());
        auto *access = f.pim->requests();
        QTRY_VERIFY(access->lastSync().isValid());
        QSignalSpy errors(f.pim.get(), &Ui::PimPresenter::errorOccurred);
        // Graph keeps failing the grants list (each read is retried; all fail).
        // Each sync gives up at once: a Retry-After past the call's throttling budget.
        QVERIFY(Test::injectFault(f.emulator,
                                  "{\"path\": \"assignmentScheduleInstances\", \"status\": 503, "
                                  "\"retryAfter\": \"3600\", \"count\": 100}"));
        for (int i = 0; i < 3; ++i) {
            bool done = false;
            access->sync(&tray, [&done](Core::Result<void>) { done = true; });
            QTRY_VERIFY(done);
        }
        QCOMPARE(errors.count(), 1);
        QCOMPARE(tray.state(), Ui::TrayState::Error);
        QVERIFY(Test::clearFaults(f.emulator));
        bool done = false;
        access->sync(&tray, [&done](Core::Result<void>) { done = true; });
        QTRY_VERIFY(done);
        QCOMPARE(f.pim->lastError().kind, Core::Error::Kind::None);
        QCOMPARE(tray.state(), Ui::TrayState::Idle);
    }
};

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    int rc = 0;
    {
        TestTrayMenu a;
        rc |= QTest::qExec(&a, argc, argv);
    }
    {
        TestTrayLive b;
        rc |= QTest::qExec(&b, argc, argv);
    }
    return rc;
}
#include "tst_traymenu.moc"

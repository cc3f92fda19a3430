// SPDX-License-Identifier: GPL-3.0-or-later
// End to end: the tray program's composition root in demo mode, on a real X display (Xvfb) with a
// real tray host (trayer), signing in through ELEVATE_BROWSER=curl, as scripts/test runs it.

#include "app/tray/trayapp.h"
#include "auth/entrasession.h"
#include "emulator/emulator.h"
#include "graph/requesttracker.h"
#include "support/testsupport.h"
#include "ui/historywindow.h"
#include "ui/mainwindow.h"
#include "ui/pimpresenter.h"
#include "ui/targetsmodel.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QMenu>
#include <QPushButton>
#include <QScreen>
#include <QSpinBox>
#include <QStandardPaths>
#include <QSystemTrayIcon>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

using Elevate::Test::artifactPath;

namespace {
QWidget *findTopLevel(const QString &name)
{
    for (QWidget *w : QApplication::topLevelWidgets())
        if (w->objectName() == name && w->isVisible())
            return w;
    return nullptr;
}
} // namespace

class TestTrayE2E : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void demoSignInPopulatesTray()
    {
        if (QStandardPaths::findExecutable(u"curl"_s).isEmpty())
            QFAIL("curl is needed to play the browser (scripts/setup --test installs it)");
        QVERIFY2(QSystemTrayIcon::isSystemTrayAvailable(),
                 "no system tray host on this display (scripts/desktop-session starts trayer)");
        qputenv("ELEVATE_BROWSER", "curl -s -o /dev/null -L");

        Elevate::App::TrayApp::Options options;
        options.demo = true;
        options.demoAutoSignIn = u"alex@contoso.example"_s;
        Elevate::App::TrayApp app(options);
        const auto started = app.start();
        QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
        QVERIFY(QDir(app.demoDataDir()).exists(u"config.json"_s));
        QVERIFY(!app.demoDataDir().startsWith(QDir::homePath() + u"/.config"_s));

        QTRY_VERIFY_WITH_TIMEOUT(app.pim()->status() == Elevate::Ui::PimPresenter::Status::Ready, 30'000);
        QVERIFY(app.tray()->trayIcon()->isVisible());
        QCOMPARE(app.tray()->state(), Elevate::Ui::TrayState::Idle);

        // The menu lists the account and the scenario's targets, grouped by account.
        QMenu *menu = app.tray()->menu();
        QCOMPARE(menu->actions().first()->text(), u"Alex Wilber (alex@contoso.example)"_s);
        int accountMenus = 0;
        bool unmapped = false;
        for (QAction *a : menu->actions()) {
            if (a->menu() && a->menu()->objectName().startsWith(u"account_"_s))
                ++accountMenus;
            if (a->menu() && a->menu()->objectName() == u"unmappedMenu")
                unmapped = true;
        }
        QVERIFY(accountMenus >= 3);
        QVERIFY(unmapped);
        QVERIFY(app.pim()->targets()->rowCount() >= 8);

        // The sign-in really went through the emulator: it issued tokens.
        const QJsonObject tokens = app.emulator()->state().value(u"tokens").toObject();
        QVERIFY(!tokens.value(u"accessTokens").toArray().isEmpty());

        // Screenshot of the whole screen with the menu open next to the tray icon.
        QRect iconRect = app.tray()->trayIcon()->geometry();
        QPoint at = iconRect.isValid() ? iconRect.bottomLeft() : QPoint(20, 40);
        menu->popup(at);
        QTRY_VERIFY(menu->isVisible());
        QTest::qWait(300);
        QScreen *screen = QGuiApplication::primaryScreen();
        QVERIFY(screen->grabWindow(0).save(artifactPath(u"e2e-tray-menu.png"_s)));
        // Open the first account's submenu from the keyboard and keep that too.
        QAction *firstAccount = nullptr;
        for (QAction *a : menu->actions())
            if (!firstAccount && a->menu())
                firstAccount = a;
        QVERIFY(firstAccount);
        menu->setActiveAction(firstAccount);
        QTest::keyClick(menu, Qt::Key_Right);
        QTRY_VERIFY(firstAccount->menu()->isVisible());
        QTest::qWait(200);
        QVERIFY(screen->grabWindow(0).save(artifactPath(u"e2e-tray-submenu.png"_s)));
        firstAccount->menu()->hide();
        menu->hide();

        app.window()->show();
        QVERIFY(QTest::qWaitForWindowExposed(app.window()));
        QTest::qWait(200);
        QVERIFY(screen->grabWindow(0).save(artifactPath(u"e2e-window.png"_s)));
        app.window()->hide();

        // Request from the tray: the role's entry opens the form, the form sends, the grant shows.
        QAction *readOnly = nullptr;
        for (QAction *a : menu->actions())
            if (a->menu() && a->menu()->objectName() == u"account_123456789012"_s)
                for (QAction *r : a->menu()->actions())
                    if (r->text() == u"ReadOnlyAccess…"_s)
                        readOnly = r;
        QVERIFY(readOnly);
        readOnly->trigger();
        QDialog *form = nullptr;
        QTRY_VERIFY((form = qobject_cast<QDialog *>(findTopLevel(u"requestDialog"_s))));
        auto *ok = form->findChild<QDialogButtonBox *>(u"buttonBox"_s)->button(QDialogButtonBox::Ok);
        QTRY_VERIFY(ok->isEnabled()); // the policy arrived
        form->findChild<QSpinBox *>(u"durationHoursSpinBox"_s)->setValue(0);
        form->findChild<QSpinBox *>(u"durationMinutesSpinBox"_s)->setValue(30);
        form->findChild<QComboBox *>(u"justificationComboBox"_s)->setCurrentText(u"Read the audit logs"_s);
        QVERIFY(QTest::qWaitForWindowExposed(form));
        QTest::qWait(200);
        QVERIFY(screen->grabWindow(0).save(artifactPath(u"e2e-request-dialog.png"_s)));
        QTest::mouseClick(ok, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!app.pim()->requests()->grants().isEmpty(), 20'000);
        QTRY_VERIFY(!findTopLevel(u"requestDialog"_s)); // closed on success
        QTRY_COMPARE(app.tray()->state(), Elevate::Ui::TrayState::Active);
        QVERIFY(app.tray()->trayIcon()->toolTip().contains(u"ReadOnlyAccess on Production"_s));

        menu->popup(at);
        QTRY_VERIFY(menu->isVisible());
        QTest::qWait(1200); // one tick of the countdown
        QVERIFY(screen->grabWindow(0).save(artifactPath(u"e2e-tray-countdown.png"_s)));
        menu->hide();

        app.showHistory();
        QVERIFY(QTest::qWaitForWindowExposed(app.historyWindow()));
        QTest::qWait(200);
        QVERIFY(screen->grabWindow(0).save(artifactPath(u"e2e-history.png"_s)));
        app.historyWindow()->hide();
    }
};

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("DISPLAY")) {
        fprintf(stderr, "SKIP: no X display (run through scripts/test or scripts/desktop-session)\n");
        return 77;
    }
    qputenv("QT_QPA_PLATFORM", "xcb");
    QApplication app(argc, argv);
    QApplication::setQuitOnLastWindowClosed(false);
    TestTrayE2E test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_tray_e2e.moc"

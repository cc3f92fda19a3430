// SPDX-License-Identifier: GPL-3.0-or-later
// The tray program's composition root without a tray host (offscreen has none): it must open its
// window instead of failing, and a configuration problem must be shown there, not crash.

#include "app/tray/trayapp.h"
#include "ui/accesscontroller.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QLabel>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTemporaryDir>
#include <QTest>

class TestTrayApp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void withoutTrayTheWindowOpens()
    {
        QVERIFY(!QSystemTrayIcon::isSystemTrayAvailable());
        Elevate::App::TrayApp::Options options;
        options.demo = true;
        Elevate::App::TrayApp app(options);
        QVERIFY(app.start().ok());
        QVERIFY(app.window()->isVisible());
        QCOMPARE(app.controller()->status(), Elevate::Ui::AccessController::Status::SignedOut);
    }

    void badConfigurationIsShownInTheWindow()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("config.json"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"entra\": {\"tenant\": \"t\"}}");
        f.close();
        Elevate::App::TrayApp::Options options;
        options.configPath = path;
        Elevate::App::TrayApp app(options);
        QVERIFY(app.start().ok());
        QVERIFY(app.window()->isVisible());
        auto *banner = app.window()->findChild<QLabel *>(QStringLiteral("bannerLabel"));
        QVERIFY(banner);
        QVERIFY2(banner->text().contains(QStringLiteral("entra.clientId")), qPrintable(banner->text()));
        QVERIFY(banner->isVisible());
        // Signing in cannot start with that configuration; it says why again instead.
        QSignalSpy browser(app.controller(), &Elevate::Ui::AccessController::browserUrlReady);
        banner->clear();
        app.controller()->signIn();
        QCOMPARE(browser.count(), 0);
        QVERIFY2(banner->text().contains(QStringLiteral("entra.clientId")), qPrintable(banner->text()));
        QCOMPARE(app.controller()->status(), Elevate::Ui::AccessController::Status::SignedOut);
    }
};

QTEST_MAIN(TestTrayApp)
#include "tst_trayapp.moc"

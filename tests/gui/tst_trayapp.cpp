// SPDX-License-Identifier: GPL-3.0-or-later
// The tray program's composition root without a tray host (offscreen has none): it must open its
// window instead of failing, and a configuration problem must be shown there, not crash.

#include "app/tray/trayapp.h"
#include "aws/awsaccess.h"
#include "support/testsupport.h"
#include "ui/accesscontroller.h"
#include "ui/mainwindow.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSystemTrayIcon>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

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

    void demoHasTheAwsSideAndAsksBeforeEndingAll()
    {
        Elevate::App::TrayApp::Options options;
        options.demo = true;
        Elevate::App::TrayApp app(options);
        QVERIFY(app.start().ok());
        // The demo's configuration names the emulator's Identity Center: the AWS side is there, and
        // its profiles go to the demo's own AWS config, never ~/.aws.
        QVERIFY(app.aws());
        QVERIFY(app.awsAccess());
        QVERIFY2(app.awsAccess()->files().configPath().startsWith(app.demoDataDir()),
                 qPrintable(app.awsAccess()->files().configPath()));

        // "End all access now…" asks first; Cancel changes nothing.
        QString text;
        bool shot = false;
        QTimer::singleShot(0, this, [&] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            if (!box)
                return;
            text = box->text() + u'\n' + box->informativeText();
            shot = box->grab().save(Elevate::Test::artifactPath(QStringLiteral("end-all-confirm.png")));
            box->button(QMessageBox::Cancel)->click();
        });
        Q_EMIT app.tray()->endAllRequested();
        QVERIFY2(text.contains(QStringLiteral("End all your access now?")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("keep working until they expire")));
        QVERIFY(shot);
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

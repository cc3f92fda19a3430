// SPDX-License-Identifier: GPL-3.0-or-later
// The tray program's composition root without a tray host (offscreen has none): it must open its
// window instead of failing, and a configuration problem must be shown there, not crash.

#include "app/tray/trayapp.h"
#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "aws/rolepipeline.h"
#include "core/changenotice.h"
#include "emulator/emulator.h"
#include "graph/graphclient.h"
#include "graph/requesttracker.h"
#include "net/httpclient.h"
#include "support/testsupport.h"
#include "ui/mainwindow.h"
#include "ui/pimpresenter.h"
#include "ui/traycontroller.h"

#include <QApplication>
#include <QLabel>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QScopeGuard>
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
        QCOMPARE(app.pim()->status(), Elevate::Ui::PimPresenter::Status::SignedOut);
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
        QVERIFY(app.rolePipeline());
        QVERIFY2(app.rolePipeline()->files().configPath().startsWith(app.demoDataDir()),
                 qPrintable(app.rolePipeline()->files().configPath()));

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
        QCOMPARE(app.pim()->status(), Elevate::Ui::PimPresenter::Status::SignedOut);
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
        QSignalSpy browser(app.pim(), &Elevate::Ui::PimPresenter::browserUrlReady);
        banner->clear();
        app.pim()->signIn();
        QCOMPARE(browser.count(), 0);
        QVERIFY2(banner->text().contains(QStringLiteral("entra.clientId")), qPrintable(banner->text()));
        QCOMPARE(app.pim()->status(), Elevate::Ui::PimPresenter::Status::SignedOut);
    }

    void aGrantMadeElsewhereShowsWithoutWaitingForTheSync()
    {
        using Elevate::Ui::PimPresenter;
        namespace Core = Elevate::Core;
        Elevate::App::TrayApp::Options options;
        options.demo = true;
        options.demoAutoSignIn = QStringLiteral("alex@contoso.example");
        // The sign-in page is the emulator's; a browser that follows its redirects is enough.
        qputenv("ELEVATE_BROWSER", "curl -s -o /dev/null -L");
        const auto unsetBrowser = qScopeGuard([] { qunsetenv("ELEVATE_BROWSER"); });
        Elevate::App::TrayApp app(options);
        QVERIFY(app.start().ok());
        QVERIFY(app.changeNotice());
        QTRY_VERIFY_WITH_TIMEOUT(app.pim()->status() == PimPresenter::Status::Ready
                                     && app.pim()->requests()->lastSync().isValid(),
                                 15'000);
        const QString readOnly
            = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"); // no approval, no MFA
        QVERIFY(!app.pim()->requests()->grantFor(readOnly, Core::AccessKind::Member));

        // "Another process": its own sign-in and Graph client activate the group, then touch the stamp
        // as the command line does.
        const auto config = Core::AppConfig::fromJson(app.emulator()->configJson()).value();
        QNetworkAccessManager nam;
        QNetworkAccessManager browser;
        browser.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        Elevate::Net::HttpClient http(&nam);
        Elevate::Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        Elevate::Auth::EntraSession session(config, &http, &secrets, &clock);
        connect(&session, &Elevate::Auth::EntraSession::browserUrlReady, this, [&](const QUrl &url) {
            QNetworkReply *r = browser.get(QNetworkRequest(url));
            connect(r, &QNetworkReply::finished, r, &QObject::deleteLater);
        });
        QSignalSpy signedIn(&session, &Elevate::Auth::EntraSession::signInFinished);
        session.signInInteractive();
        QVERIFY(signedIn.wait(15'000));
        QVERIFY(session.account());
        Elevate::Graph::GraphClient graph(QUrl(config.graphBaseUrl), config.graphResource, &http, &session);
        Core::ActivationDraft draft;
        draft.groupId = readOnly;
        draft.durationSecs = 3600;
        std::optional<Core::Result<Core::AccessRequest>> sent;
        graph.activate(draft, session.account()->objectId, clock.now(), this,
                       [&](Core::Result<Core::AccessRequest> r) { sent = r; });
        QTRY_VERIFY_WITH_TIMEOUT(sent.has_value(), 15'000);
        QVERIFY2(sent->ok(), Elevate::Test::describe(*sent).constData());

        Core::ChangeNotice cli(app.changeNotice()->path());
        QVERIFY(cli.touch());
        // The tray's next scheduled sync is minutes away; the notice brings the grant now.
        QTRY_VERIFY_WITH_TIMEOUT(app.pim()->requests()->grantFor(readOnly, Core::AccessKind::Member), 10'000);
    }
};

QTEST_MAIN(TestTrayApp)
#include "tst_trayapp.moc"

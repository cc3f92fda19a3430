// SPDX-License-Identifier: GPL-3.0-or-later
// The main window against the in-process emulator (offscreen): sign in, search, select, errors.

#include "support/signedinfixture.h"
#include "ui/mainwindow.h"
#include "ui/targetsmodel.h"

#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QStatusBar>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void signInSearchAndSelect()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Elevate::Ui::MainWindow w(f.pim.get());
        w.setQuitOnClose(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *account = w.findChild<QLabel *>(u"accountLabel"_s);
        auto *signIn = w.findChild<QPushButton *>(u"signInButton"_s);
        auto *search = w.findChild<QLineEdit *>(u"searchEdit"_s);
        auto *view = w.findChild<QListView *>(u"targetsView"_s);
        auto *details = w.findChild<QLabel *>(u"detailsLabel"_s);
        QVERIFY(account && signIn && search && view && details);
        QCOMPARE(account->text(), u"Not signed in"_s);
        QCOMPARE(signIn->text(), u"&Sign in…"_s);
        QVERIFY(!search->isEnabled());

        QTest::mouseClick(signIn, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(f.pim->status() == Elevate::Ui::PimPresenter::Status::Ready, 20'000);
        QVERIFY(account->text().contains(u"Alex Wilber"_s));
        QCOMPARE(signIn->text(), u"&Sign out"_s);
        const int all = view->model()->rowCount();
        QCOMPARE(all, f.scenarioEligibilities(u"alex@contoso.example"_s).size());
        QVERIFY(w.statusBar()->currentMessage().contains(u"%1 eligible target"_s.arg(all)));

        // Ctrl+F focuses the search; typing filters.
        QTest::keyClick(&w, Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY(search->hasFocus());
        QTest::keyClicks(search, u"readonly"_s);
        QVERIFY(view->model()->rowCount() >= 1);
        QVERIFY(view->model()->rowCount() < all);
        for (int r = 0; r < view->model()->rowCount(); ++r)
            QVERIFY(
                view->model()->index(r, 0).data().toString().contains(u"ReadOnly"_s, Qt::CaseInsensitive));
        // Enter moves to the list and selects the first match; details follow the selection.
        QTest::keyClick(search, Qt::Key_Return);
        QVERIFY(view->currentIndex().isValid());
        QVERIFY(details->text().contains(u"ReadOnly"_s, Qt::CaseInsensitive));
        QVERIFY(w.grab().save(Test::artifactPath(u"main-window-search.png"_s)));

        // selectTarget clears a search that hides the target.
        const QString lastKey
            = f.pim->targets()->index(all - 1).data(Elevate::Ui::TargetsModel::TargetKeyRole).toString();
        w.selectTarget(lastKey);
        QCOMPARE(search->text(), QString());
        QCOMPARE(view->currentIndex().data(Elevate::Ui::TargetsModel::TargetKeyRole).toString(), lastKey);
        QVERIFY(details->text().contains(u"not mapped"_s));
        search->clear();
        view->setCurrentIndex(QModelIndex());
        QVERIFY(w.grab().save(Test::artifactPath(u"main-window.png"_s)));

        // Sign out through the button.
        QTest::mouseClick(signIn, Qt::LeftButton);
        QTRY_COMPARE(f.pim->status(), Elevate::Ui::PimPresenter::Status::SignedOut);
        QCOMPARE(view->model()->rowCount(), 0);
        QCOMPARE(account->text(), u"Not signed in"_s);
    }

    void errorBanner()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        Elevate::Ui::MainWindow w(f.pim.get());
        w.show();
        auto *banner = w.findChild<QWidget *>(u"bannerFrame"_s);
        auto *bannerText = w.findChild<QLabel *>(u"bannerLabel"_s);
        QVERIFY(banner && bannerText);
        QVERIFY(!banner->isVisible());
        w.showError(u"Sign-in failed: the service cannot be reached."_s);
        QVERIFY(banner->isVisible());
        QCOMPARE(bannerText->text(), u"Sign-in failed: the service cannot be reached."_s);
        QVERIFY(w.grab().save(Test::artifactPath(u"main-window-error.png"_s)));
        QTest::mouseClick(w.findChild<QWidget *>(u"bannerCloseButton"_s), Qt::LeftButton);
        QVERIFY(!banner->isVisible());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"

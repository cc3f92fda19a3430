// SPDX-License-Identifier: GPL-3.0-or-later
// The history window: the model passes QAbstractItemModelTester, sorts by value, filters, and
// exports the CSV atomically.

#include "support/testsupport.h"
#include "ui/historymodel.h"
#include "ui/historywindow.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
Core::HistoryEntry entry(const QString &id, const QString &target, int minutesAgo, const QString &outcome)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    Core::HistoryEntry e;
    e.requestId = id;
    e.target = target;
    e.groupName = u"AWS-"_s + target;
    e.requestedAt = now.addSecs(-minutesAgo * 60);
    e.startAt = e.requestedAt;
    e.durationSecs = 3600 + minutesAgo;
    e.endAt = e.startAt.addSecs(e.durationSecs);
    e.justification = u"Why "_s + id;
    e.ticketSystem = u"Jira"_s;
    e.ticketNumber = u"OPS-"_s + id;
    e.status = outcome.isEmpty() ? u"PendingApproval"_s : u"Provisioned"_s;
    e.outcome = outcome;
    return e;
}
} // namespace

class TestHistoryWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void modelIsSound()
    {
        Elevate::Ui::HistoryModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setEntries({entry(u"1"_s, u"a"_s, 10, u"Expired"_s), entry(u"2"_s, u"b"_s, 5, {})});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(Elevate::Ui::HistoryModel::ColumnCount));
        QCOMPARE(model.index(0, Elevate::Ui::HistoryModel::Outcome).data().toString(), u"Expired"_s);
        QCOMPARE(model.index(1, Elevate::Ui::HistoryModel::Outcome).data().toString(),
                 u"Waiting for approval"_s);
        QCOMPARE(model.index(0, Elevate::Ui::HistoryModel::Ticket).data().toString(), u"Jira OPS-1"_s);
        QCOMPARE(model.index(0, Elevate::Ui::HistoryModel::Duration).data(Qt::EditRole).toLongLong(), 3610);
        model.setEntries({});
        QCOMPARE(model.rowCount(), 0);
    }

    void windowSortsFiltersAndExports()
    {
        QTemporaryDir dir;
        auto store = Core::HistoryStore::open(dir.filePath(u"h.sqlite"_s));
        QVERIFY(store.ok());
        QVERIFY(store.value()
                    ->record(entry(u"1"_s, u"123456789012/AdministratorAccess"_s, 120, u"Expired"_s))
                    .ok());
        QVERIFY(store.value()
                    ->record(entry(u"2"_s, u"210987654321/ReadOnlyAccess"_s, 30, u"Deactivated"_s))
                    .ok());
        QVERIFY(store.value()->record(entry(u"3"_s, u"345678901234/Billing"_s, 5, {})).ok());
        Elevate::Ui::HistoryWindow w(store.value().get());
        w.resize(900, 300);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *view = w.findChild<QTableView *>(u"historyView"_s);
        QCOMPARE(view->model()->rowCount(), 3);
        // Newest first by value.
        QCOMPARE(view->model()->index(0, Elevate::Ui::HistoryModel::Target).data().toString(),
                 u"345678901234/Billing"_s);
        QVERIFY(w.findChild<QLabel *>(u"countLabel"_s)->text().startsWith(u"3 "_s));
        QVERIFY(w.grab().save(Test::artifactPath(u"history-window.png"_s)));
        // Sorting by duration is by seconds, not text.
        view->sortByColumn(Elevate::Ui::HistoryModel::Duration, Qt::AscendingOrder);
        QCOMPARE(view->model()->index(0, Elevate::Ui::HistoryModel::Target).data().toString(),
                 u"345678901234/Billing"_s);
        QTest::keyClicks(w.findChild<QLineEdit *>(u"filterEdit"_s), u"deactivated"_s);
        QCOMPARE(view->model()->rowCount(), 1);

        const QString csvPath = dir.filePath(u"out.csv"_s);
        QVERIFY(w.exportTo(csvPath).isEmpty());
        QFile f(csvPath);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray csv = f.readAll();
        QCOMPARE(csv.count('\n'), 4); // the header and every entry, not only the filtered ones
        QVERIFY(!w.exportTo(dir.filePath(u"missing/dir/out.csv"_s)).isEmpty());

        // A request recorded meanwhile (by the command line) shows after Reload.
        QVERIFY(store.value()->record(entry(u"4"_s, u"x/y"_s, 1, {})).ok());
        w.reload();
        QVERIFY(w.findChild<QLabel *>(u"countLabel"_s)->text().startsWith(u"4 "_s));
    }

    void withoutAStoreItSaysSo()
    {
        Elevate::Ui::HistoryWindow w(nullptr);
        QVERIFY(w.findChild<QLabel *>(u"countLabel"_s)->text().contains(u"not available"_s));
    }
};

QTEST_MAIN(TestHistoryWindow)
#include "tst_historywindow.moc"

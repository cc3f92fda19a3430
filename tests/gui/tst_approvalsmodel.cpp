// SPDX-License-Identifier: GPL-3.0-or-later
// ApprovalsModel on its own, on a manual clock: rows kept across updates (model tester), sorting on
// raw values, the filter over every column, and the countdown of each request's 24-hour window.

#include "core/pim.h"
#include "support/manualclock.h"
#include "ui/approvalsmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {

Core::AccessRequest makeRequest(const QString &id, const QString &who, const QDateTime &created,
                                qint64 durationSecs, const QString &justification, const QString &ticket = {})
{
    Core::AccessRequest r;
    r.id = id;
    r.approvalId = id;
    r.status = u"PendingApproval"_s;
    r.action = u"selfActivate"_s;
    r.groupId = u"group-"_s + id;
    r.groupDisplayName = u"AWS-123456789012-Role"_s + id;
    r.access = Core::AccessKind::Member;
    r.principalId = u"principal-"_s + who;
    r.principalDisplayName = who;
    r.principalUpn = who.toLower() + u"@contoso.example"_s;
    r.justification = justification;
    if (!ticket.isEmpty()) {
        r.ticketSystem = u"Jira"_s;
        r.ticketNumber = ticket;
    }
    r.created = created;
    r.start = created;
    r.durationSecs = durationSecs;
    return r;
}

QStringList column(const QAbstractItemModel *model, int col, int role = Qt::DisplayRole)
{
    QStringList out;
    for (int row = 0; row < model->rowCount(); ++row)
        out << model->index(row, col).data(role).toString();
    return out;
}

} // namespace

class TestApprovalsModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void modelKeepsRowsAcrossUpdates()
    {
        Test::ManualClock clock;
        Elevate::Ui::ApprovalsModel model(&clock, {});
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QDateTime now = clock.now();
        const auto a = makeRequest(u"a"_s, u"Alex"_s, now.addSecs(-600), 3600, u"first"_s);
        const auto b = makeRequest(u"b"_s, u"Nestor"_s, now.addSecs(-300), 1800, u"second"_s);
        const auto c = makeRequest(u"c"_s, u"Lee"_s, now.addSecs(-60), 7200, u"third"_s);

        model.setRequests({a, b});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(Elevate::Ui::ApprovalsModel::ColumnCount));
        QCOMPARE(model.rowOf(u"b"_s), 1);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Requester).data().toString(),
                 u"Alex (alex@contoso.example)"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Target).data().toString(),
                 u"AWS-123456789012-Rolea"_s); // no namer: the group name
        QCOMPARE(model.index(1, 0).data(Elevate::Ui::ApprovalsModel::RequestIdRole).toString(), u"b"_s);

        // a leaves, b is updated in place (same identity), c arrives.
        const QPersistentModelIndex bIndex(model.index(1, Elevate::Ui::ApprovalsModel::Justification));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        auto b2 = b;
        b2.justification = u"second, edited"_s;
        model.setRequests({b2, c});
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.first().at(1).toInt(), 0);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(reset.count(), 0);
        QVERIFY(changed.count() >= 1);
        QVERIFY(bIndex.isValid());
        QCOMPARE(bIndex.row(), 0);
        QCOMPARE(bIndex.data().toString(), u"second, edited"_s);
        QCOMPARE(column(&model, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"b"_s, u"c"_s}));
        QCOMPARE(model.rowOf(u"a"_s), -1);

        // The same list again changes no rows.
        removed.clear();
        inserted.clear();
        model.setRequests({b2, c});
        QCOMPARE(removed.count(), 0);
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(model.rowCount(), 2);

        model.setRequests({});
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!bIndex.isValid());
    }

    void modelSortsOnRawValuesAndFilters()
    {
        Test::ManualClock clock;
        Elevate::Ui::ApprovalsModel model(
            &clock, [](const Core::AccessRequest &r) { return u"Role %1 on Production"_s.arg(r.id); });
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(Qt::EditRole);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        proxy.setFilterKeyColumn(-1);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QDateTime now = clock.now();
        // Created 5 h, 30 min and 10 h ago: 19 h, 23 h 30 min and 14 h left. Durations whose texts
        // sort differently from their values ("1 h 30 min" < "10 min" < "2 h" as text).
        model.setRequests(
            {makeRequest(u"x"_s, u"Alex"_s, now.addSecs(-5 * 3600), 5400, u"deploy"_s, u"OPS-42"_s),
             makeRequest(u"y"_s, u"Megan"_s, now.addSecs(-1800), 600, u"audit"_s),
             makeRequest(u"z"_s, u"Nestor"_s, now.addSecs(-10 * 3600), 7200, u"patching"_s)});
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Target).data().toString(),
                 u"Role x on Production"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Ticket).data().toString(), u"Jira OPS-42"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Duration).data().toString(), u"1 h 30 min"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Duration).data(Qt::EditRole).toLongLong(),
                 qlonglong(5400));
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"5 h ago"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Asked).data(Qt::EditRole).toDateTime(),
                 now.addSecs(-5 * 3600));
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::TimeLeft).data(Qt::EditRole).toLongLong(),
                 qlonglong(19 * 3600));

        proxy.sort(Elevate::Ui::ApprovalsModel::TimeLeft, Qt::AscendingOrder);
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"z"_s, u"x"_s, u"y"_s}));
        proxy.sort(Elevate::Ui::ApprovalsModel::TimeLeft, Qt::DescendingOrder);
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"y"_s, u"x"_s, u"z"_s}));
        proxy.sort(Elevate::Ui::ApprovalsModel::Duration, Qt::AscendingOrder);
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"y"_s, u"x"_s, u"z"_s}));
        QCOMPARE(column(&proxy, Elevate::Ui::ApprovalsModel::Duration),
                 (QStringList {u"10 min"_s, u"1 h 30 min"_s, u"2 h"_s}));
        proxy.sort(Elevate::Ui::ApprovalsModel::Asked, Qt::AscendingOrder); // oldest first
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"z"_s, u"x"_s, u"y"_s}));

        // The filter looks at every column, case-insensitively.
        proxy.setFilterFixedString(u"ops-42"_s); // ticket
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"x"_s});
        proxy.setFilterFixedString(u"MEGAN"_s); // requester
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"y"_s});
        proxy.setFilterFixedString(u"patch"_s); // justification
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"z"_s});
        proxy.setFilterFixedString(u"role z on"_s); // target, as named
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"z"_s});
        proxy.setFilterFixedString(u"nobody"_s);
        QCOMPARE(proxy.rowCount(), 0);
        proxy.setFilterFixedString({});
        QCOMPARE(proxy.rowCount(), 3);

        // Rows arriving and leaving under a sorted, filtered proxy.
        proxy.setFilterFixedString(u"a"_s);
        model.setRequests(
            {makeRequest(u"w"_s, u"Lee"_s, now, 3600, u"new one"_s),
             makeRequest(u"x"_s, u"Alex"_s, now.addSecs(-5 * 3600), 5400, u"deploy"_s, u"OPS-42"_s)});
        proxy.setFilterFixedString({});
        QCOMPARE(proxy.rowCount(), 2);
    }

    void modelCountsDownOnTheClock()
    {
        Test::ManualClock clock;
        Elevate::Ui::ApprovalsModel model(&clock, {});
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.tick(); // nothing to repaint
        QCOMPARE(changed.count(), 0);

        model.setRequests({makeRequest(u"a"_s, u"Alex"_s, clock.now().addSecs(-3600), 3600, u"x"_s),
                           makeRequest(u"b"_s, u"Lee"_s, clock.now(), 3600, u"y"_s)});
        const QModelIndex left = model.index(0, Elevate::Ui::ApprovalsModel::TimeLeft);
        QCOMPARE(left.data().toString(), u"23:00:00"_s);
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::TimeLeft).data().toString(), u"24:00:00"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"1 h ago"_s);
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"just now"_s);
        QVERIFY(left.data(Qt::ToolTipRole).toString().contains(u"lapses"_s));

        changed.clear();
        clock.advance(30 * 60);
        model.tick();
        QCOMPARE(changed.count(), 1);
        const QModelIndex topLeft = changed.first().at(0).value<QModelIndex>();
        const QModelIndex bottomRight = changed.first().at(1).value<QModelIndex>();
        QCOMPARE(topLeft.row(), 0);
        QCOMPARE(topLeft.column(), int(Elevate::Ui::ApprovalsModel::Asked));
        QCOMPARE(bottomRight.row(), 1);
        QCOMPARE(bottomRight.column(), int(Elevate::Ui::ApprovalsModel::TimeLeft));
        QCOMPARE(left.data().toString(), u"22:30:00"_s);
        QCOMPARE(left.data(Qt::EditRole).toLongLong(), qlonglong(22 * 3600 + 1800));
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::TimeLeft).data().toString(), u"23:30:00"_s);
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"30 min ago"_s);

        clock.advance(23 * 3600); // 24 h 30 min after the first request: past its window
        QCOMPARE(left.data().toString(), u"0:00"_s);
        QCOMPARE(left.data(Qt::EditRole).toLongLong(), qlonglong(0));
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::TimeLeft).data().toString(), u"30:00"_s);
    }
};

QTEST_MAIN(TestApprovalsModel)
#include "tst_approvalsmodel.moc"

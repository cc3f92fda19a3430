// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/targetsmodel.h"

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
Core::Target target(const QString &group, std::optional<Core::AwsRole> aws,
                    const QString &access = u"member"_s)
{
    Core::Target t;
    t.eligibility.groupId = group + u"-id"_s;
    t.eligibility.groupDisplayName = group;
    t.eligibility.access = *Core::accessKindFrom(access);
    t.aws = std::move(aws);
    return t;
}
} // namespace

class TestTargetsModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void modelContract()
    {
        Ui::TargetsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setTargets({target(u"AWS-123456789012-Admin"_s,
                                 Core::AwsRole {u"123456789012"_s, u"Admin"_s, u"Production"_s}),
                          target(u"AWS-123456789012-Admin"_s,
                                 Core::AwsRole {u"123456789012"_s, u"Admin"_s, u"Production"_s}, u"owner"_s),
                          target(u"Breakglass"_s, std::nullopt)});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0).data().toString(), u"Admin — Production (123456789012)"_s);
        QCOMPARE(model.index(1).data().toString(), u"Admin — Production (123456789012) (as group owner)"_s);
        QCOMPARE(model.index(2).data().toString(), u"Breakglass — not mapped"_s);
        QCOMPARE(model.index(2).data(Ui::TargetsModel::MappedRole).toBool(), false);
        QVERIFY(model.index(2).data(Qt::ForegroundRole).isValid()); // unmapped rows are muted
        QVERIFY(!model.index(0).data(Qt::ForegroundRole).isValid());
        QVERIFY(model.index(2).data(Qt::ToolTipRole).toString().contains(u"naming rule"_s));
        // Row keys are unique even for member + owner of one group.
        QCOMPARE(model.rowOf(u"123456789012/Admin"_s), 0);
        QCOMPARE(model.rowOf(u"123456789012/Admin (owner)"_s), 1);
        QCOMPARE(model.rowOf(u"Breakglass"_s), 2);
        QCOMPARE(model.rowOf(u"nope"_s), -1);
        model.setTargets({});
        QCOMPARE(model.rowCount(), 0);
    }
    void searchMatchesAccountRoleAndGroup()
    {
        Ui::TargetsModel model;
        model.setTargets(
            {target(u"AWS-123456789012-Admin"_s,
                    Core::AwsRole {u"123456789012"_s, u"Admin"_s, u"Production"_s}),
             target(u"AWS-210987654321-ReadOnly"_s, Core::AwsRole {u"210987654321"_s, u"ReadOnly"_s, {}}),
             target(u"Breakglass"_s, std::nullopt)});
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setFilterRole(Ui::TargetsModel::SearchTextRole);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        auto count = [&](const QString &s) {
            proxy.setFilterFixedString(s);
            return proxy.rowCount();
        };
        QCOMPARE(count(u"production"_s), 1);
        QCOMPARE(count(u"2109"_s), 1);
        QCOMPARE(count(u"readonly"_s), 1);
        QCOMPARE(count(u"breakglass"_s), 1);
        QCOMPARE(count(u"not mapped"_s), 1);
        QCOMPARE(count(u"AWS-"_s), 2);
        QCOMPARE(count(u"zzz"_s), 0);
        QCOMPARE(count(QString()), 3);
    }
};

QTEST_MAIN(TestTargetsModel)
#include "tst_targetsmodel.moc"

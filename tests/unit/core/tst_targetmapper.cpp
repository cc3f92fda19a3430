// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/targetmapper.h"

#include <QTest>

using namespace Elevate::Core;
using namespace Qt::StringLiterals;

namespace {
Eligibility elig(const QString &groupId, const QString &name, const QString &access = u"member"_s)
{
    Eligibility e;
    e.id = groupId + u"_"_s + access;
    e.groupId = groupId;
    e.groupDisplayName = name;
    e.access = *accessKindFrom(access);
    return e;
}
} // namespace

class TestTargetMapper : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaultRule_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("account");
        QTest::addColumn<QString>("role");
        QTest::newRow("admin") << u"AWS-123456789012-AdministratorAccess"_s << u"123456789012"_s
                               << u"AdministratorAccess"_s;
        QTest::newRow("role with dash")
            << u"AWS-210987654321-Read-Only"_s << u"210987654321"_s << u"Read-Only"_s;
        QTest::newRow("11 digits") << u"AWS-12345678901-Admin"_s << QString() << QString();
        QTest::newRow("13 digits") << u"AWS-1234567890123-Admin"_s << QString() << QString();
        QTest::newRow("no role") << u"AWS-123456789012-"_s << QString() << QString();
        QTest::newRow("other prefix") << u"Prod-Database-Breakglass"_s << QString() << QString();
        QTest::newRow("lowercase prefix") << u"aws-123456789012-Admin"_s << QString() << QString();
        QTest::newRow("space in role") << u"AWS-123456789012-Admin Access"_s << QString() << QString();
        QTest::newRow("empty") << QString() << QString() << QString();
    }
    void defaultRule()
    {
        QFETCH(QString, name);
        QFETCH(QString, account);
        QFETCH(QString, role);
        MappingConfig cfg;
        cfg.accountNames.insert(u"123456789012"_s, u"Production"_s);
        const auto mapped = TargetMapper(cfg).map(elig(u"g1"_s, name));
        QCOMPARE(mapped.has_value(), !account.isEmpty());
        if (mapped) {
            QCOMPARE(mapped->accountId, account);
            QCOMPARE(mapped->roleName, role);
            QCOMPARE(mapped->accountName, account == u"123456789012" ? u"Production"_s : QString());
        }
    }
    void explicitTableWins()
    {
        MappingConfig cfg;
        cfg.groups.insert(u"gid-1"_s, {u"345678901234"_s, u"DatabaseAdministrator"_s});
        cfg.groups.insert(u"Prod-Database-Breakglass"_s, {u"123456789012"_s, u"Breakglass"_s});
        TargetMapper m(cfg);
        // by id, even though the name follows the rule with other values
        auto r = m.map(elig(u"gid-1"_s, u"AWS-123456789012-AdministratorAccess"_s));
        QVERIFY(r);
        QCOMPARE(r->accountId, u"345678901234"_s);
        QCOMPARE(r->roleName, u"DatabaseAdministrator"_s);
        // by display name
        r = m.map(elig(u"gid-2"_s, u"Prod-Database-Breakglass"_s));
        QVERIFY(r);
        QCOMPARE(r->roleName, u"Breakglass"_s);
        // a table entry with a bad account id maps to nothing rather than to garbage
        cfg.groups.insert(u"gid-3"_s, {u"12345"_s, u"X"_s});
        QVERIFY(!TargetMapper(cfg).map(elig(u"gid-3"_s, u"AWS-123456789012-X"_s)));
    }
    void customPattern()
    {
        MappingConfig cfg;
        cfg.pattern = uR"(^aws_(?<role>\w+)_(?<account>\d{12})$)"_s;
        const auto r = TargetMapper(cfg).map(elig(u"g"_s, u"aws_ReadOnly_123456789012"_s));
        QVERIFY(r);
        QCOMPARE(r->accountId, u"123456789012"_s);
        QCOMPARE(r->roleName, u"ReadOnly"_s);
    }
    void mapAllKeepsUnmappedAndSorts()
    {
        TargetMapper m {MappingConfig {}};
        const QList<Eligibility> in {elig(u"4"_s, u"zeta-unmapped"_s),
                                     elig(u"1"_s, u"AWS-210987654321-ReadOnlyAccess"_s),
                                     elig(u"2"_s, u"AWS-123456789012-PowerUserAccess"_s),
                                     elig(u"3"_s, u"AWS-123456789012-AdministratorAccess"_s),
                                     elig(u"3"_s, u"AWS-123456789012-AdministratorAccess"_s, u"owner"_s),
                                     elig(u"5"_s, u"Alpha-unmapped"_s)};
        const auto out = m.mapAll(in);
        QCOMPARE(out.size(), in.size());
        QStringList keys;
        for (const auto &t : out)
            keys << t.key() + u':' + accessIdOf(t.eligibility.access);
        QCOMPARE(
            keys,
            (QStringList {u"123456789012/AdministratorAccess:member"_s,
                          u"123456789012/AdministratorAccess:owner"_s,
                          u"123456789012/PowerUserAccess:member"_s, u"210987654321/ReadOnlyAccess:member"_s,
                          u"Alpha-unmapped:member"_s, u"zeta-unmapped:member"_s}));
        QVERIFY(!out.last().isMapped());
    }
    void oneTargetPerGroupRoleDirectWins()
    {
        // The same group role directly and through two other groups, plus the owner role of that group
        // (a distinct target) and another group reached only through a group.
        auto via = [](Eligibility e, const QString &id) {
            e.id = id;
            e.memberType = u"group"_s;
            return e;
        };
        Eligibility direct = elig(u"g1"_s, QString());
        direct.memberType = u"direct"_s; // its group came back null: the name comes from another path
        Eligibility viaA = via(elig(u"g1"_s, u"AWS-123456789012-AdministratorAccess"_s), u"via-a"_s);
        viaA.groupDescription = u"from a"_s;
        const Eligibility viaB = via(elig(u"g1"_s, u"AWS-123456789012-AdministratorAccess"_s), u"via-b"_s);
        Eligibility owner = elig(u"g1"_s, u"AWS-123456789012-AdministratorAccess"_s, u"owner"_s);
        owner.memberType = u"Direct"_s; // casing as the docs print it
        const Eligibility onlyVia = via(elig(u"g2"_s, u"AWS-210987654321-ReadOnlyAccess"_s), u"only-via"_s);
        Eligibility onlyViaAgain = via(elig(u"g2"_s, QString()), u"only-via-2"_s);

        const auto out
            = TargetMapper(MappingConfig {}).mapAll({viaA, onlyVia, direct, viaB, owner, onlyViaAgain});
        QStringList got;
        for (const auto &t : out)
            got << t.key() + u':' + accessIdOf(t.eligibility.access) + u':' + t.eligibility.id + u':'
                    + t.eligibility.memberType + u':' + t.eligibility.groupDescription;
        QCOMPARE(got,
                 (QStringList {u"123456789012/AdministratorAccess:member:g1_member:direct:from a"_s,
                               u"123456789012/AdministratorAccess:owner:g1_owner:Direct:"_s,
                               u"210987654321/ReadOnlyAccess:member:only-via:group:"_s}));
        // The direct one wins whichever comes first, and nothing is lost from a list without doubles.
        QCOMPARE(TargetMapper::distinct({direct, viaA}).first().id, u"g1_member"_s);
        QCOMPARE(TargetMapper::distinct({direct, viaA}).first().groupDisplayName,
                 u"AWS-123456789012-AdministratorAccess"_s);
        QCOMPARE(TargetMapper::distinct({viaA, viaB}).size(), 1);
        QCOMPARE(TargetMapper::distinct({viaA, viaB}).first().id, u"via-a"_s);
        QCOMPARE(TargetMapper::distinct({viaA, owner, onlyVia}).size(), 3);
        QVERIFY(TargetMapper::distinct({}).isEmpty());
    }
    void accountIdCheck()
    {
        QVERIFY(isAwsAccountId(u"000000000000"_s));
        QVERIFY(!isAwsAccountId(u"00000000000a"_s));
        QVERIFY(!isAwsAccountId(u"١٢٣٤٥٦٧٨٩٠١٢"_s)); // Arabic-Indic digits are not ASCII digits
    }
};

QTEST_GUILESS_MAIN(TestTargetMapper)
#include "tst_targetmapper.moc"

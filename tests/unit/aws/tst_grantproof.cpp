// SPDX-License-Identifier: GPL-3.0-or-later
// The proof credential-process keeps that a grant is live: fresh only while at most a minute old by the
// local clock (never from the future), before the grant's end by Graph's clock, for the same Entra
// account and configuration, and while the change stamp beside the history says what it said; a
// corrupt, foreign or someone else's file is no proof; the file is 0600 and holds no secret.

#include "aws/grantproof.h"
#include "core/changenotice.h"
#include "support/manualclock.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <limits>
#include <set>

using namespace Elevate;
using Verdict = Aws::GrantProofStore::Verdict;

namespace {
const QString kEntra = QStringLiteral("oid-1.tid-1");
const QString kScope = QStringLiteral("Elevate Emulator 1234");
const QString kAccount = QStringLiteral("123456789012");
const QString kRole = QStringLiteral("ReadOnlyAccess");
} // namespace

class TestGrantProof : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    Test::ManualClock m_clock;

    QString historyPath() const { return m_dir.filePath(QStringLiteral("data/history.sqlite")); }
    Aws::GrantProofStore store() const { return Aws::GrantProofStore::beside(historyPath(), &m_clock); }

    Aws::GrantProof proof(const Aws::GrantProofStore &s) const
    {
        Aws::GrantProof p;
        p.entraAccount = kEntra;
        p.scope = kScope;
        p.accountId = kAccount;
        p.roleName = kRole;
        p.groupId = QStringLiteral("g-1");
        p.groupName = QStringLiteral("AWS-123456789012-ReadOnlyAccess");
        // Graph's clock is 50 minutes ahead of the local one; 10 local minutes of the grant are left.
        p.serverSkewSecs = 3000;
        p.grantEnd = m_clock.now().addSecs(3000 + 600);
        p.checkedAt = m_clock.now();
        p.changeStamp = s.currentStamp();
        return p;
    }

    Verdict verdict(const Aws::GrantProofStore &s, const QString &entra = kEntra,
                    const QString &scope = kScope)
    {
        return s.find(kAccount, kRole, entra, scope).verdict;
    }

    void write(const QString &path, const QByteArray &bytes)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(bytes);
        f.close();
        QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    }

private Q_SLOTS:
    void init()
    {
        m_clock.set(QDateTime::fromSecsSinceEpoch(1'764'000'000, Qt::UTC));
        QDir(m_dir.filePath(QStringLiteral("data"))).removeRecursively();
    }

    void besideTheHistoryAndTheStamp()
    {
        const auto s = store();
        QCOMPARE(s.directory(), m_dir.filePath(QStringLiteral("data/grant-proofs")));
        QCOMPARE(QFileInfo(s.path(kAccount, kRole)).absolutePath(), s.directory());
        // A role name cannot reach outside the directory.
        QCOMPARE(QFileInfo(s.path(kAccount, QStringLiteral("../../x"))).absolutePath(), s.directory());
    }

    void freshForAMinuteThenTooOld()
    {
        const auto s = store();
        QCOMPARE(verdict(s), Verdict::Missing);
        QVERIFY(s.save(proof(s)).ok());
        const auto found = s.find(kAccount, kRole, kEntra, kScope);
        QCOMPARE(found.verdict, Verdict::Fresh);
        QVERIFY(found.proof);
        QCOMPARE(found.proof->groupId, QStringLiteral("g-1"));
        QCOMPARE(found.proof->serverSkewSecs, 3000);
        QCOMPARE(found.proof->checkedAt, m_clock.now());
        m_clock.advance(Aws::GrantProofStore::kMaxAgeSecs);
        QCOMPARE(verdict(s), Verdict::Fresh); // exactly a minute old still counts
        m_clock.set(m_clock.now().addMSecs(1));
        QCOMPARE(verdict(s), Verdict::TooOld);
        QVERIFY(!s.find(kAccount, kRole, kEntra, kScope).proof);
    }

    void fromTheFutureIsNoProof()
    {
        const auto s = store();
        auto p = proof(s);
        p.checkedAt = m_clock.now().addSecs(5); // the clock went back since, or the file was forged
        QVERIFY(s.save(p).ok());
        QCOMPARE(verdict(s), Verdict::FromTheFuture);
    }

    void neverPastTheGrantsEndByGraphsClock()
    {
        const auto s = store();
        auto p = proof(s);
        p.grantEnd = m_clock.now().addSecs(3000 + 30); // 30 s left by Graph's clock
        QVERIFY(s.save(p).ok());
        QCOMPARE(verdict(s), Verdict::Fresh);
        QCOMPARE(p.grantEndLocal(), m_clock.now().addSecs(30));
        m_clock.advance(30);
        QCOMPARE(verdict(s), Verdict::GrantOver); // although only 30 s old
        // Without the skew the grant would still look live for 50 minutes: the skew is what counts.
        p.serverSkewSecs = 0;
        QVERIFY(s.save(p).ok());
        QCOMPARE(verdict(s), Verdict::Fresh);
        // A permanent assignment has no end; age alone decides.
        p.grantEnd = {};
        QVERIFY(s.save(p).ok());
        QCOMPARE(verdict(s), Verdict::Fresh);
        QVERIFY(!p.grantEndLocal().isValid());
    }

    void anotherAccountOrConfigurationIsForeign()
    {
        const auto s = store();
        QVERIFY(s.save(proof(s)).ok());
        QCOMPARE(verdict(s, QStringLiteral("oid-2.tid-1")), Verdict::Foreign);
        QCOMPARE(verdict(s, kEntra, QStringLiteral("Elevate")), Verdict::Foreign);
        QCOMPARE(verdict(s, QString()), Verdict::Foreign);
        QCOMPARE(verdict(s), Verdict::Fresh);
    }

    void aChangeOnThisMachineSinceTheCheckEndsIt()
    {
        const auto s = store();
        QVERIFY(s.save(proof(s)).ok()); // no stamp yet
        QCOMPARE(verdict(s), Verdict::Fresh);
        Core::ChangeNotice notice(Core::ChangeNotice::beside(historyPath()));
        QVERIFY(notice.touch()); // e.g. `elevate deactivate`
        QCOMPARE(verdict(s), Verdict::ChangedSince);
        // A proof taken after the change counts again, until the next one.
        QVERIFY(s.save(proof(s)).ok());
        QCOMPARE(verdict(s), Verdict::Fresh);
        QVERIFY(notice.touch());
        QCOMPARE(verdict(s), Verdict::ChangedSince);
    }

    void corruptOrMisplacedFilesAreNoProof_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        const auto s = store();
        const QByteArray good = proof(s).toJson();
        auto edited = [&good](const char *key, const nlohmann::json &value) {
            auto j = nlohmann::json::parse(good.toStdString());
            if (value.is_discarded())
                j.erase(key);
            else
                j[key] = value;
            return QByteArray::fromStdString(j.dump());
        };
        const nlohmann::json gone = nlohmann::json::value_t::discarded;
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("not json") << QByteArray("live, trust me\n");
        QTest::newRow("truncated") << good.left(good.size() / 2);
        QTest::newRow("array") << QByteArray("[1,2]");
        QTest::newRow("other version") << edited("v", 2);
        QTest::newRow("version as text") << edited("v", "1");
        QTest::newRow("other kind") << edited("kind", "something-else");
        QTest::newRow("no account") << edited("entraAccount", gone);
        QTest::newRow("empty account") << edited("entraAccount", "");
        QTest::newRow("account as number") << edited("entraAccount", 7);
        QTest::newRow("bad AWS account") << edited("accountId", "12345");
        QTest::newRow("another target") << edited("accountId", "210987654321");
        QTest::newRow("another role") << edited("roleName", "AdministratorAccess");
        QTest::newRow("no group") << edited("groupId", "");
        QTest::newRow("no checkedAt") << edited("checkedAt", gone);
        QTest::newRow("checkedAt null") << edited("checkedAt", nullptr);
        QTest::newRow("checkedAt without zone") << edited("checkedAt", "2025-11-24T16:00:00");
        QTest::newRow("checkedAt garbage") << edited("checkedAt", "yesterday");
        QTest::newRow("grantEnd garbage") << edited("grantEnd", "soon");
        QTest::newRow("grantEnd as number") << edited("grantEnd", 1764000000);
        QTest::newRow("skew as text") << edited("serverSkewSecs", "3000");
        QTest::newRow("skew huge") << edited("serverSkewSecs", 40'000'000);
        QTest::newRow("skew wraps") << edited("serverSkewSecs", 18446744073709551611ULL);
        QTest::newRow("skew fraction") << edited("serverSkewSecs", 1.5);
        QTest::newRow("skew huge negative") << edited("serverSkewSecs", -40'000'000);
        QTest::newRow("skew most negative") << edited("serverSkewSecs", std::numeric_limits<qint64>::min());
        QTest::newRow("long role") << edited("roleName", std::string(300, 'R'));
        QTest::newRow("too large") << QByteArray(good).insert(1, QByteArray(5000, ' '));
    }

    void corruptOrMisplacedFilesAreNoProof()
    {
        QFETCH(QByteArray, bytes);
        const auto s = store();
        write(s.path(kAccount, kRole), bytes);
        QCOMPARE(verdict(s), Verdict::Unreadable);
    }

    void aFileOthersCouldWriteIsNoProof()
    {
        const auto s = store();
        QVERIFY(s.save(proof(s)).ok());
        QCOMPARE(verdict(s), Verdict::Fresh);
        const QString path = s.path(kAccount, kRole);
        QVERIFY(QFile::setPermissions(path,
                                      QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                          | QFileDevice::ReadOther | QFileDevice::WriteOther));
        QCOMPARE(verdict(s), Verdict::Unreadable);
    }

    void theFileIsTheOwnersAloneAndHoldsNoSecret()
    {
        const auto s = store();
        const auto p = proof(s);
        QVERIFY(s.save(p).ok());
        const QString path = s.path(kAccount, kRole);
        QCOMPARE(QFileInfo(path).permissions(),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser
                     | QFileDevice::WriteUser);
        QVERIFY(!(QFileInfo(s.directory()).permissions()
                  & (QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ReadGroup)));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto j = nlohmann::json::parse(f.readAll().toStdString());
        // Exactly these fields: names, ids and times. Nothing token- or key-shaped has a place in it.
        std::set<std::string> keys;
        for (auto it = j.begin(); it != j.end(); ++it)
            keys.insert(it.key());
        const std::set<std::string> expected {"v",         "kind",           "entraAccount", "scope",
                                              "accountId", "roleName",       "groupId",      "groupName",
                                              "grantEnd",  "serverSkewSecs", "checkedAt",    "changeStamp"};
        QVERIFY(keys == expected);
        // The change stamp goes in as a digest (its bytes are whatever another process wrote).
        QCOMPARE(j["changeStamp"].get<std::string>().size(), size_t(64));
    }

    void aRoundTripKeepsEveryField()
    {
        const auto s = store();
        auto p = proof(s);
        p.groupName = QStringLiteral("Ünïcode \"quoted\" name");
        p.serverSkewSecs = -42;
        const auto back = Aws::GrantProof::fromJson(p.toJson());
        QVERIFY(back);
        QCOMPARE(back->entraAccount, p.entraAccount);
        QCOMPARE(back->scope, p.scope);
        QCOMPARE(back->accountId, p.accountId);
        QCOMPARE(back->roleName, p.roleName);
        QCOMPARE(back->groupId, p.groupId);
        QCOMPARE(back->groupName, p.groupName);
        QCOMPARE(back->grantEnd, p.grantEnd);
        QCOMPARE(back->serverSkewSecs, -42);
        QCOMPARE(back->checkedAt, p.checkedAt);
        QCOMPARE(back->changeStamp, p.changeStamp);
    }

    // Found by fuzz_grantproof: a stamp with a byte that is not UTF-8 read as U+FFFD and wrote back
    // as '?', so the proof did not read back as itself. A stamp is a SHA-256 in hex or nothing.
    void aStampThatIsNoDigestIsNoProof()
    {
        QFile f(
            QStringLiteral(ELEVATE_SOURCE_DIR "/tests/fuzz/corpus/fuzz_grantproof/stamp-beyond-latin1.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY(!Aws::GrantProof::fromJson(bytes));
        const auto s = store();
        auto p = proof(s);
        QVERIFY(Aws::GrantProof::fromJson(p.toJson()));
        for (const QByteArray &stamp : {QByteArray(64, 'A'), QByteArray(63, 'a'), QByteArray(65, 'a'),
                                        QByteArray(), QByteArray(QByteArray(63, 'a') + '\xe9')}) {
            p.changeStamp = stamp;
            QVERIFY2(!Aws::GrantProof::fromJson(p.toJson()), stamp.constData());
        }
    }
    void removeOneOrAll()
    {
        const auto s = store();
        auto p = proof(s);
        QVERIFY(s.save(p).ok());
        p.roleName = QStringLiteral("PowerUserAccess");
        QVERIFY(s.save(p).ok());
        s.remove(kAccount, kRole);
        QCOMPARE(verdict(s), Verdict::Missing);
        QCOMPARE(s.find(kAccount, QStringLiteral("PowerUserAccess"), kEntra, kScope).verdict, Verdict::Fresh);
        s.removeAll();
        QCOMPARE(s.find(kAccount, QStringLiteral("PowerUserAccess"), kEntra, kScope).verdict,
                 Verdict::Missing);
        s.remove(kAccount, kRole); // nothing there: no harm
        s.removeAll();
    }
};

QTEST_GUILESS_MAIN(TestGrantProof)
#include "tst_grantproof.moc"

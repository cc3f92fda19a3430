// SPDX-License-Identifier: GPL-3.0-or-later
// The bridge's SQLite state in real files: every field survives a write and a reopen, replace /
// remove / prune do what they say, facts, owner-only modes whatever the umask, and files it must
// not use (a newer schema, not SQLite at all) are refused and left exactly as they were.

#include "app/bridge/bridgestate.h"
#include "support/testsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

#include <sys/stat.h>

using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;

namespace {

const QDateTime t0 = QDateTime::fromMSecsSinceEpoch(1'764'000'000'123, Qt::UTC);

/// Every field set, each time distinct and with milliseconds; `salt` makes two of them differ.
Membership full(const QString &group, const QString &principal, int salt = 0)
{
    Membership m;
    m.groupId = group;
    m.principalId = principal;
    m.instanceId = u"inst-"_s + QString::number(salt);
    m.assignmentType = u"activated"_s;
    m.start = t0.addMSecs(1 + salt);
    m.end = t0.addMSecs(3'600'002 + salt);
    m.firstSeen = t0.addMSecs(5 + salt);
    m.lastSeen = t0.addMSecs(7 + salt);
    m.endedSeen = t0.addMSecs(11 + salt);
    m.startPushed = t0.addMSecs(13 + salt);
    m.endPushed = t0.addMSecs(17 + salt);
    m.baseline = true;
    m.lastResult = u"Failure: \"quoted\", with a comma\nand a line"_s;
    m.attempts = 3 + salt;
    m.nextAttempt = t0.addMSecs(19 + salt);
    return m;
}

void compareMembership(const Membership &a, const Membership &b)
{
    QCOMPARE(a.groupId, b.groupId);
    QCOMPARE(a.principalId, b.principalId);
    QCOMPARE(a.instanceId, b.instanceId);
    QCOMPARE(a.assignmentType, b.assignmentType);
    QCOMPARE(a.start, b.start);
    QCOMPARE(a.end, b.end);
    QCOMPARE(a.firstSeen, b.firstSeen);
    QCOMPARE(a.lastSeen, b.lastSeen);
    QCOMPARE(a.endedSeen, b.endedSeen);
    QCOMPARE(a.startPushed, b.startPushed);
    QCOMPARE(a.endPushed, b.endPushed);
    QCOMPARE(a.start.isValid(), b.start.isValid());
    QCOMPARE(a.end.isValid(), b.end.isValid());
    QCOMPARE(a.endedSeen.isValid(), b.endedSeen.isValid());
    QCOMPARE(a.startPushed.isValid(), b.startPushed.isValid());
    QCOMPARE(a.endPushed.isValid(), b.endPushed.isValid());
    QCOMPARE(a.nextAttempt.isValid(), b.nextAttempt.isValid());
    QCOMPARE(a.baseline, b.baseline);
    QCOMPARE(a.lastResult, b.lastResult);
    QCOMPARE(a.attempts, b.attempts);
    QCOMPARE(a.nextAttempt, b.nextAttempt);
}

std::unique_ptr<BridgeState> openOrFail(const QString &path)
{
    auto r = BridgeState::open(path);
    if (!r.ok()) {
        qWarning("open %s: %s", qPrintable(path), qPrintable(r.error().message));
        return nullptr;
    }
    return std::move(r).value();
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
}

int modeOf(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

/// Sets the umask for one scope (the test's files must be owner-only even with umask 0).
struct Umask
{
    explicit Umask(mode_t m)
        : old(::umask(m))
    { }
    ~Umask() { ::umask(old); }
    mode_t old;
};

} // namespace

class TestBridgeState : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyFieldRoundTripsAndSurvivesReopen()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        Membership a = full(u"g1"_s, u"p1"_s, 0);
        // A time in another zone is the same instant when read back (stored in UTC).
        a.start = t0.toTimeZone(QTimeZone("Europe/Berlin")).addMSecs(999);
        Membership b = full(u"g1"_s, u"p2"_s, 100);
        // Invalid times and defaults: each comes back invalid (NULL), never the epoch.
        Membership c;
        c.groupId = u"g2"_s;
        c.principalId = u"p1"_s;
        {
            auto state = openOrFail(path);
            QVERIFY(state);
            QCOMPARE(state->path(), path);
            VERIFY_OK(state->save(a));
            QVERIFY(state->save(b).ok());
            QVERIFY(state->save(c).ok());
            const auto now = state->memberships();
            QVERIFY(now.ok());
            QCOMPARE(now->size(), 3);
        }
        auto state = openOrFail(path);
        QVERIFY(state);
        const auto all = state->memberships();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 3);
        QHash<QString, Membership> byKey;
        for (const auto &m : *all)
            byKey.insert(m.groupId + u'/' + m.principalId, m);
        compareMembership(byKey.value(u"g1/p1"_s), a);
        compareMembership(byKey.value(u"g1/p2"_s), b);
        const Membership back = byKey.value(u"g2/p1"_s);
        compareMembership(back, c);
        QVERIFY(!back.start.isValid());
        QVERIFY(!back.end.isValid());
        QVERIFY(!back.firstSeen.isValid());
        QVERIFY(!back.nextAttempt.isValid());
        QVERIFY(back.needsStartPush());
        QVERIFY(!back.needsEndPush());
        QCOMPARE(byKey.value(u"g1/p1"_s).start.toMSecsSinceEpoch(), t0.toMSecsSinceEpoch() + 999);
    }

    void saveReplacesByGroupAndPrincipal()
    {
        QTemporaryDir dir;
        auto state = openOrFail(dir.filePath(u"state.sqlite"_s));
        QVERIFY(state);
        QVERIFY(state->save(full(u"g1"_s, u"p1"_s, 0)).ok());
        QVERIFY(state->save(full(u"g2"_s, u"p1"_s, 0)).ok()); // same principal, other group: its own row
        Membership again;
        again.groupId = u"g1"_s;
        again.principalId = u"p1"_s;
        again.instanceId = u"second"_s;
        again.start = t0.addSecs(7200);
        QVERIFY(state->save(again).ok());
        const auto all = state->memberships();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 2);
        for (const auto &m : *all) {
            if (m.groupId == u"g1")
                compareMembership(m, again); // replaced whole: no field of the old row stays
            else
                compareMembership(m, full(u"g2"_s, u"p1"_s, 0));
        }
    }

    void remove()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        {
            auto state = openOrFail(path);
            QVERIFY(state);
            QVERIFY(state->save(full(u"g1"_s, u"p1"_s)).ok());
            QVERIFY(state->save(full(u"g1"_s, u"p2"_s)).ok());
            QVERIFY(state->save(full(u"g2"_s, u"p1"_s)).ok());
            QVERIFY(state->remove(u"g1"_s, u"p1"_s).ok());
            QVERIFY(state->remove(u"g9"_s, u"p9"_s).ok()); // nothing there: not an error
        }
        auto state = openOrFail(path);
        QVERIFY(state);
        const auto all = state->memberships();
        QVERIFY(all.ok());
        QStringList keys;
        for (const auto &m : *all)
            keys << m.groupId + u'/' + m.principalId;
        keys.sort();
        QCOMPARE(keys, QStringList({u"g1/p2"_s, u"g2/p1"_s}));
    }

    void refusesMembershipWithoutKey()
    {
        QTemporaryDir dir;
        auto state = openOrFail(dir.filePath(u"state.sqlite"_s));
        QVERIFY(state);
        Membership m = full(QString(), u"p1"_s);
        QVERIFY(!state->save(m).ok());
        m = full(u"g1"_s, QString());
        QVERIFY(!state->save(m).ok());
        QCOMPARE(state->memberships()->size(), 0);
    }

    void pushesNewestFirstWithEveryField()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        {
            auto state = openOrFail(path);
            QVERIFY(state);
            PushRecord r;
            r.at = t0;
            r.groupId = u"g1"_s;
            r.principalIds = {u"p1"_s, u"p\"2,x"_s, u"p3 ü"_s};
            r.result = u"Failure"_s;
            r.reason = u"the service's words\nover two lines"_s;
            r.dryRun = false;
            QVERIFY(state->logPush(r).ok());
            PushRecord later;
            later.at = t0.addMSecs(1);
            later.groupId = u"g2"_s;
            later.result = u"DryRun"_s;
            later.dryRun = true; // no principals: an empty list, not [""]
            QVERIFY(state->logPush(later).ok());
            PushRecord earlier = r;
            earlier.at = t0.addSecs(-60);
            earlier.result = u"Success"_s;
            earlier.reason.clear();
            earlier.principalIds = {u"p9"_s};
            QVERIFY(state->logPush(earlier).ok());
        }
        auto state = openOrFail(path);
        QVERIFY(state);
        const auto all = state->pushes();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 3);
        QCOMPARE(all->at(0).at, t0.addMSecs(1));
        QCOMPARE(all->at(0).groupId, u"g2"_s);
        QCOMPARE(all->at(0).principalIds, QStringList());
        QCOMPARE(all->at(0).result, u"DryRun"_s);
        QVERIFY(all->at(0).dryRun);
        QCOMPARE(all->at(1).at, t0);
        QCOMPARE(all->at(1).principalIds, QStringList({u"p1"_s, u"p\"2,x"_s, u"p3 ü"_s}));
        QCOMPARE(all->at(1).result, u"Failure"_s);
        QCOMPARE(all->at(1).reason, u"the service's words\nover two lines"_s);
        QVERIFY(!all->at(1).dryRun);
        QCOMPARE(all->at(2).at, t0.addSecs(-60));
        QCOMPARE(all->at(2).principalIds, QStringList({u"p9"_s}));
        QVERIFY(all->at(2).reason.isEmpty());

        const auto two = state->pushes(2);
        QVERIFY(two.ok());
        QCOMPARE(two->size(), 2);
        QCOMPARE(two->at(1).at, t0);
    }

    void pruneDropsOldPushesAndFinishedMemberships()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        const QDateTime cut = t0;
        {
            auto state = openOrFail(path);
            QVERIFY(state);
            for (const qint64 offsetMs : {-86'400'000LL, -1LL, 0LL, 1LL}) {
                PushRecord r;
                r.at = cut.addMSecs(offsetMs);
                r.groupId = u"g"_s + QString::number(offsetMs);
                r.result = u"Success"_s;
                QVERIFY(state->logPush(r).ok());
            }
            Membership oldFinished = full(u"g1"_s, u"old"_s);
            oldFinished.endPushed = cut.addMSecs(-1);
            Membership recentFinished = full(u"g1"_s, u"recent"_s);
            recentFinished.endPushed = cut; // not older than the cut
            Membership endedNotPushed = full(u"g1"_s, u"waiting"_s);
            endedNotPushed.endedSeen = cut.addDays(-10);
            endedNotPushed.endPushed = QDateTime();
            Membership active = full(u"g1"_s, u"active"_s);
            active.firstSeen = cut.addDays(-100);
            active.endedSeen = QDateTime();
            active.endPushed = QDateTime();
            for (const auto &m : {oldFinished, recentFinished, endedNotPushed, active})
                QVERIFY(state->save(m).ok());
            QVERIFY(state->prune(cut).ok());
            QVERIFY(!state->prune(QDateTime()).ok()); // no cut: refused, nothing dropped
        }
        auto state = openOrFail(path);
        QVERIFY(state);
        const auto pushes = state->pushes(0);
        QVERIFY(pushes.ok());
        QCOMPARE(pushes->size(), 2);
        QCOMPARE(pushes->at(0).at, cut.addMSecs(1));
        QCOMPARE(pushes->at(1).at, cut);
        const auto all = state->memberships();
        QVERIFY(all.ok());
        QStringList principals;
        for (const auto &m : *all)
            principals << m.principalId;
        principals.sort();
        QCOMPARE(principals, QStringList({u"active"_s, u"recent"_s, u"waiting"_s}));
    }

    void facts()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        {
            auto state = openOrFail(path);
            QVERIFY(state);
            QCOMPARE(state->fact(u"lastCycle"_s), QString());
            QVERIFY(state->setFact(u"lastCycle"_s, u"2026-12-04T10:00:00.123Z"_s).ok());
            QVERIFY(state->setFact(u"jobStatus"_s, u"Active"_s).ok());
            QVERIFY(state->setFact(u"jobStatus"_s, u"Quarantine: \"excessive\"\nfailures"_s).ok());
            QVERIFY(!state->setFact(QString(), u"x"_s).ok());
        }
        auto state = openOrFail(path);
        QVERIFY(state);
        QCOMPARE(state->fact(u"lastCycle"_s), u"2026-12-04T10:00:00.123Z"_s);
        QCOMPARE(state->fact(u"jobStatus"_s), u"Quarantine: \"excessive\"\nfailures"_s);
        QCOMPARE(state->fact(u"unknown"_s), QString());
    }

    void ownerOnlyModesWhateverTheUmask_data()
    {
        QTest::addColumn<int>("mask");
        QTest::newRow("umask 000") << 0;
        QTest::newRow("umask 022") << 022;
        QTest::newRow("umask 277") << 0277; // would leave 0400 and 0500 without the chmod
    }

    void ownerOnlyModesWhateverTheUmask()
    {
        QFETCH(int, mask);
        QTemporaryDir dir;
        const QString parent = dir.filePath(u"a"_s);
        const QString child = dir.filePath(u"a/b"_s);
        const QString path = dir.filePath(u"a/b/state.sqlite"_s);
        {
            const Umask scoped(static_cast<mode_t>(mask));
            auto state = openOrFail(path);
            QVERIFY(state);
            QVERIFY(state->save(full(u"g1"_s, u"p1"_s)).ok());
            QCOMPARE(modeOf(parent), 0700);
            QCOMPARE(modeOf(child), 0700);
            QCOMPARE(modeOf(path), 0600);
            // SQLite gives its side files the database's mode.
            for (const char *suffix : {"-wal", "-shm"})
                if (QFileInfo::exists(path + QLatin1String(suffix)))
                    QCOMPARE(modeOf(path + QLatin1String(suffix)), 0600);
        }
        QCOMPARE(modeOf(path), 0600);
        // An existing folder is the operator's: its mode is left alone.
        QVERIFY(QFile::setPermissions(dir.path(),
                                      QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                          | QFile::ReadGroup | QFile::ExeGroup));
        const int before = modeOf(dir.path());
        auto again = openOrFail(dir.filePath(u"other.sqlite"_s));
        QVERIFY(again);
        QCOMPARE(modeOf(dir.path()), before);
        QCOMPARE(modeOf(dir.filePath(u"other.sqlite"_s)), 0600);
    }

    void refusesNewerSchemaAndLeavesItAlone()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        {
            auto state = openOrFail(path);
            QVERIFY(state);
            QVERIFY(state->setFact(u"k"_s, u"v"_s).ok());
        }
        {
            // What a later bridge would leave: a higher user_version (and a table this one lacks).
            const QString conn = u"tst-newer"_s;
            {
                QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, conn);
                db.setDatabaseName(path);
                QVERIFY(db.open());
                QSqlQuery q(db);
                QVERIFY(q.exec(u"PRAGMA journal_mode=DELETE"_s));
                QVERIFY(q.exec(u"CREATE TABLE future (x TEXT)"_s));
                QVERIFY(q.exec(u"PRAGMA user_version = 7"_s));
                q.finish();
                db.close();
            }
            QSqlDatabase::removeDatabase(conn);
        }
        QVERIFY(!QFileInfo::exists(path + u"-wal"_s));
        const QByteArray bytes = readAll(path);
        auto r = BridgeState::open(path);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Elevate::Core::Error::Kind::Config);
        QVERIFY2(r.error().message.contains(u"newer"_s), qPrintable(r.error().message));
        QVERIFY2(r.error().message.contains(u"7"_s), qPrintable(r.error().message));
        QVERIFY2(r.error().message.contains(path), qPrintable(r.error().message));
        QCOMPARE(readAll(path), bytes);
        QVERIFY(!QFileInfo::exists(path + u"-wal"_s)); // not even switched to WAL
    }

    void refusesGarbageAndLeavesItByteIdentical_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QByteArray text;
        for (int i = 0; i < 300; ++i)
            text += "this is not a database, line " + QByteArray::number(i) + '\n';
        QTest::newRow("text") << text;
        QByteArray binary;
        for (int i = 0; i < 8192; ++i)
            binary += char((i * 131 + 7) & 0xff);
        QTest::newRow("binary") << binary;
        // SQLite's magic followed by nonsense: looks like a database to anything that reads 16 bytes.
        QByteArray magic("SQLite format 3\0", 16);
        magic += QByteArray(4096 - 16, '\xee');
        QTest::newRow("magic then garbage") << magic;
    }

    void refusesGarbageAndLeavesItByteIdentical()
    {
        QFETCH(QByteArray, bytes);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QCOMPARE(f.write(bytes), bytes.size());
        }
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        const int mode = modeOf(path);
        auto r = BridgeState::open(path);
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Elevate::Core::Error::Kind::Config);
        QVERIFY2(r.error().message.contains(path), qPrintable(r.error().message));
        QCOMPARE(readAll(path), bytes);
        QCOMPARE(modeOf(path), mode);
        QVERIFY(!QFileInfo::exists(path + u"-wal"_s));
        QVERIFY(!QFileInfo::exists(path + u"-journal"_s));
    }

    void refusesAFolderOrNoPath()
    {
        QTemporaryDir dir;
        QVERIFY(!BridgeState::open(dir.path()).ok());
        QVERIFY(!BridgeState::open(QString()).ok());
        // The folder cannot be made: a file stands where it should be.
        QFile blocker(dir.filePath(u"file"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto r = BridgeState::open(dir.filePath(u"file/sub/state.sqlite"_s));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Elevate::Core::Error::Kind::Config);
    }

    void emptyFileIsANewState()
    {
        // A zero-length file (touch) is an empty SQLite database: it gets the tables.
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        auto state = openOrFail(path);
        QVERIFY(state);
        QVERIFY(state->setFact(u"k"_s, u"v"_s).ok());
        QCOMPARE(state->fact(u"k"_s), u"v"_s);
    }

    void eachWriteIsCommittedWhenItReturns()
    {
        // A second connection to the same file sees each write at once, while the first stays open.
        QTemporaryDir dir;
        const QString path = dir.filePath(u"state.sqlite"_s);
        auto writer = openOrFail(path);
        auto reader = openOrFail(path);
        QVERIFY(writer && reader);
        QVERIFY(writer->save(full(u"g1"_s, u"p1"_s)).ok());
        QCOMPARE(reader->memberships()->size(), 1);
        QVERIFY(writer->setFact(u"k"_s, u"v"_s).ok());
        QCOMPARE(reader->fact(u"k"_s), u"v"_s);
        PushRecord r;
        r.at = t0;
        r.groupId = u"g1"_s;
        QVERIFY(writer->logPush(r).ok());
        QCOMPARE(reader->pushes()->size(), 1);
        QVERIFY(writer->prune(t0.addSecs(1)).ok());
        QCOMPARE(reader->pushes()->size(), 0);
    }

    void twoStatesAtOnce()
    {
        // Each has its own connection name: two files in one process do not mix.
        QTemporaryDir dir;
        auto one = openOrFail(dir.filePath(u"one.sqlite"_s));
        auto two = openOrFail(dir.filePath(u"two.sqlite"_s));
        QVERIFY(one && two);
        QVERIFY(one->setFact(u"k"_s, u"one"_s).ok());
        QVERIFY(two->setFact(u"k"_s, u"two"_s).ok());
        QCOMPARE(one->fact(u"k"_s), u"one"_s);
        QCOMPARE(two->fact(u"k"_s), u"two"_s);
        one.reset();
        QCOMPARE(two->fact(u"k"_s), u"two"_s);
    }
};

QTEST_GUILESS_MAIN(TestBridgeState)
#include "tst_bridgestate.moc"

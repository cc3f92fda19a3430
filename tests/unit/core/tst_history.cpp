// SPDX-License-Identifier: GPL-3.0-or-later
// The SQLite history: upserts that keep what is known, survival across reopen (another process),
// recent entries for the form, and CSV that spreadsheets cannot turn into formulas.

#include "core/history.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace Elevate::Core;
using namespace Qt::StringLiterals;

namespace {
HistoryEntry entry(const QString &id, const QDateTime &at)
{
    HistoryEntry e;
    e.requestId = id;
    e.target = u"123456789012/AdministratorAccess"_s;
    e.groupId = u"g1"_s;
    e.groupName = u"AWS-123456789012-AdministratorAccess"_s;
    e.access = AccessKind::Member;
    e.requestedAt = at;
    e.startAt = at;
    e.endAt = at.addSecs(3600);
    e.durationSecs = 3600;
    e.justification = u"Rotate keys"_s;
    e.ticketSystem = u"Jira"_s;
    e.ticketNumber = u"OPS-1"_s;
    e.status = u"Provisioned"_s;
    return e;
}
} // namespace

class TestHistory : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void recordAndReadBack()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"sub/dir/history.sqlite"_s);
        auto store = HistoryStore::open(path);
        if (!store.ok())
            QFAIL(qPrintable(store.error().message));
        QCOMPARE(QFileInfo(path).permissions() & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions());
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        QVERIFY(store.value()->record(entry(u"r1"_s, t0)).ok());
        QVERIFY(store.value()->record(entry(u"r2"_s, t0.addSecs(60))).ok());
        const auto all = store.value()->entries();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 2);
        QCOMPARE(all->at(0).requestId, u"r2"_s); // newest first
        QCOMPARE(all->at(1).requestedAt, t0);
        QCOMPARE(all->at(1).durationSecs, 3600);
        QCOMPARE(all->at(1).ticketNumber, u"OPS-1"_s);
        QVERIFY(all->at(1).isOpen());
    }

    void updateKeepsWhatIsKnown()
    {
        QTemporaryDir dir;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s));
        QVERIFY(store.ok());
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        QVERIFY(store.value()->record(entry(u"r1"_s, t0)).ok());
        HistoryEntry update;
        update.requestId = u"r1"_s;
        update.outcome = u"Expired"_s;
        update.endedAt = t0.addSecs(3600);
        QVERIFY(store.value()->record(update).ok());
        const auto all = store.value()->entries();
        QCOMPARE(all->size(), 1);
        QCOMPARE(all->first().justification, u"Rotate keys"_s); // not wiped by the empty update
        QCOMPARE(all->first().outcome, u"Expired"_s);
        QCOMPARE(all->first().endedAt, t0.addSecs(3600));
        QVERIFY(store.value()->openEntries()->isEmpty());
    }

    void accessKindKeptAndUnknownStaysUnknown()
    {
        QCOMPARE(accessIdOf(AccessKind::Member), u"member"_s);
        QCOMPARE(accessIdOf(AccessKind::Owner), u"owner"_s);
        QCOMPARE(accessKindFrom(u"Owner"_s), AccessKind::Owner); // Graph's casing varies
        QCOMPARE(accessKindFrom(QString()), AccessKind::Member); // PIM's default
        QVERIFY(!accessKindFrom(u"approver"_s));

        QTemporaryDir dir;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s));
        QVERIFY(store.ok());
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        HistoryEntry owner = entry(u"owner"_s, t0);
        owner.access = AccessKind::Owner;
        HistoryEntry unknown = entry(u"unknown"_s, t0.addSecs(60));
        unknown.access.reset();
        QVERIFY(store.value()->record(owner).ok());
        QVERIFY(store.value()->record(unknown).ok());
        HistoryEntry update; // says nothing of the kind: the one on record stays
        update.requestId = u"owner"_s;
        update.status = u"Provisioned"_s;
        QVERIFY(store.value()->record(update).ok());
        const auto all = store.value()->entries();
        QVERIFY(all.ok());
        QCOMPARE(all->size(), 2);
        QCOMPARE(all->at(1).access, std::optional(AccessKind::Owner));
        QVERIFY(!all->at(0).access);
        // An entry of unknown kind is about either kind of its group; a known one only its own.
        QVERIFY(all->at(0).isFor(u"g1"_s, AccessKind::Owner)
                && all->at(0).isFor(u"g1"_s, AccessKind::Member));
        QVERIFY(all->at(1).isFor(u"g1"_s, AccessKind::Owner)
                && !all->at(1).isFor(u"g1"_s, AccessKind::Member));
        QVERIFY(!all->at(1).isFor(u"g2"_s, AccessKind::Owner));
    }

    void refusesAnEntryWithoutId()
    {
        QTemporaryDir dir;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s));
        QVERIFY(store.ok());
        const auto r = store.value()->record(HistoryEntry {});
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Error::Kind::InvalidInput);
    }

    void survivesReopenAndSharesWithASecondStore()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"h.sqlite"_s);
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        {
            auto a = HistoryStore::open(path);
            auto b = HistoryStore::open(path); // the tray and the CLI at once
            QVERIFY(a.ok() && b.ok());
            QVERIFY(a.value()->record(entry(u"r1"_s, t0)).ok());
            QCOMPARE(b.value()->entries()->size(), 1);
            QVERIFY(b.value()->record(entry(u"r2"_s, t0.addSecs(5))).ok());
            QCOMPARE(a.value()->entries()->size(), 2);
        }
        auto again = HistoryStore::open(path);
        QVERIFY(again.ok());
        QCOMPARE(again.value()->entries()->size(), 2);
    }

    void unusablePathIsAnError()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(u"file"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto store = HistoryStore::open(dir.filePath(u"file/history.sqlite"_s));
        QVERIFY(!store.ok());
    }

    void recentEntries()
    {
        QTemporaryDir dir;
        auto store = HistoryStore::open(dir.filePath(u"h.sqlite"_s));
        QVERIFY(store.ok());
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        for (int i = 0; i < 4; ++i) {
            HistoryEntry e = entry(u"r%1"_s.arg(i), t0.addSecs(i * 60));
            e.justification = i % 2 ? u"Incident"_s : u"Deploy"_s;
            e.ticketSystem = i == 3 ? u"ServiceNow"_s : u"Jira"_s;
            QVERIFY(store.value()->record(e).ok());
        }
        QCOMPARE(store.value()->recentJustifications().value(), (QStringList {u"Incident"_s, u"Deploy"_s}));
        QCOMPARE(store.value()->recentTicketSystems(1).value(), QStringList {u"ServiceNow"_s});
    }

    void seenOncePerItemAcrossReopen()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"h.sqlite"_s);
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        {
            auto store = HistoryStore::open(path);
            QVERIFY(store.ok());
            QCOMPARE(store.value()->anySeen(u"approval"_s).value(), false);
            QCOMPARE(store.value()->markSeen(u"approval"_s, u"r1"_s, t0).value(), true);
            QCOMPARE(store.value()->markSeen(u"approval"_s, u"r1"_s, t0.addSecs(60)).value(), false);
            QCOMPARE(store.value()->markSeen(u"other"_s, u"r1"_s, t0).value(), true); // kinds are apart
        }
        auto again = HistoryStore::open(path); // a restart
        QVERIFY(again.ok());
        QCOMPARE(again.value()->markSeen(u"approval"_s, u"r1"_s, t0.addSecs(120)).value(), false);
        QCOMPARE(again.value()->markSeen(u"approval"_s, u"r2"_s, t0.addSecs(120)).value(), true);
        QCOMPARE(again.value()->anySeen(u"approval"_s).value(), true);
        // The time is the caller's (the injected clock), and a repeated mark keeps the first one.
        QCOMPARE(again.value()->seenAt(u"approval"_s, u"r1"_s).value(), t0);
        QCOMPARE(again.value()->seenAt(u"approval"_s, u"r2"_s).value(), t0.addSecs(120));
    }

    void csv()
    {
        const QDateTime t0 = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        HistoryEntry e = entry(u"r1"_s, t0);
        e.justification = u"=HYPERLINK(\"x\"), and \"quotes\"\nline 2"_s;
        e.ticketNumber = u"-42"_s;
        e.outcome = u"Expired"_s;
        const QByteArray csv = HistoryStore::toCsv({e});
        const QList<QByteArray> lines = csv.split('\n');
        QVERIFY(lines.first().startsWith("request_id,target,group,requested_at"));
        QVERIFY(csv.contains("r1,123456789012/AdministratorAccess,AWS-123456789012-AdministratorAccess,"
                             "2027-01-15T08:00:00Z"));
        QVERIFY2(csv.contains("\"'=HYPERLINK(\"\"x\"\"), and \"\"quotes\"\"\nline 2\""), csv.constData());
        QVERIFY(csv.contains(",'-42,"));
        QVERIFY(csv.contains(",60,")); // minutes
        QVERIFY(csv.endsWith("\r\n"));
        QCOMPARE(HistoryStore::toCsv({}).count('\n'), 1);
    }

    void outcomeNames()
    {
        // The names are what the history on disk holds: they must never change.
        const QList<QPair<Outcome, QString>> names = {
            {Outcome::Expired, u"Expired"_s},         {Outcome::Ended, u"Ended"_s},
            {Outcome::Deactivated, u"Deactivated"_s}, {Outcome::Canceled, u"Canceled"_s},
            {Outcome::Denied, u"Denied"_s},           {Outcome::Failed, u"Failed"_s},
            {Outcome::Lapsed, u"Lapsed"_s},
        };
        for (const auto &[outcome, name] : names) {
            QCOMPARE(outcomeName(outcome), name);
            const std::optional<Outcome> back = outcomeFrom(name);
            QVERIFY(back);
            QVERIFY(*back == outcome);
        }
        // An unknown PIM status recorded as it was, a different case, or an open entry: no outcome.
        QVERIFY(!outcomeFrom(u"Revoked"_s));
        QVERIFY(!outcomeFrom(u"expired"_s));
        QVERIFY(!outcomeFrom(QString()));
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"

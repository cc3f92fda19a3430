// SPDX-License-Identifier: GPL-3.0-or-later
// The change stamp between Elevate's processes: a touch by another writer is seen once, the watcher's
// own touches and other files in the directory are not, and it keeps working after the stamp is
// replaced or deleted.

#include "core/changenotice.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Elevate;

class TestChangeNotice : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void besideTheHistory()
    {
        QCOMPARE(Core::ChangeNotice::beside(QStringLiteral("/home/u/.local/share/Elevate/history.sqlite")),
                 QStringLiteral("/home/u/.local/share/Elevate/changes.stamp"));
    }

    void anotherWritersTouchIsSeenOncePerTouch()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("data/changes.stamp")); // the directory is made
        Core::ChangeNotice watcher(path);
        QVERIFY(watcher.watch());
        QVERIFY(QFile::exists(path));
        QSignalSpy changed(&watcher, &Core::ChangeNotice::changedElsewhere);
        QVERIFY(changed.isEmpty()); // creating the stamp to watch it is no change

        Core::ChangeNotice writer(path); // another process, as far as the stamp can tell
        QVERIFY(writer.touch());
        QTRY_COMPARE(changed.size(), 1);
        // The second touch replaces the file (a new inode): still seen, and once.
        QVERIFY(writer.touch());
        QTRY_COMPARE(changed.size(), 2);
        // A deleted stamp comes back with the next touch, through the directory's watch.
        QVERIFY(QFile::remove(path));
        QVERIFY(writer.touch());
        QTRY_COMPARE(changed.size(), 3);
        // Every event of those touches has been read by the time a later touch is seen: no more came.
        QVERIFY(writer.touch());
        QTRY_COMPARE(changed.size(), 4);
        QCOMPARE(changed.size(), 4);
    }

    void ownTouchesAndOtherFilesAreNoChange()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("changes.stamp"));
        Core::ChangeNotice watcher(path);
        QVERIFY(watcher.watch());
        QSignalSpy changed(&watcher, &Core::ChangeNotice::changedElsewhere);
        auto stamp = [&path] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        };

        // Its own touch: looked at (the stamp it saw is the new one), and no signal.
        QVERIFY(watcher.touch());
        const QByteArray own = stamp();
        QTRY_COMPARE(watcher.lastStamp(), own);
        QCOMPARE(changed.size(), 0);

        // Another file in the directory (the database's journal), then another writer's stamp: one
        // signal, for the stamp, once the watcher has seen it.
        QFile other(dir.filePath(QStringLiteral("history.sqlite-wal")));
        QVERIFY(other.open(QIODevice::WriteOnly));
        other.write("x");
        other.close();
        Core::ChangeNotice writer(path);
        QVERIFY(writer.touch());
        const QByteArray theirs = stamp();
        QVERIFY(theirs != own);
        QTRY_COMPARE(watcher.lastStamp(), theirs);
        QCOMPARE(changed.size(), 1);
    }

    void aStampThatCannotBeWrittenIsReported()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(QStringLiteral("file")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        // A directory that is a file: neither written nor watched, and no crash.
        Core::ChangeNotice notice(dir.filePath(QStringLiteral("file/changes.stamp")));
        QVERIFY(!notice.touch());
        QVERIFY(!notice.watch());
    }
};

QTEST_GUILESS_MAIN(TestChangeNotice)
#include "tst_changenotice.moc"

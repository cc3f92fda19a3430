// SPDX-License-Identifier: GPL-3.0-or-later
// Countdown text and expiry warnings driven by a manual clock: thresholds fire once, clock jumps and
// sleep/resume cannot make them fire twice or miss the end.

#include "core/countdown.h"
#include "support/manualclock.h"

#include <QTest>

using namespace Elevate::Core;
using Elevate::Test::ManualClock;
using namespace Qt::StringLiterals;

namespace {
Grant grant(const QString &id, const QDateTime &end)
{
    Grant g;
    g.id = id;
    g.groupId = u"group-"_s + id;
    g.access = AccessKind::Member;
    g.start = end.addSecs(-3600);
    g.end = end;
    return g;
}
QList<int> minutes(const QList<ExpiryWatcher::Event> &events)
{
    QList<int> out;
    for (const auto &e : events)
        out << e.minutesBefore;
    return out;
}
} // namespace

class TestCountdown : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void format_data()
    {
        QTest::addColumn<qint64>("secs");
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << qint64(0) << u"0:00"_s;
        QTest::newRow("negative") << qint64(-5) << u"0:00"_s;
        QTest::newRow("seconds") << qint64(7) << u"0:07"_s;
        QTest::newRow("minutes") << qint64(247) << u"4:07"_s;
        QTest::newRow("just under an hour") << qint64(3599) << u"59:59"_s;
        QTest::newRow("an hour") << qint64(3600) << u"1:00:00"_s;
        QTest::newRow("hours") << qint64(3600 + 5 * 60 + 9) << u"1:05:09"_s;
        QTest::newRow("a day") << qint64(24 * 3600) << u"24:00:00"_s;
    }
    void format()
    {
        QFETCH(qint64, secs);
        QFETCH(QString, text);
        QCOMPARE(formatCountdown(secs), text);
    }

    void thresholdsFireOnceEach()
    {
        ManualClock clock;
        ExpiryWatcher w({15, 5, 1});
        const QList<Grant> grants = {grant(u"a"_s, clock.now().addSecs(20 * 60))};
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        QCOMPARE(w.secondsToNextEvent(clock.now()), 5 * 60); // the 15-minute mark
        clock.advance(5 * 60);
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {15});
        QVERIFY(w.update(grants, clock.now()).isEmpty()); // not again
        clock.advance(30);
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        clock.advance(10 * 60 - 30); // 5 minutes left
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {5});
        clock.advance(4 * 60); // 1 minute left
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {1});
        clock.advance(60); // the end
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {0});
        clock.advance(60);
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        QCOMPARE(w.secondsToNextEvent(clock.now()), -1);
    }

    void jumpForwardGivesOnlyTheMostUrgent()
    {
        ManualClock clock;
        ExpiryWatcher w({15, 5, 1});
        const QList<Grant> grants = {grant(u"a"_s, clock.now().addSecs(20 * 60))};
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        clock.advance(17 * 60); // sleep: resume with 3 minutes left
        const auto events = w.update(grants, clock.now());
        QCOMPARE(minutes(events), QList<int> {5});
        QCOMPARE(events.first().secondsLeft, 3 * 60);
        QCOMPARE(events.first().groupId, u"group-a"_s);
    }

    void sleepPastTheEndGivesOnlyTheEnd()
    {
        ManualClock clock;
        ExpiryWatcher w;
        const QList<Grant> grants = {grant(u"a"_s, clock.now().addSecs(20 * 60))};
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        clock.advance(3600);
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {0});
    }

    void jumpBackDoesNotRepeat()
    {
        ManualClock clock;
        ExpiryWatcher w({15, 5, 1});
        const QList<Grant> grants = {grant(u"a"_s, clock.now().addSecs(10 * 60))};
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {15});
        clock.advance(-30 * 60); // the clock is set back: 40 minutes "left"
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        clock.advance(30 * 60); // and forward again
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        clock.advance(5 * 60);
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {5});
    }

    void goneFromTheListEndsOnce()
    {
        ManualClock clock;
        ExpiryWatcher w;
        QList<Grant> grants
            = {grant(u"a"_s, clock.now().addSecs(3600)), grant(u"b"_s, clock.now().addSecs(7200))};
        QVERIFY(w.update(grants, clock.now()).isEmpty());
        grants.removeFirst(); // deactivated elsewhere
        const auto events = w.update(grants, clock.now());
        QCOMPARE(events.size(), 1);
        QCOMPARE(events.first().grantId, u"a"_s);
        QCOMPARE(events.first().minutesBefore, 0);
        QVERIFY(w.update(grants, clock.now()).isEmpty());
    }

    void permanentAssignmentsNeverWarn()
    {
        ManualClock clock;
        ExpiryWatcher w;
        Grant g = grant(u"p"_s, {});
        g.end = {};
        QVERIFY(w.update({g}, clock.now()).isEmpty());
        QCOMPARE(w.secondsToNextEvent(clock.now()), -1);
    }

    void configurableThresholds()
    {
        ManualClock clock;
        ExpiryWatcher w({30, 30, -1, 10}); // duplicates and nonsense ignored
        QCOMPARE(w.thresholds(), (QList<int> {30, 10}));
        const QList<Grant> grants = {grant(u"a"_s, clock.now().addSecs(25 * 60))};
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {30});
        clock.advance(15 * 60);
        QCOMPARE(minutes(w.update(grants, clock.now())), QList<int> {10});
    }
};

QTEST_GUILESS_MAIN(TestCountdown)
#include "tst_countdown.moc"

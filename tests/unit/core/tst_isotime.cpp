// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/isotime.h"

#include <QTest>

#include <limits>

using namespace Elevate::Core;
using namespace Qt::StringLiterals;

class TestIsoTime : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fractionalDigits_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("ms");
        QTest::newRow("0 digits") << u"2024-04-10T00:00:00Z"_s << 0;
        QTest::newRow("1 digit") << u"2024-04-10T00:00:00.8Z"_s << 800;
        QTest::newRow("2 digits") << u"2024-04-10T00:00:00.28Z"_s << 280;
        QTest::newRow("3 digits") << u"2024-04-10T00:00:00.287Z"_s << 287;
        QTest::newRow("5 digits") << u"2024-04-10T00:00:00.48666Z"_s << 486;
        QTest::newRow("7 digits") << u"2024-04-10T00:00:00.3404527Z"_s << 340;
        QTest::newRow("no zone (innerError.date)") << u"2024-04-10T00:00:00"_s << 0;
    }
    void fractionalDigits()
    {
        QFETCH(QString, text);
        QFETCH(int, ms);
        const QDateTime t = parseGraphDateTime(text);
        QVERIFY(t.isValid());
        QCOMPARE(t.timeSpec(), Qt::UTC);
        QCOMPARE(t, QDateTime(QDate(2024, 4, 10), QTime(0, 0, 0, ms), Qt::UTC));
    }
    void offsets()
    {
        QCOMPARE(parseGraphDateTime(u"2024-04-10T02:00:00+02:00"_s),
                 QDateTime(QDate(2024, 4, 10), QTime(0, 0), Qt::UTC));
        QCOMPARE(parseGraphDateTime(u"2024-04-09T23:30:00-0030"_s),
                 QDateTime(QDate(2024, 4, 10), QTime(0, 0), Qt::UTC));
    }
    void invalid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << QString();
        QTest::newRow("sentinel") << u"0001-01-01T00:00:00Z"_s;
        QTest::newRow("sentinel 08") << u"0001-01-01T08:00:00Z"_s;
        QTest::newRow("garbage") << u"yesterday"_s;
        QTest::newRow("bad month") << u"2024-13-10T00:00:00Z"_s;
        QTest::newRow("trailing") << u"2024-04-10T00:00:00Zx"_s;
    }
    void invalid()
    {
        QFETCH(QString, text);
        QVERIFY(!parseGraphDateTime(text).isValid());
    }
    void format()
    {
        QCOMPARE(formatGraphDateTime(QDateTime::fromSecsSinceEpoch(0, Qt::UTC)), u"1970-01-01T00:00:00Z"_s);
    }
    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("PT2H") << u"PT2H"_s << qint64(7'200'000);
        QTest::newRow("PT30M") << u"PT30M"_s << qint64(1'800'000);
        QTest::newRow("P1DT30M") << u"P1DT30M"_s << qint64(88'200'000);
        QTest::newRow("PT5.5S") << u"PT5.5S"_s << qint64(5'500);
        QTest::newRow("P365D") << u"P365D"_s << qint64(31'536'000'000);
        QTest::newRow("TimeSpan.MaxValue") << u"P10675199DT2H48M5.4775807S"_s << qint64(922'337'203'685'477);
        QTest::newRow("largest") << u"PT9223372036854775.807S"_s << std::numeric_limits<qint64>::max();
    }
    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        QCOMPARE(parseIsoDurationMs(text), std::optional<qint64>(ms));
    }
    void badDurations()
    {
        for (const auto &s : {u"P"_s, u"PT"_s, u"2H"_s, u"P1Y"_s, u"PT-1H"_s, u""_s, u"P1DT"_s})
            QVERIFY2(!parseIsoDurationMs(s).has_value(), qPrintable(s));
    }
    // Found by fuzz_odata (issue 12): durations beyond a qint64 of milliseconds overflowed (undefined),
    // and a group with more digits than 64 bits hold counted as 0.
    void overlongDurations()
    {
        for (const auto &s :
             {u"P9999999999999999W"_s, u"PT9223372036854775807S"_s, u"PT9223372036854775.808S"_s,
              u"P99999999999999999999D"_s, u"PT99999999999999999999M"_s, u"P1DT2562047788015H"_s})
            QVERIFY2(!parseIsoDurationMs(s).has_value(), qPrintable(s));
    }
};

QTEST_GUILESS_MAIN(TestIsoTime)
#include "tst_isotime.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The bridge's event lines in a real file: one compact JSON object per event, time (the injected
// clock's, ISO 8601 UTC with milliseconds), level and event first, on disk as soon as the call
// returns, and a value with a line break still one line.

#include "app/bridge/eventlog.h"
#include "support/manualclock.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;

namespace {

/// What is in the file now (through a second descriptor: only flushed bytes are there).
QList<QByteArray> linesOf(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {"<unreadable>"};
    const QByteArray all = f.readAll();
    if (all.isEmpty())
        return {};
    if (!all.endsWith('\n'))
        return {"<no final line feed>"};
    return all.left(all.size() - 1).split('\n');
}

QJsonObject parse(const QByteArray &line)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return {{u"unparsed"_s, QString::fromUtf8(line)}};
    return doc.object();
}

struct File
{
    explicit File(const QString &path)
        : f(std::fopen(QFile::encodeName(path).constData(), "w"))
    { }
    ~File()
    {
        if (f)
            std::fclose(f);
    }
    std::FILE *f;
};

} // namespace

class TestEventLog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void oneParsableLinePerEventFlushedAtOnce()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"events.jsonl"_s);
        File out(path);
        QVERIFY(out.f);
        Elevate::Test::ManualClock clock(QDateTime::fromMSecsSinceEpoch(1'796'378'400'123, Qt::UTC));
        EventLog log(&clock, out.f);

        log.info(u"start"_s);
        // Read while the FILE* is still open: the line is there without a close.
        QList<QByteArray> lines = linesOf(path);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.at(0), R"({"time":"2026-12-04T10:00:00.123Z","level":"info","event":"start"})");

        clock.advance(61);
        log.warning(u"throttled"_s, {{u"service"_s, u"graph"_s}, {u"retryAfter"_s, 30}});
        clock.set(QDateTime::fromMSecsSinceEpoch(1'796'378'400'123 + 61'000 + 5, Qt::UTC));
        log.error(u"push"_s,
                  {{u"reason"_s, u"first line\nsecond line\r\n\t\"quoted\" \\ end"_s},
                   {u"principals"_s, QJsonArray {u"p1"_s, u"p2"_s}},
                   {u"dryRun"_s, false},
                   {u"detail"_s, QJsonObject {{u"status"_s, 429}}}});
        lines = linesOf(path);
        QCOMPARE(lines.size(), 3);

        const QJsonObject second = parse(lines.at(1));
        QCOMPARE(second.value(u"time"_s).toString(), u"2026-12-04T10:01:01.123Z"_s);
        QCOMPARE(second.value(u"level"_s).toString(), u"warning"_s);
        QCOMPARE(second.value(u"event"_s).toString(), u"throttled"_s);
        QCOMPARE(second.value(u"service"_s).toString(), u"graph"_s);
        QCOMPARE(second.value(u"retryAfter"_s).toInt(), 30);
        QCOMPARE(second.size(), 5);
        QVERIFY(lines.at(1).startsWith(
            R"({"time":"2026-12-04T10:01:01.123Z","level":"warning","event":"throttled",)"));

        const QJsonObject third = parse(lines.at(2));
        QCOMPARE(third.value(u"time"_s).toString(), u"2026-12-04T10:01:01.128Z"_s);
        QCOMPARE(third.value(u"level"_s).toString(), u"error"_s);
        QCOMPARE(third.value(u"event"_s).toString(), u"push"_s);
        // The line breaks are inside the one line, escaped, and read back as they were.
        QCOMPARE(third.value(u"reason"_s).toString(), u"first line\nsecond line\r\n\t\"quoted\" \\ end"_s);
        QVERIFY(!lines.at(2).contains('\r'));
        QVERIFY(lines.at(2).contains(R"(first line\nsecond line\r\n\t\"quoted\" \\ end)"));
        QCOMPARE(third.value(u"principals"_s).toArray(), QJsonArray({u"p1"_s, u"p2"_s}));
        QCOMPARE(third.value(u"dryRun"_s), QJsonValue(false));
        QCOMPARE(third.value(u"detail"_s).toObject().value(u"status"_s).toInt(), 429);
        // Compact: no space outside strings.
        QVERIFY(!lines.at(2).contains("\": "));
        QVERIFY(!lines.at(2).contains(", \""));
    }

    void aFieldNamedLikeAHeaderKeyDoesNotDuplicateIt()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"events.jsonl"_s);
        File out(path);
        QVERIFY(out.f);
        Elevate::Test::ManualClock clock(QDateTime::fromMSecsSinceEpoch(1'796'378'400'000, Qt::UTC));
        EventLog log(&clock, out.f);
        log.info(u"cycle"_s,
                 {{u"time"_s, u"forged"_s}, {u"level"_s, u"error"_s}, {u"event"_s, u"x"_s}, {u"n"_s, 1}});
        const QList<QByteArray> lines = linesOf(path);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.at(0).count("\"time\":"), 1);
        QCOMPARE(lines.at(0).count("\"level\":"), 1);
        QCOMPARE(lines.at(0).count("\"event\":"), 1);
        const QJsonObject o = parse(lines.at(0));
        QCOMPARE(o.value(u"time"_s).toString(), u"2026-12-04T10:00:00.000Z"_s);
        QCOMPARE(o.value(u"level"_s).toString(), u"info"_s);
        QCOMPARE(o.value(u"event"_s).toString(), u"cycle"_s);
        QCOMPARE(o.value(u"field.time"_s).toString(), u"forged"_s);
        QCOMPARE(o.value(u"field.level"_s).toString(), u"error"_s);
        QCOMPARE(o.value(u"field.event"_s).toString(), u"x"_s);
        QCOMPARE(o.value(u"n"_s).toInt(), 1);
    }

    void manyEventsManyLines()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"events.jsonl"_s);
        File out(path);
        QVERIFY(out.f);
        Elevate::Test::ManualClock clock;
        EventLog log(&clock, out.f);
        const QString odd
            = u"ü \u2028 \u0001 {\"}"_s; // non-ASCII, a JSON line separator, a control character
        for (int i = 0; i < 50; ++i) {
            log.info(u"tick"_s, {{u"i"_s, i}, {u"text"_s, odd}});
            clock.advance(1);
        }
        const QList<QByteArray> lines = linesOf(path);
        QCOMPARE(lines.size(), 50);
        for (int i = 0; i < 50; ++i) {
            const QJsonObject o = parse(lines.at(i));
            QCOMPARE(o.value(u"i"_s).toInt(), i);
            QCOMPARE(o.value(u"text"_s).toString(), odd);
            QCOMPARE(QDateTime::fromString(o.value(u"time"_s).toString(), Qt::ISODateWithMs),
                     Elevate::Test::ManualClock().now().addSecs(i));
        }
    }
};

QTEST_GUILESS_MAIN(TestEventLog)
#include "tst_eventlog.moc"

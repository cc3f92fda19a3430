// SPDX-License-Identifier: GPL-3.0-or-later
// The bridge's counters in the Prometheus text exposition format 0.0.4: every known label value
// from the start, a known sequence line by line, HELP and TYPE per family, cumulative buckets,
// escaped label values, and inputs a counter must not take (negative, NaN).

#include "app/bridge/metrics.h"

#include <QTest>

#include <cmath>

using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;

namespace {

QList<QByteArray> samples(const QByteArray &text)
{
    QList<QByteArray> out;
    for (const QByteArray &line : text.split('\n'))
        if (!line.isEmpty() && !line.startsWith('#'))
            out << line;
    return out;
}

void compareLines(const QList<QByteArray> &actual, const QList<QByteArray> &expected)
{
    for (qsizetype i = 0; i < std::min(actual.size(), expected.size()); ++i)
        QCOMPARE(actual.at(i), expected.at(i));
    QCOMPARE(actual.size(), expected.size());
}

/// The value of the one sample line that starts with `series` followed by a space.
double valueOf(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : samples(text))
        if (line.startsWith(QByteArray(series + ' ')))
            return line.mid(series.size() + 1).toDouble();
    return std::nan("");
}

} // namespace

class TestBridgeMetrics : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void freshShowsEveryKnownLabelWithZero()
    {
        const Metrics m;
        const QList<QByteArray> expected = {
            "elevate_bridge_polls_total{result=\"ok\"} 0",
            "elevate_bridge_polls_total{result=\"error\"} 0",
            "elevate_bridge_graph_requests_total 0",
            "elevate_bridge_throttled_total{service=\"graph\"} 0",
            "elevate_bridge_throttled_total{service=\"provisioning\"} 0",
            "elevate_bridge_pushes_total{result=\"Success\"} 0",
            "elevate_bridge_pushes_total{result=\"Skipped\"} 0",
            "elevate_bridge_pushes_total{result=\"RedundantExport\"} 0",
            "elevate_bridge_pushes_total{result=\"Failure\"} 0",
            "elevate_bridge_pushes_total{result=\"Throttled\"} 0",
            "elevate_bridge_pushes_total{result=\"Error\"} 0",
            "elevate_bridge_pushes_total{result=\"DryRun\"} 0",
            "elevate_bridge_errors_total{kind=\"token\"} 0",
            "elevate_bridge_errors_total{kind=\"permission\"} 0",
            "elevate_bridge_errors_total{kind=\"graph\"} 0",
            "elevate_bridge_errors_total{kind=\"group\"} 0",
            "elevate_bridge_errors_total{kind=\"job\"} 0",
            "elevate_bridge_errors_total{kind=\"state\"} 0",
            "elevate_bridge_queue_length 0",
            "elevate_bridge_watched_groups 0",
            "elevate_bridge_job_active 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"5\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"10\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"15\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"30\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"60\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"120\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"300\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"900\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"2400\"} 0",
            "elevate_bridge_push_latency_seconds_bucket{le=\"+Inf\"} 0",
            "elevate_bridge_push_latency_seconds_sum 0",
            "elevate_bridge_push_latency_seconds_count 0",
            "elevate_bridge_last_success_timestamp_seconds 0",
            "elevate_bridge_last_push_success_timestamp_seconds 0",
        };
        compareLines(samples(m.prometheusText()), expected);
    }

    void knownSequenceLineByLine()
    {
        Metrics m;
        m.countPoll(true);
        m.countPoll(true);
        m.countPoll(false);
        m.countPoll(true);
        m.countGraphRequests();
        m.countGraphRequests(4);
        m.countThrottled(u"graph"_s);
        m.countThrottled(u"graph"_s);
        m.countThrottled(u"provisioning"_s);
        m.countPush(u"Success"_s);
        m.countPush(u"Success"_s);
        m.countPush(u"Failure"_s);
        m.countPush(u"DryRun"_s);
        m.countPush(u"Aaa-not-documented"_s); // an unknown value is shown after the known ones
        m.countError(u"token"_s);
        m.countError(u"state"_s);
        m.countError(u"state"_s);
        m.setQueueLength(4);
        m.setWatchedGroups(3);
        m.setJobActive(true);
        for (const double s : {3.0, 12.5, 60.0, 3000.0, -2.0})
            m.observePushLatency(s);
        m.setLastSuccess(QDateTime::fromMSecsSinceEpoch(1'764'000'000'123, Qt::UTC));
        m.setLastPushSuccess(QDateTime::fromSecsSinceEpoch(1'764'000'060, Qt::UTC));

        const QList<QByteArray> expected = {
            "elevate_bridge_polls_total{result=\"ok\"} 3",
            "elevate_bridge_polls_total{result=\"error\"} 1",
            "elevate_bridge_graph_requests_total 5",
            "elevate_bridge_throttled_total{service=\"graph\"} 2",
            "elevate_bridge_throttled_total{service=\"provisioning\"} 1",
            "elevate_bridge_pushes_total{result=\"Success\"} 2",
            "elevate_bridge_pushes_total{result=\"Skipped\"} 0",
            "elevate_bridge_pushes_total{result=\"RedundantExport\"} 0",
            "elevate_bridge_pushes_total{result=\"Failure\"} 1",
            "elevate_bridge_pushes_total{result=\"Throttled\"} 0",
            "elevate_bridge_pushes_total{result=\"Error\"} 0",
            "elevate_bridge_pushes_total{result=\"DryRun\"} 1",
            "elevate_bridge_pushes_total{result=\"Aaa-not-documented\"} 1",
            "elevate_bridge_errors_total{kind=\"token\"} 1",
            "elevate_bridge_errors_total{kind=\"permission\"} 0",
            "elevate_bridge_errors_total{kind=\"graph\"} 0",
            "elevate_bridge_errors_total{kind=\"group\"} 0",
            "elevate_bridge_errors_total{kind=\"job\"} 0",
            "elevate_bridge_errors_total{kind=\"state\"} 2",
            "elevate_bridge_queue_length 4",
            "elevate_bridge_watched_groups 3",
            "elevate_bridge_job_active 1",
            // 3 and the negative one (taken as 0) are <= 5; 12.5 <= 15; 60 <= 60; 3000 only +Inf.
            "elevate_bridge_push_latency_seconds_bucket{le=\"5\"} 2",
            "elevate_bridge_push_latency_seconds_bucket{le=\"10\"} 2",
            "elevate_bridge_push_latency_seconds_bucket{le=\"15\"} 3",
            "elevate_bridge_push_latency_seconds_bucket{le=\"30\"} 3",
            "elevate_bridge_push_latency_seconds_bucket{le=\"60\"} 4",
            "elevate_bridge_push_latency_seconds_bucket{le=\"120\"} 4",
            "elevate_bridge_push_latency_seconds_bucket{le=\"300\"} 4",
            "elevate_bridge_push_latency_seconds_bucket{le=\"900\"} 4",
            "elevate_bridge_push_latency_seconds_bucket{le=\"2400\"} 4",
            "elevate_bridge_push_latency_seconds_bucket{le=\"+Inf\"} 5",
            "elevate_bridge_push_latency_seconds_sum 3075.5",
            "elevate_bridge_push_latency_seconds_count 5",
            "elevate_bridge_last_success_timestamp_seconds 1764000000.123",
            "elevate_bridge_last_push_success_timestamp_seconds 1764000060",
        };
        compareLines(samples(m.prometheusText()), expected);

        QCOMPARE(m.polls(true), 3);
        QCOMPARE(m.polls(false), 1);
        QCOMPARE(m.graphRequests(), 5);
        QCOMPARE(m.throttled(u"graph"_s), 2);
        QCOMPARE(m.throttled(u"provisioning"_s), 1);
        QCOMPARE(m.pushes(u"Success"_s), 2);
        QCOMPARE(m.pushes(u"Skipped"_s), 0);
        QCOMPARE(m.errors(u"state"_s), 2);
        QCOMPARE(m.errors(u"job"_s), 0);
        QCOMPARE(m.queueLength(), 4);
        QCOMPARE(m.lastSuccess(), QDateTime::fromMSecsSinceEpoch(1'764'000'000'123, Qt::UTC));
        QCOMPARE(m.latencies(), QList<double>({3.0, 12.5, 60.0, 3000.0, 0.0}));
    }

    void helpAndTypeBeforeEachFamily()
    {
        Metrics m;
        m.observePushLatency(1);
        const QByteArray text = m.prometheusText();
        QVERIFY(text.endsWith('\n'));
        const QList<QByteArray> lines = text.left(text.size() - 1).split('\n');
        const QList<QPair<QByteArray, QByteArray>> families = {
            {"elevate_bridge_polls_total", "counter"},
            {"elevate_bridge_graph_requests_total", "counter"},
            {"elevate_bridge_throttled_total", "counter"},
            {"elevate_bridge_pushes_total", "counter"},
            {"elevate_bridge_errors_total", "counter"},
            {"elevate_bridge_queue_length", "gauge"},
            {"elevate_bridge_watched_groups", "gauge"},
            {"elevate_bridge_job_active", "gauge"},
            {"elevate_bridge_push_latency_seconds", "histogram"},
            {"elevate_bridge_last_success_timestamp_seconds", "gauge"},
            {"elevate_bridge_last_push_success_timestamp_seconds", "gauge"},
        };
        qsizetype i = 0;
        for (const auto &[name, type] : families) {
            QVERIFY2(i + 2 < lines.size(), name.constData());
            QVERIFY2(lines.at(i).startsWith(QByteArray("# HELP " + name + ' ')), lines.at(i).constData());
            QVERIFY(lines.at(i).size() > name.size() + 8); // some words of help
            QCOMPARE(lines.at(i + 1), QByteArray("# TYPE " + name + ' ' + type));
            if (type == "counter")
                QVERIFY(name.endsWith("_total"));
            i += 2;
            int n = 0;
            while (i < lines.size() && !lines.at(i).startsWith('#')) {
                const QByteArray &line = lines.at(i);
                QVERIFY2(!line.isEmpty(), "no blank lines");
                const QByteArray series = line.left(line.indexOf(' '));
                const QByteArray metric = series.contains('{') ? series.left(series.indexOf('{')) : series;
                if (type == "histogram")
                    QVERIFY2(metric == name + "_bucket" || metric == name + "_sum"
                                 || metric == name + "_count",
                             line.constData());
                else
                    QCOMPARE(metric, name);
                ++i;
                ++n;
            }
            QVERIFY2(n > 0, name.constData());
        }
        QCOMPARE(i, lines.size());
    }

    void bucketsAreCumulative()
    {
        Metrics m;
        QList<double> observed;
        // Values on, below and above each boundary, in no order.
        for (int k = 0; k < 200; ++k) {
            const double v = double((k * 7919) % 2600) + (k % 3) * 0.5;
            observed << v;
            m.observePushLatency(v);
        }
        const QByteArray text = m.prometheusText();
        const char *name = "elevate_bridge_push_latency_seconds";
        double previous = 0;
        for (const double le : {5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 2400.0}) {
            const QByteArray series = QByteArray(name) + "_bucket{le=\"" + QByteArray::number(le) + "\"}";
            const double count = valueOf(text, series);
            const auto expected
                = std::count_if(observed.cbegin(), observed.cend(), [le](double v) { return v <= le; });
            QCOMPARE(count, double(expected));
            QVERIFY(count >= previous);
            previous = count;
        }
        const double inf = valueOf(text, QByteArray(name) + "_bucket{le=\"+Inf\"}");
        QCOMPARE(inf, double(observed.size()));
        QVERIFY(inf > previous); // some are above 2400
        QCOMPARE(valueOf(text, QByteArray(name) + "_count"), inf);
        double sum = 0;
        for (const double v : observed)
            sum += v;
        QCOMPARE(valueOf(text, QByteArray(name) + "_sum"), sum);
    }

    void labelValuesAreEscaped()
    {
        Metrics m;
        m.countPush(u"back\\slash \"quoted\"\nnew line"_s);
        m.countError(u"ünïcode"_s);
        const QList<QByteArray> lines = samples(m.prometheusText());
        QVERIFY(lines.contains(
            QByteArray("elevate_bridge_pushes_total{result=\"back\\\\slash \\\"quoted\\\"\\nnew line\"} 1")));
        QVERIFY(lines.contains(QStringLiteral("elevate_bridge_errors_total{kind=\"ünïcode\"} 1").toUtf8()));
        // The raw new line did not split a sample in two.
        for (const QByteArray &line : lines)
            QVERIFY2(line.startsWith("elevate_bridge_"), line.constData());
    }

    void refusesWhatACounterCannotTake()
    {
        Metrics m;
        m.countGraphRequests(3);
        m.countGraphRequests(-5); // counters never go down
        m.countGraphRequests(0);
        QCOMPARE(m.graphRequests(), 3);
        m.observePushLatency(std::nan(""));
        QVERIFY(m.latencies().isEmpty());
        QCOMPARE(valueOf(m.prometheusText(), "elevate_bridge_push_latency_seconds_sum"), 0.0);
        m.setLastSuccess(QDateTime::fromSecsSinceEpoch(1'700'000'000, Qt::UTC));
        m.setLastSuccess(QDateTime()); // back to never
        QCOMPARE(valueOf(m.prometheusText(), "elevate_bridge_last_success_timestamp_seconds"), 0.0);
        m.setJobActive(true);
        m.setJobActive(false);
        QCOMPARE(valueOf(m.prometheusText(), "elevate_bridge_job_active"), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestBridgeMetrics)
#include "tst_bridgemetrics.moc"

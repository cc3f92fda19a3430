// SPDX-License-Identifier: GPL-3.0-or-later
#include "metrics.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace Elevate::Bridge {

namespace {

// The label values a dashboard can count on from the first scrape (shown with 0 until counted).
const QStringList &pollResults()
{
    static const QStringList v = {QStringLiteral("ok"), QStringLiteral("error")};
    return v;
}
const QStringList &pushResults()
{
    static const QStringList v
        = {QStringLiteral("Success"), QStringLiteral("Skipped"),   QStringLiteral("RedundantExport"),
           QStringLiteral("Failure"), QStringLiteral("Throttled"), QStringLiteral("Error"),
           QStringLiteral("DryRun")};
    return v;
}
const QStringList &errorKinds()
{
    static const QStringList v
        = {QStringLiteral("token"), QStringLiteral("permission"), QStringLiteral("graph"),
           QStringLiteral("group"), QStringLiteral("job"),        QStringLiteral("state")};
    return v;
}
const QStringList &throttledServices()
{
    static const QStringList v = {QStringLiteral("graph"), QStringLiteral("provisioning")};
    return v;
}

constexpr double kLatencyBuckets[] = {5, 10, 15, 30, 60, 120, 300, 900, 2400};

/// A sample value as the exposition format reads it (Go's ParseFloat): integers as integers,
/// other numbers in the shortest fixed notation that reads back as the same double.
QByteArray number(double v)
{
    if (std::isnan(v))
        return QByteArrayLiteral("NaN");
    if (std::isinf(v))
        return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (v == std::trunc(v) && std::fabs(v) < 1e15)
        return QByteArray::number(static_cast<qint64>(v));
    return QByteArray::number(v, 'f', QLocale::FloatingPointShortest);
}

/// Label values escape backslash, double quote and line feed; HELP text backslash and line feed.
QByteArray escaped(const QString &s, bool quote)
{
    QByteArray out;
    for (const char c : s.toUtf8()) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

void family(QByteArray &out, const char *name, const char *type, const char *help)
{
    out += "# HELP ";
    out += name;
    out += ' ';
    out += escaped(QString::fromUtf8(help), false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void sample(QByteArray &out, const char *name, double value)
{
    out += name;
    out += ' ';
    out += number(value);
    out += '\n';
}

/// One line per known label value (in the documented order, 0 when never counted), then any other
/// value a caller counted, sorted so the text is the same for the same counts.
void labelled(QByteArray &out, const char *name, const char *label, const QStringList &known,
              const QHash<QString, qint64> &counts)
{
    QStringList values = known;
    QStringList extra;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        if (!known.contains(it.key()))
            extra << it.key();
    std::sort(extra.begin(), extra.end());
    values += extra;
    for (const QString &v : std::as_const(values)) {
        out += name;
        out += '{';
        out += label;
        out += "=\"";
        out += escaped(v, true);
        out += "\"} ";
        out += QByteArray::number(counts.value(v, 0));
        out += '\n';
    }
}

double timestamp(const QDateTime &t)
{
    return t.isValid() ? static_cast<double>(t.toMSecsSinceEpoch()) / 1000.0 : 0.0;
}

} // namespace

void Metrics::countPoll(bool ok)
{
    ++m_polls[ok ? QStringLiteral("ok") : QStringLiteral("error")];
}

void Metrics::countGraphRequests(int n)
{
    if (n > 0) // a counter never goes down
        m_graphRequests += n;
}

void Metrics::countThrottled(const QString &service)
{
    ++m_throttled[service];
}

void Metrics::countPush(const QString &result)
{
    ++m_pushes[result];
}

void Metrics::countError(const QString &kind)
{
    ++m_errors[kind];
}

void Metrics::setQueueLength(int n)
{
    m_queue = n;
}

void Metrics::setWatchedGroups(int n)
{
    m_groups = n;
}

void Metrics::setJobActive(bool active)
{
    m_jobActive = active;
}

void Metrics::observePushLatency(double seconds)
{
    if (std::isnan(seconds)) // no bucket holds it, and it would make the sum NaN for good
        return;
    // A negative latency is a clock of PIM's ahead of ours: the push came as fast as can be.
    m_latencies << std::max(seconds, 0.0);
}

void Metrics::setLastSuccess(const QDateTime &at)
{
    m_lastSuccess = at;
}

void Metrics::setLastPushSuccess(const QDateTime &at)
{
    m_lastPushSuccess = at;
}

qint64 Metrics::polls(bool ok) const
{
    return m_polls.value(ok ? QStringLiteral("ok") : QStringLiteral("error"), 0);
}

qint64 Metrics::graphRequests() const
{
    return m_graphRequests;
}

qint64 Metrics::pushes(const QString &result) const
{
    return m_pushes.value(result, 0);
}

qint64 Metrics::errors(const QString &kind) const
{
    return m_errors.value(kind, 0);
}

qint64 Metrics::throttled(const QString &service) const
{
    return m_throttled.value(service, 0);
}

int Metrics::queueLength() const
{
    return m_queue;
}

QDateTime Metrics::lastSuccess() const
{
    return m_lastSuccess;
}

QList<double> Metrics::latencies() const
{
    return m_latencies;
}

QByteArray Metrics::prometheusText() const
{
    QByteArray out;
    family(out, "elevate_bridge_polls_total", "counter",
           "Polls of PIM's assignment schedule instances, by result.");
    labelled(out, "elevate_bridge_polls_total", "result", pollResults(), m_polls);

    family(out, "elevate_bridge_graph_requests_total", "counter",
           "HTTP requests to Microsoft Graph (a $batch counts once).");
    sample(out, "elevate_bridge_graph_requests_total", static_cast<double>(m_graphRequests));

    family(out, "elevate_bridge_throttled_total", "counter", "Answers 429 (throttled), by service.");
    labelled(out, "elevate_bridge_throttled_total", "service", throttledServices(), m_throttled);

    family(out, "elevate_bridge_pushes_total", "counter", "provisionOnDemand calls, by result.");
    labelled(out, "elevate_bridge_pushes_total", "result", pushResults(), m_pushes);

    family(out, "elevate_bridge_errors_total", "counter", "Errors, by kind.");
    labelled(out, "elevate_bridge_errors_total", "kind", errorKinds(), m_errors);

    family(out, "elevate_bridge_queue_length", "gauge", "Memberships waiting for a push.");
    sample(out, "elevate_bridge_queue_length", m_queue);

    family(out, "elevate_bridge_watched_groups", "gauge", "Groups watched in PIM.");
    sample(out, "elevate_bridge_watched_groups", m_groups);

    family(out, "elevate_bridge_job_active", "gauge", "1 when the provisioning job is Active, else 0.");
    sample(out, "elevate_bridge_job_active", m_jobActive ? 1 : 0);

    const char *latency = "elevate_bridge_push_latency_seconds";
    family(out, latency, "histogram", "Seconds from an activation's start to its successful push.");
    double sum = 0;
    for (const double v : m_latencies)
        sum += v;
    for (const double le : kLatencyBuckets) {
        const auto n
            = std::count_if(m_latencies.cbegin(), m_latencies.cend(), [le](double v) { return v <= le; });
        out += latency;
        out += "_bucket{le=\"";
        out += number(le);
        out += "\"} ";
        out += QByteArray::number(static_cast<qint64>(n));
        out += '\n';
    }
    out += latency;
    out += "_bucket{le=\"+Inf\"} ";
    out += QByteArray::number(m_latencies.size());
    out += '\n';
    out += latency;
    out += "_sum ";
    out += number(sum);
    out += '\n';
    out += latency;
    out += "_count ";
    out += QByteArray::number(m_latencies.size());
    out += '\n';

    family(out, "elevate_bridge_last_success_timestamp_seconds", "gauge",
           "Unix time of the last poll that completed (0: never).");
    sample(out, "elevate_bridge_last_success_timestamp_seconds", timestamp(m_lastSuccess));

    family(out, "elevate_bridge_last_push_success_timestamp_seconds", "gauge",
           "Unix time of the last successful push (0: never).");
    sample(out, "elevate_bridge_last_push_success_timestamp_seconds", timestamp(m_lastPushSuccess));
    return out;
}

} // namespace Elevate::Bridge

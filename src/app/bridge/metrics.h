// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>

namespace Elevate::Bridge {

/**
 * The bridge's counters, for GET /metrics (Prometheus text exposition format 0.0.4) and for tests.
 * Plain values, no timers: the cycle updates them as things happen.
 *
 *   elevate_bridge_polls_total{result="ok|error"}
 *   elevate_bridge_graph_requests_total                      (HTTP calls to Graph, $batch = 1)
 *   elevate_bridge_throttled_total{service="graph|provisioning"}
 *   elevate_bridge_pushes_total{result="Success|Skipped|RedundantExport|Failure|Throttled|Error|DryRun"}
 *   elevate_bridge_errors_total{kind="token|permission|graph|group|job|state"}
 *   elevate_bridge_queue_length
 *   elevate_bridge_watched_groups
 *   elevate_bridge_job_active                                 (1 Active, 0 otherwise)
 *   elevate_bridge_push_latency_seconds histogram (activation start to successful push),
 *       buckets 5, 10, 15, 30, 60, 120, 300, 900, 2400, +Inf
 *   elevate_bridge_last_success_timestamp_seconds           (last poll that completed)
 *   elevate_bridge_last_push_success_timestamp_seconds
 */
class Metrics
{
public:
    void countPoll(bool ok);
    void countGraphRequests(int n = 1);
    void countThrottled(const QString &service);
    void countPush(const QString &result);
    void countError(const QString &kind);
    void setQueueLength(int n);
    void setWatchedGroups(int n);
    void setJobActive(bool active);
    void observePushLatency(double seconds);
    void setLastSuccess(const QDateTime &at);
    void setLastPushSuccess(const QDateTime &at);

    qint64 polls(bool ok) const;
    qint64 graphRequests() const;
    qint64 pushes(const QString &result) const;
    qint64 errors(const QString &kind) const;
    qint64 throttled(const QString &service) const;
    int queueLength() const;
    QDateTime lastSuccess() const;
    QList<double> latencies() const; // every observation, for the benchmark

    QByteArray prometheusText() const;

private:
    QHash<QString, qint64> m_polls, m_pushes, m_errors, m_throttled;
    qint64 m_graphRequests = 0;
    int m_queue = 0, m_groups = 0;
    bool m_jobActive = false;
    QList<double> m_latencies;
    QDateTime m_lastSuccess, m_lastPushSuccess;
};

} // namespace Elevate::Bridge

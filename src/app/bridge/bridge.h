// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "bridgeconfig.h"
#include "core/clock.h"
#include "core/error.h"
#include "graph/graphclient.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>

namespace Elevate::Bridge {

class BridgeState;
class ClientCredentialsProvider;
class EventLog;
class Metrics;
struct Membership;

/**
 * The watch-and-push cycle of elevate-bridge (issue 13, item 1). Startup: a token, its application
 * permissions (a missing one is fatal, exit 5), the provisioning job (none: fatal, exit 6). Every
 * pollSeconds: the assignment schedule instances of the watched groups ($batch, 20 a call), compared
 * with BridgeState (one row write per change); new members and ended ones are queued per group and
 * pushed with provisionMembers (up to 5 a call, at most 5 calls in any 10 s, a 429 holds every push),
 * failures retried with backoff (1, 2, 4 … 30 minutes). Permanent ("assigned") members are treated
 * like activated ones: pushed once on first sight (harmless; the regular cycle provisions them too),
 * except on the first start with an empty state, where every instance that started more than
 * catchUpMinutes ago is recorded as baseline and never pushed. Times come from the injected clock.
 */
class Bridge : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        bool dryRun = false;
    };
    Bridge(BridgeConfig config, Graph::GraphClient *graph, ClientCredentialsProvider *tokens,
           BridgeState *state, Metrics *metrics, EventLog *events, const Core::Clock *clock, Options options,
           QObject *parent = nullptr);
    ~Bridge() override;

    /// Startup checks, then a cycle every pollSeconds (never faster); keeps running through errors.
    void start();
    /// Startup checks and one full cycle (the push queue drained, rate-limit waits waited; retries
    /// whose backoff has not passed are left for the next run), then cycleFinished.
    void runOnce();
    /// No new call; the call in flight ends; then stopped().
    void stop();
    QJsonObject health() const;

    /// At most this many provisionOnDemand calls in any kPushWindowSecs (graph-pim.md §12.3).
    static constexpr int kPushesPerWindow = 5;
    static constexpr int kPushWindowSecs = 10;
    static constexpr int kMaxBackoffMinutes = 30;
    /// The permissions, as the token's `roles` claim names them.
    static QStringList missingPermissions(const QStringList &granted, bool needsGroupList);

Q_SIGNALS:
    void cycleFinished(bool ok);
    /// Permission missing (5), sign-in refused (4), job not found (6).
    void fatal(const Core::Error &error, int exitCode);
    void stopped();

private:
    struct Push
    {
        QString groupId;
        QList<Membership> rows;
        QStringList kinds; // "start" / "end", one per row
    };
    void startup(std::function<void()> then);
    void checkJob(std::function<void()> then);
    void cycle();
    void refreshGroups(std::function<void()> then);
    void poll(std::function<void(bool)> then);
    void pushAll(std::function<void()> then);
    void pushNext(std::shared_ptr<QList<Push>> queue, std::function<void()> then);
    void pushed(const Push &push, const Core::Result<Graph::ProvisionOutcome> &outcome);
    void finishCycle(bool ok);
    void waitUntil(const QDateTime &at, qint64 ms, std::function<void()> then);
    bool needsGroupList() const;
    QStringList watchedGroups() const;
    int pendingCount() const;
    void fail(const Core::Error &error, int exitCode);
    /// A state write that failed: an error event and errors{kind=state}; false then.
    bool stateWrite(const Core::Result<void> &written);

    BridgeConfig m_config;
    Graph::GraphClient *m_graph;
    ClientCredentialsProvider *m_tokens;
    BridgeState *m_state;
    Metrics *m_metrics;
    EventLog *m_events;
    const Core::Clock *m_clock;
    Options m_options;

    QTimer m_timer;
    bool m_once = false;
    bool m_ready = false; // startup checks passed
    bool m_busy = false; // a cycle is running
    bool m_stopping = false;
    bool m_fatal = false;
    bool m_lastPollOk = true;
    bool m_lastPushOk = true;
    bool m_pushing = false;
    bool m_firstCycle = true; // this process's first poll
    bool m_emptyAtStart = false; // the state had no membership when the bridge started

    QStringList m_groups; // from the configuration and the group list
    QDateTime m_groupsRefreshed;
    QSet<QString> m_goneGroups; // 404: their ends are pushed once, then they are dropped
    QSet<QString> m_droppedGroups;

    Graph::SyncJob m_job;
    bool m_jobKnown = false;
    QDateTime m_jobChecked;

    QList<QPair<QDateTime, QDeadlineTimer>> m_pushTimes; // sliding window (both clocks)
    QDateTime m_holdUntil; // a 429's Retry-After holds every push
    QDateTime m_lastPoll, m_lastPush, m_lastPrune;
    qint64 m_callsAtPollStart = 0;
};

} // namespace Elevate::Bridge

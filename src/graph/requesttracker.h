// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/history.h"
#include "core/model.h"
#include "core/pim.h"
#include "core/targetmapper.h"
#include "graphclient.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

namespace Elevate::Graph {

class SyncRun;

/**
 * The request lifecycle of the signed-in user, shared by the tray and the command line: policies
 * (cached), requests (validated before sending, sent once, followed to the end), live grants,
 * cancel, deactivate, renew, and the history record of all of it. Owns no widgets and no timers
 * unless auto-sync is on; every time comes from the injected clock.
 *
 *   request() ─▶ policy ─▶ validate ─▶ activate (no duplicates) ─▶ history ─▶ follow
 *   sync()    ─▶ live grants + my pending requests + open history entries ─▶ outcomes in history
 *               (a grant gone from PIM: "Expired" at its end on Graph's clock, else "Ended");
 *               one run is a SyncRun
 *   auto-sync: a followed request 1 s, 2 s, 4 s, 8 s, 16 s, 30 s, then every 60 s; waiting for
 *              approval every 60 s; a grant at its end and every 5 min; nothing to watch every 10 min.
 *
 * Graph shows a write only after a replication lag. Inside the replication window (GraphClient::
 * replicationWindowSecs) a request that answers 404 or is missing from a list, a provisioned
 * activation whose grant is not listed, and a grant this service ended that is still listed are
 * "not visible yet": kept as last known and looked at again on the short schedule, never taken as
 * gone. Past the window the old rules apply (a 404 means purged only after 10 minutes).
 *
 * Every callback is answered exactly once and never inside the call that was given it (queued);
 * with Kind::Cancelled when the account changes first; not at all once `context` is destroyed.
 *
 * `changed` fires after every sync and local change; `requestSettled` when a followed request
 * reaches a terminal phase; `grantEnded` when a grant is gone (expired, deactivated, removed).
 */
class RequestTracker : public QObject
{
    Q_OBJECT
public:
    RequestTracker(GraphClient *graph, Core::HistoryStore *history, Core::TargetMapper mapper,
                   const Core::Clock *clock, QObject *parent = nullptr);

    template<typename T> using Callback = std::function<void(Core::Result<T>)>;

    /// The signed-in user's object id (the principal of every request); empty when signed out.
    void setPrincipalId(const QString &id);
    QString principalId() const { return m_principalId; }

    void policy(const QString &groupId, Core::AccessKind access, QObject *context,
                Callback<Core::ActivationPolicy> callback);
    std::optional<Core::ActivationPolicy> cachedPolicy(const QString &groupId, Core::AccessKind access) const;

    /// Validates against the group's policy, then activates; the draft's groupId/access must be
    /// the target's. Problems with the draft come back as InvalidInput, nothing sent.
    void request(const Core::Target &target, const Core::ActivationDraft &draft, QObject *context,
                 Callback<Core::AccessRequest> callback);
    void cancel(const QString &requestId, QObject *context, std::function<void(Core::Result<void>)> callback);
    void deactivate(const Core::Grant &grant, const QString &justification, QObject *context,
                    Callback<Core::AccessRequest> callback);
    /// PIM cannot lengthen a running activation: ends it and asks again with `draft`.
    void renew(const Core::Target &target, const Core::Grant &grant, const Core::ActivationDraft &draft,
               QObject *context, Callback<Core::AccessRequest> callback);

    /// Reloads grants and requests and settles the history.
    void sync(QObject *context = nullptr, std::function<void(Core::Result<void>)> done = {});
    /// Syncs, and again after 1, 2, 4, 8, 8 … s while awaitingReplication(), so a command shows what it just
    /// did (the tray's auto-sync does the same on its schedule).
    void syncSettled(QObject *context, std::function<void(Core::Result<void>)> done);
    /// Something this service expects Graph to show or drop (a request it knows, a provisioned grant,
    /// a grant it ended) is not there yet, inside the replication window.
    bool awaitingReplication() const { return m_awaitingReplication; }
    /// The activation rules assumed when PIM refuses to show a group's policy (403): only what holds
    /// for every group (PIM's 24-hour maximum); PIM itself judges the rest when the request arrives.
    static Core::ActivationPolicy unreadablePolicy();
    /// A policy read that failed this way does not stop a request (sent with unreadablePolicy()).
    static bool policyUnreadable(const Core::Error &error);
    /// Syncs by itself on the schedule above (the tray); off for the command line.
    void setAutoSync(bool on);

    const QList<Core::Grant> &grants() const { return m_grants; }
    /// Requests still open (waiting for approval, being processed, scheduled).
    const QList<Core::AccessRequest> &openRequests() const { return m_open; }
    std::optional<Core::Grant> grantFor(const QString &groupId, Core::AccessKind access) const;
    std::optional<Core::AccessRequest> openRequestFor(const QString &groupId, Core::AccessKind access) const;
    QDateTime lastSync() const { return m_lastSync; }
    /// "now" on Graph's clock, as far as its Date headers tell.
    QDateTime serverNow() const { return m_clock->now().addSecs(m_graph->serverClockSkewSecs()); }
    /// The target key ("account/role" or group name) of a group, from what the mapper knows.
    QString targetKey(const QString &groupId, const QString &groupName, Core::AccessKind access) const;

Q_SIGNALS:
    void changed();
    /// A request this service sent was accepted by PIM (whatever its status: active, waiting, scheduled).
    void requestSubmitted(const Elevate::Core::AccessRequest &request);
    /// A followed request reached its end; for decided ones, who decided and their justification
    /// (empty when unknown).
    void requestSettled(const Elevate::Core::AccessRequest &request, const QString &decidedBy,
                        const QString &decisionJustification);
    void grantEnded(const Elevate::Core::Grant &grant, Elevate::Core::Outcome outcome);
    void syncFailed(const Elevate::Core::Error &error);

private:
    friend class SyncRun; // one sync run: reads through m_graph, applies to this tracker's state

    /// The caller's callback, answered once, queued, Cancelled when the account changes first.
    template<typename T> Callback<T> once(QObject *context, Callback<T> callback);
    void fetchPolicy(const QString &groupId, Core::AccessKind access,
                     std::function<void(Core::Result<Core::ActivationPolicy>)> then);
    /// Why the draft may not be sent under the policy read for it (a policy PIM will not show counts
    /// as unreadablePolicy()); nullopt when it may.
    std::optional<Core::Error> refusal(const Core::Result<Core::ActivationPolicy> &policy,
                                       const Core::ActivationDraft &draft) const;
    /// Sends the activation; a RoleAssignmentExists before `existsUntil` (an activation of the group
    /// that ended inside the replication window) is retried with backoff.
    void submit(const Core::Target &target, const Core::ActivationDraft &draft, const QString &principal,
                const QDateTime &existsUntil, int attempt, Callback<Core::AccessRequest> answer);
    /// When an activation of the group ended inside the replication window (its end + window), else invalid.
    QDateTime endedRecently(const QString &groupId, Core::AccessKind access) const;
    /// A listed grant that this service (or another Elevate process) ended inside the window.
    bool isGhost(const Core::Grant &grant, const QList<Core::HistoryEntry> &recent) const;
    qint64 windowSecs() const;
    /// Starts a SyncRun; it ends in answerSync() (or, when a local change came meanwhile, runSync()).
    void runSync();
    void answerSync(const Core::Result<void> &result);
    void record(const Core::HistoryEntry &entry);
    void follow(const Core::AccessRequest &request);
    void scheduleSync();

    GraphClient *m_graph;
    Core::HistoryStore *m_history;
    Core::TargetMapper m_mapper;
    const Core::Clock *m_clock;
    QString m_principalId;
    QHash<QString, Core::ActivationPolicy> m_policies; // by groupId/access
    QHash<QString, QString> m_groupNames; // groupId -> display name, as seen
    QList<Core::Grant> m_grants;
    QList<Core::AccessRequest> m_open;
    QDateTime m_lastSync;
    bool m_syncing = false;
    QPointer<SyncRun> m_run; // the sync under way
    bool m_syncAgain = false;
    bool m_autoSync = false;
    int m_followStep = 0; // backoff index while a request is being processed
    QTimer m_timer;
    quint64 m_generation = 0;
    quint64 m_localChanges = 0; // requests, cancels, deactivations: a sync that spans one reads again
    QHash<quint64, std::function<void()>> m_inFlight; // unanswered callbacks: each cancels itself
    quint64 m_nextTicket = 0;
    QList<Callback<void>> m_syncWaiters; // answered when the sync under way ends
    QList<Callback<void>> m_nextSyncWaiters; // answered when the sync after it ends
    bool m_awaitingReplication = false;
    QHash<QString, QDateTime> m_activeSince; // request id -> first seen provisioned (Graph's clock)
    struct Ended
    {
        Core::Grant grant;
        QDateTime at; // Graph's clock
    };
    QList<Ended> m_endedHere; // grants this service ended, until Graph stops listing them
};

} // namespace Elevate::Graph

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/history.h"
#include "core/pim.h"
#include "graphclient.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>

namespace Elevate::Graph {

/**
 * The approver's side: requests waiting for the signed-in user's decision, found from the service
 * (never from a setting), and the decisions. Whether the user is an approver at all is what the
 * service says: someone with requests waiting now, or who had some before (remembered in the
 * history store). Announces each request once, across restarts (HistoryStore::markSeen).
 *
 *   refresh() ─▶ filterByCurrentUser(on='approver') PendingApproval ─▶ pending() ─▶ arrived(new ones)
 *   auto-refresh: every 2 min for approvers, every 10 min for others; errors back off to 30 min
 *   decide(ids) ─▶ per request: approval ─▶ my stage ─▶ PATCH ─▶ rowMessage ("Approved", "Denied by
 *                  Lee Gu first", or the error) ─▶ refresh()
 */
class ApprovalService : public QObject
{
    Q_OBJECT
public:
    ApprovalService(GraphClient *graph, Core::HistoryStore *history, const Core::Clock *clock,
                    QObject *parent = nullptr);

    void setPrincipalId(const QString &id);
    void setAutoRefresh(bool on);
    void refresh(QObject *context = nullptr, std::function<void(Core::Result<void>)> done = {});

    const QList<Core::AccessRequest> &pending() const { return m_pending; }
    std::optional<Core::AccessRequest> pendingRequest(const QString &id) const;
    bool isApprover() const { return m_isApprover || !m_pending.isEmpty(); }
    QDateTime lastRefresh() const { return m_lastRefresh; }
    /// What happened to a request on the last decision about it ("Approved", an error …); empty
    /// when nothing. Kept after the request left the queue, so the window can say why it went.
    QString rowMessage(const QString &requestId) const { return m_messages.value(requestId); }

    struct Outcome
    {
        QString requestId;
        Core::Result<Core::Approval> result;
    };
    /// Decides every request in `ids` the same way; `justification` must not be empty (checked
    /// here, nothing is sent otherwise). `done` gets one outcome per id, in order. A request whose
    /// decision is already on its way (or named twice) is not sent again: its outcome is an error
    /// with serviceCode "DecisionInProgress".
    void decide(const QStringList &ids, bool approve, const QString &justification, QObject *context,
                std::function<void(QList<Outcome>)> done);

Q_SIGNALS:
    void changed();
    /// Requests this user has never been told about before.
    void arrived(const QList<Elevate::Core::AccessRequest> &requests);
    void refreshFailed(const Elevate::Core::Error &error);

private:
    void schedule();

    GraphClient *m_graph;
    Core::HistoryStore *m_history;
    const Core::Clock *m_clock;
    QString m_principalId;
    QList<Core::AccessRequest> m_pending;
    QHash<QString, QString> m_messages;
    QSet<QString> m_deciding; // requests with a decision on its way
    QDateTime m_lastRefresh;
    QTimer m_timer;
    bool m_autoRefresh = false;
    bool m_isApprover = false;
    bool m_refreshing = false;
    int m_failures = 0;
    quint64 m_generation = 0;
};

} // namespace Elevate::Graph

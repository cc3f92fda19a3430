// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/history.h"
#include "core/pim.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

namespace Elevate::Graph {

class GraphClient;
class RequestTracker;

/**
 * One run of RequestTracker::sync(), a private helper of the tracker (its child):
 *
 *   readGrants() ─▶ readRequests() ─▶ lookUp() (what Graph does not list) ─▶ lookedUp()
 *       ─▶ apply() (history, grants, open requests) ─▶ settleDecided() ─▶ the tracker's answerSync()
 *
 * It reads for the account signed in when it started: once the account changes (the tracker's
 * generation moves on) every answer it gets is dropped and it does nothing more; the tracker deletes
 * it then. A run that spans a local change (request, cancel, deactivation) is not applied: the
 * tracker runs a new one. The run deletes itself when it has answered.
 */
class SyncRun : public QObject
{
    Q_OBJECT
public:
    explicit SyncRun(RequestTracker *tracker);
    void start();

private:
    /// The account changed since this run started: its answers are the previous account's.
    bool stale() const;
    void fail(const Core::Error &error);
    void finish();
    void readGrants();
    void readRequests();
    /// Sets aside listed grants this service (or another Elevate process) ended lately.
    void dropGhosts(const QList<Core::HistoryEntry> &recent);
    /// Sorts my listed requests: open ones, and all of them by id (as looked up).
    void sortListed(const QList<Core::AccessRequest> &mine, const QList<Core::HistoryEntry> &recent);
    /// What we know of: the history's open requests and the tracker's.
    void collectKnown();
    void lookUp();
    void lookedUpOne(const QString &id, const Core::Result<Core::AccessRequest> &r);
    void lookedUp();
    void settleDecided(const Core::AccessRequest &request);

    /// Applies what was read; fills m_decided with the requests an approver decided.
    void apply();
    QList<Core::AccessRequest> openRequests() const;
    void learnGroupNames(const QList<Core::AccessRequest> &open);
    void settleEntry(const Core::HistoryEntry &e);
    /// An entry whose request was looked up; true when nothing more is to be done with it.
    bool settleLookedUp(const Core::HistoryEntry &e, const Core::AccessRequest &looked,
                        Core::HistoryEntry &update);
    /// An entry active as far as we know, whose grant Graph does not list.
    void judgeMissingGrant(const Core::HistoryEntry &e, Core::HistoryEntry &update);
    void recordForeignGrants();
    void announceGrantsGone(const QList<Core::Grant> &previous);

    void record(const Core::HistoryEntry &entry);
    QDateTime serverNow() const;
    qint64 windowSecs() const;

    RequestTracker *m_tracker;
    GraphClient *m_graph;
    Core::HistoryStore *m_history;
    const QString m_principalId;
    const quint64 m_generation;
    const quint64 m_changesAtStart;

    QList<Core::Grant> m_grants; // live: without the ghosts
    bool m_ghosts = false; // a grant or request ended lately is still listed
    QList<Core::AccessRequest> m_listed; // listed by Graph, open
    QHash<QString, Core::AccessRequest> m_byId; // all listed
    QHash<QString, Core::AccessRequest> m_known; // what we know of
    QHash<QString, Core::AccessRequest> m_looked; // as Graph shows it now, by id
    QList<Core::AccessRequest> m_unseen; // not visible yet: as last known
    int m_remaining = 0; // lookups unanswered

    // While applying.
    QDateTime m_serverTime;
    bool m_awaiting = false;
    QList<Core::AccessRequest> m_decided; // by an approver, to be settled with who decided
    QSet<QString> m_justActivated; // became active in this sync: their grant may not be listed yet
    QHash<QString, Core::Outcome> m_endedOutcome; // grant group/access -> outcome, for grantEnded
    int m_pending = 0; // decided requests whose approval is unread
};

} // namespace Elevate::Graph

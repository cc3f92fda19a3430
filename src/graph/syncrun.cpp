// SPDX-License-Identifier: GPL-3.0-or-later
#include "syncrun.h"

#include "graphclient.h"
#include "requesttracker.h"

#include <QLoggingCategory>

namespace Elevate::Graph {

Q_DECLARE_LOGGING_CATEGORY(lcGraph)

using Core::Error;
using Core::Outcome;

namespace {
/// A request that became active but whose grant Graph does not list yet is given at least this long
/// before it counts as ended (longer when the replication window is).
constexpr qint64 kGrantAppearSecs = 120;
/// A request that answers 404 is over (purged) only when it is older than this.
constexpr qint64 kPurgedAfterSecs = 10 * 60;
constexpr int kMaxLookups = 10;

bool isDeactivation(const Core::AccessRequest &r)
{
    return r.action.compare(u"selfDeactivate", Qt::CaseInsensitive) == 0
        || r.action.compare(u"adminRemove", Qt::CaseInsensitive) == 0;
}

/// What the history knows of a request, as a request (when Graph does not show it yet).
Core::AccessRequest fromHistory(const Core::HistoryEntry &e)
{
    Core::AccessRequest r;
    r.id = e.requestId;
    r.status = e.status;
    r.action = QStringLiteral("selfActivate");
    r.groupId = e.groupId;
    r.groupDisplayName = e.groupName;
    r.access = e.access.value_or(Core::AccessKind::Member);
    r.principalId = e.principalId;
    r.justification = e.justification;
    r.ticketSystem = e.ticketSystem;
    r.ticketNumber = e.ticketNumber;
    r.created = e.requestedAt;
    r.start = e.startAt;
    r.durationSecs = e.durationSecs;
    return r;
}
} // namespace

SyncRun::SyncRun(RequestTracker *tracker)
    : QObject(tracker)
    , m_tracker(tracker)
    , m_graph(tracker->m_graph)
    , m_history(tracker->m_history)
    , m_principalId(tracker->m_principalId)
    , m_generation(tracker->m_generation)
    , m_changesAtStart(tracker->m_localChanges)
{ }

void SyncRun::start()
{
    readGrants();
}

bool SyncRun::stale() const
{
    return m_generation != m_tracker->m_generation;
}

void SyncRun::record(const Core::HistoryEntry &entry)
{
    m_tracker->record(entry);
}

QDateTime SyncRun::serverNow() const
{
    return m_tracker->serverNow();
}

qint64 SyncRun::windowSecs() const
{
    return m_tracker->windowSecs();
}

void SyncRun::fail(const Error &e)
{
    if (stale())
        return;
    deleteLater();
    Q_EMIT m_tracker->syncFailed(e);
    m_tracker->answerSync(e);
}

void SyncRun::finish()
{
    deleteLater();
    m_tracker->answerSync(Core::Result<void>());
}

void SyncRun::readGrants()
{
    m_graph->listActiveGrants(this, [this](Core::Result<QList<Core::Grant>> grants) {
        if (stale())
            return;
        if (!grants.ok())
            return fail(grants.error());
        m_grants = grants.value();
        readRequests();
    });
}

void SyncRun::readRequests()
{
    // Every request of mine, unfiltered, in one listing (usually one page): the service may refuse
    // `or` in $filter, and one call per open status of §6.5 would be eight round trips. The
    // same listing also answers for the requests the history follows, without a GET each.
    m_graph->listMyRequests({}, this, [this](Core::Result<QList<Core::AccessRequest>> mine) {
        if (stale())
            return;
        if (!mine.ok())
            return fail(mine.error());
        QList<Core::HistoryEntry> recent;
        if (m_history) {
            if (auto r = m_history->entries(50); r.ok())
                recent = r.value();
        }
        dropGhosts(recent);
        sortListed(mine.value(), recent);
        collectKnown();
        lookUp();
    });
}

void SyncRun::dropGhosts(const QList<Core::HistoryEntry> &recent)
{
    const QDateTime now = serverNow();
    QList<Core::Grant> live;
    for (const auto &g : std::as_const(m_grants)) {
        if (m_tracker->isGhost(g, recent))
            m_ghosts = true; // ended; Graph has not caught up
        else
            live << g;
    }
    m_grants = live;
    m_tracker->m_endedHere.removeIf(
        [this, &now](const RequestTracker::Ended &e) { return e.at.addSecs(windowSecs()) <= now; });
}

void SyncRun::sortListed(const QList<Core::AccessRequest> &mine, const QList<Core::HistoryEntry> &recent)
{
    const QDateTime now = serverNow();
    // Canceled here (or by another Elevate process) a moment ago, yet listed as open by a
    // Graph that has not caught up: over, as the history says.
    QSet<QString> endedLately;
    for (const auto &e : recent)
        if (!e.isOpen() && e.endedAt.isValid() && e.endedAt.addSecs(windowSecs()) > now)
            endedLately.insert(e.requestId);
    for (const auto &r : mine) {
        const auto phase = r.phase();
        if (endedLately.contains(r.id) && !Core::isTerminal(phase)) {
            m_ghosts = true;
            continue;
        }
        m_byId.insert(r.id, r);
        if (!isDeactivation(r)
            && (phase == Core::RequestPhase::InProgress || phase == Core::RequestPhase::AwaitingApproval))
            m_listed << r;
    }
}

void SyncRun::collectKnown()
{
    // What we know of and Graph does not list: the history's open requests and m_open.
    if (m_history) {
        const auto entries = m_history->openEntries(m_principalId);
        if (entries.ok())
            for (const auto &e : entries.value()) {
                if (e.requestId.startsWith(u"grant:")
                    || Core::classifyStatus(e.status) == Core::RequestPhase::Active)
                    continue;
                m_known.insert(e.requestId, fromHistory(e));
            }
    }
    for (const auto &r : std::as_const(m_tracker->m_open))
        m_known.insert(r.id, r);
}

void SyncRun::lookUp()
{
    QStringList toLook;
    for (const auto &r : std::as_const(m_known)) {
        if (const auto it = m_byId.constFind(r.id); it != m_byId.cend())
            m_looked.insert(r.id, *it);
        else if (toLook.size() < kMaxLookups)
            toLook << r.id;
    }
    m_remaining = int(toLook.size());
    if (toLook.isEmpty())
        return lookedUp();
    for (const QString &id : std::as_const(toLook))
        m_graph->getRequest(id, this, [this, id](Core::Result<Core::AccessRequest> r) {
            if (stale())
                return;
            lookedUpOne(id, r);
            if (--m_remaining == 0)
                lookedUp();
        });
}

void SyncRun::lookedUpOne(const QString &id, const Core::Result<Core::AccessRequest> &r)
{
    const Core::AccessRequest last = m_known.value(id);
    const QDateTime since = last.created;
    const QDateTime at = serverNow();
    if (r.ok()) {
        m_looked.insert(id, r.value());
    } else if (r.error().httpStatus == 404 && since.isValid() && since.secsTo(at) > kPurgedAfterSecs) {
        Core::AccessRequest gone;
        gone.id = id;
        gone.status = QStringLiteral("Canceled"); // purged by PIM: it is over
        m_looked.insert(id, gone);
    } else if (r.error().httpStatus == 404 && (!since.isValid() || since.secsTo(at) < windowSecs())) {
        m_unseen << last; // not visible yet: as last known
    }
}

void SyncRun::lookedUp()
{
    if (stale())
        return;
    if (m_tracker->m_localChanges != m_changesAtStart) {
        // Deactivated, canceled or requested meanwhile: what was read may predate
        // it. Read again rather than show a grant that is gone.
        deleteLater();
        return m_tracker->runSync();
    }
    apply();
    if (m_decided.isEmpty())
        return finish();
    // Who decided and why, before the caller hears the sync is done.
    m_pending = int(m_decided.size());
    for (const auto &r : std::as_const(m_decided))
        settleDecided(r);
}

void SyncRun::settleDecided(const Core::AccessRequest &request)
{
    // Who decided, and why: the approval's stage says (graph-pim.md §8.2).
    m_graph->getApproval(request.approvalId.isEmpty() ? request.id : request.approvalId, this,
                         [this, request](Core::Result<Core::Approval> approval) {
                             if (stale())
                                 return;
                             QString by, why;
                             if (approval.ok()) {
                                 if (const Core::ApprovalStage *s = approval->decidedStage()) {
                                     by = s->reviewedByName;
                                     why = s->justification;
                                     Core::HistoryEntry h;
                                     h.requestId = request.id;
                                     h.approver = by;
                                     h.decisionJustification = why;
                                     h.decision = s->reviewResult;
                                     record(h);
                                 }
                             } else {
                                 qCInfo(lcGraph) << "cannot read the approval of" << request.id
                                                 << approval.error().message;
                             }
                             Q_EMIT m_tracker->requestSettled(request, by, why);
                             if (--m_pending == 0 && !stale())
                                 finish();
                         });
}

void SyncRun::apply()
{
    m_awaiting = m_ghosts || !m_unseen.isEmpty();
    const QDateTime now = m_tracker->m_clock->now();
    m_serverTime = serverNow();
    const QList<Core::AccessRequest> open = openRequests();
    learnGroupNames(open);

    if (m_history) {
        const auto entries = m_history->openEntries(m_principalId);
        if (entries.ok())
            for (const Core::HistoryEntry &e : entries.value())
                settleEntry(e);
        recordForeignGrants();
    }

    const QList<Core::Grant> previous = m_tracker->m_grants;
    m_tracker->m_grants = m_grants;
    m_tracker->m_open = open;
    m_tracker->m_lastSync = now;
    m_tracker->m_awaitingReplication = m_awaiting;
    announceGrantsGone(previous);
    Q_EMIT m_tracker->changed();
}

QList<Core::AccessRequest> SyncRun::openRequests() const
{
    QList<Core::AccessRequest> open = m_listed;
    const auto isListed = [&open](const QString &id) {
        return std::any_of(open.cbegin(), open.cend(),
                           [&id](const Core::AccessRequest &o) { return o.id == id; });
    };
    for (const auto &r : m_looked)
        if (!Core::isTerminal(r.phase()) && r.phase() != Core::RequestPhase::Unknown && !isListed(r.id))
            open << r;
    for (const auto &r : m_unseen)
        if (!isListed(r.id))
            open << r;
    return open;
}

void SyncRun::learnGroupNames(const QList<Core::AccessRequest> &open)
{
    for (const auto &g : std::as_const(m_grants))
        if (!g.groupDisplayName.isEmpty())
            m_tracker->m_groupNames.insert(g.groupId, g.groupDisplayName);
    for (const auto &r : open)
        if (!r.groupDisplayName.isEmpty())
            m_tracker->m_groupNames.insert(r.groupId, r.groupDisplayName);
}

void SyncRun::settleEntry(const Core::HistoryEntry &e)
{
    Core::HistoryEntry update;
    update.requestId = e.requestId;
    QString status = e.status;
    if (const auto it = m_looked.constFind(e.requestId); it != m_looked.cend()) {
        status = it->status;
        if (settleLookedUp(e, *it, update))
            return;
    } else if (const auto l
               = std::find_if(m_listed.cbegin(), m_listed.cend(),
                              [&e](const Core::AccessRequest &r) { return r.id == e.requestId; });
               l != m_listed.cend()) {
        if (l->status != e.status) {
            update.status = l->status;
            record(update);
        }
        return;
    }
    if (Core::classifyStatus(status) != Core::RequestPhase::Active) {
        if (!update.status.isEmpty())
            record(update);
        return;
    }
    // Active as far as we know: is the grant still there?
    const auto g = std::find_if(m_grants.cbegin(), m_grants.cend(),
                                [&e](const Core::Grant &g) { return e.isFor(g.groupId, g.access); });
    if (g == m_grants.cend())
        return judgeMissingGrant(e, update);
    m_tracker->m_activeSince.remove(e.requestId);
    if (g->end.isValid() && g->end != e.endAt)
        update.endAt = g->end;
    if (g->start.isValid() && g->start != e.startAt)
        update.startAt = g->start;
    if (!update.status.isEmpty() || update.endAt.isValid() || update.startAt.isValid())
        record(update); // only what changed: this runs on the UI thread
}

bool SyncRun::settleLookedUp(const Core::HistoryEntry &e, const Core::AccessRequest &looked,
                             Core::HistoryEntry &update)
{
    const auto before = Core::classifyStatus(e.status);
    const auto phase = looked.phase();
    update.status = looked.status;
    if (before == Core::RequestPhase::AwaitingApproval && phase == Core::RequestPhase::Active)
        update.decision = QStringLiteral("Approved");
    if (phase == Core::RequestPhase::Denied || phase == Core::RequestPhase::Canceled
        || phase == Core::RequestPhase::Failed) {
        Outcome outcome = phase == Core::RequestPhase::Denied ? Outcome::Denied
            : phase == Core::RequestPhase::Canceled           ? Outcome::Canceled
                                                              : Outcome::Failed;
        if (phase == Core::RequestPhase::Denied)
            update.decision = QStringLiteral("Denied");
        // No approver acted within PIM's 24 hours.
        if (before == Core::RequestPhase::AwaitingApproval
            && looked.status.compare(u"TimedOut", Qt::CaseInsensitive) == 0)
            outcome = Outcome::Lapsed;
        update.outcome = Core::outcomeName(outcome);
        update.endedAt = m_serverTime;
        record(update);
        if (before == Core::RequestPhase::AwaitingApproval && phase == Core::RequestPhase::Denied)
            m_decided << looked;
        else
            Q_EMIT m_tracker->requestSettled(looked, {}, {});
        return true;
    }
    if (phase == Core::RequestPhase::Active) {
        if (before != Core::RequestPhase::Active) {
            m_justActivated.insert(e.requestId);
            m_tracker->m_activeSince.insert(e.requestId, m_serverTime);
            // Approved (or started) only now: the grant runs from here, not from the ask.
            if (e.startAt.isValid() && e.startAt < m_serverTime && e.durationSecs > 0
                && before == Core::RequestPhase::AwaitingApproval) {
                update.startAt = m_serverTime;
                update.endAt = m_serverTime.addSecs(e.durationSecs);
            }
        }
        if (before == Core::RequestPhase::AwaitingApproval)
            m_decided << looked;
        else
            Q_EMIT m_tracker->requestSettled(looked, {}, {});
    }
    // A status this version does not know: followed for a day, then put on record as it is.
    if (phase == Core::RequestPhase::Unknown && e.requestedAt.isValid()
        && e.requestedAt.secsTo(m_serverTime) > 24 * 3600) {
        update.outcome = looked.status;
        update.endedAt = m_serverTime;
        record(update);
        return true;
    }
    return false;
}

void SyncRun::judgeMissingGrant(const Core::HistoryEntry &e, Core::HistoryEntry &update)
{
    // Became active in this very sync (the grants were read before): judge next time.
    if (m_justActivated.contains(e.requestId)) {
        record(update);
        m_awaiting = true;
        return;
    }
    QDateTime since = m_tracker->m_activeSince.value(e.requestId);
    if (!since.isValid())
        since = update.startAt.isValid() ? update.startAt : e.startAt.isValid() ? e.startAt : e.requestedAt;
    const bool pastEnd = e.endAt.isValid() && m_serverTime >= e.endAt.addSecs(-30);
    const qint64 age = since.isValid() ? since.secsTo(m_serverTime) : -1;
    if (!pastEnd && age >= 0 && age < qMax<qint64>(kGrantAppearSecs, windowSecs())) {
        if (!update.status.isEmpty() || update.startAt.isValid())
            record(update);
        // Provisioned, and Graph may not list the grant yet: look again soon.
        if (age < windowSecs())
            m_awaiting = true;
        return;
    }
    m_tracker->m_activeSince.remove(e.requestId);
    const Outcome outcome = pastEnd ? Outcome::Expired : Outcome::Ended;
    update.outcome = Core::outcomeName(outcome);
    update.endedAt = pastEnd ? e.endAt : m_serverTime;
    record(update);
    m_endedOutcome.insert(e.groupId + u'/' + Core::accessIdOf(e.access.value_or(Core::AccessKind::Member)),
                          outcome);
}

void SyncRun::recordForeignGrants()
{
    // Grants that came from elsewhere (the portal, another machine): on record too.
    const auto stillOpen = m_history->openEntries(m_principalId);
    for (const auto &g : std::as_const(m_grants)) {
        if (g.assignmentType == u"assigned" || g.isPermanent())
            continue;
        bool known = false;
        if (stillOpen.ok())
            for (const auto &e : stillOpen.value())
                known = known || e.isFor(g.groupId, g.access);
        if (known)
            continue;
        Core::HistoryEntry h;
        h.requestId = QStringLiteral("grant:") + g.id;
        h.target = m_tracker->targetKey(g.groupId, g.groupDisplayName, g.access);
        h.groupId = g.groupId;
        h.groupName = m_tracker->m_groupNames.value(g.groupId);
        h.access = g.access;
        h.requestedAt = g.start;
        h.startAt = g.start;
        h.endAt = g.end;
        h.durationSecs = g.start.isValid() ? g.start.secsTo(g.end) : 0;
        h.status = QStringLiteral("Provisioned");
        record(h);
    }
}

void SyncRun::announceGrantsGone(const QList<Core::Grant> &previous)
{
    for (const auto &p : previous)
        if (std::none_of(m_grants.cbegin(), m_grants.cend(),
                         [&p](const Core::Grant &g) { return g.id == p.id; }))
            Q_EMIT m_tracker->grantEnded(
                p,
                m_endedOutcome.value(p.groupId + u'/' + Core::accessIdOf(p.access),
                                     m_serverTime >= p.end.addSecs(-30) ? Outcome::Expired : Outcome::Ended));
}

} // namespace Elevate::Graph

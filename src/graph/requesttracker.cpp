// SPDX-License-Identifier: GPL-3.0-or-later
#include "requesttracker.h"

#include "odata.h"
#include "pimwording.h"
#include "syncrun.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QUuid>

namespace Elevate::Graph {

Q_DECLARE_LOGGING_CATEGORY(lcGraph)

using Core::Error;
using Core::Outcome;

namespace {
QString policyKey(const QString &groupId, Core::AccessKind access)
{
    return groupId + u'/' + Core::accessIdOf(access);
}
constexpr int kFollowDelaysSecs[] = {1, 2, 4, 8, 16, 30, 60};
constexpr int kAwaitingApprovalSecs = 60;
constexpr int kGrantCheckSecs = 300;
constexpr int kIdleSecs = 600;
constexpr int kSettleDelaysSecs[] = {1, 2, 4, 8};

Error notSignedIn()
{
    return Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in"));
}

/// The draft as sent for `target`: its group and kind of access are the target's.
Core::ActivationDraft draftFor(const Core::Target &target, const Core::ActivationDraft &draft)
{
    Core::ActivationDraft d = draft;
    d.groupId = target.eligibility.groupId;
    d.access = target.eligibility.access;
    return d;
}

/// Ended the way a grant ends (not a request that never became one).
bool endedAsGrant(const QString &outcome)
{
    const auto o = Core::outcomeFrom(outcome);
    return o == Outcome::Deactivated || o == Outcome::Expired || o == Outcome::Ended;
}
} // namespace

template<typename T> RequestTracker::Callback<T> RequestTracker::once(QObject *context, Callback<T> callback)
{
    auto answered = std::make_shared<bool>(false);
    const quint64 ticket = ++m_nextTicket;
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    Callback<T> answer = [this, answered, ticket, guard, hadContext, callback](Core::Result<T> r) {
        if (std::exchange(*answered, true))
            return;
        m_inFlight.remove(ticket);
        if (!callback)
            return;
        // Queued, so a caller never hears back inside its own call (a form can set itself busy
        // after asking, whatever the answer).
        QMetaObject::invokeMethod(
            this,
            [guard, hadContext, callback, r] {
                if (!hadContext || guard)
                    callback(r);
            },
            Qt::QueuedConnection);
    };
    m_inFlight.insert(ticket, [answer] {
        answer(Error::make(Error::Kind::Cancelled,
                           QStringLiteral("the account changed before the answer came"), 0,
                           QStringLiteral("AccountChanged")));
    });
    return answer;
}

Core::ActivationPolicy RequestTracker::unreadablePolicy()
{
    Core::ActivationPolicy p;
    p.maximumDurationSecs = 24 * 3600; // graph-pim.md §9.2: group activations last 1-24 hours
    return p;
}

bool RequestTracker::policyUnreadable(const Core::Error &error)
{
    return error.httpStatus == 403 && (error.kind == Error::Kind::Service || error.kind == Error::Kind::Http);
}

qint64 RequestTracker::windowSecs() const
{
    return m_graph->replicationWindowSecs();
}

RequestTracker::RequestTracker(GraphClient *graph, Core::HistoryStore *history, Core::TargetMapper mapper,
                               const Core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_graph(graph)
    , m_history(history)
    , m_mapper(std::move(mapper))
    , m_clock(clock)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { sync(); });
}

void RequestTracker::setPrincipalId(const QString &id)
{
    if (m_principalId == id)
        return;
    m_principalId = id;
    ++m_generation;
    m_syncing = false; // a sync under way belongs to the previous account; its answers are dropped
    if (m_run)
        m_run->deleteLater(); // it may be the one emitting the signal that got us here
    m_run = nullptr;
    m_syncAgain = false;
    m_syncWaiters.clear();
    m_nextSyncWaiters.clear();
    // Whoever waits for an answer about the previous account hears that it changed.
    for (const auto &cancel : std::exchange(m_inFlight, {}))
        cancel();
    m_grants.clear();
    m_open.clear();
    m_policies.clear();
    m_activeSince.clear();
    m_endedHere.clear();
    m_awaitingReplication = false;
    m_timer.stop();
    if (!id.isEmpty() && m_autoSync)
        sync();
    Q_EMIT changed();
}

QString RequestTracker::targetKey(const QString &groupId, const QString &groupName,
                                  Core::AccessKind access) const
{
    Core::Eligibility e;
    e.groupId = groupId;
    e.groupDisplayName = groupName.isEmpty() ? m_groupNames.value(groupId) : groupName;
    e.access = access;
    return Core::Target {e, m_mapper.map(e)}.key();
}

void RequestTracker::record(const Core::HistoryEntry &entryIn)
{
    if (!m_history)
        return;
    Core::HistoryEntry entry = entryIn;
    if (entry.principalId.isEmpty())
        entry.principalId = m_principalId;
    const auto r = m_history->record(entry);
    if (!r.ok())
        qCWarning(lcGraph) << "history:" << r.error().message;
}

std::optional<Core::ActivationPolicy> RequestTracker::cachedPolicy(const QString &groupId,
                                                                   Core::AccessKind access) const
{
    const auto it = m_policies.constFind(policyKey(groupId, access));
    if (it == m_policies.cend())
        return std::nullopt;
    return *it;
}

void RequestTracker::fetchPolicy(const QString &groupId, Core::AccessKind access,
                                 std::function<void(Core::Result<Core::ActivationPolicy>)> then)
{
    if (const auto cached = cachedPolicy(groupId, access))
        return then(*cached);
    const quint64 generation = m_generation;
    m_graph->getActivationPolicy(
        groupId, access, this,
        [this, generation, groupId, access, then](Core::Result<Core::ActivationPolicy> r) {
            if (r.ok() && generation == m_generation)
                m_policies.insert(policyKey(groupId, access), r.value());
            then(std::move(r));
        });
}

void RequestTracker::policy(const QString &groupId, Core::AccessKind access, QObject *context,
                            Callback<Core::ActivationPolicy> callback)
{
    fetchPolicy(groupId, access, once(context, std::move(callback)));
}

std::optional<Core::Grant> RequestTracker::grantFor(const QString &groupId, Core::AccessKind access) const
{
    for (const auto &g : m_grants)
        if (g.groupId == groupId && g.access == access)
            return g;
    return std::nullopt;
}

std::optional<Core::AccessRequest> RequestTracker::openRequestFor(const QString &groupId,
                                                                  Core::AccessKind access) const
{
    for (const auto &r : m_open)
        if (r.groupId == groupId && r.access == access)
            return r;
    return std::nullopt;
}

std::optional<Error> RequestTracker::refusal(const Core::Result<Core::ActivationPolicy> &policy,
                                             const Core::ActivationDraft &draft) const
{
    // A policy PIM will not show (403) does not stop the request: check what holds for every group
    // and let PIM judge the rest (its refusal is worded then).
    if (!policy.ok() && !policyUnreadable(policy.error()))
        return policy.error();
    const Core::ActivationPolicy rules = policy.ok() ? policy.value() : unreadablePolicy();
    if (!policy.ok())
        qCInfo(lcGraph) << "the policy of" << draft.groupId << "cannot be read; sending with what is known";
    const auto problems = Core::validateDraft(draft, rules, m_clock->now());
    if (problems.isEmpty())
        return std::nullopt;
    QStringList why;
    for (auto p : problems)
        why << PimWording::describe(p, rules);
    return Error::make(Error::Kind::InvalidInput, why.join(u' '), 0, QStringLiteral("DraftInvalid"));
}

void RequestTracker::request(const Core::Target &target, const Core::ActivationDraft &draftIn,
                             QObject *context, Callback<Core::AccessRequest> callback)
{
    auto answer = once(context, std::move(callback));
    if (m_principalId.isEmpty())
        return answer(notSignedIn());
    const Core::ActivationDraft draft = draftFor(target, draftIn);
    m_groupNames.insert(draft.groupId, target.eligibility.groupDisplayName);
    const quint64 generation = m_generation;
    const QString principal = m_principalId;
    fetchPolicy(
        draft.groupId, draft.access,
        [this, generation, principal, target, draft, answer](Core::Result<Core::ActivationPolicy> policy) {
            if (generation != m_generation)
                return; // answered Cancelled already
            if (const auto refused = refusal(policy, draft))
                return answer(*refused);
            submit(target, draft, principal, endedRecently(draft.groupId, draft.access), 0, answer);
        });
}

QDateTime RequestTracker::endedRecently(const QString &groupId, Core::AccessKind access) const
{
    const QDateTime now = serverNow();
    QDateTime latest;
    for (const auto &e : m_endedHere)
        if (e.grant.groupId == groupId && e.grant.access == access && (!latest.isValid() || e.at > latest))
            latest = e.at;
    if (m_history) {
        // Ended by another Elevate process (a command, the tray): the history says when.
        const auto recent = m_history->entries(50);
        if (recent.ok())
            for (const auto &e : recent.value())
                if (e.isFor(groupId, access) && e.endedAt.isValid() && e.endedAt <= now
                    && endedAsGrant(e.outcome) && (!latest.isValid() || e.endedAt > latest))
                    latest = e.endedAt;
    }
    if (!latest.isValid() || latest.addSecs(windowSecs()) <= now)
        return {};
    return latest.addSecs(windowSecs());
}

void RequestTracker::submit(const Core::Target &target, const Core::ActivationDraft &draft,
                            const QString &principal, const QDateTime &existsUntil, int attempt,
                            Callback<Core::AccessRequest> answer)
{
    const quint64 generation = m_generation;
    // "Now" for PIM is Graph's now: a local clock that runs ahead would schedule the activation
    // instead of starting it.
    m_graph->activate(
        draft, principal, serverNow(), this,
        [this, generation, principal, target, draft, existsUntil, attempt,
         answer](Core::Result<Core::AccessRequest> sent) {
            if (sent.ok()) {
                Core::AccessRequest r = sent.value();
                if (r.groupDisplayName.isEmpty())
                    r.groupDisplayName = target.eligibility.groupDisplayName;
                Core::HistoryEntry h;
                h.requestId = r.id;
                h.target = target.key();
                h.groupId = draft.groupId;
                h.groupName = target.eligibility.groupDisplayName;
                h.access = draft.access;
                // Every time in the history is on Graph's clock, as PIM reports it. The request is
                // PIM's now, so it goes on record under whoever sent it, also after a sign-out.
                h.principalId = principal;
                h.requestedAt = r.created.isValid() ? r.created : serverNow();
                h.startAt = r.start.isValid() ? r.start : draft.start.isValid() ? draft.start : serverNow();
                h.durationSecs = draft.durationSecs;
                h.endAt = h.startAt.addSecs(draft.durationSecs);
                h.justification = draft.justification.trimmed();
                h.ticketSystem = draft.ticketSystem.trimmed();
                h.ticketNumber = draft.ticketNumber.trimmed();
                h.status = r.status;
                const auto phase = r.phase();
                if (phase == Core::RequestPhase::Denied || phase == Core::RequestPhase::Canceled
                    || phase == Core::RequestPhase::Failed) {
                    h.outcome
                        = Core::outcomeName(phase == Core::RequestPhase::Denied         ? Outcome::Denied
                                                : phase == Core::RequestPhase::Canceled ? Outcome::Canceled
                                                                                        : Outcome::Failed);
                    h.endedAt = serverNow();
                }
                record(h);
                if (generation != m_generation)
                    return answer(r); // answered Cancelled already; the next account's sync ignores it
                if (phase == Core::RequestPhase::Active)
                    m_activeSince.insert(r.id, serverNow());
                ++m_localChanges;
                Q_EMIT requestSubmitted(r);
                follow(r);
                return answer(r);
            }
            const Error e = sent.error();
            // The activation that ended a moment ago may still count for PIM (replication lag):
            // its "exists" is not a refusal of this one yet. Nothing was created, so asking again is safe.
            if (e.serviceCode == u"RoleAssignmentExists" && existsUntil.isValid() && serverNow() < existsUntil
                && generation == m_generation) {
                const int delay = kSettleDelaysSecs[qMin<int>(attempt, std::size(kSettleDelaysSecs) - 1)];
                qCInfo(lcGraph) << "the ended activation is still replicating; asking again in" << delay
                                << "s";
                QTimer::singleShot(delay * 1000, this,
                                   [this, target, draft, principal, existsUntil, attempt, answer] {
                                       submit(target, draft, principal, existsUntil, attempt + 1, answer);
                                   });
                return;
            }
            // PIM judged by rules we did not know: the cached policy is out of date.
            if (!failedPolicyRules(e).isEmpty())
                m_policies.remove(policyKey(draft.groupId, draft.access));
            answer(e);
        });
}

void RequestTracker::follow(const Core::AccessRequest &r)
{
    if (!Core::isTerminal(r.phase())) {
        m_open.removeIf([&r](const Core::AccessRequest &o) { return o.id == r.id; });
        m_open.prepend(r);
    }
    m_followStep = 0;
    Q_EMIT changed();
    // Learn the grant (and its exact end) at once; then on the follow schedule.
    sync();
}

void RequestTracker::cancel(const QString &requestId, QObject *context,
                            std::function<void(Core::Result<void>)> callback)
{
    auto answer = once(context, Callback<void>(std::move(callback)));
    if (m_principalId.isEmpty())
        return answer(notSignedIn());
    const quint64 generation = m_generation;
    m_graph->cancelRequest(requestId, this, [this, generation, requestId, answer](Core::Result<void> r) {
        if (r.ok()) {
            Core::HistoryEntry h;
            h.requestId = requestId;
            h.status = QStringLiteral("Canceled");
            h.outcome = Core::outcomeName(Outcome::Canceled);
            h.endedAt = serverNow();
            record(h);
            if (generation == m_generation) {
                ++m_localChanges;
                m_open.removeIf([&requestId](const Core::AccessRequest &o) { return o.id == requestId; });
                Q_EMIT changed();
            }
        }
        answer(r);
    });
}

void RequestTracker::deactivate(const Core::Grant &grant, const QString &justification, QObject *context,
                                Callback<Core::AccessRequest> callback)
{
    auto answer = once(context, std::move(callback));
    if (m_principalId.isEmpty())
        return answer(notSignedIn());
    const quint64 generation = m_generation;
    const QString principal = m_principalId;
    m_graph->deactivate(
        grant.groupId, grant.access, principal, justification, this,
        [this, generation, principal, grant, answer](Core::Result<Core::AccessRequest> r) {
            const bool gone = r.ok() || r.error().serviceCode == u"RoleAssignmentDoesNotExist";
            if (gone) {
                const QDateTime now = serverNow();
                if (m_history) {
                    const auto open = m_history->openEntries(principal);
                    if (open.ok())
                        for (auto e : open.value())
                            if (e.isFor(grant.groupId, grant.access)
                                && Core::classifyStatus(e.status) == Core::RequestPhase::Active) {
                                e.outcome = Core::outcomeName(r.ok() ? Outcome::Deactivated : Outcome::Ended);
                                e.endedAt = now;
                                record(e);
                            }
                }
                if (generation == m_generation) {
                    ++m_localChanges; // a sync under way read the grant before it went
                    // Graph may list it for a while yet (replication lag): not a grant that came back.
                    m_endedHere.append({grant, now});
                    const qsizetype before = m_grants.size();
                    m_grants.removeIf([&grant](const Core::Grant &g) { return g.id == grant.id; });
                    if (m_grants.size() != before)
                        Q_EMIT grantEnded(grant, r.ok() ? Outcome::Deactivated : Outcome::Ended);
                    Q_EMIT changed();
                }
            }
            answer(r);
        });
}

void RequestTracker::renew(const Core::Target &target, const Core::Grant &grant,
                           const Core::ActivationDraft &draft, QObject *context,
                           Callback<Core::AccessRequest> callback)
{
    auto answer = once(context, std::move(callback));
    if (m_principalId.isEmpty())
        return answer(notSignedIn());
    // What the new request would be refused for locally is said before anything ends: a renewal
    // must not end the grant for a draft that cannot be sent.
    const Core::ActivationDraft checked = draftFor(target, draft);
    const quint64 generation = m_generation;
    const QString principal = m_principalId;
    fetchPolicy(checked.groupId, checked.access, [=, this](Core::Result<Core::ActivationPolicy> policy) {
        if (generation != m_generation)
            return;
        if (const auto refused = refusal(policy, checked))
            return answer(*refused);
        // Once the grant has ended, the new request is sent whatever happens to the caller (a closed
        // form must not leave the user with nothing); only the answer depends on it. The ended
        // activation may still count for PIM a while (RoleAssignmentExists): request() retries then.
        deactivate(
            grant, draft.justification, this,
            [this, principal, target, draft, answer](Core::Result<Core::AccessRequest> r) {
                if (!r.ok() && r.error().serviceCode != u"RoleAssignmentDoesNotExist")
                    return answer(r.error()); // still active: nothing lost
                request(target, draft, this,
                        [this, principal, target, draft, answer](Core::Result<Core::AccessRequest> again) {
                            if (again.ok())
                                return answer(again);
                            const Error cause = again.error();
                            if (cause.kind == Error::Kind::Cancelled)
                                return answer(cause);
                            // No access and no request: on record, and said plainly.
                            Core::HistoryEntry h;
                            h.requestId = QStringLiteral("failed:")
                                + QUuid::createUuid().toString(QUuid::WithoutBraces);
                            h.principalId = principal;
                            h.target = target.key();
                            h.groupId = draft.groupId.isEmpty() ? target.eligibility.groupId : draft.groupId;
                            h.groupName = target.eligibility.groupDisplayName;
                            h.access = target.eligibility.access;
                            h.requestedAt = serverNow();
                            h.durationSecs = draft.durationSecs;
                            h.justification = draft.justification.trimmed();
                            h.ticketSystem = draft.ticketSystem.trimmed();
                            h.ticketNumber = draft.ticketNumber.trimmed();
                            h.status = QStringLiteral("NotCreated");
                            h.outcome = Core::outcomeName(Outcome::Failed);
                            h.endedAt = h.requestedAt;
                            record(h);
                            Error e = cause;
                            const QString why = PimWording::describe(cause);
                            e.message = why.isEmpty() ? cause.message : why;
                            e.serviceCode = QStringLiteral("RenewRequestFailed");
                            answer(e);
                        });
            });
    });
}

void RequestTracker::setAutoSync(bool on)
{
    m_autoSync = on;
    if (!on)
        m_timer.stop();
    else if (!m_principalId.isEmpty())
        scheduleSync();
}

void RequestTracker::scheduleSync()
{
    if (!m_autoSync || m_principalId.isEmpty())
        return;
    qint64 delay = kIdleSecs;
    bool following = m_awaitingReplication, awaiting = false;
    const QDateTime now = m_clock->now();
    for (const auto &r : m_open) {
        const auto phase = r.phase();
        if (phase == Core::RequestPhase::AwaitingApproval) {
            awaiting = true;
        } else if (r.start.isValid() && now.addSecs(m_graph->serverClockSkewSecs()).secsTo(r.start) > 60) {
            // Scheduled for later: look again when it starts (and now and then before).
            delay = qMin<qint64>(
                delay, qMax<qint64>(2, now.addSecs(m_graph->serverClockSkewSecs()).secsTo(r.start) + 3));
        } else {
            following = true;
        }
    }
    if (following) {
        delay = qMin<qint64>(delay,
                             kFollowDelaysSecs[qMin<int>(m_followStep, std::size(kFollowDelaysSecs) - 1)]);
        ++m_followStep;
    } else if (awaiting) {
        delay = qMin<qint64>(delay, kAwaitingApprovalSecs);
    }
    for (const auto &g : m_grants) {
        if (g.isPermanent())
            continue;
        delay = qMin<qint64>(delay, kGrantCheckSecs);
        // Just after the end (on Graph's clock), to see it go.
        const qint64 toEnd = now.addSecs(m_graph->serverClockSkewSecs()).secsTo(g.end) + 3;
        delay = qMin(delay, toEnd > 0 ? toEnd : qint64(30)); // past its end yet listed: look again soon
    }
    m_timer.start(int(qMax<qint64>(1, delay) * 1000));
}

void RequestTracker::sync(QObject *context, std::function<void(Core::Result<void>)> done)
{
    auto answer = once(context, Callback<void>(std::move(done)));
    if (m_principalId.isEmpty())
        return answer(notSignedIn());
    if (m_syncing) {
        // The sync under way may have read Graph before the caller's change: run once more after it and
        // answer the caller when that run is over, not before.
        m_syncAgain = true;
        m_nextSyncWaiters << answer;
        return;
    }
    m_syncWaiters << answer;
    runSync();
}

void RequestTracker::syncSettled(QObject *context, std::function<void(Core::Result<void>)> done)
{
    auto answer = once(context, Callback<void>(std::move(done)));
    auto step = std::make_shared<int>(0);
    auto round = std::make_shared<std::function<void()>>();
    // Each round is held by the sync it waits for, then by the timer to the next one: no cycle.
    *round = [this, answer, step, weak = std::weak_ptr<std::function<void()>>(round)] {
        sync(this, [this, answer, step, self = weak.lock()](Core::Result<void> r) {
            // Each sync judges the window anew, so this ends when Graph caught up or the window is over.
            if (!r.ok() || !m_awaitingReplication || !self)
                return answer(r);
            const int delay = kSettleDelaysSecs[qMin<int>(*step, std::size(kSettleDelaysSecs) - 1)];
            ++*step;
            QTimer::singleShot(delay * 1000, this, [self] { (*self)(); });
        });
    };
    (*round)();
}

void RequestTracker::answerSync(const Core::Result<void> &result)
{
    m_syncing = false;
    for (const auto &waiter : std::exchange(m_syncWaiters, {}))
        waiter(result);
    if (std::exchange(m_syncAgain, false)) {
        m_syncWaiters = std::exchange(m_nextSyncWaiters, {});
        runSync();
    } else {
        scheduleSync();
    }
}

bool RequestTracker::isGhost(const Core::Grant &grant, const QList<Core::HistoryEntry> &recent) const
{
    const QDateTime now = serverNow();
    for (const auto &e : m_endedHere)
        if (e.grant.id == grant.id && e.grant.start == grant.start && e.at.addSecs(windowSecs()) > now)
            return true;
    // Deactivated by another Elevate process a moment ago: the history says so.
    for (const auto &e : recent)
        if (Core::outcomeFrom(e.outcome) == Outcome::Deactivated && e.isFor(grant.groupId, grant.access)
            && e.endedAt.isValid() && e.endedAt.addSecs(windowSecs()) > now
            && (!grant.start.isValid() || grant.start <= e.endedAt))
            return true;
    return false;
}

void RequestTracker::runSync()
{
    m_syncing = true;
    m_timer.stop();
    m_run = new SyncRun(this);
    m_run->start();
}

} // namespace Elevate::Graph

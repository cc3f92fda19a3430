// SPDX-License-Identifier: GPL-3.0-or-later
#include "accessservice.h"

#include "odata.h"
#include "pimwording.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QSet>

namespace Elevate::Graph {

Q_DECLARE_LOGGING_CATEGORY(lcGraph)

using Core::Error;

namespace {
QString policyKey(const QString &groupId, const QString &accessId)
{
    return groupId + u'/' + (accessId.isEmpty() ? QStringLiteral("member") : accessId);
}
constexpr int kFollowDelaysSecs[] = {2, 4, 8, 16, 30, 60};
constexpr int kAwaitingApprovalSecs = 60;
constexpr int kGrantCheckSecs = 300;
constexpr int kIdleSecs = 600;
/// A request that became active but whose grant Graph does not list yet is given this long.
constexpr qint64 kGrantAppearSecs = 120;
constexpr int kMaxLookups = 10;
} // namespace

AccessService::AccessService(GraphClient *graph, Core::HistoryStore *history, Core::TargetMapper mapper,
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

void AccessService::setPrincipalId(const QString &id)
{
    if (m_principalId == id)
        return;
    m_principalId = id;
    ++m_generation;
    m_syncing = false; // a sync under way belongs to the previous account; its answers are dropped
    m_syncAgain = false;
    m_grants.clear();
    m_open.clear();
    m_policies.clear();
    m_timer.stop();
    if (!id.isEmpty() && m_autoSync)
        sync();
    Q_EMIT changed();
}

QString AccessService::targetKey(const QString &groupId, const QString &groupName,
                                 const QString &accessId) const
{
    Core::Eligibility e;
    e.groupId = groupId;
    e.groupDisplayName = groupName.isEmpty() ? m_groupNames.value(groupId) : groupName;
    e.accessId = accessId;
    return Core::Target {e, m_mapper.map(e)}.key();
}

void AccessService::record(const Core::HistoryEntry &entryIn)
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

std::optional<Core::ActivationPolicy> AccessService::cachedPolicy(const QString &groupId,
                                                                  const QString &accessId) const
{
    const auto it = m_policies.constFind(policyKey(groupId, accessId));
    if (it == m_policies.cend())
        return std::nullopt;
    return *it;
}

void AccessService::policy(const QString &groupId, const QString &accessId, QObject *context,
                           Callback<Core::ActivationPolicy> callback)
{
    if (const auto cached = cachedPolicy(groupId, accessId))
        return callback(*cached);
    QPointer<QObject> guard(context);
    m_graph->getActivationPolicy(
        groupId, accessId, this,
        [this, guard, groupId, accessId, callback](Core::Result<Core::ActivationPolicy> r) {
            if (r.ok())
                m_policies.insert(policyKey(groupId, accessId), r.value());
            if (guard)
                callback(std::move(r));
        });
}

std::optional<Core::Grant> AccessService::grantFor(const QString &groupId, const QString &accessId) const
{
    for (const auto &g : m_grants)
        if (g.groupId == groupId && g.accessId == accessId)
            return g;
    return std::nullopt;
}

std::optional<Core::AccessRequest> AccessService::openRequestFor(const QString &groupId,
                                                                 const QString &accessId) const
{
    for (const auto &r : m_open)
        if (r.groupId == groupId && (r.accessId.isEmpty() || r.accessId == accessId))
            return r;
    return std::nullopt;
}

void AccessService::request(const Core::Target &target, const Core::ActivationDraft &draftIn,
                            QObject *context, Callback<Core::AccessRequest> callback)
{
    if (m_principalId.isEmpty())
        return callback(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in")));
    Core::ActivationDraft draft = draftIn;
    draft.groupId = target.eligibility.groupId;
    draft.accessId
        = target.eligibility.accessId.isEmpty() ? QStringLiteral("member") : target.eligibility.accessId;
    m_groupNames.insert(draft.groupId, target.eligibility.groupDisplayName);
    QPointer<QObject> guard(context);
    const quint64 generation = m_generation;
    policy(draft.groupId, draft.accessId, this,
           [this, guard, generation, target, draft, callback](Core::Result<Core::ActivationPolicy> policy) {
               if (!guard || generation != m_generation)
                   return;
               if (!policy.ok())
                   return callback(policy.error());
               const QDateTime now = m_clock->now();
               const auto problems = Core::validateDraft(draft, policy.value(), now);
               if (!problems.isEmpty()) {
                   QStringList why;
                   for (auto p : problems)
                       why << PimWording::describe(p, policy.value());
                   Error e = Error::make(Error::Kind::InvalidInput, why.join(u' '), 0,
                                         QStringLiteral("DraftInvalid"));
                   return callback(e);
               }
               // "Now" for PIM is Graph's now: a local clock that runs ahead would schedule the
               // activation instead of starting it.
               m_graph->activate(
                   draft, m_principalId, serverNow(), this,
                   [this, guard, generation, target, draft, now,
                    callback](Core::Result<Core::AccessRequest> sent) {
                       if (generation != m_generation)
                           return;
                       if (sent.ok()) {
                           Core::AccessRequest r = sent.value();
                           if (r.groupDisplayName.isEmpty())
                               r.groupDisplayName = target.eligibility.groupDisplayName;
                           Core::HistoryEntry h;
                           h.requestId = r.id;
                           h.target = target.key();
                           h.groupId = draft.groupId;
                           h.groupName = target.eligibility.groupDisplayName;
                           h.accessId = draft.accessId;
                           // Every time in the history is on Graph's clock, as PIM reports it.
                           h.principalId = m_principalId;
                           h.requestedAt = r.created.isValid() ? r.created : serverNow();
                           h.startAt = r.start.isValid() ? r.start
                               : draft.start.isValid()   ? draft.start
                                                         : serverNow();
                           h.durationSecs = draft.durationSecs;
                           h.endAt = h.startAt.addSecs(draft.durationSecs);
                           h.justification = draft.justification.trimmed();
                           h.ticketSystem = draft.ticketSystem.trimmed();
                           h.ticketNumber = draft.ticketNumber.trimmed();
                           h.status = r.status;
                           const auto phase = r.phase();
                           if (phase == Core::RequestPhase::Denied || phase == Core::RequestPhase::Canceled
                               || phase == Core::RequestPhase::Failed) {
                               h.outcome = phase == Core::RequestPhase::Denied ? QStringLiteral("Denied")
                                   : phase == Core::RequestPhase::Canceled     ? QStringLiteral("Canceled")
                                                                               : QStringLiteral("Failed");
                               h.endedAt = serverNow();
                           }
                           record(h);
                           ++m_localChanges;
                           Q_EMIT requestSubmitted(r);
                           follow(r);
                           if (guard)
                               callback(r);
                           return;
                       }
                       // PIM judged by rules we did not know: the cached policy is out of date.
                       if (!failedPolicyRules(sent.error()).isEmpty())
                           m_policies.remove(policyKey(draft.groupId, draft.accessId));
                       if (guard)
                           callback(sent.error());
                   });
           });
}

void AccessService::follow(const Core::AccessRequest &r)
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

void AccessService::cancel(const QString &requestId, QObject *context,
                           std::function<void(Core::Result<void>)> callback)
{
    QPointer<QObject> guard(context);
    m_graph->cancelRequest(requestId, this, [this, guard, requestId, callback](Core::Result<void> r) {
        if (r.ok()) {
            Core::HistoryEntry h;
            h.requestId = requestId;
            h.status = QStringLiteral("Canceled");
            h.outcome = QStringLiteral("Canceled");
            h.endedAt = serverNow();
            record(h);
            ++m_localChanges;
            m_open.removeIf([&requestId](const Core::AccessRequest &o) { return o.id == requestId; });
            Q_EMIT changed();
        }
        if (guard)
            callback(r);
    });
}

void AccessService::deactivate(const Core::Grant &grant, const QString &justification, QObject *context,
                               Callback<Core::AccessRequest> callback)
{
    if (m_principalId.isEmpty())
        return callback(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in")));
    QPointer<QObject> guard(context);
    m_graph->deactivate(
        grant.groupId, grant.accessId, m_principalId, justification, this,
        [this, guard, grant, callback](Core::Result<Core::AccessRequest> r) {
            const bool gone = r.ok() || r.error().serviceCode == u"RoleAssignmentDoesNotExist";
            if (gone) {
                const QDateTime now = serverNow();
                ++m_localChanges; // a sync under way read the grant before it went
                if (m_history) {
                    const auto open = m_history->openEntries(m_principalId);
                    if (open.ok())
                        for (auto e : open.value())
                            if (e.groupId == grant.groupId
                                && (e.accessId.isEmpty() || e.accessId == grant.accessId)
                                && Core::classifyStatus(e.status) == Core::RequestPhase::Active) {
                                e.outcome = r.ok() ? QStringLiteral("Deactivated") : QStringLiteral("Ended");
                                e.endedAt = now;
                                record(e);
                            }
                }
                const qsizetype before = m_grants.size();
                m_grants.removeIf([&grant](const Core::Grant &g) { return g.id == grant.id; });
                if (m_grants.size() != before)
                    Q_EMIT grantEnded(grant,
                                      r.ok() ? QStringLiteral("Deactivated") : QStringLiteral("Ended"));
                Q_EMIT changed();
            }
            if (guard)
                callback(r);
        });
}

void AccessService::renew(const Core::Target &target, const Core::Grant &grant,
                          const Core::ActivationDraft &draft, QObject *context,
                          Callback<Core::AccessRequest> callback)
{
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    // Once the grant has ended, the new request is sent whatever happens to the caller (a closed
    // form must not leave the user with nothing); only the answer depends on it.
    deactivate(grant, draft.justification, this,
               [this, guard, hadContext, target, draft, callback](Core::Result<Core::AccessRequest> r) {
                   if (!r.ok() && r.error().serviceCode != u"RoleAssignmentDoesNotExist") {
                       if (guard || !hadContext)
                           callback(r.error());
                       return;
                   }
                   request(target, draft, this,
                           [guard, hadContext, callback](Core::Result<Core::AccessRequest> again) {
                               if (!guard && hadContext)
                                   return;
                               if (!again.ok()) {
                                   Error e = again.error();
                                   e.message
                                       = QStringLiteral("the previous activation has ended; requesting it "
                                                        "again failed: ")
                                       + e.message;
                                   e.serviceCode = e.serviceCode.isEmpty()
                                       ? QStringLiteral("RenewRequestFailed")
                                       : e.serviceCode;
                                   return callback(e);
                               }
                               callback(again);
                           });
               });
}

void AccessService::setAutoSync(bool on)
{
    m_autoSync = on;
    if (!on)
        m_timer.stop();
    else if (!m_principalId.isEmpty())
        scheduleSync();
}

void AccessService::scheduleSync()
{
    if (!m_autoSync || m_principalId.isEmpty())
        return;
    qint64 delay = kIdleSecs;
    bool following = false, awaiting = false;
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

void AccessService::sync(QObject *context, std::function<void(Core::Result<void>)> done)
{
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    auto finish = [guard, hadContext, done](Core::Result<void> r) {
        if (done && (guard || !hadContext))
            done(std::move(r));
    };
    if (m_principalId.isEmpty())
        return finish(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in")));
    if (m_syncing) {
        // The sync under way may have read Graph before the caller's change: run once more after it and
        // answer the caller when that run is over (on `changed`, or `syncFailed`), not before.
        m_syncAgain = true;
        if (done) {
            auto connections = std::make_shared<QList<QMetaObject::Connection>>();
            auto answer = [connections, finish](Core::Result<void> r) {
                for (const auto &c : std::exchange(*connections, {}))
                    disconnect(c);
                finish(std::move(r));
            };
            *connections << connect(this, &AccessService::changed, this, [this, answer] {
                if (!m_syncing && !m_syncAgain)
                    answer(Core::Result<void>());
            });
            *connections << connect(this, &AccessService::syncFailed, this, [this, answer](const Error &e) {
                if (!m_syncing && !m_syncAgain)
                    answer(e);
            });
        }
        return;
    }
    m_syncing = true;
    m_timer.stop();
    const quint64 generation = m_generation;
    const quint64 changesAtStart = m_localChanges;
    auto fail = [this, generation, finish](const Error &e) {
        if (generation != m_generation)
            return;
        m_syncing = false;
        Q_EMIT syncFailed(e);
        if (std::exchange(m_syncAgain, false))
            sync();
        else
            scheduleSync();
        finish(e);
    };
    m_graph->listActiveGrants(
        this,
        [this, generation, changesAtStart, guard, hadContext, done, fail,
         finish](Core::Result<QList<Core::Grant>> grants) {
            if (generation != m_generation)
                return;
            if (!grants.ok())
                return fail(grants.error());
            m_graph->listMyRequests(
                QStringLiteral(
                    "status eq 'PendingApproval' or status eq 'Granted' or status eq 'PendingProvisioning'"),
                this,
                [this, generation, changesAtStart, guard, hadContext, done, fail, finish,
                 live = grants.value()](Core::Result<QList<Core::AccessRequest>> open) {
                    if (generation != m_generation)
                        return;
                    if (!open.ok())
                        return fail(open.error());
                    // Requests we know as open but that no longer are: ask for each what became of it.
                    QStringList toLook;
                    // A 404 means "over" only for a request old enough to be past replication lag.
                    QSet<QString> oldEnough;
                    const QDateTime lagLimit = serverNow().addSecs(-10 * 60);
                    if (m_history) {
                        const auto entries = m_history->openEntries(m_principalId);
                        if (entries.ok())
                            for (const auto &e : entries.value()) {
                                if (e.requestedAt.isValid() && e.requestedAt < lagLimit)
                                    oldEnough.insert(e.requestId);
                                if (e.requestId.startsWith(u"grant:"))
                                    continue;
                                const auto phase = Core::classifyStatus(e.status);
                                if (phase == Core::RequestPhase::Active)
                                    continue;
                                const bool listed = std::any_of(
                                    open.value().cbegin(), open.value().cend(),
                                    [&e](const Core::AccessRequest &r) { return r.id == e.requestId; });
                                if (!listed && toLook.size() < kMaxLookups)
                                    toLook << e.requestId;
                            }
                    }
                    for (const auto &r : m_open) {
                        if (r.created.isValid() && r.created < lagLimit)
                            oldEnough.insert(r.id);
                        if (!toLook.contains(r.id)
                            && std::none_of(open.value().cbegin(), open.value().cend(),
                                            [&r](const Core::AccessRequest &o) { return o.id == r.id; })
                            && toLook.size() < kMaxLookups)
                            toLook << r.id;
                    }
                    auto looked = std::make_shared<QHash<QString, Core::AccessRequest>>();
                    auto remaining = std::make_shared<int>(int(toLook.size()));
                    const QList<Core::AccessRequest> openList = open.value();
                    auto complete = [this, generation, changesAtStart, guard, hadContext, done, live,
                                     openList, looked, finish] {
                        if (generation != m_generation)
                            return;
                        if (m_localChanges != changesAtStart) {
                            // Deactivated, canceled or requested meanwhile: what was read may predate
                            // it. Read again rather than show a grant that is gone.
                            m_syncing = false;
                            if (!hadContext || guard)
                                sync(hadContext ? guard.data() : nullptr, done);
                            return;
                        }
                        const QList<Core::AccessRequest> decided = finishSync(live, openList, *looked);
                        if (decided.isEmpty())
                            return finish(Core::Result<void>());
                        // Who decided and why, before the caller hears the sync is done.
                        auto pending = std::make_shared<int>(int(decided.size()));
                        for (const auto &r : decided)
                            settleDecided(r, [pending, finish] {
                                if (--*pending == 0)
                                    finish(Core::Result<void>());
                            });
                    };
                    if (toLook.isEmpty())
                        return complete();
                    for (const QString &id : toLook)
                        m_graph->getRequest(
                            id, this,
                            [looked, remaining, complete, id,
                             old = oldEnough.contains(id)](Core::Result<Core::AccessRequest> r) {
                                if (r.ok())
                                    looked->insert(id, r.value());
                                else if (r.error().httpStatus == 404 && old) {
                                    Core::AccessRequest gone;
                                    gone.id = id;
                                    gone.status = QStringLiteral("Canceled"); // purged by PIM: it is over
                                    looked->insert(id, gone);
                                }
                                if (--*remaining == 0)
                                    complete();
                            });
                });
        });
}

void AccessService::settleDecided(const Core::AccessRequest &request, std::function<void()> done)
{
    // Who decided, and why: the approval's stage says (graph-pim.md §8.2).
    const quint64 generation = m_generation;
    m_graph->getApproval(request.approvalId.isEmpty() ? request.id : request.approvalId, this,
                         [this, generation, request, done](Core::Result<Core::Approval> approval) {
                             if (generation != m_generation)
                                 return done();
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
                             Q_EMIT requestSettled(request, by, why);
                             done();
                         });
}

QList<Core::AccessRequest> AccessService::finishSync(const QList<Core::Grant> &grants,
                                                     const QList<Core::AccessRequest> &listed,
                                                     const QHash<QString, Core::AccessRequest> &looked)
{
    QList<Core::AccessRequest> decided; // by an approver, to be settled with who decided
    QSet<QString> justActivated; // became active in this sync: their grant may not be listed yet
    const QDateTime now = m_clock->now();
    const QDateTime serverTime = serverNow();
    for (const auto &g : grants)
        if (!g.groupDisplayName.isEmpty())
            m_groupNames.insert(g.groupId, g.groupDisplayName);

    QList<Core::AccessRequest> open = listed;
    for (const auto &r : looked)
        if (!Core::isTerminal(r.phase()) && r.phase() != Core::RequestPhase::Unknown)
            open << r;
    for (const auto &r : open)
        if (!r.groupDisplayName.isEmpty())
            m_groupNames.insert(r.groupId, r.groupDisplayName);

    QHash<QString, QString> endedOutcome; // grant group/access -> outcome, for grantEnded
    if (m_history) {
        const auto entries = m_history->openEntries(m_principalId);
        if (entries.ok()) {
            for (Core::HistoryEntry e : entries.value()) {
                Core::HistoryEntry update;
                update.requestId = e.requestId;
                QString status = e.status;
                if (const auto it = looked.constFind(e.requestId); it != looked.cend()) {
                    status = it->status;
                    const auto before = Core::classifyStatus(e.status);
                    const auto phase = it->phase();
                    update.status = status;
                    if (before == Core::RequestPhase::AwaitingApproval && phase == Core::RequestPhase::Active)
                        update.decision = QStringLiteral("Approved");
                    if (phase == Core::RequestPhase::Denied || phase == Core::RequestPhase::Canceled
                        || phase == Core::RequestPhase::Failed) {
                        update.outcome = phase == Core::RequestPhase::Denied ? QStringLiteral("Denied")
                            : phase == Core::RequestPhase::Canceled          ? QStringLiteral("Canceled")
                                                                             : QStringLiteral("Failed");
                        if (phase == Core::RequestPhase::Denied)
                            update.decision = QStringLiteral("Denied");
                        // No approver acted within PIM's 24 hours.
                        if (before == Core::RequestPhase::AwaitingApproval
                            && it->status.compare(u"TimedOut", Qt::CaseInsensitive) == 0)
                            update.outcome = QStringLiteral("Lapsed");
                        update.endedAt = serverTime;
                        record(update);
                        if (before == Core::RequestPhase::AwaitingApproval
                            && phase == Core::RequestPhase::Denied)
                            decided << *it;
                        else
                            Q_EMIT requestSettled(*it, {}, {});
                        continue;
                    }
                    if (phase == Core::RequestPhase::Active) {
                        if (before != Core::RequestPhase::Active)
                            justActivated.insert(e.requestId);
                        if (before == Core::RequestPhase::AwaitingApproval)
                            decided << *it;
                        else
                            Q_EMIT requestSettled(*it, {}, {});
                    }
                    // A status this version does not know: followed for a day, then put on record as it is.
                    if (phase == Core::RequestPhase::Unknown && e.requestedAt.isValid()
                        && e.requestedAt.secsTo(serverTime) > 24 * 3600) {
                        update.outcome = it->status;
                        update.endedAt = serverTime;
                        record(update);
                        continue;
                    }
                } else if (const auto l
                           = std::find_if(listed.cbegin(), listed.cend(),
                                          [&e](const Core::AccessRequest &r) { return r.id == e.requestId; });
                           l != listed.cend()) {
                    if (l->status != e.status) {
                        update.status = l->status;
                        record(update);
                    }
                    continue;
                }
                if (Core::classifyStatus(status) != Core::RequestPhase::Active) {
                    if (!update.status.isEmpty())
                        record(update);
                    continue;
                }
                // Active as far as we know: is the grant still there?
                const auto g = std::find_if(grants.cbegin(), grants.cend(), [&e](const Core::Grant &g) {
                    return g.groupId == e.groupId && (e.accessId.isEmpty() || g.accessId == e.accessId);
                });
                if (g != grants.cend()) {
                    if (g->end.isValid() && g->end != e.endAt)
                        update.endAt = g->end;
                    if (g->start.isValid() && g->start != e.startAt)
                        update.startAt = g->start;
                    if (!update.status.isEmpty() || update.endAt.isValid() || update.startAt.isValid())
                        record(update); // only what changed: this runs on the UI thread
                    continue;
                }
                // Became active in this very sync (the grants were read before): judge next time.
                if (justActivated.contains(e.requestId)) {
                    record(update);
                    continue;
                }
                const QDateTime since = e.startAt.isValid() ? e.startAt : e.requestedAt;
                const bool pastEnd = e.endAt.isValid() && serverTime >= e.endAt.addSecs(-30);
                if (!pastEnd && since.isValid() && since.secsTo(serverTime) < kGrantAppearSecs) {
                    if (!update.status.isEmpty())
                        record(update);
                    continue; // just activated; Graph may not list it yet
                }
                update.outcome = pastEnd ? QStringLiteral("Expired") : QStringLiteral("Ended");
                update.endedAt = pastEnd ? e.endAt : serverTime;
                record(update);
                endedOutcome.insert(e.groupId + u'/' + e.accessId, update.outcome);
            }
        }
        // Grants that came from elsewhere (the portal, another machine): on record too.
        const auto stillOpen = m_history->openEntries(m_principalId);
        for (const auto &g : grants) {
            if (g.assignmentType == u"assigned" || g.isPermanent())
                continue;
            bool known = false;
            if (stillOpen.ok())
                for (const auto &e : stillOpen.value())
                    known = known
                        || (e.groupId == g.groupId && (e.accessId.isEmpty() || e.accessId == g.accessId));
            if (known)
                continue;
            Core::HistoryEntry h;
            h.requestId = QStringLiteral("grant:") + g.id;
            h.target = targetKey(g.groupId, g.groupDisplayName, g.accessId);
            h.groupId = g.groupId;
            h.groupName = m_groupNames.value(g.groupId);
            h.accessId = g.accessId;
            h.requestedAt = g.start;
            h.startAt = g.start;
            h.endAt = g.end;
            h.durationSecs = g.start.isValid() ? g.start.secsTo(g.end) : 0;
            h.status = QStringLiteral("Provisioned");
            record(h);
        }
    }

    const QList<Core::Grant> previous = m_grants;
    m_grants = grants;
    m_open = open;
    m_lastSync = now;
    m_syncing = false;
    for (const auto &p : previous)
        if (std::none_of(grants.cbegin(), grants.cend(), [&p](const Core::Grant &g) { return g.id == p.id; }))
            Q_EMIT grantEnded(p,
                              endedOutcome.value(p.groupId + u'/' + p.accessId,
                                                 serverTime >= p.end.addSecs(-30) ? QStringLiteral("Expired")
                                                                                  : QStringLiteral("Ended")));
    Q_EMIT changed();
    if (std::exchange(m_syncAgain, false))
        sync();
    else
        scheduleSync();
    return decided;
}

} // namespace Elevate::Graph

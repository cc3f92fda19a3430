// SPDX-License-Identifier: GPL-3.0-or-later
#include "approvalservice.h"

#include "pimwording.h"

#include <QLoggingCategory>
#include <QPointer>

namespace Elevate::Graph {

Q_DECLARE_LOGGING_CATEGORY(lcGraph)

using Core::Error;

namespace {
constexpr int kApproverSecs = 120;
constexpr int kOthersSecs = 600;
constexpr int kMaxBackoffSecs = 1800;
/// Per user: someone else signing in on this machine is not an approver because I am.
QString seenKind(const QString &principalId)
{
    return QStringLiteral("approval:") + principalId;
}
} // namespace

ApprovalService::ApprovalService(GraphClient *graph, Core::HistoryStore *history, const Core::Clock *clock,
                                 QObject *parent)
    : QObject(parent)
    , m_graph(graph)
    , m_history(history)
    , m_clock(clock)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { refresh(); });
}

void ApprovalService::setPrincipalId(const QString &id)
{
    if (m_principalId == id)
        return;
    m_principalId = id;
    ++m_generation;
    m_refreshing = false;
    m_pending.clear();
    m_messages.clear();
    m_deciding.clear();
    m_failures = 0;
    m_timer.stop();
    m_isApprover = false;
    if (m_history && !id.isEmpty()) {
        const auto seen = m_history->anySeen(seenKind(id));
        m_isApprover = seen.ok() && seen.value();
    }
    if (!id.isEmpty() && m_autoRefresh)
        refresh();
    Q_EMIT changed();
}

void ApprovalService::setAutoRefresh(bool on)
{
    m_autoRefresh = on;
    if (!on)
        m_timer.stop();
    else if (!m_principalId.isEmpty() && !m_timer.isActive())
        schedule();
}

void ApprovalService::schedule()
{
    if (!m_autoRefresh || m_principalId.isEmpty())
        return;
    int secs = isApprover() ? kApproverSecs : kOthersSecs;
    if (m_failures > 0)
        secs = qMin(kMaxBackoffSecs, 60 << qMin(m_failures - 1, 5));
    m_timer.start(secs * 1000);
}

std::optional<Core::AccessRequest> ApprovalService::pendingRequest(const QString &id) const
{
    for (const auto &r : m_pending)
        if (r.id == id)
            return r;
    return std::nullopt;
}

void ApprovalService::refresh(QObject *context, std::function<void(Core::Result<void>)> done)
{
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    auto finish = [guard, hadContext, done](Core::Result<void> r) {
        if (done && (guard || !hadContext))
            done(std::move(r));
    };
    if (m_principalId.isEmpty())
        return finish(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in")));
    m_timer.stop();
    m_refreshing = true;
    const quint64 generation = m_generation;
    m_graph->listRequestsToApprove(
        this, [this, generation, finish](Core::Result<QList<Core::AccessRequest>> list) {
            if (generation != m_generation)
                return;
            m_refreshing = false;
            if (!list.ok()) {
                ++m_failures;
                Q_EMIT refreshFailed(list.error());
                schedule();
                return finish(list.error());
            }
            m_failures = 0;
            QList<Core::AccessRequest> pending;
            for (const auto &r : list.value())
                if (r.principalId != m_principalId) // never offer self-approval, whatever the service lists
                    pending << r;
            QList<Core::AccessRequest> fresh;
            for (const auto &r : pending) {
                bool isNew = true;
                if (m_history) {
                    const auto marked = m_history->markSeen(seenKind(m_principalId), r.id, m_clock->now());
                    isNew = !marked.ok() || marked.value();
                } else {
                    isNew = std::none_of(m_pending.cbegin(), m_pending.cend(),
                                         [&r](const Core::AccessRequest &p) { return p.id == r.id; });
                }
                if (isNew)
                    fresh << r;
            }
            m_pending = pending;
            if (!pending.isEmpty())
                m_isApprover = true;
            m_lastRefresh = m_clock->now();
            Q_EMIT changed();
            if (!fresh.isEmpty())
                Q_EMIT arrived(fresh);
            schedule();
            finish(Core::Result<void>());
        });
}

void ApprovalService::decide(const QStringList &ids, bool approve, const QString &justification,
                             QObject *context, std::function<void(QList<Outcome>)> done)
{
    QPointer<QObject> guard(context);
    if (justification.trimmed().isEmpty()) {
        QList<Outcome> out;
        for (const auto &id : ids)
            out.append({id,
                        Error::make(Error::Kind::InvalidInput,
                                    PimWording::tr("A justification is required for a decision."), 0,
                                    QStringLiteral("JustificationMissing"))});
        if (guard)
            done(out);
        return;
    }
    struct Batch
    {
        QList<Outcome> outcomes;
        int remaining = 0;
    };
    auto batch = std::make_shared<Batch>();
    for (const QString &id : ids)
        batch->outcomes.append({id, Core::Result<Core::Approval>()});
    // A request already being decided (another window, a second press) is not sent again: the two
    // would race, and the loser would report the user's own decision as someone else's.
    QList<int> toSend;
    for (int i = 0; i < ids.size(); ++i) {
        if (m_deciding.contains(ids.at(i)) || ids.indexOf(ids.at(i)) != i)
            batch->outcomes[i].result = Error::make(
                Error::Kind::InvalidInput, PimWording::tr("A decision on this request is already under way."),
                0, QStringLiteral("DecisionInProgress"));
        else
            toSend << i;
    }
    batch->remaining = int(toSend.size());
    if (toSend.isEmpty()) {
        if (guard)
            done(batch->outcomes);
        return;
    }
    for (const int i : toSend) {
        const QString id = ids.at(i);
        m_deciding.insert(id);
        // For groups the approval id is the request id; prefer what the request says.
        QString approvalId = id;
        if (const auto r = pendingRequest(id); r && !r->approvalId.isEmpty())
            approvalId = r->approvalId;
        m_graph->decide(
            approvalId, approve, justification, this,
            [this, guard, done, batch, i, id, approve](Core::Result<Core::Approval> result) {
                m_deciding.remove(id);
                if (result.ok())
                    m_messages.insert(
                        id, approve ? PimWording::tr("You approved it") : PimWording::tr("You denied it"));
                else if (result.error().serviceCode == u"AlreadyDecided")
                    m_messages.insert(
                        id, PimWording::tr("Someone else decided first: %1").arg(result.error().message));
                else
                    m_messages.insert(id,
                                      PimWording::describe(result.error()).isEmpty()
                                          ? result.error().message
                                          : PimWording::describe(result.error()));
                if (result.ok() || result.error().serviceCode == u"AlreadyDecided"
                    || result.error().httpStatus == 404)
                    m_pending.removeIf([&id](const Core::AccessRequest &r) { return r.id == id; });
                batch->outcomes[i].result = std::move(result);
                Q_EMIT changed();
                if (--batch->remaining == 0) {
                    if (guard)
                        done(batch->outcomes);
                    refresh();
                }
            });
    }
}

} // namespace Elevate::Graph

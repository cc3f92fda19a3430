// SPDX-License-Identifier: GPL-3.0-or-later
#include "bridge.h"

#include "bridgestate.h"
#include "clientcredentials.h"
#include "core/targetmapper.h"
#include "eventlog.h"
#include "metrics.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QRegularExpression>

namespace Elevate::Bridge {

using Core::Error;

namespace {
const QString kReadAssignments = QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup");
const QString kReadWriteAssignments = QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup");
const QString kSyncReadWrite = QStringLiteral("Synchronization.ReadWrite.All");
const QString kOwnedBy = QStringLiteral("Application.ReadWrite.OwnedBy");
const QString kGroupRead = QStringLiteral("Group.Read.All");
constexpr int kJobRecheckSecs = 60;
constexpr int kPruneDays = 30;

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

bool isGuid(const QString &s)
{
    static const QRegularExpression re(
        QStringLiteral("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
    return re.match(s).hasMatch();
}

/// A Failure whose reason says the object is gone or not provisioned by this job: retrying cannot help.
bool permanentFailure(const QString &reason)
{
    return reason.contains(u"NotFound", Qt::CaseInsensitive) || reason.contains(u"scope", Qt::CaseInsensitive)
        || reason.contains(u"NotExist", Qt::CaseInsensitive);
}

QString key(const QString &groupId, const QString &principalId)
{
    return groupId + u'/' + principalId;
}
} // namespace

Bridge::Bridge(BridgeConfig config, Graph::GraphClient *graph, ClientCredentialsProvider *tokens,
               BridgeState *state, Metrics *metrics, EventLog *events, const Core::Clock *clock,
               Options options, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_graph(graph)
    , m_tokens(tokens)
    , m_state(state)
    , m_metrics(metrics)
    , m_events(events)
    , m_clock(clock)
    , m_options(options)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { cycle(); });
    connect(m_graph, &Graph::GraphClient::requestSent, this, [this] { m_metrics->countGraphRequests(); });
    connect(m_graph, &Graph::GraphClient::throttled, this, [this](const QDateTime &retryAt, const QString &) {
        const QString service = m_pushing ? QStringLiteral("provisioning") : QStringLiteral("graph");
        m_metrics->countThrottled(service);
        m_events->warning(QStringLiteral("throttled"),
                          {{QStringLiteral("service"), service},
                           {QStringLiteral("retryAfter"), double(m_clock->now().secsTo(retryAt))}});
    });
}

Bridge::~Bridge() = default;

QStringList Bridge::missingPermissions(const QStringList &granted, bool needsGroupList)
{
    auto has = [&granted](const QString &role) { return granted.contains(role, Qt::CaseInsensitive); };
    QStringList missing;
    if (!has(kReadAssignments) && !has(kReadWriteAssignments))
        missing << kReadAssignments;
    if (!has(kSyncReadWrite) && !has(kOwnedBy))
        missing << QStringLiteral("%1 (or %2 as an owner of the Identity Center service principal)")
                       .arg(kSyncReadWrite, kOwnedBy);
    if (needsGroupList && !has(kGroupRead))
        missing << QStringLiteral("%1 (to find the mapped groups by name; or list them in bridge.groupIds)")
                       .arg(kGroupRead);
    return missing;
}

bool Bridge::needsGroupList() const
{
    if (!m_config.groupIds.isEmpty())
        return false;
    if (!m_config.app.mapping.pattern.isEmpty())
        return true;
    for (auto it = m_config.app.mapping.groups.cbegin(); it != m_config.app.mapping.groups.cend(); ++it)
        if (!isGuid(it.key()))
            return true;
    return false;
}

QStringList Bridge::watchedGroups() const
{
    QStringList out;
    for (const QString &g : m_groups)
        if (!m_droppedGroups.contains(g))
            out << g;
    return out;
}

void Bridge::fail(const Error &error, int exitCode)
{
    m_fatal = true;
    m_busy = false;
    m_timer.stop();
    m_events->error(QStringLiteral("error"),
                    {{QStringLiteral("kind"), QStringLiteral("fatal")},
                     {QStringLiteral("message"), error.message},
                     {QStringLiteral("exitCode"), exitCode}});
    Q_EMIT fatal(error, exitCode);
}

bool Bridge::stateWrite(const Core::Result<void> &written)
{
    if (written.ok())
        return true;
    m_metrics->countError(QStringLiteral("state"));
    m_events->error(QStringLiteral("error"),
                    {{QStringLiteral("kind"), QStringLiteral("state")},
                     {QStringLiteral("message"), written.error().message}});
    return false;
}

void Bridge::start()
{
    m_once = false;
    startup([this] { cycle(); });
}

void Bridge::runOnce()
{
    m_once = true;
    startup([this] { cycle(); });
}

void Bridge::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_timer.stop();
    m_events->info(QStringLiteral("stopping"));
    if (!m_busy)
        QTimer::singleShot(0, this, [this] {
            m_events->info(QStringLiteral("stopped"));
            Q_EMIT stopped();
        });
}

void Bridge::startup(std::function<void()> then)
{
    if (m_ready)
        return then();
    m_busy = true;
    const auto rows = m_state->memberships();
    m_emptyAtStart = rows.ok() && rows->isEmpty();
    m_lastPrune = QDateTime::fromString(m_state->fact(QStringLiteral("lastPrune")), Qt::ISODateWithMs);
    m_events->info(QStringLiteral("started"),
                   {{QStringLiteral("dryRun"), m_options.dryRun},
                    {QStringLiteral("once"), m_once},
                    {QStringLiteral("pollSeconds"), m_config.pollSeconds}});
    m_tokens->requestAccessToken(m_config.app.graphResource, this, [this, then](Core::Result<QString> token) {
        if (m_stopping) {
            m_busy = false;
            return finishCycle(false);
        }
        if (!token.ok()) {
            m_metrics->countError(QStringLiteral("token"));
            if (token.error().serviceCode.startsWith(u"AADSTS"))
                return fail(token.error(), 4);
            m_events->error(QStringLiteral("error"),
                            {{QStringLiteral("kind"), QStringLiteral("token")},
                             {QStringLiteral("message"), token.error().message}});
            if (m_once)
                return fail(token.error(), 1);
            m_busy = false;
            m_timer.start(m_config.pollSeconds * 1000);
            return;
        }
        const QStringList missing = missingPermissions(m_tokens->grantedRoles(), needsGroupList());
        if (!missing.isEmpty()) {
            m_metrics->countError(QStringLiteral("permission"));
            return fail(Error::make(Error::Kind::Config,
                                    QStringLiteral("the bridge's app registration lacks the application "
                                                   "permission %1 (grant it with admin consent)")
                                        .arg(missing.join(QStringLiteral(", "))),
                                    403, QStringLiteral("PermissionMissing")),
                        5);
        }
        checkJob([this, then] {
            if (m_fatal)
                return;
            m_ready = true;
            m_busy = false;
            then();
        });
    });
}

void Bridge::checkJob(std::function<void()> then)
{
    m_jobChecked = m_clock->now();
    m_graph->getSyncJob(
        m_config.app.aws.scimServicePrincipalId, this, [this, then](Core::Result<Graph::SyncJob> job) {
            if (!job.ok()) {
                m_metrics->countError(QStringLiteral("job"));
                if (job.error().httpStatus == 404)
                    return fail(
                        Error::make(Error::Kind::Config,
                                    QStringLiteral("the provisioning job of service principal %1 cannot be "
                                                   "found (%2)")
                                        .arg(m_config.app.aws.scimServicePrincipalId, job.error().message),
                                    404, job.error().serviceCode),
                        6);
                if (job.error().httpStatus == 403)
                    m_metrics->countError(QStringLiteral("permission"));
                m_events->error(QStringLiteral("error"),
                                {{QStringLiteral("kind"), QStringLiteral("job")},
                                 {QStringLiteral("message"), job.error().message}});
                return then();
            }
            const bool wasActive = m_jobKnown && m_job.isActive();
            const bool first = !m_jobKnown;
            m_job = job.value();
            m_jobKnown = true;
            m_metrics->setJobActive(m_job.isActive());
            const QJsonObject fields {{QStringLiteral("id"), m_job.id},
                                      {QStringLiteral("scheduleState"), m_job.scheduleState},
                                      {QStringLiteral("statusCode"), m_job.statusCode},
                                      {QStringLiteral("quarantineReason"), m_job.quarantineReason},
                                      {QStringLiteral("active"), m_job.isActive()}};
            if (!m_job.isActive()) {
                m_metrics->countError(QStringLiteral("job"));
                m_events->warning(QStringLiteral("job"), fields);
            } else if (first || !wasActive) {
                m_events->info(QStringLiteral("job"), fields);
            }
            stateWrite(m_state->setFact(QStringLiteral("jobStatus"),
                                        m_job.isActive() ? QStringLiteral("Active") : m_job.statusCode));
            then();
        });
}

void Bridge::cycle()
{
    if (m_stopping || m_fatal || m_busy)
        return;
    if (!m_ready)
        return startup([this] { cycle(); });
    m_busy = true;
    auto afterJob = [this] {
        if (m_stopping)
            return finishCycle(false);
        refreshGroups([this] {
            if (m_stopping)
                return finishCycle(false);
            poll([this](bool ok) {
                if (m_stopping)
                    return finishCycle(ok);
                pushAll([this, ok] { finishCycle(ok); });
            });
        });
    };
    const bool recheck
        = m_jobKnown && !m_job.isActive() && m_jobChecked.secsTo(m_clock->now()) >= kJobRecheckSecs;
    if (recheck || (!m_jobKnown && m_jobChecked.secsTo(m_clock->now()) >= kJobRecheckSecs))
        return checkJob(afterJob);
    afterJob();
}

void Bridge::refreshGroups(std::function<void()> then)
{
    const QDateTime now = m_clock->now();
    if (!m_groups.isEmpty() && m_groupsRefreshed.isValid()
        && m_groupsRefreshed.secsTo(now) < qint64(m_config.groupRefreshMinutes) * 60)
        return then();
    QStringList fixed = m_config.groupIds;
    if (fixed.isEmpty())
        for (auto it = m_config.app.mapping.groups.cbegin(); it != m_config.app.mapping.groups.cend(); ++it)
            if (isGuid(it.key()))
                fixed << it.key().toLower();
    auto announce = [this, then](const QStringList &groups) {
        QStringList unique;
        for (const QString &g : groups)
            if (!unique.contains(g, Qt::CaseInsensitive))
                unique << g;
        const bool changed = unique != m_groups;
        m_groups = unique;
        m_groupsRefreshed = m_clock->now();
        m_metrics->setWatchedGroups(int(watchedGroups().size()));
        if (changed)
            m_events->info(QStringLiteral("groups"),
                           {{QStringLiteral("watched"), int(watchedGroups().size())},
                            {QStringLiteral("groupIds"), QJsonArray::fromStringList(unique)}});
        then();
    };
    if (!needsGroupList())
        return announce(fixed);
    m_graph->listGroups({}, this, [this, fixed, announce](Core::Result<QList<Graph::GroupInfo>> groups) {
        if (!groups.ok()) {
            m_metrics->countError(QStringLiteral("graph"));
            m_events->error(QStringLiteral("error"),
                            {{QStringLiteral("kind"), QStringLiteral("groups")},
                             {QStringLiteral("message"), groups.error().message}});
            // Keep what was watched; the next cycle asks again.
            m_groupsRefreshed = QDateTime();
            return announce(m_groups.isEmpty() ? fixed : m_groups);
        }
        const Core::TargetMapper mapper(m_config.app.mapping);
        QStringList all = fixed;
        for (const auto &g : groups.value()) {
            Core::Eligibility e;
            e.groupId = g.id;
            e.groupDisplayName = g.displayName;
            e.access = Core::AccessKind::Member;
            if (mapper.map(e))
                all << g.id;
        }
        announce(all);
    });
}

void Bridge::poll(std::function<void(bool)> then)
{
    const QStringList groups = watchedGroups();
    m_callsAtPollStart = m_graph->requestsSent();
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    m_graph->listGroupAssignments(groups, this, [this, groups, timer, then](auto answer) {
        const QDateTime now = m_clock->now();
        const qint64 calls = m_graph->requestsSent() - m_callsAtPollStart;
        if (!answer.ok()) {
            m_lastPollOk = false;
            m_metrics->countPoll(false);
            m_metrics->countError(QStringLiteral("graph"));
            m_events->error(QStringLiteral("error"),
                            {{QStringLiteral("kind"), QStringLiteral("poll")},
                             {QStringLiteral("message"), answer.error().message}});
            return then(false);
        }
        auto rows = m_state->memberships();
        if (!rows.ok()) {
            m_lastPollOk = false;
            m_metrics->countPoll(false);
            m_metrics->countError(QStringLiteral("state"));
            m_events->error(QStringLiteral("error"),
                            {{QStringLiteral("kind"), QStringLiteral("state")},
                             {QStringLiteral("message"), rows.error().message}});
            return then(false);
        }
        QHash<QString, Membership> known;
        for (const auto &m : rows.value())
            known.insert(key(m.groupId, m.principalId), m);
        const bool baselineRun = m_firstCycle && m_emptyAtStart;
        const QDateTime catchUpSince = now.addSecs(-qint64(m_config.catchUpMinutes) * 60);
        int instances = 0, added = 0, ended = 0, failedGroups = 0;
        bool stateOk = true;
        auto save = [this, &stateOk](const Membership &m) {
            if (auto r = m_state->save(m); !r.ok()) {
                stateOk = false;
                m_metrics->countError(QStringLiteral("state"));
                m_events->error(QStringLiteral("error"),
                                {{QStringLiteral("kind"), QStringLiteral("state")},
                                 {QStringLiteral("message"), r.error().message}});
            }
        };
        for (const QString &groupId : groups) {
            const auto result = answer->value(groupId);
            QList<Graph::GroupAssignment> listed;
            if (!result.ok()) {
                if (result.error().httpStatus != 404) {
                    ++failedGroups;
                    const bool permission = result.error().httpStatus == 403;
                    m_metrics->countError(permission ? QStringLiteral("permission")
                                                     : QStringLiteral("graph"));
                    m_events->error(
                        QStringLiteral("error"),
                        {{QStringLiteral("kind"),
                          permission ? QStringLiteral("permission") : QStringLiteral("graph")},
                         {QStringLiteral("group"), groupId},
                         {QStringLiteral("message"),
                          permission
                              ? QStringLiteral("%1 (needs %2)").arg(result.error().message, kReadAssignments)
                              : result.error().message}});
                    continue; // its rows stay as they are
                }
                if (!m_goneGroups.contains(groupId)) {
                    m_goneGroups.insert(groupId);
                    m_metrics->countError(QStringLiteral("group"));
                    m_events->warning(
                        QStringLiteral("error"),
                        {{QStringLiteral("kind"), QStringLiteral("group")},
                         {QStringLiteral("group"), groupId},
                         {QStringLiteral("message"),
                          QStringLiteral("the group no longer exists; its members' ends are pushed "
                                         "once, then it is no longer watched")}});
                }
            } else {
                listed = result.value();
            }
            QSet<QString> present;
            for (const auto &a : std::as_const(listed)) {
                if (a.access != Core::AccessKind::Member || present.contains(a.principalId))
                    continue; // owners are not provisioned; one row per member
                present.insert(a.principalId);
                ++instances;
                const QString k = key(groupId, a.principalId);
                const auto it = known.constFind(k);
                const bool comesBack
                    = it != known.cend() && it->endedSeen.isValid() && it->endPushed.isValid();
                if (it == known.cend() || comesBack) {
                    Membership m;
                    m.groupId = groupId;
                    m.principalId = a.principalId;
                    m.instanceId = a.id;
                    m.assignmentType = a.assignmentType;
                    m.start = a.start;
                    m.end = a.end;
                    m.firstSeen = now;
                    m.lastSeen = now;
                    m.baseline = baselineRun && (!a.start.isValid() || a.start < catchUpSince);
                    save(m);
                    known.insert(k, m);
                    if (!m.baseline)
                        ++added;
                } else if (it->endedSeen.isValid()) {
                    // Listed again before its end was pushed: still a member, nothing to end.
                    Membership m = it.value();
                    m.endedSeen = QDateTime();
                    m.lastSeen = now;
                    m.nextAttempt = QDateTime();
                    m.attempts = 0;
                    save(m);
                    known.insert(k, m);
                }
            }
            for (auto it = known.begin(); it != known.end(); ++it) {
                if (it->groupId != groupId || present.contains(it->principalId) || it->endedSeen.isValid())
                    continue;
                it->endedSeen = now;
                it->lastSeen = now;
                it->nextAttempt = QDateTime();
                it->attempts = 0;
                save(it.value());
                ++ended;
            }
        }
        m_firstCycle = false;
        m_lastPoll = now;
        m_lastPollOk = stateOk;
        m_metrics->countPoll(stateOk);
        if (stateOk)
            m_metrics->setLastSuccess(now);
        m_metrics->setQueueLength(pendingCount());
        m_events->info(QStringLiteral("poll"),
                       {{QStringLiteral("groups"), int(groups.size())},
                        {QStringLiteral("failedGroups"), failedGroups},
                        {QStringLiteral("instances"), instances},
                        {QStringLiteral("new"), added},
                        {QStringLiteral("ended"), ended},
                        {QStringLiteral("graphCalls"), double(calls)},
                        {QStringLiteral("ms"), double(timer->elapsed())}});
        then(stateOk);
    });
}

int Bridge::pendingCount() const
{
    const auto rows = m_state->memberships();
    if (!rows.ok())
        return 0;
    int n = 0;
    for (const auto &m : rows.value())
        if (m.needsStartPush() || m.needsEndPush())
            ++n;
    return n;
}

void Bridge::pushAll(std::function<void()> then)
{
    const auto rows = m_state->memberships();
    if (!rows.ok())
        return then();
    const QDateTime now = m_clock->now();
    if (m_jobKnown && !m_job.isActive()) {
        // Queued until the job is Active again (re-checked at most once a minute).
        m_metrics->setQueueLength(pendingCount());
        return then();
    }
    if (!m_jobKnown)
        return then();
    // Per group, in the order seen, up to 5 members a call: starts and ends together.
    QStringList order;
    QHash<QString, QList<QPair<Membership, QString>>> byGroup;
    for (const auto &m : rows.value()) {
        const bool start = m.needsStartPush(), end = m.needsEndPush();
        if (!start && !end)
            continue;
        if (m.nextAttempt.isValid() && m.nextAttempt > now)
            continue;
        if (!byGroup.contains(m.groupId))
            order << m.groupId;
        byGroup[m.groupId].append({m, start ? QStringLiteral("start") : QStringLiteral("end")});
    }
    auto queue = std::make_shared<QList<Push>>();
    for (const QString &g : std::as_const(order)) {
        const auto &members = byGroup.value(g);
        for (qsizetype i = 0; i < members.size(); i += Graph::GraphClient::kMaxProvisionMembers) {
            Push p;
            p.groupId = g;
            for (const auto &[m, kind] : members.mid(i, Graph::GraphClient::kMaxProvisionMembers)) {
                p.rows << m;
                p.kinds << kind;
            }
            *queue << p;
        }
    }
    // Groups that are gone and have nothing left to push are no longer watched.
    for (const QString &g : std::as_const(m_goneGroups))
        if (!byGroup.contains(g) && !m_droppedGroups.contains(g)) {
            bool pending = false;
            for (const auto &m : rows.value())
                pending = pending || (m.groupId == g && (m.needsStartPush() || m.needsEndPush()));
            if (!pending) {
                m_droppedGroups.insert(g);
                m_metrics->setWatchedGroups(int(watchedGroups().size()));
                m_events->info(QStringLiteral("groups"),
                               {{QStringLiteral("dropped"), g},
                                {QStringLiteral("watched"), int(watchedGroups().size())}});
            }
        }
    pushNext(queue, then);
}

void Bridge::waitUntil(const QDateTime &at, qint64 ms, std::function<void()> then)
{
    // Ends when the injected clock reaches `at` or the monotonic deadline passes (like Graph's waits).
    auto deadline = std::make_shared<QDeadlineTimer>(ms);
    auto tick = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak = tick;
    *tick = [this, at, deadline, then, weak] {
        const auto self = weak.lock();
        const qint64 left = qMin(m_clock->now().msecsTo(at), deadline->remainingTime());
        if (left <= 0 || m_stopping)
            return then();
        QTimer::singleShot(int(qMin<qint64>(left, 250)), this, [self] { (*self)(); });
    };
    (*tick)();
}

void Bridge::pushNext(std::shared_ptr<QList<Push>> queue, std::function<void()> then)
{
    if (queue->isEmpty() || m_stopping)
        return then();
    const QDateTime now = m_clock->now();
    if (m_holdUntil.isValid() && m_holdUntil > now)
        return waitUntil(m_holdUntil, now.msecsTo(m_holdUntil),
                         [this, queue, then] { pushNext(queue, then); });
    if (!m_options.dryRun) {
        m_pushTimes.removeIf(
            [now](const auto &p) { return p.first.secsTo(now) >= kPushWindowSecs || p.second.hasExpired(); });
        if (m_pushTimes.size() >= kPushesPerWindow) {
            const auto &oldest = m_pushTimes.first();
            const QDateTime at = oldest.first.addSecs(kPushWindowSecs);
            return waitUntil(at, oldest.second.remainingTime(),
                             [this, queue, then] { pushNext(queue, then); });
        }
    }
    const Push push = queue->takeFirst();
    QStringList principals;
    for (const auto &m : push.rows)
        principals << m.principalId;
    if (m_options.dryRun) {
        m_metrics->countPush(QStringLiteral("DryRun"));
        m_events->info(QStringLiteral("push"),
                       {{QStringLiteral("group"), push.groupId},
                        {QStringLiteral("members"), QJsonArray::fromStringList(principals)},
                        {QStringLiteral("kind"), push.kinds.join(u',')},
                        {QStringLiteral("result"), QStringLiteral("DryRun")},
                        {QStringLiteral("wouldPush"), true}});
        return pushNext(queue, then);
    }
    m_pushTimes.append({now, QDeadlineTimer(qint64(kPushWindowSecs) * 1000)});
    m_pushing = true;
    m_graph->provisionMembers(m_config.app.aws.scimServicePrincipalId, push.groupId, principals, this,
                              [this, push, queue, then](Core::Result<Graph::ProvisionOutcome> outcome) {
                                  m_pushing = false;
                                  pushed(push, outcome);
                                  pushNext(queue, then);
                              });
}

void Bridge::pushed(const Push &push, const Core::Result<Graph::ProvisionOutcome> &outcome)
{
    const QDateTime now = m_clock->now();
    QStringList principals;
    for (const auto &m : push.rows)
        principals << m.principalId;
    PushRecord record;
    record.at = now;
    record.groupId = push.groupId;
    record.principalIds = principals;
    QString result, reason;
    bool done = false;
    bool warn = false;
    if (outcome.ok()) {
        result = outcome->result;
        reason = outcome->reason;
        if (result == u"Success" || result == u"Skipped" || result == u"RedundantExport") {
            done = true;
        } else if (permanentFailure(reason)) {
            done = true;
            warn = true;
        }
    } else {
        const Error &e = outcome.error();
        result = e.httpStatus == 429 ? QStringLiteral("Throttled") : QStringLiteral("Error");
        reason = e.message;
        if (e.httpStatus == 429)
            m_holdUntil = now.addSecs(60);
        if (e.httpStatus == 403) {
            m_metrics->countError(QStringLiteral("permission"));
            reason
                = QStringLiteral("%1 (needs %2, or %3 as an owner of the Identity Center service principal)")
                      .arg(e.message, kSyncReadWrite, kOwnedBy);
            m_events->error(QStringLiteral("error"),
                            {{QStringLiteral("kind"), QStringLiteral("permission")},
                             {QStringLiteral("message"), reason}});
        } else {
            m_metrics->countError(QStringLiteral("graph"));
        }
    }
    record.result = result;
    record.reason = reason;
    stateWrite(m_state->logPush(record));
    m_metrics->countPush(result);
    double latency = -1;
    for (qsizetype i = 0; i < push.rows.size(); ++i) {
        Membership m = push.rows.at(i);
        const bool start = push.kinds.at(i) == u"start";
        m.lastResult = reason.isEmpty() ? result : result + QStringLiteral(": ") + reason;
        if (done) {
            if (start) {
                m.startPushed = now;
                if (m.start.isValid() && !warn) {
                    const double seconds = qMax<qint64>(0, m.start.msecsTo(now)) / 1000.0;
                    m_metrics->observePushLatency(seconds);
                    latency = qMax(latency, seconds);
                }
            } else {
                m.endPushed = now;
            }
            m.attempts = 0;
            m.nextAttempt = QDateTime();
        } else {
            ++m.attempts;
            const qint64 minutes = qMin<qint64>(kMaxBackoffMinutes, qint64(1) << qMin(m.attempts - 1, 5));
            m.nextAttempt = now.addSecs(minutes * 60);
        }
        if (auto r = m_state->save(m); !r.ok()) {
            m_metrics->countError(QStringLiteral("state"));
            m_events->error(QStringLiteral("error"),
                            {{QStringLiteral("kind"), QStringLiteral("state")},
                             {QStringLiteral("message"), r.error().message}});
        }
    }
    m_lastPush = now;
    m_lastPushOk = done && !warn;
    if (done && !warn)
        m_metrics->setLastPushSuccess(now);
    m_metrics->setQueueLength(pendingCount());
    QJsonObject fields {{QStringLiteral("group"), push.groupId},
                        {QStringLiteral("members"), QJsonArray::fromStringList(principals)},
                        {QStringLiteral("kind"), QStringList(push.kinds).join(u',')},
                        {QStringLiteral("result"), result},
                        {QStringLiteral("reason"), reason}};
    if (latency >= 0)
        fields.insert(QStringLiteral("latencySeconds"), latency);
    if (done && !warn)
        m_events->info(QStringLiteral("push"), fields);
    else if (done)
        m_events->warning(QStringLiteral("push"), fields);
    else
        m_events->error(QStringLiteral("push"), fields);
}

void Bridge::finishCycle(bool ok)
{
    const QDateTime now = m_clock->now();
    if (!m_stopping && (!m_lastPrune.isValid() || m_lastPrune.secsTo(now) >= 24 * 3600)) {
        if (m_state->prune(now.addDays(-kPruneDays)).ok()) {
            m_lastPrune = now;
            stateWrite(m_state->setFact(QStringLiteral("lastPrune"), iso(now)));
        }
    }
    m_busy = false;
    Q_EMIT cycleFinished(ok);
    if (m_stopping) {
        m_events->info(QStringLiteral("stopped"));
        Q_EMIT stopped();
        return;
    }
    if (!m_once && !m_fatal)
        m_timer.start(m_config.pollSeconds * 1000);
}

QJsonObject Bridge::health() const
{
    QString status;
    if (m_fatal || (!m_lastPollOk && m_lastPoll.isValid()))
        status = QStringLiteral("failing");
    else if (!m_ready || !m_lastPoll.isValid())
        status = QStringLiteral("starting");
    else if ((m_jobKnown && !m_job.isActive()) || !m_lastPushOk || !m_goneGroups.isEmpty())
        status = QStringLiteral("degraded");
    else
        status = QStringLiteral("ok");
    QJsonObject job;
    if (m_jobKnown)
        job = {{QStringLiteral("id"), m_job.id},
               {QStringLiteral("scheduleState"), m_job.scheduleState},
               {QStringLiteral("statusCode"), m_job.statusCode},
               {QStringLiteral("active"), m_job.isActive()}};
    return {{QStringLiteral("status"), status},
            {QStringLiteral("lastPoll"), iso(m_lastPoll)},
            {QStringLiteral("lastPush"), iso(m_lastPush)},
            {QStringLiteral("queue"), m_metrics->queueLength()},
            {QStringLiteral("job"), job},
            {QStringLiteral("watchedGroups"), int(watchedGroups().size())},
            {QStringLiteral("dryRun"), m_options.dryRun}};
}

} // namespace Elevate::Bridge

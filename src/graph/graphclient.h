// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The UI and the CLI code against this API: members may be added, none renamed or removed.

#include "core/accesstokenprovider.h"
#include "core/clock.h"
#include "core/model.h"
#include "core/pim.h"
#include "core/result.h"
#include "net/authorizedcall.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <functional>

namespace Elevate::Net {
class HttpClient;
}

namespace Elevate::Graph {

struct ActivationAttempt;

/// The signed-in user as Graph reports it (`GET /me`).
/// One page of a Graph collection.
template<typename T> struct Page
{
    QList<T> items;
    QString nextLink; // empty on the last page
};

struct GraphUser
{
    QString id;
    QString displayName;
    QString userPrincipalName;
    QString mail;
};

/// A group as `GET /groups/{id}?$select=id,displayName,description` shows it.
struct GroupInfo
{
    QString id;
    QString displayName;
    QString description;
};

struct GroupLookup;
struct BatchRun;

/// One assignment schedule instance of a group as an app-only read shows it (graph-pim.md §4):
/// who is a member or owner, from when to when. Enums lower-case; dates invalid when null or missing.
struct GroupAssignment
{
    QString id;
    QString groupId;
    QString principalId;
    Core::AccessKind access = Core::AccessKind::Member;
    QString assignmentType; // "activated" / "assigned"
    QDateTime start;
    QDateTime end; // invalid: permanent
};

/// A provisioning job as `GET /servicePrincipals/{id}/synchronization/jobs` shows it (§12.1), with the
/// id of the rule that provisions from Entra ID (§12.2).
struct SyncJob
{
    QString id;
    QString ruleId;
    QString scheduleState; // schedule.state: Active, Disabled, Paused
    QString statusCode; // status.code: NotConfigured, NotRun, Active, Paused, Quarantine
    QString quarantineReason; // status.quarantine.reason (empty: not in quarantine)

    bool isActive() const
    {
        return scheduleState.compare(u"Active", Qt::CaseInsensitive) == 0
            && statusCode.compare(u"Quarantine", Qt::CaseInsensitive) != 0 && quarantineReason.isEmpty();
    }
};

/// What one provisionOnDemand call did (§12.3): "Success", "Skipped", "RedundantExport" (skipped,
/// already in sync) or "Failure"; `reason` is the service's code or words (errorCode, skipReason).
struct ProvisionOutcome
{
    QString result;
    QString reason;
};

/**
 * Microsoft Graph PIM-for-Groups client. Gets bearer tokens through AccessTokenProvider (never
 * from auth directly); on a 401 it invalidates the token and retries once; on a claims challenge
 * (401 insufficient_claims, 400 …AcrsValidationFailed) it asks the provider for a step-up token and
 * retries the identical call once. Reads honour Retry-After on 429/503/504; writes only on 429 (a
 * throttled write was not carried out). Retry-After is honoured in full (seconds, fractions or an
 * HTTP-date, against the injected clock), without one the call backs off; a call gives up with the
 * service's answer only when the next wait would take it past kThrottleBudgetSecs. `throttled` fires
 * once for every such wait. Follows @odata.nextLink only within the configured base URL's origin, and
 * as long as it does not come back to a link it has already followed. Every callback runs exactly
 * once (unless `context` is destroyed first).
 *
 *   activate():  POST ──201──▶ request
 *                  │ timeout / dropped / 5xx / unreadable 2xx: did it land?
 *                  └─▶ GET my requests for the group ──found──▶ that request (no duplicate)
 *                           ▲                        └─none──▶ inside the replication window of
 *                           └──── 2 s, 4 s, 8 s … ◀───────────  the POST: not visible yet, look again;
 *                                                               after it: POST again (bounded)
 */
class GraphClient : public QObject
{
    Q_OBJECT
public:
    GraphClient(QUrl baseUrl, QString resource, Net::HttpClient *http, Core::AccessTokenProvider *tokens,
                QObject *parent = nullptr);

    /// How long one call keeps honouring throttling (Retry-After or backoff) before it answers with
    /// the throttled response: Graph's throttling windows last minutes, and a count of tries would
    /// give up while Graph is still asking to wait.
    static constexpr qint64 kThrottleBudgetSecs = 15 * 60;

    template<typename T> using Callback = std::function<void(Core::Result<T>)>;

    void getMe(QObject *context, std::function<void(Core::Result<GraphUser>)> callback);
    /// All pages of eligibilityScheduleInstances/filterByCurrentUser(on='principal') with $expand=group.
    /// Graph sometimes expands `group` as null: those names come from lookupGroups(); a group it will
    /// not show keeps its eligibility, without a name (shown by id).
    void listEligibilities(QObject *context,
                           std::function<void(Core::Result<QList<Core::Eligibility>>)> callback);
    /**
     * The groups behind `groupIds`: one plain GET for one group, JSON batches of at most 20 for more
     * (graph-pim.md §3.2, §11.2). A step throttled inside a batch (429, 503, 504) is asked again after
     * its own Retry-After, within kThrottleBudgetSecs. Groups Graph does not show (404, 403, or still
     * throttled past the budget) are absent from the answer; it is an error only when a call as a
     * whole failed (then it holds nothing).
     */
    void lookupGroups(const QStringList &groupIds, QObject *context,
                      Callback<QHash<QString, GroupInfo>> callback);
    static constexpr int kMaxBatchSteps = 20;

    /// The activation rules of the group's member/owner policy (graph-pim.md §9).
    void getActivationPolicy(const QString &groupId, Core::AccessKind access, QObject *context,
                             Callback<Core::ActivationPolicy> callback);
    /// My live assignments (assignmentScheduleInstances/filterByCurrentUser(on='principal')).
    void listActiveGrants(QObject *context, Callback<QList<Core::Grant>> callback);
    /// My requests (filterByCurrentUser(on='principal')), optionally with an OData `$filter`.
    void listMyRequests(const QString &filter, QObject *context,
                        Callback<QList<Core::AccessRequest>> callback);
    void getRequest(const QString &requestId, QObject *context, Callback<Core::AccessRequest> callback);
    void cancelRequest(const QString &requestId, QObject *context,
                       std::function<void(Core::Result<void>)> callback);
    /// selfActivate, safely: never a second request after an answer that got lost (see above).
    /// `now` is the client's clock (the start of an immediate request).
    void activate(const Core::ActivationDraft &draft, const QString &principalId, const QDateTime &now,
                  QObject *context, Callback<Core::AccessRequest> callback);
    /// selfDeactivate (PIM refuses within 5 minutes of the start: ActiveDurationTooShort).
    void deactivate(const QString &groupId, Core::AccessKind access, const QString &principalId,
                    const QString &justification, QObject *context, Callback<Core::AccessRequest> callback);

    /// Requests waiting for my decision (filterByCurrentUser(on='approver'), PendingApproval, with
    /// the group and the requester expanded; graph-pim.md §8.1).
    void listRequestsToApprove(QObject *context, Callback<QList<Core::AccessRequest>> callback);
    /// An approval with its stages (§8.2); readable by the requester and the approvers.
    void getApproval(const QString &approvalId, QObject *context, Callback<Core::Approval> callback);
    /**
     * Approves or denies: reads the approval, PATCHes the stage assigned to me (§8.3), and answers
     * with the approval as it is afterwards. When there is nothing for me to decide (someone else
     * decided first: 409, or the stage is closed) the error has serviceCode "AlreadyDecided" and
     * names who decided; "NotYourDecision" when no stage is mine (not an approver, or my own request).
     * A stage PIM is still setting up (Initializing, NotStarted) is neither: the approval is read again
     * for a few seconds, and then the error is "StageNotReady" (try again shortly).
     */
    void decide(const QString &approvalId, bool approve, const QString &justification, QObject *context,
                Callback<Core::Approval> callback);

    /**
     * Provision on demand (graph-pim.md §12): pushes `userId`'s membership of `groupId` to the app of
     * service principal `servicePrincipalId` now, instead of at the next provisioning cycle. Finds the
     * synchronization job and its rule first (cached). Needs Synchronization.ReadWrite.All, asked for
     * in a token of its own at that moment (never among the sign-in's scopes), and an application
     * administrator role: ordinary users get 403 (Authorization_RequestDenied), and a tenant without
     * consent for the scope AADSTS65001. The result is the provisioning result ("Success", "Skipped",
     * "Failure"), or "RedundantExport" when it was skipped because the membership is already in sync.
     */
    void provisionOnDemand(const QString &servicePrincipalId, const QString &groupId, const QString &userId,
                           QObject *context, Callback<QString> callback);

    /**
     * The assignment schedule instances of each group (app-only: `$filter=groupId eq '{id}'`), in
     * `$batch` calls of at most kMaxBatchSteps steps; a step's @odata.nextLink pages are asked in a
     * later batch, a throttled step after its own Retry-After (within kThrottleBudgetSecs). Each group
     * gets its list or its own error (404 group gone, 403 permission, still throttled); the whole
     * answer is an error only when a batch call itself failed.
     */
    void listGroupAssignments(const QStringList &groupIds, QObject *context,
                              Callback<QHash<QString, Core::Result<QList<GroupAssignment>>>> callback);
    /// All groups (`GET /groups?$select=id,displayName&$top=999`, every page), optionally filtered
    /// with an OData `$filter` expression.
    void listGroups(const QString &odataFilter, QObject *context, Callback<QList<GroupInfo>> callback);
    /// The first provisioning job of the service principal, read now, with its rule (the rule is
    /// cached per service principal, as provisionOnDemand() does).
    void getSyncJob(const QString &servicePrincipalId, QObject *context, Callback<SyncJob> callback);
    /**
     * Provision on demand for one group with up to kMaxProvisionMembers members (§12.3), with this
     * client's own token (app-only: Synchronization.ReadWrite.All or Application.ReadWrite.OwnedBy).
     * A write: retried only after 429.
     */
    void provisionMembers(const QString &servicePrincipalId, const QString &groupId,
                          const QStringList &userIds, QObject *context, Callback<ProvisionOutcome> callback);
    static constexpr int kMaxProvisionMembers = 5;
    /// HTTP requests this client (and the clients it makes for provisioning) sent to Graph so far.
    qint64 requestsSent() const { return m_requestsSent; }

    /// How far Graph's clock (its `Date` header) is ahead of ours, in seconds; 0 until an answer came.
    qint64 serverClockSkewSecs() const { return m_skewSecs; }
    /// The clock Graph's `Date` header is compared with (default: the system clock).
    void setClock(const Core::Clock *clock) { m_clock = clock; }
    /// Pause between attempts of a write whose answer got lost (tests shorten it).
    void setWriteRetryDelayMs(int ms) { m_writeRetryDelayMs = ms; }
    /// Pause between reads of an approval whose stage is still opening, before a decision (tests
    /// shorten it); decide() reads it a bounded number of times.
    void setStageRereadDelayMs(int ms) { m_stageRereadDelayMs = ms; }
    /// How long after a write Graph may not show it yet (replication lag; config
    /// graph.replicationWindowSeconds). Inside it, absent means "not visible yet", not "not there".
    void setReplicationWindowSecs(int secs) { m_replicationWindowSecs = qMax(0, secs); }
    int replicationWindowSecs() const { return m_replicationWindowSecs; }

Q_SIGNALS:
    /// Graph (`service`, its name for people) throttled a call, which is retried at `retryAt` (on
    /// the injected clock). Once per wait; nothing when the call gives up instead.
    void throttled(const QDateTime &retryAt, const QString &service);
    /// One HTTP request went to Graph (a `$batch` is one; every retry is one more).
    void requestSent();

private:
    const Core::Clock *clock() const { return m_clock ? m_clock : &m_systemClock; }
    void decideWhenOpen(const QString &approvalId, bool approve, const QString &justification,
                        QPointer<QObject> guard, Callback<Core::Approval> callback, int rereads);
    void noteServerDate(const QByteArray &date);
    template<typename T>
    void fetchAll(const QUrl &first, QObject *context,
                  std::function<Core::Result<Page<T>>(const QByteArray &)> parse,
                  Callback<QList<T>> callback);
    void activateAttempt(std::shared_ptr<ActivationAttempt> attempt);
    void lookupRound(std::shared_ptr<GroupLookup> lookup);
    void lookupRoundDone(std::shared_ptr<GroupLookup> lookup);
    void batchNext(std::shared_ptr<BatchRun> run);
    /// Job and rule through `via` (this client, or provisionOnDemand's client of its own).
    void fetchSyncJob(GraphClient *via, const QString &servicePrincipalId, QObject *context,
                      Callback<SyncJob> callback);
    void postProvision(GraphClient *via, const QString &servicePrincipalId, const SyncJob &job,
                       const QString &groupId, const QStringList &userIds, QObject *context,
                       Callback<ProvisionOutcome> callback);
    /// One call whose answer is one object: the error, or what `parse` makes of the body.
    template<typename T>
    void call(const QByteArray &method, const QUrl &target, const QByteArray &body, QObject *context,
              std::function<Core::Result<T>(const QByteArray &)> parse, Callback<T> callback);
    QUrl url(const QString &path, const QString &query = {}) const;
    /// One authorised call with Graph's policy (not started); `done` gets the last answer, or one
    /// without a status that carries the token's error.
    Net::AuthorizedCall *newCall(const QByteArray &method, const QUrl &target, const QByteArray &body,
                                 std::function<void(const Net::HttpResponse &)> done);

    QUrl m_baseUrl;
    QString m_resource;
    Net::HttpClient *m_http;
    Core::AccessTokenProvider *m_tokens;
    qint64 m_skewSecs = 0;
    qint64 m_requestsSent = 0;
    QHash<QString, QPair<QString, QString>> m_syncJobs; // service principal -> job id, rule id
    const Core::Clock *m_clock = nullptr;
    Core::SystemClock m_systemClock;
    int m_writeRetryDelayMs = 2000;
    int m_stageRereadDelayMs = 1000;
    int m_replicationWindowSecs = 60;
    Net::CallPolicy m_callPolicy;
};

} // namespace Elevate::Graph

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The request side of PIM for Groups as plain values: a group's activation policy, what the user
// asks for (a draft), what PIM made of it (a request) and what is live (a grant).

#include "model.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace Elevate::Core {

/// The rules of a group's member (or owner) policy that matter when activating (graph-pim.md §9.2).
struct ActivationPolicy
{
    qint64 maximumDurationSecs = 8 * 3600;
    bool justificationRequired = false;
    bool ticketRequired = false;
    bool mfaRequired = false;
    bool approvalRequired = false;
    /// The Conditional Access authentication context (e.g. "c1") activation needs; empty for none.
    QString authenticationContext;
    /// Who approves, as PIM describes them (names or group names); empty when unknown.
    QStringList approvers;
};

/// What the user asks for, before it is sent.
struct ActivationDraft
{
    QString groupId;
    AccessKind access = AccessKind::Member;
    qint64 durationSecs = 3600;
    QString justification;
    QString ticketSystem;
    QString ticketNumber;
    QDateTime start; ///< invalid = now
};

/// Why a draft cannot be sent; each maps to one field of the form.
enum class DraftProblem {
    DurationNotPositive,
    DurationTooLong,
    JustificationMissing,
    TicketNumberMissing,
    TicketSystemMissing,
    StartInPast,
};

/// Checks a draft against the policy before anything is sent, so a request never fails on a rule
/// Elevate could have checked. Empty = fine. `now` comes from the injected clock.
QList<DraftProblem> validateDraft(const ActivationDraft &draft, const ActivationPolicy &policy,
                                  const QDateTime &now);

/// Where a request stands, from its PIM `status` (graph-pim.md §6.5), case-insensitively.
enum class RequestPhase {
    InProgress, ///< PIM is working on it (or it is scheduled); keep following
    AwaitingApproval, ///< a human must act
    Active, ///< provisioned: the grant exists (for selfDeactivate: the grant was removed)
    Denied,
    Canceled,
    Failed, ///< failed, timed out, invalid, revoked
    Unknown, ///< a status this version does not know; keep following for a bounded time
};
RequestPhase classifyStatus(const QString &status, const QString &action = QStringLiteral("selfActivate"));
bool isTerminal(RequestPhase phase);

/// A privilegedAccessGroupAssignmentScheduleRequest.
struct AccessRequest
{
    QString id;
    QString status;
    QString action;
    QString groupId;
    QString groupDisplayName; ///< empty unless Graph expanded the group
    AccessKind access = AccessKind::Member;
    QString principalId;
    QString principalDisplayName; ///< the requester, when Graph expanded `principal`
    QString principalUpn;
    QString approvalId;
    QString justification;
    QString ticketNumber;
    QString ticketSystem;
    QDateTime created;
    QDateTime completed;
    QDateTime start;
    qint64 durationSecs = 0; ///< 0 when the request names an end time instead (see `end`)
    QDateTime end;

    RequestPhase phase() const { return classifyStatus(status, action); }
    /// The requested end: `end`, or start + duration.
    QDateTime plannedEnd() const;
};

/// A live assignment (privilegedAccessGroupAssignmentScheduleInstance).
struct Grant
{
    QString id;
    QString groupId;
    QString groupDisplayName;
    AccessKind access = AccessKind::Member;
    QString assignmentType; ///< "activated" (from PIM) or "assigned" (permanent admin assignment), lower-case
    QString memberType; ///< "direct", or "group" (reached through membership of another group), lower-case
    QDateTime start;
    QDateTime end; ///< invalid = permanent

    bool isPermanent() const { return !end.isValid(); }
    /**
     * The user's own PIM activation: one they may renew or deactivate. An `assigned` instance is an
     * administrator's assignment (time-bound or not) and a `group` one belongs to another group the
     * user is in; a selfDeactivate of either is refused by PIM. An instance without the properties
     * (older payloads) counts as the user's own when it has an end.
     */
    bool isActivation() const;
    /// Seconds left at `now` (never negative); -1 for a permanent assignment.
    qint64 secondsLeft(const QDateTime &now) const;
};

/// One stage of an approval (v1.0 `approvalStage`, beta `approvalStep`; graph-pim.md §8.2).
struct ApprovalStage
{
    QString id;
    QString status; ///< InProgress, Initializing (NotStarted), Completed, Expired; any casing
    QString reviewResult; ///< NotReviewed, Approved, Denied; any casing
    bool assignedToMe = false;
    QString reviewedById;
    QString reviewedByName; ///< display name, else UPN, of who decided
    QDateTime reviewedAt;
    QString justification;

    bool isOpen() const { return status.compare(u"InProgress", Qt::CaseInsensitive) == 0; }
    /// PIM is still setting the stage up (for a few seconds after the request): not decided, and
    /// not open for decisions yet either.
    bool isOpening() const
    {
        return !isDecided()
            && (status.compare(u"Initializing", Qt::CaseInsensitive) == 0
                || status.compare(u"NotStarted", Qt::CaseInsensitive) == 0);
    }
    bool isDecided() const
    {
        return reviewResult.compare(u"Approved", Qt::CaseInsensitive) == 0
            || reviewResult.compare(u"Denied", Qt::CaseInsensitive) == 0;
    }
};

/// The approval of a request (its id is the request's approvalId, for groups the request id).
struct Approval
{
    QString id;
    QList<ApprovalStage> stages;

    /// The stage the caller may decide now, if any.
    const ApprovalStage *stageForMe() const;
    /// The stage that carries a decision, if any.
    const ApprovalStage *decidedStage() const;
    /// Nothing decided and a stage still opening: the caller may decide once it is InProgress.
    bool isOpening() const;
};

/// Approvers have this long from the request to decide (PIM's fixed 24 hours).
constexpr qint64 kApprovalWindowSecs = 24 * 3600;

/// PIM refuses to deactivate an activation younger than this (ActiveDurationTooShort).
constexpr qint64 kMinimumActiveSecsBeforeDeactivate = 5 * 60;

/// `PT1H30M` for 5400 s (whole seconds; what Graph expects in scheduleInfo.expiration.duration).
QString formatIsoDuration(qint64 secs);
/// "1h30m", "90m", "2h", "45m", "1:30" or an ISO 8601 duration, as typed on the command line.
/// Returns -1 for anything else.
qint64 parseHumanDuration(const QString &text);

} // namespace Elevate::Core

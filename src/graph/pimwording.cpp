// SPDX-License-Identifier: GPL-3.0-or-later
#include "pimwording.h"

#include "odata.h"

namespace Elevate::Graph {

using Core::Error;

QString PimWording::duration(qint64 secs)
{
    const qint64 h = secs / 3600;
    const qint64 m = (secs % 3600) / 60;
    if (h > 0 && m > 0)
        return tr("%1 h %2 min").arg(h).arg(m);
    if (h > 0)
        return tr("%1 h").arg(h);
    return tr("%1 min").arg(qMax<qint64>(m, secs > 0 ? 1 : 0));
}

QString PimWording::describe(Core::DraftProblem problem, const Core::ActivationPolicy &policy)
{
    switch (problem) {
    case Core::DraftProblem::DurationNotPositive:
        return tr("Choose how long you need the access.");
    case Core::DraftProblem::DurationTooLong:
        return tr("This group allows at most %1 per activation.").arg(duration(policy.maximumDurationSecs));
    case Core::DraftProblem::JustificationMissing:
        return tr("This group requires a justification.");
    case Core::DraftProblem::TicketNumberMissing:
        return tr("This group requires a ticket number.");
    case Core::DraftProblem::TicketSystemMissing:
        return tr("Say which ticket system the ticket number belongs to.");
    case Core::DraftProblem::StartInPast:
        return tr("The start time is in the past; choose a later time or start now.");
    }
    return {};
}

QString PimWording::describe(const Error &error)
{
    // A local error may carry PIM's code (the Graph layer built it from PIM's answer); an error from
    // another service never does, whatever its code or status says.
    if (error.source != Error::Source::Graph && error.source != Error::Source::Local)
        return {};
    const QString code = error.serviceCode;
    const QStringList rules = failedPolicyRules(error);
    if (!rules.isEmpty()) {
        QStringList what;
        for (const QString &rule : rules) {
            if (rule == u"JustificationRule")
                what << tr("a justification is required");
            else if (rule == u"TicketingRule")
                what << tr("a ticket number and system are required");
            else if (rule == u"ExpirationRule")
                what << tr("the duration is longer than the group allows (its policy may have changed)");
            else if (rule == u"MfaRule")
                what << tr("multi-factor authentication is required; sign in again with MFA");
            else if (rule == u"EligibilityRule")
                what << tr("you are not (or no longer) eligible for this group");
            else
                what << rule;
        }
        return tr("PIM refused the request: %1.").arg(what.join(QStringLiteral("; ")));
    }
    if (code == u"AlreadyDecided")
        return tr("Someone else decided first (%1).").arg(error.message);
    if (code == u"NotYourDecision")
        return tr("This request is not yours to decide: you are not an approver of the group, or it is your "
                  "own request.");
    if (code == u"JustificationMissing")
        return tr("A justification is required for a decision.");
    if (code == u"RoleAssignmentExists")
        return tr("This access is already active (or already scheduled); PIM cannot activate it twice.");
    if (code == u"PendingRoleAssignmentRequest")
        return tr("A request for this access is already waiting; cancel it or wait for its decision.");
    if (code == u"ActiveDurationTooShort")
        return tr(
            "PIM does not allow ending an activation in its first 5 minutes. Try again a little later.");
    if (code == u"RoleAssignmentDoesNotExist")
        return tr("This access is not active (any more), so there is nothing to end.");
    if (code.endsWith(u"AcrsValidationFailed"))
        return tr("This group requires a stronger sign-in (an authentication context) that could not be "
                  "completed.");
    if (code == u"PermissionScopeNotGranted")
        return tr("Elevate is not allowed to manage PIM requests in this tenant; an administrator must grant "
                  "it the PIM permissions.");
    if (code == u"RenewRequestFailed")
        return tr("The previous activation has ended, but asking for it again failed: %1 You have no access "
                  "now; request it again when the cause is fixed.")
            .arg(error.message);
    if (code == u"AccountChanged")
        return tr("The account changed before PIM answered. The request may still have reached PIM; the "
                  "history and the status show what became of it.");
    if (code == u"RequestNotVisible")
        return tr("PIM does not show this request any more (still not after waiting for Microsoft Graph to "
                  "catch up); it may have been canceled or removed.");
    if (code == u"InvalidRoleAssignmentRequest")
        return tr("PIM rejected the request as invalid.");
    if (error.source == Error::Source::Graph
        && (error.kind == Error::Kind::Service || error.kind == Error::Kind::Http)) {
        switch (error.httpStatus) {
        case 403:
            return tr("You are not allowed to do this (Microsoft Graph answered 403).");
        case 404:
            return tr("It no longer exists in PIM (it may have been removed or already finished).");
        case 409:
            return tr("Someone else changed it at the same time; refresh and try again.");
        case 429:
            return tr(
                "Microsoft Graph is throttling requests; Elevate waited and retried, but it still refuses. "
                "Try again in a minute.");
        case 500:
        case 502:
        case 503:
        case 504:
            return tr("Microsoft Graph is having trouble (HTTP %1); try again shortly.")
                .arg(error.httpStatus);
        default:
            break;
        }
    }
    return {};
}

QString ServiceWording::name(Error::Source source)
{
    switch (source) {
    case Error::Source::Local:
        return {};
    case Error::Source::Entra:
        return tr("Microsoft Entra ID");
    case Error::Source::Graph:
        return tr("Microsoft Graph");
    case Error::Source::IdentityCenter:
        return tr("AWS IAM Identity Center");
    case Error::Source::Portal:
        return tr("the AWS access portal");
    }
    return {};
}

QString ServiceWording::describe(const Error &error)
{
    const QString service = name(error.source);
    if (service.isEmpty())
        return {};
    switch (error.kind) {
    case Error::Kind::Network:
        return tr("%1 cannot be reached (%2).").arg(service, error.message);
    case Error::Kind::Timeout:
        return tr("%1 did not answer in time. Check your connection and try again.").arg(service);
    case Error::Kind::Service:
    case Error::Kind::Http:
        break;
    default:
        return {};
    }
    if (error.httpStatus == 403)
        return tr("You are not allowed to do this (%1 answered 403).").arg(service);
    if (error.httpStatus == 429)
        return tr("%1 is throttling requests; try again in a minute.").arg(service);
    if (error.httpStatus >= 500 && error.httpStatus < 600)
        return tr("%1 is having trouble (HTTP %2); try again shortly.").arg(service).arg(error.httpStatus);
    return {};
}

QString PimWording::status(const Core::AccessRequest &request)
{
    switch (request.phase()) {
    case Core::RequestPhase::InProgress:
        return request.status.compare(u"Granted", Qt::CaseInsensitive) == 0 ? tr("approved, scheduled")
                                                                            : tr("being processed");
    case Core::RequestPhase::AwaitingApproval:
        return tr("waiting for approval");
    case Core::RequestPhase::Active:
        return tr("active");
    case Core::RequestPhase::Denied:
        return tr("denied");
    case Core::RequestPhase::Canceled:
        return tr("canceled");
    case Core::RequestPhase::Failed:
        return tr("failed (%1)").arg(request.status);
    case Core::RequestPhase::Unknown:
        return tr("status %1").arg(request.status);
    }
    return request.status;
}

} // namespace Elevate::Graph

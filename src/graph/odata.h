// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Parsing of Microsoft Graph payloads (graph-pim.md §2, §3, §4, §10): tolerant of @odata.*
// annotations, unknown properties, null-or-missing, enum casing and 0-7 fractional digits.

#include "core/model.h"
#include "core/pim.h"
#include "core/result.h"
#include "graphclient.h"
#include "net/httpclient.h"
#include "net/json.h"

namespace Elevate::Graph {

struct EligibilityPage
{
    QList<Core::Eligibility> items;
    QString nextLink; // empty on the last page
};

Core::Result<EligibilityPage> parseEligibilityPage(const QByteArray &body);
Core::Result<GraphUser> parseUser(const QByteArray &body);

/// The activation policy of one group role from a roleManagementPolicyAssignments collection with
/// `$expand=policy($expand=rules)` (graph-pim.md §9.3): rules picked by id, EndUser/Assignment only.
Core::Result<Core::ActivationPolicy> parsePolicyAssignments(const QByteArray &body);

/// One assignmentScheduleRequest (an object, not a collection).
Core::Result<Core::AccessRequest> parseRequest(const Net::Json &item);
Core::Result<Core::AccessRequest> parseRequestBody(const QByteArray &body);

Core::Result<Page<Core::AccessRequest>> parseRequestPage(const QByteArray &body);
Core::Result<Page<Core::Grant>> parseGrantPage(const QByteArray &body);

/// An approval with its stages (v1.0 `stages` or beta `steps`); `reviewedBy` as object, array or null.
Core::Result<Core::Approval> parseApproval(const QByteArray &body);

/// The body of a selfActivate request (graph-pim.md §6.1/6.2). `start` invalid = `now`.
QByteArray activationBody(const Core::ActivationDraft &draft, const QString &principalId,
                          const QDateTime &now);
QByteArray deactivationBody(const QString &groupId, Core::AccessKind access, const QString &principalId,
                            const QString &justification);

/// The rule names in a RoleAssignmentRequestPolicyValidationFailed message
/// (`The following policy rules failed: ["JustificationRule"]`); empty when there are none.
QStringList failedPolicyRules(const Core::Error &error);

/// The claims JSON a challenge asks for: from a 400 …AcrsValidationFailed message (`&claims=` +
/// URL-encoded JSON, or raw JSON) or from a 401 `WWW-Authenticate` with error="insufficient_claims"
/// (base64). Empty when the response is no claims challenge.
QString claimsChallenge(const Net::HttpResponse &response, const Core::Error &error);

/**
 * The error of a failed Graph response: the envelope's code as serviceCode (the inner errorCode
 * when PIM wraps it as JSON in `message`), the HTTP status kept, a developer-safe message. Bodies
 * that are not the envelope become Http (or the transport error when nothing arrived).
 */
Core::Error graphError(const Net::HttpResponse &response);

/// The first synchronization job's id of a `…/synchronization/jobs` answer (graph-pim.md §12.1).
Core::Result<QString> parseFirstSyncJobId(const QByteArray &body);
/// The id of the rule that provisions from Entra ID in a job's schema (§12.2); the first rule otherwise.
Core::Result<QString> parseSyncRuleId(const QByteArray &body);
/// provisionOnDemand's answer: `key` is a JSON document in a string whose `result` says what happened
/// (§12.3).
Core::Result<QString> parseProvisionOnDemand(const QByteArray &body);

/// One page of assignmentScheduleInstances (app-only, by groupId): enums lower-case, accessId
/// "member" when missing (an unknown one skipped), null or missing dates invalid. An item without id, groupId
/// or principalId breaks the contract.
Core::Result<Page<GroupAssignment>> parseGroupAssignmentPage(const Net::Json &json);
Core::Result<Page<GroupAssignment>> parseGroupAssignmentPage(const QByteArray &body);
/// One page of `GET /groups?$select=id,displayName`.
Core::Result<Page<GroupInfo>> parseGroupPage(const QByteArray &body);
/// The first job of a `…/synchronization/jobs` answer with its schedule state, status code and
/// quarantine reason (ruleId left empty: it comes from the schema).
Core::Result<SyncJob> parseSyncJob(const QByteArray &body);
/// provisionOnDemand's answer with the reason: details.errorCode, else skipReason, else reason;
/// "Skipped" for RedundantExport becomes "RedundantExport".
Core::Result<ProvisionOutcome> parseProvisionOutcome(const QByteArray &body);
/// The body of a provisionOnDemand call for one group and its members (§12.3).
QByteArray provisionBody(const QString &ruleId, const QString &groupId, const QStringList &userIds);

} // namespace Elevate::Graph

// SPDX-License-Identifier: GPL-3.0-or-later
// PIM request-side payloads from fixtures: the policy (rules picked by id), requests, assignment
// instances, request bodies, policy-rule failures and both claims-challenge forms.

#include "auth/entraprotocol.h"
#include "graph/odata.h"
#include "graph/pimwording.h"
#include "support/testsupport.h"

#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;
using Core::Error;

namespace {
QByteArray fixture(const char *name)
{
    return Test::fixture("graph", name);
}
QString str(const Net::Json &j)
{
    return j.is_string() ? QString::fromStdString(j.get<std::string>()) : u"<not a string>"_s;
}
} // namespace

class TestPimPayloads : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void policyPicksTheEndUserAssignmentRules()
    {
        const auto p = Graph::parsePolicyAssignments(fixture("policy-member.json"));
        QVERIFY(p.ok());
        QCOMPARE(p->maximumDurationSecs, 8 * 3600); // not the admin rule's P180D
        QVERIFY(p->justificationRequired);
        QVERIFY(p->ticketRequired);
        QVERIFY(p->mfaRequired);
        QVERIFY(p->approvalRequired);
        QCOMPARE(p->authenticationContext, u"c1"_s);
        QCOMPARE(p->approvers, (QStringList {u"Jordan Lee"_s, u"AWS-Prod-Approvers"_s}));
    }

    void policyEdgeCases()
    {
        // No assignment: the group has no policy for that role.
        auto none = Graph::parsePolicyAssignments("{\"value\": []}");
        QVERIFY(!none.ok());
        QCOMPARE(none.error().httpStatus, 404);
        // Rules not expanded: not the contract.
        auto flat = Graph::parsePolicyAssignments("{\"value\": [{\"id\": \"x\", \"policyId\": \"y\"}]}");
        QVERIFY(!flat.ok());
        QCOMPARE(flat.error().kind, Error::Kind::Parse);
        // Only an enablement rule: the rest defaults (8 h, no approval, no context).
        auto minimal = Graph::parsePolicyAssignments(
            "{\"value\": [{\"policy\": {\"rules\": [{\"id\": \"Enablement_EndUser_Assignment\", "
            "\"enabledRules\": [\"justification\"]},\n"
            "                                                {\"id\": "
            "\"AuthenticationContext_EndUser_Assignment\", \"isEnabled\": false, \"claimValue\": "
            "\"c2\"}]}}]}");
        QVERIFY(minimal.ok());
        QVERIFY(minimal->justificationRequired); // case-insensitive
        QVERIFY(!minimal->ticketRequired);
        QVERIFY(!minimal->approvalRequired);
        QVERIFY(minimal->authenticationContext.isEmpty()); // disabled
        QCOMPARE(minimal->maximumDurationSecs, 8 * 3600);
        QVERIFY(!Graph::parsePolicyAssignments("{\"value\": [").ok());
    }

    void request()
    {
        const auto r = Graph::parseRequestBody(fixture("request-provisioned.json"));
        QVERIFY(r.ok());
        QCOMPARE(r->id, u"9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"_s);
        QCOMPARE(r->phase(), Core::RequestPhase::Active);
        QCOMPARE(r->durationSecs, 2 * 3600);
        QCOMPARE(r->ticketNumber, u"CHG-10423"_s);
        QCOMPARE(r->ticketSystem, u"ServiceNow"_s);
        QCOMPARE(r->start, QDateTime(QDate(2025, 6, 2), QTime(9, 15, 3, 120), Qt::UTC));
        QCOMPARE(r->plannedEnd(), r->start.addSecs(7200));
        QVERIFY(r->approvalId.isEmpty()); // null
        QVERIFY(!Graph::parseRequestBody("{\"id\": \"x\"}").ok()); // no status
        QVERIFY(!Graph::parseRequestBody("{\"id\": \"x\", \"status\": \"Provis").ok()); // truncated
    }

    void grants()
    {
        const auto page = Graph::parseGrantPage(fixture("instances.json"));
        QVERIFY(page.ok());
        QCOMPARE(page->items.size(), 2);
        const auto &a = page->items.at(0);
        QCOMPARE(a.assignmentType, u"activated"_s);
        QCOMPARE(a.groupDisplayName, u"AWS-123456789012-AdministratorAccess"_s);
        QCOMPARE(a.start.secsTo(a.end), 7200);
        const auto &b = page->items.at(1);
        QVERIFY(b.isPermanent());
        QCOMPARE(b.assignmentType, u"assigned"_s);
        QVERIFY(b.groupDisplayName.isEmpty()); // "group": null
        QVERIFY(page->nextLink.contains(u"$skiptoken=abc"_s));
        QVERIFY(!Graph::parseGrantPage("{\"value\": [{\"id\": \"x\"}]}").ok());
    }

    void grantsThroughGroupsAndAssigned_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("as the docs print it") << fixture("instances-group-assigned.json");
        QTest::newRow("camelCase") << fixture("instances-group-assigned-camel.json");
    }
    void grantsThroughGroupsAndAssigned()
    {
        QFETCH(QByteArray, body);
        const auto page = Graph::parseGrantPage(body);
        QVERIFY2(page.ok(), qPrintable(page.ok() ? QString() : page.error().message));
        QCOMPARE(page->items.size(), 4);
        const auto &activated = page->items.at(0);
        QCOMPARE(activated.assignmentType, u"activated"_s);
        QCOMPARE(activated.memberType, u"direct"_s);
        QVERIFY(activated.isActivation());
        const auto &permanent = page->items.at(1);
        QCOMPARE(permanent.assignmentType, u"assigned"_s);
        QVERIFY(permanent.isPermanent());
        QVERIFY(!permanent.isActivation());
        // An administrator's time-bound assignment through another group: it ends, but it is not the
        // user's to deactivate or renew.
        const auto &viaGroup = page->items.at(2);
        QCOMPARE(viaGroup.memberType, u"group"_s);
        QCOMPARE(viaGroup.assignmentType, u"assigned"_s);
        QVERIFY(!viaGroup.isPermanent());
        QCOMPARE(viaGroup.end, QDateTime(QDate(2025, 12, 1), QTime(0, 0), Qt::UTC));
        QVERIFY(!viaGroup.isActivation());
        QCOMPARE(viaGroup.groupDisplayName, u"AWS-345678901234-Billing"_s);
        // Activated, but for the group the user is in.
        const auto &groupActivation = page->items.at(3);
        QCOMPARE(groupActivation.access, Core::AccessKind::Owner);
        QCOMPARE(groupActivation.memberType, u"group"_s);
        QCOMPARE(groupActivation.assignmentType, u"activated"_s);
        QVERIFY(!groupActivation.isActivation());
    }

    void everyOpenStatus_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("as the docs print it") << fixture("requests-open-pascal.json");
        QTest::newRow("camelCase") << fixture("requests-open-camel.json");
    }
    void everyOpenStatus()
    {
        QFETCH(QByteArray, body);
        const auto page = Graph::parseRequestPage(body);
        QVERIFY2(page.ok(), qPrintable(page.ok() ? QString() : page.error().message));
        const QStringList statuses = {u"PendingApproval"_s,
                                      u"PendingApprovalProvisioning"_s,
                                      u"PendingScheduleCreation"_s,
                                      u"ScheduleCreated"_s,
                                      u"Accepted"_s,
                                      u"PendingProvisioning"_s,
                                      u"Granted"_s,
                                      u"PendingAdminDecision"_s};
        QCOMPARE(page->items.size(), statuses.size());
        for (int i = 0; i < statuses.size(); ++i) {
            const auto &r = page->items.at(i);
            QCOMPARE(r.status.compare(statuses.at(i), Qt::CaseInsensitive), 0);
            QVERIFY2(!Core::isTerminal(r.phase()), qPrintable(r.status));
            QVERIFY2(r.phase() != Core::RequestPhase::Unknown, qPrintable(r.status));
            const bool human = statuses.at(i).startsWith(u"PendingApproval"_s)
                || statuses.at(i) == u"PendingAdminDecision"_s;
            QCOMPARE(r.phase(),
                     human ? Core::RequestPhase::AwaitingApproval : Core::RequestPhase::InProgress);
            QCOMPARE(r.action.compare(u"selfActivate"_s, Qt::CaseInsensitive), 0);
            QCOMPARE(r.durationSecs, 4 * 3600);
            QCOMPARE(r.ticketNumber, u"INC-7781"_s);
            QCOMPARE(r.groupDisplayName, u"AWS-210987654321-ReadOnlyAccess"_s);
        }
        // The docs' misspelt createdDateTIme when the right name is absent; the right one when both are.
        QCOMPARE(page->items.at(0).created, QDateTime(QDate(2025, 6, 2), QTime(9, 40, 12, 553), Qt::UTC));
        QCOMPARE(page->items.at(2).created, QDateTime(QDate(2025, 6, 2), QTime(9, 41), Qt::UTC));
        QCOMPARE(page->items.at(3).created, page->items.at(0).created);
    }

    void approvalStagesThatAreNotReady()
    {
        const auto opening = Graph::parseApproval(fixture("approval-initializing.json"));
        QVERIFY(opening.ok());
        QCOMPARE(opening->stages.size(), 1);
        QVERIFY(opening->isOpening());
        QVERIFY(!opening->stages.first().isDecided());
        QVERIFY(!opening->stageForMe()); // assigned to me, but not open for a decision yet
        QVERIFY(!opening->decidedStage());
        const auto open = Graph::parseApproval(fixture("approval-inprogress.json"));
        QVERIFY(open.ok());
        QVERIFY(!open->isOpening());
        QVERIFY(open->stageForMe());
        QCOMPARE(open->stageForMe()->id, u"3f2e1d0c-9b8a-4f7e-8d6c-5b4a3f2e1d0c"_s);
        // The same in camelCase, and beta's `steps`.
        const auto beta = Graph::parseApproval(
            "{\"id\": \"a\", \"steps\": [{\"id\": \"s\", \"status\": \"notStarted\", \"reviewResult\": "
            "\"notReviewed\", \"assignedToMe\": true, \"reviewedBy\": []}]}");
        QVERIFY(beta.ok());
        QVERIFY(beta->isOpening());
        QVERIFY(!beta->stageForMe());
    }

    void activationBody()
    {
        Core::ActivationDraft d;
        d.groupId = u"g1"_s;
        d.durationSecs = 5400;
        d.justification = u"  Rotate keys  "_s;
        d.ticketSystem = u"Jira"_s;
        d.ticketNumber = u"OPS-1"_s;
        const QDateTime now(QDate(2026, 11, 30), QTime(10, 0, 0, 500), Qt::UTC);
        const auto j = Net::parseJson(Graph::activationBody(d, u"me"_s, now)).value();
        QCOMPARE(str(j["action"]), u"selfActivate"_s);
        QCOMPARE(str(j["accessId"]), u"member"_s);
        QCOMPARE(str(j["principalId"]), u"me"_s);
        QCOMPARE(str(j["groupId"]), u"g1"_s);
        QCOMPARE(str(j["justification"]), u"Rotate keys"_s);
        QCOMPARE(str(j["ticketInfo"]["ticketNumber"]), u"OPS-1"_s);
        QCOMPARE(str(j["scheduleInfo"]["startDateTime"]), u"2026-11-30T10:00:00Z"_s);
        QCOMPARE(str(j["scheduleInfo"]["expiration"]["type"]), u"afterDuration"_s);
        QCOMPARE(str(j["scheduleInfo"]["expiration"]["duration"]), u"PT1H30M"_s);
        d.justification.clear();
        d.ticketNumber.clear();
        d.ticketSystem.clear();
        d.start = now.addSecs(3600);
        const auto k = Net::parseJson(Graph::activationBody(d, u"me"_s, now)).value();
        QVERIFY(!k.contains("justification"));
        QVERIFY(!k.contains("ticketInfo"));
        QCOMPARE(str(k["scheduleInfo"]["startDateTime"]), u"2026-11-30T11:00:00Z"_s);
        const auto off
            = Net::parseJson(Graph::deactivationBody(u"g1"_s, Core::AccessKind::Owner, u"me"_s, {})).value();
        QCOMPARE(str(off["action"]), u"selfDeactivate"_s);
        QCOMPARE(str(off["accessId"]), u"owner"_s);
        QVERIFY(!off.contains("scheduleInfo"));
    }

    void policyRuleFailures()
    {
        const Error e = Graph::graphError(Test::httpResponse(400, fixture("error-policy-rules.json")));
        QCOMPARE(e.serviceCode, u"RoleAssignmentRequestPolicyValidationFailed"_s);
        QCOMPARE(Graph::failedPolicyRules(e), (QStringList {u"JustificationRule"_s, u"TicketingRule"_s}));
        const QString sentence = Graph::PimWording::describe(e);
        QVERIFY2(sentence.contains(u"justification is required"_s) && sentence.contains(u"ticket"_s),
                 qPrintable(sentence));
        QVERIFY(Graph::failedPolicyRules(Error::make(Error::Kind::Service, u"no rules"_s, 400, u"Other"_s))
                    .isEmpty());
    }

    void acrsChallenge_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("plain") << fixture("error-acrs-plain.json");
        QTest::newRow("wrapped in UnknownError") << fixture("error-acrs-wrapped.json");
        QTest::newRow("raw JSON inside a longer message")
            << QByteArray("{\"error\":{\"code\":\"RoleAssignmentRequestAcrsValidationFailed\",\"message\":"
                          "\"The request requires "
                          "claims={\\\"access_token\\\":{\\\"acrs\\\":{\\\"essential\\\":true,\\\"value\\\":"
                          "\\\"c1\\\"}}} to continue.\"}}");
    }
    void acrsChallenge()
    {
        QFETCH(QByteArray, body);
        const auto response = Test::httpResponse(400, body);
        const Error e = Graph::graphError(response);
        const QString claims = Graph::claimsChallenge(response, e);
        const auto j = Net::parseJson(claims.toUtf8());
        QVERIFY2(j.ok(), qPrintable(claims));
        QCOMPARE(str(j.value()["access_token"]["acrs"]["value"]), u"c1"_s);
        QVERIFY(j.value()["access_token"]["acrs"]["essential"].get<bool>());
        // With the client capability merged in, the acrs request stays.
        const auto merged = Net::parseJson(Auth::mergeClientCapabilities(claims).toUtf8()).value();
        QCOMPARE(str(merged["access_token"]["xms_cc"]["values"][0]), u"cp1"_s);
        QCOMPARE(str(merged["access_token"]["acrs"]["value"]), u"c1"_s);
    }

    void caeChallengeIn401()
    {
        auto r = Test::httpResponse(
            401, "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"x\"}}");
        // Two challenges in one header; the Bearer one carries base64 claims.
        r.headers.append(qMakePair(
            QByteArray("WWW-Authenticate"),
            QByteArray("PoP realm=\"\", nonce=\"abc\", Bearer realm=\"\", "
                       "authorization_uri=\"https://login.microsoftonline.com/"
                       "common/oauth2/authorize\", error_description=\"Continuous access evaluation, a, b\", "
                       "error=\"insufficient_claims\", "
                       "claims="
                       "\"eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ"
                       "9fX0=\"")));
        const QString claims = Graph::claimsChallenge(r, Graph::graphError(r));
        QCOMPARE(claims, u"{\"access_token\":{\"nbf\":{\"essential\":true, \"value\":\"1604106651\"}}}"_s);
        // A plain expired-token 401 is no challenge.
        auto plain = Test::httpResponse(401, "{}");
        plain.headers.append(qMakePair(QByteArray("WWW-Authenticate"),
                                       QByteArray("Bearer realm=\"\", error=\"invalid_token\"")));
        QVERIFY(Graph::claimsChallenge(plain, Graph::graphError(plain)).isEmpty());
        // Other 400s are no challenge either.
        const auto other = Test::httpResponse(400, fixture("error-policy-rules.json"));
        QVERIFY(Graph::claimsChallenge(other, Graph::graphError(other)).isEmpty());
        // A broken claims value is ignored rather than sent to Entra.
        auto broken = Test::httpResponse(400,
                                         "{\"error\":{\"code\":\"RoleAssignmentRequestAcrsValidationFailed\","
                                         "\"message\":\"&claims=%7Bnot-json\"}}");
        QVERIFY(Graph::claimsChallenge(broken, Graph::graphError(broken)).isEmpty());
    }

    void provisionOnDemandPayloads()
    {
        // graph-pim.md §12: the job list, the schema's rules, and the doubly-encoded result.
        QCOMPARE(
            Graph::parseFirstSyncJobId(
                "{\"value\":[{\"id\":\"aWSSingleSignOn.0b1c.6c7d\",\"templateId\":\"aWSSingleSignOn\"}]}")
                .value(),
            u"aWSSingleSignOn.0b1c.6c7d"_s);
        QCOMPARE(Graph::parseFirstSyncJobId("{\"value\":[]}").error().serviceCode, u"NoSynchronizationJob"_s);
        QCOMPARE(
            Graph::parseSyncRuleId("{\"synchronizationRules\":[{\"id\":\"other\",\"sourceDirectoryName\":"
                                   "\"AWS\"},{\"id\":\"33f7#V2\",\"sourceDirectoryName\":\"Azure Active "
                                   "Directory\",\"targetDirectoryName\":\"AWS\"}]}")
                .value(),
            u"33f7#V2"_s);
        QCOMPARE(Graph::parseSyncRuleId("{\"synchronizationRules\":[{\"id\":\"only\"}]}").value(), u"only"_s);
        QCOMPARE(Graph::parseSyncRuleId("{\"synchronizationRules\":[]}").error().kind, Error::Kind::Parse);
        QCOMPARE(Graph::parseProvisionOnDemand(
                     "{\"key\":\"{\\\"result\\\":\\\"Success\\\",\\\"details\\\":{}}\",\"value\":\"{}\"}")
                     .value(),
                 u"Success"_s);
        QCOMPARE(Graph::parseProvisionOnDemand("{\"key\":\"not json\",\"value\":\"{}\"}").error().kind,
                 Error::Kind::Parse);
        QCOMPARE(Graph::parseProvisionOnDemand("{\"key\":{\"result\":\"Success\"}}").error().kind,
                 Error::Kind::Parse);
    }

    void wordsForPeople()
    {
        auto code = [](const char *c, int status = 400) {
            return Graph::PimWording::describe(
                Error::make(Error::Kind::Service, u"m"_s, status, QString::fromLatin1(c))
                    .withSource(Error::Source::Graph));
        };
        QVERIFY(code("RoleAssignmentExists").contains(u"already active"_s));
        QVERIFY(code("ActiveDurationTooShort").contains(u"5 minutes"_s));
        QVERIFY(code("PendingRoleAssignmentRequest").contains(u"already waiting"_s));
        QVERIFY(code("PermissionScopeNotGranted", 403).contains(u"administrator"_s));
        QVERIFY(code("Whatever", 429).contains(u"throttling"_s));
        QVERIFY(code("Whatever", 503).contains(u"503"_s));
        QVERIFY(code("Whatever", 403).contains(u"not allowed"_s));
        QVERIFY(code("Whatever", 418).isEmpty()); // the generic wording takes over
        QCOMPARE(Graph::PimWording::duration(5400), u"1 h 30 min"_s);
        QCOMPARE(Graph::PimWording::duration(7200), u"2 h"_s);
        QCOMPARE(Graph::PimWording::duration(59), u"1 min"_s); // never "0 min" while time is left
        QCOMPARE(Graph::PimWording::duration(0), u"0 min"_s);
    }
};

QTEST_GUILESS_MAIN(TestPimPayloads)
#include "tst_pimpayloads.moc"

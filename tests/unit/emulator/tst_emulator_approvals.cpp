// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's approvals of PIM for Groups requests over real HTTP (graph-pim.md §8): the approval
// and its one stage (v1.0 `stages`, beta `steps`), the approver's PATCH with its 204/400/403/404/409,
// the approver's lists with the requester expanded, the 24 h lapse, and /_emulator/decide on the same path.
//
// Demo scenario: alex requests; megan approves AdministratorAccess; megan and lee both approve
// NetworkAdministrator, for which megan is eligible herself.

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kGraph = QStringLiteral("https://graph.microsoft.com/");
const QString kWriteScope = QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup");
const QString kReadScope = QStringLiteral("PrivilegedAssignmentSchedule.Read.AzureADGroup");
const QString kRedirect = QStringLiteral("http://localhost:5000/");
const QString kAlexUpn = QStringLiteral("alex@contoso.example");
const QString kMeganUpn = QStringLiteral("megan@contoso.example");
const QString kLeeUpn = QStringLiteral("lee@contoso.example");
const QString kAlex = QStringLiteral("00000000-aaaa-bbbb-cccc-123456789abc");
const QString kMegan = QStringLiteral("00000000-aaaa-bbbb-cccc-fedcba987654");
const QString kLee = QStringLiteral("00000000-aaaa-bbbb-cccc-0123456789ab");
const QString kAdmin = QStringLiteral("0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b"); // approver megan, ticket
const QString kNetwork = QStringLiteral("4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f80"); // approvers megan, lee
const QString kReadOnly = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"); // no approval
const QString kPim = QStringLiteral("/identityGovernance/privilegedAccess/group/");
const QString kRequests = QStringLiteral("/graph/v1.0") + kPim + QStringLiteral("assignmentScheduleRequests");
const QString kApprovals = QStringLiteral("/graph/v1.0") + kPim + QStringLiteral("assignmentApprovals");
const QString kBetaApprovals = QStringLiteral("/graph/beta") + kPim + QStringLiteral("assignmentApprovals");

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray review(const QString &result, const QString &justification)
{
    return compact(
        {{QStringLiteral("reviewResult"), result}, {QStringLiteral("justification"), justification}});
}
} // namespace

class TestEmulatorApprovals : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;
    QString m_alex, m_megan, m_lee;

    Reply send(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        return Test::sendToEmulator(m_nam, method, url, body, headers, contentType);
    }
    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    QString tenantPath(const QString &rest) const { return u'/' + m_emu->tenantId() + rest; }

    /// An access token for `upn` through the code flow, with the PIM scope `pimScope`.
    QString tokenFor(const QString &upn, const QString &pimScope = kWriteScope)
    {
        const QString scope = QStringLiteral("openid profile offline_access ") + kGraph
            + QStringLiteral("User.Read ") + kGraph + pimScope;
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"),
                       QString::fromLatin1(QUrl::toPercentEncoding(kRedirect)));
        q.addQueryItem(QStringLiteral("scope"), QString::fromLatin1(QUrl::toPercentEncoding(scope)));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("login_hint"), QString::fromLatin1(QUrl::toPercentEncoding(upn)));
        QUrl u = url(tenantPath(QStringLiteral("/oauth2/v2.0/authorize")));
        u.setQuery(q);
        const Reply a = send("GET", u);
        const QString code = QUrlQuery(a.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const QByteArray body = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(kRedirect) + "&code_verifier=" + kVerifier
            + "&scope=" + QUrl::toPercentEncoding(scope);
        return send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), body, {},
                    "application/x-www-form-urlencoded")
            .json()
            .value(QStringLiteral("access_token"))
            .toString();
    }
    void refreshTokens() // access tokens live 60-90 minutes of emulator time
    {
        m_alex = tokenFor(kAlexUpn);
        m_megan = tokenFor(kMeganUpn);
        m_lee = tokenFor(kLeeUpn);
    }
    Reply graph(const QByteArray &method, const QString &path, const QString &token,
                const QByteArray &body = {})
    {
        return send(method, url(path), body, {{"Authorization", "Bearer " + token.toLatin1()}});
    }
    /// A selfActivate body for `principal`: one hour from now, justification and ticket given.
    QByteArray activationBody(const QString &groupId, const QString &principal) const
    {
        const QJsonObject body {
            {QStringLiteral("accessId"), QStringLiteral("member")},
            {QStringLiteral("principalId"), principal},
            {QStringLiteral("groupId"), groupId},
            {QStringLiteral("action"), QStringLiteral("selfActivate")},
            {QStringLiteral("justification"), QStringLiteral("Incident INC-7781 triage")},
            {QStringLiteral("ticketInfo"),
             QJsonObject {{QStringLiteral("ticketNumber"), QStringLiteral("INC-7781")},
                          {QStringLiteral("ticketSystem"), QStringLiteral("Jira")}}},
            {QStringLiteral("scheduleInfo"),
             QJsonObject {{QStringLiteral("startDateTime"), m_emu->now().toString(Qt::ISODateWithMs)},
                          {QStringLiteral("expiration"),
                           QJsonObject {{QStringLiteral("type"), QStringLiteral("afterDuration")},
                                        {QStringLiteral("duration"), QStringLiteral("PT1H")}}}}}};
        return compact(body);
    }
    /// The id of a new PendingApproval request of `principal` (whose token is `token`).
    QString activate(const QString &groupId, const QString &principal, const QString &token)
    {
        const Reply r = graph("POST", kRequests, token, activationBody(groupId, principal));
        if (r.status != 201 || str(r.json(), "status") != u"PendingApproval") {
            qWarning() << "activation failed:" << r.status << r.body;
            return {};
        }
        return str(r.json(), "id");
    }
    Reply getApproval(const QString &id, const QString &token, const QString &base = kApprovals)
    {
        return graph("GET", base + u'/' + id, token);
    }
    QJsonObject stageOf(const QString &id, const QString &token)
    {
        return getApproval(id, token).json().value(QStringLiteral("stages")).toArray().first().toObject();
    }
    Reply patchStage(const QString &id, const QString &token, const QByteArray &body,
                     const QString &stageId = {})
    {
        return graph("PATCH",
                     kApprovals + u'/' + id + QStringLiteral("/stages/") + (stageId.isEmpty() ? id : stageId),
                     token, body);
    }
    QString requestStatus(const QString &id, const QString &token)
    {
        return str(graph("GET", kRequests + u'/' + id, token).json(), "status");
    }
    QJsonObject stateRequest(const QString &id)
    {
        for (const auto &v : m_emu->state().value(QStringLiteral("requests")).toArray())
            if (str(v.toObject(), "id") == id)
                return v.toObject();
        return {};
    }
    bool hasGrant(const QString &requestId)
    {
        for (const auto &v : m_emu->state().value(QStringLiteral("grants")).toArray())
            if (str(v.toObject(), "requestId") == requestId)
                return true;
        return false;
    }
    /// Ids in an on='approver' list (requests or approvals), all pages.
    QStringList approverList(const QString &collection, const QString &token, const QString &query = {})
    {
        QStringList ids;
        QUrl next = url(collection + QStringLiteral("/filterByCurrentUser(on='approver')") + query);
        while (next.isValid()) {
            const Reply page = send("GET", next, {}, {{"Authorization", "Bearer " + token.toLatin1()}});
            if (page.status != 200)
                return {QStringLiteral("HTTP %1").arg(page.status)};
            for (const auto &v : page.json().value(QStringLiteral("value")).toArray())
                ids << str(v.toObject(), "id");
            next = QUrl(str(page.json(), "@odata.nextLink"));
        }
        return ids;
    }
    Reply decide(const QString &id, const QString &decision, const QString &approver)
    {
        return send("POST", url(QStringLiteral("/_emulator/decide")),
                    compact({{QStringLiteral("request"), id},
                             {QStringLiteral("decision"), decision},
                             {QStringLiteral("approver"), approver},
                             {QStringLiteral("justification"), QStringLiteral("via the test bed")}}));
    }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        m_emu->setAutoSignIn(kAlexUpn); // no page; each sign-in's login_hint picks the user
        refreshTokens();
        QVERIFY(!m_alex.isEmpty() && !m_megan.isEmpty() && !m_lee.isEmpty());
    }
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    void approveThenSecondDecisionConflicts()
    {
        const QString rid = activate(kAdmin, kAlex, m_alex);
        QVERIFY(!rid.isEmpty());

        // The approver sees one stage assigned to her; the requester sees it too, not assigned.
        const Reply asMegan = getApproval(rid, m_megan);
        QCOMPARE(asMegan.status, 200);
        QVERIFY(
            str(asMegan.json(), "@odata.context").endsWith(QStringLiteral("assignmentApprovals/$entity")));
        QCOMPARE(str(asMegan.json(), "id"), rid);
        QVERIFY(!asMegan.json().contains(QStringLiteral("steps")));
        const QJsonArray stages = asMegan.json().value(QStringLiteral("stages")).toArray();
        QCOMPARE(stages.size(), 1);
        QJsonObject stage = stages.first().toObject();
        QCOMPARE(str(stage, "id"), rid);
        QVERIFY(stage.contains(QStringLiteral("displayName"))
                && stage.value(QStringLiteral("displayName")).isNull());
        QCOMPARE(str(stage, "status"), QStringLiteral("InProgress"));
        QCOMPARE(str(stage, "reviewResult"), QStringLiteral("NotReviewed"));
        QCOMPARE(stage.value(QStringLiteral("assignedToMe")).toBool(), true);
        QVERIFY(stage.contains(QStringLiteral("reviewedBy"))
                && stage.value(QStringLiteral("reviewedBy")).isNull());
        QVERIFY(stage.value(QStringLiteral("reviewedDateTime")).isNull());
        QCOMPARE(stage.value(QStringLiteral("justification")).toString(QStringLiteral("absent")), QString());
        const QJsonObject asAlex = stageOf(rid, m_alex);
        QCOMPARE(asAlex.value(QStringLiteral("assignedToMe")).toBool(true), false);
        QCOMPARE(str(asAlex, "status"), QStringLiteral("InProgress"));
        // Lee approves NetworkAdministrator, not AdministratorAccess: he cannot see this one.
        const Reply asLee = getApproval(rid, m_lee);
        QCOMPARE(asLee.status, 404);
        QCOMPARE(asLee.pimCode(), QStringLiteral("ResourceNotFound"));
        QCOMPARE(approverList(kApprovals, m_megan), QStringList {rid});
        QVERIFY(approverList(kApprovals, m_lee).isEmpty());
        const QJsonObject approvalItem
            = graph("GET", kApprovals + QStringLiteral("/filterByCurrentUser(on='approver')"), m_megan)
                  .json()
                  .value(QStringLiteral("value"))
                  .toArray()
                  .first()
                  .toObject();
        QCOMPARE(str(approvalItem.value(QStringLiteral("stages")).toArray().first().toObject(), "id"), rid);

        // Megan approves: 204, the request is provisioned with its grant, the stage tells who and why.
        m_emu->advanceClock(300);
        const Reply approved
            = patchStage(rid, m_megan, review(QStringLiteral("Approve"), QStringLiteral("Matches INC-7781")));
        QCOMPARE(approved.status, 204);
        QVERIFY(approved.body.isEmpty());
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Provisioned"));
        QVERIFY(hasGrant(rid));
        stage = stageOf(rid, m_alex);
        QCOMPARE(str(stage, "status"), QStringLiteral("Completed"));
        QCOMPARE(str(stage, "reviewResult"), QStringLiteral("Approved"));
        QCOMPARE(stage.value(QStringLiteral("assignedToMe")).toBool(true), false);
        QCOMPARE(str(stage, "justification"), QStringLiteral("Matches INC-7781"));
        const QJsonObject by = stage.value(QStringLiteral("reviewedBy")).toObject();
        QCOMPARE(str(by, "id"), kMegan);
        QCOMPARE(str(by, "displayName"), QStringLiteral("Megan Bowen"));
        QCOMPARE(str(by, "userPrincipalName"), kMeganUpn);
        const QDateTime reviewed = QDateTime::fromString(str(stage, "reviewedDateTime"), Qt::ISODateWithMs);
        QVERIFY(reviewed.isValid());
        QVERIFY(qAbs(reviewed.secsTo(m_emu->now())) < 5);
        QCOMPARE(stageOf(rid, m_megan).value(QStringLiteral("assignedToMe")).toBool(true), false);
        QVERIFY(approverList(kApprovals, m_megan).isEmpty());
        const QJsonObject state = stateRequest(rid).value(QStringLiteral("approval")).toObject();
        QCOMPARE(str(state, "stageStatus"), QStringLiteral("Completed"));
        QCOMPARE(str(state, "reviewResult"), QStringLiteral("Approved"));
        QCOMPARE(str(state, "reviewedBy"), kMeganUpn);
        QCOMPARE(str(state, "justification"), QStringLiteral("Matches INC-7781"));
        QVERIFY(!str(state, "reviewedDateTime").isEmpty());

        // A second decision on a completed stage: 409 with Graph's error body.
        const Reply again
            = patchStage(rid, m_megan, review(QStringLiteral("Deny"), QStringLiteral("changed my mind")));
        QCOMPARE(again.status, 409);
        QCOMPARE(again.pimCode(), QStringLiteral("Conflict"));
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Provisioned"));
    }

    void twoApproversRace()
    {
        const QString rid = activate(kNetwork, kAlex, m_alex);
        QVERIFY(!rid.isEmpty());
        QCOMPARE(stageOf(rid, m_megan).value(QStringLiteral("assignedToMe")).toBool(), true);
        QCOMPARE(stageOf(rid, m_lee).value(QStringLiteral("assignedToMe")).toBool(), true);
        QCOMPARE(patchStage(rid, m_megan, review(QStringLiteral("Approve"), QStringLiteral("first"))).status,
                 204);
        const Reply late = patchStage(rid, m_lee, review(QStringLiteral("Deny"), QStringLiteral("second")));
        QCOMPARE(late.status, 409);
        QVERIFY(late.json().value(QStringLiteral("error")).toObject().contains(QStringLiteral("innerError")));
        // The first decision stands; lee reads who made it.
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Provisioned"));
        const QJsonObject stage = stageOf(rid, m_lee);
        QCOMPARE(str(stage, "reviewResult"), QStringLiteral("Approved"));
        QCOMPARE(str(stage.value(QStringLiteral("reviewedBy")).toObject(), "userPrincipalName"), kMeganUpn);
        QCOMPARE(stage.value(QStringLiteral("assignedToMe")).toBool(true), false);
    }

    void denyIsReadableByTheRequester()
    {
        const QString rid = activate(kNetwork, kAlex, m_alex);
        QCOMPARE(
            patchStage(rid, m_lee, review(QStringLiteral("Deny"), QStringLiteral("Not during the freeze")))
                .status,
            204);
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Denied"));
        QVERIFY(!hasGrant(rid));
        const QJsonObject stage = stageOf(rid, m_alex);
        QCOMPARE(str(stage, "status"), QStringLiteral("Completed"));
        QCOMPARE(str(stage, "reviewResult"), QStringLiteral("Denied"));
        QCOMPARE(str(stage, "justification"), QStringLiteral("Not during the freeze"));
        QCOMPARE(str(stage.value(QStringLiteral("reviewedBy")).toObject(), "displayName"),
                 QStringLiteral("Lee Gu"));
        QCOMPARE(str(stateRequest(rid).value(QStringLiteral("approval")).toObject(), "reviewedBy"), kLeeUpn);
    }

    void badDecisions()
    {
        const QString admin = activate(kAdmin, kAlex, m_alex);
        QVERIFY(!admin.isEmpty());
        // The policy requires the approver's justification (and says so); the verb must be a write verb.
        Reply r = patchStage(admin, m_megan, review(QStringLiteral("Approve"), QString()));
        QCOMPARE(r.status, 400);
        QCOMPARE(patchStage(admin, m_megan, review(QStringLiteral("Approve"), QStringLiteral("   "))).status,
                 400);
        QCOMPARE(
            patchStage(admin, m_megan, compact({{QStringLiteral("reviewResult"), QStringLiteral("Approve")}}))
                .status,
            400);
        QCOMPARE(patchStage(admin, m_megan, review(QStringLiteral("Approved"), QStringLiteral("read value")))
                     .status,
                 400);
        QCOMPARE(patchStage(admin, m_megan, review(QStringLiteral("Maybe"), QStringLiteral("?"))).status,
                 400);
        QCOMPARE(patchStage(admin, m_megan, "{not json").status, 400);
        QCOMPARE(requestStatus(admin, m_alex), QStringLiteral("PendingApproval"));

        // Not an approver: lee on AdministratorAccess, alex on somebody else's request; the requester.
        r = patchStage(admin, m_lee, review(QStringLiteral("Approve"), QStringLiteral("sure")));
        QCOMPARE(r.status, 403);
        QCOMPARE(r.pimCode(), QStringLiteral("AuthorizationFailed"));
        QCOMPARE(patchStage(admin, m_alex, review(QStringLiteral("Approve"), QStringLiteral("me"))).status,
                 403);
        const QString megansOwn = activate(kNetwork, kMegan, m_megan);
        QVERIFY(!megansOwn.isEmpty());
        QCOMPARE(
            patchStage(megansOwn, m_alex, review(QStringLiteral("Approve"), QStringLiteral("sure"))).status,
            403);
        QCOMPARE(getApproval(megansOwn, m_alex).status, 404); // alex cannot even see it

        // Unknown approval, unknown stage, a request without an approval.
        r = patchStage(QStringLiteral("3f2e1d0c-9b8a-4f7e-8d6c-5b4a3f2e1d0c"), m_megan,
                       review(QStringLiteral("Approve"), QStringLiteral("x")));
        QCOMPARE(r.status, 404);
        QCOMPARE(r.pimCode(), QStringLiteral("ResourceNotFound"));
        QCOMPARE(getApproval(QStringLiteral("nope"), m_megan).status, 404);
        QCOMPARE(patchStage(admin, m_megan, review(QStringLiteral("Approve"), QStringLiteral("x")),
                            QStringLiteral("nope"))
                     .status,
                 404);
        QCOMPARE(graph("GET", kApprovals + u'/' + admin + QStringLiteral("/stages/nope"), m_megan).status,
                 404);
        const Reply plain = graph("POST", kRequests, m_alex, activationBody(kReadOnly, kAlex));
        QCOMPARE(str(plain.json(), "status"), QStringLiteral("Provisioned"));
        QCOMPARE(getApproval(str(plain.json(), "id"), m_alex).status, 404);
        QCOMPARE(patchStage(str(plain.json(), "id"), m_megan,
                            review(QStringLiteral("Approve"), QStringLiteral("x")))
                     .status,
                 404);

        // Reading needs a PIM scope; deciding needs the ReadWrite one.
        const QString readOnly = tokenFor(kMeganUpn, kReadScope);
        QCOMPARE(getApproval(admin, readOnly).status, 200);
        r = patchStage(admin, readOnly, review(QStringLiteral("Approve"), QStringLiteral("x")));
        QCOMPARE(r.status, 403);
        QCOMPARE(r.pimCode(), QStringLiteral("PermissionScopeNotGranted"));
        const QString noPim = tokenFor(kMeganUpn, QStringLiteral("RoleManagementPolicy.Read.AzureADGroup"));
        QCOMPARE(getApproval(admin, noPim).pimCode(), QStringLiteral("PermissionScopeNotGranted"));

        // The bare collection is for app tokens; only on='approver' exists for approvals.
        QCOMPARE(graph("GET", kApprovals, m_megan).status, 403);
        QCOMPARE(
            graph("GET", kApprovals + QStringLiteral("/filterByCurrentUser(on='principal')"), m_megan).status,
            400);
        // v1.0 has stages, beta has steps.
        QCOMPARE(graph("GET", kApprovals + u'/' + admin + QStringLiteral("/steps"), m_megan).status, 400);
        QCOMPARE(graph("GET", kBetaApprovals + u'/' + admin + QStringLiteral("/stages"), m_megan).status,
                 400);
        QCOMPARE(requestStatus(admin, m_alex), QStringLiteral("PendingApproval"));
    }

    void approverJustificationCanBeOptional()
    {
        // The same demo with AdministratorAccess not asking approvers for a reason.
        QJsonObject scenario = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        QJsonArray policies = scenario.value(QStringLiteral("policies")).toArray();
        for (int i = 0; i < policies.size(); ++i) {
            QJsonObject p = policies.at(i).toObject();
            if (str(p, "group") == u"AWS-123456789012-AdministratorAccess")
                p.insert(QStringLiteral("approverJustification"), false);
            policies[i] = p;
        }
        scenario.insert(QStringLiteral("policies"), policies);
        QString error;
        QVERIFY2(m_emu->loadScenario(QJsonDocument(scenario).toJson(), &error), qPrintable(error));
        refreshTokens();

        const auto approvalSetting = [&](const QString &group) {
            const QString filter
                = QStringLiteral("scopeId eq '%1' and scopeType eq 'Group' and roleDefinitionId eq "
                                 "'member'")
                      .arg(group);
            const Reply r
                = graph("GET",
                        QStringLiteral("/graph/v1.0/policies/roleManagementPolicyAssignments?$filter=")
                            + QString::fromLatin1(QUrl::toPercentEncoding(filter))
                            + QStringLiteral("&$expand=policy($expand=rules)"),
                        tokenFor(kAlexUpn, QStringLiteral("RoleManagementPolicy.Read.AzureADGroup")));
            for (const auto &rule : r.json()
                                        .value(QStringLiteral("value"))
                                        .toArray()
                                        .first()
                                        .toObject()
                                        .value(QStringLiteral("policy"))
                                        .toObject()
                                        .value(QStringLiteral("rules"))
                                        .toArray())
                if (str(rule.toObject(), "id") == u"Approval_EndUser_Assignment")
                    return rule.toObject()
                        .value(QStringLiteral("setting"))
                        .toObject()
                        .value(QStringLiteral("approvalStages"))
                        .toArray()
                        .first()
                        .toObject();
            return QJsonObject();
        };
        QCOMPARE(
            approvalSetting(kAdmin).value(QStringLiteral("isApproverJustificationRequired")).toBool(true),
            false);
        QCOMPARE(
            approvalSetting(kNetwork).value(QStringLiteral("isApproverJustificationRequired")).toBool(false),
            true);
        const QString rid = activate(kAdmin, kAlex, m_alex);
        QCOMPARE(
            patchStage(rid, m_megan, compact({{QStringLiteral("reviewResult"), QStringLiteral("Approve")}}))
                .status,
            204);
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Provisioned"));
        QCOMPARE(str(stageOf(rid, m_alex), "justification"), QString());

        // A scenario flag that is not a boolean is refused.
        QJsonObject bad = scenario;
        QJsonArray badPolicies = policies;
        QJsonObject first = badPolicies.first().toObject();
        first.insert(QStringLiteral("approverJustification"), QStringLiteral("yes"));
        badPolicies[0] = first;
        bad.insert(QStringLiteral("policies"), badPolicies);
        QVERIFY(!m_emu->loadScenario(QJsonDocument(bad).toJson(), &error));
        QVERIFY(error.contains(QStringLiteral("approverJustification")));
    }

    void noSelfApproval()
    {
        // Megan is eligible for NetworkAdministrator and one of its approvers.
        const QString rid = activate(kNetwork, kMegan, m_megan);
        QVERIFY(!rid.isEmpty());
        const QJsonObject own = stageOf(rid, m_megan);
        QCOMPARE(str(own, "status"), QStringLiteral("InProgress"));
        QCOMPARE(own.value(QStringLiteral("assignedToMe")).toBool(true), false);
        QVERIFY(!approverList(kApprovals, m_megan).contains(rid));
        QVERIFY(!approverList(kRequests, m_megan).contains(rid));
        QVERIFY(approverList(kRequests, m_megan, QStringLiteral("?$expand=principal")).isEmpty());
        const Reply self
            = patchStage(rid, m_megan, review(QStringLiteral("Approve"), QStringLiteral("trust me")));
        QCOMPARE(self.status, 403);
        QCOMPARE(self.pimCode(), QStringLiteral("AuthorizationFailed"));
        QCOMPARE(decide(rid, QStringLiteral("Approve"), kMeganUpn).status, 403); // the test bed agrees
        QCOMPARE(requestStatus(rid, m_megan), QStringLiteral("PendingApproval"));

        // Lee is offered it and approves it.
        QCOMPARE(approverList(kApprovals, m_lee), QStringList {rid});
        QCOMPARE(approverList(kRequests, m_lee), QStringList {rid});
        QCOMPARE(stageOf(rid, m_lee).value(QStringLiteral("assignedToMe")).toBool(), true);
        QCOMPARE(patchStage(rid, m_lee, review(QStringLiteral("Approve"), QStringLiteral("ok"))).status, 204);
        QCOMPARE(requestStatus(rid, m_megan), QStringLiteral("Provisioned"));
        QVERIFY(hasGrant(rid));
        QCOMPARE(str(stageOf(rid, m_megan).value(QStringLiteral("reviewedBy")).toObject(), "id"), kLee);
    }

    void betaSteps()
    {
        const QString rid = activate(kAdmin, kAlex, m_alex);
        Reply r = getApproval(rid, m_megan, kBetaApprovals);
        QCOMPARE(r.status, 200);
        QVERIFY(!r.json().contains(QStringLiteral("stages")));
        QJsonArray steps = r.json().value(QStringLiteral("steps")).toArray();
        QCOMPARE(steps.size(), 1);
        QCOMPARE(str(steps.first().toObject(), "id"), rid);
        QCOMPARE(steps.first().toObject().value(QStringLiteral("assignedToMe")).toBool(), true);
        QCOMPARE(graph("GET", kBetaApprovals + u'/' + rid + QStringLiteral("?$expand=steps"), m_megan).status,
                 200);
        r = graph("GET", kBetaApprovals + u'/' + rid + QStringLiteral("/steps"), m_megan);
        QCOMPARE(r.status, 200);
        QVERIFY(str(r.json(), "@odata.context").endsWith(QStringLiteral("/steps")));
        steps = r.json().value(QStringLiteral("value")).toArray();
        QCOMPARE(steps.size(), 1);
        QCOMPARE(str(steps.first().toObject(), "status"), QStringLiteral("InProgress"));
        QCOMPARE(
            str(graph("GET", kBetaApprovals + u'/' + rid + QStringLiteral("/steps/") + rid, m_megan).json(),
                "reviewResult"),
            QStringLiteral("NotReviewed"));
        QCOMPARE(graph("GET", kBetaApprovals + u'/' + rid + QStringLiteral("/steps"), m_lee).status, 404);

        // Deciding through the beta path.
        r = graph("PATCH", kBetaApprovals + u'/' + rid + QStringLiteral("/steps/") + rid, m_megan,
                  review(QStringLiteral("Approve"), QStringLiteral("beta")));
        QCOMPARE(r.status, 204);
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Provisioned"));
        const QJsonObject step = getApproval(rid, m_alex, kBetaApprovals)
                                     .json()
                                     .value(QStringLiteral("steps"))
                                     .toArray()
                                     .first()
                                     .toObject();
        QCOMPARE(str(step, "status"), QStringLiteral("Completed"));
        // beta documents reviewedBy as a userIdentity collection
        const QJsonArray by = step.value(QStringLiteral("reviewedBy")).toArray();
        QCOMPARE(by.size(), 1);
        QCOMPARE(str(by.first().toObject(), "userPrincipalName"), kMeganUpn);
        QCOMPARE(graph("PATCH", kBetaApprovals + u'/' + rid + QStringLiteral("/steps/") + rid, m_megan,
                       review(QStringLiteral("Deny"), QStringLiteral("again")))
                     .status,
                 409);
    }

    void lapseExpiresTheStage()
    {
        const QString rid = activate(kAdmin, kAlex, m_alex);
        m_emu->advanceClock(24 * 3600 + 1);
        refreshTokens();
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("TimedOut"));
        const QJsonObject stage = stageOf(rid, m_megan);
        QCOMPARE(str(stage, "status"), QStringLiteral("Expired"));
        QCOMPARE(str(stage, "reviewResult"), QStringLiteral("NotReviewed"));
        QCOMPARE(stage.value(QStringLiteral("assignedToMe")).toBool(true), false);
        QVERIFY(stage.value(QStringLiteral("reviewedBy")).isNull());
        const Reply late
            = patchStage(rid, m_megan, review(QStringLiteral("Approve"), QStringLiteral("too late")));
        QCOMPARE(late.status, 409);
        QCOMPARE(late.pimCode(), QStringLiteral("Conflict"));
        QVERIFY(approverList(kApprovals, m_megan).isEmpty());
        QCOMPARE(str(stateRequest(rid).value(QStringLiteral("approval")).toObject(), "stageStatus"),
                 QStringLiteral("Expired"));
        QVERIFY(!hasGrant(rid));

        // A canceled request's stage is closed too.
        const QString canceled = activate(kNetwork, kAlex, m_alex);
        QCOMPARE(graph("POST", kRequests + u'/' + canceled + QStringLiteral("/cancel"), m_alex).status, 204);
        QCOMPARE(str(stageOf(canceled, m_lee), "status"), QStringLiteral("Completed"));
        QCOMPARE(str(stageOf(canceled, m_lee), "reviewResult"), QStringLiteral("NotReviewed"));
        QCOMPARE(patchStage(canceled, m_lee, review(QStringLiteral("Approve"), QStringLiteral("x"))).status,
                 409);
    }

    void approverRequestListExpandsThePrincipal()
    {
        const QString admin = activate(kAdmin, kAlex, m_alex);
        const QString network = activate(kNetwork, kAlex, m_alex);
        const QString query = QStringLiteral("?$filter=")
            + QString::fromLatin1(QUrl::toPercentEncoding(QStringLiteral("status eq 'PendingApproval'")))
            + QStringLiteral("&$expand=group($select=id,displayName),principal");
        const Reply r = graph(
            "GET", kRequests + QStringLiteral("/filterByCurrentUser(on='approver')") + query, m_megan);
        QCOMPARE(r.status, 200);
        const QJsonArray value = r.json().value(QStringLiteral("value")).toArray();
        QCOMPARE(value.size(), 2);
        for (const auto &v : value) {
            const QJsonObject item = v.toObject();
            QVERIFY(str(item, "id") == admin || str(item, "id") == network);
            const QJsonObject principal = item.value(QStringLiteral("principal")).toObject();
            QCOMPARE(str(principal, "@odata.type"), QStringLiteral("#microsoft.graph.user"));
            QCOMPARE(str(principal, "id"), kAlex);
            QCOMPARE(str(principal, "displayName"), QStringLiteral("Alex Wilber"));
            QCOMPARE(str(principal, "userPrincipalName"), kAlexUpn);
            QCOMPARE(str(principal, "mail"), kAlexUpn);
            const QJsonObject group = item.value(QStringLiteral("group")).toObject();
            QCOMPARE(group.keys(), (QStringList {QStringLiteral("displayName"), QStringLiteral("id")}));
            QCOMPARE(str(group, "id"), str(item, "groupId"));
            QCOMPARE(str(item, "justification"), QStringLiteral("Incident INC-7781 triage"));
            QCOMPARE(str(item.value(QStringLiteral("ticketInfo")).toObject(), "ticketNumber"),
                     QStringLiteral("INC-7781"));
        }
        QCOMPARE(approverList(kRequests, m_lee, query), QStringList {network});
        QVERIFY(approverList(kRequests, m_alex, query).isEmpty());

        // $expand=principal alone, on the principal list and on GET by id.
        const Reply mine = graph(
            "GET", kRequests + QStringLiteral("/filterByCurrentUser(on='principal')?$expand=principal"),
            m_alex);
        QCOMPARE(mine.status, 200);
        const QJsonObject first = mine.json().value(QStringLiteral("value")).toArray().first().toObject();
        QCOMPARE(str(first.value(QStringLiteral("principal")).toObject(), "displayName"),
                 QStringLiteral("Alex Wilber"));
        QVERIFY(!first.contains(QStringLiteral("group")));
        const Reply byId
            = graph("GET", kRequests + u'/' + admin + QStringLiteral("?$expand=principal"), m_megan);
        QCOMPARE(byId.status, 200);
        QCOMPARE(str(byId.json().value(QStringLiteral("principal")).toObject(), "userPrincipalName"),
                 kAlexUpn);
        // The full group without $select; an unknown navigation property is refused.
        const Reply full = graph("GET", kRequests + u'/' + admin + QStringLiteral("?$expand=group"), m_alex);
        QVERIFY(
            full.json().value(QStringLiteral("group")).toObject().contains(QStringLiteral("description")));
        QCOMPARE(graph("GET", kRequests + u'/' + admin + QStringLiteral("?$expand=requester"), m_alex).status,
                 400);
    }

    void emulatorDecideUsesTheStage()
    {
        const QString rid = activate(kAdmin, kAlex, m_alex);
        const Reply r = decide(rid, QStringLiteral("Approve"), kMeganUpn);
        QCOMPARE(r.status, 200);
        QCOMPARE(requestStatus(rid, m_alex), QStringLiteral("Provisioned"));
        const QJsonObject stage = stageOf(rid, m_alex);
        QCOMPARE(str(stage, "status"), QStringLiteral("Completed"));
        QCOMPARE(str(stage, "reviewResult"), QStringLiteral("Approved"));
        QCOMPARE(str(stage, "justification"), QStringLiteral("via the test bed"));
        QCOMPARE(str(stage.value(QStringLiteral("reviewedBy")).toObject(), "id"), kMegan);
        const QJsonObject state = stateRequest(rid);
        QCOMPARE(str(state.value(QStringLiteral("approval")).toObject(), "reviewedBy"), kMeganUpn);
        QCOMPARE(str(state.value(QStringLiteral("decision")).toObject(), "result"),
                 QStringLiteral("Approved"));
        QCOMPARE(patchStage(rid, m_megan, review(QStringLiteral("Deny"), QStringLiteral("late"))).status,
                 409);

        // Without an approver the test bed picks the first approver who is not the requester.
        const QString own = activate(kNetwork, kMegan, m_megan);
        QCOMPARE(send("POST", url(QStringLiteral("/_emulator/decide")),
                      compact({{QStringLiteral("request"), own},
                               {QStringLiteral("decision"), QStringLiteral("Deny")}}))
                     .status,
                 200);
        QCOMPARE(str(stateRequest(own).value(QStringLiteral("approval")).toObject(), "reviewedBy"), kLeeUpn);
        QCOMPARE(requestStatus(own, m_megan), QStringLiteral("Denied"));
        // Requests without an approval have none in the state.
        const Reply plain = graph("POST", kRequests, m_alex, activationBody(kReadOnly, kAlex));
        QCOMPARE(plain.status, 201);
        const QJsonObject plainState = stateRequest(str(plain.json(), "id"));
        QVERIFY(plainState.contains(QStringLiteral("approval")));
        QVERIFY(plainState.value(QStringLiteral("approval")).isNull());
    }
};

QTEST_GUILESS_MAIN(TestEmulatorApprovals)
#include "tst_emulator_approvals.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The emulator's PIM for Groups contracts over real HTTP: policies, the request lifecycle on the
// emulator's clock, PIM's errors in both shapes, the authentication-context challenge, fault injection.

#include "emulator/emulator.h"
#include "emulatorhttp.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>
#include <QUrlQuery>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedEligibilitySchedule.Read.AzureADGroup "
                     "https://graph.microsoft.com/PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup "
                     "https://graph.microsoft.com/RoleManagementPolicy.Read.AzureADGroup");
const QString kRedirect = QStringLiteral("http://localhost:5000/");
const QString kAlex = QStringLiteral("00000000-aaaa-bbbb-cccc-123456789abc");
const QString kMegan = QStringLiteral("00000000-aaaa-bbbb-cccc-fedcba987654");
// Groups of the demo scenario and their policies.
const QString kAdmin = QStringLiteral("0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b"); // PT4H, just.+ticket, approval
const QString kReadOnly = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"); // PT8H, nothing required
const QString kDba = QStringLiteral("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"); // PT2H, just., auth context c1
const QString kPowerUser = QStringLiteral("3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"); // PT8H, justification
const QString kNetwork = QStringLiteral("4d5e6f7a-8b9c-4d0e-9f1a-3b4c5d6e7f80"); // PT1H, just., approval
const QString kBilling = QStringLiteral("6f7a8b9c-0d1e-4f2a-b3c4-d5e6f7a8b9c0"); // default policy
const QString kRequests
    = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests");
const QString kInstances = QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                          "assignmentScheduleInstances/filterByCurrentUser(on='principal')");

QDateTime iso(const QJsonValue &v)
{
    return QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
}

QJsonObject jwtPayload(const QString &jwt)
{
    return QJsonDocument::fromJson(
               QByteArray::fromBase64(jwt.section(u'.', 1, 1).toLatin1(), QByteArray::Base64UrlEncoding))
        .object();
}
} // namespace

class TestEmulatorPim : public QObject
{
    Q_OBJECT
    Emulator::Emulator *m_emu = nullptr;
    QNetworkAccessManager m_nam;
    QString m_alex;

    Reply send(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {},
               const QByteArray &contentType = "application/json")
    {
        return Test::sendToEmulator(m_nam, method, url, body, headers, contentType);
    }
    QUrl url(const QString &path) const { return QUrl(m_emu->baseUrl().toString() + path); }
    QString tenantPath(const QString &rest) const { return u'/' + m_emu->tenantId() + rest; }

    /// Signs `upn` in through the code flow; `claims` goes on the authorize request and/or the redemption.
    QJsonObject signIn(const QString &upn, const QString &authorizeClaims = {},
                       const QString &redeemClaims = {})
    {
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), m_emu->clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"),
                       QString::fromLatin1(QUrl::toPercentEncoding(kRedirect)));
        q.addQueryItem(QStringLiteral("scope"), QString::fromLatin1(QUrl::toPercentEncoding(kScope)));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        q.addQueryItem(QStringLiteral("login_hint"), QString::fromLatin1(QUrl::toPercentEncoding(upn)));
        if (!authorizeClaims.isEmpty())
            q.addQueryItem(QStringLiteral("claims"),
                           QString::fromLatin1(QUrl::toPercentEncoding(authorizeClaims)));
        QUrl u = url(tenantPath(QStringLiteral("/oauth2/v2.0/authorize")));
        u.setQuery(q);
        const Reply a = send("GET", u);
        const QString code = QUrlQuery(a.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        QByteArray body = "client_id=" + m_emu->clientId().toLatin1() + "&grant_type=authorization_code&code="
            + QUrl::toPercentEncoding(code) + "&redirect_uri=" + QUrl::toPercentEncoding(kRedirect)
            + "&code_verifier=" + kVerifier + "&scope=" + QUrl::toPercentEncoding(kScope);
        if (!redeemClaims.isEmpty())
            body += "&claims=" + QUrl::toPercentEncoding(redeemClaims);
        return send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), body, {},
                    "application/x-www-form-urlencoded")
            .json();
    }
    QString tokenFor(const QString &upn)
    {
        return signIn(upn).value(QStringLiteral("access_token")).toString();
    }

    Reply graph(const QByteArray &method, const QString &path, const QByteArray &body = {},
                QString token = {})
    {
        if (token.isEmpty())
            token = m_alex;
        return send(method, url(path), body, {{"Authorization", "Bearer " + token.toLatin1()}});
    }
    Reply admin(const QByteArray &method, const QString &what, const QByteArray &body = {})
    {
        return send(method, url(QStringLiteral("/_emulator/") + what), body);
    }
    static QByteArray activation(const QString &groupId, const QString &duration,
                                 const QString &justification = {}, const QString &ticket = {},
                                 const QDateTime &start = {}, const QString &principal = kAlex)
    {
        QJsonObject expiration {{QStringLiteral("type"), QStringLiteral("afterDuration")},
                                {QStringLiteral("duration"), duration}};
        QJsonObject body {
            {QStringLiteral("accessId"), QStringLiteral("member")},
            {QStringLiteral("principalId"), principal},
            {QStringLiteral("groupId"), groupId},
            {QStringLiteral("action"), QStringLiteral("selfActivate")},
            {QStringLiteral("scheduleInfo"),
             QJsonObject {
                 {QStringLiteral("startDateTime"),
                  (start.isValid() ? start : QDateTime::currentDateTimeUtc()).toString(Qt::ISODateWithMs)},
                 {QStringLiteral("expiration"), expiration}}}};
        if (!justification.isEmpty())
            body.insert(QStringLiteral("justification"), justification);
        if (!ticket.isEmpty())
            body.insert(QStringLiteral("ticketInfo"),
                        QJsonObject {{QStringLiteral("ticketNumber"), ticket},
                                     {QStringLiteral("ticketSystem"), QStringLiteral("Jira")}});
        return QJsonDocument(body).toJson(QJsonDocument::Compact);
    }
    static QByteArray deactivation(const QString &groupId)
    {
        return QJsonDocument(QJsonObject {{QStringLiteral("accessId"), QStringLiteral("member")},
                                          {QStringLiteral("principalId"), kAlex},
                                          {QStringLiteral("groupId"), groupId},
                                          {QStringLiteral("action"), QStringLiteral("selfDeactivate")},
                                          {QStringLiteral("justification"), QStringLiteral("Done")}})
            .toJson(QJsonDocument::Compact);
    }
    Reply activate(const QString &groupId, const QString &duration, const QString &justification = {},
                   const QString &ticket = {}, const QDateTime &start = {})
    {
        return graph("POST", kRequests, activation(groupId, duration, justification, ticket, start));
    }
    QJsonArray instances()
    {
        return graph("GET", kInstances + QStringLiteral("?$expand=group"))
            .json()
            .value(QStringLiteral("value"))
            .toArray();
    }
    QJsonObject request(const QString &id) { return graph("GET", kRequests + u'/' + id).json(); }
    QJsonObject stateRequest(const QString &id)
    {
        for (const auto &v : m_emu->state().value(QStringLiteral("requests")).toArray())
            if (v.toObject().value(QStringLiteral("id")).toString() == id)
                return v.toObject();
        return {};
    }
    Reply decide(const QString &id, const char *decision,
                 const QString &approver = QStringLiteral("megan@contoso.example"))
    {
        return admin(
            "POST", QStringLiteral("decide"),
            QJsonDocument(QJsonObject {{QStringLiteral("request"), id},
                                       {QStringLiteral("decision"), QString::fromLatin1(decision)},
                                       {QStringLiteral("approver"), approver},
                                       {QStringLiteral("justification"), QStringLiteral("ok by me")}})
                .toJson(QJsonDocument::Compact));
    }
    int postsTo(const QString &pathPart)
    {
        int n = 0;
        for (const auto &v : m_emu->state().value(QStringLiteral("httpRequests")).toArray()) {
            const QJsonObject o = v.toObject();
            n += o.value(QStringLiteral("method")).toString() == u"POST"
                && o.value(QStringLiteral("path")).toString().contains(pathPart)
                && o.value(QStringLiteral("processed")).toBool();
        }
        return n;
    }
    QString id(const Reply &r) { return r.json().value(QStringLiteral("id")).toString(); }

private Q_SLOTS:
    void init()
    {
        m_emu = new Emulator::Emulator(this);
        QVERIFY(m_emu->loadBuiltInScenario());
        QVERIFY(m_emu->listen(QHostAddress(QStringLiteral("127.0.0.1")), 0));
        m_emu->setAutoSignIn(QStringLiteral("alex@contoso.example"));
        m_alex = tokenFor(QStringLiteral("alex@contoso.example"));
        QVERIFY(!m_alex.isEmpty());
    }
    void cleanup()
    {
        delete m_emu;
        m_emu = nullptr;
    }

    void policyShape()
    {
        const QString base = QStringLiteral("/graph/v1.0/policies/roleManagementPolicyAssignments?$filter=");
        const auto filter = [](const QString &group, const QString &role) {
            QString f = QStringLiteral("scopeId eq '%1' and scopeType eq 'Group'").arg(group);
            if (!role.isEmpty())
                f += QStringLiteral(" and roleDefinitionId eq '%1'").arg(role);
            return QString::fromLatin1(QUrl::toPercentEncoding(f));
        };
        const QString expand = QStringLiteral("&$expand=policy($expand=rules)");
        const Reply r = graph("GET", base + filter(kAdmin, QStringLiteral("member")) + expand);
        QCOMPARE(r.status, 200);
        QVERIFY(r.json()
                    .value(QStringLiteral("@odata.context"))
                    .toString()
                    .endsWith(QStringLiteral("roleManagementPolicyAssignments(policy(rules()))")));
        const QJsonArray value = r.json().value(QStringLiteral("value")).toArray();
        QCOMPARE(value.size(), 1);
        const QJsonObject a = value.first().toObject();
        QCOMPARE(a.value(QStringLiteral("scopeId")).toString(), kAdmin);
        QCOMPARE(a.value(QStringLiteral("scopeType")).toString(), QStringLiteral("Group"));
        QCOMPARE(a.value(QStringLiteral("roleDefinitionId")).toString(), QStringLiteral("member"));
        QVERIFY(a.value(QStringLiteral("id")).toString().startsWith(QStringLiteral("Group_") + kAdmin));
        QVERIFY(a.value(QStringLiteral("id")).toString().endsWith(QStringLiteral("_member")));
        const QJsonObject policy = a.value(QStringLiteral("policy")).toObject();
        QCOMPARE(policy.value(QStringLiteral("id")).toString(),
                 a.value(QStringLiteral("policyId")).toString());
        const QJsonArray rules = policy.value(QStringLiteral("rules")).toArray();
        QHash<QString, QJsonObject> byId;
        for (const auto &rule : rules)
            byId.insert(rule.toObject().value(QStringLiteral("id")).toString(), rule.toObject());
        // The client must pick rules by id: the first one is not an activation rule, notifications exist.
        QVERIFY(!rules.first()
                     .toObject()
                     .value(QStringLiteral("id"))
                     .toString()
                     .endsWith(u"_EndUser_Assignment"));
        QVERIFY(byId.contains(QStringLiteral("Notification_Requestor_EndUser_Assignment")));
        QCOMPARE(byId.value(QStringLiteral("Expiration_EndUser_Assignment"))
                     .value(QStringLiteral("maximumDuration"))
                     .toString(),
                 QStringLiteral("PT4H"));
        QCOMPARE(byId.value(QStringLiteral("Enablement_EndUser_Assignment"))
                     .value(QStringLiteral("enabledRules"))
                     .toArray(),
                 QJsonArray({QStringLiteral("Justification"), QStringLiteral("Ticketing")}));
        const QJsonObject approval = byId.value(QStringLiteral("Approval_EndUser_Assignment"));
        QCOMPARE(approval.value(QStringLiteral("@odata.type")).toString(),
                 QStringLiteral("#microsoft.graph.unifiedRoleManagementPolicyApprovalRule"));
        const QJsonObject setting = approval.value(QStringLiteral("setting")).toObject();
        QCOMPARE(setting.value(QStringLiteral("isApprovalRequired")).toBool(), true);
        const QJsonObject approver = setting.value(QStringLiteral("approvalStages"))
                                         .toArray()
                                         .first()
                                         .toObject()
                                         .value(QStringLiteral("primaryApprovers"))
                                         .toArray()
                                         .first()
                                         .toObject();
        QCOMPARE(approver.value(QStringLiteral("@odata.type")).toString(),
                 QStringLiteral("#microsoft.graph.singleUser"));
        QCOMPARE(approver.value(QStringLiteral("userId")).toString(), kMegan);
        const QJsonObject acrs = byId.value(QStringLiteral("AuthenticationContext_EndUser_Assignment"));
        QCOMPARE(acrs.value(QStringLiteral("isEnabled")).toBool(), false);
        QVERIFY(acrs.value(QStringLiteral("claimValue")).isNull());
        QCOMPARE(byId.value(QStringLiteral("Expiration_EndUser_Assignment"))
                     .value(QStringLiteral("target"))
                     .toObject()
                     .value(QStringLiteral("caller"))
                     .toString(),
                 QStringLiteral("EndUser"));

        // Auth context group; default-policy group; both roles without roleDefinitionId.
        const auto rulesOf = [&](const QString &group) {
            QHash<QString, QJsonObject> out;
            const Reply x = graph("GET", base + filter(group, QStringLiteral("member")) + expand);
            for (const auto &rule : x.json()
                                        .value(QStringLiteral("value"))
                                        .toArray()
                                        .first()
                                        .toObject()
                                        .value(QStringLiteral("policy"))
                                        .toObject()
                                        .value(QStringLiteral("rules"))
                                        .toArray())
                out.insert(rule.toObject().value(QStringLiteral("id")).toString(), rule.toObject());
            return out;
        };
        const auto dba = rulesOf(kDba);
        QCOMPARE(dba.value(QStringLiteral("AuthenticationContext_EndUser_Assignment"))
                     .value(QStringLiteral("isEnabled"))
                     .toBool(),
                 true);
        QCOMPARE(dba.value(QStringLiteral("AuthenticationContext_EndUser_Assignment"))
                     .value(QStringLiteral("claimValue"))
                     .toString(),
                 QStringLiteral("c1"));
        const auto billing = rulesOf(kBilling);
        QCOMPARE(billing.value(QStringLiteral("Expiration_EndUser_Assignment"))
                     .value(QStringLiteral("maximumDuration"))
                     .toString(),
                 QStringLiteral("PT8H"));
        QCOMPARE(billing.value(QStringLiteral("Enablement_EndUser_Assignment"))
                     .value(QStringLiteral("enabledRules"))
                     .toArray(),
                 QJsonArray({QStringLiteral("Justification")}));
        QCOMPARE(billing.value(QStringLiteral("Approval_EndUser_Assignment"))
                     .value(QStringLiteral("setting"))
                     .toObject()
                     .value(QStringLiteral("isApprovalRequired"))
                     .toBool(),
                 false);
        const Reply both = graph("GET", base + filter(kAdmin, {}));
        QCOMPARE(both.json().value(QStringLiteral("value")).toArray().size(), 2);
        QVERIFY(!both.json()
                     .value(QStringLiteral("value"))
                     .toArray()
                     .first()
                     .toObject()
                     .contains(QStringLiteral("policy")));

        // scopeId and scopeType are required, and so is the scope.
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/policies/roleManagementPolicyAssignments")).status,
                 400);
        QCOMPARE(graph("GET",
                       base
                           + QString::fromLatin1(
                               QUrl::toPercentEncoding(QStringLiteral("scopeId eq '%1'").arg(kAdmin))))
                     .status,
                 400);
    }

    void immediateGrant()
    {
        const Reply r = activate(kReadOnly, QStringLiteral("PT1H30M"));
        QCOMPARE(r.status, 201);
        const QJsonObject j = r.json();
        const QString rid = j.value(QStringLiteral("id")).toString();
        QVERIFY(j.value(QStringLiteral("@odata.context"))
                    .toString()
                    .endsWith(QStringLiteral("assignmentScheduleRequests/$entity")));
        QCOMPARE(j.value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        QVERIFY(iso(j.value(QStringLiteral("completedDateTime"))).isValid());
        QVERIFY(j.value(QStringLiteral("approvalId")).isNull());
        QCOMPARE(j.value(QStringLiteral("createdBy"))
                     .toObject()
                     .value(QStringLiteral("user"))
                     .toObject()
                     .value(QStringLiteral("id"))
                     .toString(),
                 kAlex);
        QCOMPARE(j.value(QStringLiteral("targetScheduleId")).toString(),
                 kReadOnly + QStringLiteral("_member_") + rid);
        const QJsonObject ticket = j.value(QStringLiteral("ticketInfo")).toObject();
        QVERIFY(ticket.contains(QStringLiteral("ticketNumber"))
                && ticket.value(QStringLiteral("ticketNumber")).isNull());
        QVERIFY(ticket.value(QStringLiteral("ticketSystem")).isNull());
        const QJsonObject expiration = j.value(QStringLiteral("scheduleInfo"))
                                           .toObject()
                                           .value(QStringLiteral("expiration"))
                                           .toObject();
        QCOMPARE(expiration.value(QStringLiteral("duration")).toString(), QStringLiteral("PT1H30M"));
        QCOMPARE(expiration.value(QStringLiteral("type")).toString(), QStringLiteral("afterDuration"));

        const QJsonArray list = instances();
        QCOMPARE(list.size(), 1);
        const QJsonObject inst = list.first().toObject();
        QCOMPARE(inst.value(QStringLiteral("groupId")).toString(), kReadOnly);
        QCOMPARE(inst.value(QStringLiteral("assignmentType")).toString(), QStringLiteral("Activated"));
        QCOMPARE(
            inst.value(QStringLiteral("group")).toObject().value(QStringLiteral("displayName")).toString(),
            QStringLiteral("AWS-123456789012-ReadOnlyAccess"));
        QCOMPARE(inst.value(QStringLiteral("id")).toString(),
                 j.value(QStringLiteral("targetScheduleId")).toString());
        const QDateTime start = iso(inst.value(QStringLiteral("startDateTime")));
        QCOMPARE(start.msecsTo(iso(inst.value(QStringLiteral("endDateTime")))), 5400'000);
        QVERIFY(qAbs(start.secsTo(m_emu->now())) < 5);

        const Reply get = graph("GET", kRequests + u'/' + rid);
        QCOMPARE(get.status, 200);
        QCOMPARE(get.json().value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        QCOMPARE(m_emu->state().value(QStringLiteral("grants")).toArray().size(), 1);
        QCOMPARE(stateRequest(rid).value(QStringLiteral("principal")).toString(),
                 QStringLiteral("alex@contoso.example"));

        // afterDateTime works too, and an unknown id is not found.
        const QDateTime end = m_emu->now().addSecs(3600);
        QJsonObject body
            = QJsonDocument::fromJson(activation(kPowerUser, {}, QStringLiteral("why"))).object();
        body.insert(
            QStringLiteral("scheduleInfo"),
            QJsonObject {{QStringLiteral("startDateTime"), m_emu->now().toString(Qt::ISODateWithMs)},
                         {QStringLiteral("expiration"),
                          QJsonObject {{QStringLiteral("type"), QStringLiteral("afterDateTime")},
                                       {QStringLiteral("endDateTime"), end.toString(Qt::ISODateWithMs)}}}});
        const Reply fixed = graph("POST", kRequests, QJsonDocument(body).toJson());
        QCOMPARE(fixed.status, 201);
        QCOMPARE(instances().size(), 2);
        const Reply missing = graph("GET", kRequests + QStringLiteral("/nope"));
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.pimError().first, QStringLiteral("ResourceNotFound"));
    }

    void policyFailures()
    {
        // Wrapped (the default): UnknownError with the real error as JSON in the message.
        Reply r = activate(kPowerUser, QStringLiteral("PT1H"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.outerCode(), QStringLiteral("UnknownError"));
        QCOMPARE(r.pimError().first, QStringLiteral("RoleAssignmentRequestPolicyValidationFailed"));
        QCOMPARE(r.pimError().second,
                 QStringLiteral("The following policy rules failed: [\"JustificationRule\"]"));
        r = activate(kAdmin, QStringLiteral("PT1H"));
        QCOMPARE(
            r.pimError().second,
            QStringLiteral("The following policy rules failed: [\"JustificationRule\",\"TicketingRule\"]"));
        r = activate(kAdmin, QStringLiteral("PT4H1M"), QStringLiteral("why"), QStringLiteral("INC-1"));
        QCOMPARE(r.pimError().second,
                 QStringLiteral("The following policy rules failed: [\"ExpirationRule\"]"));
        r = activate(kAdmin, QStringLiteral("PT5H"), {}, QStringLiteral("INC-1"));
        QCOMPARE(
            r.pimError().second,
            QStringLiteral("The following policy rules failed: [\"ExpirationRule\",\"JustificationRule\"]"));
        // Not eligible: Megan has no eligibility for the admin group.
        const QString megan = tokenFor(QStringLiteral("megan@contoso.example"));
        r = graph("POST", kRequests,
                  activation(kAdmin, QStringLiteral("PT1H"), QStringLiteral("why"), QStringLiteral("INC-1"),
                             {}, kMegan),
                  megan);
        QCOMPARE(r.pimError().second,
                 QStringLiteral("The following policy rules failed: [\"EligibilityRule\"]"));
        // Someone else's principalId, an unknown action, a bad duration: invalid requests.
        r = graph("POST", kRequests, activation(kReadOnly, QStringLiteral("PT1H"), {}, {}, {}, kMegan));
        QCOMPARE(r.pimError().first, QStringLiteral("InvalidRoleAssignmentRequest"));
        QByteArray bad = activation(kReadOnly, QStringLiteral("PT1H"));
        bad.replace("selfActivate", "selfLevitate");
        QCOMPARE(graph("POST", kRequests, bad).pimError().first,
                 QStringLiteral("InvalidRoleAssignmentRequest"));
        QCOMPARE(activate(kReadOnly, QStringLiteral("1 hour")).pimError().first,
                 QStringLiteral("InvalidRoleAssignmentRequest"));
        QCOMPARE(graph("POST", kRequests, "{not json").status, 400);

        // Plain: the same codes without the wrapper.
        QCOMPARE(admin("POST", QStringLiteral("settings"), R"({"pimErrorShape":"plain"})").status, 200);
        r = activate(kAdmin, QStringLiteral("PT1H"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.outerCode(), QStringLiteral("RoleAssignmentRequestPolicyValidationFailed"));
        QCOMPARE(
            r.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString(),
            QStringLiteral("The following policy rules failed: [\"JustificationRule\",\"TicketingRule\"]"));
        QVERIFY(r.json().value(QStringLiteral("error")).toObject().contains(QStringLiteral("innerError")));
        QVERIFY(m_emu->state().value(QStringLiteral("requests")).toArray().isEmpty());
    }

    void approvalThenApprove()
    {
        const Reply r = activate(kAdmin, QStringLiteral("PT2H"), QStringLiteral("Rotate keys"),
                                 QStringLiteral("INC-7"));
        QCOMPARE(r.status, 201);
        const QString rid = id(r);
        QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("PendingApproval"));
        QCOMPARE(r.json().value(QStringLiteral("approvalId")).toString(), rid);
        QVERIFY(r.json().value(QStringLiteral("completedDateTime")).isNull());
        QCOMPARE(r.json()
                     .value(QStringLiteral("ticketInfo"))
                     .toObject()
                     .value(QStringLiteral("ticketNumber"))
                     .toString(),
                 QStringLiteral("INC-7"));
        QVERIFY(instances().isEmpty());

        // Megan sees it as an approver.
        const QString megan = tokenFor(QStringLiteral("megan@contoso.example"));
        const Reply queue
            = graph("GET", kRequests + QStringLiteral("/filterByCurrentUser(on='approver')"), {}, megan);
        QCOMPARE(queue.json().value(QStringLiteral("value")).toArray().size(), 1);

        m_emu->advanceClock(600);
        QCOMPARE(decide(rid, "Approve", QStringLiteral("lee@contoso.example")).status,
                 403); // not an approver
        const Reply approved = decide(rid, "Approve");
        QCOMPARE(approved.status, 200);
        const QJsonObject after = request(rid);
        QCOMPARE(after.value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        QVERIFY(iso(after.value(QStringLiteral("completedDateTime"))).isValid());
        const QJsonArray list = instances();
        QCOMPARE(list.size(), 1);
        const QDateTime start = iso(list.first().toObject().value(QStringLiteral("startDateTime")));
        QVERIFY(qAbs(start.secsTo(m_emu->now())) < 5); // starts at the decision, not at the request
        QCOMPARE(start.secsTo(iso(list.first().toObject().value(QStringLiteral("endDateTime")))), 7200);
        const QJsonObject decision = stateRequest(rid).value(QStringLiteral("decision")).toObject();
        QCOMPARE(decision.value(QStringLiteral("approver")).toString(),
                 QStringLiteral("megan@contoso.example"));
        QCOMPARE(decision.value(QStringLiteral("approverId")).toString(), kMegan);
        QCOMPARE(decision.value(QStringLiteral("result")).toString(), QStringLiteral("Approved"));
        QCOMPARE(decision.value(QStringLiteral("justification")).toString(), QStringLiteral("ok by me"));
        QVERIFY(iso(decision.value(QStringLiteral("dateTime"))).isValid());
        QCOMPARE(decide(rid, "Deny").status, 409); // already decided
        QCOMPARE(decide(QStringLiteral("nope"), "Approve").status, 404);
    }

    void denyAndCancel()
    {
        const QString denied = id(activate(kNetwork, QStringLiteral("PT1H"), QStringLiteral("Fix BGP")));
        QCOMPARE(request(denied).value(QStringLiteral("status")).toString(),
                 QStringLiteral("PendingApproval"));
        QCOMPARE(decide(denied, "Deny").status, 200);
        QCOMPARE(request(denied).value(QStringLiteral("status")).toString(), QStringLiteral("Denied"));
        QVERIFY(instances().isEmpty());
        QCOMPARE(stateRequest(denied)
                     .value(QStringLiteral("decision"))
                     .toObject()
                     .value(QStringLiteral("result"))
                     .toString(),
                 QStringLiteral("Denied"));

        const QString pending
            = id(activate(kNetwork, QStringLiteral("PT1H"), QStringLiteral("Fix BGP again")));
        const Reply cancel = graph("POST", kRequests + u'/' + pending + QStringLiteral("/cancel"));
        QCOMPARE(cancel.status, 204);
        QVERIFY(cancel.body.isEmpty());
        const QJsonObject canceled = request(pending);
        QCOMPARE(canceled.value(QStringLiteral("status")).toString(), QStringLiteral("Canceled"));
        QVERIFY(iso(canceled.value(QStringLiteral("completedDateTime"))).isValid());
        const Reply again = graph("POST", kRequests + u'/' + pending + QStringLiteral("/cancel"));
        QCOMPARE(again.status, 400);
        QCOMPARE(decide(pending, "Approve").status, 409);
        // A scheduled (Granted) activation can be canceled too; a provisioned one cannot.
        const QString scheduled = id(activate(kPowerUser, QStringLiteral("PT1H"), QStringLiteral("later"), {},
                                              QDateTime::currentDateTimeUtc().addSecs(3600)));
        QCOMPARE(request(scheduled).value(QStringLiteral("status")).toString(), QStringLiteral("Granted"));
        QCOMPARE(graph("POST", kRequests + u'/' + scheduled + QStringLiteral("/cancel")).status, 204);
        const QString live = id(activate(kReadOnly, QStringLiteral("PT1H")));
        QCOMPARE(graph("POST", kRequests + u'/' + live + QStringLiteral("/cancel")).status, 400);
    }

    void existsAndPending()
    {
        QCOMPARE(activate(kPowerUser, QStringLiteral("PT1H"), QStringLiteral("one")).status, 201);
        Reply r = activate(kPowerUser, QStringLiteral("PT1H"), QStringLiteral("two"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.pimError().first, QStringLiteral("RoleAssignmentExists"));
        QCOMPARE(activate(kNetwork, QStringLiteral("PT1H"), QStringLiteral("one")).status, 201);
        r = activate(kNetwork, QStringLiteral("PT1H"), QStringLiteral("two"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.pimError().first, QStringLiteral("PendingRoleAssignmentRequest"));
    }

    void deactivate()
    {
        const QString activated = id(activate(kPowerUser, QStringLiteral("PT2H"), QStringLiteral("work")));
        Reply r = graph("POST", kRequests, deactivation(kPowerUser));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.pimError().first, QStringLiteral("ActiveDurationTooShort"));
        m_emu->advanceClock(6 * 60);
        r = graph("POST", kRequests, deactivation(kPowerUser));
        QCOMPARE(r.status, 201);
        QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("Revoked"));
        QCOMPARE(r.json().value(QStringLiteral("action")).toString(), QStringLiteral("selfDeactivate"));
        QVERIFY(r.json().value(QStringLiteral("scheduleInfo")).isNull());
        QVERIFY(instances().isEmpty());
        QCOMPARE(stateRequest(activated).value(QStringLiteral("grantState")).toString(),
                 QStringLiteral("revoked"));
        r = graph("POST", kRequests, deactivation(kPowerUser));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.pimError().first, QStringLiteral("RoleAssignmentDoesNotExist"));
        // After a deactivation the group can be activated again.
        QCOMPARE(activate(kPowerUser, QStringLiteral("PT1H"), QStringLiteral("again")).status, 201);
    }

    void expiryByClock()
    {
        const QString rid = id(activate(kReadOnly, QStringLiteral("PT1H")));
        m_emu->advanceClock(3600 - 30);
        QCOMPARE(instances().size(), 1);
        QCOMPARE(stateRequest(rid).value(QStringLiteral("grantState")).toString(), QStringLiteral("active"));
        QVERIFY(admin("POST", QStringLiteral("clock/advance"), R"({"seconds": 60})").status == 200);
        m_alex = tokenFor(QStringLiteral("alex@contoso.example")); // access tokens live 60-90 minutes
        QVERIFY(instances().isEmpty());
        QVERIFY(m_emu->state().value(QStringLiteral("grants")).toArray().isEmpty());
        QCOMPARE(stateRequest(rid).value(QStringLiteral("grantState")).toString(), QStringLiteral("expired"));
        QCOMPARE(request(rid).value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        QCOMPARE(activate(kReadOnly, QStringLiteral("PT1H")).status, 201); // free to activate again
    }

    void scheduledStart()
    {
        const QDateTime start = m_emu->now().addSecs(2 * 3600);
        const Reply r = activate(kReadOnly, QStringLiteral("PT1H"), {}, {}, start);
        QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("Granted"));
        QVERIFY(instances().isEmpty());
        m_emu->advanceClock(2 * 3600 + 1);
        m_alex = tokenFor(QStringLiteral("alex@contoso.example")); // access tokens live 60-90 minutes
        QCOMPARE(request(id(r)).value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        const QJsonArray list = instances();
        QCOMPARE(list.size(), 1);
        QVERIFY(qAbs(iso(list.first().toObject().value(QStringLiteral("startDateTime"))).secsTo(start)) < 1);
    }

    void approvalLapses()
    {
        const QString first
            = id(activate(kAdmin, QStringLiteral("PT1H"), QStringLiteral("why"), QStringLiteral("T-1")));
        m_emu->advanceClock(24 * 3600 - 60);
        m_alex = tokenFor(QStringLiteral("alex@contoso.example")); // access tokens live 60-90 minutes
        QCOMPARE(request(first).value(QStringLiteral("status")).toString(),
                 QStringLiteral("PendingApproval"));
        m_emu->advanceClock(120);
        QCOMPARE(request(first).value(QStringLiteral("status")).toString(), QStringLiteral("TimedOut"));
        QCOMPARE(decide(first, "Approve").status, 409);

        QCOMPARE(admin("POST", QStringLiteral("settings"), R"({"approvalTimeoutStatus":"Canceled"})").status,
                 200);
        const QString second = id(activate(kNetwork, QStringLiteral("PT1H"), QStringLiteral("why")));
        m_emu->advanceClock(24 * 3600 + 1);
        m_alex = tokenFor(QStringLiteral("alex@contoso.example"));
        QCOMPARE(request(second).value(QStringLiteral("status")).toString(), QStringLiteral("Canceled"));
        QVERIFY(instances().isEmpty());
    }

    void listFiltersAndPaging()
    {
        const QString a = id(activate(kReadOnly, QStringLiteral("PT1H")));
        const QString b = id(activate(kPowerUser, QStringLiteral("PT1H"), QStringLiteral("x")));
        const QString c
            = id(activate(kAdmin, QStringLiteral("PT1H"), QStringLiteral("x"), QStringLiteral("T")));
        const QString d = id(activate(kNetwork, QStringLiteral("PT1H"), QStringLiteral("x")));
        const auto ids = [&](const QString &on, const QString &filter) {
            QSet<QString> out;
            QString path = kRequests + QStringLiteral("/filterByCurrentUser(on='%1')?$expand=group").arg(on);
            if (!filter.isEmpty())
                path += QStringLiteral("&$filter=") + QString::fromLatin1(QUrl::toPercentEncoding(filter));
            QUrl next = url(path);
            while (next.isValid()) {
                const Reply page = send("GET", next, {}, {{"Authorization", "Bearer " + m_alex.toLatin1()}});
                if (page.status != 200)
                    return QSet<QString> {QStringLiteral("HTTP %1").arg(page.status)};
                for (const auto &v : page.json().value(QStringLiteral("value")).toArray()) {
                    out.insert(v.toObject().value(QStringLiteral("id")).toString());
                    if (!v.toObject().value(QStringLiteral("group")).isObject())
                        out.insert(QStringLiteral("no group"));
                }
                next = QUrl(page.json().value(QStringLiteral("@odata.nextLink")).toString());
            }
            return out;
        };
        m_emu->setPageSize(1);
        QCOMPARE(ids(QStringLiteral("principal"), {}), (QSet<QString> {a, b, c, d}));
        QCOMPARE(ids(QStringLiteral("createdBy"), {}), (QSet<QString> {a, b, c, d}));
        QCOMPARE(ids(QStringLiteral("principal"), QStringLiteral("status eq 'PendingApproval'")),
                 (QSet<QString> {c, d}));
        QCOMPARE(ids(QStringLiteral("principal"), QStringLiteral("groupId eq '%1'").arg(kAdmin)),
                 (QSet<QString> {c}));
        QCOMPARE(ids(QStringLiteral("principal"),
                     QStringLiteral("status eq 'Provisioned' and groupId eq '%1' or groupId eq '%2'")
                         .arg(kReadOnly, kNetwork)),
                 (QSet<QString> {a, d}));
        QCOMPARE(ids(QStringLiteral("principal"),
                     QStringLiteral("(groupId eq '%1' or groupId eq '%2') and status eq 'Provisioned'")
                         .arg(kReadOnly, kNetwork)),
                 (QSet<QString> {a}));
        QCOMPARE(ids(QStringLiteral("principal"), QStringLiteral("status eq")),
                 (QSet<QString> {QStringLiteral("HTTP 400")}));
        QCOMPARE(ids(QStringLiteral("principal"), QStringLiteral("colour eq 'blue'")),
                 (QSet<QString> {QStringLiteral("HTTP 400")}));
        // Instances page too.
        int pages = 0;
        QUrl next = url(kInstances);
        QSet<QString> groups;
        while (next.isValid()) {
            const Reply page = send("GET", next, {}, {{"Authorization", "Bearer " + m_alex.toLatin1()}});
            for (const auto &v : page.json().value(QStringLiteral("value")).toArray())
                groups.insert(v.toObject().value(QStringLiteral("groupId")).toString());
            next = QUrl(page.json().value(QStringLiteral("@odata.nextLink")).toString());
            ++pages;
        }
        QCOMPARE(groups, (QSet<QString> {kReadOnly, kPowerUser}));
        QCOMPARE(pages, 2);
        // Megan sees none of Alex's requests.
        const QString megan = tokenFor(QStringLiteral("megan@contoso.example"));
        QCOMPARE(graph("GET", kRequests + u'/' + a, {}, megan).status, 404);
    }

    void authContextChallenge()
    {
        Reply r = activate(kDba, QStringLiteral("PT1H"), QStringLiteral("Vacuum"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.pimError().first, QStringLiteral("RoleAssignmentRequestAcrsValidationFailed"));
        const QString message = r.pimError().second;
        QVERIFY2(message.startsWith(QStringLiteral("&claims=%7B%22access_token%22")), qPrintable(message));
        const QString claims = QUrl::fromPercentEncoding(message.mid(8).toLatin1());
        const QJsonObject acrs = QJsonDocument::fromJson(claims.toUtf8())
                                     .object()
                                     .value(QStringLiteral("access_token"))
                                     .toObject()
                                     .value(QStringLiteral("acrs"))
                                     .toObject();
        QCOMPARE(acrs.value(QStringLiteral("value")).toString(), QStringLiteral("c1"));
        QCOMPARE(acrs.value(QStringLiteral("essential")).toBool(), true);
        // Plain shape: the same code as the outer one.
        admin("POST", QStringLiteral("settings"), R"({"pimErrorShape":"plain"})");
        QCOMPARE(activate(kDba, QStringLiteral("PT1H"), QStringLiteral("Vacuum")).outerCode(),
                 QStringLiteral("RoleAssignmentRequestAcrsValidationFailed"));

        // A refresh token cannot step up: the user must sign in.
        const QString rt = signIn(QStringLiteral("alex@contoso.example"))
                               .value(QStringLiteral("refresh_token"))
                               .toString();
        const QByteArray refresh = "client_id=" + m_emu->clientId().toLatin1()
            + "&grant_type=refresh_token&scope=" + QUrl::toPercentEncoding(kScope)
            + "&refresh_token=" + QUrl::toPercentEncoding(rt) + "&claims=" + QUrl::toPercentEncoding(claims);
        const Reply denied = send("POST", url(tenantPath(QStringLiteral("/oauth2/v2.0/token"))), refresh, {},
                                  "application/x-www-form-urlencoded");
        QCOMPARE(denied.status, 400);
        QCOMPARE(denied.json().value(QStringLiteral("error")).toString(), QStringLiteral("invalid_grant"));
        QCOMPARE(denied.json().value(QStringLiteral("error_codes")).toArray().first().toInt(), 50076);
        QCOMPARE(denied.json().value(QStringLiteral("suberror")).toString(), QStringLiteral("basic_action"));
        QVERIFY(denied.json()
                    .value(QStringLiteral("error_description"))
                    .toString()
                    .startsWith(QStringLiteral(
                        "AADSTS50076: Due to a configuration change made by your administrator")));

        // Interactive sign-in with the claims (cp1 merged in, as clients do) satisfies it.
        const QString withCp1 = QStringLiteral(
            R"({"access_token":{"xms_cc":{"values":["cp1"]},"acrs":{"essential":true,"value":"c1"}}})");
        const QString stepped = signIn(QStringLiteral("alex@contoso.example"), withCp1, withCp1)
                                    .value(QStringLiteral("access_token"))
                                    .toString();
        QCOMPARE(jwtPayload(stepped).value(QStringLiteral("acrs")).toArray(),
                 QJsonArray({QStringLiteral("c1")}));
        QVERIFY(!jwtPayload(m_alex).contains(QStringLiteral("acrs")));
        r = graph("POST", kRequests, activation(kDba, QStringLiteral("PT1H"), QStringLiteral("Vacuum")),
                  stepped);
        QCOMPARE(r.status, 201);
        QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("Provisioned"));
        // Claims on the redemption alone work as well.
        const QString redeemOnly = signIn(QStringLiteral("alex@contoso.example"), {}, claims)
                                       .value(QStringLiteral("access_token"))
                                       .toString();
        QCOMPARE(jwtPayload(redeemOnly).value(QStringLiteral("acrs")).toArray(),
                 QJsonArray({QStringLiteral("c1")}));
    }

    void faultStatusAndRetryAfter()
    {
        const Reply add = admin("POST", QStringLiteral("faults"),
                                R"({"path": "/me", "status": 429, "retryAfter": "2.5", "count": 2})");
        QCOMPARE(add.status, 201);
        QCOMPARE(
            admin("GET", QStringLiteral("faults")).json().value(QStringLiteral("faults")).toArray().size(),
            1);
        for (int i = 0; i < 2; ++i) {
            const Reply r = graph("GET", QStringLiteral("/graph/v1.0/me"));
            QCOMPARE(r.status, 429);
            QCOMPARE(r.headers.value("retry-after"), QByteArray("2.5"));
            QCOMPARE(r.outerCode(), QStringLiteral("TooManyRequests"));
        }
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200);
        QVERIFY(admin("GET", QStringLiteral("faults"))
                    .json()
                    .value(QStringLiteral("faults"))
                    .toArray()
                    .isEmpty());

        // Method filter, a raw body, an integer Retry-After; DELETE clears what is left.
        admin(
            "POST", QStringLiteral("faults"),
            R"([{"path": "assignmentScheduleRequests", "method": "POST", "status": 503, "retryAfter": 3, "body": "busy"},
                  {"path": "/me", "status": 500, "count": 5}])");
        QCOMPARE(graph("GET", kRequests + QStringLiteral("/filterByCurrentUser(on='principal')")).status,
                 200);
        const Reply busy = activate(kReadOnly, QStringLiteral("PT1H"));
        QCOMPARE(busy.status, 503);
        QCOMPARE(busy.body, QByteArray("busy"));
        QCOMPARE(busy.headers.value("retry-after"), QByteArray("3"));
        QVERIFY(m_emu->state().value(QStringLiteral("requests")).toArray().isEmpty()); // not processed
        QCOMPARE(admin("DELETE", QStringLiteral("faults")).status, 200);
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200);
        QCOMPARE(admin("POST", QStringLiteral("faults"), R"({"status": 42})").status, 400);
        QCOMPARE(admin("POST", QStringLiteral("faults"), R"({"when": "during"})").status, 400);
    }

    void faultDelay()
    {
        admin("POST", QStringLiteral("faults"), R"({"path": "/me", "delayMs": 800})");
        QElapsedTimer timer;
        timer.start();
        const Reply r = graph("GET", QStringLiteral("/graph/v1.0/me"));
        QCOMPARE(r.status, 200);
        QVERIFY2(timer.elapsed() >= 750, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(r.json().value(QStringLiteral("id")).toString(), kAlex);
        timer.restart();
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200);
        QVERIFY(timer.elapsed() < 700);

        // A client that gives up while the answer is delayed leaves the emulator working.
        admin("POST", QStringLiteral("faults"), R"({"path": "/me", "delayMs": 400})");
        QNetworkRequest req(url(QStringLiteral("/graph/v1.0/me")));
        req.setRawHeader("Authorization", "Bearer " + m_alex.toLatin1());
        QNetworkReply *abandoned = m_nam.get(req);
        QTest::qWait(100);
        abandoned->abort();
        abandoned->deleteLater();
        QTest::qWait(500);
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200);
    }

    void faultMalformed()
    {
        admin("POST", QStringLiteral("faults"),
              R"({"path": "eligibilityScheduleInstances", "malformed": true})");
        const Reply r
            = graph("GET",
                    QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                   "eligibilityScheduleInstances/filterByCurrentUser(on='principal')"));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.error, QNetworkReply::NoError);
        QVERIFY(!r.body.isEmpty());
        QJsonParseError error;
        QJsonDocument::fromJson(r.body, &error);
        QVERIFY(error.error != QJsonParseError::NoError);
    }

    void faultDrop()
    {
        // QNetworkAccessManager re-sends once when a reused connection closes without an answer, so a
        // QNAM client sees the failure after one or two drops; what is left is cleared afterwards.
        admin("POST", QStringLiteral("faults"), R"({"path": "/me", "drop": true, "count": 2})");
        const Reply r = graph("GET", QStringLiteral("/graph/v1.0/me"));
        QCOMPARE(r.status, 0);
        QCOMPARE(r.error, QNetworkReply::RemoteHostClosedError);
        admin("DELETE", QStringLiteral("faults"));
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200);
        int dropped = 0;
        for (const auto &v : m_emu->state().value(QStringLiteral("httpRequests")).toArray())
            dropped += v.toObject().value(QStringLiteral("path")).toString() == u"/graph/v1.0/me"
                && !v.toObject().value(QStringLiteral("processed")).toBool();
        QVERIFY(dropped >= 1 && dropped <= 2);

        // A partial answer is never re-sent: one fault, one failure, the next request is fine.
        admin("POST", QStringLiteral("faults"), R"({"path": "/me", "partial": true})");
        const Reply cut = graph("GET", QStringLiteral("/graph/v1.0/me"));
        QCOMPARE(cut.error, QNetworkReply::RemoteHostClosedError); // headers arrived, the body did not
        QVERIFY(QJsonDocument::fromJson(cut.body).isNull());
        QCOMPARE(graph("GET", QStringLiteral("/graph/v1.0/me")).status, 200);
    }

    void faultAfterProcessing()
    {
        // The server acts, the answer is lost: the request exists exactly once.
        admin("POST", QStringLiteral("faults"),
              R"({"path": "assignmentScheduleRequests", "method": "POST", "status": 504, "when": "after"})");
        const Reply lost = activate(kReadOnly, QStringLiteral("PT1H"));
        QCOMPARE(lost.status, 504);
        QCOMPARE(m_emu->state().value(QStringLiteral("requests")).toArray().size(), 1);
        QCOMPARE(instances().size(), 1);
        QCOMPARE(postsTo(QStringLiteral("assignmentScheduleRequests")), 1);
        // A blind retry meets the activation it already made.
        const Reply retry = activate(kReadOnly, QStringLiteral("PT1H"));
        QCOMPARE(retry.pimError().first, QStringLiteral("RoleAssignmentExists"));
        QCOMPARE(m_emu->state().value(QStringLiteral("requests")).toArray().size(), 1);
        QCOMPARE(postsTo(QStringLiteral("assignmentScheduleRequests")), 2);

        // Dropped after processing: created once; the client sees no answer.
        admin(
            "POST", QStringLiteral("faults"),
            R"({"path": "assignmentScheduleRequests", "method": "POST", "partial": true, "when": "after"})");
        const Reply dropped = activate(kPowerUser, QStringLiteral("PT1H"), QStringLiteral("x"));
        QVERIFY(dropped.error != QNetworkReply::NoError);
        int created = 0;
        for (const auto &v : m_emu->state().value(QStringLiteral("requests")).toArray())
            created += v.toObject().value(QStringLiteral("groupId")).toString() == kPowerUser;
        QCOMPARE(created, 1);
        QCOMPARE(postsTo(QStringLiteral("assignmentScheduleRequests")), 3);
    }

    void dateHeaderFollowsTheClock()
    {
        const auto serverTime = [&] {
            const Reply r = graph("GET", QStringLiteral("/graph/v1.0/me"));
            QDateTime t = QLocale::c().toDateTime(QString::fromLatin1(r.headers.value("date")),
                                                  QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
            t.setTimeSpec(Qt::UTC);
            return t;
        };
        const QDateTime before = serverTime();
        QVERIFY(before.isValid());
        QVERIFY(qAbs(before.secsTo(QDateTime::currentDateTimeUtc())) < 5);
        m_emu->advanceClock(86400);
        const QDateTime after = serverTime();
        QVERIFY(qAbs(before.secsTo(after) - 86400) < 5);
        // Admin and error answers carry it too.
        QVERIFY(!admin("GET", QStringLiteral("state")).headers.value("date").isEmpty());
        QVERIFY(!send("GET", url(QStringLiteral("/graph/v1.0/me"))).headers.value("date").isEmpty());
    }

    void scenarioPolicyValidation()
    {
        const QByteArray base = R"({"tenant":{"id":"t"},"app":{"clientId":"c"},
            "users":[{"id":"u1","userPrincipalName":"u@x"}],"groups":[{"id":"g1","displayName":"G"}],)";
        QString error;
        QVERIFY(
            m_emu->loadScenario(base + R"("policies":[{"group":"G","maximumDuration":"PT90M","approval":true,
                                           "approvers":["u@x"],"authContext":"c2"}]})",
                                &error));
        QVERIFY(!m_emu->loadScenario(base + R"("policies":[{"group":"nope"}]})", &error));
        QVERIFY(error.contains(QStringLiteral("unknown group")));
        QVERIFY(!m_emu->loadScenario(base + R"("policies":[{"group":"G","maximumDuration":"8 hours"}]})",
                                     &error));
        QVERIFY(!m_emu->loadScenario(base + R"("policies":[{"group":"G","approvers":["who@x"]}]})", &error));
        QVERIFY(error.contains(QStringLiteral("approver")));
        QVERIFY(!m_emu->loadScenario(base + R"("policies":[{"group":"G","ticket":"yes"}]})", &error));
        QVERIFY(!m_emu->loadScenario(base + R"("settings":{"pimErrorShape":"fancy"}})", &error));
        QVERIFY(!m_emu->loadScenario(base + R"("settings":{"approvalTimeoutStatus":"Expired"}})", &error));
        QVERIFY(m_emu->loadBuiltInScenario());
    }
};

QTEST_GUILESS_MAIN(TestEmulatorPim)
#include "tst_emulator_pim.moc"

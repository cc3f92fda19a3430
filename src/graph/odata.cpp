// SPDX-License-Identifier: GPL-3.0-or-later
#include "odata.h"

#include "core/isotime.h"

#include <QHash>
#include <QUrl>

namespace Elevate::Graph {

using Core::Error;

namespace {
Error notTheContract(const QString &what)
{
    return Error::make(Error::Kind::Parse,
                       QStringLiteral("Graph sent %1 that does not follow its contract").arg(what));
}
} // namespace

Core::Result<EligibilityPage> parseEligibilityPage(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &j = parsed.value();
    if (!j.is_object() || !j.contains("value") || !j["value"].is_array())
        return notTheContract(QStringLiteral("a collection without \"value\""));
    EligibilityPage page;
    for (const Net::Json &item : j["value"]) {
        if (!item.is_object())
            return notTheContract(QStringLiteral("an eligibility that is not an object"));
        Core::Eligibility e;
        e.id = Net::jsonString(item, "id");
        e.groupId = Net::jsonString(item, "groupId");
        const auto access = Core::accessKindFrom(Net::jsonString(item, "accessId"));
        e.memberType = Net::jsonString(item, "memberType").toLower();
        e.start = Core::parseGraphDateTime(Net::jsonString(item, "startDateTime"));
        e.end = Core::parseGraphDateTime(Net::jsonString(item, "endDateTime"));
        if (item.contains("group") && item["group"].is_object()) {
            e.groupDisplayName = Net::jsonString(item["group"], "displayName");
            e.groupDescription = Net::jsonString(item["group"], "description");
            if (e.groupId.isEmpty())
                e.groupId = Net::jsonString(item["group"], "id");
        }
        if (e.id.isEmpty() || e.groupId.isEmpty())
            return notTheContract(QStringLiteral("an eligibility without id or groupId"));
        if (!access)
            continue; // a kind of access this version cannot ask for
        e.access = *access;
        page.items.append(e);
    }
    page.nextLink = Net::jsonString(j, "@odata.nextLink");
    return page;
}

Core::Result<GraphUser> parseUser(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &j = parsed.value();
    GraphUser u {Net::jsonString(j, "id"), Net::jsonString(j, "displayName"),
                 Net::jsonString(j, "userPrincipalName"), Net::jsonString(j, "mail")};
    if (u.id.isEmpty())
        return notTheContract(QStringLiteral("a user without id"));
    return u;
}

Error graphError(const Net::HttpResponse &response)
{
    if (!response.hasStatus()) {
        // A token that could not be had keeps the source that refused it; a lost connection is Graph's.
        Error e = response.transportError;
        if (e.source == Error::Source::Local
            && (e.kind == Error::Kind::Network || e.kind == Error::Kind::Timeout))
            e.source = Error::Source::Graph;
        return e;
    }
    const auto parsed = Net::parseJson(response.body);
    if (!parsed.ok() || !parsed.value().is_object() || !parsed.value().contains("error")
        || !parsed.value()["error"].is_object()) {
        return Error::make(Error::Kind::Http,
                           QStringLiteral("Microsoft Graph answered HTTP %1").arg(response.status),
                           response.status)
            .withSource(Error::Source::Graph);
    }
    const Net::Json &err = parsed.value()["error"];
    QString code = Net::jsonString(err, "code");
    QString message = Net::jsonString(err, "message");
    // PIM: outer UnknownError, the real error as JSON inside the message.
    const auto inner = Net::parseJson(message.toUtf8());
    if (inner.ok() && inner.value().is_object()) {
        QString innerCode = Net::jsonString(inner.value(), "errorCode");
        if (innerCode.isEmpty())
            innerCode = Net::jsonString(inner.value(), "ErrorCode");
        if (!innerCode.isEmpty()) {
            code = innerCode;
            message = Net::jsonString(inner.value(), "message");
            if (message.isEmpty())
                message = Net::jsonString(inner.value(), "Message");
        }
    }
    if (code.isEmpty())
        code = QStringLiteral("HTTP%1").arg(response.status);
    if (message.isEmpty())
        message = QStringLiteral("Microsoft Graph answered HTTP %1").arg(response.status);
    return Error::make(Error::Kind::Service, message, response.status, code).withSource(Error::Source::Graph);
}

} // namespace Elevate::Graph

namespace Elevate::Graph {

namespace {

/// The service code of a request whose accessId this version does not know: a listing skips it.
constexpr char kUnknownAccessKind[] = "UnknownAccessKind";

Core::Result<Net::Json> collection(const QByteArray &body)
{
    auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &j = parsed.value();
    if (!j.is_object() || !j.contains("value") || !j["value"].is_array())
        return notTheContract(QStringLiteral("a collection without \"value\""));
    return parsed;
}

QString expandedGroupName(const Net::Json &item)
{
    if (item.contains("group") && item["group"].is_object())
        return Net::jsonString(item["group"], "displayName");
    return {};
}

bool jsonBool(const Net::Json &j, const char *key)
{
    return j.is_object() && j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}

} // namespace

Core::Result<Core::ActivationPolicy> parsePolicyAssignments(const QByteArray &body)
{
    const auto parsed = collection(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &value = parsed.value()["value"];
    if (value.empty())
        return Error::make(Error::Kind::Service, QStringLiteral("the group has no PIM policy for this role"),
                           404, QStringLiteral("PolicyNotFound"));
    const Net::Json &assignment = value[0];
    if (!assignment.is_object() || !assignment.contains("policy") || !assignment["policy"].is_object()
        || !assignment["policy"].contains("rules") || !assignment["policy"]["rules"].is_array())
        return notTheContract(QStringLiteral("a policy assignment without expanded rules"));
    Core::ActivationPolicy policy;
    for (const Net::Json &rule : assignment["policy"]["rules"]) {
        if (!rule.is_object())
            continue;
        const QString id = Net::jsonString(rule, "id");
        if (id == u"Expiration_EndUser_Assignment") {
            const auto ms = Core::parseIsoDurationMs(Net::jsonString(rule, "maximumDuration"));
            if (ms && *ms > 0)
                policy.maximumDurationSecs = *ms / 1000;
        } else if (id == u"Enablement_EndUser_Assignment") {
            if (rule.contains("enabledRules") && rule["enabledRules"].is_array())
                for (const auto &r : rule["enabledRules"]) {
                    if (!r.is_string())
                        continue;
                    const QString name = QString::fromStdString(r.get<std::string>());
                    if (name.compare(u"Justification", Qt::CaseInsensitive) == 0)
                        policy.justificationRequired = true;
                    else if (name.compare(u"Ticketing", Qt::CaseInsensitive) == 0)
                        policy.ticketRequired = true;
                    else if (name.compare(u"MultiFactorAuthentication", Qt::CaseInsensitive) == 0)
                        policy.mfaRequired = true;
                }
        } else if (id == u"Approval_EndUser_Assignment") {
            if (!rule.contains("setting") || !rule["setting"].is_object())
                continue;
            const Net::Json &setting = rule["setting"];
            policy.approvalRequired = jsonBool(setting, "isApprovalRequired");
            if (setting.contains("approvalStages") && setting["approvalStages"].is_array())
                for (const auto &stage : setting["approvalStages"])
                    if (stage.is_object() && stage.contains("primaryApprovers")
                        && stage["primaryApprovers"].is_array())
                        for (const auto &a : stage["primaryApprovers"]) {
                            const QString d = Net::jsonString(a, "description");
                            if (!d.isEmpty() && !policy.approvers.contains(d))
                                policy.approvers << d;
                        }
        } else if (id == u"AuthenticationContext_EndUser_Assignment") {
            if (jsonBool(rule, "isEnabled"))
                policy.authenticationContext = Net::jsonString(rule, "claimValue");
        }
    }
    return policy;
}

Core::Result<Core::AccessRequest> parseRequest(const Net::Json &item)
{
    if (!item.is_object())
        return notTheContract(QStringLiteral("a request that is not an object"));
    Core::AccessRequest r;
    r.id = Net::jsonString(item, "id");
    r.status = Net::jsonString(item, "status");
    r.action = Net::jsonString(item, "action");
    r.groupId = Net::jsonString(item, "groupId");
    r.groupDisplayName = expandedGroupName(item);
    const auto access = Core::accessKindFrom(Net::jsonString(item, "accessId"));
    if (!access) {
        Core::Error e
            = notTheContract(QStringLiteral("a request of a kind of access this version does not know"));
        e.serviceCode = QString::fromLatin1(kUnknownAccessKind);
        return e;
    }
    r.access = *access;
    r.principalId = Net::jsonString(item, "principalId");
    if (item.contains("principal") && item["principal"].is_object()) {
        r.principalDisplayName = Net::jsonString(item["principal"], "displayName");
        r.principalUpn = Net::jsonString(item["principal"], "userPrincipalName");
        if (r.principalId.isEmpty())
            r.principalId = Net::jsonString(item["principal"], "id");
    }
    r.approvalId = Net::jsonString(item, "approvalId");
    r.justification = Net::jsonString(item, "justification");
    // The docs print the property misspelt (`createdDateTIme`) in places; read that when the right
    // name is absent, so a payload shaped like the docs' still knows when it was asked.
    QString created = Net::jsonString(item, "createdDateTime");
    if (created.isEmpty())
        created = Net::jsonString(item, "createdDateTIme");
    r.created = Core::parseGraphDateTime(created);
    r.completed = Core::parseGraphDateTime(Net::jsonString(item, "completedDateTime"));
    if (item.contains("ticketInfo") && item["ticketInfo"].is_object()) {
        r.ticketNumber = Net::jsonString(item["ticketInfo"], "ticketNumber");
        r.ticketSystem = Net::jsonString(item["ticketInfo"], "ticketSystem");
    }
    if (item.contains("scheduleInfo") && item["scheduleInfo"].is_object()) {
        const Net::Json &s = item["scheduleInfo"];
        r.start = Core::parseGraphDateTime(Net::jsonString(s, "startDateTime"));
        if (s.contains("expiration") && s["expiration"].is_object()) {
            const auto ms = Core::parseIsoDurationMs(Net::jsonString(s["expiration"], "duration"));
            if (ms && *ms > 0)
                r.durationSecs = *ms / 1000;
            r.end = Core::parseGraphDateTime(Net::jsonString(s["expiration"], "endDateTime"));
        }
    }
    if (r.id.isEmpty() || r.status.isEmpty())
        return notTheContract(QStringLiteral("a request without id or status"));
    return r;
}

Core::Result<Core::AccessRequest> parseRequestBody(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    return parseRequest(parsed.value());
}

Core::Result<Page<Core::AccessRequest>> parseRequestPage(const QByteArray &body)
{
    const auto parsed = collection(body);
    if (!parsed.ok())
        return parsed.error();
    Page<Core::AccessRequest> page;
    for (const Net::Json &item : parsed.value()["value"]) {
        auto r = parseRequest(item);
        if (!r.ok() && r.error().serviceCode == QLatin1String(kUnknownAccessKind))
            continue; // not one this version asked for or can follow
        if (!r.ok())
            return r.error();
        page.items << r.value();
    }
    page.nextLink = Net::jsonString(parsed.value(), "@odata.nextLink");
    return page;
}

Core::Result<Page<Core::Grant>> parseGrantPage(const QByteArray &body)
{
    const auto parsed = collection(body);
    if (!parsed.ok())
        return parsed.error();
    Page<Core::Grant> page;
    for (const Net::Json &item : parsed.value()["value"]) {
        if (!item.is_object())
            return notTheContract(QStringLiteral("an assignment that is not an object"));
        Core::Grant g;
        g.id = Net::jsonString(item, "id");
        g.groupId = Net::jsonString(item, "groupId");
        g.groupDisplayName = expandedGroupName(item);
        const auto access = Core::accessKindFrom(Net::jsonString(item, "accessId"));
        g.assignmentType = Net::jsonString(item, "assignmentType").toLower();
        g.memberType = Net::jsonString(item, "memberType").toLower();
        g.start = Core::parseGraphDateTime(Net::jsonString(item, "startDateTime"));
        g.end = Core::parseGraphDateTime(Net::jsonString(item, "endDateTime"));
        if (g.id.isEmpty() || g.groupId.isEmpty())
            return notTheContract(QStringLiteral("an assignment without id or groupId"));
        if (!access)
            continue; // a kind of access this version does not know
        g.access = *access;
        page.items << g;
    }
    page.nextLink = Net::jsonString(parsed.value(), "@odata.nextLink");
    return page;
}

Core::Result<Core::Approval> parseApproval(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &j = parsed.value();
    Core::Approval a;
    a.id = Net::jsonString(j, "id");
    const char *key = j.contains("stages") ? "stages" : "steps";
    if (a.id.isEmpty() || !j.contains(key) || !j[key].is_array())
        return notTheContract(QStringLiteral("an approval without id or stages"));
    for (const Net::Json &st : j[key]) {
        if (!st.is_object())
            return notTheContract(QStringLiteral("an approval stage that is not an object"));
        Core::ApprovalStage s;
        s.id = Net::jsonString(st, "id");
        s.status = Net::jsonString(st, "status");
        s.reviewResult = Net::jsonString(st, "reviewResult");
        s.assignedToMe = jsonBool(st, "assignedToMe");
        s.justification = Net::jsonString(st, "justification");
        s.reviewedAt = Core::parseGraphDateTime(Net::jsonString(st, "reviewedDateTime"));
        Net::Json by = st.contains("reviewedBy") ? st["reviewedBy"] : Net::Json();
        if (by.is_array())
            by = by.empty() ? Net::Json() : by[0];
        if (by.is_object()) {
            s.reviewedById = Net::jsonString(by, "id");
            s.reviewedByName = Net::jsonString(by, "displayName");
            if (s.reviewedByName.isEmpty())
                s.reviewedByName = Net::jsonString(by, "userPrincipalName");
            if (s.reviewedByName.isEmpty())
                s.reviewedByName = Net::jsonString(by, "mail");
        }
        if (s.id.isEmpty())
            return notTheContract(QStringLiteral("an approval stage without id"));
        a.stages << s;
    }
    return a;
}

QByteArray activationBody(const Core::ActivationDraft &draft, const QString &principalId,
                          const QDateTime &now)
{
    Net::Json j = {{"accessId", Core::accessIdOf(draft.access).toStdString()},
                   {"principalId", principalId.toStdString()},
                   {"groupId", draft.groupId.toStdString()},
                   {"action", "selfActivate"},
                   {"scheduleInfo",
                    {{"startDateTime",
                      Core::formatGraphDateTime(draft.start.isValid() ? draft.start : now).toStdString()},
                     {"expiration",
                      {{"type", "afterDuration"},
                       {"duration", Core::formatIsoDuration(draft.durationSecs).toStdString()}}}}}};
    if (!draft.justification.trimmed().isEmpty())
        j["justification"] = draft.justification.trimmed().toStdString();
    if (!draft.ticketNumber.trimmed().isEmpty() || !draft.ticketSystem.trimmed().isEmpty())
        j["ticketInfo"] = {{"ticketNumber", draft.ticketNumber.trimmed().toStdString()},
                           {"ticketSystem", draft.ticketSystem.trimmed().toStdString()}};
    return QByteArray::fromStdString(j.dump());
}

QByteArray deactivationBody(const QString &groupId, Core::AccessKind access, const QString &principalId,
                            const QString &justification)
{
    Net::Json j = {{"accessId", Core::accessIdOf(access).toStdString()},
                   {"principalId", principalId.toStdString()},
                   {"groupId", groupId.toStdString()},
                   {"action", "selfDeactivate"}};
    if (!justification.trimmed().isEmpty())
        j["justification"] = justification.trimmed().toStdString();
    return QByteArray::fromStdString(j.dump());
}

QStringList failedPolicyRules(const Core::Error &error)
{
    if (!error.serviceCode.endsWith(u"PolicyValidationFailed"))
        return {};
    const qsizetype open = error.message.indexOf(u'[');
    const qsizetype close = error.message.indexOf(u']', open);
    if (open < 0 || close < 0)
        return {};
    const auto parsed = Net::parseJson(error.message.mid(open, close - open + 1).toUtf8());
    QStringList rules;
    if (parsed.ok() && parsed.value().is_array())
        for (const auto &r : parsed.value())
            if (r.is_string())
                rules << QString::fromStdString(r.get<std::string>());
    return rules;
}

namespace {

/// The auth-params of the Bearer challenge in a WWW-Authenticate value (RFC 7235: quoted strings,
/// commas, several challenges in one header).
QHash<QString, QString> bearerParams(const QByteArray &header)
{
    QHash<QString, QString> params;
    const QString h = QString::fromLatin1(header);
    qsizetype i = 0;
    bool inBearer = false;
    while (i < h.size()) {
        while (i < h.size() && (h[i] == u' ' || h[i] == u','))
            ++i;
        qsizetype keyStart = i;
        while (i < h.size() && h[i] != u'=' && h[i] != u' ' && h[i] != u',')
            ++i;
        const QString token = h.mid(keyStart, i - keyStart);
        if (i < h.size() && h[i] == u' ') { // a new scheme, e.g. "Bearer realm=…" or "PoP …"
            inBearer = token.compare(u"Bearer", Qt::CaseInsensitive) == 0;
            continue;
        }
        if (i >= h.size() || h[i] != u'=') {
            inBearer = token.compare(u"Bearer", Qt::CaseInsensitive) == 0;
            continue;
        }
        ++i; // '='
        QString value;
        if (i < h.size() && h[i] == u'"') {
            ++i;
            while (i < h.size() && h[i] != u'"') {
                if (h[i] == u'\\' && i + 1 < h.size())
                    ++i;
                value += h[i++];
            }
            ++i;
        } else {
            const qsizetype start = i;
            while (i < h.size() && h[i] != u',')
                ++i;
            value = h.mid(start, i - start).trimmed();
        }
        if (inBearer)
            params.insert(token.toLower(), value);
    }
    return params;
}

bool looksLikeClaims(const QString &s)
{
    const auto parsed = Net::parseJson(s.toUtf8());
    return parsed.ok() && parsed.value().is_object();
}

} // namespace

QString claimsChallenge(const Net::HttpResponse &response, const Core::Error &error)
{
    if (response.hasStatus() && response.status == 401) {
        const auto params = bearerParams(response.header("www-authenticate"));
        if (params.value(QStringLiteral("error")) == u"insufficient_claims") {
            const QByteArray raw = params.value(QStringLiteral("claims")).toLatin1();
            for (const auto option : {QByteArray::Base64Encoding, QByteArray::Base64UrlEncoding}) {
                const auto decoded
                    = QByteArray::fromBase64Encoding(raw, option | QByteArray::AbortOnBase64DecodingErrors);
                if (decoded && looksLikeClaims(QString::fromUtf8(*decoded)))
                    return QString::fromUtf8(*decoded);
            }
        }
        return {};
    }
    if (!error.serviceCode.endsWith(u"AcrsValidationFailed"))
        return {};
    const QString m = error.message;
    qsizetype at = m.indexOf(u"claims=");
    if (at < 0)
        return {};
    at += 7;
    QString value = m.mid(at);
    if (value.startsWith(u'{')) { // raw JSON inside a longer message: up to the matching brace
        int depth = 0;
        for (qsizetype i = 0; i < value.size(); ++i) {
            if (value[i] == u'{')
                ++depth;
            else if (value[i] == u'}' && --depth == 0) {
                value = value.left(i + 1);
                break;
            }
        }
    } else {
        qsizetype end = value.indexOf(u'&');
        if (end < 0)
            end = value.indexOf(u'"');
        if (end >= 0)
            value = value.left(end);
        value = QUrl::fromPercentEncoding(value.toUtf8());
    }
    if (looksLikeClaims(value))
        return value;
    const auto decoded
        = QByteArray::fromBase64Encoding(value.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (decoded && looksLikeClaims(QString::fromUtf8(*decoded)))
        return QString::fromUtf8(*decoded);
    return {};
}

Core::Result<QString> parseFirstSyncJobId(const QByteArray &body)
{
    auto json = Net::parseJson(body);
    if (!json)
        return json.error();
    const auto &root = json.value();
    if (!root.is_object() || !root.contains("value") || !root["value"].is_array() || root["value"].empty())
        return Error::make(Error::Kind::Service, QStringLiteral("the application has no provisioning job"),
                           404, QStringLiteral("NoSynchronizationJob"));
    const QString id = Net::jsonString(root["value"][0], "id");
    if (id.isEmpty())
        return Error::make(Error::Kind::Parse, QStringLiteral("synchronization job without an id"));
    return id;
}

Core::Result<QString> parseSyncRuleId(const QByteArray &body)
{
    auto json = Net::parseJson(body);
    if (!json)
        return json.error();
    const auto &root = json.value();
    if (!root.is_object() || !root.contains("synchronizationRules")
        || !root["synchronizationRules"].is_array() || root["synchronizationRules"].empty())
        return Error::make(Error::Kind::Parse, QStringLiteral("synchronization schema without rules"));
    QString first;
    for (const auto &rule : root["synchronizationRules"]) {
        const QString id = Net::jsonString(rule, "id");
        if (first.isEmpty())
            first = id;
        const QString source = Net::jsonString(rule, "sourceDirectoryName");
        if (!id.isEmpty()
            && (source.contains(QStringLiteral("Azure Active Directory"), Qt::CaseInsensitive)
                || source.contains(QStringLiteral("Entra"), Qt::CaseInsensitive)))
            return id;
    }
    if (first.isEmpty())
        return Error::make(Error::Kind::Parse, QStringLiteral("synchronization rule without an id"));
    return first;
}

Core::Result<QString> parseProvisionOnDemand(const QByteArray &body)
{
    auto json = Net::parseJson(body);
    if (!json)
        return json.error();
    if (!json.value().is_object())
        return Error::make(Error::Kind::Parse, QStringLiteral("provisionOnDemand: not an object"));
    // `key` is itself JSON, encoded as a string: parse twice.
    auto key = Net::parseJson(Net::jsonString(json.value(), "key").toUtf8());
    if (!key || !key.value().is_object())
        return Error::make(Error::Kind::Parse, QStringLiteral("provisionOnDemand: unreadable result"));
    const QString result = Net::jsonString(key.value(), "result");
    if (result.isEmpty())
        return Error::make(Error::Kind::Parse, QStringLiteral("provisionOnDemand: no result"));
    return result;
}

namespace {
QString nestedString(const Net::Json &j, const char *outer, const char *key)
{
    if (!j.is_object() || !j.contains(outer) || !j[outer].is_object())
        return {};
    return Net::jsonString(j[outer], key);
}
} // namespace

Core::Result<Page<GroupAssignment>> parseGroupAssignmentPage(const Net::Json &j)
{
    if (!j.is_object() || !j.contains("value") || !j["value"].is_array())
        return notTheContract(QStringLiteral("a collection without \"value\""));
    Page<GroupAssignment> page;
    for (const Net::Json &item : j["value"]) {
        if (!item.is_object())
            return notTheContract(QStringLiteral("an assignment that is not an object"));
        GroupAssignment a;
        a.id = Net::jsonString(item, "id");
        a.groupId = Net::jsonString(item, "groupId");
        a.principalId = Net::jsonString(item, "principalId");
        const auto access = Core::accessKindFrom(Net::jsonString(item, "accessId"));
        a.assignmentType = Net::jsonString(item, "assignmentType").toLower();
        a.start = Core::parseGraphDateTime(Net::jsonString(item, "startDateTime"));
        a.end = Core::parseGraphDateTime(Net::jsonString(item, "endDateTime"));
        if (a.id.isEmpty() || a.groupId.isEmpty() || a.principalId.isEmpty())
            return notTheContract(QStringLiteral("an assignment without id, groupId or principalId"));
        if (!access)
            continue; // a kind of access this version does not know
        a.access = *access;
        page.items << a;
    }
    page.nextLink = Net::jsonString(j, "@odata.nextLink");
    return page;
}

Core::Result<Page<GroupAssignment>> parseGroupAssignmentPage(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    return parseGroupAssignmentPage(parsed.value());
}

Core::Result<Page<GroupInfo>> parseGroupPage(const QByteArray &body)
{
    const auto parsed = collection(body);
    if (!parsed.ok())
        return parsed.error();
    Page<GroupInfo> page;
    for (const Net::Json &item : parsed.value()["value"]) {
        if (!item.is_object())
            return notTheContract(QStringLiteral("a group that is not an object"));
        GroupInfo g {Net::jsonString(item, "id"), Net::jsonString(item, "displayName"),
                     Net::jsonString(item, "description")};
        if (g.id.isEmpty())
            return notTheContract(QStringLiteral("a group without an id"));
        page.items << g;
    }
    page.nextLink = Net::jsonString(parsed.value(), "@odata.nextLink");
    return page;
}

Core::Result<SyncJob> parseSyncJob(const QByteArray &body)
{
    auto id = parseFirstSyncJobId(body);
    if (!id.ok())
        return id.error();
    const Net::Json job = Net::parseJson(body).value()["value"][0];
    SyncJob s;
    s.id = id.value();
    s.scheduleState = nestedString(job, "schedule", "state");
    s.statusCode = nestedString(job, "status", "code");
    if (job.contains("status") && job["status"].is_object())
        s.quarantineReason = nestedString(job["status"], "quarantine", "reason");
    return s;
}

Core::Result<ProvisionOutcome> parseProvisionOutcome(const QByteArray &body)
{
    auto result = parseProvisionOnDemand(body);
    if (!result.ok())
        return result.error();
    // parseProvisionOnDemand() read it: the key parses.
    const Net::Json key
        = Net::parseJson(Net::jsonString(Net::parseJson(body).value(), "key").toUtf8()).value();
    ProvisionOutcome o {result.value(), {}};
    for (const char *field : {"errorCode", "skipReason", "reason"})
        if (o.reason.isEmpty())
            o.reason = nestedString(key, "details", field);
    if (o.result.compare(u"Skipped", Qt::CaseInsensitive) == 0 && o.reason == u"RedundantExport")
        o.result = QStringLiteral("RedundantExport");
    return o;
}

QByteArray provisionBody(const QString &ruleId, const QString &groupId, const QStringList &userIds)
{
    Net::Json members = Net::Json::array();
    for (const QString &id : userIds)
        members.push_back({{"objectId", id.toStdString()}, {"objectTypeName", "User"}});
    const Net::Json subject {
        {"objectId", groupId.toStdString()}, {"objectTypeName", "Group"}, {"links", {{"members", members}}}};
    const Net::Json body {
        {"parameters",
         Net::Json::array({{{"ruleId", ruleId.toStdString()}, {"subjects", Net::Json::array({subject})}}})}};
    return QByteArray::fromStdString(body.dump());
}

} // namespace Elevate::Graph

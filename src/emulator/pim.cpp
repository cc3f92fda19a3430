// SPDX-License-Identifier: GPL-3.0-or-later
// PIM for Groups in the emulator: group policies (roleManagementPolicyAssignments) and the life of an
// assignment request, with PIM's error codes and its two error shapes (graph-pim.md §5-§10, §13).
//
//   selfActivate ─▶ policy rules ─▶ auth context ─▶ already active/pending? ─┐
//     ┌──────────────────────────────────────────────────────────────────────┘
//     ├─ approval required ─▶ PendingApproval ─approver decides─▶ Provisioned (or Granted) | Denied
//     │                            ├─ cancel ─▶ Canceled
//     │                            └─ 24 h of emulator time ─▶ TimedOut | Canceled (scenario setting)
//     ├─ start > now + 60 s ─▶ Granted ─clock reaches start─▶ Provisioned
//     └─ otherwise ─▶ Provisioned: an Activated instance until start + duration, then it is gone
//   selfDeactivate ─▶ Revoked (the instance goes; refused within 5 minutes of its start)
//
// An approval-required request has an approval (id = approvalId = the request id) with one stage
// (v1.0 `stages`, beta `steps`; stage id = approval id), graph-pim.md §8:
//
//   stage InProgress ─PATCH Approve|Deny by an approver (not the requester), or /_emulator/decide─▶
//     Completed (reviewResult Approved|Denied, reviewedBy, justification); a second decision gets 409
//   stage InProgress ─24 h─▶ Expired (409 on PATCH) · requester cancels ─▶ Completed, NotReviewed
//
// Who sees what: the requester and the group's approvers read the approval, anybody else gets 404 (PIM
// hides what you cannot see). PATCH {"reviewResult": "Approve"|"Deny", "justification"} answers, checked
// in this order: 400 (body not JSON, reviewResult not a write verb), 404 (no such approval), 403 (the
// requester, or not an approver of the group), 404 (no such stage), 409 (stage not InProgress: decided
// or expired), 400 (empty justification while the policy's isApproverJustificationRequired), 204.
//
// Time is the emulator's clock: advanceState() runs before every request and on clock changes.

#include "emulator_p.h"

#include <QRegularExpression>
#include <QUuid>

#include <functional>

namespace Elevate::Emulator {

namespace {

constexpr qint64 kImmediateSkewSecs = 60;
constexpr qint64 kMinActiveSecs = 5 * 60;
constexpr qint64 kApprovalWindowSecs = 24 * 3600;

/// Instances print memberType and assignmentType as their documented examples do, in either casing.
std::string capitalized(const QString &camel)
{
    QString s = camel;
    if (!s.isEmpty())
        s[0] = s[0].toUpper();
    return s.toStdString();
}

Json timeOrNull(const QDateTime &t)
{
    return t.isValid() ? Json(formatTime(t, 7).toStdString()) : Json(nullptr);
}

Json textOrNull(const QString &s, bool present)
{
    return present ? Json(s.toStdString()) : Json(nullptr);
}

/// A string member; `present` says whether it was a string at all (null and absent are not).
QString member(const Json &j, const char *key, bool *present = nullptr)
{
    const bool is = j.is_object() && j.contains(key) && j[key].is_string();
    if (present)
        *present = is;
    return is ? QString::fromStdString(j[key].get<std::string>()) : QString();
}

/// DateTimeOffset; a value without an offset is taken as UTC, as Graph does.
QDateTime parseTime(const QString &s)
{
    QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid())
        return t;
    if (t.timeSpec() == Qt::LocalTime)
        t = QDateTime(t.date(), t.time(), Qt::UTC);
    return t.toUTC();
}

/// The small part of OData $filter the PIM lists need: `field eq|ne 'value'` joined with `and`/`or`,
/// parentheses allowed. Strings compare case-insensitively (enum values come in both casings).
class Filter
{
public:
    using Getter = std::function<QString(const QString &field)>;

    Filter(const QString &text, const QStringList &fields)
        : m_fields(fields)
    {
        if (text.trimmed().isEmpty()) {
            m_pred = [](const Getter &) { return true; };
            return;
        }
        if (!tokenize(text))
            return;
        m_pred = parseOr();
        if (m_pred && m_pos != m_tokens.size()) {
            m_pred = nullptr;
            m_error = QStringLiteral("unexpected '%1'").arg(m_tokens.at(m_pos).text);
        }
    }
    bool isValid() const { return bool(m_pred); }
    QString error() const { return m_error; }
    bool usesOr() const { return m_usesOr; }
    bool matches(const Getter &get) const { return m_pred(get); }

private:
    using Pred = std::function<bool(const Getter &)>;
    struct Token
    {
        enum Kind { Word, String, Open, Close } kind;
        QString text;
    };

    bool tokenize(const QString &s)
    {
        for (qsizetype i = 0; i < s.size();) {
            const QChar c = s.at(i);
            if (c.isSpace()) {
                ++i;
            } else if (c == u'(' || c == u')') {
                m_tokens.append({c == u'(' ? Token::Open : Token::Close, QString(c)});
                ++i;
            } else if (c == u'\'') {
                QString value;
                ++i;
                bool closed = false;
                while (i < s.size()) {
                    if (s.at(i) == u'\'') {
                        if (i + 1 < s.size() && s.at(i + 1) == u'\'') {
                            value += u'\'';
                            i += 2;
                            continue;
                        }
                        closed = true;
                        ++i;
                        break;
                    }
                    value += s.at(i++);
                }
                if (!closed) {
                    m_error = QStringLiteral("unterminated string");
                    return false;
                }
                m_tokens.append({Token::String, value});
            } else {
                const qsizetype from = i;
                while (i < s.size() && !s.at(i).isSpace() && s.at(i) != u'(' && s.at(i) != u')'
                       && s.at(i) != u'\'')
                    ++i;
                m_tokens.append({Token::Word, s.mid(from, i - from)});
            }
        }
        return true;
    }
    bool isWord(const char *w) const
    {
        return m_pos < m_tokens.size() && m_tokens.at(m_pos).kind == Token::Word
            && m_tokens.at(m_pos).text.compare(QLatin1String(w), Qt::CaseInsensitive) == 0;
    }
    Pred fail(const QString &why)
    {
        if (m_error.isEmpty())
            m_error = why;
        return nullptr;
    }
    Pred parseOr()
    {
        Pred left = parseAnd();
        while (left && isWord("or")) {
            m_usesOr = true;
            ++m_pos;
            Pred right = parseAnd();
            if (!right)
                return nullptr;
            left = [left, right](const Getter &g) { return left(g) || right(g); };
        }
        return left;
    }
    Pred parseAnd()
    {
        Pred left = parseAtom();
        while (left && isWord("and")) {
            ++m_pos;
            Pred right = parseAtom();
            if (!right)
                return nullptr;
            left = [left, right](const Getter &g) { return left(g) && right(g); };
        }
        return left;
    }
    Pred parseAtom()
    {
        if (m_pos >= m_tokens.size())
            return fail(QStringLiteral("the filter ends too early"));
        if (m_tokens.at(m_pos).kind == Token::Open) {
            ++m_pos;
            Pred inner = parseOr();
            if (!inner)
                return nullptr;
            if (m_pos >= m_tokens.size() || m_tokens.at(m_pos).kind != Token::Close)
                return fail(QStringLiteral("missing ')'"));
            ++m_pos;
            return inner;
        }
        if (m_pos + 2 >= m_tokens.size())
            return fail(QStringLiteral("a clause is `property eq 'value'`"));
        const Token &field = m_tokens.at(m_pos);
        const Token &op = m_tokens.at(m_pos + 1);
        const Token &value = m_tokens.at(m_pos + 2);
        QString canonical;
        for (const auto &f : m_fields)
            if (field.kind == Token::Word && f.compare(field.text, Qt::CaseInsensitive) == 0)
                canonical = f;
        if (canonical.isEmpty())
            return fail(QStringLiteral("cannot filter on '%1'").arg(field.text));
        const bool eq = op.text.compare(QLatin1String("eq"), Qt::CaseInsensitive) == 0;
        const bool ne = op.text.compare(QLatin1String("ne"), Qt::CaseInsensitive) == 0;
        if (op.kind != Token::Word || (!eq && !ne))
            return fail(QStringLiteral("only eq and ne are supported"));
        if (value.kind != Token::String)
            return fail(QStringLiteral("the value must be a quoted string"));
        m_pos += 3;
        const QString want = value.text;
        return [canonical, want, eq](const Getter &g) {
            return (g(canonical).compare(want, Qt::CaseInsensitive) == 0) == eq;
        };
    }

    QStringList m_fields;
    QList<Token> m_tokens;
    qsizetype m_pos = 0;
    Pred m_pred;
    QString m_error;
    bool m_usesOr = false;
};

/// The request statuses of graph-pim.md §6.5 that are neither done nor failed: PIM or a person is still
/// working on the request, so another activation of the same target is refused as pending.
bool isOpenStatus(const QString &status)
{
    static const QStringList open {QStringLiteral("PendingApproval"),
                                   QStringLiteral("PendingApprovalProvisioning"),
                                   QStringLiteral("PendingAdminDecision"),
                                   QStringLiteral("PendingScheduleCreation"),
                                   QStringLiteral("ScheduleCreated"),
                                   QStringLiteral("Accepted"),
                                   QStringLiteral("PendingProvisioning"),
                                   QStringLiteral("Granted"),
                                   QStringLiteral("PendingEvaluation"),
                                   QStringLiteral("ProvisioningStarted"),
                                   QStringLiteral("PendingExternalProvisioning"),
                                   QStringLiteral("AdminApproved")};
    return open.contains(status);
}

/// The statuses that wait for an approver: the request has an approval with a stage to decide.
bool awaitsApprover(const QString &status)
{
    return status == u"PendingApproval" || status == u"PendingApprovalProvisioning"
        || status == u"PendingAdminDecision";
}

Json ruleTarget(const char *caller, const char *level)
{
    return {{"caller", caller},
            {"operations", Json::array({"All"})},
            {"level", level},
            {"inheritableSettings", Json::array()},
            {"enforcedSettings", Json::array()}};
}

/// `$expand` of a request: `group` (with an optional `$select`) and `principal`. Other navigation
/// properties of the type are accepted and left out; anything else is `unknown`.
struct Expand
{
    bool group = false, principal = false;
    QStringList groupSelect; // empty: every property
    QString unknown;
};

Expand parseExpand(const QString &text)
{
    Expand e;
    QStringList items;
    QString current;
    int depth = 0;
    for (const QChar c : text) {
        if (c == u'(')
            ++depth;
        else if (c == u')')
            --depth;
        if (c == u',' && depth == 0) {
            items << current;
            current.clear();
        } else {
            current += c;
        }
    }
    items << current;
    for (const QString &raw : std::as_const(items)) {
        const QString item = raw.trimmed();
        if (item.isEmpty())
            continue;
        const qsizetype paren = item.indexOf(u'(');
        const QString name = (paren < 0 ? item : item.left(paren)).trimmed();
        QString options = paren < 0 ? QString() : item.mid(paren + 1);
        if (options.endsWith(u')'))
            options.chop(1);
        if (name.compare(QLatin1String("group"), Qt::CaseInsensitive) == 0) {
            e.group = true;
            for (const QString &option : options.split(u';', Qt::SkipEmptyParts)) {
                const QString key = option.section(u'=', 0, 0).trimmed();
                if (key.compare(QLatin1String("$select"), Qt::CaseInsensitive) == 0
                    || key.compare(QLatin1String("select"), Qt::CaseInsensitive) == 0)
                    for (const QString &field : option.section(u'=', 1).split(u',', Qt::SkipEmptyParts))
                        e.groupSelect << field.trimmed();
            }
        } else if (name.compare(QLatin1String("principal"), Qt::CaseInsensitive) == 0) {
            e.principal = true;
        } else if (name.compare(QLatin1String("targetSchedule"), Qt::CaseInsensitive) != 0
                   && name.compare(QLatin1String("activatedUsing"), Qt::CaseInsensitive) != 0
                   && e.unknown.isEmpty()) {
            e.unknown = name;
        }
    }
    return e;
}

const QString kInProgress = QStringLiteral("InProgress");

bool canWriteAssignments(const AccessToken &at)
{
    return at.scopes.contains(u"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup");
}

bool canReadAssignments(const AccessToken &at)
{
    return canWriteAssignments(at) || at.scopes.contains(u"PrivilegedAssignmentSchedule.Read.AzureADGroup");
}

Reply scopeMissing(Emulator::Private &d, const Request &r, bool write)
{
    return d.pimError(r, 403, QStringLiteral("PermissionScopeNotGranted"),
                      write ? QStringLiteral("Authorization failed due to missing permission scope "
                                             "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup,"
                                             "PrivilegedAccess.ReadWrite.AzureADGroup.")
                            : QStringLiteral("Authorization failed due to missing permission scope "
                                             "PrivilegedAssignmentSchedule.Read.AzureADGroup,"
                                             "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup,"
                                             "PrivilegedAccess.Read.AzureADGroup,"
                                             "PrivilegedAccess.ReadWrite.AzureADGroup."));
}

Reply methodNotAllowed(Emulator::Private &d, const Request &r)
{
    return d.graphError(
        r, 405, QStringLiteral("Request_BadRequest"),
        QStringLiteral("The HTTP method '%1' is not allowed on this resource.").arg(methodName(r.method)));
}

Reply segmentNotFound(Emulator::Private &d, const Request &r, const QString &segment)
{
    return d.graphError(r, 400, QStringLiteral("BadRequest"),
                        QStringLiteral("Resource not found for the segment '%1'.").arg(segment));
}

/// filterOr false: whether Graph takes `or` here is not documented, so a client must not need it.
Reply orRefused(Emulator::Private &d, const Request &r)
{
    return d.graphError(r, 400, QStringLiteral("BadRequest"),
                        QStringLiteral("Invalid filter clause: the 'or' operator is not supported on this "
                                       "function; use separate requests."));
}

Reply noContent()
{
    Reply reply;
    reply.status = 204;
    reply.contentType.clear();
    return reply;
}

Json notificationRule(const char *id, const char *recipient, const char *caller, const char *level)
{
    return {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyNotificationRule"},
            {"id", id},
            {"notificationType", "Email"},
            {"recipientType", recipient},
            {"notificationLevel", "All"},
            {"isDefaultRecipientsEnabled", true},
            {"notificationRecipients", Json::array()},
            {"target", ruleTarget(caller, level)}};
}

} // namespace

QString PimRequest::targetScheduleId() const
{
    return groupId + u'_' + accessId + u'_' + id;
}

const PimRequest *Emulator::Private::visible(const PimRequest &p) const
{
    const QDateTime asOf = visibleAsOf();
    const PimRequest *v = &p;
    while (v && v->changed > asOf)
        v = v->previous.get();
    return v;
}

void Emulator::Private::touch(PimRequest &p, const QDateTime &at)
{
    if (replicationLagMs > 0) // without a lag nobody reads an old version: keep no history
        p.previous = std::make_shared<const PimRequest>(p);
    else
        p.previous.reset();
    p.changed = at;
}

std::string Emulator::Private::enumText(const QString &camel) const
{
    QString s = camel;
    if (pascalEnums && !s.isEmpty())
        s[0] = s[0].toUpper();
    return s.toStdString();
}

QString Emulator::Private::stageStatusNow(const PimRequest &p) const
{
    if (p.stageStatus == kInProgress && now() < p.created.addMSecs(approvalInitializingMs))
        return QStringLiteral("Initializing");
    return p.stageStatus;
}

QList<AssignmentInstance>::iterator Emulator::Private::endInstance(QList<AssignmentInstance>::iterator it,
                                                                   const QDateTime &at)
{
    AssignmentInstance ended = *it;
    ended.ended = at;
    if (replicationLagMs > 0)
        endedInstances << ended;
    return instances.erase(it);
}

Policy Emulator::Private::policyFor(const QString &groupId, const QString &accessId) const
{
    for (const auto &p : policies)
        if (p.groupId == groupId && p.accessId == accessId)
            return p;
    Policy p; // the default: PT8H, justification, nothing else
    p.groupId = groupId;
    p.accessId = accessId;
    return p;
}

bool Emulator::Private::isEligible(const QString &userId, const QString &groupId,
                                   const QString &accessId) const
{
    const QDateTime t = now();
    for (const auto &e : eligibilities)
        if (e.userId == userId && e.groupId == groupId && e.accessId == accessId && e.start <= t
            && (!e.end.isValid() || e.end > t))
            return true;
    return false;
}

bool Emulator::Private::parseAssignmentsAndRequests(const Json &scenario, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    auto groupRef = [this](const Json &e, const char *key) -> const Group * {
        const QString ref = member(e, key);
        if (const Group *g = groupById(ref))
            return g;
        for (const auto &g : groups)
            if (!ref.isEmpty() && g.displayName == ref)
                return &g;
        return nullptr;
    };
    const QDateTime t0 = now();
    int n = 0;
    // Permanent active assignments (an administrator's, not PIM activations): graph-pim.md §5.
    for (const auto &e : scenario.value("assignments", Json::array())) {
        const QString where = QStringLiteral("assignment %1: ").arg(n++);
        const User *user = userByUpn(member(e, "user"));
        const Group *group = groupRef(e, "group");
        if (!e.is_object() || !user || !group)
            return fail(where + QStringLiteral("names an unknown user or group"));
        AssignmentInstance i;
        i.userId = user->id;
        i.groupId = group->id;
        i.accessId = member(e, "accessId");
        if (i.accessId.isEmpty())
            i.accessId = QStringLiteral("member");
        if (i.accessId != u"member" && i.accessId != u"owner")
            return fail(where + QStringLiteral("accessId is member or owner"));
        i.memberType = member(e, "memberType").toLower();
        if (i.memberType.isEmpty())
            i.memberType = QStringLiteral("direct");
        if (i.memberType != u"direct" && i.memberType != u"group")
            return fail(where + QStringLiteral("memberType is Direct or Group"));
        i.assignmentType = member(e, "assignmentType").toLower();
        if (i.assignmentType.isEmpty())
            i.assignmentType = QStringLiteral("assigned");
        if (i.assignmentType != u"assigned")
            return fail(where
                        + QStringLiteral("assignmentType is Assigned (activations come from requests)"));
        if (e.contains("viaGroup")) {
            const Group *via = groupRef(e, "viaGroup");
            if (!via || i.memberType != u"group")
                return fail(where + QStringLiteral("viaGroup is a scenario group, with memberType Group"));
            i.principalId = via->id;
        }
        i.id = QString::fromLatin1(
            QUuid::createUuidV5(QUuid(), QStringLiteral("assignment:") + i.userId + i.groupId + i.accessId)
                .toRfc4122()
                .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
            + "-1"); // the opaque form of graph-pim.md §5's example
        i.start = t0.addDays(-30);
        i.appeared = i.start;
        for (const auto &other : std::as_const(instances))
            if (other.id == i.id)
                return fail(where
                            + QStringLiteral("a second assignment of the same user, group and accessId"));
        instances << i;
    }
    n = 0;
    // Requests PIM is still working on, in any open status of §6.5, made ten minutes before the load.
    for (const auto &e : scenario.value("requests", Json::array())) {
        const QString where = QStringLiteral("request %1: ").arg(n++);
        const User *user = userByUpn(member(e, "user"));
        const Group *group = groupRef(e, "group");
        if (!e.is_object() || !user || !group)
            return fail(where + QStringLiteral("names an unknown user or group"));
        PimRequest p;
        p.id = member(e, "id");
        if (p.id.isEmpty())
            p.id = QUuid::createUuidV5(QUuid(), QStringLiteral("request:%1").arg(n))
                       .toString(QUuid::WithoutBraces);
        if (findRequest(p.id))
            return fail(where + QStringLiteral("a second request with id %1").arg(p.id));
        p.action = QStringLiteral("selfActivate");
        p.accessId = member(e, "accessId");
        if (p.accessId.isEmpty())
            p.accessId = QStringLiteral("member");
        if (p.accessId != u"member" && p.accessId != u"owner")
            return fail(where + QStringLiteral("accessId is member or owner"));
        p.groupId = group->id;
        p.principalId = p.createdBy = user->id;
        p.status = member(e, "status");
        if (!isOpenStatus(p.status))
            return fail(where
                        + QStringLiteral("status '%1' is not an open status (PendingApproval, "
                                         "PendingApprovalProvisioning, PendingAdminDecision, "
                                         "PendingScheduleCreation, ScheduleCreated, Accepted, "
                                         "PendingProvisioning, Granted, ...)")
                              .arg(p.status));
        p.justification = member(e, "justification", &p.hasJustification);
        p.duration = member(e, "duration");
        if (p.duration.isEmpty())
            p.duration = QStringLiteral("PT1H");
        p.durationSecs = parseIsoDuration(p.duration);
        if (p.durationSecs <= 0)
            return fail(where + QStringLiteral("duration is an ISO 8601 duration such as PT1H"));
        p.expirationType = QStringLiteral("afterDuration");
        p.created = p.changed = p.start = p.requestedStart = t0.addSecs(-600);
        p.seeded = true;
        if (awaitsApprover(p.status)) {
            p.approvalRequired = true;
            p.stageStatus = kInProgress;
        }
        pimRequests << p;
    }
    return true;
}

PimRequest *Emulator::Private::findRequest(const QString &id)
{
    for (auto &p : pimRequests)
        if (p.id == id)
            return &p;
    return nullptr;
}

void Emulator::Private::provision(PimRequest &p, const QDateTime &from)
{
    touch(p, from);
    p.status = QStringLiteral("Provisioned");
    p.completed = from;
    p.grantState = QStringLiteral("active");
    AssignmentInstance i;
    i.id = p.targetScheduleId();
    i.requestId = p.id;
    i.userId = p.principalId;
    i.groupId = p.groupId;
    i.accessId = p.accessId;
    i.start = from;
    i.end = p.fixedEnd ? p.requestedEnd : from.addSecs(p.durationSecs);
    i.appeared = from;
    instances << i;
}

void Emulator::Private::advanceState()
{
    const QDateTime t = now();
    for (auto &p : pimRequests) {
        if (awaitsApprover(p.status) && p.stageStatus == kInProgress
            && p.created.addSecs(kApprovalWindowSecs) <= t) {
            touch(p, p.created.addSecs(kApprovalWindowSecs));
            p.status = approvalTimeoutStatus; // approvers have 24 hours; then the user must ask again
            p.completed = p.created.addSecs(kApprovalWindowSecs);
            p.stageStatus = QStringLiteral("Expired");
        } else if (p.status == u"Granted" && p.grantState == u"scheduled" && p.start <= t) {
            provision(p, p.start);
        }
    }
    for (auto it = instances.begin(); it != instances.end();) {
        if (it->end.isValid() && it->end <= t) {
            if (PimRequest *p = findRequest(it->requestId))
                p->grantState = QStringLiteral("expired");
            it = endInstance(it, it->end);
        } else {
            ++it;
        }
    }
    // An ended instance is listed until readers catch up with its end.
    const QDateTime asOf = visibleAsOf();
    endedInstances.removeIf([&asOf](const AssignmentInstance &i) { return i.ended <= asOf; });
}

Json Emulator::Private::policyAssignmentJson(const Policy &p, bool expandPolicy, bool expandRules) const
{
    const QString guid = QUuid::createUuidV5(QUuid(), QStringLiteral("policy:") + p.groupId + p.accessId)
                             .toString(QUuid::WithoutBraces);
    const QString policyId = QStringLiteral("Group_") + p.groupId + u'_' + guid;
    Json a = {{"id", QString(policyId + u'_' + p.accessId).toStdString()},
              {"policyId", policyId.toStdString()},
              {"scopeId", p.groupId.toStdString()},
              {"scopeType", "Group"},
              {"roleDefinitionId", p.accessId.toStdString()}};
    if (!expandPolicy)
        return a;
    Json policy = {{"id", policyId.toStdString()},
                   {"displayName", "Group"},
                   {"description", "Group"},
                   {"isOrganizationDefault", false},
                   {"scopeId", p.groupId.toStdString()},
                   {"scopeType", "Group"},
                   {"lastModifiedDateTime", nullptr},
                   {"lastModifiedBy", {{"displayName", nullptr}, {"id", nullptr}}}};
    if (expandRules) {
        Json enabled = Json::array();
        if (p.mfa)
            enabled.push_back("MultiFactorAuthentication");
        if (p.justification)
            enabled.push_back("Justification");
        if (p.ticket)
            enabled.push_back("Ticketing");
        Json approvers = Json::array();
        for (const auto &id : p.approverIds) {
            const User *u = userById(id);
            approvers.push_back({{"@odata.type", "#microsoft.graph.singleUser"},
                                 {"userId", id.toStdString()},
                                 {"description", u ? u->displayName.toStdString() : std::string()}});
        }
        // Seventeen rules in a real policy; the requester needs the four EndUser Assignment ones and
        // must pick them by id, so some of the others are here too, in between.
        policy["rules"] = Json::array(
            {{{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"},
              {"id", "Expiration_Admin_Eligibility"},
              {"isExpirationRequired", false},
              {"maximumDuration", "P365D"},
              {"target", ruleTarget("Admin", "Eligibility")}},
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule"},
              {"id", "Enablement_Admin_Eligibility"},
              {"enabledRules", Json::array()},
              {"target", ruleTarget("Admin", "Eligibility")}},
             notificationRule("Notification_Admin_Admin_Eligibility", "Admin", "Admin", "Eligibility"),
             notificationRule("Notification_Requestor_EndUser_Assignment", "Requestor", "EndUser",
                              "Assignment"),
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"},
              {"id", "Expiration_EndUser_Assignment"},
              {"isExpirationRequired", true},
              {"maximumDuration", p.maximumDuration.toStdString()},
              {"target", ruleTarget("EndUser", "Assignment")}},
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule"},
              {"id", "Enablement_EndUser_Assignment"},
              {"enabledRules", enabled},
              {"target", ruleTarget("EndUser", "Assignment")}},
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule"},
              {"id", "Approval_EndUser_Assignment"},
              {"target", ruleTarget("EndUser", "Assignment")},
              {"setting",
               {{"isApprovalRequired", p.approval},
                {"isApprovalRequiredForExtension", false},
                {"isRequestorJustificationRequired", true},
                {"approvalMode", "SingleStage"},
                {"approvalStages",
                 Json::array({{{"approvalStageTimeOutInDays", 1},
                               {"isApproverJustificationRequired", p.approverJustification},
                               {"escalationTimeInMinutes", 0},
                               {"isEscalationEnabled", false},
                               {"primaryApprovers", approvers},
                               {"escalationApprovers", Json::array()}}})}}}},
             notificationRule("Notification_Approver_EndUser_Assignment", "Approver", "EndUser",
                              "Assignment"),
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule"},
              {"id", "AuthenticationContext_EndUser_Assignment"},
              {"isEnabled", !p.authContext.isEmpty()},
              {"claimValue", p.authContext.isEmpty() ? Json(nullptr) : Json(p.authContext.toStdString())},
              {"target", ruleTarget("EndUser", "Assignment")}},
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule"},
              {"id", "Expiration_Admin_Assignment"},
              {"isExpirationRequired", false},
              {"maximumDuration", "P180D"},
              {"target", ruleTarget("Admin", "Assignment")}},
             {{"@odata.type", "#microsoft.graph.unifiedRoleManagementPolicyEnablementRule"},
              {"id", "Enablement_Admin_Assignment"},
              {"enabledRules", Json::array({"Justification"})},
              {"target", ruleTarget("Admin", "Assignment")}}});
    }
    a["policy"] = policy;
    return a;
}

Json Emulator::Private::requestJson(const PimRequest &p, bool inCollection, bool expandGroup,
                                    bool expandPrincipal, const QStringList &groupSelect) const
{
    const bool activation = p.action == u"selfActivate";
    Json j = {{"id", p.id.toStdString()},
              {"status", p.status.toStdString()},
              {"action", enumText(p.action)},
              {"accessId", p.accessId.toStdString()},
              {"groupId", p.groupId.toStdString()},
              {"principalId", p.principalId.toStdString()},
              {"approvalId", p.approvalRequired ? Json(p.id.toStdString()) : Json(nullptr)},
              {"createdDateTime", timeOrNull(p.created)},
              {"completedDateTime", timeOrNull(p.completed)},
              {"createdBy", {{"user", {{"id", p.createdBy.toStdString()}, {"displayName", nullptr}}}}},
              {"isValidationOnly", p.validationOnly},
              {"justification", textOrNull(p.justification, p.hasJustification)},
              {"customData", nullptr},
              {"ticketInfo",
               {{"ticketNumber", textOrNull(p.ticketNumber, p.hasTicketNumber)},
                {"ticketSystem", textOrNull(p.ticketSystem, p.hasTicketSystem)}}},
              {"targetScheduleId", activation ? Json(p.targetScheduleId().toStdString()) : Json(nullptr)}};
    if (activation)
        j["scheduleInfo"] = {{"startDateTime", timeOrNull(p.start)},
                             {"recurrence", nullptr},
                             {"expiration",
                              {{"type", enumText(p.expirationType)},
                               {"endDateTime", p.fixedEnd ? timeOrNull(p.requestedEnd) : Json(nullptr)},
                               {"duration", p.fixedEnd ? Json(nullptr) : Json(p.duration.toStdString())}}}};
    else
        j["scheduleInfo"] = nullptr;
    if (inCollection)
        j["@odata.type"] = "#microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest";
    if (inCollection && pascalEnums) {
        // The filterByCurrentUser example of the v1.0 docs spells these so; a parser that needs the
        // misspelling, or breaks on it, is caught here. The correct names stay beside them.
        j["createdDateTIme"] = j["createdDateTime"];
        j["completedDateTIme"] = j["completedDateTime"];
    }
    if (expandGroup) {
        j["group"] = expandsGroup(p.groupId) ? groupJson(p.groupId) : Json(nullptr);
        if (j["group"].is_object() && !groupSelect.isEmpty()) {
            Json selected = Json::object();
            for (const auto &field : groupSelect) {
                const std::string key = field.toStdString();
                if (j["group"].contains(key))
                    selected[key] = j["group"][key];
            }
            j["group"] = selected;
        }
    }
    if (expandPrincipal) {
        const User *u = userById(p.principalId);
        j["principal"] = u ? Json {{"@odata.type", "#microsoft.graph.user"},
                                   {"id", u->id.toStdString()},
                                   {"displayName", u->displayName.toStdString()},
                                   {"userPrincipalName", u->upn.toStdString()},
                                   {"mail", u->mail.isEmpty() ? Json(nullptr) : Json(u->mail.toStdString())}}
                           : Json(nullptr);
    }
    return j;
}

Json Emulator::Private::instanceJson(const AssignmentInstance &i, bool expandGroup) const
{
    Json j = {{"@odata.type", "#microsoft.graph.privilegedAccessGroupAssignmentScheduleInstance"},
              {"id", i.id.toStdString()},
              {"startDateTime", timeOrNull(i.start)},
              {"endDateTime", timeOrNull(i.end)},
              {"accessId", i.accessId.toStdString()},
              {"principalId", i.userId.toStdString()},
              {"groupId", i.groupId.toStdString()},
              {"memberType", capitalized(i.memberType)},
              {"assignmentType", capitalized(i.assignmentType)},
              {"assignmentScheduleId", i.id.toStdString()}};
    if (!i.principalId.isEmpty())
        j["principalId"] = i.principalId.toStdString();
    if (i.assignmentType == u"assigned") {
        j["startDateTime"] = nullptr; // a permanent assignment, as in graph-pim.md §5's example
        j["endDateTime"] = nullptr;
    }
    if (expandGroup)
        j["group"] = expandsGroup(i.groupId) ? groupJson(i.groupId) : Json(nullptr);
    return j;
}

namespace {

// The handlers of pimRoutes(): each checks what the real service checks first, in its order.

Reply listAllRequestsRefused(Emulator::Private &d, const Request &r, const GraphCall &)
{
    // Listing everybody's requests needs an administrator; a requester uses filterByCurrentUser.
    return d.pimError(r, 403, QStringLiteral("AuthorizationFailed"),
                      QStringLiteral("The caller is not authorized to list all requests; use "
                                     "filterByCurrentUser."));
}

Reply createRequestRoute(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    return canWriteAssignments(c.at) ? d.createRequest(r, c.at, *c.user, c.root) : scopeMissing(d, r, true);
}

Reply onNotValid(Emulator::Private &d, const Request &r, const QString &on)
{
    return d.graphError(r, 400, QStringLiteral("BadRequest"),
                        QStringLiteral("The value '%1' is not valid for the parameter 'on'.").arg(on));
}

/// A filterByCurrentUser list's checks: the read scope, then `on` among those the list takes.
std::optional<Reply> byCurrentUserRefused(Emulator::Private &d, const Request &r, const GraphCall &c,
                                          const QStringList &ons)
{
    if (!canReadAssignments(c.at))
        return scopeMissing(d, r, false);
    const QString on = c.params.value(QStringLiteral("on"));
    if (!ons.contains(on))
        return onNotValid(d, r, on);
    return std::nullopt;
}

Reply requestsByCurrentUser(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    const QStringList ons
        = {QStringLiteral("principal"), QStringLiteral("createdBy"), QStringLiteral("approver")};
    if (std::optional<Reply> refused = byCurrentUserRefused(d, r, c, ons))
        return *refused;
    return d.listRequests(r, c.params.value(QStringLiteral("on")), *c.user, c.root, c.path);
}

Reply getRequest(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    if (!canReadAssignments(c.at))
        return scopeMissing(d, r, false);
    // Replication lag: a reader sees the request as it was then, or not yet at all (404).
    const QString id = c.params.value(QStringLiteral("id"));
    const PimRequest *truth = d.findRequest(id);
    const PimRequest *p = truth ? d.visible(*truth) : nullptr;
    const User &user = *c.user;
    const bool mine = p
        && (p->principalId == user.id || p->createdBy == user.id
            || (p->approvalRequired && d.policyFor(p->groupId, p->accessId).approverIds.contains(user.id)));
    if (!mine)
        return d.pimError(r, 404, QStringLiteral("ResourceNotFound"),
                          QStringLiteral("The request '%1' was not found.").arg(id));
    const Expand expand = parseExpand(r.odata(QStringLiteral("expand")));
    if (!expand.unknown.isEmpty())
        return d.graphError(
            r, 400, QStringLiteral("BadRequest"),
            QStringLiteral("Could not find a property named '%1' on type "
                           "'microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest'.")
                .arg(expand.unknown));
    Json j = d.requestJson(*p, false, expand.group, expand.principal, expand.groupSelect);
    j["@odata.context"]
        = c.root + "/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity";
    return Reply::json(j);
}

Reply cancelRequestRoute(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    if (!canWriteAssignments(c.at))
        return scopeMissing(d, r, true);
    return d.cancelRequest(r, c.params.value(QStringLiteral("id")), *c.user);
}

/// A path below a collection that names nothing: its last segment is not found.
Reply lastSegmentNotFound(Emulator::Private &d, const Request &r, const GraphCall &)
{
    return segmentNotFound(d, r, r.segments.last());
}

Reply listAllInstancesRefused(Emulator::Private &d, const Request &r, const GraphCall &)
{
    return d.pimError(r, 403, QStringLiteral("AuthorizationFailed"),
                      QStringLiteral("The caller is not authorized to list all instances; use "
                                     "filterByCurrentUser."));
}

Reply instancesByCurrentUser(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    if (std::optional<Reply> refused = byCurrentUserRefused(d, r, c, {QStringLiteral("principal")}))
        return *refused;
    return d.listInstances(r, c.user, c.root, c.path);
}

Reply instancesNotFound(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    return segmentNotFound(d, r, c.params.rest.join(u'/')); // the whole rest, as one segment
}

// Approvals of requests that need one: v1.0 has `stages`, beta `steps`; one stage, id = approval id.

QString stagesOf(const GraphCall &c)
{
    return c.beta ? QStringLiteral("steps") : QStringLiteral("stages");
}

std::string approvalsContext(const GraphCall &c)
{
    return c.root + "/$metadata#identityGovernance/privilegedAccess/group/assignmentApprovals";
}

Reply approvalsCollection(Emulator::Private &d, const Request &r, const GraphCall &)
{
    // Observed with delegated tokens (graph-pim.md §8.1): the bare collection is for apps only.
    return d.pimError(r, 403, QStringLiteral("AuthorizationFailed"),
                      QStringLiteral("Only app tokens are supported."));
}

Reply approvalsByCurrentUser(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    if (std::optional<Reply> refused = byCurrentUserRefused(d, r, c, {QStringLiteral("approver")}))
        return *refused;
    std::vector<Json> items;
    for (const auto &p : std::as_const(d.pimRequests))
        if (p.stageStatus == kInProgress && d.mayDecide(p, c.user->id))
            items.push_back(d.approvalJson(p, *c.user, c.beta));
    return d.pagedCollection(r, c.root, c.path, "approval", items);
}

/// The approval a reader may see, after the read checks; nullptr: `refusal` says why not.
const PimRequest *readableApproval(Emulator::Private &d, const Request &r, const GraphCall &c, Reply *refusal)
{
    const QString id = c.params.value(QStringLiteral("id"));
    if (!canReadAssignments(c.at)) {
        *refusal = scopeMissing(d, r, false);
        return nullptr;
    }
    const PimRequest *p = d.findRequest(id);
    if (!p || !d.maySeeApproval(*p, c.user->id)) {
        // 404 rather than 403: PIM hides what you cannot see
        *refusal = d.pimError(r, 404, QStringLiteral("ResourceNotFound"),
                              QStringLiteral("The approval '%1' was not found.").arg(id));
        return nullptr;
    }
    return p;
}

Reply approvalGet(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    Reply refusal;
    const PimRequest *p = readableApproval(d, r, c, &refusal);
    if (!p)
        return refusal;
    Json j = d.approvalJson(*p, *c.user, c.beta);
    j["@odata.context"] = approvalsContext(c) + "/$entity";
    return Reply::json(j);
}

std::string stagesContext(const GraphCall &c)
{
    return approvalsContext(c) + "('" + c.params.value(QStringLiteral("id")).toStdString() + "')/"
        + stagesOf(c).toStdString();
}

Reply approvalStages(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    if (c.params.value(QStringLiteral("stages")) != stagesOf(c))
        return segmentNotFound(d, r, c.params.value(QStringLiteral("stages")));
    if (r.method != QHttpServerRequest::Method::Get)
        return methodNotAllowed(d, r);
    Reply refusal;
    const PimRequest *p = readableApproval(d, r, c, &refusal);
    if (!p)
        return refusal;
    return Reply::json(
        {{"@odata.context", stagesContext(c)}, {"value", Json::array({d.stageJson(*p, *c.user, c.beta)})}});
}

Reply approvalStage(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    using M = QHttpServerRequest::Method;
    if (c.params.value(QStringLiteral("stages")) != stagesOf(c))
        return segmentNotFound(d, r, c.params.value(QStringLiteral("stages")));
    const QString stageId = c.params.value(QStringLiteral("stage"));
    if (r.method == M::Patch) {
        if (!canWriteAssignments(c.at))
            return scopeMissing(d, r, true);
        return d.reviewStage(r, c.params.value(QStringLiteral("id")), stageId, *c.user);
    }
    if (r.method != M::Get)
        return methodNotAllowed(d, r);
    Reply refusal;
    const PimRequest *p = readableApproval(d, r, c, &refusal);
    if (!p)
        return refusal;
    if (stageId != p->id)
        return d.pimError(
            r, 404, QStringLiteral("ResourceNotFound"),
            QStringLiteral("The %1 '%2' was not found.")
                .arg(c.beta ? QStringLiteral("approval step") : QStringLiteral("approval stage"), stageId));
    Json j = d.stageJson(*p, *c.user, c.beta);
    j["@odata.context"] = stagesContext(c) + "/$entity";
    return Reply::json(j);
}

Reply belowStageNotFound(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    const QString stages = c.params.value(QStringLiteral("stages"));
    return segmentNotFound(d, r, stages != stagesOf(c) ? stages : r.segments.last());
}

} // namespace

const GraphRoutes &Emulator::Private::pimRoutes()
{
    // Below /graph/{version}/. A wrong method on any of these is Graph's 405 (see graph()).
    using M = QHttpServerRequest::Method;
    static const GraphRoutes routes = [] {
        const QString group = QStringLiteral("identityGovernance/privilegedAccess/group/");
        const QString requests = group + QStringLiteral("assignmentScheduleRequests");
        const QString approvals = group + QStringLiteral("assignmentApprovals");
        const QString instances = group + QStringLiteral("assignmentScheduleInstances");
        const QString byCurrentUser = QStringLiteral("/filterByCurrentUser(on='{on:[A-Za-z]+}')");
        GraphRoutes t;
        t.add(M::Get, QStringLiteral("policies/roleManagementPolicyAssignments"),
              [](Private &d, const Request &r, const GraphCall &c) {
                  return d.policyAssignments(r, c.at, c.root);
              });
        t.add(M::Post, requests, createRequestRoute);
        t.add(M::Get, requests, listAllRequestsRefused);
        t.add(M::Get, requests + byCurrentUser, requestsByCurrentUser);
        t.add(M::Get, requests + QStringLiteral("/{id}"), getRequest);
        t.add(M::Post, requests + QStringLiteral("/{id}/cancel"), cancelRequestRoute);
        t.add(AnyMethod, requests + QStringLiteral("/**"), lastSegmentNotFound);
        t.add(M::Get, approvals, approvalsCollection);
        t.add(M::Get, approvals + byCurrentUser, approvalsByCurrentUser);
        t.add(AnyMethod, approvals + byCurrentUser + QStringLiteral("/**"), lastSegmentNotFound);
        t.add(M::Get, approvals + QStringLiteral("/{id}"), approvalGet);
        t.add(AnyMethod, approvals + QStringLiteral("/{id}/{stages}"), approvalStages);
        t.add(AnyMethod, approvals + QStringLiteral("/{id}/{stages}/{stage}"), approvalStage);
        t.add(AnyMethod, approvals + QStringLiteral("/{id}/{stages}/**"), belowStageNotFound);
        t.add(AnyMethod, instances, listAllInstancesRefused);
        t.add(M::Get, instances + byCurrentUser, instancesByCurrentUser);
        t.add(AnyMethod, instances + QStringLiteral("/**"), instancesNotFound);
        return t;
    }();
    return routes;
}

Reply Emulator::Private::policyAssignments(const Request &r, const AccessToken &at, const std::string &root)
{
    if (!at.scopes.contains(u"RoleManagementPolicy.Read.AzureADGroup")
        && !at.scopes.contains(u"RoleManagementPolicy.ReadWrite.AzureADGroup"))
        return pimError(r, 403, QStringLiteral("PermissionScopeNotGranted"),
                        QStringLiteral("Authorization failed due to missing permission scope "
                                       "RoleManagementPolicy.Read.AzureADGroup,"
                                       "RoleManagementPolicy.ReadWrite.AzureADGroup."));
    const QString text = r.odata(QStringLiteral("filter"));
    if (!text.contains(QStringLiteral("scopeId"), Qt::CaseInsensitive)
        || !text.contains(QStringLiteral("scopeType"), Qt::CaseInsensitive))
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("The filter must specify scopeId and scopeType, e.g. "
                                         "scopeId eq '{groupId}' and scopeType eq 'Group'."));
    const Filter filter(text,
                        {QStringLiteral("scopeId"), QStringLiteral("scopeType"),
                         QStringLiteral("roleDefinitionId"), QStringLiteral("policyId")});
    if (!filter.isValid())
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Invalid filter clause: %1.").arg(filter.error()));
    const QString expand = r.odata(QStringLiteral("expand"));
    const bool expandPolicy = expand.contains(QStringLiteral("policy"), Qt::CaseInsensitive);
    const bool expandRules = expandPolicy && expand.contains(QStringLiteral("rules"), Qt::CaseInsensitive);
    Json value = Json::array();
    for (const auto &g : groups) {
        for (const QString &accessId : {QStringLiteral("member"), QStringLiteral("owner")}) {
            const Policy p = policyFor(g.id, accessId);
            const Json a = policyAssignmentJson(p, expandPolicy, expandRules);
            const bool match = filter.matches([&](const QString &field) {
                if (field == u"scopeId")
                    return g.id;
                if (field == u"scopeType")
                    return QStringLiteral("Group");
                if (field == u"roleDefinitionId")
                    return accessId;
                return QString::fromStdString(a["policyId"].get<std::string>());
            });
            if (match && policyReadForbidden.contains(g.id))
                return graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                                  QStringLiteral("Insufficient privileges to complete the operation."));
            if (match)
                value.push_back(a);
        }
    }
    const std::string context = expandRules ? "(policy(rules()))" : expandPolicy ? "(policy())" : "";
    return Reply::json(
        {{"@odata.context", root + "/$metadata#policies/roleManagementPolicyAssignments" + context},
         {"value", value}});
}

namespace {
/// An activation's scheduleInfo into `p` (start, expiration) and `secs`, its length (-1: none, which the
/// Expiration rule refuses): nullopt, or why the request is invalid.
std::optional<QString> readSchedule(const Json &body, const QDateTime &t, PimRequest &p, qint64 *secsOut)
{
    qint64 &secs = *secsOut;
    const Json schedule = body.contains("scheduleInfo") && body["scheduleInfo"].is_object()
        ? body["scheduleInfo"]
        : Json::object();
    bool hasStart = false;
    const QString startText = member(schedule, "startDateTime", &hasStart);
    p.requestedStart = hasStart ? parseTime(startText) : t;
    if (!p.requestedStart.isValid())
        return QStringLiteral("startDateTime is not a DateTimeOffset.");
    const bool immediate = p.requestedStart <= t.addSecs(kImmediateSkewSecs);
    p.start = immediate ? t : p.requestedStart; // "now" is normalised to server time
    const Json expiration = schedule.contains("expiration") && schedule["expiration"].is_object()
        ? schedule["expiration"]
        : Json::object();
    const QString type = member(expiration, "type");
    secs = -1; // no expiration: the Expiration rule fails
    if (type.compare(QLatin1String("afterDuration"), Qt::CaseInsensitive) == 0) {
        p.expirationType = QStringLiteral("afterDuration");
        p.duration = member(expiration, "duration");
        secs = parseIsoDuration(p.duration);
        if (secs <= 0)
            return QStringLiteral("expiration.duration is not an ISO 8601 duration.");
        p.durationSecs = secs;
    } else if (type.compare(QLatin1String("afterDateTime"), Qt::CaseInsensitive) == 0) {
        p.expirationType = QStringLiteral("afterDateTime");
        p.requestedEnd = parseTime(member(expiration, "endDateTime"));
        if (!p.requestedEnd.isValid())
            return QStringLiteral("expiration.endDateTime is not a DateTimeOffset.");
        if (p.requestedEnd <= p.start)
            return QStringLiteral("expiration.endDateTime must be after the start.");
        p.fixedEnd = true;
        secs = p.start.secsTo(p.requestedEnd);
    } else if (type.isEmpty() || type.compare(QLatin1String("noExpiration"), Qt::CaseInsensitive) == 0
               || type.compare(QLatin1String("notSpecified"), Qt::CaseInsensitive) == 0) {
        p.expirationType = type.isEmpty() ? QStringLiteral("notSpecified") : type;
    } else {
        return QStringLiteral("expiration.type '%1' is not valid.").arg(type);
    }

    return std::nullopt;
}
} // namespace

Reply Emulator::Private::deactivateRequest(const Request &r, PimRequest p, const User &user,
                                           const std::string &root)
{
    // Only an activation ends this way; a permanent assignment is the administrator's.
    auto inst = std::find_if(instances.begin(), instances.end(), [&](const AssignmentInstance &i) {
        return i.userId == user.id && i.groupId == p.groupId && i.accessId == p.accessId
            && i.assignmentType == u"activated";
    });
    if (inst == instances.end())
        return pimError(r, 400, QStringLiteral("RoleAssignmentDoesNotExist"),
                        QStringLiteral("The Role assignment does not exist."));
    if (inst->start.secsTo(p.created) < kMinActiveSecs)
        return pimError(r, 400, QStringLiteral("ActiveDurationTooShort"),
                        QStringLiteral("The Active duration is too short. Minimum required is 5 minutes."));
    p.status = QStringLiteral("Revoked");
    p.completed = p.created;
    if (!p.validationOnly) {
        if (PimRequest *activation = findRequest(inst->requestId))
            activation->grantState = QStringLiteral("revoked");
        endInstance(inst, p.created);
        pimRequests << p;
    }
    Json j = requestJson(p, false, false, false);
    j["@odata.context"]
        = root + "/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity";
    return Reply::json(j, 201);
}

Reply Emulator::Private::createRequest(const Request &r, const AccessToken &at, const User &user,
                                       const std::string &root)
{
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (!body.is_object())
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Unable to read JSON request payload. Please ensure Content-Type "
                                         "header is set and payload is of valid JSON format."));
    auto invalid = [&](const QString &why) {
        return pimError(r, 400, QStringLiteral("InvalidRoleAssignmentRequest"),
                        QStringLiteral("The role assignment request is invalid. ") + why);
    };
    const QDateTime t = now();
    PimRequest p;
    p.action = member(body, "action");
    p.accessId = member(body, "accessId");
    p.groupId = member(body, "groupId");
    p.principalId = member(body, "principalId");
    p.createdBy = user.id;
    p.created = t;
    p.changed = t;
    if (p.action != u"selfActivate" && p.action != u"selfDeactivate")
        return invalid(QStringLiteral("The action '%1' is not supported for this caller.").arg(p.action));
    if (p.accessId != u"member" && p.accessId != u"owner")
        return invalid(QStringLiteral("accessId must be member or owner."));
    if (p.groupId.isEmpty())
        return invalid(QStringLiteral("groupId is required."));
    if (p.principalId.isEmpty())
        return invalid(QStringLiteral("principalId is required."));
    if (p.principalId != user.id)
        return invalid(QStringLiteral("The principalId of a self-service request must be the caller."));
    if (body.contains("isValidationOnly") && body["isValidationOnly"].is_boolean())
        p.validationOnly = body["isValidationOnly"].get<bool>();
    p.justification = member(body, "justification", &p.hasJustification);
    const Json ticket
        = body.contains("ticketInfo") && body["ticketInfo"].is_object() ? body["ticketInfo"] : Json::object();
    p.ticketNumber = member(ticket, "ticketNumber", &p.hasTicketNumber);
    p.ticketSystem = member(ticket, "ticketSystem", &p.hasTicketSystem);
    p.id = newGuid();

    if (p.action == u"selfDeactivate")
        return deactivateRequest(r, p, user, root);

    // selfActivate: read the schedule.
    qint64 secs = -1;
    if (const std::optional<QString> why = readSchedule(body, t, p, &secs))
        return invalid(*why);
    const bool immediate = p.requestedStart <= t.addSecs(kImmediateSkewSecs);

    // The policy, in PIM's order; every failing rule is reported at once.
    const Policy policy = policyFor(p.groupId, p.accessId);
    QStringList failed;
    if (!isEligible(user.id, p.groupId, p.accessId))
        failed << QStringLiteral("EligibilityRule");
    if (secs < 0 || secs > policy.maximumSecs)
        failed << QStringLiteral("ExpirationRule");
    if (policy.justification && p.justification.trimmed().isEmpty())
        failed << QStringLiteral("JustificationRule");
    if (policy.ticket && p.ticketNumber.trimmed().isEmpty())
        failed << QStringLiteral("TicketingRule");
    if (policy.mfa && !at.mfa)
        failed << QStringLiteral("MfaRule");
    if (!failed.isEmpty()) {
        Json names = Json::array();
        for (const auto &f : failed)
            names.push_back(f.toStdString());
        return pimError(r, 400, QStringLiteral("RoleAssignmentRequestPolicyValidationFailed"),
                        QStringLiteral("The following policy rules failed: ")
                            + QString::fromStdString(names.dump()));
    }
    if (!policy.authContext.isEmpty() && !at.acrs.contains(policy.authContext)) {
        // The claims to ask for, URL-encoded JSON after "&claims=" (spacing as captured from the service).
        const QByteArray claims = QByteArray(R"({"access_token":{"acrs":{"essential":true, "value":")")
            + policy.authContext.toUtf8() + QByteArray(R"("}}})");
        return pimError(r, 400, QStringLiteral("RoleAssignmentRequestAcrsValidationFailed"),
                        QStringLiteral("&claims=")
                            + QString::fromLatin1(QUrl::toPercentEncoding(QString::fromUtf8(claims))));
    }
    // An activation that ended within the replication lag still exists for PIM's writer (§10.2, §10.3).
    const QDateTime asOf = visibleAsOf();
    auto exists = [&](const AssignmentInstance &i) {
        return i.userId == user.id && i.groupId == p.groupId && i.accessId == p.accessId;
    };
    const bool endedRecently
        = std::any_of(endedInstances.cbegin(), endedInstances.cend(),
                      [&](const AssignmentInstance &i) { return exists(i) && i.ended > asOf; });
    if (endedRecently || std::any_of(instances.cbegin(), instances.cend(), exists))
        return pimError(r, 400, QStringLiteral("RoleAssignmentExists"),
                        QStringLiteral("The Role assignment already exists."));
    for (const auto &other : std::as_const(pimRequests))
        if (other.principalId == user.id && other.groupId == p.groupId && other.accessId == p.accessId
            && other.action == u"selfActivate" && isOpenStatus(other.status))
            return pimError(r, 400, QStringLiteral("PendingRoleAssignmentRequest"),
                            QStringLiteral("There is already an existing pending Role assignment request."));

    p.approvalRequired = policy.approval;
    if (p.validationOnly) {
        p.status = QStringLiteral("Accepted"); // a dry run: nothing is created
    } else if (policy.approval) {
        p.status = QStringLiteral("PendingApproval");
        p.stageStatus = kInProgress;
    } else if (!immediate) {
        p.status = QStringLiteral("Granted");
        p.grantState = QStringLiteral("scheduled");
    } else {
        provision(p, t);
    }
    if (!p.validationOnly)
        pimRequests << p;
    Json j = requestJson(p, false, false, false);
    j["@odata.context"]
        = root + "/$metadata#identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity";
    return Reply::json(j, 201);
}

Reply Emulator::Private::listRequests(const Request &r, const QString &on, const User &user,
                                      const std::string &root, const QString &path)
{
    const Filter filter(r.odata(QStringLiteral("filter")),
                        {QStringLiteral("status"), QStringLiteral("groupId"), QStringLiteral("principalId"),
                         QStringLiteral("id"), QStringLiteral("targetScheduleId"), QStringLiteral("accessId"),
                         QStringLiteral("action"), QStringLiteral("approvalId")});
    if (!filter.isValid())
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Invalid filter clause: %1.").arg(filter.error()));
    if (filter.usesOr() && !filterOr)
        return orRefused(*this, r);
    const Expand expand = parseExpand(r.odata(QStringLiteral("expand")));
    if (!expand.unknown.isEmpty())
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Could not find a property named '%1' on type "
                                         "'microsoft.graph.privilegedAccessGroupAssignmentScheduleRequest'.")
                              .arg(expand.unknown));
    std::vector<Json> items;
    for (const auto &truth : std::as_const(pimRequests)) {
        const PimRequest *seen = visible(truth);
        if (!seen)
            continue; // not replicated yet
        const PimRequest &p = *seen;
        // approver: requests of groups the caller approves for, never the caller's own.
        const bool mine = on == u"principal" ? p.principalId == user.id
            : on == u"createdBy"             ? p.createdBy == user.id
                                             : mayDecide(p, user.id);
        if (!mine)
            continue;
        const bool match = filter.matches([&p](const QString &field) {
            if (field == u"status")
                return p.status;
            if (field == u"groupId")
                return p.groupId;
            if (field == u"principalId")
                return p.principalId;
            if (field == u"id")
                return p.id;
            if (field == u"targetScheduleId")
                return p.action == u"selfActivate" ? p.targetScheduleId() : QString();
            if (field == u"accessId")
                return p.accessId;
            if (field == u"action")
                return p.action;
            return p.approvalRequired ? p.id : QString();
        });
        if (match)
            items.push_back(requestJson(p, true, expand.group, expand.principal, expand.groupSelect));
    }
    return pagedCollection(r, root, path, "privilegedAccessGroupAssignmentScheduleRequest", items);
}

Reply Emulator::Private::cancelRequest(const Request &r, const QString &id, const User &user)
{
    PimRequest *p = findRequest(id);
    if (!p || (p->principalId != user.id && p->createdBy != user.id))
        return pimError(r, 404, QStringLiteral("ResourceNotFound"),
                        QStringLiteral("The request '%1' was not found.").arg(id));
    if (!isOpenStatus(p->status))
        return pimError(
            r, 400, QStringLiteral("BadRequest"),
            QStringLiteral("The request cannot be canceled in its current status '%1'.").arg(p->status));
    touch(*p, now());
    p->status = QStringLiteral("Canceled");
    p->completed = now();
    p->grantState.clear();
    if (p->stageStatus == kInProgress)
        p->stageStatus = QStringLiteral("Completed"); // closed without a review: reviewResult NotReviewed
    Reply reply;
    reply.status = 204;
    reply.contentType.clear();
    return reply;
}

Reply Emulator::Private::listInstances(const Request &r, const User *user, const std::string &root,
                                       const QString &path)
{
    const Filter filter(r.odata(QStringLiteral("filter")),
                        {QStringLiteral("groupId"), QStringLiteral("accessId"),
                         QStringLiteral("assignmentType"), QStringLiteral("memberType"),
                         QStringLiteral("principalId")});
    if (!filter.isValid())
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Invalid filter clause: %1.").arg(filter.error()));
    if (filter.usesOr() && !filterOr)
        return orRefused(*this, r);
    const QString expand = r.odata(QStringLiteral("expand"));
    const bool expandGroup = expand.contains(QStringLiteral("group"), Qt::CaseInsensitive);
    std::vector<Json> items;
    // Replication lag: a new instance shows once readers reach the time it appeared, an ended one stays
    // until they reach its end; without a lag both times are now.
    const QDateTime asOf = visibleAsOf();
    QList<const AssignmentInstance *> seen;
    for (const auto &i : std::as_const(instances))
        if (!i.appeared.isValid() || i.appeared <= asOf)
            seen << &i;
    for (const auto &i : std::as_const(endedInstances))
        if (i.appeared <= asOf && i.ended > asOf)
            seen << &i;
    for (const AssignmentInstance *seenInstance : std::as_const(seen)) {
        const AssignmentInstance &i = *seenInstance;
        if (user && i.userId != user->id)
            continue; // delegated: the caller's own; app-only (no user): everybody's, as filtered
        const bool match = filter.matches([&i](const QString &field) {
            if (field == u"groupId")
                return i.groupId;
            if (field == u"accessId")
                return i.accessId;
            if (field == u"assignmentType")
                return i.assignmentType;
            if (field == u"memberType")
                return i.memberType;
            return i.principalId.isEmpty() ? i.userId : i.principalId;
        });
        if (match)
            items.push_back(instanceJson(i, expandGroup));
    }
    return pagedCollection(r, root, path, "privilegedAccessGroupAssignmentScheduleInstance", items);
}

bool Emulator::Private::mayDecide(const PimRequest &p, const QString &userId) const
{
    return p.approvalRequired && p.principalId != userId && p.createdBy != userId
        && policyFor(p.groupId, p.accessId).approverIds.contains(userId);
}

bool Emulator::Private::maySeeApproval(const PimRequest &p, const QString &userId) const
{
    return p.approvalRequired
        && (p.principalId == userId || p.createdBy == userId
            || policyFor(p.groupId, p.accessId).approverIds.contains(userId));
}

Json Emulator::Private::stageJson(const PimRequest &p, const User &caller, bool beta) const
{
    Json reviewedBy = nullptr;
    if (const User *u = p.reviewerId.isEmpty() ? nullptr : userById(p.reviewerId)) {
        const Json who = {{"id", u->id.toStdString()},
                          {"displayName", u->displayName.toStdString()},
                          {"userPrincipalName", u->upn.toStdString()}};
        // v1.0 documents an identity; beta a userIdentity collection (graph-pim.md §8.2).
        reviewedBy = beta ? Json::array({who}) : who;
    }
    // Initializing: the stage is the approver's but cannot be decided yet (assignedToMe already true).
    return {{"id", p.id.toStdString()},
            {"displayName", nullptr},
            {"status", stageStatusNow(p).toStdString()},
            {"reviewResult", p.reviewResult.isEmpty() ? "NotReviewed" : p.reviewResult.toStdString()},
            {"assignedToMe", p.stageStatus == kInProgress && mayDecide(p, caller.id)},
            {"reviewedBy", reviewedBy},
            {"reviewedDateTime", timeOrNull(p.reviewed)},
            {"justification", p.reviewJustification.toStdString()}};
}

Json Emulator::Private::approvalJson(const PimRequest &p, const User &caller, bool beta) const
{
    return {{"id", p.id.toStdString()},
            {beta ? "steps" : "stages", Json::array({stageJson(p, caller, beta)})}};
}

Reply Emulator::Private::reviewStage(const Request &r, const QString &approvalId, const QString &stageId,
                                     const User &user)
{
    // The order of the checks: the body, the approval, the caller, the stage, its status, the policy.
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (!body.is_object())
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Unable to read JSON request payload. Please ensure Content-Type "
                                         "header is set and payload is of valid JSON format."));
    const QString result = member(body, "reviewResult");
    if (result != u"Approve" && result != u"Deny")
        return pimError(
            r, 400, QStringLiteral("BadRequest"),
            QStringLiteral("The reviewResult '%1' is not valid; use 'Approve' or 'Deny'.").arg(result));
    PimRequest *p = findRequest(approvalId);
    if (!p || !p->approvalRequired)
        return pimError(r, 404, QStringLiteral("ResourceNotFound"),
                        QStringLiteral("The approval '%1' was not found.").arg(approvalId));
    if (p->principalId == user.id || p->createdBy == user.id)
        return pimError(r, 403, QStringLiteral("AuthorizationFailed"),
                        QStringLiteral("The requestor cannot approve or deny their own request."));
    if (!mayDecide(*p, user.id))
        return pimError(r, 403, QStringLiteral("AuthorizationFailed"),
                        QStringLiteral("The caller is not an approver of this request."));
    if (stageId != p->id)
        return pimError(r, 404, QStringLiteral("ResourceNotFound"),
                        QStringLiteral("The approval stage '%1' was not found.").arg(stageId));
    if (stageStatusNow(*p) == u"Initializing")
        // Not documented; PIM's validation errors are 400s, and the stage opens by itself (README).
        return pimError(r, 400, QStringLiteral("InvalidApprovalStageStatus"),
                        QStringLiteral("The approval stage '%1' is Initializing and cannot be reviewed yet; "
                                       "retry once it is InProgress.")
                            .arg(stageId));
    if (p->stageStatus != kInProgress)
        return pimError(
            r, 409, QStringLiteral("Conflict"),
            p->reviewResult.isEmpty()
                ? QStringLiteral("The approval stage is %1 and can no longer be decided.").arg(p->stageStatus)
                : QStringLiteral("The approval stage was already decided (%1).").arg(p->reviewResult));
    const QString justification = member(body, "justification");
    if (policyFor(p->groupId, p->accessId).approverJustification && justification.trimmed().isEmpty())
        return pimError(r, 400, QStringLiteral("BadRequest"),
                        QStringLiteral("A justification is required to approve or deny this request."));
    recordDecision(*p, user.id, result == u"Approve", justification);
    return noContent();
}

void Emulator::Private::recordDecision(PimRequest &p, const QString &approverId, bool approve,
                                       const QString &justification)
{
    const QDateTime t = now();
    touch(p, t);
    p.stageStatus = QStringLiteral("Completed");
    p.reviewerId = approverId;
    p.reviewResult = approve ? QStringLiteral("Approved") : QStringLiteral("Denied");
    p.reviewJustification = justification;
    p.reviewed = t;
    if (!approve) {
        p.status = QStringLiteral("Denied");
        p.completed = t;
    } else if (p.start > t.addSecs(kImmediateSkewSecs)) {
        p.status = QStringLiteral("Granted"); // approved ahead of a future start
        p.grantState = QStringLiteral("scheduled");
    } else {
        provision(p, t);
    }
}

Reply Emulator::Private::decide(const Json &body)
{
    // The test bed's shortcut for an approver's PATCH: same outcome, recorded on the same stage; it
    // does not ask for the approver's justification even when the policy does.
    if (!body.is_object())
        return Reply::json(
            {{"error", "body must be {\"request\", \"decision\", \"approver\", \"justification\"}"}}, 400);
    const QString id = member(body, "request");
    const QString decision = member(body, "decision");
    if (decision != u"Approve" && decision != u"Deny")
        return Reply::json({{"error", "decision is \"Approve\" or \"Deny\""}}, 400);
    PimRequest *p = findRequest(id);
    if (!p)
        return Reply::json({{"error", "no such request"}}, 404);
    const Policy policy = policyFor(p->groupId, p->accessId);
    const auto isRequester
        = [p](const QString &userId) { return p->principalId == userId || p->createdBy == userId; };
    QString approverId;
    const QString approverRef = member(body, "approver");
    if (!approverRef.isEmpty()) {
        const User *u = userByUpn(approverRef);
        if (!u)
            u = userById(approverRef);
        if (!u)
            return Reply::json({{"error", "the approver is not a scenario user"}}, 400);
        if (!policy.approverIds.isEmpty() && !policy.approverIds.contains(u->id))
            return Reply::json({{"error", "that user is not an approver of this group's policy"}}, 403);
        if (isRequester(u->id))
            return Reply::json({{"error", "the requester cannot decide their own request"}}, 403);
        approverId = u->id;
    } else {
        for (const auto &candidate : policy.approverIds)
            if (approverId.isEmpty() && !isRequester(candidate))
                approverId = candidate; // the first approver who is not the requester
        if (approverId.isEmpty() && !policy.approverIds.isEmpty())
            return Reply::json({{"error", "the only approver of this group's policy is the requester"}}, 403);
    }
    if (!awaitsApprover(p->status) || p->stageStatus != kInProgress)
        return Reply::json({{"error",
                             QStringLiteral("the request is not pending approval (status %1)")
                                 .arg(p->status)
                                 .toStdString()}},
                           409);
    if (stageStatusNow(*p) == u"Initializing")
        return Reply::json({{"error",
                             QStringLiteral("the approval stage is Initializing for %1 ms more; advance the "
                                            "clock or wait")
                                 .arg(now().msecsTo(p->created.addMSecs(approvalInitializingMs)))
                                 .toStdString()}},
                           409);
    recordDecision(*p, approverId, decision == u"Approve", member(body, "justification"));
    Json out = requestJson(*p, false, false, false);
    out["decision"] = {{"approverId", approverId.isEmpty() ? Json(nullptr) : Json(approverId.toStdString())},
                       {"result", p->reviewResult.toStdString()},
                       {"justification", p->reviewJustification.toStdString()},
                       {"dateTime", timeOrNull(p->reviewed)}};
    return Reply::json(out);
}

} // namespace Elevate::Emulator

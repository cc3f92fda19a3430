// SPDX-License-Identifier: GPL-3.0-or-later
// IAM Identity Center in the emulator (aws-sso.md §2, §3, §5, §6): SSO OIDC (RegisterClient, device
// authorization, authorization code + PKCE, CreateToken), the access portal API (accounts, roles, role
// credentials, logout), console federation, and the SCIM sync that carries PIM activations into
// Identity Center late (graph-pim.md §12), with provision on demand to hurry it.
//
// Every AWS route is at the root of the base URL, because the AWS CLI's endpoint rule set points both
// `sso` and `sso-oidc` at the bare base (§6.2); the Entra routes all start with a tenant and have at
// least two more segments, so the two never meet.
//
//   PIM activation of group G (instances) ──────── SCIM, scimDelaySeconds later ─────────┐
//     │ (or at once: POST .../synchronization/jobs/{id}/provisionOnDemand, an admin)      ▼
//     └─ ends (expiry, deactivation) ─ SCIM, scimDelaySeconds later ─▶ gone   user has role R in
//                                                                             account A (G maps to A/R)
//   client ─POST /client/register──────▶ clientId/secret (90 days; scopes → refresh tokens)
//          ─POST /device_authorization─▶ user code ─ browser /aws/device ─ approve|deny
//          ─GET  /authorize───────────▶ sign-in (auto or a page) ─302─▶ redirect_uri?code&state
//          ─POST /token───────────────▶ device_code | authorization_code (PKCE) | refresh_token (rotated)
//          ─GET  /assignment/accounts|roles, /federation/credentials (x-amz-sso_bearer_token)
//          ─POST /logout──────────────▶ the sign-in session and its tokens end
//   browser─GET  /federation?Action=getSigninToken|login, /aws/start (access portal)
//
// Membership: Entra membership is what PIM's instances say; the emulator notes each activation as it
// appears and disappears (observeMemberships, before and after every request and on clock moves), so
// an activation that ended is still known to SCIM until its end + delay. Owner activations never reach
// Identity Center: SCIM provisions group members only.

#include "emulator_p.h"

#include <QCryptographicHash>
#include <QDir>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

#include <algorithm>
#include <functional>

namespace Elevate::Emulator {

namespace {

const QByteArray kOidcErrorNamespace = ":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";
const QString kDeviceGrant = QStringLiteral("urn:ietf:params:oauth:grant-type:device_code");
const QString kCodeGrant = QStringLiteral("authorization_code");
const QString kRefreshGrant = QStringLiteral("refresh_token");
constexpr qint64 kRegistrationSecs = 90LL * 24 * 3600;
constexpr qint64 kDeviceCodeSecs = 600;
constexpr qint64 kAuthCodeSecs = 600;
constexpr qint64 kScopedTokenSecs = 3600;
constexpr qint64 kSigninTokenSecs = 15 * 60;
constexpr qint64 kMaxConsoleSecs = 12 * 3600;
constexpr int kDefaultPageSize = 20;
constexpr int kPodRequests = 5, kPodWindowMs = 10'000; // provisionOnDemand: 5 requests / 10 s

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString randomFrom(QLatin1String alphabet, int n)
{
    QString out;
    for (int i = 0; i < n; ++i)
        out += QLatin1Char(alphabet.at(QRandomGenerator::system()->bounded(int(alphabet.size()))));
    return out;
}

QByteArray randomBytes(int n)
{
    QByteArray raw(n, Qt::Uninitialized);
    for (auto &c : raw)
        c = char(QRandomGenerator::system()->bounded(256));
    return raw;
}

/// A string member; empty when absent or not a string.
QString text(const Json &j, const char *key)
{
    return j.is_object() && j.contains(key) && j[key].is_string()
        ? QString::fromStdString(j[key].get<std::string>())
        : QString();
}

/// An optional array of strings; false when present and anything else.
bool textList(const Json &j, const char *key, QStringList *out)
{
    out->clear();
    if (!j.contains(key) || j[key].is_null())
        return true;
    if (!j[key].is_array())
        return false;
    for (const auto &v : j[key]) {
        if (!v.is_string())
            return false;
        *out << QString::fromStdString(v.get<std::string>());
    }
    return true;
}

std::string s(const QString &q)
{
    return q.toStdString();
}

Json timeOrNull(const QDateTime &t)
{
    return t.isValid() ? Json(formatTime(t, 0).toStdString()) : Json(nullptr);
}

/// AWS answers application/json without a charset, with a request id.
Reply awsJson(const Json &j, int status = 200)
{
    Reply r = Reply::json(j, status);
    r.contentType = "application/json";
    r.headers.append({"x-amzn-RequestId", newGuid().toLatin1()});
    return r;
}

/// SSO OIDC errors (aws-sso.md §2.5): the exception in x-amzn-ErrorType, the OAuth code in the body.
Reply oidcError(int status, const char *exception, const char *error, const QString &description)
{
    Reply r = awsJson({{"error", error}, {"error_description", s(description)}}, status);
    r.headers.append({"x-amzn-ErrorType", QByteArray(exception) + "Exception" + kOidcErrorNamespace});
    return r;
}

Reply invalidRequest(const QString &description)
{
    return oidcError(400, "InvalidRequest", "invalid_request", description);
}

Reply invalidGrant(const QString &description)
{
    return oidcError(400, "InvalidGrant", "invalid_grant", description);
}

/// Portal errors (aws-sso.md §3.6): both the header and the body's __type name the exception.
Reply portalError(int status, const char *exception, const QString &message)
{
    const QByteArray name = QByteArray(exception) + "Exception";
    Reply r = Reply::json(
        {{"message", s(message)}, {"__type", "com.amazonaws.switchboard.portal#" + name.toStdString()}},
        status);
    r.contentType = "application/json";
    r.headers.append({"x-amzn-ErrorType", name});
    return r;
}

Reply unauthorized()
{
    return portalError(401, "Unauthorized", QStringLiteral("Session token not found or invalid"));
}

Reply plainText(const QString &body, int status)
{
    Reply r;
    r.status = status;
    r.contentType = "text/plain; charset=utf-8";
    r.body = body.toUtf8();
    return r;
}

/// The chrome of the emulated Identity Center pages (device verification, sign-in, portal, console).
QString page(const QString &title, const QString &body)
{
    return QStringLiteral(
               "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%1</title>"
               "<meta name=\"viewport\" content=\"width=device-width\"><style>"
               "body{font-family:system-ui,sans-serif;background:#f2f3f3;margin:0;color:#16191f}"
               "header{background:#232f3e;color:#fff;padding:10px 24px;font-weight:600}"
               ".card{max-width:480px;margin:6vh auto;background:#fff;padding:28px 36px;border-radius:4px;"
               "box-shadow:0 1px 4px rgba(0,0,0,.2)}h1{font-size:22px;margin:0 0 10px}"
               ".note{font-size:12px;color:#8a5a00;background:#fff4ce;padding:6px 10px;border-radius:4px}"
               "button{display:block;width:100%;text-align:left;padding:10px 14px;margin:8px 0;"
               "border:1px solid #aab7b8;border-radius:4px;background:#fff;font-size:15px;cursor:pointer}"
               "button:hover{background:#f1faff}button small{display:block;color:#687078}"
               ".deny{text-align:center;color:#d13212}.err{color:#d13212}code{background:#f2f3f3;"
               "padding:1px 4px}input{font-size:18px;padding:8px;width:100%;box-sizing:border-box;"
               "letter-spacing:2px}dt{color:#687078;font-size:13px;margin-top:8px}dd{margin:0}"
               "</style></head><body><header>AWS IAM Identity Center (emulated)</header>"
               "<div class=\"card\"><p class=\"note\">Elevate emulator — not AWS. A local test bed.</p>"
               "%2</div></body></html>")
        .arg(esc(title), body);
}

Reply htmlPage(const QString &title, const QString &body, int status = 200)
{
    return Reply::html(page(title, body), status);
}

QString userButtons(const QList<User> &users, const QString &verb)
{
    QString out;
    for (const auto &u : users)
        out += QStringLiteral("<button name=\"user\" value=\"%1\">%2 %3<small>%4</small></button>")
                   .arg(esc(u.id), verb, esc(u.displayName), esc(u.upn));
    return out;
}

bool isLoopbackHost(const QString &host)
{
    return host == u"127.0.0.1" || host.compare(u"localhost", Qt::CaseInsensitive) == 0 || host == u"::1";
}

/// A redirect URI matches a registered one exactly, except that a loopback registration matches any
/// port (the CLI registers http://127.0.0.1/oauth/callback and listens on an ephemeral port).
bool redirectMatches(const QStringList &registered, const QString &uri)
{
    const QUrl want(uri, QUrl::StrictMode);
    if (!want.isValid() || want.isRelative() || want.hasFragment())
        return false;
    auto path = [](const QUrl &u) { return u.path().isEmpty() ? QStringLiteral("/") : u.path(); };
    for (const auto &reg : registered) {
        const QUrl have(reg);
        if (want.scheme() == have.scheme() && want.host().compare(have.host(), Qt::CaseInsensitive) == 0
            && path(want) == path(have) && want.query() == have.query()
            && (isLoopbackHost(have.host()) || want.port() == have.port()))
            return true;
    }
    return false;
}

QString withParams(const QString &url, const QList<QPair<QString, QString>> &params)
{
    QString out = url;
    bool first = !out.contains(u'?');
    for (const auto &p : params) {
        if (p.second.isEmpty())
            continue;
        out += (first ? u'?' : u'&') + p.first + u'='
            + QString::fromLatin1(QUrl::toPercentEncoding(p.second));
        first = false;
    }
    return out;
}

/// Page tokens of the portal lists: opaque to clients, an offset to the emulator.
QString pageToken(int offset)
{
    return QString::fromLatin1(QByteArray("emu-page:" + QByteArray::number(offset))
                                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

int pageOffset(const QString &token)
{
    const QByteArray raw = QByteArray::fromBase64(token.toLatin1(), QByteArray::Base64UrlEncoding);
    bool ok = false;
    const int n = raw.startsWith("emu-page:") ? raw.mid(9).toInt(&ok) : -1;
    return ok ? n : -1;
}

/// A query value decoded the way a form is (a raw '+' is a space), as the sign-in endpoint does.
QString formValue(const QUrlQuery &query, const QString &key)
{
    for (const auto &item : query.queryItems(QUrl::FullyEncoded))
        if (item.first == key)
            return QUrl::fromPercentEncoding(QString(item.second).replace(u'+', u' ').toLatin1());
    return {};
}

} // namespace

// Scenario ----------------------------------------------------------------------------------------------

bool Emulator::Private::parseAws(const Json &scenario, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    static const QRegularExpression accountRe(QStringLiteral("^\\d{12}$"));
    awsAccountEmails.clear();
    for (const auto &a : scenario.value("awsAccounts", Json::array()))
        if (a.is_object() && !text(a, "emailAddress").isEmpty())
            awsAccountEmails.insert(text(a, "id"), text(a, "emailAddress"));
    const Json aws = scenario.value("aws", Json::object());
    if (!aws.is_object())
        return fail(QStringLiteral("aws must be an object"));

    scimDelaySecs = 0;
    if (aws.contains("scimDelaySeconds")) {
        if (!aws["scimDelaySeconds"].is_number_integer() || aws["scimDelaySeconds"].get<qint64>() < 0)
            return fail(QStringLiteral("aws.scimDelaySeconds is a number of seconds (0 or more)"));
        scimDelaySecs = aws["scimDelaySeconds"].get<qint64>();
    }
    awsSessionSecs = 8 * 3600;
    if (aws.contains("sessionDuration")) {
        awsSessionSecs = parseIsoDuration(text(aws, "sessionDuration"));
        if (awsSessionSecs <= 0)
            return fail(QStringLiteral("aws.sessionDuration is an ISO 8601 duration such as PT8H"));
    }
    permissionSetSecs.clear();
    for (const auto &p : aws.value("permissionSets", Json::array())) {
        const QString name = text(p, "name");
        const qint64 secs = parseIsoDuration(text(p, "sessionDuration"));
        if (name.isEmpty() || secs < 3600 || secs > 12 * 3600)
            return fail(QStringLiteral("aws.permissionSets need a name and a sessionDuration of PT1H to "
                                       "PT12H"));
        permissionSetSecs.insert(name, secs);
    }
    awsFixedAssignments.clear();
    for (const auto &a : aws.value("assignments", Json::array())) {
        const User *u = userByUpn(text(a, "user"));
        const QString account = text(a, "accountId");
        const QString role = text(a, "roleName");
        if (!u || !accountRe.match(account).hasMatch() || role.isEmpty())
            return fail(QStringLiteral("aws.assignments need a scenario user, a 12-digit accountId and a "
                                       "roleName"));
        const bool again = std::any_of(
            awsFixedAssignments.cbegin(), awsFixedAssignments.cend(), [&](const AwsAssignment &x) {
                return x.userId == u->id && x.accountId == account && x.roleName == role;
            });
        if (!again)
            awsFixedAssignments << AwsAssignment {u->id, account, role, {}};
    }
    if (aws.contains("generatedAccounts")) {
        // Many accounts without writing them out (an organisation with thousands, for paging tests):
        // ids firstId, firstId+1, …, each with the roles assigned to the user, named prefix-00001, …
        const Json &g = aws["generatedAccounts"];
        const User *u = g.is_object() ? userByUpn(text(g, "user")) : nullptr;
        QStringList roles;
        const QString first = g.is_object() && !text(g, "firstId").isEmpty() ? text(g, "firstId")
                                                                             : QStringLiteral("500000000000");
        const int count
            = g.is_object() && g.value("count", Json()).is_number_integer() ? g["count"].get<int>() : -1;
        if (!u || count < 1 || count > 100'000 || !g.is_object() || !textList(g, "roleNames", &roles)
            || roles.isEmpty() || !accountRe.match(first).hasMatch()
            || first.toLongLong() + count > 1'000'000'000'000LL)
            return fail(
                QStringLiteral("aws.generatedAccounts is {\"count\": 1 to 100000, \"user\": a scenario "
                               "user, \"roleNames\": [names], \"firstId\": 12 digits, \"namePrefix\"}"));
        const QString prefix
            = text(g, "namePrefix").isEmpty() ? QStringLiteral("generated") : text(g, "namePrefix");
        roles.removeDuplicates();
        QSet<QString> taken; // an id the scenario already has keeps its own name and roles
        for (const auto &a : std::as_const(awsAccounts))
            taken.insert(a.first);
        for (const auto &a : std::as_const(awsFixedAssignments))
            taken.insert(a.accountId);
        for (int i = 0; i < count; ++i) {
            const QString id = QStringLiteral("%1").arg(first.toLongLong() + i, 12, 10, QLatin1Char('0'));
            if (taken.contains(id))
                continue;
            awsAccounts.append({id, QStringLiteral("%1-%2").arg(prefix).arg(i + 1, 5, 10, QLatin1Char('0'))});
            for (const auto &role : std::as_const(roles))
                awsFixedAssignments << AwsAssignment {u->id, id, role, {}};
        }
    }
    {
        const Json settings = scenario.value("settings", Json::object());
        federationRefusesSessionDuration = false;
        if (settings.is_object() && settings.contains("federationRefusesSessionDuration")) {
            if (!settings["federationRefusesSessionDuration"].is_boolean())
                return fail(QStringLiteral("settings.federationRefusesSessionDuration is true or false"));
            federationRefusesSessionDuration = settings["federationRefusesSessionDuration"].get<bool>();
        }
    }
    portalRateRequests = 1000;
    portalRatePerSecs = 1;
    if (aws.contains("portalRateLimit")) {
        const Json &limit = aws["portalRateLimit"];
        if (!limit.is_object() || !limit.value("requests", Json()).is_number_integer()
            || !limit.value("perSeconds", Json()).is_number_integer() || limit["requests"].get<int>() < 1
            || limit["perSeconds"].get<int>() < 1)
            return fail(QStringLiteral("aws.portalRateLimit is {\"requests\": N, \"perSeconds\": S}"));
        portalRateRequests = limit["requests"].get<int>();
        portalRatePerSecs = limit["perSeconds"].get<int>();
    }
    if (const std::optional<QString> bad
        = awsPortalSettings(scenario.value("settings", Json::object()), true))
        return fail(QStringLiteral("settings.") + *bad);
    const Json scim = aws.value("scim", Json::object());
    scimSpId = text(scim, "servicePrincipalId");
    scimJobId = text(scim, "jobId");
    scimRuleId = text(scim, "ruleId");
    scimInterval = text(scim, "interval");
    if (scimInterval.isEmpty())
        scimInterval = QStringLiteral("PT40M");
    if (!scimSpId.isEmpty() && (scimJobId.isEmpty() || scimRuleId.isEmpty()))
        return fail(QStringLiteral("aws.scim needs servicePrincipalId, jobId and ruleId"));
    if (parseIsoDuration(scimInterval) <= 0)
        return fail(QStringLiteral("aws.scim.interval is an ISO 8601 duration such as PT40M"));

    awsClients.clear();
    awsDeviceAuths.clear();
    awsCodes.clear();
    awsSessions.clear();
    awsAccessTokens.clear();
    awsRefreshTokens.clear();
    awsCredentials.clear();
    awsSigninTokens.clear();
    awsPendingSignIns.clear();
    awsAuthorizeParams.clear();
    portalHits.clear();
    podHits.clear();
    scimMemberships.clear();
    podCalls.clear();
    return true;
}

// SCIM: from PIM activations to Identity Center assignments ---------------------------------------------

std::optional<std::pair<QString, QString>> Emulator::Private::awsTargetOf(const QString &groupId) const
{
    const Group *g = groupById(groupId);
    if (!g)
        return std::nullopt;
    if (!g->awsAccountId.isEmpty())
        return std::pair {g->awsAccountId, g->awsRoleName};
    static const QRegularExpression re(QStringLiteral("^AWS-(\\d{12})-(.+)$"));
    const QRegularExpressionMatch m = re.match(g->displayName);
    if (!m.hasMatch())
        return std::nullopt;
    return std::pair {m.captured(1), m.captured(2)};
}

void Emulator::Private::observeMemberships()
{
    const QDateTime t = now();
    auto find = [this](const QString &instanceId) -> ScimMembership * {
        for (auto &m : scimMemberships)
            if (m.instanceId == instanceId)
                return &m;
        return nullptr;
    };
    QSet<QString> live;
    for (const auto &i : std::as_const(instances)) {
        live.insert(i.id);
        if (ScimMembership *m = find(i.id)) {
            m->start = i.start; // a renewal or an extension moves the window
            m->end = i.end;
        } else {
            scimMemberships << ScimMembership {i.id,  i.userId, i.groupId, i.accessId, i.start,
                                               i.end, {},       {},        false};
        }
    }
    // An activation that started and ended between two looks (one long clock jump): the request knows.
    for (const auto &p : std::as_const(pimRequests)) {
        if (p.action != u"selfActivate" || p.grantState != u"expired" || find(p.targetScheduleId()))
            continue;
        const QDateTime end = p.fixedEnd ? p.requestedEnd : p.completed.addSecs(p.durationSecs);
        scimMemberships << ScimMembership {
            p.targetScheduleId(), p.principalId, p.groupId, p.accessId, p.completed, end, {}, {}, true};
    }
    for (auto &m : scimMemberships) {
        if (m.gone || live.contains(m.instanceId))
            continue;
        m.gone = true;
        if (!m.end.isValid() || m.end > t)
            m.end = t; // deactivated: the membership ended now
    }
}

QList<AwsAssignment> Emulator::Private::awsAssignments(const QString &userId, const QString &accountId) const
{
    const QDateTime t = now();
    QList<AwsAssignment> out;
    // The scenario's own assignments are unique (parseAws); only SCIM's few are looked up, so that
    // thousands of generated accounts cost one pass.
    for (const auto &a : awsFixedAssignments)
        if ((userId.isEmpty() || a.userId == userId) && (accountId.isEmpty() || a.accountId == accountId))
            out << a;
    auto add = [&out](const AwsAssignment &a) {
        for (auto &o : out) {
            if (o.userId == a.userId && o.accountId == a.accountId && o.roleName == a.roleName) {
                if (!a.since.isValid() || (o.since.isValid() && a.since < o.since))
                    o.since = a.since;
                return;
            }
        }
        out << a;
    };
    for (const auto &m : scimMemberships) {
        if ((!userId.isEmpty() && m.userId != userId) || m.accessId != u"member")
            continue; // SCIM provisions members; an owner is not a member
        const auto target = awsTargetOf(m.groupId);
        if (!target)
            continue;
        // While the job does not run (POST /_emulator/scim/job), the regular cycle moves nothing after
        // it stopped: only a provision on demand does. It catches up once the job runs again.
        auto cycle = [this](const QDateTime &at) {
            return scimStoppedAt.isValid() && at > scimStoppedAt ? QDateTime() : at;
        };
        QDateTime appear = cycle(m.start.addSecs(scimDelaySecs));
        if (m.syncedIn.isValid() && (!appear.isValid() || m.syncedIn < appear))
            appear = m.syncedIn;
        QDateTime disappear;
        if (m.end.isValid()) {
            disappear = cycle(m.end.addSecs(scimDelaySecs));
            if (m.syncedOut.isValid() && (!disappear.isValid() || m.syncedOut < disappear))
                disappear = m.syncedOut;
        }
        if (!appear.isValid())
            continue;
        if (appear <= t && (!disappear.isValid() || t < disappear)
            && (accountId.isEmpty() || target->first == accountId))
            add(AwsAssignment {m.userId, target->first, target->second, appear});
    }
    return out;
}

QList<AwsAssignment> Emulator::Private::awsSessionAssignments(const AwsSession &session,
                                                              const QString &accountId) const
{
    QList<AwsAssignment> out = awsAssignments(session.userId, accountId);
    if (!portalMembershipSnapshot)
        return out;
    // Group memberships as they were at the sign-in: a role added later stays out of this session (a
    // direct user assignment, `since` invalid, is seen at once). A membership that ended since is gone
    // here too: no report says a session keeps a removed one.
    out.removeIf([&session](const AwsAssignment &a) {
        return a.since.isValid() && !session.snapshot.contains(a.accountId + u'/' + a.roleName);
    });
    return out;
}

QString Emulator::Private::awsAccountName(const QString &accountId) const
{
    for (const auto &a : awsAccounts)
        if (a.first == accountId)
            return a.second;
    return {};
}

QStringList Emulator::Private::awsKnownAccounts() const
{
    QStringList out;
    QSet<QString> seen; // thousands of generated accounts: no quadratic look-ups
    for (const auto &a : awsAccounts)
        if (!seen.contains(a.first)) {
            seen.insert(a.first);
            out << a.first;
        }
    QStringList more;
    for (const auto &g : groups)
        if (const auto target = awsTargetOf(g.id))
            more << target->first;
    for (const auto &a : awsFixedAssignments)
        if (!seen.contains(a.accountId))
            more << a.accountId;
    more.sort();
    for (const auto &id : std::as_const(more))
        if (!seen.contains(id)) {
            seen.insert(id);
            out << id;
        }
    return out;
}

// Routes ------------------------------------------------------------------------------------------------

const Routes &Emulator::Private::awsRoutes()
{
    // At the root: the AWS CLI's endpoint rule set points at the bare base URL. No Entra route is among
    // them: those are /{tenant}/oauth2/v2.0/..., /{tenant}/v2.0/..., /{tenant}/discovery/v2.0/keys.
    using M = QHttpServerRequest::Method;
    static const Routes routes = [] {
        Routes t;
        t.add(M::Post, QStringLiteral("client/register"), &Private::oidcRegister, ErrorShape::AwsOidc);
        t.add(M::Post, QStringLiteral("device_authorization"), &Private::oidcDeviceAuthorization,
              ErrorShape::AwsOidc);
        t.add(M::Post, QStringLiteral("token"), &Private::oidcToken, ErrorShape::AwsOidc);
        t.add(AnyMethod, QStringLiteral("authorize"), &Private::oidcAuthorize, ErrorShape::Page);
        t.add(M::Get, QStringLiteral("assignment/accounts"), &Private::portalAccounts, ErrorShape::AwsPortal);
        t.add(M::Get, QStringLiteral("assignment/roles"), &Private::portalRoles, ErrorShape::AwsPortal);
        t.add(M::Get, QStringLiteral("federation/credentials"), &Private::portalRoleCredentials,
              ErrorShape::AwsPortal);
        t.add(M::Post, QStringLiteral("logout"), &Private::portalLogout, ErrorShape::AwsPortal);
        t.add(AnyMethod, QStringLiteral("federation"), &Private::federation, ErrorShape::Page);
        t.add(AnyMethod, QStringLiteral("aws/device"), &Private::awsDevicePage, ErrorShape::Page);
        t.add(M::Post, QStringLiteral("aws/signin"), &Private::awsSignInPost, ErrorShape::Page);
        t.add(
            AnyMethod, QStringLiteral("aws/start"),
            [](Private &d, const Request &, const RouteParams &) { return d.awsStartPage(); },
            ErrorShape::Page);
        return t;
    }();
    return routes;
}

Reply Emulator::Private::awsMethodNotAllowed(ErrorShape shape, const Request &r)
{
    const QString message = QStringLiteral("%1 is not allowed here").arg(methodName(r.method));
    return shape == ErrorShape::AwsOidc ? oidcError(405, "MethodNotAllowed", "invalid_request", message)
                                        : portalError(405, "MethodNotAllowed", message);
}

Reply Emulator::Private::awsFault(ErrorShape shape, int status)
{
    if (shape == ErrorShape::AwsOidc) {
        if (status == 429)
            return oidcError(status, "SlowDown", "slow_down", QStringLiteral("Injected fault."));
        if (status >= 500)
            return oidcError(status, "InternalServer", "server_error", QStringLiteral("Injected fault."));
        if (status == 401)
            return oidcError(401, "InvalidClient", "invalid_client", QStringLiteral("Injected fault."));
        return oidcError(status, "InvalidRequest", "invalid_request", QStringLiteral("Injected fault."));
    }
    const char *name = status == 429 ? "TooManyRequests"
        : status == 401              ? "Unauthorized"
        : status == 403              ? "Forbidden"
        : status == 404              ? "ResourceNotFound"
        : status >= 500              ? "InternalServer"
                                     : "InvalidRequest";
    return portalError(status, name, QStringLiteral("Injected fault."));
}

// SSO OIDC ----------------------------------------------------------------------------------------------

Reply Emulator::Private::oidcRegister(const Request &r)
{
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (!body.is_object())
        return invalidRequest(QStringLiteral("The request body is not a JSON object."));
    AwsClient c;
    c.name = text(body, "clientName");
    const QString type = text(body, "clientType");
    if (c.name.isEmpty() || type.isEmpty())
        return invalidRequest(QStringLiteral("clientName and clientType are required."));
    if (type != u"public")
        return oidcError(
            400, "InvalidClientMetadata", "invalid_client_metadata",
            QStringLiteral("Invalid client type: %1. Only public clients are supported.").arg(type));
    if (!textList(body, "scopes", &c.scopes) || !textList(body, "grantTypes", &c.grantTypes)
        || !textList(body, "redirectUris", &c.redirectUris))
        return invalidRequest(QStringLiteral("scopes, grantTypes and redirectUris are lists of strings."));
    static const QRegularExpression scopeRe(QStringLiteral("^[A-Za-z0-9_-]+(:[A-Za-z0-9_.*-]+)+$"));
    for (const auto &scope : std::as_const(c.scopes))
        if (!scopeRe.match(scope).hasMatch())
            return oidcError(400, "InvalidScope", "invalid_scope",
                             QStringLiteral("Invalid scope: %1").arg(scope));
    for (const auto &grant : std::as_const(c.grantTypes))
        if (grant != kCodeGrant && grant != kRefreshGrant && grant != kDeviceGrant)
            return oidcError(400, "UnsupportedGrantType", "unsupported_grant_type",
                             QStringLiteral("Unsupported grant type: %1").arg(grant));
    for (const auto &uri : std::as_const(c.redirectUris)) {
        const QUrl u(uri, QUrl::StrictMode);
        if (!u.isValid() || u.host().isEmpty() || u.hasFragment()
            || (u.scheme() != u"https" && !(u.scheme() == u"http" && isLoopbackHost(u.host()))))
            return oidcError(400, "InvalidRedirectUri", "invalid_redirect_uri",
                             QStringLiteral("Invalid redirect URI: %1").arg(uri));
    }
    c.issuerUrl = text(body, "issuerUrl");
    if (c.grantTypes.contains(kCodeGrant) && (c.redirectUris.isEmpty() || c.issuerUrl.isEmpty()))
        return invalidRequest(
            QStringLiteral("The authorization_code grant needs redirectUris and issuerUrl."));
    c.issued = now();
    c.expires = c.issued.addSecs(kRegistrationSecs);
    c.secret = QStringLiteral("eyJraWQiOiJrZXktZW11bGF0b3IiLCJhbGciOiJIUzM4NCJ9.") + randomToken(96);
    const QString id = randomToken(24).remove(u'-').remove(u'_') + QStringLiteral("ZW11bGF0b3I");
    awsClients.insert(id, c);
    return awsJson({{"clientId", s(id)},
                    {"clientSecret", s(c.secret)},
                    {"clientIdIssuedAt", c.issued.toSecsSinceEpoch()},
                    {"clientSecretExpiresAt", c.expires.toSecsSinceEpoch()}});
}

namespace {
/// The registration the body's clientId and clientSecret name, or the 401 that says why not.
const AwsClient *authenticate(const QHash<QString, AwsClient> &clients, const Json &body,
                              const QDateTime &now, Reply *error)
{
    const auto it = clients.constFind(text(body, "clientId"));
    if (it == clients.cend() || it->secret != text(body, "clientSecret")) {
        *error = oidcError(401, "InvalidClient", "invalid_client", QStringLiteral("Invalid client provided"));
        return nullptr;
    }
    if (now >= it->expires) {
        *error = oidcError(401, "InvalidClient", "invalid_client",
                           QStringLiteral("The client registration has expired"));
        return nullptr;
    }
    return &it.value();
}
} // namespace

Reply Emulator::Private::oidcDeviceAuthorization(const Request &r)
{
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (!body.is_object())
        return invalidRequest(QStringLiteral("The request body is not a JSON object."));
    if (text(body, "clientId").isEmpty() || text(body, "clientSecret").isEmpty()
        || text(body, "startUrl").isEmpty())
        return invalidRequest(QStringLiteral("clientId, clientSecret and startUrl are required."));
    Reply error;
    const AwsClient *client = authenticate(awsClients, body, now(), &error);
    if (!client)
        return error;
    if (!client->grantTypes.isEmpty() && !client->grantTypes.contains(kDeviceGrant))
        return oidcError(400, "UnauthorizedClient", "unauthorized_client",
                         QStringLiteral("The client is not registered for the device code grant."));
    AwsDeviceAuth d;
    d.clientId = text(body, "clientId");
    const QLatin1String letters("BCDFGHJKLMNPQRSTVWXZ");
    d.userCode = randomFrom(letters, 4) + u'-' + randomFrom(letters, 4);
    d.expires = now().addSecs(kDeviceCodeSecs);
    const QString deviceCode = randomToken(48);
    awsDeviceAuths.insert(deviceCode, d);
    const QString uri = base.toString() + QStringLiteral("/aws/device");
    return awsJson({{"deviceCode", s(deviceCode)},
                    {"userCode", s(d.userCode)},
                    {"verificationUri", s(uri)},
                    {"verificationUriComplete", s(uri + QStringLiteral("?user_code=") + d.userCode)},
                    {"expiresIn", kDeviceCodeSecs},
                    {"interval", d.interval}});
}

QString Emulator::Private::awsNewSession(const QString &userId, const QString &clientId)
{
    const QString id = newGuid();
    AwsSession session {userId, clientId, now(), now().addSecs(awsSessionSecs), false, {}};
    // Kept whatever the setting says, so switching it on later acts on sessions already open.
    for (const auto &a : awsAssignments(userId))
        session.snapshot << a.accountId + u'/' + a.roleName;
    awsSessions.insert(id, session);
    return id;
}

Reply Emulator::Private::awsIssueTokens(const QString &sessionId, const AwsClient &client)
{
    const AwsSession &session = *awsSessions.constFind(sessionId);
    // Registering with scopes is what brings a refresh token and a one-hour access token; without
    // scopes the access token lasts as long as the portal session (aws-sso.md §2.1, §2.6).
    const bool scoped = !client.scopes.isEmpty();
    // One reading of the clock: a second now() can cross a millisecond and make 3600 s read 3599.
    const QDateTime issued = now();
    QDateTime expires = scoped ? issued.addSecs(kScopedTokenSecs) : session.end;
    if (expires > session.end)
        expires = session.end;
    const QString access
        = QStringLiteral("aoaAAAAAG") + randomToken(60) + QStringLiteral(":MGUCM") + randomToken(48);
    awsAccessTokens.insert(access, AwsAccessToken {sessionId, expires});
    Json out = {{"accessToken", s(access)}, {"tokenType", "Bearer"}, {"expiresIn", issued.secsTo(expires)}};
    if (scoped && (client.grantTypes.isEmpty() || client.grantTypes.contains(kRefreshGrant))) {
        const QString refresh = QStringLiteral("aorAAAAAG") + randomToken(96);
        awsRefreshTokens.insert(refresh, AwsRefreshToken {sessionId, session.clientId, false});
        out["refreshToken"] = s(refresh);
    }
    return awsJson(out);
}

Reply Emulator::Private::oidcToken(const Request &r)
{
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (!body.is_object())
        return invalidRequest(QStringLiteral("The request body is not a JSON object."));
    const QString grant = text(body, "grantType");
    const QString clientId = text(body, "clientId");
    if (clientId.isEmpty() || text(body, "clientSecret").isEmpty() || grant.isEmpty())
        return invalidRequest(QStringLiteral("clientId, clientSecret and grantType are required."));
    Reply error;
    const AwsClient *client = authenticate(awsClients, body, now(), &error);
    if (!client)
        return error;
    if (grant != kDeviceGrant && grant != kCodeGrant && grant != kRefreshGrant)
        return oidcError(400, "UnsupportedGrantType", "unsupported_grant_type",
                         QStringLiteral("Unsupported grant type: %1").arg(grant));
    // A registration without grantTypes (CLI 2.9) may use the device code and refresh token grants.
    const bool registered
        = client->grantTypes.isEmpty() ? grant != kCodeGrant : client->grantTypes.contains(grant);
    if (!registered)
        return oidcError(400, "UnsupportedGrantType", "unsupported_grant_type",
                         QStringLiteral("The grant type %1 is not registered for this client.").arg(grant));

    if (grant == kDeviceGrant) {
        const QString code = text(body, "deviceCode");
        if (code.isEmpty())
            return invalidRequest(QStringLiteral("deviceCode is required."));
        auto it = awsDeviceAuths.find(code);
        if (it == awsDeviceAuths.end() || it->clientId != clientId)
            return invalidGrant(QStringLiteral("Invalid device code provided"));
        AwsDeviceAuth &d = it.value();
        if (now() >= d.expires)
            return oidcError(400, "ExpiredToken", "expired_token", QStringLiteral("Device code has expired"));
        if (d.status == AwsDeviceAuth::Status::Denied)
            return oidcError(400, "AccessDenied", "access_denied",
                             QStringLiteral("The user denied the authorization request"));
        const bool tooFast
            = d.lastPoll.isValid() && d.lastPoll.msecsTo(now()) < qint64(d.interval) * 1000 - 500;
        d.lastPoll = now();
        if (tooFast)
            return oidcError(400, "SlowDown", "slow_down", QStringLiteral("Client is polling too fast"));
        if (d.status == AwsDeviceAuth::Status::Pending)
            return oidcError(400, "AuthorizationPending", "authorization_pending",
                             QStringLiteral("Authorization is still pending"));
        const QString userId = d.userId;
        awsDeviceAuths.erase(it);
        return awsIssueTokens(awsNewSession(userId, clientId), *client);
    }

    if (grant == kCodeGrant) {
        const QString code = text(body, "code");
        const QString redirectUri = text(body, "redirectUri");
        const QString verifier = text(body, "codeVerifier");
        if (code.isEmpty() || redirectUri.isEmpty() || verifier.isEmpty())
            return invalidRequest(QStringLiteral("code, redirectUri and codeVerifier are required."));
        auto it = awsCodes.find(code);
        if (it == awsCodes.end() || it->clientId != clientId)
            return invalidGrant(QStringLiteral("Invalid authorization code provided"));
        AwsAuthCode &c = it.value();
        if (c.used)
            return invalidGrant(QStringLiteral("The authorization code has already been used"));
        if (now() >= c.expires)
            return invalidGrant(QStringLiteral("The authorization code has expired"));
        if (c.redirectUri != redirectUri)
            return invalidGrant(
                QStringLiteral("The redirect URI does not match the one of the authorization request"));
        const QString expected = QString::fromLatin1(
            QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)
                .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
        if (expected != c.challenge)
            return invalidGrant(QStringLiteral("The code verifier does not match the code challenge"));
        c.used = true;
        return awsIssueTokens(awsNewSession(c.userId, clientId), *client);
    }

    // refresh_token: rotated, so each refresh token works once.
    const QString refresh = text(body, "refreshToken");
    if (refresh.isEmpty())
        return invalidRequest(QStringLiteral("refreshToken is required."));
    auto it = awsRefreshTokens.find(refresh);
    if (it == awsRefreshTokens.end() || it->clientId != clientId || it->used)
        return invalidGrant(QStringLiteral("Invalid refresh token provided"));
    const auto session = awsSessions.constFind(it->sessionId);
    if (session == awsSessions.cend() || session->loggedOut || now() >= session->end)
        return invalidGrant(QStringLiteral("The session of this refresh token has ended"));
    it->used = true;
    return awsIssueTokens(it->sessionId, *client);
}

Reply Emulator::Private::oidcAuthorize(const Request &r)
{
    const QUrlQuery &q = r.query;
    auto param = [&q](const char *k) { return q.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    QStringList names; // the names only: tests check what a client sends (e.g. no login_hint)
    for (const auto &item : q.queryItems())
        names << item.first;
    awsAuthorizeParams << names;
    if (awsAuthorizeParams.size() > 100)
        awsAuthorizeParams.removeFirst();
    auto errorPage = [](const QString &message) {
        return htmlPage(
            QStringLiteral("Sign in"),
            QStringLiteral("<h1>Something went wrong</h1><p class=\"err\">%1</p>").arg(esc(message)), 400);
    };
    const auto client = awsClients.constFind(param("client_id"));
    if (client == awsClients.cend() || now() >= client->expires)
        return errorPage(QStringLiteral("Invalid client: %1").arg(param("client_id")));
    const QString redirectUri = param("redirect_uri");
    if (!redirectMatches(client->redirectUris, redirectUri))
        return errorPage(
            QStringLiteral("The redirect URI %1 is not registered for this client.").arg(redirectUri));
    const QString state = param("state");
    auto errorRedirect = [&](const QString &error, const QString &description) {
        return Reply::redirect(withParams(redirectUri,
                                          {{QStringLiteral("error"), error},
                                           {QStringLiteral("error_description"), description},
                                           {QStringLiteral("state"), state}}));
    };
    if (param("response_type") != u"code")
        return errorRedirect(QStringLiteral("unsupported_response_type"),
                             QStringLiteral("response_type must be code"));
    if (!client->grantTypes.contains(kCodeGrant))
        return errorRedirect(QStringLiteral("unauthorized_client"),
                             QStringLiteral("The client is not registered for the authorization_code grant"));
    if (param("code_challenge").isEmpty() || param("code_challenge_method") != u"S256")
        return errorRedirect(QStringLiteral("invalid_request"),
                             QStringLiteral("PKCE with code_challenge_method S256 is required"));
    const QString scopeText = q.hasQueryItem(QStringLiteral("scopes")) ? param("scopes") : param("scope");
    for (const auto &scope : scopeText.split(u' ', Qt::SkipEmptyParts))
        if (!client->scopes.contains(scope))
            return errorRedirect(QStringLiteral("invalid_scope"),
                                 QStringLiteral("The scope %1 is not registered for this client").arg(scope));
    // With auto sign-in on, no page. login_hint is not one of Identity Center's documented /authorize
    // parameters (aws-sso.md §2.4) and Elevate sends none; the emulator's own tests use it to pick a
    // scenario user, as on Entra's authorize.
    const User *hinted = userByUpn(param("login_hint"));
    const User *autoUser = hinted ? hinted : userByUpn(autoSignInUpn);
    if (!autoSignInUpn.isEmpty() && autoUser)
        return awsCompleteSignIn(q, *autoUser);

    const QString id = randomToken(18);
    awsPendingSignIns.insert(id, q);
    return htmlPage(QStringLiteral("Sign in"),
                    QStringLiteral("<h1>Sign in</h1><p>Allow <b>%1</b> to access your AWS accounts? Pick "
                                   "one of the scenario's users (the Identity Center user with the same "
                                   "user name).</p><form method=\"post\" action=\"/aws/signin\">"
                                   "<input type=\"hidden\" name=\"pending\" value=\"%2\">%3"
                                   "<button class=\"deny\" name=\"deny\" value=\"1\">Deny</button></form>")
                        .arg(esc(client->name), esc(id), userButtons(users, QStringLiteral("Allow as"))));
}

Reply Emulator::Private::awsSignInPost(const Request &r)
{
    const QUrlQuery form(QString::fromUtf8(r.body).replace(u'+', u' '));
    const QString id = form.queryItemValue(QStringLiteral("pending"), QUrl::FullyDecoded);
    if (!awsPendingSignIns.contains(id))
        return htmlPage(QStringLiteral("Sign in"),
                        QStringLiteral("<h1>This sign-in has expired.</h1><p>Start again from the app.</p>"),
                        400);
    const QUrlQuery params = awsPendingSignIns.take(id);
    auto param = [&params](const char *k) {
        return params.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded);
    };
    if (!form.queryItemValue(QStringLiteral("deny")).isEmpty())
        return Reply::redirect(withParams(param("redirect_uri"),
                                          {{QStringLiteral("error"), QStringLiteral("access_denied")},
                                           {QStringLiteral("error_description"),
                                            QStringLiteral("The user denied the authorization request")},
                                           {QStringLiteral("state"), param("state")}}));
    const User *user = userById(form.queryItemValue(QStringLiteral("user"), QUrl::FullyDecoded));
    if (!user)
        return htmlPage(QStringLiteral("Sign in"), QStringLiteral("<h1>Unknown user.</h1>"), 400);
    return awsCompleteSignIn(params, *user);
}

Reply Emulator::Private::awsCompleteSignIn(const QUrlQuery &q, const User &user)
{
    auto param = [&q](const char *k) { return q.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    AwsAuthCode c;
    c.clientId = param("client_id");
    c.redirectUri = param("redirect_uri");
    c.challenge = param("code_challenge");
    c.userId = user.id;
    c.expires = now().addSecs(kAuthCodeSecs);
    const QString code = randomToken(36);
    awsCodes.insert(code, c);
    return Reply::redirect(withParams(
        c.redirectUri, {{QStringLiteral("code"), code}, {QStringLiteral("state"), param("state")}}));
}

Reply Emulator::Private::awsDevicePage(const Request &r)
{
    const bool post = r.method == QHttpServerRequest::Method::Post;
    const QUrlQuery form = post ? QUrlQuery(QString::fromUtf8(r.body).replace(u'+', u' ')) : r.query;
    const QString code
        = form.queryItemValue(QStringLiteral("user_code"), QUrl::FullyDecoded).trimmed().toUpper();
    AwsDeviceAuth *pending = nullptr;
    for (auto &d : awsDeviceAuths)
        if (!code.isEmpty() && d.userCode == code && d.status == AwsDeviceAuth::Status::Pending
            && now() < d.expires)
            pending = &d;
    const QString title = QStringLiteral("Authorize request");
    auto approved = [&](const User &u) {
        pending->status = AwsDeviceAuth::Status::Approved;
        pending->userId = u.id;
        return htmlPage(title,
                        QStringLiteral("<h1>Request approved</h1><p>%1 (%2) is signed in. You can close this "
                                       "window and return to the application.</p>")
                            .arg(esc(u.displayName), esc(u.upn)));
    };
    if (post) {
        if (!pending)
            return htmlPage(title,
                            QStringLiteral("<h1>That code didn't work.</h1><p class=\"err\">The code is not "
                                           "valid or has expired.</p>"),
                            400);
        if (!form.queryItemValue(QStringLiteral("deny")).isEmpty()) {
            pending->status = AwsDeviceAuth::Status::Denied;
            return htmlPage(title,
                            QStringLiteral("<h1>Request denied</h1><p>The application gets no access.</p>"));
        }
        const User *user = userById(form.queryItemValue(QStringLiteral("user"), QUrl::FullyDecoded));
        if (!user)
            return htmlPage(title, QStringLiteral("<h1>Unknown user.</h1>"), 400);
        return approved(*user);
    }
    if (pending && userByUpn(autoSignInUpn))
        return approved(*userByUpn(autoSignInUpn));
    const QString problem = !code.isEmpty() && !pending
        ? QStringLiteral("<p class=\"err\">The code %1 is not valid or has expired.</p>").arg(esc(code))
        : QString();
    return htmlPage(title,
                    QStringLiteral("<h1>Authorize request</h1>%1<p>Check that the code matches the one the "
                                   "application shows, then pick the user to sign in as.</p>"
                                   "<form method=\"post\" action=\"/aws/device\"><input name=\"user_code\" "
                                   "value=\"%2\" placeholder=\"XXXX-XXXX\">%3"
                                   "<button class=\"deny\" name=\"deny\" value=\"1\">Deny</button></form>")
                        .arg(problem, esc(code), userButtons(users, QStringLiteral("Allow as"))),
                    problem.isEmpty() ? 200 : 400);
}

// Portal ------------------------------------------------------------------------------------------------

std::optional<Reply> Emulator::Private::portalCaller(const Request &r, QString *sessionId)
{
    const QString token = QString::fromLatin1(r.header("x-amz-sso_bearer_token")).trimmed();
    const auto at = awsAccessTokens.constFind(token);
    if (token.isEmpty() || at == awsAccessTokens.cend() || now() >= at->expires)
        return unauthorized();
    const auto session = awsSessions.constFind(at->sessionId);
    if (session == awsSessions.cend() || session->loggedOut || now() >= session->end)
        return unauthorized();
    // A per-token request rate on the real clock (the portal throttles bursts, e.g. a tool listing the
    // roles of every account at once).
    QList<qint64> &hits = portalHits[token];
    const qint64 ms = QDateTime::currentMSecsSinceEpoch();
    hits.removeIf([&](qint64 t) { return ms - t >= qint64(portalRatePerSecs) * 1000; });
    if (hits.size() >= portalRateRequests)
        return portalError(429, "TooManyRequests", QStringLiteral("Rate exceeded"));
    hits << ms;

    *sessionId = at->sessionId;
    return std::nullopt;
}

bool Emulator::Private::awsAccountKnown(const QString &id) const
{
    return std::any_of(awsAccounts.cbegin(), awsAccounts.cend(), [&](const auto &a) { return a.first == id; })
        || std::any_of(awsFixedAssignments.cbegin(), awsFixedAssignments.cend(),
                       [&](const AwsAssignment &a) { return a.accountId == id; })
        || std::any_of(groups.cbegin(), groups.cend(), [&](const Group &g) {
               const auto target = awsTargetOf(g.id);
               return target && target->first == id;
           });
}

Reply Emulator::Private::portalLogout(const Request &r)
{
    QString sessionId;
    if (std::optional<Reply> refused = portalCaller(r, &sessionId))
        return *refused;
    awsSessions[sessionId].loggedOut = true; // the sign-in ends; role credentials live on
    Reply reply = awsJson(Json::object());
    reply.body.clear();
    return reply;
}

Reply Emulator::Private::portalRoleCredentials(const Request &r)
{
    QString sessionId;
    if (std::optional<Reply> refused = portalCaller(r, &sessionId))
        return *refused;
    const AwsSession &session = *awsSessions.constFind(sessionId);
    auto param
        = [&r](const char *k) { return r.query.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    // A call about one account needs only that account's assignments (thousands of generated ones).
    const QList<AwsAssignment> assigned = awsSessionAssignments(session, param("account_id"));
    const QString role = param("role_name");
    const QString account = param("account_id");
    if (role.isEmpty() || account.isEmpty())
        return portalError(400, "InvalidRequest", QStringLiteral("role_name and account_id are required"));
    if (!awsAccountKnown(account))
        return portalError(404, "ResourceNotFound", QStringLiteral("Account %1 not found").arg(account));
    const auto has = std::find_if(assigned.cbegin(), assigned.cend(), [&](const AwsAssignment &a) {
        return a.accountId == account && a.roleName == role;
    });
    if (has == assigned.cend())
        return portalError(403, "Forbidden", QStringLiteral("No access"));
    // settings.portalCredentialsLagSeconds: just after an assignment appears, ListAccountRoles
    // lists it while GetRoleCredentials still says No access (aws-sso.md §3.6).
    if (portalCredentialsLagSecs > 0 && has->since.isValid()
        && now() < has->since.addSecs(portalCredentialsLagSecs))
        return portalError(403, "Forbidden", QStringLiteral("No access"));
    AwsRoleCredentials c;
    c.accessKeyId
        = QStringLiteral("ASIA") + randomFrom(QLatin1String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 16);
    c.secretAccessKey
        = randomFrom(QLatin1String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"), 40);
    c.sessionToken = QStringLiteral("IQoJb3JpZ2luX2VjE") + QString::fromLatin1(randomBytes(280).toBase64());
    c.accountId = account;
    c.roleName = role;
    c.userId = session.userId;
    c.issued = now();
    c.expiration = c.issued.addSecs(permissionSetSecs.value(role, 3600));
    awsCredentials << c;
    return awsJson({{"roleCredentials",
                     {{"accessKeyId", s(c.accessKeyId)},
                      {"secretAccessKey", s(c.secretAccessKey)},
                      {"sessionToken", s(c.sessionToken)},
                      {"expiration", c.expiration.toMSecsSinceEpoch()}}}});
}

Reply Emulator::Private::portalAccounts(const Request &r)
{
    return portalList(r, true);
}

Reply Emulator::Private::portalRoles(const Request &r)
{
    return portalList(r, false);
}

Reply Emulator::Private::portalList(const Request &r, bool accounts)
{
    QString sessionId;
    if (std::optional<Reply> refused = portalCaller(r, &sessionId))
        return *refused;
    auto param
        = [&r](const char *k) { return r.query.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    // A call about one account needs only that account's assignments (thousands of generated ones).
    const QList<AwsAssignment> assigned = awsSessionAssignments(*awsSessions.constFind(sessionId),
                                                                accounts ? QString() : param("account_id"));
    // The two lists page alike: max_result 1..100, next_token from the previous page.
    int max = kDefaultPageSize;
    if (r.query.hasQueryItem(QStringLiteral("max_result"))) {
        bool ok = false;
        max = param("max_result").toInt(&ok);
        if (!ok || max < 1 || max > 100)
            return portalError(
                400, "InvalidRequest",
                QStringLiteral("1 validation error detected: Value '%1' at 'maxResults' failed "
                               "to satisfy constraint: Member must have value between 1 and 100")
                    .arg(param("max_result")));
    }
    int offset = 0;
    if (r.query.hasQueryItem(QStringLiteral("next_token"))) {
        offset = pageOffset(param("next_token"));
        if (offset < 0)
            return portalError(400, "InvalidRequest", QStringLiteral("Invalid nextToken provided"));
    }
    // The keys of the whole list first (thousands of accounts), JSON only for the page asked for.
    QStringList keys;
    QHash<QString, QString> names;
    const QString account = accounts ? QString() : param("account_id");
    if (accounts) {
        QSet<QString> withRoles;
        for (const auto &a : assigned)
            withRoles.insert(a.accountId);
        for (const auto &a : awsAccounts)
            names.insert(a.first, a.second);
        for (const auto &id : awsKnownAccounts())
            if (withRoles.contains(id))
                keys << id;
    } else {
        if (account.isEmpty())
            return portalError(400, "InvalidRequest", QStringLiteral("account_id is required"));
        if (!awsAccountKnown(account))
            return portalError(404, "ResourceNotFound", QStringLiteral("Account %1 not found").arg(account));
        for (const auto &a : assigned)
            if (a.accountId == account && !keys.contains(a.roleName))
                keys << a.roleName;
        keys.sort();
    }
    const int total = int(keys.size());
    if (offset > total)
        return portalError(400, "InvalidRequest", QStringLiteral("Invalid nextToken provided"));
    const int end = qMin(total, offset + max);
    const std::string listKey = accounts ? "accountList" : "roleList";
    Json out
        = {{"nextToken", end < total ? Json(s(pageToken(end))) : Json(nullptr)}, {listKey, Json::array()}};
    for (int i = offset; i < end; ++i) {
        const QString &key = keys.at(i);
        if (!accounts) {
            out[listKey].push_back({{"roleName", s(key)}, {"accountId", s(account)}});
            continue;
        }
        Json item = {{"accountId", s(key)}};
        const QString name = names.value(key);
        if (!name.isEmpty())
            item["accountName"] = s(name);
        if (awsAccountEmails.contains(key))
            item["emailAddress"] = s(awsAccountEmails.value(key));
        out[listKey].push_back(item);
    }
    return awsJson(out);
}

// Console federation and the access portal page ---------------------------------------------------------

Reply Emulator::Private::federation(const Request &r)
{
    const QString action = r.query.queryItemValue(QStringLiteral("Action"), QUrl::FullyDecoded);
    if (r.method != QHttpServerRequest::Method::Get)
        return plainText(QStringLiteral("Use GET."), 405);
    if (action == u"getSigninToken") {
        const QByteArray session = formValue(r.query, QStringLiteral("Session")).toUtf8();
        const Json j = Json::parse(session.constBegin(), session.constEnd(), nullptr, false);
        const QString keyId = text(j, "sessionId");
        auto c = std::find_if(awsCredentials.cbegin(), awsCredentials.cend(),
                              [&](const AwsRoleCredentials &x) { return x.accessKeyId == keyId; });
        if (!j.is_object() || c == awsCredentials.cend() || c->secretAccessKey != text(j, "sessionKey")
            || c->sessionToken != text(j, "sessionToken") || now() >= c->expiration)
            return plainText(
                QStringLiteral("Invalid Credentials Parameter: the Session is not a set of valid, "
                               "unexpired credentials."),
                400);
        qint64 duration = qMin(kMaxConsoleSecs, now().secsTo(c->expiration));
        if (r.query.hasQueryItem(QStringLiteral("SessionDuration")) && federationRefusesSessionDuration)
            // settings.federationRefusesSessionDuration: as the endpoint answers for credentials it takes
            // no duration for (role-chained ones; reported for others, aws-sso.md §5.1) — the same words
            // as for bad credentials, so a client cannot tell the two apart.
            return plainText(
                QStringLiteral("Invalid Credentials Parameter: the request sent by the client was "
                               "syntactically incorrect."),
                400);
        if (r.query.hasQueryItem(QStringLiteral("SessionDuration"))) {
            const QString value = r.query.queryItemValue(QStringLiteral("SessionDuration"));
            bool ok = false;
            duration = value.toLongLong(&ok);
            if (!ok || duration < 900 || duration > kMaxConsoleSecs)
                return plainText(
                    QStringLiteral("Invalid SessionDuration: %1 (900 to 43200 seconds).").arg(value), 400);
        }
        AwsSigninToken t;
        t.accountId = c->accountId;
        t.roleName = c->roleName;
        t.userId = c->userId;
        t.accessKeyId = c->accessKeyId;
        t.issued = now();
        t.expires = t.issued.addSecs(kSigninTokenSecs);
        t.sessionEnd = t.issued.addSecs(duration);
        const QString token = randomToken(300);
        awsSigninTokens.insert(token, t);
        return awsJson({{"SigninToken", s(token)}});
    }
    if (action == u"login") {
        const QString token = formValue(r.query, QStringLiteral("SigninToken"));
        auto it = awsSigninTokens.find(token);
        if (it == awsSigninTokens.end() || it->used || now() >= it->expires)
            return htmlPage(QStringLiteral("Sign-in failed"),
                            QStringLiteral("<h1>Your request included an invalid sign-in token.</h1><p "
                                           "class=\"err\">The token is unknown, was used already or has "
                                           "expired (tokens are valid for 15 minutes, once).</p>"),
                            400);
        it->used = true;
        const User *u = userById(it->userId);
        const QString name = awsAccountName(it->accountId);
        const QString destination = formValue(r.query, QStringLiteral("Destination"));
        const QString issuer = formValue(r.query, QStringLiteral("Issuer"));
        return htmlPage(
            QStringLiteral("AWS console"),
            QStringLiteral("<h1>Signed in to AWS account %1 (%2) as %3</h1><dl><dt>User</dt><dd>%4</dd>"
                           "<dt>Console session ends</dt><dd>%5 (emulator clock)</dd><dt>Destination</dt>"
                           "<dd><code>%6</code></dd><dt>Issuer</dt><dd>%7</dd></dl><p>This is where the "
                           "AWS console would open.</p>")
                .arg(esc(it->accountId), esc(name.isEmpty() ? QStringLiteral("no name") : name),
                     esc(it->roleName), esc(u ? u->upn : it->userId), esc(formatTime(it->sessionEnd, 0)),
                     esc(destination.isEmpty() ? QStringLiteral("(the console home)") : destination),
                     esc(issuer.isEmpty() ? QStringLiteral("(none)") : issuer)));
    }
    return plainText(QStringLiteral("Unknown or missing Action: use getSigninToken or login."), 400);
}

Reply Emulator::Private::awsStartPage()
{
    const User *signedIn = userByUpn(autoSignInUpn);
    const QList<AwsAssignment> assigned = signedIn ? awsAssignments(signedIn->id) : QList<AwsAssignment>();
    Json roles = Json::array();
    QString list;
    for (const auto &id : awsKnownAccounts()) {
        QStringList mine;
        for (const auto &a : assigned)
            if (a.accountId == id) {
                mine << a.roleName;
                roles.push_back(s(id + u'/' + a.roleName));
            }
        list += QStringLiteral("<li><b>%1</b> %2 — %3</li>")
                    .arg(esc(id), esc(awsAccountName(id)),
                         signedIn ? esc(mine.isEmpty() ? QStringLiteral("no roles now")
                                                       : mine.join(QStringLiteral(", ")))
                                  : QStringLiteral("sign in to see roles"));
    }
    QString json = QString::fromStdString(roles.dump()).replace(QStringLiteral("</"), QStringLiteral("<\\/"));
    const QString who = signedIn
        ? QStringLiteral("<p>Signed in as %1 (auto sign-in).</p>").arg(esc(signedIn->upn))
        : QStringLiteral("<p>Nobody is signed in (no auto sign-in user).</p>");
    // The shortcut link's fragment (#/console?account_id=..&role_name=..) never reaches the server.
    const QString script
        = QStringLiteral("<script>(function(){var m=location.hash.match(/^#\\/console\\?(.*)$/);if(!m)return;"
                         "var p=new URLSearchParams(m[1]),a=p.get('account_id')||'?',r=p.get('role_name'),"
                         "d=p.get('destination'),e=document.getElementById('shortcut'),roles=%1;"
                         "e.textContent='Console shortcut: account '+a+(r?' as '+r:' (pick a role)')+"
                         "(d?', destination '+d:'')+(r?(roles.indexOf(a+'/'+r)>=0?' \\u2014 this role is "
                         "assigned now, the "
                         "console would open.':' \\u2014 No access: this role is not assigned (yet).'):'');"
                         "e.style.display='block';})();</script>")
              .arg(json);
    return htmlPage(QStringLiteral("AWS access portal"),
                    QStringLiteral("<h1>AWS access portal</h1><p id=\"shortcut\" class=\"note\" "
                                   "style=\"display:none\"></p>%1<ul>%2</ul><p>Start URL <code>%3</code>, "
                                   "region <code>eu-central-1</code>.</p>%4")
                        .arg(who, list, esc(base.toString() + QStringLiteral("/aws/start")), script));
}

// Provision on demand (Graph) ---------------------------------------------------------------------------

Json Emulator::Private::scimJobJson() const
{
    // The last run, placed so that "last run + interval" (a client's estimate of the next cycle) is when
    // an activation made now reaches Identity Center.
    const QDateTime ended = now().addSecs(scimDelaySecs - parseIsoDuration(scimInterval));
    const Json execution = {{"activityIdentifier", s(newGuid())},
                            {"countEntitled", 0},
                            {"countEntitledForProvisioning", 0},
                            {"countEscrowed", 0},
                            {"countEscrowedRaw", 0},
                            {"countExported", 2},
                            {"countExports", 0},
                            {"countImported", 3},
                            {"countImportedDeltas", 0},
                            {"countImportedReferenceDeltas", 0},
                            {"error", nullptr},
                            {"state", "Succeeded"},
                            {"timeBegan", s(formatTime(ended.addSecs(-31), 7))},
                            {"timeEnded", s(formatTime(ended, 7))}};
    return {
        {"id", s(scimJobId)},
        {"templateId", "aWSSingleSignOn"},
        {"schedule",
         {{"expiration", nullptr}, {"interval", s(scimInterval)}, {"state", s(scimScheduleState)}}},
        {"status",
         {{"code", s(scimStatusCode)},
          {"countSuccessiveCompleteFailures", 0},
          {"escrowsPruned", false},
          {"lastExecution", execution},
          {"lastSuccessfulExecution", nullptr},
          {"lastSuccessfulExecutionWithExports", execution},
          {"progress", Json::array()},
          {"quarantine",
           scimStatusCode == u"Quarantine"
               ? Json {{"currentBegan", s(formatTime(scimStoppedAt.isValid() ? scimStoppedAt : now(), 7))},
                       {"nextAttempt", s(formatTime(now().addSecs(3600), 7))},
                       {"reason",
                        s(scimQuarantineReason.isEmpty() ? QStringLiteral("EncounteredQuarantineException")
                                                         : scimQuarantineReason)},
                       {"seriesBegan", s(formatTime(scimStoppedAt.isValid() ? scimStoppedAt : now(), 7))},
                       {"seriesCount", 1}}
               : Json(nullptr)},
          {"steadyStateFirstAchievedTime", s(formatTime(now().addDays(-300), 0))},
          {"steadyStateLastAchievedTime", s(formatTime(ended, 0))},
          {"synchronizedEntryCountByType",
           Json::array(
               {{{"key", "group"}, {"value", groups.size()}}, {{"key", "user"}, {"value", users.size()}}})},
          {"troubleshootingUrl", nullptr}}},
        {"synchronizationJobSettings", Json::array()}};
}

Json Emulator::Private::scimSchemaJson(const std::string &spContext) const
{
    const Json rule = {{"id", s(scimRuleId)},
                       {"name", "USER_GROUP_2_AWS"},
                       {"sourceDirectoryName", "Azure Active Directory"},
                       {"targetDirectoryName", "AWS IAM Identity Center"},
                       {"editable", true},
                       {"priority", 1},
                       {"metadata", Json::array()},
                       {"objectMappings",
                        Json::array({{{"name", "Provision Microsoft Entra ID Users"},
                                      {"sourceObjectName", "User"},
                                      {"targetObjectName", "User"},
                                      {"enabled", true}},
                                     {{"name", "Provision Microsoft Entra ID Groups"},
                                      {"sourceObjectName", "Group"},
                                      {"targetObjectName", "Group"},
                                      {"enabled", true}}})}};
    return {{"@odata.context", spContext + "('" + s(scimJobId) + "')/schema/$entity"},
            {"id", s(scimJobId)},
            {"version", "Date:2025-06-02"},
            {"directories",
             Json::array({{{"id", "AzureActiveDirectory"}, {"name", "Azure Active Directory"}},
                          {{"id", "AwsIdentityCenter"}, {"name", "AWS IAM Identity Center"}}})},
            {"synchronizationRules", Json::array({rule})}};
}

Reply Emulator::Private::synchronization(const Request &r, const QStringList &rest)
{
    using M = QHttpServerRequest::Method;
    const QByteArray auth = r.header("authorization");
    const QString token = auth.startsWith("Bearer ") ? QString::fromLatin1(auth.mid(7)).trimmed() : QString();
    const auto at = accessTokens.constFind(token);
    if (token.isEmpty() || at == accessTokens.cend() || now() >= at->expires)
        return graphError(r, 401, QStringLiteral("InvalidAuthenticationToken"),
                          at != accessTokens.cend()
                              ? QStringLiteral("Lifetime validation failed, the token is expired.")
                              : QStringLiteral("Access token is empty or not valid."),
                          {{"WWW-Authenticate",
                            "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/"
                            "oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""}});
    const User *user = at->app ? nullptr : userById(at->userId);
    // Delegated callers need one of these directory roles (graph-pim.md §12.1). The emulator does not
    // check the Synchronization.* scopes the real service also wants. App callers need an application
    // permission (appMaySync; provisionOnDemand needs the write one, checked below).
    const bool admin = at->app ? appMaySync(*at, false)
                               : user
            && (user->roles.contains(u"Application Administrator")
                || user->roles.contains(u"Cloud Application Administrator")
                || user->roles.contains(u"Global Administrator"));
    if (!admin)
        return graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                          QStringLiteral("Insufficient privileges to complete the operation."));
    // rest: servicePrincipals/{spId}/synchronization/jobs[/{jobId}[/schema|/provisionOnDemand]]
    if (rest.size() < 2 || rest.at(1) != scimSpId || scimSpId.isEmpty())
        return graphError(
            r, 404, QStringLiteral("Request_ResourceNotFound"),
            QStringLiteral("Resource '%1' does not exist or one of its queried reference-property "
                           "objects are not present.")
                .arg(rest.value(1)));
    if (rest.size() < 4 || rest.at(2) != u"synchronization" || rest.at(3) != u"jobs")
        return graphError(r, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("Resource not found for the segment '%1'.").arg(rest.value(2)));
    auto wrongMethod = [&] {
        return graphError(r, 405, QStringLiteral("Request_BadRequest"),
                          QStringLiteral("The HTTP method '%1' is not allowed on this resource.")
                              .arg(methodName(r.method)));
    };
    const std::string root
        = QString(base.toString() + QStringLiteral("/graph/") + r.segments.at(1)).toStdString();
    const std::string spContext
        = root + "/$metadata#servicePrincipals('" + s(scimSpId) + "')/synchronization/jobs";
    if (rest.size() == 4) {
        if (r.method != M::Get)
            return wrongMethod();
        return Reply::json({{"@odata.context", spContext}, {"value", Json::array({scimJobJson()})}});
    }
    if (rest.at(4) != scimJobId)
        return graphError(
            r, 404, QStringLiteral("Request_ResourceNotFound"),
            QStringLiteral("Resource '%1' does not exist or one of its queried reference-property "
                           "objects are not present.")
                .arg(rest.at(4)));
    if (rest.size() == 5) {
        if (r.method != M::Get)
            return wrongMethod();
        Json j = scimJobJson();
        j["@odata.context"] = spContext + "/$entity";
        return Reply::json(j);
    }
    if (rest.size() == 6 && rest.at(5) == u"schema") {
        if (r.method != M::Get)
            return wrongMethod();
        return Reply::json(scimSchemaJson(spContext));
    }
    if (rest.size() == 6 && rest.at(5) == u"provisionOnDemand") {
        if (r.method != M::Post)
            return wrongMethod();
        // The docs list no lesser delegated permission (graph-pim.md §12.3): the role is not enough.
        if (at->app ? !appMaySync(*at, true)
                    : !at->scopes.contains(u"Synchronization.ReadWrite.All", Qt::CaseInsensitive))
            return graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                              QStringLiteral("Insufficient privileges to complete the operation."));
        return provisionOnDemand(r, at->app ? at->appId : user->upn);
    }
    return graphError(r, 400, QStringLiteral("BadRequest"),
                      QStringLiteral("Resource not found for the segment '%1'.").arg(rest.last()));
}

Reply Emulator::Private::provisionOnDemand(const Request &r, const QString &caller)
{
    const qint64 ms = QDateTime::currentMSecsSinceEpoch();
    podHits.removeIf([ms](qint64 t) { return ms - t >= kPodWindowMs; });
    if (podHits.size() >= kPodRequests) {
        const qint64 wait = (podHits.first() + kPodWindowMs - ms + 999) / 1000;
        return graphError(r, 429, QStringLiteral("TooManyRequests"),
                          QStringLiteral("Too many provisionOnDemand requests: 5 in 10 seconds."),
                          {{"Retry-After", QByteArray::number(qMax<qint64>(1, wait))}});
    }
    podHits << ms;
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    auto bad = [&](const QString &why) { return graphError(r, 400, QStringLiteral("BadRequest"), why); };
    if (!body.is_object() || !body.contains("parameters") || !body["parameters"].is_array()
        || body["parameters"].empty() || !body["parameters"][0].is_object())
        return bad(QStringLiteral("The body needs \"parameters\": [{\"ruleId\", \"subjects\"}]."));
    const Json &param = body["parameters"][0];
    if (text(param, "ruleId") != scimRuleId)
        return bad(QStringLiteral("The ruleId '%1' is not a rule of this job.").arg(text(param, "ruleId")));
    if (!param.contains("subjects") || !param["subjects"].is_array() || param["subjects"].size() != 1
        || !param["subjects"][0].is_object())
        return bad(QStringLiteral("Provision on demand takes one subject."));
    const Json &subject = param["subjects"][0];
    const QString type = text(subject, "objectTypeName");
    const QString objectId = text(subject, "objectId");
    // A job that does not run: the docs say nothing, so this is the emulator's reading. A disabled or
    // paused schedule refuses the call (400 BadRequest, the job must be started first); a quarantined
    // job takes it and the provisioning step fails (200, result Failure, errorCode
    // SynchronizationJobQuarantined), as its regular cycle does.
    if (scimScheduleState != u"Active")
        return bad(QStringLiteral("The synchronization job is %1; start the job to provision on demand.")
                       .arg(scimScheduleState.toLower()));
    QString result = QStringLiteral("Success");
    Json details = Json::object();
    QStringList synced;
    if (scimStatusCode != u"Active") {
        result = QStringLiteral("Failure");
        details
            = {{"errorCode", "SynchronizationJobQuarantined"},
               {"errorMessage",
                s(QStringLiteral("The job is in quarantine (%1).")
                      .arg(scimQuarantineReason.isEmpty() ? QStringLiteral("EncounteredQuarantineException")
                                                          : scimQuarantineReason))}};
    } else if (type.compare(u"Group", Qt::CaseInsensitive) == 0) {
        const Json links = subject.value("links", Json::object());
        const Json members = links.is_object() ? links.value("members", Json::array()) : Json::array();
        if (!members.is_array() || members.size() > 5)
            return bad(QStringLiteral("A group is provisioned on demand with at most 5 members."));
        QStringList memberIds;
        for (const auto &m : members) {
            if (!m.is_object() || text(m, "objectTypeName").compare(u"User", Qt::CaseInsensitive) != 0)
                return bad(QStringLiteral("Members are {\"objectId\", \"objectTypeName\": \"User\"}."));
            memberIds << text(m, "objectId");
        }
        if (!groupById(objectId)) {
            result = QStringLiteral("Failure");
            details
                = {{"errorCode", "SourceObjectNotFound"},
                   {"errorMessage",
                    s(QStringLiteral("The group %1 was not found in Microsoft Entra ID.").arg(objectId))}};
        } else if (!awsTargetOf(objectId)) {
            result = QStringLiteral("Skipped");
            details = {{"reason", "The group is not in scope of this provisioning job."}};
        } else {
            // Push what Entra says now: activations running now appear at once, ended ones go at once.
            const QDateTime t = now();
            bool exported = false;
            for (auto &m : scimMemberships) {
                if (m.groupId != objectId || !memberIds.contains(m.userId))
                    continue;
                if (m.start <= t && !m.syncedIn.isValid()) {
                    m.syncedIn = t;
                    exported = true;
                }
                if (m.end.isValid() && m.end <= t && !m.syncedOut.isValid()) {
                    m.syncedOut = t;
                    exported = true;
                }
            }
            if (!exported) {
                // Identity Center already has what Entra would send: nothing to export.
                result = QStringLiteral("Skipped");
                details = {{"reason", "RedundantExport"},
                           {"skipReason", "RedundantExport"},
                           {"message", "The membership is already in sync with the target system."}};
            }
            for (const auto &id : std::as_const(memberIds))
                if (userById(id))
                    synced << id;
        }
    } else if (type.compare(u"User", Qt::CaseInsensitive) == 0) {
        if (!userById(objectId)) {
            result = QStringLiteral("Failure");
            details = {{"errorCode", "SourceObjectNotFound"},
                       {"errorMessage",
                        s(QStringLiteral("The user %1 was not found in Microsoft Entra ID.").arg(objectId))}};
        }
        // A user's own provisioning does not move group memberships.
    } else {
        return bad(QStringLiteral("objectTypeName is Group or User."));
    }
    Json users = Json::array();
    for (const auto &id : std::as_const(synced))
        users.push_back(s(userById(id)->upn));
    podCalls.push_back({{"at", s(formatTime(now(), 0))},
                        {"caller", s(caller)},
                        {"objectTypeName", s(type)},
                        {"objectId", s(objectId)},
                        {"members", users},
                        {"result", s(result)}});
    const QString stamp = formatTime(now(), 7);
    Json steps = Json::array();
    for (const char *step : {"EntryImport", "EntryExportUpdate"})
        steps.push_back({{"name", step},
                         {"status", result == u"Success" ? "Success" : s(result)},
                         {"timestamp", s(stamp)},
                         {"description", s(QStringLiteral("%1 %2 (emulated)").arg(type, objectId))}});
    return Reply::json(
        {{"@odata.context",
          "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair"},
         {"key", Json {{"result", s(result)}, {"details", details}}.dump()},
         {"value", Json {{"provisioningSteps", steps}}.dump()}});
}

// Admin: settings and state -----------------------------------------------------------------------------

std::optional<QString> Emulator::Private::awsPortalSettings(const Json &j, bool apply)
{
    if (!j.is_object())
        return QStringLiteral("settings must be an object");
    if (j.contains("portalMembershipSnapshot") && !j["portalMembershipSnapshot"].is_boolean())
        return QStringLiteral("portalMembershipSnapshot is true or false");
    if (j.contains("portalCredentialsLagSeconds")
        && (!j["portalCredentialsLagSeconds"].is_number_integer()
            || j["portalCredentialsLagSeconds"].get<qint64>() < 0
            || j["portalCredentialsLagSeconds"].get<qint64>() > 86400))
        return QStringLiteral("portalCredentialsLagSeconds is a number of seconds from 0 to 86400");
    if (!apply)
        return std::nullopt;
    if (j.contains("portalMembershipSnapshot"))
        portalMembershipSnapshot = j["portalMembershipSnapshot"].get<bool>();
    if (j.contains("portalCredentialsLagSeconds"))
        portalCredentialsLagSecs = j["portalCredentialsLagSeconds"].get<qint64>();
    return std::nullopt;
}

void Emulator::Private::applyAwsProfile()
{
    // Both stay off in the realistic profile too: every test that signs in to Identity Center before
    // its grant reaches AWS would need a fresh sign-in. The tests that check Elevate's handling (the
    // pipeline test) switch them on in both passes.
    portalMembershipSnapshot = false;
    portalCredentialsLagSecs = 0;
}

std::optional<Reply> Emulator::Private::awsSettings(const Json &body)
{
    if (const std::optional<QString> bad = awsPortalSettings(body, false))
        return Reply::json({{"error", bad->toStdString()}}, 400);
    if (body.contains("scimDelaySeconds")
        && (!body["scimDelaySeconds"].is_number_integer() || body["scimDelaySeconds"].get<qint64>() < 0))
        return Reply::json({{"error", "scimDelaySeconds is a number of seconds (0 or more)"}}, 400);
    if (body.contains("portalRateLimit")) {
        const Json &l = body["portalRateLimit"];
        if (!l.is_object() || !l.value("requests", Json()).is_number_integer()
            || !l.value("perSeconds", Json()).is_number_integer() || l["requests"].get<int>() < 1
            || l["perSeconds"].get<int>() < 1)
            return Reply::json({{"error", "portalRateLimit is {\"requests\": N, \"perSeconds\": S}"}}, 400);
    }
    if (body.contains("federationRefusesSessionDuration")
        && !body["federationRefusesSessionDuration"].is_boolean())
        return Reply::json({{"error", "federationRefusesSessionDuration is true or false"}}, 400);
    if (body.contains("federationRefusesSessionDuration"))
        federationRefusesSessionDuration = body["federationRefusesSessionDuration"].get<bool>();
    if (body.contains("scimDelaySeconds"))
        scimDelaySecs = body["scimDelaySeconds"].get<qint64>();
    if (body.contains("portalRateLimit")) {
        portalRateRequests = body["portalRateLimit"]["requests"].get<int>();
        portalRatePerSecs = body["portalRateLimit"]["perSeconds"].get<int>();
        portalHits.clear();
    }
    awsPortalSettings(body, true);
    return std::nullopt;
}

Json Emulator::Private::awsSettingsJson() const
{
    return {{"scimDelaySeconds", scimDelaySecs},
            {"portalRateLimit", {{"requests", portalRateRequests}, {"perSeconds", portalRatePerSecs}}},
            {"federationRefusesSessionDuration", federationRefusesSessionDuration},
            {"portalMembershipSnapshot", portalMembershipSnapshot},
            {"portalCredentialsLagSeconds", portalCredentialsLagSecs}};
}

Json Emulator::Private::awsStateJson()
{
    const QDateTime t = now();
    auto upnOf = [this](const QString &id) {
        const User *u = userById(id);
        return u ? s(u->upn) : s(id);
    };
    Json out = awsSettingsJson();
    out["assignments"] = Json::array();
    for (const auto &a : awsAssignments())
        out["assignments"].push_back({{"user", upnOf(a.userId)},
                                      {"accountId", s(a.accountId)},
                                      {"roleName", s(a.roleName)},
                                      {"since", timeOrNull(a.since)}});
    out["memberships"] = Json::array(); // what SCIM knows of PIM activations, and when it acts on them
    for (const auto &m : scimMemberships) {
        const auto target = awsTargetOf(m.groupId);
        const Group *g = groupById(m.groupId);
        // As awsAssignments(): a stopped job's cycle moves nothing after it stopped (null: not yet known).
        auto cycle = [this](const QDateTime &at) {
            return scimStoppedAt.isValid() && at > scimStoppedAt ? QDateTime() : at;
        };
        QDateTime appear = cycle(m.start.addSecs(scimDelaySecs));
        if (m.syncedIn.isValid() && (!appear.isValid() || m.syncedIn < appear))
            appear = m.syncedIn;
        QDateTime disappear = m.end.isValid() ? cycle(m.end.addSecs(scimDelaySecs)) : QDateTime();
        if (m.syncedOut.isValid() && m.end.isValid() && (!disappear.isValid() || m.syncedOut < disappear))
            disappear = m.syncedOut;
        const bool member = m.accessId == u"member" && target;
        out["memberships"].push_back({{"user", upnOf(m.userId)},
                                      {"groupId", s(m.groupId)},
                                      {"groupDisplayName", g ? s(g->displayName) : std::string()},
                                      {"accessId", s(m.accessId)},
                                      {"accountId", target ? Json(s(target->first)) : Json(nullptr)},
                                      {"roleName", target ? Json(s(target->second)) : Json(nullptr)},
                                      {"start", timeOrNull(m.start)},
                                      {"end", timeOrNull(m.end)},
                                      {"active", !m.gone},
                                      {"appearsInAws", member ? timeOrNull(appear) : Json(nullptr)},
                                      {"leavesAws", member ? timeOrNull(disappear) : Json(nullptr)}});
    }
    out["registeredClients"] = awsClients.size();
    int live = 0;
    for (const auto &at : awsAccessTokens) {
        const auto session = awsSessions.constFind(at.sessionId);
        live += t < at.expires && session != awsSessions.cend() && !session->loggedOut && t < session->end;
    }
    out["liveAccessTokens"] = live;
    out["roleCredentials"] = Json::array();
    for (const auto &c : awsCredentials)
        out["roleCredentials"].push_back({{"accessKeyId", s(c.accessKeyId)},
                                          {"accountId", s(c.accountId)},
                                          {"roleName", s(c.roleName)},
                                          {"user", upnOf(c.userId)},
                                          {"issued", timeOrNull(c.issued)},
                                          {"expiration", timeOrNull(c.expiration)}});
    out["signinTokens"] = Json::array();
    for (const auto &st : awsSigninTokens)
        out["signinTokens"].push_back({{"accountId", s(st.accountId)},
                                       {"roleName", s(st.roleName)},
                                       {"user", upnOf(st.userId)},
                                       {"used", st.used},
                                       {"expires", timeOrNull(st.expires)},
                                       {"sessionEnd", timeOrNull(st.sessionEnd)}});
    out["provisionOnDemand"] = podCalls;
    out["authorizeParameters"] = Json::array(); // the names each GET /authorize carried
    for (const auto &names : awsAuthorizeParams) {
        Json list = Json::array();
        for (const auto &n : names)
            list.push_back(s(n));
        out["authorizeParameters"].push_back(list);
    }
    return out;
}

Json Emulator::Private::awsSecretsJson() const
{
    Json out = {{"clientSecrets", Json::array()}, {"accessTokens", Json::array()},
                {"refreshTokens", Json::array()}, {"secretAccessKeys", Json::array()},
                {"sessionTokens", Json::array()}, {"signinTokens", Json::array()}};
    for (const auto &c : awsClients)
        out["clientSecrets"].push_back(s(c.secret));
    for (auto it = awsAccessTokens.cbegin(); it != awsAccessTokens.cend(); ++it)
        out["accessTokens"].push_back(s(it.key()));
    for (auto it = awsRefreshTokens.cbegin(); it != awsRefreshTokens.cend(); ++it)
        out["refreshTokens"].push_back(s(it.key()));
    for (const auto &c : awsCredentials) {
        out["secretAccessKeys"].push_back(s(c.secretAccessKey));
        out["sessionTokens"].push_back(s(c.sessionToken));
    }
    for (auto it = awsSigninTokens.cbegin(); it != awsSigninTokens.cend(); ++it)
        out["signinTokens"].push_back(s(it.key()));
    return out;
}

// Public helpers ----------------------------------------------------------------------------------------

void Emulator::setScimDelay(qint64 seconds)
{
    d->scimDelaySecs = qMax<qint64>(0, seconds);
}

bool Emulator::writeAwsCliEndpointRulesFor(const QUrl &endpoint, const QString &dir, QString *error)
{
    // aws-sso.md §6.2: one rule, no conditions, the endpoint as it is (the CLI appends the paths).
    const Json rules = {
        {"version", "1.0"},
        {"parameters",
         {{"Region", {{"builtIn", "AWS::Region"}, {"required", false}, {"type", "String"}}},
          {"UseDualStack",
           {{"builtIn", "AWS::UseDualStack"}, {"required", true}, {"default", false}, {"type", "Boolean"}}},
          {"UseFIPS",
           {{"builtIn", "AWS::UseFIPS"}, {"required", true}, {"default", false}, {"type", "Boolean"}}},
          {"Endpoint", {{"builtIn", "SDK::Endpoint"}, {"required", false}, {"type", "String"}}}}},
        {"rules",
         Json::array({{{"conditions", Json::array()},
                       {"type", "endpoint"},
                       {"endpoint",
                        {{"url", endpoint.toString(QUrl::StripTrailingSlash).toStdString()},
                         {"properties", Json::object()},
                         {"headers", Json::object()}}}}})}};
    const QByteArray bytes = QByteArray::fromStdString(rules.dump(2)) + '\n';
    for (const char *service : {"sso", "sso-oidc"}) {
        const QString folder = QDir(dir).filePath(QLatin1String(service) + QStringLiteral("/2019-06-10"));
        QSaveFile f(QDir(folder).filePath(QStringLiteral("endpoint-rule-set-1.json")));
        if (!QDir().mkpath(folder) || !f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size()
            || !f.commit()) {
            if (error)
                *error = QStringLiteral("cannot write %1: %2").arg(f.fileName(), f.errorString());
            return false;
        }
    }
    return true;
}

bool Emulator::writeAwsCliEndpointRules(const QString &dir, QString *error) const
{
    if (d->base.isEmpty()) {
        if (error)
            *error = QStringLiteral("the emulator is not listening yet");
        return false;
    }
    return writeAwsCliEndpointRulesFor(d->base, dir, error);
}

} // namespace Elevate::Emulator

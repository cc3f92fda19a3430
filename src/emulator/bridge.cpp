// SPDX-License-Identifier: GPL-3.0-or-later
// The app-only side of the emulator, for elevate-bridge: confidential application registrations
// (scenario `applications`), Entra's client-credentials grant (client secret or client assertion), and
// Microsoft Graph for app tokens (assignment schedule instances by group or principal, the group list,
// the SCIM job through aws.cpp), plus the admin endpoints that change them.
//
// Client assertions: the emulator checks a JWT's shape and claims (alg RS256 or PS256, typ JWT, the
// x5t#S256 or x5t thumbprint of a registered certificate, iss = sub = client_id, aud = the token
// endpoint, exp and nbf, a jti not used before) but it CANNOT verify the RSA signature: it has no
// crypto library (only the bridge links libcrypto). Any non-empty signature part passes here; the
// bridge's own tests verify its signatures with the openssl command.
//
// Error codes: AADSTS700016 (unknown app), 7000218 (no credential), 7000215 (wrong secret), 7000222
// (expired secret), 700027 (certificate not registered), 700021 (iss/sub not the client id), 700024
// (assertion out of its time range) and 1002012 (scope without /.default) are Entra's as documented.
// The emulator's own choices, for cases whose code the docs do not give: both a secret and an
// assertion is invalid_request AADSTS90014; an assertion that is not a JWT, has another alg or typ,
// no jti, a wrong `aud`, or a jti already used (replays are refused until the assertion expires, so
// a client must build a new assertion for every token request, as MSAL does) is invalid_client
// AADSTS50027 ("Invalid JWT token").

#include "emulator_p.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QUuid>

namespace Elevate::Emulator {

namespace {

std::string s(const QString &v)
{
    return v.toStdString();
}

QString text(const Json &j, const char *key)
{
    return j.is_object() && j.contains(key) && j[key].is_string()
        ? QString::fromStdString(j[key].get<std::string>())
        : QString();
}

const QString kJwtBearer = QStringLiteral("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
const QStringList kGraphResources
    = {QStringLiteral("https://graph.microsoft.com"), QStringLiteral("00000003-0000-0000-c000-000000000000")};

/// Constant-time comparison, so that a wrong secret's answer time says nothing about the right one.
bool sameSecret(const QString &a, const QString &b)
{
    const QByteArray x = a.toUtf8(), y = b.toUtf8();
    unsigned char diff = x.size() == y.size() ? 0 : 1;
    for (qsizetype i = 0; i < qMin(x.size(), y.size()); ++i)
        diff |= static_cast<unsigned char>(x.at(i) ^ y.at(i));
    return diff == 0;
}

Json parseJsonPart(const QByteArray &part)
{
    const QByteArray raw = QByteArray::fromBase64(part, QByteArray::Base64UrlEncoding);
    return Json::parse(raw.constBegin(), raw.constEnd(), nullptr, false);
}

bool stringList(const Json &j, const char *key, QStringList *out)
{
    out->clear();
    if (!j.contains(key))
        return true;
    if (!j[key].is_array())
        return false;
    for (const auto &v : j[key]) {
        if (!v.is_string() || v.get<std::string>().empty())
            return false;
        *out << QString::fromStdString(v.get<std::string>());
    }
    return true;
}

} // namespace

std::optional<Application> Emulator::Private::parseApplication(const Json &j, QString *error) const
{
    auto fail = [error](const QString &why) -> std::optional<Application> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    if (!j.is_object())
        return fail(QStringLiteral("an application is a JSON object"));
    Application app;
    app.clientId = text(j, "clientId");
    if (QUuid(app.clientId).isNull() || app.clientId.size() != 36)
        return fail(QStringLiteral("an application's clientId is a GUID"));
    if (app.clientId.compare(clientId, Qt::CaseInsensitive) == 0)
        return fail(QStringLiteral("an application's clientId is not the public app's (app.clientId)"));
    app.clientId = app.clientId.toLower();
    app.displayName = text(j, "displayName");
    if (app.displayName.isEmpty())
        app.displayName = QStringLiteral("Application");
    if (j.contains("secret") && (!j["secret"].is_string() || j["secret"].get<std::string>().empty()))
        return fail(QStringLiteral("an application's secret is a non-empty string"));
    // No secret in the scenario: a random one, known only to this process (and --write-bridge-config).
    app.secret = j.contains("secret") ? text(j, "secret") : randomToken(32);
    if (j.contains("secretExpired") && !j["secretExpired"].is_boolean())
        return fail(QStringLiteral("an application's secretExpired is true or false"));
    app.secretExpired = j.value("secretExpired", false);
    if (j.contains("certificates")) {
        if (!j["certificates"].is_array())
            return fail(QStringLiteral("an application's certificates is a list"));
        for (const auto &c : j["certificates"]) {
            Application::Certificate cert {text(c, "x5tS256"), text(c, "x5t")};
            if (cert.x5tS256.isEmpty())
                return fail(QStringLiteral("a certificate needs x5tS256 (base64url SHA-256 of the DER)"));
            app.certificates << cert;
        }
    }
    if (!stringList(j, "roles", &app.roles))
        return fail(QStringLiteral("an application's roles is a list of application permission names"));
    if (!stringList(j, "ownerOf", &app.ownerOf))
        return fail(QStringLiteral("an application's ownerOf is a list of service principal ids"));
    // The service principal's object id: stable from the clientId (a name-based UUID).
    static const QUuid ns(QStringLiteral("{5d0c4a1e-8f3b-4e2a-9c6d-7b1e0f2a3c4d}"));
    app.servicePrincipalId = QUuid::createUuidV5(ns, app.clientId).toString(QUuid::WithoutBraces);
    return app;
}

bool Emulator::Private::parseApplications(const Json &scenario, QString *error)
{
    applications.clear();
    usedAssertionIds.clear();
    scimScheduleState = QStringLiteral("Active");
    scimStatusCode = QStringLiteral("Active");
    scimQuarantineReason.clear();
    scimStoppedAt = QDateTime();
    if (!scenario.contains("applications"))
        return true;
    if (!scenario["applications"].is_array()) {
        if (error)
            *error = QStringLiteral("applications is a list");
        return false;
    }
    for (const auto &j : scenario["applications"]) {
        std::optional<Application> app = parseApplication(j, error);
        if (!app)
            return false;
        if (applicationById(app->clientId)) {
            if (error)
                *error = QStringLiteral("two applications have the clientId %1").arg(app->clientId);
            return false;
        }
        applications << *app;
    }
    return true;
}

const Application *Emulator::Private::applicationById(const QString &id) const
{
    for (const auto &a : applications)
        if (a.clientId.compare(id, Qt::CaseInsensitive) == 0)
            return &a;
    return nullptr;
}

std::optional<Reply> Emulator::Private::checkClientAssertion(const Request &r, const QUrlQuery &form,
                                                             const Application &app)
{
    auto param
        = [&form](const char *k) { return form.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    auto invalidJwt = [&](const QString &why) {
        return entraError(r, QStringLiteral("invalid_client"), 50027,
                          QStringLiteral("Invalid JWT token. %1").arg(why), 401);
    };
    if (param("client_assertion_type") != kJwtBearer)
        return entraError(r, QStringLiteral("invalid_request"), 90014,
                          QStringLiteral("The request body must contain the following parameter: "
                                         "'client_assertion_type' with the value '%1'.")
                              .arg(kJwtBearer));
    const QList<QByteArray> parts = param("client_assertion").toLatin1().split('.');
    if (parts.size() != 3 || parts.at(2).isEmpty())
        return invalidJwt(QStringLiteral("The client assertion is not a signed JWT."));
    const Json header = parseJsonPart(parts.at(0));
    const Json claims = parseJsonPart(parts.at(1));
    if (!header.is_object() || !claims.is_object())
        return invalidJwt(QStringLiteral("The client assertion is not a JWT."));
    const QString alg = text(header, "alg");
    if (alg != u"RS256" && alg != u"PS256")
        return invalidJwt(QStringLiteral("The client assertion's alg '%1' is not RS256 or PS256.").arg(alg));
    if (text(header, "typ").compare(u"JWT", Qt::CaseInsensitive) != 0)
        return invalidJwt(QStringLiteral("The client assertion's typ is not JWT."));
    const QString s256 = text(header, "x5t#S256"), sha1 = text(header, "x5t");
    bool known = false;
    for (const auto &c : app.certificates)
        if ((!s256.isEmpty() && c.x5tS256 == s256) || (!sha1.isEmpty() && !c.x5t.isEmpty() && c.x5t == sha1))
            known = true;
    if (!known)
        return entraError(
            r, QStringLiteral("invalid_client"), 700027,
            QStringLiteral("Client assertion failed signature validation. The certificate with "
                           "identifier used to sign the client assertion is not registered on "
                           "application. [Reason - The key was not found., Thumbprint of key used by "
                           "client: '%1']")
                .arg(s256.isEmpty() ? sha1 : s256),
            401);
    if (text(claims, "iss").compare(app.clientId, Qt::CaseInsensitive) != 0
        || text(claims, "sub").compare(app.clientId, Qt::CaseInsensitive) != 0)
        return entraError(r, QStringLiteral("invalid_client"), 700021,
                          QStringLiteral("Client assertion application identifier doesn't match "
                                         "'client_id' parameter."),
                          401);
    // aud: the token endpoint, by the tenant id or by the tenant as the request's path names it.
    const QString path = r.segments.value(0);
    const QString aud = text(claims, "aud");
    const QString endpoint = base.toString() + QStringLiteral("/%1/oauth2/v2.0/token");
    if (aud != endpoint.arg(tenantId) && aud != endpoint.arg(path))
        return invalidJwt(
            QStringLiteral("The client assertion's audience '%1' is not the token endpoint.").arg(aud));
    const qint64 t = now().toSecsSinceEpoch();
    if (!claims.contains("exp") || !claims["exp"].is_number() || claims["exp"].get<double>() <= double(t)
        || (claims.contains("nbf")
            && (!claims["nbf"].is_number() || claims["nbf"].get<double>() > double(t))))
        return entraError(r, QStringLiteral("invalid_client"), 700024,
                          QStringLiteral("Client assertion is not within its valid time range. Current "
                                         "time: %1, assertion valid from %2, expiry time of assertion %3.")
                              .arg(formatTime(now(), 7),
                                   QString::fromStdString(claims.value("nbf", Json()).dump()),
                                   QString::fromStdString(claims.value("exp", Json()).dump())),
                          401);
    const QString jti = text(claims, "jti");
    if (jti.isEmpty())
        return invalidJwt(QStringLiteral("The client assertion has no jti."));
    usedAssertionIds.removeIf([this](const auto &it) { return it.value() <= now(); });
    if (usedAssertionIds.contains(jti))
        return invalidJwt(QStringLiteral("The client assertion's jti was already used."));
    usedAssertionIds.insert(jti, QDateTime::fromSecsSinceEpoch(qint64(claims["exp"].get<double>()), Qt::UTC));
    return std::nullopt;
}

Reply Emulator::Private::clientCredentials(const Request &r, const QUrlQuery &form)
{
    auto param
        = [&form](const char *k) { return form.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    auto has = [&form](const char *k) { return form.hasQueryItem(QString::fromLatin1(k)); };
    const QString id = param("client_id");
    const Application *app = applicationById(id);
    if (!app)
        return entraError(r, QStringLiteral("unauthorized_client"), 700016,
                          QStringLiteral("Application with identifier '%1' was not found in the directory "
                                         "'%2'. This can happen if the application has not been installed "
                                         "by the administrator of the tenant.")
                              .arg(id, tenantName));
    const QString grant = param("grant_type");
    if (grant != u"client_credentials")
        return entraError(r, QStringLiteral("unsupported_grant_type"), 70003,
                          QStringLiteral("The app requested an unsupported grant type '%1'.").arg(grant));
    const bool secretGiven = has("client_secret"), assertionGiven = has("client_assertion");
    if (secretGiven && assertionGiven)
        return entraError(r, QStringLiteral("invalid_request"), 90014,
                          QStringLiteral("The request body must contain only one of the following "
                                         "parameters: 'client_assertion' or 'client_secret'."));
    if (!secretGiven && !assertionGiven)
        return entraError(r, QStringLiteral("invalid_client"), 7000218,
                          QStringLiteral("The request body must contain the following parameter: "
                                         "'client_assertion' or 'client_secret'."),
                          401);
    if (secretGiven) {
        if (!sameSecret(param("client_secret"), app->secret))
            return entraError(
                r, QStringLiteral("invalid_client"), 7000215,
                QStringLiteral("Invalid client secret provided. Ensure the secret being sent in the request "
                               "is the client secret value, not the client secret ID, for a secret added to "
                               "app '%1'.")
                    .arg(app->clientId),
                401);
        if (app->secretExpired)
            return entraError(
                r, QStringLiteral("invalid_client"), 7000222,
                QStringLiteral("The provided client secret keys for app '%1' are expired. Visit the Azure "
                               "portal to create new keys for your app or consider using certificate "
                               "credentials for added security.")
                    .arg(app->clientId),
                401);
    } else if (std::optional<Reply> refused = checkClientAssertion(r, form, *app)) {
        return *refused;
    }
    const QStringList scopes = param("scope").split(u' ', Qt::SkipEmptyParts);
    if (scopes.size() != 1 || !scopes.first().endsWith(u"/.default"))
        return entraError(
            r, QStringLiteral("invalid_scope"), 1002012,
            QStringLiteral(
                "The provided value for scope %1 is not valid. Client credential flows must have a "
                "scope value with /.default suffixed to the resource identifier (application ID "
                "URI).")
                .arg(param("scope")));
    const QString resource = scopes.first().chopped(int(qstrlen("/.default")));
    if (!kGraphResources.contains(resource, Qt::CaseInsensitive))
        return entraError(r, QStringLiteral("invalid_resource"), 500011,
                          QStringLiteral("The resource principal named %1 was not found in the tenant named "
                                         "%2.")
                              .arg(resource, tenantName));
    const int lifetime = 3599;
    const QDateTime issued = now();
    Json roles = Json::array();
    for (const auto &role : app->roles)
        roles.push_back(s(role));
    const Json payload = {{"aud", "https://graph.microsoft.com"},
                          {"iss", s(base.toString() + u'/' + tenantId + QStringLiteral("/v2.0"))},
                          {"tid", s(tenantId)},
                          {"oid", s(app->servicePrincipalId)},
                          {"sub", s(app->servicePrincipalId)},
                          {"appid", s(app->clientId)},
                          {"azp", s(app->clientId)},
                          {"app_displayname", s(app->displayName)},
                          {"idtyp", "app"},
                          {"roles", roles},
                          {"iat", issued.toSecsSinceEpoch()},
                          {"nbf", issued.toSecsSinceEpoch()},
                          {"exp", issued.addSecs(lifetime).toSecsSinceEpoch()},
                          {"uti", s(randomToken(9))},
                          {"ver", "1.0"}};
    const QString at = makeJwt(payload);
    accessTokens.insert(
        at, AccessToken {{}, {}, issued.addSecs(lifetime), {}, false, true, app->clientId, app->roles});
    return Reply::json({{"token_type", "Bearer"},
                        {"expires_in", lifetime},
                        {"ext_expires_in", lifetime},
                        {"access_token", s(at)}});
}

bool Emulator::Private::appMaySync(const AccessToken &at, bool write) const
{
    if (at.roles.contains(u"Synchronization.ReadWrite.All"))
        return true;
    if (!write && at.roles.contains(u"Synchronization.Read.All"))
        return true;
    // The docs' least privilege: Application.ReadWrite.OwnedBy, with the app an owner of the service
    // principal whose job it is.
    const Application *app = applicationById(at.appId);
    return at.roles.contains(u"Application.ReadWrite.OwnedBy") && app && app->ownerOf.contains(scimSpId);
}

namespace {

bool hasRole(const AccessToken &at, std::initializer_list<const char *> names)
{
    for (const char *n : names)
        if (at.roles.contains(QLatin1String(n)))
            return true;
    return false;
}

Reply denied(Emulator::Private &d, const Request &r)
{
    return d.graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                        QStringLiteral("Insufficient privileges to complete the operation."));
}

Reply appMe(Emulator::Private &d, const Request &r, const GraphCall &)
{
    // Graph's answer to /me with an app-only token.
    return d.graphError(r, 400, QStringLiteral("BadRequest"),
                        QStringLiteral("/me request is only valid with delegated authentication flow."));
}

Reply appInstances(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    const QString instancesPath
        = QStringLiteral("/identityGovernance/privilegedAccess/group/assignmentScheduleInstances");
    if (r.method != QHttpServerRequest::Method::Get)
        return d.graphError(r, 405, QStringLiteral("Request_BadRequest"),
                            QStringLiteral("The emulator supports only GET on this resource for apps."));
    if (!hasRole(c.at,
                 {"PrivilegedAssignmentSchedule.Read.AzureADGroup",
                  "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"}))
        return d.pimError(r, 403, QStringLiteral("PermissionScopeNotGranted"),
                          QStringLiteral("Authorization failed due to missing permission scope "
                                         "PrivilegedAssignmentSchedule.Read.AzureADGroup,"
                                         "PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup."));
    // The docs require a groupId or principalId filter for this list.
    static const QRegularExpression key(QStringLiteral("\\b(groupId|principalId)\\s+eq\\s+'([^']*)'"),
                                        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = key.match(r.odata(QStringLiteral("filter")));
    if (!m.hasMatch())
        return d.graphError(r, 400, QStringLiteral("BadRequest"),
                            QStringLiteral("The request must filter on groupId or principalId, e.g. "
                                           "$filter=groupId eq '{id}'."));
    if (m.captured(1).compare(u"groupId", Qt::CaseInsensitive) == 0 && !d.groupById(m.captured(2))
        && d.missingGroupNotFound)
        // settings.missingGroupInstances "notFound" (the realistic profile); "empty": 200, no value.
        return d.pimError(r, 404, QStringLiteral("ResourceNotFound"),
                          QStringLiteral("The group '%1' was not found.").arg(m.captured(2)));
    return d.listInstances(r, nullptr, c.root, instancesPath);
}

/// GET /groups (filtered by a displayName prefix, $select, $top) and /groups/{id}.
Reply appGroups(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    const QString id = c.params.value(QStringLiteral("id"));
    if (r.method != QHttpServerRequest::Method::Get)
        return d.graphError(r, 405, QStringLiteral("Request_BadRequest"),
                            QStringLiteral("The emulator supports only GET on this resource."));
    if (!hasRole(c.at,
                 {"Group.Read.All", "GroupMember.Read.All", "Directory.Read.All", "Group.ReadWrite.All"}))
        return denied(d, r);
    if (!id.isEmpty()) {
        const Json g = d.groupJson(id);
        if (g.is_null())
            return d.graphError(
                r, 404, QStringLiteral("Request_ResourceNotFound"),
                QStringLiteral("Resource '%1' does not exist or one of its queried reference-property "
                               "objects are not present.")
                    .arg(id));
        Json out = g;
        out["@odata.context"] = c.root + "/$metadata#groups/$entity";
        return Reply::json(out);
    }
    QString prefix;
    const QString filter = r.odata(QStringLiteral("filter")).trimmed();
    if (!filter.isEmpty()) {
        static const QRegularExpression startsWith(
            QStringLiteral("^startswith\\(\\s*displayName\\s*,\\s*'((?:[^']|'')*)'\\s*\\)$"),
            QRegularExpression::CaseInsensitiveOption);
        const QRegularExpressionMatch fm = startsWith.match(filter);
        if (!fm.hasMatch())
            return d.graphError(r, 400, QStringLiteral("BadRequest"),
                                QStringLiteral("Invalid filter clause: the emulator supports "
                                               "startswith(displayName,'...') only."));
        prefix = fm.captured(1).replace(QStringLiteral("''"), QStringLiteral("'"));
    }
    QStringList select = r.odata(QStringLiteral("select")).split(u',', Qt::SkipEmptyParts);
    for (auto &f : select)
        f = f.trimmed();
    for (const auto &f : std::as_const(select))
        if (f != u"id" && f != u"displayName" && f != u"description")
            return d.graphError(r, 400, QStringLiteral("BadRequest"),
                                QStringLiteral("Could not find a property named '%1' on type "
                                               "'microsoft.graph.group'.")
                                    .arg(f));
    int top = 0;
    const QString topText = r.odata(QStringLiteral("top"));
    if (!topText.isEmpty()) {
        bool ok = false;
        top = topText.toInt(&ok);
        if (!ok || top < 1 || top > 999)
            return d.graphError(r, 400, QStringLiteral("BadRequest"),
                                QStringLiteral("Invalid page size specified: '%1'. Must be between 1 and "
                                               "999 inclusive.")
                                    .arg(topText));
    }
    std::vector<Json> items;
    for (const auto &g : std::as_const(d.groups)) {
        if (!g.displayName.startsWith(prefix, Qt::CaseInsensitive))
            continue;
        const Json full = d.groupJson(g.id);
        Json item = Json::object();
        for (const auto &[k, v] : full.items())
            if (select.isEmpty() || select.contains(QString::fromStdString(k)))
                item[k] = v;
        items.push_back(item);
    }
    return d.pagedCollection(r, c.root, QStringLiteral("/groups"), "groups", items, top);
}

} // namespace

const GraphRoutes &Emulator::Private::appRoutes()
{
    // Below /graph/{version}/ for app-only tokens; each handler checks the method itself.
    static const GraphRoutes routes = [] {
        GraphRoutes t;
        t.add(AnyMethod, QStringLiteral("$batch"), [](Private &d, const Request &r, const GraphCall &) {
            return d.batch(r, r.segments.at(1)); // each step goes through the routes again, with this token
        });
        t.add(AnyMethod, QStringLiteral("me"), appMe);
        t.add(AnyMethod,
              QStringLiteral("identityGovernance/privilegedAccess/group/assignmentScheduleInstances"),
              appInstances);
        t.add(AnyMethod, QStringLiteral("groups"), appGroups);
        t.add(AnyMethod, QStringLiteral("groups/{id}"), appGroups);
        return t;
    }();
    return routes;
}

Reply Emulator::Private::appGraphNotFound(const Request &r, const QStringList &rest)
{
    // The rest of the emulated Graph is delegated-only (the caller's own eligibilities, requests,
    // approvals): an app token is refused.
    static const QStringList delegatedOnly
        = {QStringLiteral("identityGovernance"), QStringLiteral("policies"), QStringLiteral("me"),
           QStringLiteral("groups")};
    if (delegatedOnly.contains(rest.value(0)))
        return graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                          QStringLiteral("Insufficient privileges to complete the operation: this resource "
                                         "is only available with delegated (user) access."));
    return graphError(r, 400, QStringLiteral("BadRequest"),
                      QStringLiteral("Resource not found for the segment '%1'.").arg(rest.value(0)));
}

Json Emulator::Private::applicationsStateJson() const
{
    Json out = Json::array();
    for (const auto &a : applications) {
        Json certs = Json::array();
        for (const auto &c : a.certificates)
            certs.push_back(
                {{"x5tS256", s(c.x5tS256)}, {"x5t", c.x5t.isEmpty() ? Json(nullptr) : Json(s(c.x5t))}});
        Json roles = Json::array(), owners = Json::array();
        for (const auto &x : a.roles)
            roles.push_back(s(x));
        for (const auto &x : a.ownerOf)
            owners.push_back(s(x));
        out.push_back({{"clientId", s(a.clientId)},
                       {"displayName", s(a.displayName)},
                       {"servicePrincipalId", s(a.servicePrincipalId)},
                       {"secretExpired", a.secretExpired},
                       {"certificates", certs},
                       {"roles", roles},
                       {"ownerOf", owners}}); // never the secret
    }
    return out;
}

std::optional<Reply> Emulator::Private::bridgeAdmin(const Request &r, const QString &what, const Json &body)
{
    using M = QHttpServerRequest::Method;
    if (what == u"applications") {
        if (r.method == M::Get)
            return Reply::json({{"applications", applicationsStateJson()}});
        if (r.method != M::Post)
            return Reply::json({{"error", "use GET or POST"}}, 405);
        QString error;
        std::optional<Application> app = parseApplication(body, &error);
        if (!app)
            return Reply::json({{"error", s(error)}}, 400);
        bool replaced = false;
        for (auto &a : applications)
            if (a.clientId == app->clientId) {
                a = *app;
                replaced = true;
            }
        if (!replaced)
            applications << *app;
        return Reply::json({{"clientId", s(app->clientId)},
                            {"servicePrincipalId", s(app->servicePrincipalId)},
                            {"replaced", replaced}});
    }
    if (what == u"scim/job") {
        if (r.method != M::Post)
            return Reply::json({{"error", "use POST"}}, 405);
        if (!body.is_object())
            return Reply::json(
                {{"error", "body is {\"scheduleState\", \"statusCode\", \"quarantineReason\"}"}}, 400);
        const QString schedule
            = body.contains("scheduleState") ? text(body, "scheduleState") : scimScheduleState;
        const QString status = body.contains("statusCode") ? text(body, "statusCode") : scimStatusCode;
        if (schedule != u"Active" && schedule != u"Disabled" && schedule != u"Paused")
            return Reply::json({{"error", "scheduleState is Active, Disabled or Paused"}}, 400);
        if (status != u"Active" && status != u"Quarantine")
            return Reply::json({{"error", "statusCode is Active or Quarantine"}}, 400);
        if (body.contains("quarantineReason") && !body["quarantineReason"].is_string())
            return Reply::json({{"error", "quarantineReason is a string"}}, 400);
        const bool ran = scimJobRuns();
        scimScheduleState = schedule;
        scimStatusCode = status;
        if (body.contains("quarantineReason"))
            scimQuarantineReason = text(body, "quarantineReason");
        if (ran && !scimJobRuns())
            scimStoppedAt = now();
        else if (scimJobRuns())
            scimStoppedAt = QDateTime();
        return Reply::json({{"scheduleState", s(scimScheduleState)},
                            {"statusCode", s(scimStatusCode)},
                            {"quarantineReason", s(scimQuarantineReason)},
                            {"runs", scimJobRuns()}});
    }
    if (what.startsWith(u"groups/") && r.method == M::Delete) {
        const QString id = what.mid(7);
        if (!groupById(id))
            return Reply::json({{"error", "no such group"}}, 404);
        // The group goes, and with it its eligibilities and live instances; SCIM still remembers what it
        // pushed (a provision on demand for the group is then SourceObjectNotFound).
        groups.removeIf([&id](const Group &g) { return g.id == id; });
        eligibilities.removeIf([&id](const EligibilityRecord &e) { return e.groupId == id; });
        instances.removeIf([&id](const AssignmentInstance &i) { return i.groupId == id; });
        endedInstances.removeIf([&id](const AssignmentInstance &i) { return i.groupId == id; });
        return Reply::json({{"deleted", s(id)}});
    }
    return std::nullopt;
}

QString Emulator::bridgeClientId() const
{
    return d->applications.isEmpty() ? QString() : d->applications.first().clientId;
}

bool Emulator::writeBridgeConfig(const QString &file, QString *error) const
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (d->base.isEmpty())
        return fail(QStringLiteral("the emulator is not listening yet"));
    if (d->applications.isEmpty())
        return fail(QStringLiteral("the scenario has no application (\"applications\") for the bridge"));
    const Application &app = d->applications.first();
    const QFileInfo info(file);
    const QString dir = info.absolutePath();
    const QString secretFile = QDir(dir).filePath(info.completeBaseName() + QStringLiteral(".secret"));
    const QString statePath = QDir(dir).filePath(info.completeBaseName() + QStringLiteral(".sqlite"));
    if (info.isDir() || QFileInfo(secretFile).isDir())
        return fail(QStringLiteral("%1 is a directory").arg(info.isDir() ? file : secretFile));
    if (QFileInfo(secretFile).absoluteFilePath() == info.absoluteFilePath())
        return fail(QStringLiteral("the configuration file must not end in .secret"));
    // The app's configuration, with the bridge's application and a "bridge" object.
    QJsonObject root = QJsonDocument::fromJson(configJson()).object();
    QJsonObject entra = root.value(QStringLiteral("entra")).toObject();
    entra.insert(QStringLiteral("clientId"), app.clientId);
    root.insert(QStringLiteral("entra"), entra);
    root.insert(QStringLiteral("bridge"),
                QJsonObject {{QStringLiteral("clientSecretFile"), secretFile},
                             {QStringLiteral("pollSeconds"), 10},
                             {QStringLiteral("statePath"), statePath}});
    // Both files 0600 from the start (QSaveFile writes a temporary file and renames it over the target,
    // so an existing file of another mode, or a symlink, is replaced, never written through).
    auto write = [&](const QString &path, const QByteArray &bytes) -> std::optional<QString> {
        if (QFileInfo(path).isDir())
            return QStringLiteral("%1 is a directory").arg(path);
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        if (!f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner))
            return QStringLiteral("cannot restrict %1 to its owner").arg(path);
        f.write(bytes);
        if (!f.commit())
            return QStringLiteral("cannot write %1: %2").arg(path, f.errorString());
        return std::nullopt;
    };
    // No newline after the secret: a file read whole (e.g. curl's @file) is the secret.
    if (const auto bad = write(secretFile, app.secret.toUtf8()))
        return fail(*bad);
    if (const auto bad = write(file, QJsonDocument(root).toJson(QJsonDocument::Indented)))
        return fail(*bad);
    return true;
}

} // namespace Elevate::Emulator

// SPDX-License-Identifier: GPL-3.0-or-later
// The Entra ID v2 part of the emulator: discovery, authorize (sign-in page or auto sign-in), token
// (authorization_code with PKCE, refresh_token with rotation, device_code) and Entra's error bodies.

#include "emulator_p.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

namespace Elevate::Emulator {

namespace {

const QString kGraph = QStringLiteral("https://graph.microsoft.com/");
const QStringList kOidc = {QStringLiteral("openid"), QStringLiteral("profile"),
                           QStringLiteral("offline_access"), QStringLiteral("email")};

QByteArray b64url(const QByteArray &b)
{
    return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

/// The page chrome shared by the sign-in, device-login and error pages.
QString page(const QString &title, const QString &body)
{
    return QStringLiteral(
               "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%1</title>"
               "<meta name=\"viewport\" content=\"width=device-width\"><style>"
               "body{font-family:system-ui,sans-serif;background:#f3f2f1;margin:0;color:#1b1b1b}"
               ".card{max-width:420px;margin:8vh auto;background:#fff;padding:32px 40px;border-radius:6px;"
               "box-shadow:0 2px 8px rgba(0,0,0,.15)}h1{font-size:22px;font-weight:600;margin:0 0 8px}"
               ".note{font-size:12px;color:#8a5a00;background:#fff4ce;padding:6px 10px;border-radius:4px}"
               "button{display:block;width:100%;text-align:left;padding:10px 14px;margin:8px 0;border:1px "
               "solid #ccc;"
               "border-radius:4px;background:#fff;font-size:15px;cursor:pointer}button:hover{background:#"
               "f0f6ff}"
               "button small{display:block;color:#666}.decline{text-align:center;color:#a4262c}"
               "input{font-size:18px;padding:8px;width:100%;box-sizing:border-box;letter-spacing:2px}"
               ".err{color:#a4262c}</style></head><body><div class=\"card\">"
               "<p class=\"note\">Elevate emulator — not Microsoft. A local test "
               "bed.</p>%2</div></body></html>")
        .arg(esc(title), body);
}

/// Entra form-encodes error descriptions in redirects: '+' for spaces, lower-case %xx.
QString entraFormEncode(const QString &s)
{
    QString out;
    for (const char c : s.toUtf8()) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~')
            out += QLatin1Char(c);
        else if (c == ' ')
            out += u'+';
        else
            out += QStringLiteral("%%1").arg(u, 2, 16, QLatin1Char('0'));
    }
    return out;
}

/// The redirect target with parameters appended, built as text: a QUrl round trip would upper-case
/// the %xx escapes that Entra sends in lower case.
QString withQuery(const QUrl &url, const QList<QPair<QString, QString>> &params, bool entraEncoding = false)
{
    QString out = url.toString(QUrl::FullyEncoded);
    bool first = !out.contains(u'?');
    for (const auto &p : params) {
        out += first ? u'?' : u'&';
        first = false;
        out += p.first + u'='
            + (entraEncoding ? entraFormEncode(p.second)
                             : QString::fromLatin1(QUrl::toPercentEncoding(p.second)));
    }
    return out;
}

/// What `.default` grants when a scenario lists no consent (which then refuses no scope): Elevate's
/// default scopes and the one "Sync to AWS now" asks for.
const QStringList kDefaultConsent
    = {QStringLiteral("User.Read"), QStringLiteral("PrivilegedEligibilitySchedule.Read.AzureADGroup"),
       QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"),
       QStringLiteral("RoleManagementPolicy.Read.AzureADGroup"),
       QStringLiteral("Synchronization.ReadWrite.All")};

const QString kConsentMissing
    = QStringLiteral("The user or administrator has not consented to use the application with ID '%1' named "
                     "'Elevate'. Send an interactive authorization request for this user and resource.");

QStringList splitScopes(const QString &s)
{
    return s.split(u' ', Qt::SkipEmptyParts);
}

/// The authentication context class references an OIDC `claims` parameter asks for:
/// {"access_token":{"acrs":{"essential":true,"value":"c1"}}} (or "values": [...]).
QStringList acrsFromClaims(const QString &claims)
{
    QStringList out;
    if (claims.isEmpty())
        return out;
    const QByteArray bytes = claims.toUtf8();
    const Json j = Json::parse(bytes.constBegin(), bytes.constEnd(), nullptr, false);
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_object())
        return out;
    const Json &at = j["access_token"];
    if (!at.contains("acrs") || !at["acrs"].is_object())
        return out;
    const Json &acrs = at["acrs"];
    if (acrs.contains("value") && acrs["value"].is_string())
        out << QString::fromStdString(acrs["value"].get<std::string>());
    if (acrs.contains("values") && acrs["values"].is_array())
        for (const auto &v : acrs["values"])
            if (v.is_string())
                out << QString::fromStdString(v.get<std::string>());
    out.removeDuplicates();
    return out;
}

} // namespace

bool Emulator::Private::parseAppConsent(const Json &app, QString *error)
{
    consentedScopes.clear(); // no list: every scope is consented, nothing changes for older scenarios
    if (!app.contains("consentedScopes"))
        return true;
    const Json &list = app["consentedScopes"];
    if (!list.is_array()) {
        if (error)
            *error = QStringLiteral("app.consentedScopes is a list of Microsoft Graph scope names");
        return false;
    }
    for (const auto &v : list) {
        if (!v.is_string() || v.get<std::string>().empty()) {
            if (error)
                *error = QStringLiteral("app.consentedScopes is a list of Microsoft Graph scope names");
            return false;
        }
        QString scope = QString::fromStdString(v.get<std::string>());
        if (scope.startsWith(kGraph))
            scope = scope.mid(kGraph.size());
        consentedScopes << scope;
    }
    return true;
}

QStringList Emulator::Private::unconsentedScopes(const QStringList &scopes) const
{
    QStringList out;
    if (consentedScopes.isEmpty())
        return out;
    for (const auto &s : scopes) {
        if (!s.startsWith(kGraph))
            continue; // OIDC scopes, and other resources' /.default
        const QString name = s.mid(kGraph.size());
        if (name != u".default" && !consentedScopes.contains(name, Qt::CaseInsensitive))
            out << s;
    }
    return out;
}

bool Emulator::Private::tenantMatches(const QString &tenant) const
{
    return tenant == tenantId || tenant == tenantDomain || tenant == u"organizations" || tenant == u"common";
}

bool Emulator::Private::redirectUriRegistered(const QString &uri) const
{
    const QUrl want(uri, QUrl::StrictMode);
    if (!want.isValid() || want.hasFragment())
        return false;
    auto normPath = [](const QUrl &u) { return u.path().isEmpty() ? QStringLiteral("/") : u.path(); };
    for (const auto &reg : redirectUris) {
        const QUrl have(reg);
        const bool loopback
            = have.scheme() == u"http" && (have.host() == u"localhost" || have.host() == u"127.0.0.1");
        // Loopback registrations match any port; host is compared as a string; the path exactly.
        if (want.scheme() == have.scheme() && want.host() == have.host() && normPath(want) == normPath(have)
            && (loopback || want.port() == have.port()) && !want.hasQuery())
            return true;
    }
    return false;
}

QString Emulator::Private::makeJwt(const Json &payload) const
{
    // Real Entra signs RS256 and clients must treat access tokens as opaque; the emulator signs HS256
    // with a per-process key, which is enough for its own checks.
    const QByteArray header = b64url(R"({"typ":"JWT","alg":"HS256","kid":"emulator"})");
    const QByteArray body = b64url(QByteArray::fromStdString(payload.dump()));
    const QByteArray sig
        = QMessageAuthenticationCode::hash(header + '.' + body, signingKey, QCryptographicHash::Sha256);
    return QString::fromLatin1(header + '.' + body + '.' + b64url(sig));
}

Reply Emulator::Private::entraError(const Request &r, const QString &error, int code,
                                    const QString &description, int status, const QString &suberror)
{
    const QString trace = newGuid();
    QString correlation = QString::fromLatin1(r.header("client-request-id"));
    if (correlation.isEmpty())
        correlation = newGuid();
    const QString timestamp = now().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) + u'Z';
    Json j = {{"error", error.toStdString()},
              {"error_description",
               QStringLiteral("AADSTS%1: %2 Trace ID: %3 Correlation ID: %4 Timestamp: %5")
                   .arg(code)
                   .arg(description, trace, correlation, timestamp)
                   .toStdString()},
              {"error_codes", Json::array({code})},
              {"timestamp", timestamp.toStdString()},
              {"trace_id", trace.toStdString()},
              {"correlation_id", correlation.toStdString()},
              {"error_uri",
               QStringLiteral("https://login.microsoftonline.com/error?code=%1").arg(code).toStdString()}};
    if (!suberror.isEmpty())
        j["suberror"] = suberror.toStdString();
    return Reply::json(j, status);
}

namespace {
/// A field of a form body, decoded.
QString field(const QUrlQuery &form, const char *key)
{
    return form.queryItemValue(QString::fromLatin1(key), QUrl::FullyDecoded);
}
} // namespace

const Routes &Emulator::Private::entraRoutes()
{
    using M = QHttpServerRequest::Method;
    static const Routes routes = [] {
        auto tenantRoute = [](Reply (Private::*handler)(const Request &, const QString &)) {
            return [handler](Private &d, const Request &r, const RouteParams &p) {
                return (d.*handler)(r, p.value(QStringLiteral("tenant")));
            };
        };
        Routes t;
        t.add(AnyMethod, QStringLiteral("devicelogin/**"), &Private::deviceLogin, ErrorShape::Page);
        t.add(M::Post, QStringLiteral("signin/**"), &Private::signInPost, ErrorShape::Page);
        t.add(
            AnyMethod, QStringLiteral("{tenant}/v2.0/.well-known/openid-configuration"),
            [](Private &d, const Request &, const RouteParams &p) {
                return d.discovery(p.value(QStringLiteral("tenant")));
            },
            ErrorShape::Page);
        t.add(AnyMethod, QStringLiteral("{tenant}/oauth2/v2.0/authorize"), tenantRoute(&Private::authorize),
              ErrorShape::Page);
        t.add(AnyMethod, QStringLiteral("{tenant}/oauth2/v2.0/token"), tenantRoute(&Private::token),
              ErrorShape::EntraOAuth);
        t.add(AnyMethod, QStringLiteral("{tenant}/oauth2/v2.0/devicecode"), tenantRoute(&Private::deviceCode),
              ErrorShape::EntraOAuth);
        t.add(
            AnyMethod, QStringLiteral("{tenant}/discovery/v2.0/keys"),
            [](Private &, const Request &, const RouteParams &) {
                return Reply::json(
                    {{"keys", Json::array()}}); // HS256-signed tokens: no public keys to publish
            },
            ErrorShape::Page);
        return t;
    }();
    return routes;
}

Reply Emulator::Private::discovery(const QString &tenant)
{
    if (!tenantMatches(tenant))
        return Reply::json({{"error", "invalid_tenant"},
                            {"error_description", "AADSTS90002: Tenant not found."},
                            {"error_codes", {90002}}},
                           400);
    const std::string root = QString(base.toString() + u'/' + tenant).toStdString();
    const std::string issuerTenant
        = (tenant == u"organizations" || tenant == u"common") ? "{tenantid}" : tenantId.toStdString();
    return Reply::json({{"issuer", base.toString().toStdString() + "/" + issuerTenant + "/v2.0"},
                        {"authorization_endpoint", root + "/oauth2/v2.0/authorize"},
                        {"token_endpoint", root + "/oauth2/v2.0/token"},
                        {"device_authorization_endpoint", root + "/oauth2/v2.0/devicecode"},
                        {"end_session_endpoint", root + "/oauth2/v2.0/logout"},
                        {"jwks_uri", root + "/discovery/v2.0/keys"},
                        {"response_types_supported", {"code"}},
                        {"response_modes_supported", {"query", "form_post"}},
                        {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
                        {"subject_types_supported", {"pairwise"}},
                        {"id_token_signing_alg_values_supported", {"RS256"}},
                        {"code_challenge_methods_supported", {"S256", "plain"}},
                        {"tenant_region_scope", "EU"},
                        {"cloud_instance_name", "emulator.local"}});
}

Reply Emulator::Private::authorize(const Request &r, const QString &tenant)
{
    const QUrlQuery &q = r.query;
    auto param = [&q](const char *k) { return q.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    auto errorPage = [](int code, const QString &text) {
        return Reply::html(page(QStringLiteral("Sign in"),
                                QStringLiteral("<h1>Sorry, but we're having trouble signing you in.</h1><p "
                                               "class=\"err\">AADSTS%1: %2</p>")
                                    .arg(code)
                                    .arg(esc(text))),
                           400);
    };
    if (!tenantMatches(tenant))
        return errorPage(90002, QStringLiteral("Tenant '%1' not found.").arg(tenant));
    if (param("client_id") != clientId)
        return errorPage(700016,
                         QStringLiteral("Application with identifier '%1' was not found in the directory.")
                             .arg(param("client_id")));
    const QString redirectUri = param("redirect_uri");
    if (!redirectUriRegistered(redirectUri))
        return errorPage(50011,
                         QStringLiteral("The redirect URI '%1' specified in the request does not match the "
                                        "redirect URIs configured for the application.")
                             .arg(redirectUri));
    const QUrl redirect(redirectUri);
    const QString state = param("state");
    auto errorRedirect = [&](const QString &error, const QString &description) {
        QList<QPair<QString, QString>> p {{QStringLiteral("error"), error},
                                          {QStringLiteral("error_description"), description}};
        if (!state.isEmpty())
            p.append({QStringLiteral("state"), state});
        return Reply::redirect(withQuery(redirect, p, true));
    };
    if (param("response_type") != u"code")
        return errorRedirect(QStringLiteral("unsupported_response_type"),
                             QStringLiteral("AADSTS700054: response_type 'code' is required for this app."));
    if (param("code_challenge").isEmpty())
        return errorRedirect(QStringLiteral("invalid_request"),
                             QStringLiteral("AADSTS9002325: Proof Key for Code Exchange is required for "
                                            "cross-origin authorization code redemption."));
    const QString method = param("code_challenge_method");
    if (!method.isEmpty() && method != u"S256" && method != u"plain")
        return errorRedirect(QStringLiteral("invalid_request"),
                             QStringLiteral("AADSTS501491: Invalid code_challenge_method."));
    if (const QStringList missing = unconsentedScopes(splitScopes(param("scope"))); !missing.isEmpty())
        return errorRedirect(QStringLiteral("consent_required"),
                             QStringLiteral("AADSTS65001: ") + kConsentMissing.arg(clientId));
    const User *hinted = userByUpn(param("login_hint"));
    const User *autoUser = hinted ? hinted : userByUpn(autoSignInUpn);
    if (param("prompt") == u"none" && !autoUser)
        return errorRedirect(
            QStringLiteral("login_required"),
            QStringLiteral("AADSTS50058: A silent sign-in request was sent but no user is signed in."));
    if (!autoSignInUpn.isEmpty() && autoUser)
        return completeSignIn(q, *autoUser);

    // The sign-in page: the parameters stay here; the form only carries an opaque id.
    const QString id = randomToken(18);
    pendingSignIns.insert(id, q);
    QString buttons;
    for (const auto &u : users)
        buttons += QStringLiteral("<button name=\"user\" value=\"%1\">%2<small>%3</small></button>")
                       .arg(esc(u.id), esc(u.displayName), esc(u.upn));
    const QString body
        = QStringLiteral("<h1>Pick an account</h1><p>Sign in to <b>%1</b> as one of the scenario's "
                         "users.</p><form method=\"post\" action=\"/signin\">"
                         "<input type=\"hidden\" name=\"pending\" value=\"%2\">%3"
                         "<button class=\"decline\" name=\"decline\" value=\"1\">Decline</button>"
                         "</form>")
              .arg(esc(tenantName), esc(id), buttons);
    return Reply::html(page(QStringLiteral("Sign in to your account"), body));
}

Reply Emulator::Private::signInPost(const Request &r)
{
    const QUrlQuery form(QString::fromUtf8(r.body).replace(u'+', u' '));
    const QString id = form.queryItemValue(QStringLiteral("pending"), QUrl::FullyDecoded);
    if (!pendingSignIns.contains(id))
        return Reply::html(
            page(QStringLiteral("Sign in"),
                 QStringLiteral("<h1>This sign-in has expired.</h1><p>Start again from the app.</p>")),
            400);
    const QUrlQuery params = pendingSignIns.take(id);
    if (!form.queryItemValue(QStringLiteral("decline")).isEmpty()) {
        QList<QPair<QString, QString>> p {
            {QStringLiteral("error"), QStringLiteral("access_denied")},
            {QStringLiteral("error_description"),
             QStringLiteral("AADSTS65004: User declined to consent to access the app.")},
            {QStringLiteral("error_uri"),
             QStringLiteral("https://login.microsoftonline.com/error?code=65004")}};
        const QString state = params.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded);
        if (!state.isEmpty())
            p.append({QStringLiteral("state"), state});
        return Reply::redirect(withQuery(
            QUrl(params.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded)), p, true));
    }
    const User *user = userById(form.queryItemValue(QStringLiteral("user"), QUrl::FullyDecoded));
    if (!user)
        return Reply::html(page(QStringLiteral("Sign in"), QStringLiteral("<h1>Unknown user.</h1>")), 400);
    return completeSignIn(params, *user);
}

Reply Emulator::Private::completeSignIn(const QUrlQuery &q, const User &user)
{
    auto param = [&q](const char *k) { return q.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    const QString code = QStringLiteral("1.AXo") + randomToken(48);
    AuthCode c;
    c.userId = user.id;
    c.clientId = param("client_id");
    c.redirectUri = param("redirect_uri");
    c.challenge = param("code_challenge");
    c.challengeMethod
        = param("code_challenge_method").isEmpty() ? QStringLiteral("plain") : param("code_challenge_method");
    c.nonce = param("nonce");
    c.scopes = splitScopes(param("scope"));
    // A sign-in that answers a claims challenge satisfies the authentication context it names (the
    // emulator has no Conditional Access: asking is enough) and counts as multi-factor.
    c.acrs = acrsFromClaims(param("claims"));
    c.mfa = !c.acrs.isEmpty() || param("amr_values").split(u' ').contains(u"mfa");
    c.expires = now().addSecs(600);
    codes.insert(code, c);
    QList<QPair<QString, QString>> p {{QStringLiteral("code"), code}};
    if (!param("state").isEmpty())
        p.append({QStringLiteral("state"), param("state")});
    p.append({QStringLiteral("session_state"), newGuid()});
    if (param("client_info") == u"1")
        p.append({QStringLiteral("client_info"),
                  QString::fromLatin1(b64url(QByteArray::fromStdString(
                      Json {{"uid", user.id.toStdString()}, {"utid", tenantId.toStdString()}}.dump())))});
    return Reply::redirect(withQuery(QUrl(c.redirectUri), p));
}

Reply Emulator::Private::issueTokens(const QString &userId, const QString &client, const QStringList &scopes,
                                     const QString &nonce, bool clientInfo, const QStringList &acrs, bool mfa)
{
    const User *user = userById(userId);
    if (!user)
        return Reply::json({{"error", "invalid_grant"}}, 400);
    QStringList resourceScopes;
    QStringList shortNames;
    for (const auto &s : scopes) {
        if (s.startsWith(kGraph)) {
            resourceScopes << s;
            shortNames << s.mid(kGraph.size());
        }
    }
    if (shortNames.contains(u".default") || shortNames.isEmpty()) {
        // `.default`: everything the tenant consented to
        shortNames = consentedScopes.isEmpty() ? kDefaultConsent : consentedScopes;
        resourceScopes.clear();
        for (const auto &s : shortNames)
            resourceScopes << kGraph + s;
    }
    const int lifetime = 3600 + int(QRandomGenerator::global()->bounded(1800));
    const QDateTime issued = now();
    Json payload
        = {{"aud", "https://graph.microsoft.com"},
           {"iss", QString(base.toString() + u'/' + tenantId + QStringLiteral("/v2.0")).toStdString()},
           {"tid", tenantId.toStdString()},
           {"oid", user->id.toStdString()},
           {"upn", user->upn.toStdString()},
           {"scp", shortNames.join(u' ').toStdString()},
           {"appid", client.toStdString()},
           {"amr", mfa ? Json::array({"pwd", "mfa"}) : Json::array({"pwd"})},
           {"iat", issued.toSecsSinceEpoch()},
           {"exp", issued.addSecs(lifetime).toSecsSinceEpoch()},
           {"uti", randomToken(9).toStdString()}};
    if (!acrs.isEmpty()) {
        payload["acrs"] = Json::array();
        for (const auto &a : acrs)
            payload["acrs"].push_back(a.toStdString());
    }
    const QString at = makeJwt(payload);
    accessTokens.insert(
        at, AccessToken {user->id, shortNames, issued.addSecs(lifetime), acrs, mfa, false, {}, {}});
    Json out = {{"token_type", "Bearer"},
                {"scope", resourceScopes.join(u' ').toStdString()},
                {"expires_in", lifetime},
                {"ext_expires_in", lifetime},
                {"access_token", at.toStdString()}};
    if (scopes.contains(u"offline_access")) {
        const QString rt = QStringLiteral("1.AXoA") + randomToken(96);
        refreshTokens.insert(rt, RefreshToken {user->id, client, scopes, issued, false, mfa});
        out["refresh_token"] = rt.toStdString();
    }
    if (scopes.contains(u"openid")) {
        Json claims
            = {{"aud", client.toStdString()},
               {"iss", QString(base.toString() + u'/' + tenantId + QStringLiteral("/v2.0")).toStdString()},
               {"iat", issued.toSecsSinceEpoch()},
               {"nbf", issued.toSecsSinceEpoch()},
               {"exp", issued.addSecs(3600).toSecsSinceEpoch()},
               {"name", user->displayName.toStdString()},
               {"oid", user->id.toStdString()},
               {"preferred_username", user->upn.toStdString()},
               {"sub", randomToken(24).toStdString()},
               {"tid", tenantId.toStdString()},
               {"ver", "2.0"}};
        if (!nonce.isEmpty())
            claims["nonce"] = nonce.toStdString();
        const QString idt = makeJwt(claims);
        idTokens << idt;
        out["id_token"] = idt.toStdString();
    }
    if (clientInfo)
        out["client_info"]
            = b64url(QByteArray::fromStdString(
                         Json {{"uid", user->id.toStdString()}, {"utid", tenantId.toStdString()}}.dump()))
                  .toStdString();
    return Reply::json(out);
}

Reply Emulator::Private::token(const Request &r, const QString &tenant)
{
    if (r.method != QHttpServerRequest::Method::Post)
        return entraError(r, QStringLiteral("invalid_request"), 900561,
                          QStringLiteral("The endpoint only accepts POST requests. Received a GET request."));
    if (!r.header("content-type").startsWith("application/x-www-form-urlencoded"))
        return entraError(
            r, QStringLiteral("invalid_request"), 900144,
            QStringLiteral("The request body must contain the following parameter: 'grant_type'."));
    if (!tenantMatches(tenant))
        return entraError(r, QStringLiteral("invalid_request"), 90002, QStringLiteral("Tenant not found."));
    const QUrlQuery form(QString::fromUtf8(r.body).replace(u'+', QStringLiteral("%20")));
    auto param
        = [&form](const char *k) { return form.queryItemValue(QString::fromLatin1(k), QUrl::FullyDecoded); };
    auto has = [&form](const char *k) { return form.hasQueryItem(QString::fromLatin1(k)); };
    // A confidential application (or a client_credentials grant for any other client id): bridge.cpp.
    if (param("client_id") != clientId
        && (param("grant_type") == u"client_credentials" || applicationById(param("client_id"))))
        return clientCredentials(r, form);
    if (has("client_secret") || has("client_assertion"))
        return entraError(
            r, QStringLiteral("invalid_client"), 700025,
            QStringLiteral("Client is public so neither 'client_assertion' nor 'client_secret' should "
                           "be presented."),
            401);
    if (param("client_id") != clientId)
        return entraError(r, QStringLiteral("unauthorized_client"), 700016,
                          QStringLiteral("Application with identifier '%1' was not found in the directory.")
                              .arg(param("client_id")));
    const QStringList scopes = splitScopes(param("scope"));
    QSet<QString> resources;
    for (const auto &s : scopes)
        if (!kOidc.contains(s))
            resources.insert(s.startsWith(kGraph) ? kGraph : s.section(u'/', 0, -2));
    if (resources.size() > 1)
        return entraError(
            r, QStringLiteral("invalid_scope"), 700022,
            QStringLiteral("The provided value for the input parameter scope is not valid because it "
                           "contains more than one resource."));
    const bool clientInfo = param("client_info") == u"1";
    const QString grant = param("grant_type");
    if (!unconsentedScopes(scopes).isEmpty())
        return entraError(r, QStringLiteral("invalid_grant"), 65001, kConsentMissing.arg(clientId), 400,
                          QStringLiteral("consent_required"));

    if (grant == u"authorization_code")
        return redeemCode(r, form, scopes, clientInfo);
    if (grant == u"refresh_token")
        return redeemRefreshToken(r, form, scopes, clientInfo);
    if (grant == u"urn:ietf:params:oauth:grant-type:device_code")
        return redeemDeviceCode(r, form, clientInfo);
    return entraError(r, QStringLiteral("unsupported_grant_type"), 70003,
                      QStringLiteral("The app requested an unsupported grant type '%1'.").arg(grant));
}

Reply Emulator::Private::redeemCode(const Request &r, const QUrlQuery &form, const QStringList &scopes,
                                    bool clientInfo)
{
    const QString code = field(form, "code");
    auto it = codes.find(code);
    if (it == codes.end())
        return entraError(
            r, QStringLiteral("invalid_grant"), 70008,
            QStringLiteral("The provided authorization code or refresh token has expired due to "
                           "inactivity. Send a new interactive authorization request."));
    AuthCode &c = it.value();
    if (c.used)
        return entraError(
            r, QStringLiteral("invalid_grant"), 54005,
            QStringLiteral("OAuth2 Authorization code was already redeemed, please retry with a new "
                           "valid code or use an existing refresh token."));
    if (now() > c.expires)
        return entraError(
            r, QStringLiteral("invalid_grant"), 70008,
            QStringLiteral("The provided authorization code or refresh token has expired due to "
                           "inactivity. Send a new interactive authorization request."));
    if (c.clientId != field(form, "client_id"))
        return entraError(
            r, QStringLiteral("invalid_grant"), 700005,
            QStringLiteral("Provided Authorization Code is intended to use against other tenant or "
                           "client."));
    if (c.redirectUri != field(form, "redirect_uri"))
        // Entra answers a redemption whose redirect_uri differs from the authorize request this way.
        return entraError(r, QStringLiteral("invalid_grant"), 500112,
                          QStringLiteral("The reply address does not match the reply address provided when "
                                         "requesting Authorization code."));
    const QString verifier = field(form, "code_verifier");
    const QString expected = c.challengeMethod == u"S256" ? QString::fromLatin1(b64url(
                                 QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)))
                                                          : verifier;
    if (verifier.isEmpty() || expected != c.challenge)
        return entraError(
            r, QStringLiteral("invalid_grant"), 501481,
            QStringLiteral("The Code_Verifier does not match the code_challenge supplied in the "
                           "authorization request."));
    c.used = true;
    // The claims may come with the authorize request, the redemption, or both.
    QStringList acrs = c.acrs + acrsFromClaims(field(form, "claims"));
    acrs.removeDuplicates();
    return issueTokens(c.userId, c.clientId, scopes.isEmpty() ? c.scopes : scopes, c.nonce, clientInfo, acrs,
                       c.mfa || !acrs.isEmpty());
}

Reply Emulator::Private::redeemRefreshToken(const Request &r, const QUrlQuery &form,
                                            const QStringList &scopes, bool clientInfo)
{
    auto it = refreshTokens.find(field(form, "refresh_token"));
    if (it == refreshTokens.end() || it->clientId != field(form, "client_id"))
        return entraError(r, QStringLiteral("invalid_grant"), 70008,
                          QStringLiteral("The refresh token has expired or is invalid."));
    if (it->revoked)
        return entraError(
            r, QStringLiteral("invalid_grant"), 50173,
            QStringLiteral("The provided grant has expired due to it being revoked, a fresh auth "
                           "token is needed."));
    if (it->lastUsed.secsTo(now()) > refreshTokenInactivitySecs)
        return entraError(r, QStringLiteral("invalid_grant"), 700082,
                          QStringLiteral("The refresh token has expired due to inactivity."));
    if (!acrsFromClaims(field(form, "claims")).isEmpty())
        // An authentication context needs the user at the keyboard: no silent step-up.
        return entraError(
            r, QStringLiteral("invalid_grant"), 50076,
            QStringLiteral("Due to a configuration change made by your administrator, or because you moved "
                           "to a new location, you must use multi-factor authentication to access "
                           "'00000003-0000-0000-c000-000000000000'."),
            400, QStringLiteral("basic_action"));
    it->lastUsed = now(); // the old token stays valid, as Entra's do
    QStringList granted = scopes;
    if (!granted.contains(u"offline_access"))
        granted << QStringLiteral("offline_access");
    return issueTokens(it->userId, it->clientId, granted, {}, clientInfo, {}, it->mfa);
}

Reply Emulator::Private::redeemDeviceCode(const Request &r, const QUrlQuery &form, bool clientInfo)
{
    auto it = deviceCodes.find(field(form, "device_code"));
    if (it == deviceCodes.end())
        return entraError(r, QStringLiteral("bad_verification_code"), 70019,
                          QStringLiteral("Verification code is not valid."));
    DeviceCode &dc = it.value();
    if (now() > dc.expires)
        return entraError(
            r, QStringLiteral("expired_token"), 70020,
            QStringLiteral("The provided value for the input parameter 'device_code' is expired."));
    if (dc.status == DeviceCode::Status::Declined)
        return entraError(r, QStringLiteral("authorization_declined"), 70018,
                          QStringLiteral("The user declined the authorization request."));
    const bool tooFast
        = dc.lastPoll.isValid() && dc.lastPoll.msecsTo(now()) < qint64(dc.interval) * 1000 - 500;
    dc.lastPoll = now();
    if (dc.status == DeviceCode::Status::Pending && !autoSignInUpn.isEmpty() && userByUpn(autoSignInUpn)) {
        dc.status = DeviceCode::Status::Approved; // the scripted user completes it by the first poll
        dc.userId = userByUpn(autoSignInUpn)->id;
        return entraError(
            r, QStringLiteral("authorization_pending"), 70016,
            QStringLiteral("OAuth 2.0 device flow error. Authorization is pending. Continue polling."));
    }
    if (tooFast)
        return entraError(r, QStringLiteral("slow_down"), 70016,
                          QStringLiteral("Polling too fast. Slow down."));
    if (dc.status == DeviceCode::Status::Pending)
        return entraError(
            r, QStringLiteral("authorization_pending"), 70016,
            QStringLiteral("OAuth 2.0 device flow error. Authorization is pending. Continue polling."));
    const QString userId = dc.userId;
    const QStringList dcScopes = dc.scopes;
    const QString dcClient = dc.clientId;
    deviceCodes.erase(it);
    return issueTokens(userId, dcClient, dcScopes, {}, clientInfo);
}

Reply Emulator::Private::deviceCode(const Request &r, const QString &tenant)
{
    if (r.method != QHttpServerRequest::Method::Post)
        return entraError(r, QStringLiteral("invalid_request"), 900561,
                          QStringLiteral("The endpoint only accepts POST requests. Received a GET request."));
    if (!tenantMatches(tenant))
        return entraError(r, QStringLiteral("invalid_request"), 90002, QStringLiteral("Tenant not found."));
    const QUrlQuery form(QString::fromUtf8(r.body).replace(u'+', QStringLiteral("%20")));
    if (form.queryItemValue(QStringLiteral("client_id")) != clientId)
        return entraError(r, QStringLiteral("unauthorized_client"), 700016,
                          QStringLiteral("Application was not found in the directory."));
    if (!allowPublicClientFlows)
        return entraError(
            r, QStringLiteral("invalid_client"), 7000218,
            QStringLiteral("The request body must contain the following parameter: 'client_assertion' "
                           "or 'client_secret'."),
            401);
    static const char alphabet[] = "BCDFGHJKLMNPQRSTVWXZ23456789";
    QString userCode;
    for (int i = 0; i < 9; ++i)
        userCode += QLatin1Char(alphabet[QRandomGenerator::system()->bounded(int(sizeof(alphabet) - 1))]);
    const QString device = QStringLiteral("DAQABAAEAAAD") + randomToken(64);
    DeviceCode dc;
    dc.userCode = userCode;
    dc.clientId = clientId;
    dc.scopes = splitScopes(form.queryItemValue(QStringLiteral("scope"), QUrl::FullyDecoded));
    dc.expires = now().addSecs(900);
    dc.interval = deviceCodeInterval;
    deviceCodes.insert(device, dc);
    const QString uri = base.toString() + QStringLiteral("/devicelogin");
    return Reply::json({{"user_code", userCode.toStdString()},
                        {"device_code", device.toStdString()},
                        {"verification_uri", uri.toStdString()},
                        {"expires_in", 900},
                        {"interval", deviceCodeInterval},
                        {"message",
                         QStringLiteral("To sign in, use a web browser to open the page %1 and enter the "
                                        "code %2 to authenticate.")
                             .arg(uri, userCode)
                             .toStdString()}});
}

Reply Emulator::Private::deviceLogin(const Request &r)
{
    if (r.method == QHttpServerRequest::Method::Post) {
        const QUrlQuery form(QString::fromUtf8(r.body).replace(u'+', u' '));
        const QString code
            = form.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded).trimmed().toUpper();
        const User *user = userById(form.queryItemValue(QStringLiteral("user"), QUrl::FullyDecoded));
        for (auto &dc : deviceCodes) {
            if (dc.userCode == code && dc.status == DeviceCode::Status::Pending) {
                if (!form.queryItemValue(QStringLiteral("decline")).isEmpty()) {
                    dc.status = DeviceCode::Status::Declined;
                    return Reply::html(
                        page(QStringLiteral("Device sign-in"), QStringLiteral("<h1>Declined.</h1>")));
                }
                if (!user)
                    break;
                dc.status = DeviceCode::Status::Approved;
                dc.userId = user->id;
                return Reply::html(
                    page(QStringLiteral("Device sign-in"),
                         QStringLiteral("<h1>You have signed in.</h1><p>You can close this window and "
                                        "return to the application.</p>")));
            }
        }
        return Reply::html(
            page(QStringLiteral("Device sign-in"),
                 QStringLiteral("<h1>That code didn't work.</h1><p class=\"err\">Check the code and try "
                                "again.</p>")),
            400);
    }
    QString buttons;
    for (const auto &u : users)
        buttons += QStringLiteral("<button name=\"user\" value=\"%1\">%2<small>%3</small></button>")
                       .arg(esc(u.id), esc(u.displayName), esc(u.upn));
    return Reply::html(
        page(QStringLiteral("Enter code"),
             QStringLiteral("<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>"
                            "<form method=\"post\" action=\"/devicelogin\"><input name=\"code\" "
                            "autofocus placeholder=\"Code\"><p>Then pick the account:</p>%1"
                            "<button class=\"decline\" name=\"decline\" value=\"1\">Decline</button>"
                            "</form>")
                 .arg(buttons)));
}

} // namespace Elevate::Emulator

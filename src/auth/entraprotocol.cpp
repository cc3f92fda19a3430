// SPDX-License-Identifier: GPL-3.0-or-later
#include "entraprotocol.h"

#include "net/json.h"

#include <QRegularExpression>
#include <QUrlQuery>

namespace Elevate::Auth {

using Core::Error;

QUrl endpoint(const Core::AppConfig &config, const QString &name)
{
    return QUrl(config.authorityHost + u'/' + QString::fromLatin1(QUrl::toPercentEncoding(config.tenant))
                + QStringLiteral("/oauth2/v2.0/") + name);
}

QStringList signInScopes(const Core::AppConfig &config)
{
    return QStringList {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("offline_access")}
    + config.qualifiedGraphScopes();
}

QUrl authorizeUrl(const Core::AppConfig &config, const AuthorizationRequest &request)
{
    QList<QPair<QString, QString>> p {
        {QStringLiteral("client_id"), config.clientId},
        {QStringLiteral("response_type"), QStringLiteral("code")},
        {QStringLiteral("redirect_uri"), request.redirectUri},
        {QStringLiteral("response_mode"), QStringLiteral("query")},
        {QStringLiteral("scope"), signInScopes(config).join(u' ')},
        {QStringLiteral("state"), QString::fromLatin1(request.state)},
        {QStringLiteral("nonce"), QString::fromLatin1(request.nonce)},
        {QStringLiteral("code_challenge"), QString::fromLatin1(request.codeChallenge)},
        {QStringLiteral("code_challenge_method"), QStringLiteral("S256")},
        {QStringLiteral("client_info"), QStringLiteral("1")}};
    if (!request.loginHint.isEmpty())
        p.append({QStringLiteral("login_hint"), request.loginHint});
    if (!request.claims.isEmpty())
        p.append({QStringLiteral("claims"), request.claims});
    if (!request.amrValues.isEmpty())
        p.append({QStringLiteral("amr_values"), request.amrValues.join(u' ')});
    QUrl url = endpoint(config, QStringLiteral("authorize"));
    // Percent-encode every value ourselves: '+' and JSON punctuation must survive (entra-auth.md §9.2 #7-8).
    url.setQuery(QString::fromLatin1(Net::formEncode(p)), QUrl::StrictMode);
    return url;
}

Net::HttpRequest codeRedemption(const Core::AppConfig &config, const AuthorizationRequest &request,
                                const QString &code)
{
    QList<QPair<QString, QString>> f {
        {QStringLiteral("client_id"), config.clientId},
        {QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
        {QStringLiteral("code"), code},
        {QStringLiteral("redirect_uri"), request.redirectUri},
        {QStringLiteral("code_verifier"), QString::fromLatin1(request.codeVerifier)},
        {QStringLiteral("scope"), signInScopes(config).join(u' ')},
        {QStringLiteral("client_info"), QStringLiteral("1")}};
    if (!request.claims.isEmpty())
        f.append({QStringLiteral("claims"), request.claims});
    return Net::HttpRequest::postForm(endpoint(config, QStringLiteral("token")), f)
        .withHeader("client-request-id", Net::HttpClient::newRequestId());
}

Net::HttpRequest refreshRequest(const Core::AppConfig &config, const QString &refreshToken,
                                const QStringList &scopes, const QString &claims)
{
    // Public client: no secret, no redirect_uri (entra-auth.md §2.5).
    QList<QPair<QString, QString>> fields = {{QStringLiteral("client_id"), config.clientId},
                                             {QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                                             {QStringLiteral("refresh_token"), refreshToken},
                                             {QStringLiteral("scope"), scopes.join(u' ')},
                                             {QStringLiteral("client_info"), QStringLiteral("1")}};
    if (!claims.isEmpty())
        fields.append({QStringLiteral("claims"), claims});
    return Net::HttpRequest::postForm(endpoint(config, QStringLiteral("token")), fields)
        .withHeader("client-request-id", Net::HttpClient::newRequestId());
}

QString mergeClientCapabilities(const QString &claims)
{
    auto parsed = Net::parseJson(claims.toUtf8());
    Net::Json j = parsed.ok() && parsed.value().is_object() ? parsed.value() : Net::Json::object();
    if (!j.contains("access_token") || !j["access_token"].is_object())
        j["access_token"] = Net::Json::object();
    j["access_token"]["xms_cc"] = {{"values", {"cp1"}}};
    return QString::fromStdString(j.dump());
}

ClaimsRequest splitClaimsRequest(const QString &claims)
{
    auto parsed = Net::parseJson(claims.toUtf8());
    if (!parsed.ok() || !parsed.value().is_object())
        return {claims, {}};
    Net::Json j = parsed.value();
    if (!j.contains("access_token") || !j["access_token"].is_object() || !j["access_token"].contains("amr"))
        return {claims, {}};
    ClaimsRequest out;
    const Net::Json amr = j["access_token"]["amr"];
    if (amr.is_object() && amr.contains("values") && amr["values"].is_array())
        for (const auto &v : amr["values"])
            if (v.is_string())
                out.amrValues << QString::fromStdString(v.get<std::string>());
    j["access_token"].erase("amr");
    if (j["access_token"].empty())
        j.erase("access_token");
    if (!j.empty())
        out.claims = QString::fromStdString(j.dump());
    return out;
}

Net::HttpRequest deviceCodeRequest(const Core::AppConfig &config)
{
    return Net::HttpRequest::postForm(endpoint(config, QStringLiteral("devicecode")),
                                      {{QStringLiteral("client_id"), config.clientId},
                                       {QStringLiteral("scope"), signInScopes(config).join(u' ')}});
}

Net::HttpRequest deviceCodePoll(const Core::AppConfig &config, const QString &deviceCode)
{
    return Net::HttpRequest::postForm(
        endpoint(config, QStringLiteral("token")),
        {{QStringLiteral("grant_type"), QStringLiteral("urn:ietf:params:oauth:grant-type:device_code")},
         {QStringLiteral("client_id"), config.clientId},
         {QStringLiteral("device_code"), deviceCode},
         {QStringLiteral("client_info"), QStringLiteral("1")}});
}

QString oauthErrorCode(const Net::HttpResponse &response)
{
    const auto j = Net::parseJson(response.body);
    return j.ok() ? Net::jsonString(j.value(), "error") : QString();
}

bool isTransientTokenError(const Net::HttpResponse &response)
{
    if (!response.hasStatus())
        return response.transportError.kind == Error::Kind::Network
            || response.transportError.kind == Error::Kind::Timeout;
    if (response.isSuccess())
        return false;
    if (response.status == 429 || response.status >= 500)
        return true;
    const QString code = oauthErrorCode(response);
    return code == u"temporarily_unavailable" || code == u"server_error";
}

namespace {
Error entraTokenError(const Net::HttpResponse &response)
{
    if (!response.hasStatus())
        return response.transportError;
    const auto parsed = Net::parseJson(response.body);
    const QString error = parsed.ok() ? Net::jsonString(parsed.value(), "error") : QString();
    if (error.isEmpty()) {
        if (response.status >= 200 && response.status < 300)
            return Error::make(Error::Kind::Parse,
                               QStringLiteral("the token endpoint sent an unreadable answer"),
                               response.status);
        return Error::make(
            Error::Kind::Http,
            QStringLiteral("the token endpoint answered HTTP %1 without an OAuth error").arg(response.status),
            response.status);
    }
    const Net::Json &j = parsed.value();
    QString code;
    if (j.contains("error_codes") && j["error_codes"].is_array() && !j["error_codes"].empty()
        && j["error_codes"][0].is_number_integer())
        code = QStringLiteral("AADSTS%1").arg(j["error_codes"][0].get<qint64>());
    // The description without its trailing trace/correlation/timestamp noise.
    QString description = Net::jsonString(j, "error_description");
    const qsizetype trace = description.indexOf(QStringLiteral(" Trace ID:"));
    if (trace > 0)
        description.truncate(trace);
    description = description.trimmed();
    if (description.isEmpty())
        description = error;
    const QString suberror = Net::jsonString(j, "suberror");
    const bool interaction = error == u"interaction_required"
        || (error == u"invalid_grant" && suberror != u"client_mismatch"
            && suberror != u"protection_policy_required");
    Error e = Error::make(interaction ? Error::Kind::InteractionRequired : Error::Kind::Service, description,
                          response.status, code.isEmpty() ? error : code);
    e.claims = Net::jsonString(j, "claims");
    return e;
}

Error fromEntra(Error e)
{
    e.source = Error::Source::Entra;
    return e;
}
} // namespace

Error tokenError(const Net::HttpResponse &response)
{
    return fromEntra(entraTokenError(response));
}

Core::Result<TokenResponse> parseTokenResponse(const Net::HttpResponse &response)
{
    if (!response.isSuccess())
        return tokenError(response);
    const auto parsed = Net::parseJson(response.body);
    if (!parsed.ok()) {
        Error e = fromEntra(parsed.error());
        e.httpStatus = response.status;
        return e;
    }
    const Net::Json &j = parsed.value();
    TokenResponse t;
    t.accessToken = Net::jsonString(j, "access_token");
    t.refreshToken = Net::jsonString(j, "refresh_token");
    t.idToken = Net::jsonString(j, "id_token");
    t.clientInfo = Net::jsonString(j, "client_info");
    t.scope = Net::jsonString(j, "scope");
    t.expiresIn = Net::jsonInt(j, "expires_in").value_or(0);
    if (t.accessToken.isEmpty() || t.expiresIn <= 0)
        return fromEntra(Error::make(Error::Kind::Parse,
                                     QStringLiteral("the token response lacks access_token or expires_in")));
    return t;
}

Core::Result<DeviceCodeResponse> parseDeviceCodeResponse(const Net::HttpResponse &response)
{
    if (!response.isSuccess())
        return tokenError(response);
    const auto parsed = Net::parseJson(response.body);
    if (!parsed.ok())
        return fromEntra(parsed.error());
    const Net::Json &j = parsed.value();
    DeviceCodeResponse d;
    d.userCode = Net::jsonString(j, "user_code");
    d.deviceCode = Net::jsonString(j, "device_code");
    d.verificationUri = QUrl(Net::jsonString(j, "verification_uri"));
    d.message = Net::jsonString(j, "message");
    d.expiresIn = Net::jsonInt(j, "expires_in").value_or(900);
    d.interval = int(qBound<qint64>(qint64(1), Net::jsonInt(j, "interval").value_or(5), qint64(60)));
    if (d.userCode.isEmpty() || d.deviceCode.isEmpty() || !d.verificationUri.isValid())
        return fromEntra(
            Error::make(Error::Kind::Parse, QStringLiteral("the device code response is incomplete")));
    return d;
}

namespace {
Core::Result<Net::Json> decodeSegment(const QString &segment, const char *what)
{
    const QByteArray raw = QByteArray::fromBase64(segment.toLatin1(), QByteArray::Base64UrlEncoding);
    auto j = Net::parseJson(raw);
    if (!j.ok() || !j.value().is_object())
        return Error::make(Error::Kind::Parse,
                           QStringLiteral("the %1 cannot be decoded").arg(QLatin1String(what)));
    return j;
}
} // namespace

Core::Result<Core::Account> accountFromIdToken(const QString &idToken, const QString &clientInfo,
                                               const QString &clientId, const QByteArray &expectedNonce,
                                               const QString &configuredTenant)
{
    const QStringList parts = idToken.split(u'.');
    if (parts.size() != 3)
        return Error::make(Error::Kind::Parse, QStringLiteral("the id_token is not a JWT"));
    const auto claims = decodeSegment(parts.at(1), "id_token");
    if (!claims.ok())
        return claims.error();
    const Net::Json &c = claims.value();
    const bool audOk = (c.contains("aud") && c["aud"].is_string() && Net::jsonString(c, "aud") == clientId)
        || (c.contains("aud") && c["aud"].is_array()
            && std::any_of(c["aud"].begin(), c["aud"].end(), [&](const auto &a) {
                   return a.is_string() && QString::fromStdString(a.template get<std::string>()) == clientId;
               }));
    if (!audOk)
        return Error::make(Error::Kind::Security,
                           QStringLiteral("the id_token was issued for another application"));
    // Compared as text: toLatin1() would turn every character beyond Latin-1 into '?' and match.
    if (!expectedNonce.isEmpty() && Net::jsonString(c, "nonce") != QString::fromLatin1(expectedNonce))
        return Error::make(Error::Kind::Security,
                           QStringLiteral("the id_token nonce does not match this sign-in"));
    Core::Account a;
    a.objectId = Net::jsonString(c, "oid");
    a.tenantId = Net::jsonString(c, "tid");
    a.username = Net::jsonString(c, "preferred_username");
    if (a.username.isEmpty())
        a.username = Net::jsonString(c, "upn");
    a.displayName = Net::jsonString(c, "name");
    if (a.displayName.isEmpty())
        a.displayName = a.username;
    if (!a.isValid())
        return Error::make(Error::Kind::Parse, QStringLiteral("the id_token lacks oid or tid"));
    // Entra's tenant ids are GUIDs (entra-auth.md §3.1); anything else did not come from Entra as
    // documented, and the tid ends up in the account id and the keychain entry: refuse the sign-in.
    static const QRegularExpression guid(QRegularExpression::anchoredPattern(
        QStringLiteral("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")));
    if (!guid.match(a.tenantId).hasMatch())
        return Error::make(
            Error::Kind::Parse,
            QStringLiteral("the id_token's tenant (tid) is not a GUID; the sign-in is refused"));
    if (guid.match(configuredTenant).hasMatch()
        && a.tenantId.compare(configuredTenant, Qt::CaseInsensitive) != 0)
        return Error::make(Error::Kind::Security,
                           QStringLiteral("the id_token is from tenant %1, not the configured tenant %2; the "
                                          "sign-in is refused")
                               .arg(a.tenantId, configuredTenant));
    a.homeAccountId = a.objectId + u'.' + a.tenantId;
    if (!clientInfo.isEmpty()) {
        const auto info = decodeSegment(clientInfo, "client_info");
        if (info.ok() && !Net::jsonString(info.value(), "uid").isEmpty())
            a.homeAccountId
                = Net::jsonString(info.value(), "uid") + u'.' + Net::jsonString(info.value(), "utid");
    }
    return a;
}

} // namespace Elevate::Auth

// SPDX-License-Identifier: GPL-3.0-or-later
#include "idcprotocol.h"

#include "core/awsendpoints.h"
#include "net/json.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace Elevate::Auth::Idc {

using Core::Error;

namespace {

std::string std8(const QString &s)
{
    return s.toStdString();
}

Net::HttpRequest postJson(const Core::AwsConfig &aws, const QString &path, const Net::Json &body)
{
    Net::HttpRequest r {"POST", oidcUrl(aws, path), {}, QByteArray::fromStdString(body.dump())};
    r.withHeader("Content-Type", "application/json");
    r.withHeader("Accept", "application/json");
    return r;
}

Net::Json clientCredentials(const Registration &registration, const QString &grantType)
{
    return {{"clientId", std8(registration.clientId)},
            {"clientSecret", std8(registration.clientSecret)},
            {"grantType", std8(grantType)}};
}

/// AuthorizationPendingException → authorization_pending. Known names first (InternalServer is
/// `server_error` in the body), the rest by splitting the CamelCase.
QString oauthCodeFromException(QString name)
{
    if (name.endsWith(u"Exception"))
        name.chop(9);
    if (name == u"InternalServer")
        return QStringLiteral("server_error");
    static const QRegularExpression boundary(QStringLiteral("(?<=[a-z0-9])(?=[A-Z])"));
    return name.split(boundary).join(u'_').toLower();
}

/// The code as botocore resolves it (aws-sso.md §1.2), in its OAuth spelling.
QString errorCode(const Net::HttpResponse &response, const Net::Json *body)
{
    QString header = QString::fromLatin1(response.header("x-amzn-ErrorType")).trimmed();
    const qsizetype colon = header.indexOf(u':');
    if (colon >= 0)
        header.truncate(colon);
    if (!header.isEmpty())
        return oauthCodeFromException(header);
    if (!body)
        return {};
    for (const char *key : {"error", "code", "Code"}) {
        const QString code = Net::jsonString(*body, key);
        if (!code.isEmpty())
            return code.endsWith(u"Exception") ? oauthCodeFromException(code) : code;
    }
    QString type = Net::jsonString(*body, "__type");
    const qsizetype hash = type.lastIndexOf(u'#');
    if (hash >= 0)
        type = type.mid(hash + 1);
    return type.isEmpty() ? QString() : oauthCodeFromException(type);
}

bool looksLikeJson(const QByteArray &body)
{
    const QByteArray t = body.trimmed();
    return t.startsWith('{') || t.startsWith('[');
}

/// The body of a 2xx answer as a JSON object, or the error to report.
Core::Result<Net::Json> successBody(const Net::HttpResponse &response, const char *what)
{
    if (!response.isSuccess())
        return oidcError(response);
    auto parsed = Net::parseJson(response.body);
    if (!parsed.ok() || !parsed.value().is_object())
        return Error::make(Error::Kind::Parse,
                           QStringLiteral("the %1 answer is not a JSON object").arg(QLatin1String(what)),
                           response.status)
            .withSource(Error::Source::IdentityCenter);
    return parsed;
}

} // namespace

QStringList grantTypesFor(Flow flow)
{
    if (flow == Flow::AuthorizationCode)
        return {QString::fromUtf16(GrantAuthorizationCode), QString::fromUtf16(GrantRefreshToken)};
    return {QString::fromUtf16(GrantDeviceCode), QString::fromUtf16(GrantRefreshToken)};
}

bool isUsableFor(const Registration &registration, Flow flow, const QDateTime &now)
{
    if (!registration.isValid())
        return false;
    const QString needed = flow == Flow::AuthorizationCode ? QString::fromUtf16(GrantAuthorizationCode)
                                                           : QString::fromUtf16(GrantDeviceCode);
    return registration.grantTypes.contains(needed)
        && now.secsTo(registration.expiresAt) >= RegistrationRenewSecs;
}

QString clientName(const Core::AwsConfig &aws)
{
    static const QRegularExpression unsafe(QStringLiteral("[^a-z0-9-]"));
    const QString host = QUrl(aws.startUrl).host().toLower();
    // d-1234567890.awsapps.com → d-1234567890; an address (the emulator) as a whole: 127-0-0-1.
    QString label = QHostAddress(host).isNull() ? host.section(u'.', 0, 0) : host;
    label.replace(u'.', u'-').replace(u':', u'-');
    label.remove(unsafe);
    return QStringLiteral("elevate-") + (label.isEmpty() ? QStringLiteral("client") : label);
}

QString redirectUri(quint16 port)
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port) + QString::fromUtf16(RedirectPath);
}

QUrl oidcUrl(const Core::AwsConfig &aws, const QString &path)
{
    QUrl url = Core::awsOidcEndpoint(aws);
    QString base = url.path();
    while (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + path);
    return url;
}

Net::HttpRequest registerClientRequest(const Core::AwsConfig &aws, Flow flow)
{
    Net::Json body = {{"clientName", std8(clientName(aws))},
                      {"clientType", "public"},
                      {"scopes", {std8(QString::fromUtf16(AccountAccessScope))}}};
    if (flow == Flow::AuthorizationCode) {
        body["grantTypes"]
            = {std8(QString::fromUtf16(GrantAuthorizationCode)), std8(QString::fromUtf16(GrantRefreshToken))};
        // No port: the loopback port is chosen per attempt (aws-sso.md §2.1).
        body["redirectUris"] = {"http://127.0.0.1" + std8(QString::fromUtf16(RedirectPath))};
        body["issuerUrl"] = std8(aws.startUrl);
    }
    return postJson(aws, QStringLiteral("/client/register"), body);
}

Net::HttpRequest startDeviceAuthorizationRequest(const Core::AwsConfig &aws, const Registration &registration)
{
    return postJson(aws, QStringLiteral("/device_authorization"),
                    {{"clientId", std8(registration.clientId)},
                     {"clientSecret", std8(registration.clientSecret)},
                     {"startUrl", std8(aws.startUrl)}});
}

Net::HttpRequest deviceCodeTokenRequest(const Core::AwsConfig &aws, const Registration &registration,
                                        const QString &deviceCode)
{
    Net::Json body = clientCredentials(registration, QString::fromUtf16(GrantDeviceCode));
    body["deviceCode"] = std8(deviceCode);
    return postJson(aws, QStringLiteral("/token"), body);
}

Net::HttpRequest authorizationCodeTokenRequest(const Core::AwsConfig &aws, const Registration &registration,
                                               const AuthorizationRequest &request, const QString &code)
{
    Net::Json body = clientCredentials(registration, QString::fromUtf16(GrantAuthorizationCode));
    body["code"] = std8(code);
    body["redirectUri"] = std8(request.redirectUri);
    body["codeVerifier"] = request.codeVerifier.toStdString();
    return postJson(aws, QStringLiteral("/token"), body);
}

Net::HttpRequest refreshTokenRequest(const Core::AwsConfig &aws, const Registration &registration,
                                     const QString &refreshToken)
{
    Net::Json body = clientCredentials(registration, QString::fromUtf16(GrantRefreshToken));
    body["refreshToken"] = std8(refreshToken);
    return postJson(aws, QStringLiteral("/token"), body);
}

QUrl authorizeUrl(const Core::AwsConfig &aws, const AuthorizationRequest &request)
{
    QList<QPair<QString, QString>> p {
        {QStringLiteral("response_type"), QStringLiteral("code")},
        {QStringLiteral("client_id"), request.clientId},
        {QStringLiteral("redirect_uri"), request.redirectUri},
        {QStringLiteral("state"), QString::fromLatin1(request.state)},
        {QStringLiteral("code_challenge_method"), QStringLiteral("S256")},
        {QStringLiteral("scopes"), QString::fromUtf16(AccountAccessScope)},
        {QStringLiteral("code_challenge"), QString::fromLatin1(request.codeChallenge)}};
    QUrl url = oidcUrl(aws, QStringLiteral("/authorize"));
    // Every value percent-encoded by us (':' of the scope, '/' of the redirect), as the CLI sends them.
    url.setQuery(QString::fromLatin1(Net::formEncode(p)), QUrl::StrictMode);
    return url;
}

namespace {
Error untaggedOidcError(const Net::HttpResponse &response)
{
    if (!response.hasStatus())
        return response.transportError;
    const auto parsed = Net::parseJson(response.body);
    const Net::Json *body = parsed.ok() && parsed.value().is_object() ? &parsed.value() : nullptr;
    const QString code = errorCode(response, body);
    QString description;
    if (body)
        for (const char *key : {"error_description", "message", "Message"}) {
            description = Net::jsonString(*body, key).trimmed();
            if (!description.isEmpty())
                break;
        }
    const int status = response.status;
    if (status >= 500)
        return Error::make(Error::Kind::Http,
                           description.isEmpty()
                               ? QStringLiteral("Identity Center answered HTTP %1").arg(status)
                               : description,
                           status, code);
    if (code.isEmpty()) {
        if ((status >= 200 && status < 300) || (!body && looksLikeJson(response.body)))
            return Error::make(
                Error::Kind::Parse,
                QStringLiteral("Identity Center sent an unreadable answer (HTTP %1)").arg(status), status);
        return Error::make(
            Error::Kind::Http,
            QStringLiteral("Identity Center answered HTTP %1 without an error code").arg(status), status);
    }
    Error::Kind kind = Error::Kind::Service;
    if (code == u"invalid_grant")
        kind = Error::Kind::InteractionRequired;
    else if (code == u"access_denied")
        kind = Error::Kind::Cancelled;
    return Error::make(kind, description.isEmpty() ? code : description, status, code);
}
} // namespace

Error oidcError(const Net::HttpResponse &response)
{
    return untaggedOidcError(response).withSource(Error::Source::IdentityCenter);
}

bool isFinalRefusal(const QString &serviceCode)
{
    return serviceCode == u"expired_token" || serviceCode == u"access_denied"
        || refusesTheRegistration(serviceCode);
}

bool refusesTheRegistration(const QString &serviceCode)
{
    return serviceCode == u"unauthorized_client" || serviceCode == u"unsupported_grant_type"
        || serviceCode == u"invalid_scope";
}

Core::Result<Registration> parseRegistration(const Net::HttpResponse &response, Flow flow)
{
    const auto body = successBody(response, "client registration");
    if (!body.ok())
        return body.error();
    const Net::Json &j = body.value();
    Registration r;
    r.clientId = Net::jsonString(j, "clientId");
    r.clientSecret = Net::jsonString(j, "clientSecret");
    // Epoch seconds (aws-sso.md §2.1), unlike the portal's milliseconds.
    if (const auto issued = Net::jsonInt(j, "clientIdIssuedAt"); issued && *issued > 0)
        r.issuedAt = QDateTime::fromSecsSinceEpoch(*issued, Qt::UTC);
    if (const auto expires = Net::jsonInt(j, "clientSecretExpiresAt"); expires && *expires > 0)
        r.expiresAt = QDateTime::fromSecsSinceEpoch(*expires, Qt::UTC);
    r.grantTypes = grantTypesFor(flow);
    if (!r.isValid())
        return Error::make(Error::Kind::Parse,
                           QStringLiteral("the client registration lacks clientId, clientSecret or "
                                          "clientSecretExpiresAt"),
                           response.status)
            .withSource(Error::Source::IdentityCenter);
    return r;
}

Core::Result<DeviceAuthorization> parseDeviceAuthorization(const Net::HttpResponse &response)
{
    const auto body = successBody(response, "device authorization");
    if (!body.ok())
        return body.error();
    const Net::Json &j = body.value();
    DeviceAuthorization d;
    d.deviceCode = Net::jsonString(j, "deviceCode");
    d.userCode = Net::jsonString(j, "userCode");
    d.verificationUri = QUrl(Net::jsonString(j, "verificationUri"), QUrl::StrictMode);
    d.verificationUriComplete = QUrl(Net::jsonString(j, "verificationUriComplete"), QUrl::StrictMode);
    d.expiresIn = Net::jsonInt(j, "expiresIn").value_or(600);
    d.interval = int(qBound(qint64(1), Net::jsonInt(j, "interval").value_or(1), qint64(60)));
    if (d.deviceCode.isEmpty() || d.userCode.isEmpty() || !d.verificationUri.isValid()
        || d.verificationUri.isRelative() || d.expiresIn <= 0)
        return Error::make(Error::Kind::Parse, QStringLiteral("the device authorization is incomplete"),
                           response.status)
            .withSource(Error::Source::IdentityCenter);
    if (d.verificationUriComplete.isRelative())
        d.verificationUriComplete = QUrl();
    return d;
}

Core::Result<TokenResponse> parseTokenResponse(const Net::HttpResponse &response)
{
    const auto body = successBody(response, "token");
    if (!body.ok())
        return body.error();
    const Net::Json &j = body.value();
    TokenResponse t;
    t.accessToken = Net::jsonString(j, "accessToken");
    t.tokenType = Net::jsonString(j, "tokenType");
    t.refreshToken = Net::jsonString(j, "refreshToken");
    t.expiresIn = Net::jsonInt(j, "expiresIn").value_or(0);
    if (t.accessToken.isEmpty() || t.expiresIn <= 0)
        return Error::make(Error::Kind::Parse,
                           QStringLiteral("the token answer lacks accessToken or expiresIn"), response.status)
            .withSource(Error::Source::IdentityCenter);
    return t;
}

} // namespace Elevate::Auth::Idc

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The IAM Identity Center SSO OIDC protocol (aws-sso.md §2) as plain functions, so each piece is
// testable from fixtures: request bodies and the /authorize URL out; registrations, device
// authorizations, tokens and errors in. The functions live in a nested namespace because Entra's
// protocol (entraprotocol.h) uses the same OAuth words for different wire shapes.

#include "core/config.h"
#include "core/result.h"
#include "net/httpclient.h"

#include <QDateTime>
#include <QStringList>
#include <QUrl>

namespace Elevate::Auth::Idc {

/// The scope Elevate registers with: portal access. Registering with a scope is also what makes
/// CreateToken hand out refresh tokens (aws-sso.md §2.1).
inline constexpr char16_t AccountAccessScope[] = u"sso:account:access";
/// The loopback redirect path (the same as the AWS CLI's); the port is chosen at run time.
inline constexpr char16_t RedirectPath[] = u"/oauth/callback";

inline constexpr char16_t GrantAuthorizationCode[] = u"authorization_code";
inline constexpr char16_t GrantDeviceCode[] = u"urn:ietf:params:oauth:grant-type:device_code";
inline constexpr char16_t GrantRefreshToken[] = u"refresh_token";

/// Which sign-in a client registration is made for; it decides the grant types it carries.
enum class Flow { AuthorizationCode, DeviceCode };

/// A RegisterClient answer (epoch seconds on the wire) plus the grant types it was registered for.
struct Registration
{
    QString clientId;
    QString clientSecret;
    QDateTime issuedAt; // invalid when the service did not say
    QDateTime expiresAt;
    QStringList grantTypes;

    bool isValid() const { return !clientId.isEmpty() && !clientSecret.isEmpty() && expiresAt.isValid(); }
};

/// A registration is reused until fewer than this many seconds remain (as the AWS CLI does).
inline constexpr qint64 RegistrationRenewSecs = 15 * 60;

/// The grant types a registration for `flow` has: PKCE registrations name them explicitly; device
/// registrations send scopes only and get the device-code and refresh grants.
QStringList grantTypesFor(Flow flow);
/// True if `registration` can serve `flow` (it has the flow's grant) for at least
/// RegistrationRenewSecs more after `now`.
bool isUsableFor(const Registration &registration, Flow flow, const QDateTime &now);

struct DeviceAuthorization
{
    QString deviceCode;
    QString userCode;
    QUrl verificationUri;
    QUrl verificationUriComplete; // invalid when the service sent none
    qint64 expiresIn = 600; // seconds
    int interval = 1; // seconds between polls
};

struct TokenResponse
{
    QString accessToken;
    QString tokenType;
    QString refreshToken; // empty when the service sent none
    qint64 expiresIn = 0; // seconds
};

/// Parameters of one authorization-code attempt (one set per attempt).
struct AuthorizationRequest
{
    QString clientId;
    QByteArray state;
    QByteArray codeVerifier;
    QByteArray codeChallenge;
    QString redirectUri; // with the port, exactly as CreateToken must repeat it
    // No login hint: login_hint is not among Identity Center's documented /authorize parameters.
};

/// "elevate-<first label of the start URL's host>", e.g. elevate-d-1234567890: stable per portal.
QString clientName(const Core::AwsConfig &aws);
/// http://127.0.0.1:<port>/oauth/callback
QString redirectUri(quint16 port);
/// The OIDC service base joined with `path` (e.g. "/token"); the emulator override applies.
QUrl oidcUrl(const Core::AwsConfig &aws, const QString &path);

/// POST /client/register. The authorization-code variant names grant types, the loopback redirect
/// and the issuer (the start URL); the device variant sends the scope only (aws-sso.md §2.1).
Net::HttpRequest registerClientRequest(const Core::AwsConfig &aws, Flow flow);
/// POST /device_authorization.
Net::HttpRequest startDeviceAuthorizationRequest(const Core::AwsConfig &aws,
                                                 const Registration &registration);
/// POST /token with the device_code grant.
Net::HttpRequest deviceCodeTokenRequest(const Core::AwsConfig &aws, const Registration &registration,
                                        const QString &deviceCode);
/// POST /token with the authorization_code grant: the redirect URI with its port and the verifier.
Net::HttpRequest authorizationCodeTokenRequest(const Core::AwsConfig &aws, const Registration &registration,
                                               const AuthorizationRequest &request, const QString &code);
/// POST /token with the refresh_token grant.
Net::HttpRequest refreshTokenRequest(const Core::AwsConfig &aws, const Registration &registration,
                                     const QString &refreshToken);
/// The browser's /authorize URL on the OIDC host (aws-sso.md §2.4 step 5; `scopes` is plural): the
/// documented parameters only.
QUrl authorizeUrl(const Core::AwsConfig &aws, const AuthorizationRequest &request);

/**
 * The error of a failed OIDC answer, resolved as botocore does (aws-sso.md §1.2, §2.5): the code
 * from `x-amzn-ErrorType` (before ':'), else the body's `error`, else `__type` (after '#'); exception
 * names become their OAuth form (AuthorizationPendingException → authorization_pending), which goes
 * into serviceCode. Kinds: invalid_grant → InteractionRequired, access_denied → Cancelled, any 5xx →
 * Http, a body that cannot be read and carries no code → Parse, other codes → Service (the session
 * re-registers on invalid_client). A transport failure passes through.
 */
Core::Error oidcError(const Net::HttpResponse &response);

/// CreateToken refusals besides invalid_grant and invalid_client that no retry turns into a token
/// (aws-sso.md §2.5): expired_token, access_denied, unauthorized_client, unsupported_grant_type,
/// invalid_scope. (authorization_pending and slow_down are the device-code poll's normal answers.)
bool isFinalRefusal(const QString &serviceCode);
/// Those of them that say the client registration cannot use the grant: a new registration may.
bool refusesTheRegistration(const QString &serviceCode);

Core::Result<Registration> parseRegistration(const Net::HttpResponse &response, Flow flow);
Core::Result<DeviceAuthorization> parseDeviceAuthorization(const Net::HttpResponse &response);
/// accessToken and expiresIn are required; refreshToken is optional; idToken is ignored (AWS
/// documents it as not implemented and sends null or nothing).
Core::Result<TokenResponse> parseTokenResponse(const Net::HttpResponse &response);

} // namespace Elevate::Auth::Idc

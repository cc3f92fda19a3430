// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The Entra ID v2 protocol pieces as plain functions (entra-auth.md §2-4, §8), so each is testable
// from fixtures: URLs and bodies out, tokens, accounts and errors in.

#include "core/config.h"
#include "core/model.h"
#include "core/result.h"
#include "net/httpclient.h"

#include <QDateTime>
#include <QUrl>

namespace Elevate::Auth {

struct TokenResponse
{
    QString accessToken;
    QString refreshToken; // empty when Entra sent none
    QString idToken;
    QString clientInfo;
    QString scope; // granted
    qint64 expiresIn = 0;
};

struct DeviceCodeResponse
{
    QString userCode;
    QString deviceCode;
    QUrl verificationUri;
    QString message;
    qint64 expiresIn = 900;
    int interval = 5;
};

/// Parameters of one interactive attempt (one flow object per attempt, entra-auth.md §7.5 item 2).
struct AuthorizationRequest
{
    QByteArray state;
    QByteArray nonce;
    QByteArray codeVerifier;
    QByteArray codeChallenge;
    QString redirectUri;
    QString loginHint;
    QString claims; // JSON; empty for none
    QStringList amrValues; // authentication methods to ask for on /authorize ("mfa"); empty for none
};

/// A claims request split into what Entra takes as `claims` and the authentication methods it asks
/// for: `access_token.amr` ({"essential":true,"values":["mfa"]}), which is how the Graph layer asks for
/// MFA (PIM's MfaRule has no claims value), leaves the JSON and becomes amr_values on /authorize.
struct ClaimsRequest
{
    QString claims; // empty when nothing but amr was asked for
    QStringList amrValues;
};
ClaimsRequest splitClaimsRequest(const QString &claims);

QUrl endpoint(const Core::AppConfig &config, const QString &name); // authorize, token, devicecode
/// openid profile offline_access + the Graph scopes.
QStringList signInScopes(const Core::AppConfig &config);
QUrl authorizeUrl(const Core::AppConfig &config, const AuthorizationRequest &request);
Net::HttpRequest codeRedemption(const Core::AppConfig &config, const AuthorizationRequest &request,
                                const QString &code);
Net::HttpRequest refreshRequest(const Core::AppConfig &config, const QString &refreshToken,
                                const QStringList &scopes, const QString &claims = {});
/// A claims challenge (JSON) with the client capability `cp1` merged into `access_token.xms_cc`, as
/// MSAL does (entra-auth.md §5.1); an unparseable challenge yields just the capability.
QString mergeClientCapabilities(const QString &claims);
Net::HttpRequest deviceCodeRequest(const Core::AppConfig &config);
Net::HttpRequest deviceCodePoll(const Core::AppConfig &config, const QString &deviceCode);

/**
 * An Entra error from any token-endpoint answer: Service with serviceCode "AADSTS<n>" (or the
 * OAuth `error` when no code), InteractionRequired for interaction_required and invalid_grant
 * (unless the suberror says the client is at fault), Parse/Http for bodies that are not Entra JSON,
 * the transport error when nothing arrived. `claims` carries a claims challenge if present.
 */
Core::Error tokenError(const Net::HttpResponse &response);
/// The OAuth `error` value of an error body (authorization_pending, slow_down, …), or empty.
QString oauthErrorCode(const Net::HttpResponse &response);
/// A token-endpoint failure that says nothing about the sign-in and passes by itself: no answer,
/// HTTP 429 or 5xx, `temporarily_unavailable` or `server_error` (entra-auth.md §4.3).
bool isTransientTokenError(const Net::HttpResponse &response);

Core::Result<TokenResponse> parseTokenResponse(const Net::HttpResponse &response);
Core::Result<DeviceCodeResponse> parseDeviceCodeResponse(const Net::HttpResponse &response);

/**
 * The account from an id_token (no signature check, as MSAL for tokens fresh from the token endpoint
 * over TLS; entra-auth.md §3.2): aud must be our client id, nonce (when expected) must match, oid must
 * be there and tid must be a GUID — the configured tenant itself when that is a GUID (a domain or
 * "organizations" names no GUID to compare with). client_info supplies the home account id.
 */
Core::Result<Core::Account> accountFromIdToken(const QString &idToken, const QString &clientInfo,
                                               const QString &clientId, const QByteArray &expectedNonce,
                                               const QString &configuredTenant = {});

} // namespace Elevate::Auth

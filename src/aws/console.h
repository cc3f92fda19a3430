// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/config.h"
#include "core/result.h"
#include "portalclient.h"

#include <QByteArray>
#include <QDateTime>
#include <QUrl>

#include <functional>

class QObject;

namespace Elevate::Net {
class HttpClient;
}

namespace Elevate::Aws {

/**
 * Building the AWS console sign-in (aws-sso.md §5): role credentials → getSigninToken → login URL on
 * the same federation host, or the access portal's shortcut link. Pure functions, except
 * requestSigninToken(), the one network step (with its fallback):
 *
 *   getSigninToken&SessionDuration=N ──200──▶ token, session N s
 *        │ 400 (the endpoint refuses a duration for these credentials)
 *        ▼
 *   getSigninToken (no SessionDuration) ──200──▶ token, the console picks the length (durationRefused)
 *        │ anything else
 *        ▼
 *      error
 */
namespace Console {

constexpr qint64 kMinSessionSecs = 900; // 15 minutes, the federation endpoint's minimum
constexpr qint64 kMaxSessionSecs = 43'200; // 12 hours

/// The console session length: the time left on the grant, within the federation's 15 min–12 h.
qint64 sessionSeconds(const QDateTime &grantEnd, const QDateTime &now);

/// GET …/federation?Action=getSigninToken&SessionDuration=…&Session={"sessionId",…} (URL-encoded);
/// without SessionDuration when `sessionSecs` is 0 or less (the console then decides).
QUrl signinTokenUrl(const QUrl &federation, const RoleCredentials &credentials, qint64 sessionSecs);
/// The `SigninToken` of a getSigninToken answer.
Core::Result<QString> parseSigninToken(const QByteArray &body);
/// A sign-in token and the console session it was asked for.
struct SigninToken
{
    QString token; // secret-like: valid once, for 15 minutes; never log it
    /// The console session length asked for; 0 when the console decides (SessionDuration was dropped).
    qint64 sessionSecs = 0;
    /// The endpoint refused SessionDuration=refusedSecs and the token came from a second request without
    /// it: the console session may end before or after the grant. Callers say so to the user.
    bool durationRefused = false;
    qint64 refusedSecs = 0;
};
using SigninTokenCallback = std::function<void(Core::Result<SigninToken>)>;

/**
 * getSigninToken on `federation` with SessionDuration=`sessionSecs`. The federation endpoint answers
 * 400 ("Invalid Credentials Parameter") when it will not take a duration for these credentials
 * (role-chained ones, and reported for some others, aws-sso.md §5.1): then it is asked once more
 * without SessionDuration and the result says `durationRefused`. Any other failure, or a second
 * refusal, is an error naming the HTTP answer. `callback` runs once, not at all if `context` dies.
 */
void requestSigninToken(Net::HttpClient *http, const QUrl &federation, const RoleCredentials &credentials,
                        qint64 sessionSecs, QObject *context, SigninTokenCallback callback);

/// …/federation?Action=login&Issuer=…&Destination=…&SigninToken=…, every value URL-encoded.
QUrl loginUrl(const QUrl &federation, const QString &issuer, const QUrl &destination,
              const QString &signinToken);

/**
 * Where the console opens for `targetKey` ("123456789012/Role"): the configured destination — a full
 * console URL, or a service name such as "ec2" — else the console home, in `aws.console.region`
 * (default: the Identity Center region), on the partition's console domain (regional where the
 * partition's console is). Invalid when the partition has no console Elevate can link to (the ISO
 * partitions) and no full URL is configured.
 */
QUrl destination(const Core::AwsConfig &aws, const QString &targetKey);

/// <start URL>#/console?account_id=…&role_name=…[&destination=…] (aws-sso.md §5.2).
QUrl portalShortcut(const QString &startUrl, const QString &accountId, const QString &roleName,
                    const QUrl &destination = {});

} // namespace Console

/// The credential_process answer (aws-sso.md §4.5): Version 1, keys, token, Expiration in UTC with Z.
QByteArray processCredentialsJson(const RoleCredentials &credentials, const QDateTime &expiration);
/// `export AWS_ACCESS_KEY_ID=…` lines for a POSIX shell (values single-quoted).
QByteArray shellExports(const RoleCredentials &credentials, const QDateTime &expiration,
                        const QString &region = {});
/// "2026-11-30T14:00:00Z": the only timestamp form every AWS SDK reads (no zone crashes the CLI).
QString awsTimestamp(const QDateTime &t);

} // namespace Elevate::Aws

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/config.h"
#include "core/result.h"
#include "portalclient.h"

#include <QByteArray>
#include <QDateTime>
#include <QUrl>

namespace Elevate::Aws {

/**
 * Building the AWS console sign-in (aws-sso.md §5): role credentials → getSigninToken → login URL on
 * the same federation host, or the access portal's shortcut link. Pure functions; the network step
 * is done by AwsAccess.
 */
namespace Console {

constexpr qint64 kMinSessionSecs = 900; // 15 minutes, the federation endpoint's minimum
constexpr qint64 kMaxSessionSecs = 43'200; // 12 hours

/// The console session length: the time left on the grant, within the federation's 15 min–12 h.
qint64 sessionSeconds(const QDateTime &grantEnd, const QDateTime &now);

/// GET …/federation?Action=getSigninToken&SessionDuration=…&Session={"sessionId",…} (URL-encoded).
QUrl signinTokenUrl(const QUrl &federation, const RoleCredentials &credentials, qint64 sessionSecs);
/// The `SigninToken` of a getSigninToken answer.
Core::Result<QString> parseSigninToken(const QByteArray &body);
/// …/federation?Action=login&Issuer=…&Destination=…&SigninToken=…, every value URL-encoded.
QUrl loginUrl(const QUrl &federation, const QString &issuer, const QUrl &destination,
              const QString &signinToken);

/**
 * Where the console opens for `targetKey` ("123456789012/Role"): the configured destination — a full
 * console URL, or a service name such as "ec2" — else the console home, in `aws.console.region`
 * (default: the Identity Center region), on the partition's console domain.
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

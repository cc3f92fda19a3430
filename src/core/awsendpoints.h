// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config.h"

#include <QString>
#include <QUrl>

namespace Elevate::Core {

/// The AWS partition a region belongs to (aws-sso.md §1.1, §5.1): its DNS suffix, sign-in and
/// console domains. Unknown prefixes are the commercial partition.
struct AwsPartition
{
    QString id; // aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc
    QString dnsSuffix; // amazonaws.com, amazonaws.com.cn, ...
    QString signinDomain; // signin.aws.amazon.com, signin.amazonaws.cn, ... (empty: no console federation)
    QString consoleDomain; // console.aws.amazon.com, console.amazonaws.cn, ...

    static AwsPartition forRegion(const QString &region);
};

/// https://oidc.{region}.{suffix}, or the configured override.
QUrl awsOidcEndpoint(const AwsConfig &aws);
/// https://portal.sso.{region}.{suffix}, or the configured override.
QUrl awsPortalEndpoint(const AwsConfig &aws);
/// The federation endpoint used for getSigninToken and login (regional host, aws-sso.md §5.1), or the
/// configured override. Invalid when the partition has no console federation.
QUrl awsFederationEndpoint(const AwsConfig &aws);

} // namespace Elevate::Core

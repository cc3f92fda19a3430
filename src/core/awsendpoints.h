// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config.h"

#include <QString>
#include <QUrl>

namespace Elevate::Core {

/**
 * The AWS partition a region belongs to (aws-sso.md §1.1, §5.1; the region patterns and DNS suffixes of
 * the SDKs' partitions.json): its DNS suffix, sign-in and console domains. A well-formed region no
 * other partition claims is in the commercial partition, as the SDKs resolve it.
 */
struct AwsPartition
{
    QString id; // aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc
    QString dnsSuffix; // amazonaws.com, amazonaws.com.cn, c2s.ic.gov, ...
    QString signinDomain; // signin.aws.amazon.com, ... (empty: no console federation Elevate can use)
    QString consoleDomain; // console.aws.amazon.com, ... (empty: no console Elevate can link to)
    bool regionalConsole = false; // the console host carries the region ({region}.console.…)

    /// The partition of `region`; an id-less partition when the region is not well-formed.
    static AwsPartition forRegion(const QString &region);
    /// "eu-central-1", "us-isof-south-1", "eusc-de-east-1": letters, dash-separated words, a number.
    static bool isWellFormedRegion(const QString &region);
    bool isValid() const { return !id.isEmpty(); }
};

/// Empty when `region` is a well-formed AWS region, else a sentence saying what is wrong with it.
QString awsRegionProblem(const QString &region);

/// https://oidc.{region}.{suffix}, or the configured override; invalid for a malformed region.
QUrl awsOidcEndpoint(const AwsConfig &aws);
/// https://portal.sso.{region}.{suffix}, or the configured override; invalid for a malformed region.
QUrl awsPortalEndpoint(const AwsConfig &aws);
/// The federation endpoint used for getSigninToken and login (regional host, aws-sso.md §5.1), or the
/// configured override. Invalid when the partition has no console federation or the region is malformed.
QUrl awsFederationEndpoint(const AwsConfig &aws);

} // namespace Elevate::Core

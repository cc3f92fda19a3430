// SPDX-License-Identifier: GPL-3.0-or-later
#include "awsendpoints.h"

using namespace Qt::StringLiterals;

namespace Elevate::Core {

AwsPartition AwsPartition::forRegion(const QString &region)
{
    if (region.startsWith(u"cn-"))
        return {u"aws-cn"_s, u"amazonaws.com.cn"_s, u"signin.amazonaws.cn"_s, u"console.amazonaws.cn"_s};
    if (region.startsWith(u"us-gov-"))
        return {u"aws-us-gov"_s, u"amazonaws.com"_s, u"signin.amazonaws-us-gov.com"_s,
                u"console.amazonaws-us-gov.com"_s};
    if (region.startsWith(u"us-isob-"))
        return {u"aws-iso-b"_s, u"sc2s.sgov.gov"_s, {}, {}};
    if (region.startsWith(u"us-iso-"))
        return {u"aws-iso"_s, u"c2s.ic.gov"_s, {}, {}};
    if (region.startsWith(u"eusc-"))
        return {u"aws-eusc"_s, u"amazonaws.eu"_s, u"signin.amazonaws-eusc.eu"_s,
                u"console.amazonaws-eusc.eu"_s};
    return {u"aws"_s, u"amazonaws.com"_s, u"signin.aws.amazon.com"_s, u"console.aws.amazon.com"_s};
}

QUrl awsOidcEndpoint(const AwsConfig &aws)
{
    if (!aws.oidcEndpoint.isEmpty())
        return QUrl(aws.oidcEndpoint);
    return QUrl(u"https://oidc.%1.%2"_s.arg(aws.region, AwsPartition::forRegion(aws.region).dnsSuffix));
}

QUrl awsPortalEndpoint(const AwsConfig &aws)
{
    if (!aws.portalEndpoint.isEmpty())
        return QUrl(aws.portalEndpoint);
    return QUrl(u"https://portal.sso.%1.%2"_s.arg(aws.region, AwsPartition::forRegion(aws.region).dnsSuffix));
}

QUrl awsFederationEndpoint(const AwsConfig &aws)
{
    if (!aws.signinEndpoint.isEmpty())
        return QUrl(aws.signinEndpoint);
    const auto p = AwsPartition::forRegion(aws.region);
    if (p.signinDomain.isEmpty())
        return {};
    return QUrl(u"https://%1.%2/federation"_s.arg(aws.region, p.signinDomain));
}

} // namespace Elevate::Core

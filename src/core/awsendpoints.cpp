// SPDX-License-Identifier: GPL-3.0-or-later
#include "awsendpoints.h"

#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Elevate::Core {

namespace {

struct PartitionRule
{
    QRegularExpression pattern; // the partition's regionRegex
    AwsPartition partition;
};

/// The partitions in the order they are tried; the commercial one last, as the fallback. Sign-in and
/// console domains are those of aws-sso.md §5.1 (the eusc ones: the sovereign cloud's endpoint list,
/// regional like the commercial ones). The ISO partitions' consoles are reachable only inside their
/// networks and their federation endpoint is not publicly documented: no link beats a wrong one.
const QList<PartitionRule> &rules()
{
    static const QList<PartitionRule> list {
        {QRegularExpression(QRegularExpression::anchoredPattern(u"us-gov-\\w+-\\d+"_s)),
         {u"aws-us-gov"_s, u"amazonaws.com"_s, u"signin.amazonaws-us-gov.com"_s,
          u"console.amazonaws-us-gov.com"_s, false}},
        {QRegularExpression(QRegularExpression::anchoredPattern(u"us-iso-\\w+-\\d+"_s)),
         {u"aws-iso"_s, u"c2s.ic.gov"_s, {}, {}, false}},
        {QRegularExpression(QRegularExpression::anchoredPattern(u"us-isob-\\w+-\\d+"_s)),
         {u"aws-iso-b"_s, u"sc2s.sgov.gov"_s, {}, {}, false}},
        {QRegularExpression(QRegularExpression::anchoredPattern(u"eu-isoe-\\w+-\\d+"_s)),
         {u"aws-iso-e"_s, u"cloud.adc-e.uk"_s, {}, {}, false}},
        {QRegularExpression(QRegularExpression::anchoredPattern(u"us-isof-\\w+-\\d+"_s)),
         {u"aws-iso-f"_s, u"csp.hci.ic.gov"_s, {}, {}, false}},
        {QRegularExpression(QRegularExpression::anchoredPattern(u"cn-\\w+-\\d+"_s)),
         {u"aws-cn"_s, u"amazonaws.com.cn"_s, u"signin.amazonaws.cn"_s, u"console.amazonaws.cn"_s, false}},
        {QRegularExpression(QRegularExpression::anchoredPattern(u"eusc-(de)-\\w+-\\d+"_s)),
         {u"aws-eusc"_s, u"amazonaws.eu"_s, u"signin.amazonaws-eusc.eu"_s, u"console.amazonaws-eusc.eu"_s,
          true}},
    };
    return list;
}

const AwsPartition &commercial()
{
    static const AwsPartition p {u"aws"_s, u"amazonaws.com"_s, u"signin.aws.amazon.com"_s,
                                 u"console.aws.amazon.com"_s, true};
    return p;
}

} // namespace

bool AwsPartition::isWellFormedRegion(const QString &region)
{
    // Two to four letters, one or more words, a number: what every partition's regionRegex allows.
    // Anchored as a whole: a pattern ending in `$` would also accept a trailing newline.
    static const QRegularExpression re(
        QRegularExpression::anchoredPattern(u"[a-z]{2,4}(-[a-z]+)+-\\d{1,3}"_s));
    return re.match(region).hasMatch();
}

AwsPartition AwsPartition::forRegion(const QString &region)
{
    if (!isWellFormedRegion(region))
        return {};
    for (const auto &rule : rules())
        if (rule.pattern.match(region).hasMatch())
            return rule.partition;
    return commercial();
}

QString awsRegionProblem(const QString &region)
{
    if (region.isEmpty())
        return u"no AWS region is set (the Identity Center region, like eu-central-1)"_s;
    if (!AwsPartition::isWellFormedRegion(region))
        return u"\"%1\" is not an AWS region (like eu-central-1, us-gov-west-1 or eusc-de-east-1)"_s.arg(
            region);
    return {};
}

QUrl awsOidcEndpoint(const AwsConfig &aws)
{
    if (!aws.oidcEndpoint.isEmpty())
        return QUrl(aws.oidcEndpoint);
    const auto p = AwsPartition::forRegion(aws.region);
    if (!p.isValid())
        return {};
    return QUrl(u"https://oidc.%1.%2"_s.arg(aws.region, p.dnsSuffix));
}

QUrl awsPortalEndpoint(const AwsConfig &aws)
{
    if (!aws.portalEndpoint.isEmpty())
        return QUrl(aws.portalEndpoint);
    const auto p = AwsPartition::forRegion(aws.region);
    if (!p.isValid())
        return {};
    return QUrl(u"https://portal.sso.%1.%2"_s.arg(aws.region, p.dnsSuffix));
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

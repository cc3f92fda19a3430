// SPDX-License-Identifier: GPL-3.0-or-later
#include "config.h"

#include "awsendpoints.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

using namespace Qt::StringLiterals;

namespace Elevate::Core {

namespace {

Error configError(const QString &path, const QString &what)
{
    return Error::make(Error::Kind::Config, path.isEmpty() ? what : path + QStringLiteral(": ") + what);
}

/// Reads typed values out of the document. A value of the wrong type is an error naming its key, never
/// quietly the default; absent (or null) keeps the default. The first error wins.
class Reader
{
public:
    std::optional<QString> problem;

    void fail(const QString &what)
    {
        if (!problem)
            problem = what;
    }

    QJsonObject object(const QJsonObject &o, const QString &prefix, const char *key)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isObject())
            fail(u"%1%2 must be an object ({…})"_s.arg(prefix, QLatin1String(key)));
        return v.toObject();
    }
    void string(const QJsonObject &o, const QString &prefix, const char *key, QString &out)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isString())
            return fail(u"%1%2 must be a string"_s.arg(prefix, QLatin1String(key)));
        out = v.toString();
    }
    void boolean(const QJsonObject &o, const QString &prefix, const char *key, bool &out)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isBool())
            return fail(u"%1%2 must be true or false"_s.arg(prefix, QLatin1String(key)));
        out = v.toBool();
    }
    void integer(const QJsonObject &o, const QString &prefix, const char *key, int &out)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        const auto n = wholeNumber(v);
        if (!n)
            return fail(u"%1%2 must be a whole number"_s.arg(prefix, QLatin1String(key)));
        out = *n;
    }
    static std::optional<int> wholeNumber(const QJsonValue &v)
    {
        if (!v.isDouble())
            return std::nullopt;
        const double d = v.toDouble();
        if (!std::isfinite(d) || d != std::floor(d) || d < double(std::numeric_limits<int>::min())
            || d > double(std::numeric_limits<int>::max()))
            return std::nullopt;
        return int(d);
    }
    /// A JSON object whose values are all strings, e.g. mapping.accountNames.
    QHash<QString, QString> stringMap(const QJsonObject &o, const QString &prefix, const char *key)
    {
        QHash<QString, QString> out;
        const QJsonObject map = object(o, prefix, key);
        for (auto it = map.begin(); it != map.end(); ++it) {
            if (!it.value().isString()) {
                fail(u"%1%2.%3 must be a string"_s.arg(prefix, QLatin1String(key), it.key()));
                break;
            }
            out.insert(it.key(), it.value().toString());
        }
        return out;
    }
};

// ---- Whose hosts endpoints may name (issue 12, item 6) ----
// Exact host names, never a bare registrable domain: amazonaws.com also holds anyone's load balancers,
// API gateways and buckets, so an AWS endpoint must have the shape of that service's own host.

/// Entra sign-in hosts: the public cloud with its documented aliases, US Government, China (both
/// hosts in use), as in entra-auth.md §1.3.
bool isEntraLoginHost(const QString &host)
{
    static const QStringList hosts {u"login.microsoftonline.com"_s,
                                    u"login.microsoft.com"_s,
                                    u"login.windows.net"_s,
                                    u"login.microsoftonline.us"_s,
                                    u"login.partner.microsoftonline.cn"_s,
                                    u"login.chinacloudapi.cn"_s};
    return hosts.contains(host);
}

/// Microsoft Graph: the public cloud, US Government (L4 and DoD), China.
bool isGraphHost(const QString &host)
{
    static const QStringList hosts {u"graph.microsoft.com"_s, u"graph.microsoft.us"_s,
                                    u"dod-graph.microsoft.us"_s, u"microsoftgraph.chinacloudapi.cn"_s};
    return hosts.contains(host);
}

/// One region of each partition that has console federation, to reach their sign-in and console
/// domains through AwsPartition (the one table of them).
const QList<AwsPartition> &federatedPartitions()
{
    static const QList<AwsPartition> list {
        AwsPartition::forRegion(u"us-east-1"_s), AwsPartition::forRegion(u"us-gov-west-1"_s),
        AwsPartition::forRegion(u"cn-north-1"_s), AwsPartition::forRegion(u"eusc-de-east-1"_s)};
    return list;
}

/// `{service}.{region}.{that region's partition DNS suffix}`: oidc.eu-central-1.amazonaws.com,
/// portal.sso.cn-north-1.amazonaws.com.cn, portal.sso.us-iso-east-1.c2s.ic.gov.
bool isAwsRegionalServiceHost(const QString &host, const QString &service)
{
    const QString prefix = service + u'.';
    if (!host.startsWith(prefix))
        return false;
    const QString rest = host.mid(prefix.size());
    const qsizetype dot = rest.indexOf(u'.');
    if (dot <= 0)
        return false;
    const auto partition = AwsPartition::forRegion(rest.left(dot));
    return partition.isValid() && rest.mid(dot + 1) == partition.dnsSuffix;
}

/// The federation endpoint: signin.aws.amazon.com or {region}.signin.aws.amazon.com (and the other
/// partitions' sign-in domains).
bool isAwsSigninHost(const QString &host)
{
    for (const auto &p : federatedPartitions()) {
        if (host == p.signinDomain)
            return true;
        if (host.endsWith(u'.' + p.signinDomain)) {
            const QString region = host.left(host.size() - p.signinDomain.size() - 1);
            if (AwsPartition::forRegion(region).signinDomain == p.signinDomain)
                return true;
        }
    }
    return false;
}

/// A console page: console.aws.amazon.com or a host under it (eu-central-1.console.…, s3.console.…).
bool isAwsConsoleHost(const QString &host)
{
    return std::any_of(federatedPartitions().begin(), federatedPartitions().end(), [&](const auto &p) {
        return host == p.consoleDomain || host.endsWith(u'.' + p.consoleDomain);
    });
}

/// The AWS access portal (start URL): the domains the AWS CLI treats as AWS-owned (aws-sso.md §1).
bool isAwsStartHost(const QString &host)
{
    static const QStringList exact {u"identitycenter.amazonaws.com"_s, u"identitycenter.amazonaws.com.cn"_s,
                                    u"identitycenter.amazonaws.eu"_s,
                                    u"identitycenter.us-gov.amazonaws.com"_s};
    static const QStringList below {u".awsapps.com"_s,
                                    u".awsapps.cn"_s,
                                    u".app.aws"_s,
                                    u".portal.amazonaws.com"_s,
                                    u".portal.amazonaws.com.cn"_s,
                                    u".app.amazonwebservices.com.cn"_s,
                                    u".portal.amazonaws.eu"_s,
                                    u".api.amazonwebservices.eu"_s};
    if (exact.contains(host))
        return true;
    return std::any_of(below.begin(), below.end(), [&](const QString &suffix) {
        return host.size() > suffix.size() && host.endsWith(suffix);
    });
}

struct EndpointRule
{
    const char *key; // as written in the file: "aws.oidcEndpoint"
    bool (*known)(const QString &host);
    const char *owner; // "an AWS sign-in host" — what `known` accepts, for the error
    bool plain = true; // no query or fragment (a base others append paths to)
};

/// Empty when `text` is acceptable for `rule`, else the sentence saying why not. HTTPS, or HTTP to
/// loopback; no user name or password; a known host unless custom endpoints are allowed.
QString endpointProblem(const QString &text, const EndpointRule &rule, bool allowCustom)
{
    const QString key = QString::fromUtf8(rule.key);
    const QUrl url(text);
    if (!url.isValid() || !QUrl(text, QUrl::StrictMode).isValid() || url.host().isEmpty())
        return u"%1 is not a URL (https://host/…)"_s.arg(key);
    const bool loopback = isLoopbackUrl(url);
    if (url.scheme() != u"https" && !(url.scheme() == u"http" && loopback))
        return u"%1 must be an https URL (plain http only to a loopback address)"_s.arg(key);
    if (!url.userInfo().isEmpty())
        return u"%1 must not carry a user name or password"_s.arg(key);
    if (rule.plain && (url.hasQuery() || url.hasFragment()))
        return u"%1 must not have a query or fragment"_s.arg(key);
    if (loopback || allowCustom || rule.known(url.host()))
        return {};
    return u"%1: %2 is not %3; to use another host, set \"allowCustomEndpoints\": true at the top level "
           u"of the configuration"_s.arg(key, url.host(QUrl::FullyEncoded), QString::fromUtf8(rule.owner));
}

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    const auto port = [](const QUrl &u) { return u.port(u.scheme() == u"https" ? 443 : 80); };
    return a.scheme() == b.scheme() && a.host() == b.host() && port(a) == port(b);
}

} // namespace

bool isLoopbackUrl(const QUrl &url)
{
    const QString host = url.host();
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0)
        return true;
    if (host == u"::1")
        return true;
    // 127.0.0.0/8, written as a dotted quad (QtCore has no address parser; QUrl normalises the host).
    const auto parts = host.split(u'.');
    if (parts.size() != 4 || parts[0] != u"127")
        return false;
    for (const auto &p : parts) {
        bool ok = false;
        const int v = p.toInt(&ok);
        if (!ok || v < 0 || v > 255)
            return false;
    }
    return true;
}

namespace {

QJsonObject awsJson(const AwsConfig &aws)
{
    QJsonObject o {{u"startUrl"_s, aws.startUrl},
                   {u"region"_s, aws.region},
                   {u"profileTemplate"_s, aws.profileTemplate},
                   {u"plainCredentials"_s, aws.plainCredentials},
                   {u"portalRequestsPerSecond"_s, aws.portalRequestsPerSecond}};
    for (const auto &[key, value] : {std::pair {u"oidcEndpoint"_s, aws.oidcEndpoint},
                                     std::pair {u"portalEndpoint"_s, aws.portalEndpoint},
                                     std::pair {u"signinEndpoint"_s, aws.signinEndpoint},
                                     std::pair {u"profileRegion"_s, aws.profileRegion}}) {
        if (!value.isEmpty())
            o.insert(key, value);
    }
    QJsonObject destinations;
    for (auto it = aws.destinations.begin(); it != aws.destinations.end(); ++it)
        destinations.insert(it.key(), it.value());
    QJsonObject console {{u"mode"_s, aws.consoleMode}, {u"destinations"_s, destinations}};
    if (!aws.consoleRegion.isEmpty())
        console.insert(u"region"_s, aws.consoleRegion);
    o.insert(u"console"_s, console);
    QJsonObject sync {{u"typicalMinutes"_s, aws.typicalSyncMinutes},
                      {u"limitMinutes"_s, aws.waitingLimitMinutes},
                      {u"bridge"_s, aws.syncBridge}};
    if (!aws.scimServicePrincipalId.isEmpty())
        sync.insert(u"servicePrincipalId"_s, aws.scimServicePrincipalId);
    o.insert(u"sync"_s, sync);
    return o;
}

} // namespace

QStringList AppConfig::qualifiedGraphScopes() const
{
    QStringList out;
    for (const auto &s : graphScopes)
        out << (s.contains(u"://") ? s : graphResource + u'/' + s);
    return out;
}

Result<AppConfig> AppConfig::fromJson(const QByteArray &json, const QString &sourcePath)
{
    if (json.size() > maxJsonBytes)
        return configError(sourcePath, u"the configuration is larger than %1 KiB"_s.arg(maxJsonBytes / 1024));
    QJsonParseError perr;
    const auto doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError)
        return configError(sourcePath, QStringLiteral("not a JSON object (%1)").arg(perr.errorString()));
    if (!doc.isObject())
        return configError(sourcePath, QStringLiteral("not a JSON object ({…} at the top)"));
    const auto root = doc.object();
    AppConfig c;
    c.sourcePath = sourcePath;
    Reader r;
    r.boolean(root, {}, "allowCustomEndpoints", c.allowCustomEndpoints);
    const auto entra = r.object(root, {}, "entra");
    const QString e = u"entra."_s;
    r.string(entra, e, "authorityHost", c.authorityHost);
    while (c.authorityHost.endsWith(u'/'))
        c.authorityHost.chop(1);
    r.string(entra, e, "tenant", c.tenant);
    r.string(entra, e, "clientId", c.clientId);
    r.string(entra, e, "redirectHost", c.redirectHost);
    r.integer(entra, e, "signInTimeoutSeconds", c.signInTimeoutSeconds);
    const auto graph = r.object(root, {}, "graph");
    const QString g = u"graph."_s;
    r.string(graph, g, "resource", c.graphResource);
    r.string(graph, g, "baseUrl", c.graphBaseUrl);
    while (c.graphBaseUrl.endsWith(u'/'))
        c.graphBaseUrl.chop(1);
    if (graph.contains(u"scopes")) {
        const QJsonValue scopes = graph.value(u"scopes");
        if (!scopes.isArray())
            r.fail(u"graph.scopes must be a list of strings"_s);
        c.graphScopes.clear();
        for (const auto &v : scopes.toArray()) {
            if (!v.isString() || v.toString().isEmpty()) {
                r.fail(u"graph.scopes must be a list of strings"_s);
                break;
            }
            c.graphScopes << v.toString();
        }
    }
    r.integer(graph, g, "replicationWindowSeconds", c.graphReplicationWindowSeconds);
    const auto aws = r.object(root, {}, "aws");
    const QString a = u"aws."_s;
    r.string(aws, a, "startUrl", c.aws.startUrl);
    r.string(aws, a, "region", c.aws.region);
    r.string(aws, a, "oidcEndpoint", c.aws.oidcEndpoint);
    r.string(aws, a, "portalEndpoint", c.aws.portalEndpoint);
    r.string(aws, a, "signinEndpoint", c.aws.signinEndpoint);
    r.string(aws, a, "profileTemplate", c.aws.profileTemplate);
    r.string(aws, a, "profileRegion", c.aws.profileRegion);
    r.boolean(aws, a, "plainCredentials", c.aws.plainCredentials);
    r.integer(aws, a, "portalRequestsPerSecond", c.aws.portalRequestsPerSecond);
    const auto console = r.object(aws, a, "console");
    const QString ac = u"aws.console."_s;
    r.string(console, ac, "mode", c.aws.consoleMode);
    r.string(console, ac, "region", c.aws.consoleRegion);
    c.aws.destinations = r.stringMap(console, ac, "destinations");
    const auto sync = r.object(aws, a, "sync");
    const QString as = u"aws.sync."_s;
    r.boolean(sync, as, "bridge", c.aws.syncBridge);
    if (c.aws.syncBridge) {
        // The bridge's times unless the file gives its own (an explicit value always wins).
        c.aws.typicalSyncMinutes = AwsConfig::bridgeTypicalMinutes;
        c.aws.waitingLimitMinutes = AwsConfig::bridgeLimitMinutes;
    }
    r.integer(sync, as, "typicalMinutes", c.aws.typicalSyncMinutes);
    if (sync.contains(u"limitMinutes"))
        r.integer(sync, as, "limitMinutes", c.aws.waitingLimitMinutes);
    else // "waited too long" never comes before the typical time has passed by half again
        c.aws.waitingLimitMinutes
            = qMax(c.aws.waitingLimitMinutes, c.aws.typicalSyncMinutes + c.aws.typicalSyncMinutes / 2);
    r.string(sync, as, "servicePrincipalId", c.aws.scimServicePrincipalId);
    const auto mapping = r.object(root, {}, "mapping");
    const QString m = u"mapping."_s;
    r.string(mapping, m, "pattern", c.mapping.pattern);
    const auto groups = r.object(mapping, m, "groups");
    for (auto it = groups.begin(); it != groups.end() && !r.problem; ++it) {
        const QJsonObject entry = it.value().toObject();
        const QJsonValue account = entry.value(u"account");
        const QJsonValue role = entry.value(u"role");
        if (!account.isString() || !role.isString() || account.toString().isEmpty()
            || role.toString().isEmpty()) {
            r.fail(u"mapping.groups.%1 needs \"account\" and \"role\" (strings)"_s.arg(it.key()));
            break;
        }
        c.mapping.groups.insert(it.key(), MappingConfig::Entry {account.toString(), role.toString()});
    }
    c.mapping.accountNames = r.stringMap(mapping, m, "accountNames");
    r.string(r.object(root, {}, "keychain"), u"keychain."_s, "service", c.keychainService);
    const auto requests = r.object(root, {}, "requests");
    const QString rq = u"requests."_s;
    r.integer(requests, rq, "defaultDurationMinutes", c.defaultDurationMinutes);
    if (requests.contains(u"warnMinutesBefore")) {
        const QJsonValue warn = requests.value(u"warnMinutesBefore");
        const QString why = u"requests.warnMinutesBefore takes a list of minutes between 1 and 1440"_s;
        if (!warn.isArray())
            r.fail(why);
        c.warnMinutesBefore.clear();
        for (const auto &v : warn.toArray()) {
            const int minutes = Reader::wholeNumber(v).value_or(-1);
            if (minutes <= 0 || minutes > 24 * 60) {
                r.fail(why);
                break;
            }
            c.warnMinutesBefore << minutes;
        }
        std::sort(c.warnMinutesBefore.begin(), c.warnMinutesBefore.end(), std::greater<int>());
        c.warnMinutesBefore.erase(std::unique(c.warnMinutesBefore.begin(), c.warnMinutesBefore.end()),
                                  c.warnMinutesBefore.end());
    }
    r.string(r.object(root, {}, "history"), u"history."_s, "path", c.historyPath);
    if (r.problem)
        return configError(sourcePath, *r.problem);

    if (c.tenant.isEmpty())
        return configError(sourcePath, QStringLiteral("entra.tenant is not set"));
    if (c.clientId.isEmpty())
        return configError(sourcePath, QStringLiteral("entra.clientId is not set"));

    // Every endpoint: HTTPS (or loopback), and Microsoft's or AWS's own host unless the file opts in.
    const EndpointRule authority {"entra.authorityHost", isEntraLoginHost, "a Microsoft sign-in host"};
    const EndpointRule resource {"graph.resource", isGraphHost, "a Microsoft Graph host"};
    const EndpointRule baseUrl {"graph.baseUrl", isGraphHost, "a Microsoft Graph host"};
    const EndpointRule oidc {"aws.oidcEndpoint",
                             [](const QString &h) { return isAwsRegionalServiceHost(h, u"oidc"_s); },
                             "an IAM Identity Center OIDC host (oidc.{region}.amazonaws.com)"};
    const EndpointRule portal {"aws.portalEndpoint",
                               [](const QString &h) { return isAwsRegionalServiceHost(h, u"portal.sso"_s); },
                               "an IAM Identity Center portal host (portal.sso.{region}.amazonaws.com)"};
    const EndpointRule signin {"aws.signinEndpoint", isAwsSigninHost,
                               "an AWS sign-in host ({region}.signin.aws.amazon.com)"};
    const EndpointRule start {"aws.startUrl", isAwsStartHost,
                              "an AWS access portal host (….awsapps.com, ….app.aws)", false};
    for (const auto &[value, rule] :
         {std::pair {c.authorityHost, authority}, std::pair {c.graphResource, resource}}) {
        if (const QString why = endpointProblem(value, rule, c.allowCustomEndpoints); !why.isEmpty())
            return configError(sourcePath, why);
    }
    // Graph tokens are for graph.resource and go to graph.baseUrl: the two must be one origin, whatever
    // the opt-in says (the emulator's loopback Graph answers for the real resource name). On that
    // origin, graph.baseUrl's host is graph.resource's, which has passed the host rule.
    if (const QString why = endpointProblem(c.graphBaseUrl, baseUrl, true); !why.isEmpty())
        return configError(sourcePath, why);
    const QUrl base(c.graphBaseUrl);
    if (!isLoopbackUrl(base) && !sameOrigin(base, QUrl(c.graphResource)))
        return configError(sourcePath,
                           u"graph.baseUrl (%1) must be on the origin of graph.resource (%2): Graph tokens "
                           u"for the resource are sent to graph.baseUrl"_s.arg(
                               base.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment)
                                   .toString(QUrl::FullyEncoded),
                               QUrl(c.graphResource)
                                   .adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment)
                                   .toString(QUrl::FullyEncoded)));
    for (const auto &[value, rule] :
         {std::pair {c.aws.oidcEndpoint, oidc}, std::pair {c.aws.portalEndpoint, portal},
          std::pair {c.aws.signinEndpoint, signin}, std::pair {c.aws.startUrl, start}}) {
        if (value.isEmpty())
            continue;
        if (const QString why = endpointProblem(value, rule, c.allowCustomEndpoints); !why.isEmpty())
            return configError(sourcePath, why);
    }
    // Console URLs (the rest are service names): where the federation sign-in sends the browser.
    for (auto it = c.aws.destinations.cbegin(); it != c.aws.destinations.cend(); ++it) {
        if (!it.value().trimmed().startsWith(u"https://"))
            continue;
        const QByteArray key = "aws.console.destinations." + it.key().toUtf8();
        const EndpointRule console {key.constData(), isAwsConsoleHost,
                                    "an AWS console host (….console.aws.amazon.com)", false};
        if (const QString why = endpointProblem(it.value().trimmed(), console, c.allowCustomEndpoints);
            !why.isEmpty())
            return configError(sourcePath, why);
    }
    if (c.redirectHost != u"localhost" && c.redirectHost != u"127.0.0.1")
        return configError(sourcePath, QStringLiteral("entra.redirectHost must be localhost or 127.0.0.1"));
    if (c.graphReplicationWindowSeconds < 0 || c.graphReplicationWindowSeconds > 3600)
        return configError(sourcePath,
                           QStringLiteral("graph.replicationWindowSeconds must be between 0 and 3600"));
    if (c.signInTimeoutSeconds < 10 || c.signInTimeoutSeconds > 3600)
        return configError(sourcePath,
                           QStringLiteral("entra.signInTimeoutSeconds must be between 10 and 3600"));
    const QRegularExpression re(c.mapping.pattern);
    if (!re.isValid())
        return configError(sourcePath, QStringLiteral("mapping.pattern is not a valid regular expression"));
    if (!re.namedCaptureGroups().contains(u"account") || !re.namedCaptureGroups().contains(u"role"))
        return configError(sourcePath,
                           QStringLiteral("mapping.pattern needs named groups (?<account>…) and (?<role>…)"));
    if (!c.aws.region.isEmpty() && !AwsPartition::isWellFormedRegion(c.aws.region))
        return configError(sourcePath, u"aws.region: "_s + awsRegionProblem(c.aws.region));
    if (!c.aws.consoleRegion.isEmpty() && !AwsPartition::isWellFormedRegion(c.aws.consoleRegion))
        return configError(sourcePath, u"aws.console.region: "_s + awsRegionProblem(c.aws.consoleRegion));
    if (!c.aws.profileTemplate.contains(u"{account}") || !c.aws.profileTemplate.contains(u"{role}")
        || c.aws.profileTemplate.contains(QRegularExpression(u"[\\s\\[\\]]"_s)))
        return configError(sourcePath,
                           QStringLiteral("aws.profileTemplate needs {account} and {role} and no "
                                          "spaces or brackets"));
    if (c.aws.consoleMode != u"federation" && c.aws.consoleMode != u"portal")
        return configError(sourcePath, QStringLiteral("aws.console.mode is \"federation\" or \"portal\""));
    if (c.aws.typicalSyncMinutes < 1 || c.aws.waitingLimitMinutes < 1 || c.aws.typicalSyncMinutes > 10080
        || c.aws.waitingLimitMinutes > 10080)
        return configError(sourcePath,
                           QStringLiteral("aws.sync minutes must be between 1 and 10080 (a week)"));
    if (c.aws.portalRequestsPerSecond < 1 || c.aws.portalRequestsPerSecond > 1000)
        return configError(sourcePath,
                           QStringLiteral("aws.portalRequestsPerSecond must be between 1 and 1000"));
    if (c.keychainService.isEmpty())
        return configError(sourcePath, QStringLiteral("keychain.service must not be empty"));
    if (c.defaultDurationMinutes < 5 || c.defaultDurationMinutes > 24 * 60)
        return configError(sourcePath,
                           QStringLiteral("requests.defaultDurationMinutes must be between 5 and 1440"));
    return c;
}

Result<AppConfig> AppConfig::load(const QString &path)
{
    QFile f(path);
    if (!f.exists())
        return configError(path, QStringLiteral("no such file"));
    if (!f.open(QIODevice::ReadOnly))
        return configError(path, f.errorString());
    return fromJson(f.readAll(), path);
}

QByteArray AppConfig::toJson() const
{
    QJsonObject entra {{u"authorityHost"_s, authorityHost},
                       {u"tenant"_s, tenant},
                       {u"clientId"_s, clientId},
                       {u"redirectHost"_s, redirectHost},
                       {u"signInTimeoutSeconds"_s, signInTimeoutSeconds}};
    QJsonObject graph {{u"resource"_s, graphResource},
                       {u"baseUrl"_s, graphBaseUrl},
                       {u"scopes"_s, QJsonArray::fromStringList(graphScopes)},
                       {u"replicationWindowSeconds"_s, graphReplicationWindowSeconds}};
    QJsonObject groups;
    for (auto it = mapping.groups.begin(); it != mapping.groups.end(); ++it)
        groups.insert(it.key(), QJsonObject {{u"account"_s, it->accountId}, {u"role"_s, it->roleName}});
    QJsonObject names;
    for (auto it = mapping.accountNames.begin(); it != mapping.accountNames.end(); ++it)
        names.insert(it.key(), it.value());
    QJsonObject root {
        {u"entra"_s, entra},
        {u"graph"_s, graph},
        {u"aws"_s, awsJson(aws)},
        {u"mapping"_s,
         QJsonObject {{u"pattern"_s, mapping.pattern}, {u"groups"_s, groups}, {u"accountNames"_s, names}}},
        {u"keychain"_s, QJsonObject {{u"service"_s, keychainService}}}};
    QJsonArray warn;
    for (int m : warnMinutesBefore)
        warn.append(m);
    root.insert(
        u"requests"_s,
        QJsonObject {{u"defaultDurationMinutes"_s, defaultDurationMinutes}, {u"warnMinutesBefore"_s, warn}});
    if (!historyPath.isEmpty())
        root.insert(u"history"_s, QJsonObject {{u"path"_s, historyPath}});
    if (allowCustomEndpoints)
        root.insert(u"allowCustomEndpoints"_s, true);
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QString AppConfig::historyDefaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/elevate/history.sqlite");
}

QString AppConfig::defaultPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
        + QStringLiteral("/elevate/config.json");
}

} // namespace Elevate::Core

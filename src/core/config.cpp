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

using namespace Qt::StringLiterals;

namespace Elevate::Core {

namespace {

Error configError(const QString &path, const QString &what)
{
    return Error::make(Error::Kind::Config, path.isEmpty() ? what : path + QStringLiteral(": ") + what);
}

// Endpoints must be HTTPS, except on loopback (the emulator).
bool acceptableEndpoint(const QString &text)
{
    const QUrl url(text);
    if (!url.isValid() || url.host().isEmpty())
        return false;
    if (url.scheme() == u"https")
        return true;
    return url.scheme() == u"http" && isLoopbackUrl(url);
}

QString str(const QJsonObject &o, const char *key, const QString &fallback)
{
    const auto v = o.value(QLatin1String(key));
    return v.isString() ? v.toString() : fallback;
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
                   {u"plainCredentials"_s, aws.plainCredentials}};
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
                      {u"limitMinutes"_s, aws.waitingLimitMinutes}};
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
    QJsonParseError perr;
    const auto doc = QJsonDocument::fromJson(json, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject())
        return configError(sourcePath, QStringLiteral("not a JSON object (%1)").arg(perr.errorString()));
    const auto root = doc.object();
    AppConfig c;
    c.sourcePath = sourcePath;
    const auto entra = root.value(u"entra").toObject();
    c.authorityHost = str(entra, "authorityHost", c.authorityHost);
    while (c.authorityHost.endsWith(u'/'))
        c.authorityHost.chop(1);
    c.tenant = str(entra, "tenant", c.tenant);
    c.clientId = str(entra, "clientId", c.clientId);
    c.redirectHost = str(entra, "redirectHost", c.redirectHost);
    c.signInTimeoutSeconds = entra.value(u"signInTimeoutSeconds").toInt(c.signInTimeoutSeconds);
    const auto graph = root.value(u"graph").toObject();
    c.graphResource = str(graph, "resource", c.graphResource);
    c.graphBaseUrl = str(graph, "baseUrl", c.graphBaseUrl);
    while (c.graphBaseUrl.endsWith(u'/'))
        c.graphBaseUrl.chop(1);
    if (graph.value(u"scopes").isArray()) {
        c.graphScopes.clear();
        for (const auto &v : graph.value(u"scopes").toArray())
            c.graphScopes << v.toString();
    }
    c.graphReplicationWindowSeconds
        = graph.value(u"replicationWindowSeconds").toInt(c.graphReplicationWindowSeconds);
    const auto aws = root.value(u"aws").toObject();
    c.aws.startUrl = str(aws, "startUrl", c.aws.startUrl);
    c.aws.region = str(aws, "region", c.aws.region);
    c.aws.oidcEndpoint = str(aws, "oidcEndpoint", c.aws.oidcEndpoint);
    c.aws.portalEndpoint = str(aws, "portalEndpoint", c.aws.portalEndpoint);
    c.aws.signinEndpoint = str(aws, "signinEndpoint", c.aws.signinEndpoint);
    c.aws.profileTemplate = str(aws, "profileTemplate", c.aws.profileTemplate);
    c.aws.profileRegion = str(aws, "profileRegion", c.aws.profileRegion);
    c.aws.plainCredentials = aws.value(u"plainCredentials").toBool(c.aws.plainCredentials);
    const auto console = aws.value(u"console").toObject();
    c.aws.consoleMode = str(console, "mode", c.aws.consoleMode);
    c.aws.consoleRegion = str(console, "region", c.aws.consoleRegion);
    const auto destinations = console.value(u"destinations").toObject();
    for (auto it = destinations.begin(); it != destinations.end(); ++it)
        c.aws.destinations.insert(it.key(), it.value().toString());
    const auto sync = aws.value(u"sync").toObject();
    c.aws.typicalSyncMinutes = sync.value(u"typicalMinutes").toInt(c.aws.typicalSyncMinutes);
    c.aws.waitingLimitMinutes = sync.value(u"limitMinutes").toInt(c.aws.waitingLimitMinutes);
    c.aws.scimServicePrincipalId = str(sync, "servicePrincipalId", c.aws.scimServicePrincipalId);
    const auto mapping = root.value(u"mapping").toObject();
    c.mapping.pattern = str(mapping, "pattern", c.mapping.pattern);
    const auto groups = mapping.value(u"groups").toObject();
    for (auto it = groups.begin(); it != groups.end(); ++it) {
        const auto e = it.value().toObject();
        MappingConfig::Entry entry {e.value(u"account").toString(), e.value(u"role").toString()};
        if (entry.accountId.isEmpty() || entry.roleName.isEmpty())
            return configError(
                sourcePath, QStringLiteral("mapping.groups.%1 needs \"account\" and \"role\"").arg(it.key()));
        c.mapping.groups.insert(it.key(), entry);
    }
    const auto names = mapping.value(u"accountNames").toObject();
    for (auto it = names.begin(); it != names.end(); ++it)
        c.mapping.accountNames.insert(it.key(), it.value().toString());
    c.keychainService = str(root.value(u"keychain").toObject(), "service", c.keychainService);
    const auto requests = root.value(u"requests").toObject();
    if (requests.contains(u"defaultDurationMinutes"))
        c.defaultDurationMinutes = requests.value(u"defaultDurationMinutes").toInt(-1);
    if (requests.contains(u"warnMinutesBefore")) {
        c.warnMinutesBefore.clear();
        for (const auto &v : requests.value(u"warnMinutesBefore").toArray()) {
            const int m = v.toInt(-1);
            if (m <= 0 || m > 24 * 60)
                return configError(
                    sourcePath,
                    QStringLiteral("requests.warnMinutesBefore takes minutes between 1 and 1440"));
            c.warnMinutesBefore << m;
        }
        std::sort(c.warnMinutesBefore.begin(), c.warnMinutesBefore.end(), std::greater<int>());
        c.warnMinutesBefore.erase(std::unique(c.warnMinutesBefore.begin(), c.warnMinutesBefore.end()),
                                  c.warnMinutesBefore.end());
    }
    c.historyPath = str(root.value(u"history").toObject(), "path", c.historyPath);

    if (c.tenant.isEmpty())
        return configError(sourcePath, QStringLiteral("entra.tenant is not set"));
    if (c.clientId.isEmpty())
        return configError(sourcePath, QStringLiteral("entra.clientId is not set"));
    if (!acceptableEndpoint(c.authorityHost))
        return configError(sourcePath, QStringLiteral("entra.authorityHost must be an https URL"));
    if (!acceptableEndpoint(c.graphBaseUrl))
        return configError(sourcePath, QStringLiteral("graph.baseUrl must be an https URL"));
    if (c.redirectHost != u"localhost" && c.redirectHost != u"127.0.0.1")
        return configError(sourcePath, QStringLiteral("entra.redirectHost must be localhost or 127.0.0.1"));
    if (c.graphReplicationWindowSeconds < 0 || c.graphReplicationWindowSeconds > 3600)
        return configError(sourcePath,
                           QStringLiteral("graph.replicationWindowSeconds must be between 0 and 3600"));
    if (c.signInTimeoutSeconds < 10)
        return configError(sourcePath, QStringLiteral("entra.signInTimeoutSeconds must be at least 10"));
    const QRegularExpression re(c.mapping.pattern);
    if (!re.isValid())
        return configError(sourcePath, QStringLiteral("mapping.pattern is not a valid regular expression"));
    if (!re.namedCaptureGroups().contains(u"account") || !re.namedCaptureGroups().contains(u"role"))
        return configError(sourcePath,
                           QStringLiteral("mapping.pattern needs named groups (?<account>…) and (?<role>…)"));
    for (const auto &[value, name] : {std::pair {c.aws.oidcEndpoint, "aws.oidcEndpoint"},
                                      std::pair {c.aws.portalEndpoint, "aws.portalEndpoint"},
                                      std::pair {c.aws.signinEndpoint, "aws.signinEndpoint"},
                                      std::pair {c.aws.startUrl, "aws.startUrl"}}) {
        if (!value.isEmpty() && !acceptableEndpoint(value))
            return configError(sourcePath,
                               QStringLiteral("%1 must be an https URL").arg(QLatin1String(name)));
    }
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
    if (c.aws.typicalSyncMinutes < 1 || c.aws.waitingLimitMinutes < 1)
        return configError(sourcePath, QStringLiteral("aws.sync minutes must be positive"));
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

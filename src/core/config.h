// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QHash>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace Elevate::Core {

/// How PIM groups map to AWS account + role: a naming rule, overridden per group by an explicit table.
struct MappingConfig
{
    /// Regular expression with named groups `account` and `role`, matched against the group's display
    /// name. The default accepts `AWS-123456789012-AdministratorAccess`.
    QString pattern = QStringLiteral(R"(^AWS-(?<account>\d{12})-(?<role>[\w+=,.@-]{1,64})$)");
    struct Entry
    {
        QString accountId;
        QString roleName;
    };
    /// Explicit table, keyed by group object id or by group display name; wins over the pattern.
    QHash<QString, Entry> groups;
    /// Friendly names of AWS accounts, keyed by account id.
    QHash<QString, QString> accountNames;
};

/// The AWS side: IAM Identity Center (sign-in, portal), the console, and the profiles Elevate writes.
struct AwsConfig
{
    QString startUrl; // the access portal, e.g. https://d-1234567890.awsapps.com/start
    QString region; // Identity Center's home region (sso_region), not a workload region
    /// Overrides of the endpoints derived from `region` (the emulator sets them; HTTPS or loopback).
    QString oidcEndpoint; // empty: https://oidc.{region}.{partition domain}
    QString portalEndpoint; // empty: https://portal.sso.{region}.{partition domain}
    QString signinEndpoint; // the federation URL; empty: https://{region}.signin.{partition}/federation
    /// Profile names; {account}, {role} and {accountName} are replaced.
    QString profileTemplate = QStringLiteral("elevate-{account}-{role}");
    QString profileRegion; // `region` written into each profile; empty: none
    /// Opt-in: write plain keys to the shared credentials file (for tools that cannot run a process).
    bool plainCredentials = false;
    /// How "Open console" signs in: "federation" (a sign-in token, session capped by the grant) or
    /// "portal" (the access portal's shortcut link, the browser's own Identity Center session).
    QString consoleMode = QStringLiteral("federation");
    QString consoleRegion; // console region; empty: the Identity Center region
    /// Where the console opens, per target key ("123456789012/Role"): a console URL or a service name
    /// ("ec2"); "" opens the console home.
    QHash<QString, QString> destinations;
    /// "Waiting for AWS": the sync cycle people are told to expect, and when to say what to do.
    int typicalSyncMinutes = 40;
    int waitingLimitMinutes = 60;
    /// aws.sync.bridge: the organisation runs elevate-bridge, which pushes each new PIM member to
    /// Identity Center on demand. Where aws.sync.typicalMinutes / limitMinutes are not given, they are
    /// then bridgeTypicalMinutes / bridgeLimitMinutes instead of Entra's 40-minute cycle.
    bool syncBridge = false;
    /// The bridge polls Graph every 15 s (bridge.pollSeconds' default) and provisions a new member at
    /// once; Identity Center lists the role within seconds of a successful provisionOnDemand. A minute
    /// covers a poll, the push and a portal check; five allow for a throttled push (5 calls in 10 s,
    /// graph-pim.md §12) and a few retries before "the bridge may be down or behind" is said.
    static constexpr int bridgeTypicalMinutes = 1;
    static constexpr int bridgeLimitMinutes = 5;
    /// Provision on demand (graph-pim.md §12): the Identity Center enterprise app's service principal.
    /// Empty: not offered.
    QString scimServicePrincipalId;

    /// aws.portalRequestsPerSecond: the pace of portal requests (role discovery lists every account's
    /// roles). AWS publishes no limit for the portal API; it answers bursts with 429. Requests are
    /// spaced to stay under this rate, and after a 429 the pace halves for a minute.
    int portalRequestsPerSecond = 20;

    bool isConfigured() const { return !startUrl.isEmpty() && !region.isEmpty(); }
};

/**
 * Elevate's configuration (a JSON file). Holds endpoints and identifiers, never secrets.
 * See README "Configuration" for the file format.
 */
struct AppConfig
{
    /// Opt-in (top-level "allowCustomEndpoints"): endpoints on hosts other than Microsoft's and AWS's
    /// own. Without it such a configuration is refused, so a planted or mistyped file cannot send
    /// tokens elsewhere. HTTPS stays required either way; loopback is always allowed (the emulator).
    bool allowCustomEndpoints = false;
    QString authorityHost = QStringLiteral("https://login.microsoftonline.com");
    QString tenant; // tenant id (GUID) or domain; "organizations" works but PIM data is per tenant
    QString clientId;
    QString redirectHost = QStringLiteral("localhost"); // must match the app registration exactly
    int signInTimeoutSeconds = 300;
    QString graphResource = QStringLiteral("https://graph.microsoft.com");
    QString graphBaseUrl = QStringLiteral("https://graph.microsoft.com/v1.0");
    QStringList graphScopes
        = {QStringLiteral("User.Read"), QStringLiteral("PrivilegedEligibilitySchedule.Read.AzureADGroup"),
           QStringLiteral("PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"),
           QStringLiteral("RoleManagementPolicy.Read.AzureADGroup")};
    /// How long after a write Graph may not show it yet (replication lag, tens of seconds): inside it
    /// a request that answers 404 or a grant not listed is "not visible yet", never "gone".
    int graphReplicationWindowSeconds = 60;
    AwsConfig aws;
    MappingConfig mapping;
    /// Requests: the duration the form starts with (capped by each group's policy), and when to warn
    /// before a grant ends (minutes, descending; the end itself is always announced).
    int defaultDurationMinutes = 60;
    QList<int> warnMinutesBefore = {15, 5, 1};
    /// The request/grant history (SQLite). Empty means historyDefaultPath().
    QString historyPath;
    /// Keychain service name; every keychain entry Elevate makes lives under it.
    QString keychainService = QStringLiteral("Elevate");
    /// Where the file came from (not serialised).
    QString sourcePath;

    /// Full scope strings for the Graph resource (`https://graph.microsoft.com/User.Read` ...).
    QStringList qualifiedGraphScopes() const;

    /// Parses and validates a config document (the file's bytes; `load` reads the file and calls it).
    /// Refuses a value of the wrong type, plain HTTP to anything but loopback, an endpoint on a host
    /// that is not Microsoft's or AWS's without allowCustomEndpoints, and a graph.baseUrl on another
    /// origin than graph.resource (loopback excepted). The error names the key.
    static Result<AppConfig> fromJson(const QByteArray &json, const QString &sourcePath = {});
    /// Larger documents are refused before they are parsed.
    static constexpr qsizetype maxJsonBytes = 1024 * 1024;
    static Result<AppConfig> load(const QString &path);
    QByteArray toJson() const;

    /// The file used when neither --config nor ELEVATE_CONFIG names one.
    static QString defaultPath();
    /// ~/.local/share/elevate/history.sqlite (shared by the tray and the command line).
    static QString historyDefaultPath();
    QString effectiveHistoryPath() const
    {
        return historyPath.isEmpty() ? historyDefaultPath() : historyPath;
    }
};

/// True for http(s) URLs whose host is 127.0.0.1, ::1 or localhost.
bool isLoopbackUrl(const QUrl &url);

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/config.h"
#include "core/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace Elevate::Bridge {

/**
 * elevate-bridge's configuration: the app's keys (entra.authorityHost, entra.tenant, entra.clientId —
 * here the bridge's own app registration —, graph.*, mapping.*, aws.sync.servicePrincipalId,
 * allowCustomEndpoints), parsed by Core::AppConfig with the app's rules, plus a "bridge" object.
 * Holds no secret: the client secret or private key is named by a file path or an environment
 * variable (see README, packaging/bridge/).
 */
struct BridgeConfig
{
    Core::AppConfig app;

    enum class Credential { Secret, Certificate };
    Credential credential = Credential::Secret;
    /// Secret: exactly one of these. A file must not be readable by group or others.
    QString clientSecretFile; // bridge.clientSecretFile
    QString clientSecretEnv; // bridge.clientSecretEnv (the variable's name)
    /// Certificate: the PEM certificate registered with the app, and its private key (file or env).
    QString certificateFile; // bridge.certificateFile
    QString privateKeyFile; // bridge.privateKeyFile
    QString privateKeyEnv; // bridge.privateKeyEnv
    /// "RS256" (default) or "PS256": Entra's docs give both for the client assertion.
    QString assertionAlgorithm = QStringLiteral("RS256");

    int pollSeconds = 15; // bridge.pollSeconds, 5..3600
    /// Groups to watch (object ids). Empty: every group whose name the mapping accepts (listed with
    /// Group.Read.All every groupRefreshMinutes), plus the GUID keys of mapping.groups.
    QStringList groupIds; // bridge.groupIds
    int groupRefreshMinutes = 10; // bridge.groupRefreshMinutes, 1..1440
    /// First start (empty state): activations that began less than this long ago are pushed; older
    /// ones are recorded as already provisioned by the regular cycle.
    int catchUpMinutes = 40; // bridge.catchUpMinutes, 0..1440
    QString statePath; // bridge.statePath; empty: defaultStatePath()
    /// "host:port" for GET /healthz and /metrics; empty: no endpoint. Loopback unless
    /// bridge.allowRemoteListen is true.
    QString listen; // bridge.listen
    bool allowRemoteListen = false; // bridge.allowRemoteListen

    QString sourcePath;

    /// Parses the document; refuses what AppConfig refuses, plus a missing or ambiguous credential,
    /// a secret written into the file itself (bridge.clientSecret), out-of-range numbers, a bad
    /// listen address, a missing aws.sync.servicePrincipalId. The error names the key.
    static Core::Result<BridgeConfig> fromJson(const QByteArray &json, const QString &sourcePath = {});
    static Core::Result<BridgeConfig> load(const QString &path);
    /// $STATE_DIRECTORY/state.sqlite (systemd's StateDirectory=), else
    /// $XDG_STATE_HOME/elevate-bridge/state.sqlite (~/.local/state/...).
    static QString defaultStatePath();
    QString effectiveStatePath() const { return statePath.isEmpty() ? defaultStatePath() : statePath; }
};

/// The secret (Secret) or the PEM private key (Certificate) the configuration names: from the file
/// (refused when group or others may read it, or it is empty) or from the environment variable (refused
/// when unset or empty). Trailing newlines of a secret are dropped. The error names the file or variable,
/// never the content.
Core::Result<QByteArray> readCredential(const BridgeConfig &config);

} // namespace Elevate::Bridge

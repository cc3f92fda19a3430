// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/config.h"
#include "core/result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace Elevate::Bridge {

/**
 * File paths (bridge.clientSecretFile, bridge.certificateFile, bridge.privateKeyFile): absolute, or
 * relative to the configuration file's directory, or beginning with the literal
 * `$CREDENTIALS_DIRECTORY/` (or `${CREDENTIALS_DIRECTORY}/`) followed by one name: systemd's
 * LoadCredential=NAME:… puts the credential there (mode 0400, owned by the service's user). That prefix
 * is kept as written and expanded from the environment when the file is read (refused when the
 * variable is unset); no other expansion happens, and any other '$' in such a path is refused.
 *
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
    /// `listen` taken apart (empty host when there is no endpoint): the host without brackets
    /// ("127.0.0.1", "::1", "localhost") and the port (0: any free port).
    QString listenHost;
    quint16 listenPort = 0;

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

/// The certificate file's bytes (Certificate only): a regular file of at most 64 KiB; a certificate is
/// public, so its mode is not checked.
Core::Result<QByteArray> readCertificate(const BridgeConfig &config);

/// `path` with a leading $CREDENTIALS_DIRECTORY/ (or ${CREDENTIALS_DIRECTORY}/) replaced by that
/// variable's value; an error when it is unset or empty. Any other path comes back as it is.
Core::Result<QString> expandCredentialPath(const QString &path);

} // namespace Elevate::Bridge

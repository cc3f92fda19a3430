// SPDX-License-Identifier: GPL-3.0-or-later
// BridgeConfig::fromJson reads elevate-bridge's configuration: it must never crash, hang or throw on
// any bytes, and whatever it accepts must keep its promises (checked here without its helpers): what
// AppConfig accepts for the same bytes, exactly one credential, no secret written into the file, the
// numbers in their ranges, group ids as lower-case GUIDs without repeats, statePath absolute or empty,
// file paths absolute or naming a systemd credential, listen taken apart into a loopback host (unless
// allowRemoteListen) and a port.
#include "app/bridge/bridgeconfig.h"

#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <cstdint>
#include <cstdlib>

using Elevate::Bridge::BridgeConfig;
using Elevate::Core::AppConfig;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

bool guid(const QString &s)
{
    if (s.size() != 36)
        return false;
    for (int i = 0; i < 36; ++i) {
        const QChar c = s.at(i);
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != u'-')
                return false;
        } else if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F'))) {
            return false;
        }
    }
    return true;
}

bool credentialPath(const QString &p)
{
    if (p.startsWith(u"$CREDENTIALS_DIRECTORY/") || p.startsWith(u"${CREDENTIALS_DIRECTORY}/")) {
        const QString name = p.mid(p.indexOf(u'/') + 1);
        return !name.isEmpty() && !name.contains(u'/');
    }
    return p.startsWith(u'/') && !p.contains(u'$');
}

bool envName(const QString &n)
{
    if (n.isEmpty() || n.at(0).isDigit())
        return false;
    for (const QChar c : n) {
        if (!(c == u'_' || (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z')))
            return false;
    }
    return true;
}

void checkInvariants(const BridgeConfig &c, const QByteArray &bytes)
{
    // AppConfig accepts the same document and reads the same app keys.
    const auto app = AppConfig::fromJson(bytes, QStringLiteral("/etc/elevate/bridge.json"));
    check(app.ok());
    check(app->toJson() == c.app.toJson());
    check(guid(c.app.clientId) && guid(c.app.aws.scimServicePrincipalId));
    for (const char *alias : {"common", "organizations", "consumers"})
        check(c.app.tenant.compare(QLatin1String(alias), Qt::CaseInsensitive) != 0);

    // Never a secret in the file.
    const QJsonObject root = QJsonDocument::fromJson(bytes).object();
    const QJsonObject bridge = root.value(u"bridge").toObject();
    check(root.value(u"bridge").isObject());
    check(!bridge.contains(u"clientSecret") && !bridge.contains(u"privateKey"));
    check(!root.value(u"entra").toObject().contains(u"clientSecret"));

    // Exactly one credential, each field as its kind needs.
    if (c.credential == BridgeConfig::Credential::Secret) {
        check(c.clientSecretFile.isEmpty() != c.clientSecretEnv.isEmpty());
        check(c.certificateFile.isEmpty() && c.privateKeyFile.isEmpty() && c.privateKeyEnv.isEmpty());
    } else {
        check(!c.certificateFile.isEmpty());
        check(c.clientSecretFile.isEmpty() && c.clientSecretEnv.isEmpty());
        check(c.privateKeyFile.isEmpty() != c.privateKeyEnv.isEmpty());
    }
    for (const QString &p : {c.clientSecretFile, c.certificateFile, c.privateKeyFile})
        check(p.isEmpty() || credentialPath(p));
    for (const QString &n : {c.clientSecretEnv, c.privateKeyEnv})
        check(n.isEmpty() || envName(n));
    check(c.assertionAlgorithm == u"RS256" || c.assertionAlgorithm == u"PS256");

    check(c.pollSeconds >= 5 && c.pollSeconds <= 3600);
    check(c.groupRefreshMinutes >= 1 && c.groupRefreshMinutes <= 1440);
    check(c.catchUpMinutes >= 0 && c.catchUpMinutes <= 1440);
    QSet<QString> seen;
    for (const QString &id : c.groupIds) {
        check(guid(id) && id == id.toLower() && !seen.contains(id));
        seen.insert(id);
    }
    check(c.statePath.isEmpty() || c.statePath.startsWith(u'/'));
    check(c.effectiveStatePath().startsWith(u'/'));

    if (c.listen.isEmpty()) {
        check(c.listenHost.isEmpty() && c.listenPort == 0);
    } else {
        check(!c.listenHost.isEmpty());
        // The text is host:port, the host bracketed when it is IPv6.
        const QString host = c.listenHost.contains(u':') ? u'[' + c.listenHost + u']' : c.listenHost;
        check(c.listen == host + u':' + QString::number(c.listenPort));
        const bool loopback = c.listenHost.contains(u':')
            ? QHostAddress(c.listenHost).isLoopback()
            : c.listenHost.compare(u"localhost", Qt::CaseInsensitive) == 0
                || c.listenHost.startsWith(u"127.");
        if (!c.listenHost.contains(u':') && c.listenHost.compare(u"localhost", Qt::CaseInsensitive) != 0) {
            // A dotted quad of decimal octets without leading zeros.
            const QStringList octets = c.listenHost.split(u'.');
            check(octets.size() == 4);
            for (const QString &o : octets)
                check(!o.isEmpty() && o.size() <= 3 && (o.size() == 1 || o.at(0) != u'0')
                      && o.toInt() <= 255);
        }
        check(loopback || c.allowRemoteListen);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto config = BridgeConfig::fromJson(bytes, QStringLiteral("/etc/elevate/bridge.json"));
    if (!config.ok()) {
        check(config.error().kind == Elevate::Core::Error::Kind::Config);
        check(config.error().message.startsWith(QStringLiteral("/etc/elevate/bridge.json: ")));
        return 0;
    }
    checkInvariants(config.value(), bytes);
    return 0;
}

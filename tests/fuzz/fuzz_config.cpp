// SPDX-License-Identifier: GPL-3.0-or-later
// AppConfig::fromJson reads the configuration file, which anyone who can write to ~/.config could
// have planted: it must never crash, hang or throw on any bytes, and whatever it accepts must keep
// its promises (checked here without its own helpers): every endpoint HTTPS or plain HTTP only to
// loopback, no user name in front of a host, without "allowCustomEndpoints" only Microsoft's and AWS's
// domains, graph.baseUrl on graph.resource's origin unless loopback, numbers in their ranges, and
// toJson() reading back as the same configuration.
#include "core/config.h"

#include <QUrl>

#include <cstdint>
#include <cstdlib>
#include <limits>

using Elevate::Core::AppConfig;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

bool loopbackHost(const QString &host)
{
    if (host == u"localhost" || host == u"::1")
        return true;
    const QStringList parts = host.split(u'.');
    if (parts.size() != 4 || parts.first() != u"127")
        return false;
    for (const QString &p : parts) {
        bool ok = false;
        const int v = p.toInt(&ok);
        if (!ok || v < 0 || v > 255)
            return false;
    }
    return true;
}

/// Registrable domains of Microsoft's sign-in and Graph hosts and of AWS (a coarser net than the
/// loader's: a host outside all of them must never load without the opt-in).
bool ownedByMicrosoftOrAws(const QString &host)
{
    static const QStringList owners {QStringLiteral("microsoftonline.com"),
                                     QStringLiteral("microsoft.com"),
                                     QStringLiteral("windows.net"),
                                     QStringLiteral("microsoftonline.us"),
                                     QStringLiteral("microsoft.us"),
                                     QStringLiteral("microsoftonline.cn"),
                                     QStringLiteral("chinacloudapi.cn"),
                                     QStringLiteral("amazonaws.com"),
                                     QStringLiteral("amazonaws.com.cn"),
                                     QStringLiteral("amazonaws.cn"),
                                     QStringLiteral("amazonaws.eu"),
                                     QStringLiteral("amazonaws-us-gov.com"),
                                     QStringLiteral("amazonaws-eusc.eu"),
                                     QStringLiteral("amazon.com"),
                                     QStringLiteral("awsapps.com"),
                                     QStringLiteral("awsapps.cn"),
                                     QStringLiteral("aws"),
                                     QStringLiteral("amazonwebservices.com.cn"),
                                     QStringLiteral("amazonwebservices.eu"),
                                     QStringLiteral("ic.gov"),
                                     QStringLiteral("sgov.gov"),
                                     QStringLiteral("adc-e.uk")};
    for (const QString &d : owners) {
        if (host == d || host.endsWith(u'.' + d))
            return true;
    }
    return false;
}

void checkEndpoint(const QString &text, bool allowCustom)
{
    const QUrl url(text);
    check(url.isValid() && !url.host().isEmpty());
    const bool loopback = loopbackHost(url.host());
    check(url.scheme() == u"https" || (url.scheme() == u"http" && loopback));
    check(url.userInfo().isEmpty());
    if (!allowCustom && !loopback)
        check(ownedByMicrosoftOrAws(url.host()));
}

int port(const QUrl &u)
{
    return u.port(u.scheme() == u"https" ? 443 : 80);
}

void checkInvariants(const AppConfig &c)
{
    check(!c.tenant.isEmpty() && !c.clientId.isEmpty() && !c.keychainService.isEmpty());
    const bool custom = c.allowCustomEndpoints;
    checkEndpoint(c.authorityHost, custom);
    checkEndpoint(c.graphResource, custom);
    checkEndpoint(c.graphBaseUrl, custom);
    for (const QString &optional :
         {c.aws.startUrl, c.aws.oidcEndpoint, c.aws.portalEndpoint, c.aws.signinEndpoint})
        if (!optional.isEmpty())
            checkEndpoint(optional, custom);
    for (const QString &destination : c.aws.destinations)
        if (destination.trimmed().startsWith(u"https://"))
            checkEndpoint(destination.trimmed(), custom);
    const QUrl base(c.graphBaseUrl), resource(c.graphResource);
    if (!loopbackHost(base.host()))
        check(base.scheme() == resource.scheme() && base.host() == resource.host()
              && port(base) == port(resource));
    check(c.redirectHost == u"localhost" || c.redirectHost == u"127.0.0.1");
    // The sign-in timers take milliseconds in an int.
    check(c.signInTimeoutSeconds >= 10
          && qint64(c.signInTimeoutSeconds) * 1000 <= std::numeric_limits<int>::max());
    check(c.graphReplicationWindowSeconds >= 0 && c.graphReplicationWindowSeconds <= 3600);
    check(c.defaultDurationMinutes >= 5 && c.defaultDurationMinutes <= 24 * 60);
    check(c.aws.typicalSyncMinutes >= 1 && c.aws.waitingLimitMinutes >= 1);
    for (qsizetype i = 0; i < c.warnMinutesBefore.size(); ++i) {
        check(c.warnMinutesBefore[i] >= 1 && c.warnMinutesBefore[i] <= 24 * 60);
        if (i > 0)
            check(c.warnMinutesBefore[i] < c.warnMinutesBefore[i - 1]);
    }
    check(c.aws.consoleMode == u"federation" || c.aws.consoleMode == u"portal");
    check(c.aws.profileTemplate.contains(u"{account}") && c.aws.profileTemplate.contains(u"{role}"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto config = AppConfig::fromJson(bytes, QStringLiteral("fuzz.json"));
    if (!config.ok()) {
        check(!config.error().message.isEmpty());
        return 0;
    }
    checkInvariants(config.value());
    const QByteArray written = config->toJson();
    const auto again = AppConfig::fromJson(written);
    check(again.ok()); // what Elevate writes, it reads
    check(again->toJson() == written);
    return 0;
}

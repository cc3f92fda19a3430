// SPDX-License-Identifier: GPL-3.0-or-later
#include "bridgeconfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Elevate::Bridge {

namespace {

using Core::Error;

Error configError(const QString &path, const QString &what)
{
    return Error::make(Error::Kind::Config, path.isEmpty() ? what : path + u": "_s + what);
}

bool isGuid(const QString &s)
{
    // 8-4-4-4-12 hex digits, no braces (as Entra and Graph write object ids). Anchored as a whole:
    // "$" would also match before a final line break.
    static const QRegularExpression re(QRegularExpression::anchoredPattern(
        u"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"_s));
    return re.match(s).hasMatch();
}

/// A file system path from the root. Not QDir::isAbsolutePath, which also takes ":name", a Qt resource.
bool isAbsolute(const QString &path)
{
    return path.startsWith(u'/');
}

bool isEnvName(const QString &s)
{
    static const QRegularExpression re(QRegularExpression::anchoredPattern(u"[A-Za-z_][A-Za-z0-9_]*"_s));
    return re.match(s).hasMatch();
}

/// Typed values of the "bridge" object; the first problem wins, a wrong type is never the default.
class Reader
{
public:
    std::optional<QString> problem;

    void fail(const QString &what)
    {
        if (!problem)
            problem = what;
    }
    /// Present (even as "", which is refused later) or not; null counts as absent.
    bool string(const QJsonObject &o, const char *key, QString &out)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return false;
        if (!v.isString()) {
            fail(u"bridge.%1 must be a string"_s.arg(QLatin1String(key)));
            return false;
        }
        out = v.toString();
        if (out.isEmpty())
            fail(u"bridge.%1 must not be empty"_s.arg(QLatin1String(key)));
        return true;
    }
    void boolean(const QJsonObject &o, const char *key, bool &out)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isBool())
            return fail(u"bridge.%1 must be true or false"_s.arg(QLatin1String(key)));
        out = v.toBool();
    }
    void integer(const QJsonObject &o, const char *key, int &out, int min, int max)
    {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull())
            return;
        const double d = v.toDouble();
        if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d))
            return fail(u"bridge.%1 must be a whole number"_s.arg(QLatin1String(key)));
        if (d < min || d > max)
            return fail(u"bridge.%1 must be between %2 and %3"_s.arg(QLatin1String(key)).arg(min).arg(max));
        out = int(d);
    }
};

/// The file keys that may name a systemd credential ($CREDENTIALS_DIRECTORY/NAME).
const QString credentialsPrefixes[] = {u"$CREDENTIALS_DIRECTORY/"_s, u"${CREDENTIALS_DIRECTORY}/"_s};

bool namesCredentialsDirectory(const QString &path)
{
    return std::any_of(std::begin(credentialsPrefixes), std::end(credentialsPrefixes),
                       [&](const QString &p) { return path.startsWith(p); });
}

/// A credential file key: absolute, or $CREDENTIALS_DIRECTORY/NAME (kept as written, expanded when
/// read), or relative to the configuration file's directory. Anything else with a '$' is refused, so
/// that nobody expects other expansions to happen.
QString filePathProblem(const QString &key, QString &path, const QString &sourcePath)
{
    if (namesCredentialsDirectory(path)) {
        const qsizetype slash = path.indexOf(u'/');
        const QString name = path.mid(slash + 1);
        if (name.isEmpty() || name.contains(u'/') || name == u".." || name == u".")
            return u"bridge.%1: after $CREDENTIALS_DIRECTORY/ comes the credential's name (one path "
                   u"element, as in LoadCredential=NAME:…)"_s.arg(key);
        return {};
    }
    if (path.contains(u'$'))
        return u"bridge.%1: only a leading $CREDENTIALS_DIRECTORY/ is expanded; write the path "
               u"itself"_s.arg(key);
    if (isAbsolute(path))
        return {};
    if (sourcePath.isEmpty())
        return u"bridge.%1 must be an absolute path"_s.arg(key);
    path = QFileInfo(sourcePath).absoluteDir().filePath(path);
    return {};
}

/// "host:port": a dotted IPv4 address, "localhost" or a bracketed IPv6 address, port 0..65535.
QString listenProblem(BridgeConfig &c)
{
    const QString why = u"bridge.listen must be \"host:port\" (127.0.0.1:9464, [::1]:9464, localhost:9464)"_s;
    const qsizetype colon = c.listen.lastIndexOf(u':');
    if (colon <= 0)
        return why;
    QString host = c.listen.left(colon);
    const QString portText = c.listen.mid(colon + 1);
    // Decimal without leading zeros (some parsers read 010 as octal).
    static const QRegularExpression digits(QRegularExpression::anchoredPattern(u"0|[1-9][0-9]{0,4}"_s));
    if (!digits.match(portText).hasMatch() || portText.toInt() > 65535)
        return why;
    bool loopback = false;
    if (host.startsWith(u'[')) {
        if (!host.endsWith(u']') || host.size() < 3)
            return why;
        host = host.mid(1, host.size() - 2);
        static const QRegularExpression v6(QRegularExpression::anchoredPattern(u"[0-9A-Fa-f:.]+"_s));
        QHostAddress address;
        if (!v6.match(host).hasMatch() || !address.setAddress(host)
            || address.protocol() != QAbstractSocket::IPv6Protocol)
            return why;
        loopback = address.isLoopback();
    } else if (host.compare(u"localhost", Qt::CaseInsensitive) == 0) {
        loopback = true;
    } else {
        const QStringList parts = host.split(u'.');
        if (parts.size() != 4)
            return why;
        for (const QString &p : parts) {
            if (!digits.match(p).hasMatch() || p.size() > 3 || p.toInt() > 255)
                return why;
        }
        loopback = parts.first() == u"127";
    }
    if (!loopback && !c.allowRemoteListen)
        return u"bridge.listen: %1 is not a loopback address; /healthz and /metrics on another address need "
               u"\"allowRemoteListen\": true in bridge"_s.arg(host);
    c.listenHost = host;
    c.listenPort = quint16(portText.toInt());
    return {};
}

} // namespace

Core::Result<BridgeConfig> BridgeConfig::fromJson(const QByteArray &json, const QString &sourcePath)
{
    auto app = Core::AppConfig::fromJson(json, sourcePath);
    if (!app.ok())
        return app.error();
    BridgeConfig c;
    c.app = std::move(app).value();
    c.sourcePath = sourcePath;
    // AppConfig has read the document already: it is a JSON object within the size limit.
    const QJsonObject root = QJsonDocument::fromJson(json).object();

    // A secret in the file itself, wherever someone might have put it: refused before anything else is
    // said about the file, and without repeating the value.
    const QJsonObject entra = root.value(u"entra").toObject();
    const QJsonValue bridgeValue = root.value(u"bridge");
    const QJsonObject bridge = bridgeValue.toObject();
    for (const auto &[object, key, instead] :
         {std::tuple {&bridge, "clientSecret",
                      "bridge.clientSecretFile (a file of mode 0600) or "
                      "bridge.clientSecretEnv (an environment variable)"},
          std::tuple {&entra, "clientSecret",
                      "bridge.clientSecretFile (a file of mode 0600) or "
                      "bridge.clientSecretEnv (an environment variable)"},
          std::tuple {&bridge, "privateKey",
                      "bridge.privateKeyFile (a file of mode 0600) or "
                      "bridge.privateKeyEnv (an environment variable)"}}) {
        if (object->contains(QLatin1String(key))) {
            const QString where = object == &entra ? u"entra."_s : u"bridge."_s;
            return configError(
                sourcePath,
                u"%1%2 would keep the secret in the configuration file, which is refused: name "
                u"a file or an environment variable that holds it instead, with %3"_s.arg(
                    where, QLatin1String(key), QLatin1String(instead)));
        }
    }

    if (bridgeValue.isUndefined() || bridgeValue.isNull())
        return configError(sourcePath,
                           u"bridge is not set (the bridge's own settings, at least its credential: "
                           u"bridge.clientSecretFile, bridge.clientSecretEnv or bridge.certificateFile)"_s);
    if (!bridgeValue.isObject())
        return configError(sourcePath, u"bridge must be an object ({…})"_s);

    Reader r;
    const bool secretFile = r.string(bridge, "clientSecretFile", c.clientSecretFile);
    const bool secretEnv = r.string(bridge, "clientSecretEnv", c.clientSecretEnv);
    const bool certificate = r.string(bridge, "certificateFile", c.certificateFile);
    const bool keyFile = r.string(bridge, "privateKeyFile", c.privateKeyFile);
    const bool keyEnv = r.string(bridge, "privateKeyEnv", c.privateKeyEnv);
    r.string(bridge, "assertionAlgorithm", c.assertionAlgorithm);
    r.integer(bridge, "pollSeconds", c.pollSeconds, 5, 3600);
    r.integer(bridge, "groupRefreshMinutes", c.groupRefreshMinutes, 1, 1440);
    r.integer(bridge, "catchUpMinutes", c.catchUpMinutes, 0, 1440);
    const QJsonValue groups = bridge.value(u"groupIds");
    if (!groups.isUndefined() && !groups.isNull()) {
        if (!groups.isArray())
            r.fail(u"bridge.groupIds must be a list of group object ids (GUIDs)"_s);
        for (const QJsonValue &v : groups.toArray()) {
            if (!v.isString() || !isGuid(v.toString())) {
                r.fail(u"bridge.groupIds must be a list of group object ids (GUIDs)"_s);
                break;
            }
            const QString id = v.toString().toLower();
            if (!c.groupIds.contains(id))
                c.groupIds << id;
        }
    }
    const QJsonValue state = bridge.value(u"statePath");
    if (state.isString())
        c.statePath = state.toString(); // "" means the default
    else if (!state.isUndefined() && !state.isNull())
        r.fail(u"bridge.statePath must be a string"_s);
    const QJsonValue listen = bridge.value(u"listen");
    if (listen.isString())
        c.listen = listen.toString(); // "" means no endpoint
    else if (!listen.isUndefined() && !listen.isNull())
        r.fail(u"bridge.listen must be a string"_s);
    r.boolean(bridge, "allowRemoteListen", c.allowRemoteListen);
    if (r.problem)
        return configError(sourcePath, *r.problem);

    // Exactly one credential.
    const int kinds = int(secretFile) + int(secretEnv) + int(certificate);
    if (kinds == 0)
        return configError(sourcePath,
                           u"bridge needs a credential: bridge.clientSecretFile, bridge.clientSecretEnv, or "
                           u"bridge.certificateFile with bridge.privateKeyFile or bridge.privateKeyEnv"_s);
    if (kinds > 1) {
        QStringList set;
        if (secretFile)
            set << u"bridge.clientSecretFile"_s;
        if (secretEnv)
            set << u"bridge.clientSecretEnv"_s;
        if (certificate)
            set << u"bridge.certificateFile"_s;
        return configError(sourcePath,
                           u"%1 are set together: the bridge signs in with exactly one credential"_s.arg(
                               set.join(u" and "_s)));
    }
    if (certificate) {
        c.credential = Credential::Certificate;
        if (keyFile == keyEnv)
            return configError(sourcePath,
                               keyFile ? u"bridge.privateKeyFile and bridge.privateKeyEnv are both "
                                         u"set: name the certificate's private key once"_s
                                       : u"bridge.certificateFile needs its private key: "
                                         u"bridge.privateKeyFile or bridge.privateKeyEnv"_s);
    } else {
        c.credential = Credential::Secret;
        if (keyFile || keyEnv)
            return configError(sourcePath,
                               u"bridge.%1 belongs to a certificate: set bridge.certificateFile "
                               u"too, or drop it"_s.arg(keyFile ? u"privateKeyFile"_s : u"privateKeyEnv"_s));
    }
    for (const auto &[key, value] : {std::pair {"clientSecretFile", &c.clientSecretFile},
                                     std::pair {"certificateFile", &c.certificateFile},
                                     std::pair {"privateKeyFile", &c.privateKeyFile}}) {
        if (value->isEmpty())
            continue;
        if (const QString why = filePathProblem(QLatin1String(key), *value, sourcePath); !why.isEmpty())
            return configError(sourcePath, why);
    }
    for (const auto &[key, value] :
         {std::pair {"clientSecretEnv", c.clientSecretEnv}, std::pair {"privateKeyEnv", c.privateKeyEnv}}) {
        if (!value.isEmpty() && !isEnvName(value))
            return configError(sourcePath,
                               u"bridge.%1 is the name of an environment variable (letters, digits "
                               u"and _), not its value"_s.arg(QLatin1String(key)));
    }
    if (c.assertionAlgorithm != u"RS256" && c.assertionAlgorithm != u"PS256")
        return configError(sourcePath, u"bridge.assertionAlgorithm is \"RS256\" or \"PS256\""_s);

    // App-only tokens come from one tenant: the multi-tenant aliases name none.
    for (const char *alias : {"common", "organizations", "consumers"}) {
        if (c.app.tenant.compare(QLatin1String(alias), Qt::CaseInsensitive) == 0)
            return configError(sourcePath,
                               u"entra.tenant must be the tenant's id (a GUID) or domain: the "
                               u"bridge's app-only sign-in cannot use \"%1\""_s.arg(c.app.tenant));
    }
    if (!isGuid(c.app.clientId))
        return configError(sourcePath,
                           u"entra.clientId must be the bridge app registration's application (client) id, "
                           u"a GUID"_s);
    if (c.app.aws.scimServicePrincipalId.isEmpty())
        return configError(
            sourcePath,
            u"aws.sync.servicePrincipalId is not set (the object id of the IAM Identity Center "
            u"enterprise application's service principal, whose provisioning job the bridge "
            u"runs)"_s);
    if (!isGuid(c.app.aws.scimServicePrincipalId))
        return configError(sourcePath,
                           u"aws.sync.servicePrincipalId must be a service principal's object id "
                           u"(a GUID)"_s);
    if (!c.statePath.isEmpty() && !isAbsolute(c.statePath))
        return configError(
            sourcePath,
            u"bridge.statePath must be an absolute path (or empty: %1)"_s.arg(defaultStatePath()));
    if (!c.listen.isEmpty()) {
        if (const QString why = listenProblem(c); !why.isEmpty())
            return configError(sourcePath, why);
    }
    return c;
}

Core::Result<BridgeConfig> BridgeConfig::load(const QString &path)
{
    QFile f(path);
    if (!f.exists())
        return configError(path, u"no such file"_s);
    if (!f.open(QIODevice::ReadOnly))
        return configError(path, f.errorString());
    // One byte over the limit is enough for fromJson to refuse it.
    return fromJson(f.read(Core::AppConfig::maxJsonBytes + 1), path);
}

QString BridgeConfig::defaultStatePath()
{
    // systemd's StateDirectory= may list several directories, separated by ':'; the first is ours.
    const QString stateDirectory = qEnvironmentVariable("STATE_DIRECTORY").section(u':', 0, 0);
    if (isAbsolute(stateDirectory))
        return QDir(stateDirectory).filePath(u"state.sqlite"_s);
    QString base = qEnvironmentVariable("XDG_STATE_HOME");
    if (!isAbsolute(base)) // the XDG spec: a relative value is ignored
        base = QDir::homePath() + u"/.local/state"_s;
    return QDir(base).filePath(u"elevate-bridge/state.sqlite"_s);
}

Core::Result<QString> expandCredentialPath(const QString &path)
{
    for (const QString &prefix : credentialsPrefixes) {
        if (!path.startsWith(prefix))
            continue;
        const QString dir = qEnvironmentVariable("CREDENTIALS_DIRECTORY");
        if (dir.isEmpty())
            return Error::make(
                Error::Kind::Config,
                u"%1 names a systemd credential, but CREDENTIALS_DIRECTORY is not set (run the "
                u"bridge from its unit, with LoadCredential=, or name the file itself)"_s.arg(path));
        return QDir(dir).filePath(path.mid(prefix.size()));
    }
    return path;
}

namespace {

/// The whole file, if it is a regular file of 1 byte to 64 KiB, and (`secret`) group and others may
/// not read it. Opened once and checked through the descriptor, so what is checked is what is read.
Core::Result<QByteArray> readCredentialFile(const char *key, const QString &configured, bool secret)
{
    const auto expanded = expandCredentialPath(configured);
    if (!expanded.ok())
        return Error::make(Error::Kind::Config,
                           u"bridge.%1: %2"_s.arg(QLatin1String(key), expanded.error().message));
    const QString path = expanded.value();
    const QString name = u"bridge.%1 (%2)"_s.arg(QLatin1String(key), path);
    const QByteArray native = QFile::encodeName(path);
    // O_NONBLOCK: a FIFO or device planted there must not hang the start.
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        const int err = errno;
        return Error::make(Error::Kind::Config,
                           err == ENOENT ? u"%1: no such file"_s.arg(name)
                                         : u"%1: cannot be opened (%2)"_s.arg(
                                             name, QString::fromLocal8Bit(std::strerror(err))));
    }
    struct Closer
    {
        int fd;
        ~Closer() { ::close(fd); }
    } closer {fd};
    struct stat st;
    if (::fstat(fd, &st) != 0)
        return Error::make(Error::Kind::Config, u"%1: cannot be read"_s.arg(name));
    if (!S_ISREG(st.st_mode))
        return Error::make(Error::Kind::Config, u"%1 is not a regular file"_s.arg(name));
    if (secret && (st.st_mode & 077) != 0)
        return Error::make(Error::Kind::Config,
                           u"%1 may be read by group or others (mode %2), which is refused for a secret: "
                           u"chmod 600 %3"_s.arg(name, QString::number(st.st_mode & 0777, 8), path));
    constexpr qint64 maxBytes = 64 * 1024;
    if (st.st_size == 0)
        return Error::make(Error::Kind::Config, u"%1 is empty"_s.arg(name));
    if (st.st_size > maxBytes)
        return Error::make(Error::Kind::Config, u"%1 is larger than 64 KiB"_s.arg(name));
    QByteArray bytes(qsizetype(st.st_size) + 1, Qt::Uninitialized);
    qsizetype have = 0;
    while (have < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + have, size_t(bytes.size() - have));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::make(Error::Kind::Config, u"%1: cannot be read"_s.arg(name));
        if (n == 0)
            break;
        have += n;
    }
    if (have > maxBytes)
        return Error::make(Error::Kind::Config, u"%1 is larger than 64 KiB"_s.arg(name));
    bytes.truncate(have);
    if (bytes.isEmpty())
        return Error::make(Error::Kind::Config, u"%1 is empty"_s.arg(name));
    return bytes;
}

Core::Result<QByteArray> readCredentialEnv(const char *key, const QString &variable)
{
    QByteArray value = qgetenv(variable.toLocal8Bit().constData());
    if (value.isEmpty())
        return Error::make(
            Error::Kind::Config,
            u"bridge.%1: the environment variable %2 is %3"_s.arg(
                QLatin1String(key), variable,
                qEnvironmentVariableIsSet(variable.toLocal8Bit().constData()) ? u"empty"_s : u"not set"_s));
    return value;
}

} // namespace

Core::Result<QByteArray> readCertificate(const BridgeConfig &config)
{
    if (config.credential != BridgeConfig::Credential::Certificate)
        return Error::make(Error::Kind::Internal, u"the configuration names no certificate"_s);
    return readCredentialFile("certificateFile", config.certificateFile, false);
}

Core::Result<QByteArray> readCredential(const BridgeConfig &config)
{
    if (config.credential == BridgeConfig::Credential::Certificate) {
        if (!config.privateKeyFile.isEmpty())
            return readCredentialFile("privateKeyFile", config.privateKeyFile, true);
        return readCredentialEnv("privateKeyEnv", config.privateKeyEnv);
    }
    auto secret = !config.clientSecretFile.isEmpty()
        ? readCredentialFile("clientSecretFile", config.clientSecretFile, true)
        : readCredentialEnv("clientSecretEnv", config.clientSecretEnv);
    if (!secret.ok())
        return secret;
    QByteArray value = std::move(secret).value();
    while (value.endsWith('\n') || value.endsWith('\r'))
        value.chop(1);
    if (value.isEmpty())
        return Error::make(Error::Kind::Config,
                           !config.clientSecretFile.isEmpty()
                               ? u"bridge.clientSecretFile (%1) holds only line breaks"_s.arg(
                                   expandCredentialPath(config.clientSecretFile).ok()
                                       ? expandCredentialPath(config.clientSecretFile).value()
                                       : config.clientSecretFile)
                               : u"bridge.clientSecretEnv: the environment variable %1 holds only line "
                                 u"breaks"_s.arg(config.clientSecretEnv));
    return value;
}

} // namespace Elevate::Bridge

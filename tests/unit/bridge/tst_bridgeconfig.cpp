// SPDX-License-Identifier: GPL-3.0-or-later
// elevate-bridge's configuration: the app's keys through AppConfig, the "bridge" object, what is
// refused (each with the key named), and reading the secret or key from a file or the environment.
#include "app/bridge/bridgeconfig.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <sys/types.h>

using namespace Elevate;
using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;

namespace {

const QString kTenant = u"aaaabbbb-0000-cccc-1111-dddd2222eeee"_s;
const QString kClient = u"11112222-bbbb-3333-cccc-4444dddd5555"_s;
const QString kSp = u"99998888-7777-6666-5555-444433332222"_s;
// What a test secret looks like; no error message may ever contain it.
const QByteArray kSecret = "Qx8~s3cr3t.VALUE_that-must-never-show";

/// A whole document: the app's keys, then `bridge` (a JSON object's text) merged over the secret-file
/// default, `extra` merged at the top level (a JSON object's text).
QByteArray document(const QByteArray &bridge = R"({"clientSecretFile": "/run/secret"})",
                    const QByteArray &extra = "{}")
{
    QJsonObject root {
        {u"entra"_s, QJsonObject {{u"tenant"_s, kTenant}, {u"clientId"_s, kClient}}},
        {u"aws"_s, QJsonObject {{u"sync"_s, QJsonObject {{u"servicePrincipalId"_s, kSp}}}}},
    };
    if (bridge == "null") {
        root.insert(u"bridge"_s, QJsonValue::Null);
    } else {
        QJsonParseError e;
        const QJsonDocument b = QJsonDocument::fromJson(bridge, &e);
        if (e.error != QJsonParseError::NoError)
            qFatal("bad test bridge object: %s", bridge.constData());
        root.insert(u"bridge"_s, b.isObject() ? QJsonValue(b.object()) : QJsonValue(b.array()));
    }
    const QJsonObject more = QJsonDocument::fromJson(extra).object();
    for (auto it = more.begin(); it != more.end(); ++it)
        root.insert(it.key(), it.value());
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

QByteArray message(const Core::Result<BridgeConfig> &r)
{
    return r.ok() ? QByteArray("ok") : r.error().message.toUtf8();
}

bool writeFile(const QString &path, const QByteArray &bytes, int mode)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    f.write(bytes);
    f.close();
    return ::chmod(QFile::encodeName(path).constData(), mode_t(mode)) == 0;
}

/// Sets (or with a null value unsets) an environment variable for one scope.
class ScopedEnv
{
public:
    ScopedEnv(const char *name, const QByteArray &value)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
        , m_old(qgetenv(name))
    {
        if (value.isNull())
            qunsetenv(name);
        else
            qputenv(name, value);
    }
    ~ScopedEnv()
    {
        if (m_had)
            qputenv(m_name, m_old);
        else
            qunsetenv(m_name);
    }

private:
    const char *m_name;
    bool m_had;
    QByteArray m_old;
};

BridgeConfig secretFileConfig(const QString &path)
{
    auto c = BridgeConfig::fromJson(
        document(QJsonDocument(QJsonObject {{u"clientSecretFile"_s, path}}).toJson()));
    if (!c.ok())
        qFatal("secretFileConfig: %s", qPrintable(c.error().message));
    return c.value();
}

} // namespace

class TestBridgeConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void secretFile()
    {
        const auto c = BridgeConfig::fromJson(document(), u"/etc/bridge.json"_s);
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->credential, BridgeConfig::Credential::Secret);
        QCOMPARE(c->clientSecretFile, u"/run/secret"_s);
        QVERIFY(c->clientSecretEnv.isEmpty() && c->certificateFile.isEmpty());
        QCOMPARE(c->app.tenant, kTenant);
        QCOMPARE(c->app.clientId, kClient);
        QCOMPARE(c->app.aws.scimServicePrincipalId, kSp);
        QCOMPARE(c->sourcePath, u"/etc/bridge.json"_s);
        // The defaults the header promises.
        QCOMPARE(c->pollSeconds, 15);
        QCOMPARE(c->groupRefreshMinutes, 10);
        QCOMPARE(c->catchUpMinutes, 40);
        QCOMPARE(c->assertionAlgorithm, u"RS256"_s);
        QVERIFY(c->groupIds.isEmpty());
        QVERIFY(c->listen.isEmpty() && c->listenHost.isEmpty());
        QVERIFY(c->statePath.isEmpty());
        QCOMPARE(c->effectiveStatePath(), BridgeConfig::defaultStatePath());
    }
    void secretEnv()
    {
        const auto c = BridgeConfig::fromJson(document(R"({"clientSecretEnv": "BRIDGE_SECRET"})"));
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->credential, BridgeConfig::Credential::Secret);
        QCOMPARE(c->clientSecretEnv, u"BRIDGE_SECRET"_s);
        QVERIFY(c->clientSecretFile.isEmpty());
    }
    void certificate_data()
    {
        QTest::addColumn<QByteArray>("bridge");
        QTest::addColumn<QString>("keyFile");
        QTest::addColumn<QString>("keyEnv");
        QTest::addColumn<QString>("algorithm");
        QTest::newRow("key file") << QByteArray(
            R"({"certificateFile": "/etc/b/cert.pem", "privateKeyFile": "/etc/b/key.pem"})")
                                  << u"/etc/b/key.pem"_s << QString() << u"RS256"_s;
        QTest::newRow("key env, PS256") << QByteArray(
            R"({"certificateFile": "/etc/b/cert.pem", "privateKeyEnv": "BRIDGE_KEY", "assertionAlgorithm": "PS256"})")
                                        << QString() << u"BRIDGE_KEY"_s << u"PS256"_s;
    }
    void certificate()
    {
        QFETCH(QByteArray, bridge);
        QFETCH(QString, keyFile);
        QFETCH(QString, keyEnv);
        QFETCH(QString, algorithm);
        const auto c = BridgeConfig::fromJson(document(bridge));
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->credential, BridgeConfig::Credential::Certificate);
        QCOMPARE(c->certificateFile, u"/etc/b/cert.pem"_s);
        QCOMPARE(c->privateKeyFile, keyFile);
        QCOMPARE(c->privateKeyEnv, keyEnv);
        QCOMPARE(c->assertionAlgorithm, algorithm);
    }
    void everyKey()
    {
        const auto c = BridgeConfig::fromJson(document(
            R"({"clientSecretEnv": "S", "pollSeconds": 5, "groupRefreshMinutes": 1440, "catchUpMinutes": 0, "statePath": "/var/lib/b/state.sqlite", "listen": "0.0.0.0:9464", "allowRemoteListen": true, "groupIds": ["AAAAAAAA-1111-2222-3333-444444444444", "aaaaaaaa-1111-2222-3333-444444444444", "bbbbbbbb-1111-2222-3333-444444444444"]})"));
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->pollSeconds, 5);
        QCOMPARE(c->groupRefreshMinutes, 1440);
        QCOMPARE(c->catchUpMinutes, 0);
        QCOMPARE(c->statePath, u"/var/lib/b/state.sqlite"_s);
        QCOMPARE(c->effectiveStatePath(), u"/var/lib/b/state.sqlite"_s);
        QCOMPARE(c->listen, u"0.0.0.0:9464"_s);
        QCOMPARE(c->listenHost, u"0.0.0.0"_s);
        QCOMPARE(c->listenPort, quint16(9464));
        QVERIFY(c->allowRemoteListen);
        // Object ids compare without case: the same group twice is one.
        QCOMPARE(c->groupIds,
                 QStringList(
                     {u"aaaaaaaa-1111-2222-3333-444444444444"_s, u"bbbbbbbb-1111-2222-3333-444444444444"_s}));
    }
    void listenForms_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::newRow("ipv4") << u"127.0.0.1:9464"_s << u"127.0.0.1"_s << 9464;
        QTest::newRow("ipv4 any port") << u"127.0.0.1:0"_s << u"127.0.0.1"_s << 0;
        QTest::newRow("127/8") << u"127.1.2.3:80"_s << u"127.1.2.3"_s << 80;
        QTest::newRow("ipv6") << u"[::1]:9464"_s << u"::1"_s << 9464;
        QTest::newRow("localhost") << u"localhost:65535"_s << u"localhost"_s << 65535;
        QTest::newRow("ipv6 long loopback") << u"[0:0:0:0:0:0:0:1]:1"_s << u"0:0:0:0:0:0:0:1"_s << 1;
    }
    void listenForms()
    {
        QFETCH(QString, listen);
        QFETCH(QString, host);
        QFETCH(int, port);
        const auto c = BridgeConfig::fromJson(document(
            QJsonDocument(QJsonObject {{u"clientSecretEnv"_s, u"S"_s}, {u"listen"_s, listen}}).toJson()));
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->listenHost, host);
        QCOMPARE(int(c->listenPort), port);
    }

    void refused_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected"); // a part of the message: the key and what to do
        const auto row = [](const char *name, const QByteArray &bridge, const char *expected,
                            const QByteArray &extra = "{}") {
            QTest::newRow(name) << document(bridge, extra) << QString::fromUtf8(expected);
        };
        // The credential: exactly one, never the value itself.
        row("no credential", "{}",
            "bridge needs a credential: bridge.clientSecretFile, bridge.clientSecretEnv");
        row("file and env", R"({"clientSecretFile": "/a", "clientSecretEnv": "B"})",
            "bridge.clientSecretFile and bridge.clientSecretEnv are set together");
        row("secret and certificate",
            R"({"clientSecretEnv": "B", "certificateFile": "/c", "privateKeyFile": "/k"})",
            "bridge.clientSecretEnv and bridge.certificateFile are set together");
        row("certificate without key", R"({"certificateFile": "/c"})",
            "bridge.certificateFile needs its private key");
        row("certificate with two keys",
            R"({"certificateFile": "/c", "privateKeyFile": "/k", "privateKeyEnv": "K"})",
            "bridge.privateKeyFile and bridge.privateKeyEnv are both set");
        row("key without certificate", R"({"clientSecretEnv": "B", "privateKeyFile": "/k"})",
            "bridge.privateKeyFile belongs to a certificate");
        row("secret in the file", R"({"clientSecret": "Qx8~s3cr3t.VALUE_that-must-never-show"})",
            "bridge.clientSecret would keep the secret in the configuration file");
        row("secret beside a file", R"({"clientSecretFile": "/a", "clientSecret": "x"})",
            "bridge.clientSecret would keep the secret in the configuration file");
        row("private key in the file",
            R"({"certificateFile": "/c", "privateKey": "-----BEGIN PRIVATE KEY-----"})",
            "bridge.privateKey would keep the secret in the configuration file");
        row("secret under entra", R"({"clientSecretEnv": "B"})",
            "entra.clientSecret would keep the secret in the configuration file",
            R"({"entra": {"tenant": "aaaabbbb-0000-cccc-1111-dddd2222eeee", "clientId": "11112222-bbbb-3333-cccc-4444dddd5555", "clientSecret": "x"}})");
        row("empty file name", R"({"clientSecretFile": ""})", "bridge.clientSecretFile must not be empty");
        row("env holds a value", R"({"clientSecretEnv": "Qx8~s3cr3t"})",
            "bridge.clientSecretEnv is the name of an environment variable");
        row("key env holds a value", R"({"certificateFile": "/c", "privateKeyEnv": "-----BEGIN"})",
            "bridge.privateKeyEnv is the name of an environment variable");
        row("file is a number", R"({"clientSecretFile": 5})", "bridge.clientSecretFile must be a string");
        row("other expansion", R"({"clientSecretFile": "$HOME/secret"})",
            "bridge.clientSecretFile: only a leading $CREDENTIALS_DIRECTORY/ is expanded");
        row("expansion inside",
            R"({"privateKeyFile": "/x/$CREDENTIALS_DIRECTORY/k", "certificateFile": "/c"})",
            "bridge.privateKeyFile: only a leading $CREDENTIALS_DIRECTORY/");
        row("credential with a directory", R"({"clientSecretFile": "$CREDENTIALS_DIRECTORY/a/b"})",
            "bridge.clientSecretFile: after $CREDENTIALS_DIRECTORY/ comes the credential's name");
        row("credential without a name", R"({"clientSecretFile": "${CREDENTIALS_DIRECTORY}/"})",
            "bridge.clientSecretFile: after $CREDENTIALS_DIRECTORY/ comes the credential's name");
        // The rest of "bridge".
        row("bridge not an object", "[1]", "bridge must be an object");
        row("no bridge", "null", "bridge is not set");
        row("algorithm", R"({"clientSecretEnv": "B", "assertionAlgorithm": "HS256"})",
            "bridge.assertionAlgorithm is \"RS256\" or \"PS256\"");
        row("poll too short", R"({"clientSecretEnv": "B", "pollSeconds": 4})",
            "bridge.pollSeconds must be between 5 and 3600");
        row("poll too long", R"({"clientSecretEnv": "B", "pollSeconds": 3601})",
            "bridge.pollSeconds must be between 5 and 3600");
        row("poll a string", R"({"clientSecretEnv": "B", "pollSeconds": "15"})",
            "bridge.pollSeconds must be a whole number");
        row("poll fractional", R"({"clientSecretEnv": "B", "pollSeconds": 15.5})",
            "bridge.pollSeconds must be a whole number");
        row("poll huge", R"({"clientSecretEnv": "B", "pollSeconds": 1e300})",
            "bridge.pollSeconds must be between 5 and 3600");
        row("group refresh", R"({"clientSecretEnv": "B", "groupRefreshMinutes": 0})",
            "bridge.groupRefreshMinutes must be between 1 and 1440");
        row("catch-up negative", R"({"clientSecretEnv": "B", "catchUpMinutes": -1})",
            "bridge.catchUpMinutes must be between 0 and 1440");
        row("catch-up a bool", R"({"clientSecretEnv": "B", "catchUpMinutes": true})",
            "bridge.catchUpMinutes must be a whole number");
        row("groupIds not a list",
            R"({"clientSecretEnv": "B", "groupIds": "aaaaaaaa-1111-2222-3333-444444444444"})",
            "bridge.groupIds must be a list of group object ids (GUIDs)");
        row("groupIds a name", R"({"clientSecretEnv": "B", "groupIds": ["AWS-123456789012-Admin"]})",
            "bridge.groupIds must be a list of group object ids (GUIDs)");
        row("groupIds a number", R"({"clientSecretEnv": "B", "groupIds": [1]})",
            "bridge.groupIds must be a list of group object ids (GUIDs)");
        row("statePath relative", R"({"clientSecretEnv": "B", "statePath": "state.sqlite"})",
            "bridge.statePath must be an absolute path");
        row("statePath a Qt resource", R"({"clientSecretEnv": "B", "statePath": ":/state.sqlite"})",
            "bridge.statePath must be an absolute path");
        row("statePath a list", R"({"clientSecretEnv": "B", "statePath": []})",
            "bridge.statePath must be a string");
        row("listen not loopback", R"({"clientSecretEnv": "B", "listen": "0.0.0.0:9464"})",
            "bridge.listen: 0.0.0.0 is not a loopback address");
        row("listen remote ipv6", R"({"clientSecretEnv": "B", "listen": "[fe80::1]:9464"})",
            "bridge.listen: fe80::1 is not a loopback address");
        row("listen no port", R"({"clientSecretEnv": "B", "listen": "127.0.0.1"})",
            "bridge.listen must be \"host:port\"");
        row("listen port too big", R"({"clientSecretEnv": "B", "listen": "127.0.0.1:65536"})",
            "bridge.listen must be \"host:port\"");
        row("listen port letters", R"({"clientSecretEnv": "B", "listen": "127.0.0.1:http"})",
            "bridge.listen must be \"host:port\"");
        row("listen a host name",
            R"({"clientSecretEnv": "B", "listen": "example.org:80", "allowRemoteListen": true})",
            "bridge.listen must be \"host:port\"");
        row("listen bad quad", R"({"clientSecretEnv": "B", "listen": "127.0.0.256:80"})",
            "bridge.listen must be \"host:port\"");
        row("listen bare ipv6", R"({"clientSecretEnv": "B", "listen": "::1:80"})",
            "bridge.listen must be \"host:port\"");
        row("listen port with a leading zero", R"({"clientSecretEnv": "B", "listen": "127.0.0.1:09464"})",
            "bridge.listen must be \"host:port\"");
        row("listen octet with a leading zero", R"({"clientSecretEnv": "B", "listen": "127.0.0.01:80"})",
            "bridge.listen must be \"host:port\"");
        row("listen bad ipv6",
            R"({"clientSecretEnv": "B", "listen": "[1::2::3]:80", "allowRemoteListen": true})",
            "bridge.listen must be \"host:port\"");
        row("listen ipv6 scope",
            R"({"clientSecretEnv": "B", "listen": "[fe80::1%eth0]:80", "allowRemoteListen": true})",
            "bridge.listen must be \"host:port\"");
        row("listen a number", R"({"clientSecretEnv": "B", "listen": 9464})",
            "bridge.listen must be a string");
        row("allowRemoteListen a string", R"({"clientSecretEnv": "B", "allowRemoteListen": "yes"})",
            "bridge.allowRemoteListen must be true or false");
        // The app's keys the bridge needs in its own way.
        row("no service principal", R"({"clientSecretEnv": "B"})", "aws.sync.servicePrincipalId is not set",
            R"({"aws": {}})");
        row("service principal not a GUID", R"({"clientSecretEnv": "B"})",
            "aws.sync.servicePrincipalId must be a service principal's object id",
            R"({"aws": {"sync": {"servicePrincipalId": "AWS IAM Identity Center"}}})");
        row("multi-tenant alias", R"({"clientSecretEnv": "B"})", "entra.tenant must be the tenant's id",
            R"({"entra": {"tenant": "organizations", "clientId": "11112222-bbbb-3333-cccc-4444dddd5555"}})");
        row("client id not a GUID", R"({"clientSecretEnv": "B"})", "entra.clientId must be the bridge app",
            R"({"entra": {"tenant": "aaaabbbb-0000-cccc-1111-dddd2222eeee", "clientId": "bridge"}})");
        row("client id with a line break", R"({"clientSecretEnv": "B"})",
            "entra.clientId must be the bridge app",
            R"({"entra": {"tenant": "aaaabbbb-0000-cccc-1111-dddd2222eeee", "clientId": "11112222-bbbb-3333-cccc-4444dddd5555\n"}})");
        row("group id with a line break",
            R"({"clientSecretEnv": "B", "groupIds": ["aaaaaaaa-1111-2222-3333-444444444444\n"]})",
            "bridge.groupIds must be a list of group object ids (GUIDs)");
        row("env name with a line break", R"({"clientSecretEnv": "B\n"})",
            "bridge.clientSecretEnv is the name of an environment variable");
        row("port with a line break", R"({"clientSecretEnv": "B", "listen": "127.0.0.1:80\n"})",
            "bridge.listen must be \"host:port\"");
        // What AppConfig refuses, in its own words.
        row("app: no tenant", R"({"clientSecretEnv": "B"})", "entra.tenant is not set",
            R"({"entra": {"clientId": "11112222-bbbb-3333-cccc-4444dddd5555"}})");
        row("app: foreign authority", R"({"clientSecretEnv": "B"})", "entra.authorityHost",
            "{\"entra\": {\"tenant\": \"t\", \"clientId\": \"11112222-bbbb-3333-cccc-4444dddd5555\", "
            "\"authorityHost\": \"https://login.example.org\"}}");
    }
    void refused()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const auto c = BridgeConfig::fromJson(json, u"/etc/elevate/bridge.json"_s);
        QVERIFY2(!c.ok(), "accepted");
        QCOMPARE(c.error().kind, Core::Error::Kind::Config);
        const QString m = c.error().message;
        QVERIFY2(m.startsWith(u"/etc/elevate/bridge.json: "_s), qPrintable(m));
        QVERIFY2(m.contains(expected), qPrintable(m));
        QVERIFY2(!m.contains(QString::fromLatin1(kSecret)), qPrintable(m));
    }
    void secretInFileSaysWhatToDo()
    {
        const auto c = BridgeConfig::fromJson(
            document(R"({"clientSecret": "Qx8~s3cr3t.VALUE_that-must-never-show"})"));
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(u"name a file or an environment variable"_s),
                 message(c).constData());
        QVERIFY2(c.error().message.contains(u"bridge.clientSecretFile"_s)
                     && c.error().message.contains(u"bridge.clientSecretEnv"_s),
                 message(c).constData());
        QVERIFY(!c.error().message.contains(u"s3cr3t"_s));
    }
    void notJson()
    {
        for (const QByteArray &bad :
             {QByteArray("{"), QByteArray("[]"), QByteArray(""), QByteArray("\xff\xfe")}) {
            const auto c = BridgeConfig::fromJson(bad);
            QVERIFY2(!c.ok(), bad.constData());
            QCOMPARE(c.error().kind, Core::Error::Kind::Config);
        }
    }
    void sizeLimit()
    {
        QByteArray big = document(R"({"clientSecretEnv": "B"})");
        big.chop(1);
        big += ", \"pad\": \"" + QByteArray(int(Core::AppConfig::maxJsonBytes), 'x') + "\"}";
        const auto c = BridgeConfig::fromJson(big);
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(u"larger than 1024 KiB"_s), message(c).constData());
    }
    void relativePathsFollowTheFile()
    {
        const auto c = BridgeConfig::fromJson(
            document(R"({"certificateFile": "keys/cert.pem", "privateKeyFile": "../key.pem"})"),
            u"/etc/elevate/bridge.json"_s);
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(QDir::cleanPath(c->certificateFile), u"/etc/elevate/keys/cert.pem"_s);
        QCOMPARE(QDir::cleanPath(c->privateKeyFile), u"/etc/key.pem"_s);
    }
    void relativeWithoutASource()
    {
        const auto c = BridgeConfig::fromJson(document(R"({"clientSecretFile": "secret"})"));
        QVERIFY(!c.ok());
        QVERIFY2(c.error().message.contains(u"bridge.clientSecretFile must be an absolute path"_s),
                 message(c).constData());
    }
    void loadReadsTheFile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"bridge.json"_s);
        QVERIFY(writeFile(path, document(R"({"clientSecretFile": "secret"})"), 0644));
        const auto c = BridgeConfig::load(path);
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->sourcePath, path);
        QCOMPARE(c->clientSecretFile, dir.filePath(u"secret"_s));
        const auto missing = BridgeConfig::load(dir.filePath(u"nothing.json"_s));
        QVERIFY(!missing.ok());
        QVERIFY2(missing.error().message.contains(u"no such file"_s), message(missing).constData());
    }

    // ---- readCredential ----

    void secretFileModes_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("0600") << 0600 << true;
        QTest::newRow("0400") << 0400 << true;
        QTest::newRow("0640") << 0640 << false;
        QTest::newRow("0604") << 0604 << false;
        QTest::newRow("0660") << 0660 << false;
        QTest::newRow("0644") << 0644 << false;
        QTest::newRow("0601") << 0601 << false;
    }
    void secretFileModes()
    {
        QFETCH(int, mode);
        QFETCH(bool, accepted);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"secret"_s);
        QVERIFY(writeFile(path, kSecret + "\n", mode));
        const auto r = readCredential(secretFileConfig(path));
        QCOMPARE(r.ok(), accepted);
        if (accepted) {
            QCOMPARE(r.value(), kSecret);
        } else {
            QCOMPARE(r.error().kind, Core::Error::Kind::Config);
            QVERIFY2(r.error().message.contains(u"chmod 600 "_s + path), qPrintable(r.error().message));
            QVERIFY2(r.error().message.contains(u"bridge.clientSecretFile"_s), qPrintable(r.error().message));
            QVERIFY(!r.error().message.toUtf8().contains(kSecret));
        }
    }
    void secretLineEndsStripped_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("LF") << kSecret + "\n";
        QTest::newRow("CRLF") << kSecret + "\r\n";
        QTest::newRow("several") << kSecret + "\r\n\n\r\n";
        QTest::newRow("none") << kSecret;
    }
    void secretLineEndsStripped()
    {
        QFETCH(QByteArray, bytes);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"secret"_s);
        QVERIFY(writeFile(path, bytes, 0600));
        const auto fromFile = readCredential(secretFileConfig(path));
        QVERIFY2(fromFile.ok(), qPrintable(fromFile.ok() ? QString() : fromFile.error().message));
        QCOMPARE(fromFile.value(), kSecret);
        ScopedEnv env("ELEVATE_TEST_BRIDGE_SECRET", bytes);
        const auto c
            = BridgeConfig::fromJson(document(R"({"clientSecretEnv": "ELEVATE_TEST_BRIDGE_SECRET"})"));
        QVERIFY(c.ok());
        const auto fromEnv = readCredential(c.value());
        QVERIFY(fromEnv.ok());
        QCOMPARE(fromEnv.value(), kSecret);
    }
    void privateKeyKeptAsWritten()
    {
        // A PEM key is passed on byte for byte (its trailing newline belongs to the PEM).
        QTemporaryDir dir;
        const QByteArray pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        QVERIFY(writeFile(dir.filePath(u"key.pem"_s), pem, 0600));
        QVERIFY(writeFile(dir.filePath(u"cert.pem"_s), "CERT\n", 0644));
        const auto c = BridgeConfig::fromJson(
            document(R"({"certificateFile": "cert.pem", "privateKeyFile": "key.pem"})"),
            dir.filePath(u"bridge.json"_s));
        QVERIFY2(c.ok(), message(c).constData());
        const auto key = readCredential(c.value());
        QVERIFY(key.ok());
        QCOMPARE(key.value(), pem);
        // The certificate is public: 0644 is fine for it.
        const auto cert = readCertificate(c.value());
        QVERIFY(cert.ok());
        QCOMPARE(cert.value(), QByteArray("CERT\n"));
        // The key is not.
        QVERIFY(::chmod(QFile::encodeName(dir.filePath(u"key.pem"_s)).constData(), 0644) == 0);
        const auto open = readCredential(c.value());
        QVERIFY(!open.ok());
        QVERIFY2(open.error().message.contains(u"bridge.privateKeyFile"_s)
                     && open.error().message.contains(u"chmod 600"_s),
                 qPrintable(open.error().message));
        QVERIFY(!open.error().message.contains(u"BEGIN"_s));
    }
    void privateKeyFromEnv()
    {
        const QByteArray pem = "-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";
        ScopedEnv env("ELEVATE_TEST_BRIDGE_KEY", pem);
        const auto c = BridgeConfig::fromJson(
            document(R"({"certificateFile": "/c.pem", "privateKeyEnv": "ELEVATE_TEST_BRIDGE_KEY"})"));
        QVERIFY2(c.ok(), message(c).constData());
        const auto key = readCredential(c.value());
        QVERIFY(key.ok());
        QCOMPARE(key.value(), pem);
    }
    void badFiles_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << u"missing"_s << u"no such file"_s;
        QTest::newRow("empty") << u"empty"_s << u"is empty"_s;
        QTest::newRow("only line breaks") << u"newlines"_s << u"holds only line breaks"_s;
        QTest::newRow("directory") << u"directory"_s << u"is not a regular file"_s;
        QTest::newRow("fifo") << u"fifo"_s << u"is not a regular file"_s;
        QTest::newRow("too large") << u"large"_s << u"larger than 64 KiB"_s;
    }
    void badFiles()
    {
        QFETCH(QString, what);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"secret"_s);
        if (what == u"empty")
            QVERIFY(writeFile(path, {}, 0600));
        else if (what == u"newlines")
            QVERIFY(writeFile(path, "\r\n\n", 0600));
        else if (what == u"directory")
            QVERIFY(QDir().mkdir(path) && ::chmod(QFile::encodeName(path).constData(), 0700) == 0);
        else if (what == u"fifo")
            QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
        else if (what == u"large")
            QVERIFY(writeFile(path, kSecret + QByteArray(64 * 1024, 'x'), 0600));
        const auto r = readCredential(secretFileConfig(path));
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Core::Error::Kind::Config);
        QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
        QVERIFY2(r.error().message.contains(u"bridge.clientSecretFile ("_s + path + u')'),
                 qPrintable(r.error().message));
        QVERIFY(!r.error().message.toUtf8().contains(kSecret));
    }
    void envVariable_data()
    {
        QTest::addColumn<QByteArray>("value"); // null: unset
        QTest::addColumn<QString>("expected");
        QTest::newRow("unset") << QByteArray()
                               << u"the environment variable ELEVATE_TEST_BRIDGE_SECRET is not set"_s;
        QTest::newRow("empty") << QByteArray("")
                               << u"the environment variable ELEVATE_TEST_BRIDGE_SECRET is empty"_s;
        QTest::newRow("only a newline") << QByteArray("\n") << u"holds only line breaks"_s;
    }
    void envVariable()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, expected);
        ScopedEnv env("ELEVATE_TEST_BRIDGE_SECRET", value);
        const auto c
            = BridgeConfig::fromJson(document(R"({"clientSecretEnv": "ELEVATE_TEST_BRIDGE_SECRET"})"));
        QVERIFY(c.ok());
        const auto r = readCredential(c.value());
        QVERIFY(!r.ok());
        QCOMPARE(r.error().kind, Core::Error::Kind::Config);
        QVERIFY2(r.error().message.contains(u"bridge.clientSecretEnv"_s), qPrintable(r.error().message));
        QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
    }
    void systemdCredentials_data()
    {
        QTest::addColumn<QString>("written");
        QTest::newRow("$NAME") << u"$CREDENTIALS_DIRECTORY/bridge-secret"_s;
        QTest::newRow("${NAME}") << u"${CREDENTIALS_DIRECTORY}/bridge-secret"_s;
    }
    void systemdCredentials()
    {
        QFETCH(QString, written);
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath(u"bridge-secret"_s), kSecret + "\n", 0400));
        const auto c = BridgeConfig::fromJson(
            document(QJsonDocument(QJsonObject {{u"clientSecretFile"_s, written}}).toJson()),
            u"/etc/elevate/bridge.json"_s);
        QVERIFY2(c.ok(), message(c).constData());
        QCOMPARE(c->clientSecretFile, written); // kept as written: expanded when read
        {
            ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().toLocal8Bit());
            const auto r = readCredential(c.value());
            QVERIFY2(r.ok(), qPrintable(r.ok() ? QString() : r.error().message));
            QCOMPARE(r.value(), kSecret);
            QCOMPARE(expandCredentialPath(written).value(), dir.filePath(u"bridge-secret"_s));
        }
        {
            ScopedEnv env("CREDENTIALS_DIRECTORY", QByteArray());
            const auto r = readCredential(c.value());
            QVERIFY(!r.ok());
            QCOMPARE(r.error().kind, Core::Error::Kind::Config);
            QVERIFY2(r.error().message.contains(u"bridge.clientSecretFile"_s)
                         && r.error().message.contains(u"CREDENTIALS_DIRECTORY is not set"_s),
                     qPrintable(r.error().message));
        }
        {
            // Someone else's credential directory is still checked like any file.
            ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().toLocal8Bit());
            QVERIFY(::chmod(QFile::encodeName(dir.filePath(u"bridge-secret"_s)).constData(), 0440) == 0);
            const auto r = readCredential(c.value());
            QVERIFY(!r.ok());
            QVERIFY2(r.error().message.contains(u"chmod 600 "_s + dir.filePath(u"bridge-secret"_s)),
                     qPrintable(r.error().message));
        }
    }
    void systemdCredentialCertificate()
    {
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath(u"cert"_s), "CERT", 0444));
        QVERIFY(writeFile(dir.filePath(u"key"_s), "KEY", 0400));
        const auto c = BridgeConfig::fromJson(document(
            R"({"certificateFile": "$CREDENTIALS_DIRECTORY/cert", "privateKeyFile": "$CREDENTIALS_DIRECTORY/key"})"));
        QVERIFY2(c.ok(), message(c).constData());
        ScopedEnv env("CREDENTIALS_DIRECTORY", dir.path().toLocal8Bit());
        QCOMPARE(readCertificate(c.value()).value(), QByteArray("CERT"));
        QCOMPARE(readCredential(c.value()).value(), QByteArray("KEY"));
    }
    void otherPathsAreNotExpanded()
    {
        QCOMPARE(expandCredentialPath(u"/etc/$CREDENTIALS_DIRECTORY/x"_s).value(),
                 u"/etc/$CREDENTIALS_DIRECTORY/x"_s);
        QCOMPARE(expandCredentialPath(u"/etc/secret"_s).value(), u"/etc/secret"_s);
    }

    void defaultStatePath()
    {
        {
            ScopedEnv state("STATE_DIRECTORY", "/var/lib/elevate-bridge:/var/lib/other");
            QCOMPARE(BridgeConfig::defaultStatePath(), u"/var/lib/elevate-bridge/state.sqlite"_s);
        }
        {
            ScopedEnv state("STATE_DIRECTORY", QByteArray());
            ScopedEnv xdg("XDG_STATE_HOME", "/srv/state");
            QCOMPARE(BridgeConfig::defaultStatePath(), u"/srv/state/elevate-bridge/state.sqlite"_s);
        }
        {
            ScopedEnv state("STATE_DIRECTORY", QByteArray());
            ScopedEnv xdg("XDG_STATE_HOME", "relative/state"); // the spec says: ignore it
            QCOMPARE(BridgeConfig::defaultStatePath(),
                     QDir::homePath() + u"/.local/state/elevate-bridge/state.sqlite"_s);
        }
        {
            ScopedEnv state("STATE_DIRECTORY", QByteArray());
            ScopedEnv xdg("XDG_STATE_HOME", QByteArray());
            QCOMPARE(BridgeConfig::defaultStatePath(),
                     QDir::homePath() + u"/.local/state/elevate-bridge/state.sqlite"_s);
        }
    }
};

QTEST_GUILESS_MAIN(TestBridgeConfig)
#include "tst_bridgeconfig.moc"

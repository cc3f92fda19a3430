// SPDX-License-Identifier: GPL-3.0-or-later
// The bridge's app-only credentials: the signed client assertion (checked with the openssl command,
// independently of the code under test), the key checks, and token calls against the in-process
// emulator (client secret and certificate, Entra's refusals, the cache on a manual clock).
#include "app/bridge/clientcredentials.h"
#include "emulator/emulator.h"
#include "net/httpclient.h"
#include "support/manualclock.h"
#include "support/testsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <optional>

using namespace Elevate;
using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;
using Elevate::Test::describe;

namespace {

const QString kClient = u"11112222-bbbb-3333-cccc-4444dddd5555"_s;
const QString kAudience = u"http://127.0.0.1:1/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token"_s;

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray b64urlDecode(const QByteArray &part)
{
    return QByteArray::fromBase64(part, QByteArray::Base64UrlEncoding);
}

QByteArray b64url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

class TestClientCredentials : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QByteArray m_key, m_cert, m_der;
    Emulator::Emulator *m_emulator = nullptr;
    QNetworkAccessManager m_nam;
    Net::HttpClient *m_http = nullptr;

    /// The bridge's application in the emulator: a fresh registration per test, replaced with POST
    /// /_emulator/applications (secret, certificates, application permissions).
    QString m_appId;
    const QByteArray m_secret = "Zk8~emulated.bridge_SECRET-value";
    const QStringList m_roles {u"PrivilegedAssignmentSchedule.Read.AzureADGroup"_s,
                               u"Synchronization.ReadWrite.All"_s};

    int postAdmin(const QString &what, const QJsonObject &body)
    {
        QNetworkRequest req(QUrl(m_emulator->baseUrl().toString() + u"/_emulator/"_s + what));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *reply = m_nam.post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
        const bool done = QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000);
        const int status = done ? reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() : 0;
        reply->deleteLater();
        return status;
    }
    void clearFaults()
    {
        QNetworkReply *reply = m_nam.deleteResource(
            QNetworkRequest(QUrl(m_emulator->baseUrl().toString() + u"/_emulator/faults"_s)));
        QVERIFY(QTest::qWaitFor([reply] { return reply->isFinished(); }, 10'000));
        reply->deleteLater();
    }
    bool registerApp(const QJsonObject &extra = {})
    {
        QJsonObject app {{u"clientId"_s, m_appId},
                         {u"displayName"_s, u"Bridge under test"_s},
                         {u"secret"_s, QString::fromLatin1(m_secret)},
                         {u"roles"_s, QJsonArray::fromStringList(m_roles)}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            app.insert(it.key(), it.value());
        return postAdmin(u"applications"_s, app) == 200;
    }
    QJsonObject certificateEntry() const
    {
        return QJsonObject {
            {u"x5tS256"_s,
             QString::fromLatin1(b64url(QCryptographicHash::hash(m_der, QCryptographicHash::Sha256)))}};
    }
    /// Token calls the emulator has answered since the scenario was loaded.
    int tokenCalls() const
    {
        return m_emulator->state().value(u"calls").toObject().value(u"entraToken").toInt();
    }
    /// A bridge configuration for the emulator with the given "bridge" object.
    BridgeConfig config(const QJsonObject &bridge, const QString &clientId = {}) const
    {
        QJsonObject root = QJsonDocument::fromJson(m_emulator->configJson()).object();
        QJsonObject entra = root.value(u"entra").toObject();
        entra.insert(u"clientId"_s, clientId.isEmpty() ? m_appId : clientId);
        root.insert(u"entra"_s, entra);
        root.insert(u"bridge"_s, bridge);
        auto c = BridgeConfig::fromJson(QJsonDocument(root).toJson());
        if (!c.ok())
            qFatal("bridge config for the emulator: %s", qPrintable(c.error().message));
        return c.value();
    }
    BridgeConfig secretConfig(const QString &clientId = {}) const
    {
        return config(QJsonObject {{u"clientSecretEnv"_s, u"UNUSED_IN_THIS_TEST"_s}}, clientId);
    }
    BridgeConfig certificateConfig(const QString &algorithm) const
    {
        return config(QJsonObject {{u"certificateFile"_s, u"/unused/cert.pem"_s},
                                   {u"privateKeyEnv"_s, u"UNUSED_IN_THIS_TEST"_s},
                                   {u"assertionAlgorithm"_s, algorithm}});
    }
    /// One token, waited for.
    std::optional<Core::Result<QString>> token(ClientCredentialsProvider &p)
    {
        std::optional<Core::Result<QString>> out;
        p.requestAccessToken(u"https://graph.microsoft.com"_s, this,
                             [&out](Core::Result<QString> r) { out = r; });
        if (!QTest::qWaitFor([&out] { return out.has_value(); }, 15'000))
            return std::nullopt;
        return out;
    }

    QString path(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

    /// Runs openssl in the temporary directory; its exit code (-1 when it did not run).
    int openssl(const QStringList &args, QByteArray *output = nullptr)
    {
        QProcess p;
        p.setWorkingDirectory(m_dir.path());
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(u"openssl"_s, args);
        if (!p.waitForFinished(60'000))
            return -1;
        if (output)
            *output = p.readAll();
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    }

    AssertionInput input(const QString &algorithm) const
    {
        return AssertionInput {algorithm,
                               m_der,
                               kClient,
                               kAudience,
                               QDateTime::fromSecsSinceEpoch(1'764'000'000, Qt::UTC),
                               QUuid::createUuid().toString(QUuid::WithoutBraces)};
    }

    /// Verifies `jwt`'s signature over its first two parts with the openssl command.
    bool opensslVerifies(const QByteArray &jwt, bool pss)
    {
        const QList<QByteArray> parts = jwt.split('.');
        if (parts.size() != 3)
            return false;
        if (!writeAll(path("data.txt"), parts[0] + '.' + parts[1])
            || !writeAll(path("sig.bin"), b64urlDecode(parts[2])))
            return false;
        QStringList args {u"dgst"_s, u"-sha256"_s, u"-verify"_s, u"pub.pem"_s, u"-signature"_s, u"sig.bin"_s};
        if (pss)
            args << u"-sigopt"_s << u"rsa_padding_mode:pss"_s << u"-sigopt"_s << u"rsa_pss_saltlen:32"_s
                 << u"-sigopt"_s << u"rsa_mgf1_md:sha256"_s;
        args << u"data.txt"_s;
        QByteArray out;
        return openssl(args, &out) == 0 && out.contains("Verified OK");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QByteArray out;
        QVERIFY2(openssl({u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                          u"k.pem"_s, u"-out"_s, u"c.pem"_s, u"-days"_s, u"1"_s, u"-subj"_s, u"/CN=bridge"_s},
                         &out)
                     == 0,
                 out.constData());
        QCOMPARE(
            openssl({u"x509"_s, u"-in"_s, u"c.pem"_s, u"-pubkey"_s, u"-noout"_s, u"-out"_s, u"pub.pem"_s}),
            0);
        QCOMPARE(openssl({u"x509"_s, u"-in"_s, u"c.pem"_s, u"-outform"_s, u"der"_s, u"-out"_s, u"c.der"_s}),
                 0);
        m_key = readAll(path("k.pem"));
        m_cert = readAll(path("c.pem"));
        QVERIFY(m_key.contains("PRIVATE KEY") && m_cert.contains("BEGIN CERTIFICATE"));
        const auto der = certificateDerFromPem(m_cert);
        QVERIFY(der.ok());
        m_der = der.value();
        QCOMPARE(m_der, readAll(path("c.der"))); // the same DER openssl writes

        m_emulator = new Emulator::Emulator(this);
        QVERIFY(m_emulator->loadBuiltInScenario());
        QVERIFY(m_emulator->listen());
        m_http = new Net::HttpClient(&m_nam, this);
    }
    void init()
    {
        clearFaults();
        m_appId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        QVERIFY(registerApp());
    }

    void assertionVerifies_data()
    {
        QTest::addColumn<QString>("algorithm");
        QTest::newRow("RS256") << u"RS256"_s;
        QTest::newRow("PS256") << u"PS256"_s;
    }
    void assertionVerifies()
    {
        QFETCH(QString, algorithm);
        const bool pss = algorithm == u"PS256";
        const AssertionInput in = input(algorithm);
        const auto jwt = signedClientAssertion(in, m_key);
        QVERIFY2(jwt.ok(), qPrintable(jwt.ok() ? QString() : jwt.error().message));
        QVERIFY(opensslVerifies(jwt.value(), pss));
        // The other padding does not verify, nor does a changed claim: the check above can fail.
        QVERIFY(!opensslVerifies(jwt.value(), !pss));
        QList<QByteArray> parts = jwt.value().split('.');
        QJsonObject claims = QJsonDocument::fromJson(b64urlDecode(parts[1])).object();
        claims.insert(u"sub"_s, u"someone-else"_s);
        parts[1] = b64url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
        QVERIFY(!opensslVerifies(parts.join('.'), pss));
    }
    void assertionHeaderAndClaims_data() { assertionVerifies_data(); }
    void assertionHeaderAndClaims()
    {
        QFETCH(QString, algorithm);
        const AssertionInput in = input(algorithm);
        const auto jwt = signedClientAssertion(in, m_key);
        QVERIFY(jwt.ok());
        const QList<QByteArray> parts = jwt.value().split('.');
        QCOMPARE(parts.size(), 3);
        for (const QByteArray &p : parts) // base64url without padding
            QVERIFY(!p.contains('=') && !p.contains('+') && !p.contains('/'));
        const QJsonObject header = QJsonDocument::fromJson(b64urlDecode(parts[0])).object();
        QCOMPARE(header.value(u"alg").toString(), algorithm);
        QCOMPARE(header.value(u"typ").toString(), u"JWT"_s);
        // The thumbprints of the DER openssl wrote, hashed by openssl.
        QCOMPARE(openssl({u"dgst"_s, u"-sha256"_s, u"-binary"_s, u"-out"_s, u"h256.bin"_s, u"c.der"_s}), 0);
        QCOMPARE(openssl({u"dgst"_s, u"-sha1"_s, u"-binary"_s, u"-out"_s, u"h1.bin"_s, u"c.der"_s}), 0);
        QCOMPARE(header.value(u"x5t#S256").toString().toLatin1(), b64url(readAll(path("h256.bin"))));
        QCOMPARE(header.value(u"x5t").toString().toLatin1(), b64url(readAll(path("h1.bin"))));
        QCOMPARE(header.size(), 4);
        const QJsonObject claims = QJsonDocument::fromJson(b64urlDecode(parts[1])).object();
        QCOMPARE(claims.value(u"aud").toString(), kAudience);
        QCOMPARE(claims.value(u"iss").toString(), kClient);
        QCOMPARE(claims.value(u"sub").toString(), kClient);
        QCOMPARE(claims.value(u"jti").toString(), in.jti);
        QCOMPARE(claims.value(u"nbf").toInteger(), in.now.toSecsSinceEpoch());
        QCOMPARE(claims.value(u"iat").toInteger(), in.now.toSecsSinceEpoch());
        QCOMPARE(claims.value(u"exp").toInteger(), in.now.toSecsSinceEpoch() + 600);
        QCOMPARE(claims.size(), 7);
    }
    void unknownAlgorithmRefused()
    {
        const auto jwt = signedClientAssertion(input(u"HS256"_s), m_key);
        QVERIFY(!jwt.ok());
        QVERIFY2(jwt.error().message.contains(u"RS256 or PS256"_s), qPrintable(jwt.error().message));
    }

    void badKeysRefused_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("another key") << u"mismatch"_s << u"does not belong to the certificate"_s;
        QTest::newRow("encrypted") << u"encrypted"_s << u"the private key is encrypted"_s;
        QTest::newRow("1024 bits") << u"small"_s << u"has 1024 bits"_s;
        QTest::newRow("not RSA") << u"ec"_s << u"not an RSA key"_s;
        QTest::newRow("not PEM") << u"garbage"_s << u"not a PEM private key"_s;
        QTest::newRow("a certificate") << u"certificate"_s << u"not a PEM private key"_s;
        QTest::newRow("empty") << u"empty"_s << u"not a PEM private key"_s;
    }
    void badKeysRefused()
    {
        QFETCH(QString, kind);
        QFETCH(QString, expected);
        QByteArray key;
        AssertionInput in = input(u"RS256"_s);
        if (kind == u"mismatch") {
            QCOMPARE(openssl({u"genpkey"_s, u"-algorithm"_s, u"RSA"_s, u"-pkeyopt"_s,
                              u"rsa_keygen_bits:2048"_s, u"-out"_s, u"other.pem"_s}),
                     0);
            key = readAll(path("other.pem"));
        } else if (kind == u"encrypted") {
            // The passphrase comes from a file, not the command line.
            QVERIFY(writeAll(path("pass.txt"), "test-passphrase\n"));
            QCOMPARE(openssl({u"pkey"_s, u"-in"_s, u"k.pem"_s, u"-aes256"_s, u"-passout"_s,
                              u"file:pass.txt"_s, u"-out"_s, u"enc.pem"_s}),
                     0);
            key = readAll(path("enc.pem"));
            QVERIFY(key.contains("ENCRYPTED"));
        } else if (kind == u"small") {
            QCOMPARE(openssl({u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:1024"_s, u"-nodes"_s, u"-keyout"_s,
                              u"k1024.pem"_s, u"-out"_s, u"c1024.pem"_s, u"-days"_s, u"1"_s, u"-subj"_s,
                              u"/CN=small"_s}),
                     0);
            key = readAll(path("k1024.pem"));
            const auto der = certificateDerFromPem(readAll(path("c1024.pem")));
            QVERIFY(der.ok());
            in.certificateDer = der.value(); // a matching pair: refused for its size alone
        } else if (kind == u"ec") {
            QCOMPARE(openssl({u"req"_s, u"-x509"_s, u"-newkey"_s, u"ec"_s, u"-pkeyopt"_s,
                              u"ec_paramgen_curve:P-256"_s, u"-nodes"_s, u"-keyout"_s, u"kec.pem"_s,
                              u"-out"_s, u"cec.pem"_s, u"-days"_s, u"1"_s, u"-subj"_s, u"/CN=ec"_s}),
                     0);
            key = readAll(path("kec.pem"));
            const auto der = certificateDerFromPem(readAll(path("cec.pem")));
            QVERIFY(der.ok());
            in.certificateDer = der.value();
        } else if (kind == u"garbage") {
            key = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
        } else if (kind == u"certificate") {
            key = m_cert;
        }
        const auto jwt = signedClientAssertion(in, key);
        QVERIFY2(!jwt.ok(), "signed");
        QCOMPARE(jwt.error().kind, Core::Error::Kind::Config);
        const QString m = jwt.error().message;
        QVERIFY2(m.contains(expected), qPrintable(m));
        // No key material in the message: no line of the PEM, no base64 run.
        for (const QByteArray &line : key.split('\n')) {
            if (line.size() > 8 && !line.startsWith("-----"))
                QVERIFY2(!m.toLatin1().contains(line), qPrintable(m));
        }
    }
    void notACertificate()
    {
        for (const QByteArray &bad :
             {QByteArray(), QByteArray("CERT"), m_key,
              QByteArray("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}) {
            const auto der = certificateDerFromPem(bad);
            QVERIFY(!der.ok());
            QCOMPARE(der.error().kind, Core::Error::Kind::Config);
        }
        AssertionInput in = input(u"RS256"_s);
        in.certificateDer = "not DER";
        const auto jwt = signedClientAssertion(in, m_key);
        QVERIFY(!jwt.ok());
        QVERIFY2(jwt.error().message.contains(u"not a readable X.509 certificate"_s),
                 qPrintable(jwt.error().message));
    }

    // ---- token calls against the emulator ----

    void secretToken()
    {
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        QVERIFY(p.grantedRoles().isEmpty());
        const auto t = token(p);
        VERIFY_OK(t);
        QVERIFY(!t->value().isEmpty());
        QCOMPARE(p.grantedRoles(), m_roles);
        const QJsonArray issued
            = m_emulator->state().value(u"tokens").toObject().value(u"accessTokens").toArray();
        QVERIFY(issued.contains(QJsonValue(t->value())));
    }
    void wrongSecret()
    {
        Test::ManualClock clock(m_emulator->now());
        const QByteArray wrong = "Zk8~not.the-SECRET-value";
        ClientCredentialsProvider p(
            config(QJsonObject {{u"clientSecretFile"_s, u"/run/credentials/bridge"_s}}), wrong, {}, m_http,
            &clock);
        const auto t = token(p);
        QVERIFY2(t && !t->ok(), describe(t).constData());
        const Core::Error &e = t->error();
        QCOMPARE(e.kind, Core::Error::Kind::Service);
        QCOMPARE(e.source, Core::Error::Source::Entra);
        QCOMPARE(e.serviceCode, u"AADSTS7000215"_s);
        QCOMPARE(e.httpStatus, 401);
        QVERIFY2(e.message.contains(u"/run/credentials/bridge must hold the secret's value"_s),
                 qPrintable(e.message));
        QVERIFY2(e.message.contains(u"not its secret ID"_s), qPrintable(e.message));
        QVERIFY(!e.message.toUtf8().contains(wrong) && !e.message.toUtf8().contains(m_secret));
        QVERIFY(p.grantedRoles().isEmpty());
    }
    void expiredSecret()
    {
        QVERIFY(registerApp(QJsonObject {{u"secretExpired"_s, true}}));
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        const auto t = token(p);
        QVERIFY2(t && !t->ok(), describe(t).constData());
        QCOMPARE(t->error().serviceCode, u"AADSTS7000222"_s);
        QVERIFY2(t->error().message.contains(u"the client secret has expired: create a new one"_s),
                 qPrintable(t->error().message));
        QVERIFY2(t->error().message.contains(u"the environment variable UNUSED_IN_THIS_TEST"_s),
                 qPrintable(t->error().message));
    }
    void unknownApplication()
    {
        Test::ManualClock clock(m_emulator->now());
        const QString stranger = QUuid::createUuid().toString(QUuid::WithoutBraces);
        ClientCredentialsProvider p(secretConfig(stranger), m_secret, {}, m_http, &clock);
        const auto t = token(p);
        QVERIFY2(t && !t->ok(), describe(t).constData());
        QCOMPARE(t->error().serviceCode, u"AADSTS700016"_s);
        QVERIFY2(t->error().message.contains(u"knows no application "_s + stranger),
                 qPrintable(t->error().message));
        QVERIFY2(t->error().message.contains(u"check entra.clientId"_s), qPrintable(t->error().message));
    }
    void certificateToken_data() { assertionVerifies_data(); }
    void certificateToken()
    {
        QFETCH(QString, algorithm);
        QVERIFY(registerApp(QJsonObject {{u"certificates"_s, QJsonArray {certificateEntry()}}}));
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(certificateConfig(algorithm), m_key, m_cert, m_http, &clock);
        const auto first = token(p);
        VERIFY_OK(first);
        QCOMPARE(p.grantedRoles(), m_roles);
        // A new assertion for the next call: the emulator refuses a jti it has seen.
        p.invalidateAccessToken(u"https://graph.microsoft.com"_s, first->value());
        const auto second = token(p);
        VERIFY_OK(second);
        QVERIFY(second->value() != first->value());
    }
    void unknownCertificate()
    {
        // Registered without this certificate.
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(certificateConfig(u"RS256"_s), m_key, m_cert, m_http, &clock);
        const auto t = token(p);
        QVERIFY2(t && !t->ok(), describe(t).constData());
        QCOMPARE(t->error().serviceCode, u"AADSTS700027"_s);
        // The thumbprint as openssl computes it, to compare with the portal's list.
        QByteArray out;
        QCOMPARE(
            openssl({u"x509"_s, u"-in"_s, u"c.pem"_s, u"-noout"_s, u"-fingerprint"_s, u"-sha256"_s}, &out),
            0);
        const QString thumbprint = QString::fromLatin1(out.mid(out.indexOf('=') + 1).trimmed()).remove(u':');
        QCOMPARE(thumbprint.size(), 64);
        QVERIFY2(t->error().message.contains(u"upload the certificate whose SHA-256 thumbprint is "_s
                                             + thumbprint),
                 qPrintable(t->error().message));
    }
    void badCertificateFailsBeforeAnyCall()
    {
        const int before = tokenCalls();
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(certificateConfig(u"RS256"_s), m_key, "not a certificate", m_http,
                                    &clock);
        const auto t = token(p);
        QVERIFY2(t && !t->ok(), describe(t).constData());
        QCOMPARE(t->error().kind, Core::Error::Kind::Config);
        QVERIFY2(t->error().message.contains(u"not a PEM certificate"_s), qPrintable(t->error().message));
        QCOMPARE(tokenCalls(), before);
    }

    void cachedUntilFiveMinutesBeforeExpiry()
    {
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        const int before = tokenCalls();
        const auto first = token(p);
        VERIFY_OK(first);
        QCOMPARE(tokenCalls(), before + 1);
        const auto again = token(p);
        QVERIFY(again && again->ok());
        QCOMPARE(again->value(), first->value());
        QCOMPARE(tokenCalls(), before + 1);
        // The emulator's tokens last 3599 s: kept until 300 s before that.
        clock.advance(3599 - 300 - 1);
        const auto late = token(p);
        QVERIFY(late && late->ok());
        QCOMPARE(late->value(), first->value());
        QCOMPARE(tokenCalls(), before + 1);
        clock.advance(1);
        const auto fresh = token(p);
        VERIFY_OK(fresh);
        QCOMPARE(tokenCalls(), before + 2);
        QVERIFY(fresh->value() != first->value());
        const auto cached = token(p);
        QCOMPARE(cached->value(), fresh->value());
        QCOMPARE(tokenCalls(), before + 2);
    }
    void concurrentRequestsShareOneCall()
    {
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        const int before = tokenCalls();
        QList<Core::Result<QString>> answers;
        for (int i = 0; i < 3; ++i)
            p.requestAccessToken(u"https://graph.microsoft.com"_s, this,
                                 [&answers](Core::Result<QString> r) { answers << r; });
        QVERIFY(answers.isEmpty()); // never called back from inside the request
        QVERIFY(QTest::qWaitFor([&answers] { return answers.size() == 3; }, 15'000));
        QCOMPARE(tokenCalls(), before + 1);
        for (const auto &a : answers) {
            QVERIFY(a.ok());
            QCOMPARE(a.value(), answers.first().value());
        }
        // A failure reaches every waiter too.
        ClientCredentialsProvider wrong(secretConfig(), "wrong", {}, m_http, &clock);
        QList<Core::Result<QString>> failures;
        for (int i = 0; i < 2; ++i)
            wrong.requestAccessToken(u"https://graph.microsoft.com"_s, this,
                                     [&failures](Core::Result<QString> r) { failures << r; });
        QVERIFY(QTest::qWaitFor([&failures] { return failures.size() == 2; }, 15'000));
        QCOMPARE(tokenCalls(), before + 2);
        for (const auto &f : failures)
            QVERIFY(!f.ok() && f.error().serviceCode == u"AADSTS7000215");
    }
    void invalidateDropsOnlyThatToken()
    {
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        const int before = tokenCalls();
        const auto first = token(p);
        QVERIFY(first && first->ok());
        p.invalidateAccessToken(u"https://graph.microsoft.com"_s, u"some-older-token"_s);
        p.invalidateAccessToken(u"https://other.example"_s, first->value());
        QCOMPARE(token(p)->value(), first->value());
        QCOMPARE(tokenCalls(), before + 1);
        p.invalidateAccessToken(u"https://graph.microsoft.com"_s, first->value());
        const auto fresh = token(p);
        QVERIFY(fresh && fresh->ok());
        QVERIFY(fresh->value() != first->value());
        QCOMPARE(tokenCalls(), before + 2);
    }
    void goneContextIsNotCalled()
    {
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        bool called = false;
        auto *context = new QObject;
        p.requestAccessToken(u"https://graph.microsoft.com"_s, context,
                             [&called](Core::Result<QString>) { called = true; });
        delete context;
        const auto t = token(p); // the same call answers this one
        QVERIFY(t && t->ok());
        QVERIFY(!called);
        // From the cache as well.
        auto *again = new QObject;
        p.requestAccessToken(u"https://graph.microsoft.com"_s, again,
                             [&called](Core::Result<QString>) { called = true; });
        delete again;
        QVERIFY(token(p)->ok());
        QVERIFY(!called);
    }
    void answersThatAreNotTokens_data()
    {
        QTest::addColumn<QJsonObject>("fault");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not JSON") << QJsonObject {{u"body"_s, u"<html>maintenance</html>"_s}}
                                  << int(Core::Error::Kind::Parse) << u"lacks access_token or expires_in"_s;
        QTest::newRow("no expiry")
            << QJsonObject {{u"body"_s, u"{\"access_token\": \"x.y.z\", \"token_type\": \"Bearer\"}"_s}}
            << int(Core::Error::Kind::Parse) << u"lacks access_token or expires_in"_s;
        QTest::newRow("500 without OAuth error")
            << QJsonObject {{u"status"_s, 500}, {u"body"_s, u"oops"_s}} << int(Core::Error::Kind::Http)
            << u"HTTP 500 without an OAuth error"_s;
        QTest::newRow("dropped") << QJsonObject {{u"drop"_s, true}, {u"count"_s, 2}}
                                 << int(Core::Error::Kind::Network) << QString();
    }
    void answersThatAreNotTokens()
    {
        QFETCH(QJsonObject, fault);
        QFETCH(int, kind);
        QFETCH(QString, expected);
        fault.insert(u"path"_s, u"/oauth2/v2.0/token"_s);
        QCOMPARE(postAdmin(u"faults"_s, fault), 201);
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        const auto t = token(p);
        clearFaults();
        QVERIFY2(t && !t->ok(), describe(t).constData());
        QCOMPARE(int(t->error().kind), kind);
        QVERIFY2(t->error().message.contains(expected), qPrintable(t->error().message));
        // Nothing cached: the next call asks again and succeeds.
        const auto next = token(p);
        VERIFY_OK(next);
    }
    void opaqueTokenHasNoRoles()
    {
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(secretConfig(), m_secret, {}, m_http, &clock);
        const auto real = token(p);
        VERIFY_OK(real);
        QCOMPARE(p.grantedRoles(), m_roles);
        p.invalidateAccessToken(u"https://graph.microsoft.com"_s, real->value());
        QCOMPARE(postAdmin(u"faults"_s,
                           QJsonObject {
                               {u"path"_s, u"/oauth2/v2.0/token"_s},
                               {u"body"_s, u"{\"access_token\": \"opaque-token\", \"expires_in\": 3600}"_s}}),
                 201);
        const auto t = token(p);
        VERIFY_OK(t);
        QCOMPARE(t->value(), u"opaque-token"_s);
        QVERIFY(p.grantedRoles().isEmpty()); // the earlier token's roles do not linger
    }
    void theEmulatorsBridgeConfiguration()
    {
        // --write-bridge-config's file, read as the program reads it: the secret file is accepted (0600)
        // and the token call with it succeeds with the scenario's bridge application.
        const QString file = m_dir.filePath(u"written/bridge.json"_s);
        QVERIFY(QDir().mkpath(QFileInfo(file).absolutePath()));
        QString error;
        QVERIFY2(m_emulator->writeBridgeConfig(file, &error), qPrintable(error));
        const auto c = BridgeConfig::load(file);
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QCOMPARE(c->app.clientId, m_emulator->bridgeClientId());
        const auto secret = readCredential(c.value());
        QVERIFY2(secret.ok(), qPrintable(secret.ok() ? QString() : secret.error().message));
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider p(c.value(), secret.value(), {}, m_http, &clock);
        const auto t = token(p);
        VERIFY_OK(t);
        QVERIFY(p.grantedRoles().contains(u"PrivilegedAssignmentSchedule.Read.AzureADGroup"_s));
    }
    void noSecretInTheLog()
    {
        // Every debug line of every category while a secret and an assertion go out.
        static QStringList lines;
        lines.clear();
        QLoggingCategory::setFilterRules(u"*.debug=true"_s);
        // The emulator's own lines are the emulator's business (it holds the secret anyway).
        const auto old
            = qInstallMessageHandler([](QtMsgType, const QMessageLogContext &context, const QString &m) {
                  if (!QByteArray(context.category).startsWith("elevate.emulator"))
                      lines << m;
              });
        QVERIFY(registerApp(QJsonObject {{u"certificates"_s, QJsonArray {certificateEntry()}}}));
        Test::ManualClock clock(m_emulator->now());
        ClientCredentialsProvider secret(secretConfig(), m_secret, {}, m_http, &clock);
        const auto a = token(secret);
        ClientCredentialsProvider cert(certificateConfig(u"PS256"_s), m_key, m_cert, m_http, &clock);
        const auto b = token(cert);
        qInstallMessageHandler(old);
        QLoggingCategory::setFilterRules(QString());
        QVERIFY(a && a->ok() && b && b->ok());
        QVERIFY(lines.join(u'\n').contains(u"app-only token"_s)); // the log was captured
        const QString all = lines.join(u'\n');
        QVERIFY(!all.contains(QString::fromLatin1(m_secret)));
        QVERIFY(!all.contains(a->value()) && !all.contains(b->value()));
        for (const QByteArray &line : m_key.split('\n'))
            if (line.size() > 8 && !line.startsWith("-----"))
                QVERIFY(!all.contains(QString::fromLatin1(line)));
    }
};

QTEST_GUILESS_MAIN(TestClientCredentials)
#include "tst_clientcredentials.moc"

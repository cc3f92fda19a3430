// SPDX-License-Identifier: GPL-3.0-or-later
// The bridge's app-only credentials: the signed client assertion (checked with the openssl command,
// independently of the code under test) and the key checks.
#include "app/bridge/clientcredentials.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

using namespace Elevate;
using namespace Elevate::Bridge;
using namespace Qt::StringLiterals;

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
};

QTEST_GUILESS_MAIN(TestClientCredentials)
#include "tst_clientcredentials.moc"

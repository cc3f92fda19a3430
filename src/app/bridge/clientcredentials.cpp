// SPDX-License-Identifier: GPL-3.0-or-later
#include "clientcredentials.h"

#include "net/httpclient.h"
#include "net/json.h"

#include <QCryptographicHash>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QUuid>

#include <limits>
#include <memory>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <optional>

using namespace Qt::StringLiterals;

namespace Elevate::Bridge {

namespace {

Q_LOGGING_CATEGORY(lcBridgeAuth, "elevate.bridge.auth")

using Core::Error;

constexpr qint64 kAssertionLifetimeSecs = 600;
constexpr qint64 kExpiryBufferSecs = 300;

struct BioFree
{
    void operator()(BIO *b) const { BIO_free(b); }
};
struct PkeyFree
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};
struct MdCtxFree
{
    void operator()(EVP_MD_CTX *c) const { EVP_MD_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Error credentialError(const QString &what)
{
    return Error::make(Error::Kind::Config, what);
}

QByteArray b64url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

Bio memoryBio(const QByteArray &bytes)
{
    return Bio(BIO_new_mem_buf(bytes.constData(), int(bytes.size())));
}

/// PEM_read_bio_PrivateKey asks for a passphrase only for an encrypted key: say no, and remember.
int refusePassphrase(char *, int, int, void *asked)
{
    *static_cast<bool *>(asked) = true;
    return -1;
}

Core::Result<Pkey> loadPrivateKey(const QByteArray &pem)
{
    if (pem.size() > 64 * 1024 || pem.size() >= std::numeric_limits<int>::max())
        return credentialError(u"the private key is larger than 64 KiB"_s);
    Bio bio = memoryBio(pem);
    if (!bio)
        return Error::make(Error::Kind::Internal, u"out of memory reading the private key"_s);
    bool askedForPassphrase = false;
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refusePassphrase, &askedForPassphrase));
    // OpenSSL's error queue may name the key's bytes' position but never its content; drop it anyway.
    ERR_clear_error();
    if (askedForPassphrase)
        return credentialError(u"the private key is encrypted (it asks for a passphrase): the bridge needs "
                               u"it unencrypted, readable only by the service (openssl pkey -in KEY -out "
                               u"NEW.pem, then chmod 600 NEW.pem)"_s);
    if (!key)
        return credentialError(u"the private key is not a PEM private key (-----BEGIN PRIVATE KEY-----)"_s);
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
        return credentialError(u"the private key is not an RSA key: Entra's client assertions are RS256 or "
                               u"PS256, which need RSA (2048 bits or more)"_s);
    if (EVP_PKEY_get_bits(key.get()) < 2048)
        return credentialError(
            u"the private key has %1 bits: Entra needs RSA keys of at least 2048 bits"_s.arg(
                EVP_PKEY_get_bits(key.get())));
    return key;
}

QByteArray compactJson(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString tokenUrl(const BridgeConfig &config)
{
    return config.app.authorityHost + u'/' + config.app.tenant + u"/oauth2/v2.0/token"_s;
}

/// The `roles` claim of a JWT-shaped access token; nullopt when the token is opaque.
std::optional<QStringList> rolesOf(const QString &token)
{
    const QStringList parts = token.split(u'.');
    if (parts.size() != 3)
        return std::nullopt;
    const auto decoded = QByteArray::fromBase64Encoding(
        parts[1].toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    QStringList roles;
    for (const QJsonValue &v : doc.object().value(u"roles").toArray()) {
        if (v.isString())
            roles << v.toString();
    }
    return roles;
}

} // namespace

Core::Result<QByteArray> certificateDerFromPem(const QByteArray &pem)
{
    if (pem.isEmpty() || pem.size() > 64 * 1024)
        return credentialError(u"the certificate is empty or larger than 64 KiB"_s);
    Bio bio = memoryBio(pem);
    if (!bio)
        return Error::make(Error::Kind::Internal, u"out of memory reading the certificate"_s);
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!cert)
        return credentialError(u"the certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----)"_s);
    unsigned char *der = nullptr;
    const int n = i2d_X509(cert.get(), &der);
    if (n <= 0)
        return Error::make(Error::Kind::Internal, u"the certificate cannot be written as DER"_s);
    const QByteArray out(reinterpret_cast<const char *>(der), n);
    OPENSSL_free(der);
    return out;
}

Core::Result<QByteArray> signedClientAssertion(const AssertionInput &input, const QByteArray &privateKeyPem)
{
    const bool pss = input.algorithm == u"PS256";
    if (!pss && input.algorithm != u"RS256")
        return credentialError(u"the assertion algorithm is RS256 or PS256, not %1"_s.arg(input.algorithm));
    if (input.certificateDer.isEmpty() || input.certificateDer.size() > 64 * 1024)
        return credentialError(u"no certificate to name in the assertion"_s);
    const auto *derBytes = reinterpret_cast<const unsigned char *>(input.certificateDer.constData());
    X509Ptr cert(d2i_X509(nullptr, &derBytes, long(input.certificateDer.size())));
    ERR_clear_error();
    if (!cert)
        return credentialError(u"the certificate is not a readable X.509 certificate"_s);
    auto key = loadPrivateKey(privateKeyPem);
    if (!key.ok())
        return key.error();
    EVP_PKEY *pkey = key.value().get();
    if (EVP_PKEY_eq(X509_get0_pubkey(cert.get()), pkey) != 1) {
        ERR_clear_error();
        return credentialError(
            u"the private key does not belong to the certificate (its public key differs): "
            u"name the key the certificate was made with"_s);
    }

    const QJsonObject header {
        {u"alg"_s, input.algorithm},
        {u"typ"_s, u"JWT"_s},
        {u"x5t#S256"_s,
         QString::fromLatin1(
             b64url(QCryptographicHash::hash(input.certificateDer, QCryptographicHash::Sha256)))},
        {u"x5t"_s,
         QString::fromLatin1(
             b64url(QCryptographicHash::hash(input.certificateDer, QCryptographicHash::Sha1)))}};
    const qint64 now = input.now.toSecsSinceEpoch();
    const QJsonObject claims {{u"aud"_s, input.audience},
                              {u"iss"_s, input.clientId},
                              {u"sub"_s, input.clientId},
                              {u"jti"_s, input.jti},
                              {u"nbf"_s, now},
                              {u"iat"_s, now},
                              {u"exp"_s, now + kAssertionLifetimeSecs}};
    const QByteArray signingInput = b64url(compactJson(header)) + '.' + b64url(compactJson(claims));

    MdCtx ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr; // owned by ctx
    bool ok = ctx && EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey) == 1;
    if (ok && pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1
            && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
    const auto *data = reinterpret_cast<const unsigned char *>(signingInput.constData());
    size_t length = 0;
    ok = ok && EVP_DigestSign(ctx.get(), nullptr, &length, data, size_t(signingInput.size())) == 1;
    QByteArray signature;
    if (ok) {
        signature.resize(qsizetype(length));
        ok = EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &length, data,
                            size_t(signingInput.size()))
            == 1;
        signature.resize(qsizetype(length));
    }
    ERR_clear_error();
    if (!ok)
        return Error::make(Error::Kind::Internal, u"libcrypto could not sign the client assertion"_s);
    return QByteArray(signingInput + '.' + b64url(signature));
}

// ---- ClientCredentialsProvider ----

struct ClientCredentialsProvider::Private
{
    BridgeConfig config;
    QByteArray credential; // the secret or the private key's PEM
    QByteArray certificateDer;
    Error certificateProblem; // Kind None when the certificate is usable
    Net::HttpClient *http;
    const Core::Clock *clock;

    struct Cached
    {
        QString token;
        QDateTime expires;
    };
    QHash<QString, Cached> tokens;
    struct Waiter
    {
        QPointer<QObject> context;
        bool hadContext;
        Callback callback;
    };
    QHash<QString, QList<Waiter>> waiters;
    QStringList roles;

    ~Private()
    {
        // The copy this object holds; the caller's own copy is the caller's to wipe.
        if (!credential.isEmpty() && credential.isDetached())
            OPENSSL_cleanse(credential.data(), size_t(credential.size()));
    }

    QString sha256Thumbprint() const
    {
        return QString::fromLatin1(
                   QCryptographicHash::hash(certificateDer, QCryptographicHash::Sha256).toHex())
            .toUpper();
    }

    Core::Result<Net::HttpRequest> tokenRequest(const QString &resource) const
    {
        QString scope = resource;
        while (scope.endsWith(u'/'))
            scope.chop(1);
        scope += u"/.default"_s;
        QList<QPair<QString, QString>> form {{u"client_id"_s, config.app.clientId},
                                             {u"scope"_s, scope},
                                             {u"grant_type"_s, u"client_credentials"_s}};
        if (config.credential == BridgeConfig::Credential::Secret) {
            form.append({u"client_secret"_s, QString::fromUtf8(credential)});
        } else {
            if (certificateProblem.kind != Error::Kind::None)
                return certificateProblem;
            const AssertionInput input {config.assertionAlgorithm,
                                        certificateDer,
                                        config.app.clientId,
                                        tokenUrl(config),
                                        clock->now(),
                                        QUuid::createUuid().toString(QUuid::WithoutBraces)};
            const auto assertion = signedClientAssertion(input, credential);
            if (!assertion.ok())
                return assertion.error();
            form.append(
                {u"client_assertion_type"_s, u"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"_s});
            form.append({u"client_assertion"_s, QString::fromLatin1(assertion.value())});
        }
        return Net::HttpRequest::postForm(QUrl(tokenUrl(config)), form)
            .withHeader("client-request-id", Net::HttpClient::newRequestId());
    }

    Error entraError(const Net::HttpResponse &response) const;
    void finish(const QString &resource, const Core::Result<QString> &result);
};

Error ClientCredentialsProvider::Private::entraError(const Net::HttpResponse &response) const
{
    if (!response.hasStatus())
        return response.transportError.withSource(Error::Source::Entra);
    const auto parsed = Net::parseJson(response.body);
    const QString error
        = parsed.ok() && parsed.value().is_object() ? Net::jsonString(parsed.value(), "error") : QString();
    if (error.isEmpty())
        return Error::make(
                   Error::Kind::Http,
                   u"the token endpoint answered HTTP %1 without an OAuth error"_s.arg(response.status),
                   response.status)
            .withSource(Error::Source::Entra);
    const Net::Json &j = parsed.value();
    QString code = error;
    if (const auto it = j.find("error_codes");
        it != j.end() && it->is_array() && !it->empty() && (*it)[0].is_number_integer())
        code = u"AADSTS%1"_s.arg((*it)[0].get<qint64>());
    QString description = Net::jsonString(j, "error_description");
    if (const qsizetype trace = description.indexOf(u" Trace ID:"_s); trace > 0)
        description.truncate(trace);
    description = description.trimmed();
    if (description.isEmpty())
        description = error;

    const bool secret = config.credential == BridgeConfig::Credential::Secret;
    const QString where = secret
        ? (config.clientSecretFile.isEmpty() ? u"the environment variable %1"_s.arg(config.clientSecretEnv)
                                             : u"%1"_s.arg(config.clientSecretFile))
        : QString();
    QString sentence;
    if (code == u"AADSTS7000215")
        sentence = u"Entra refused the client secret: %1 must hold the secret's value (shown once, when the "
                   u"secret was created), not its secret ID"_s.arg(where);
    else if (code == u"AADSTS7000222")
        sentence = u"the client secret has expired: create a new one under the app registration's "
                   u"Certificates & secrets and put its value in %1"_s.arg(where);
    else if (code == u"AADSTS700027")
        sentence = u"Entra did not accept the client assertion: upload the certificate whose SHA-256 "
                   u"thumbprint is %1 (%2) to the app registration (Certificates & secrets), or name the "
                   u"certificate registered there in bridge.certificateFile"_s.arg(sha256Thumbprint(),
                                                                                   config.certificateFile);
    else if (code == u"AADSTS700016")
        sentence = u"Entra knows no application %1 in tenant %2: check entra.clientId (the bridge app "
                   u"registration's application id) and entra.tenant"_s.arg(config.app.clientId,
                                                                            config.app.tenant);
    else if (code == u"AADSTS90002" || code == u"AADSTS900023")
        sentence = u"Entra knows no tenant %1: check entra.tenant"_s.arg(config.app.tenant);
    else if (code == u"AADSTS7000218")
        sentence = u"Entra wants a credential the request did not carry: check that the app registration "
                   u"has the client secret or certificate the configuration names"_s;
    QString message = sentence.isEmpty()
        ? u"Entra refused the app-only sign-in (%1): %2"_s.arg(code, description)
        : u"%1 (%2: %3)"_s.arg(sentence, code, description);
    return Error::make(Error::Kind::Service, message, response.status, code).withSource(Error::Source::Entra);
}

void ClientCredentialsProvider::Private::finish(const QString &resource, const Core::Result<QString> &result)
{
    const QList<Waiter> list = waiters.take(resource);
    for (const Waiter &w : list) {
        if (w.hadContext && !w.context)
            continue;
        w.callback(result);
    }
}

ClientCredentialsProvider::ClientCredentialsProvider(BridgeConfig config, QByteArray credential,
                                                     QByteArray certificatePem, Net::HttpClient *http,
                                                     const Core::Clock *clock, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->config = std::move(config);
    d->credential = std::move(credential);
    d->http = http;
    d->clock = clock;
    if (d->config.credential == BridgeConfig::Credential::Certificate) {
        auto der = certificateDerFromPem(certificatePem);
        if (der.ok())
            d->certificateDer = std::move(der).value();
        else
            d->certificateProblem = der.error();
    }
}

ClientCredentialsProvider::~ClientCredentialsProvider() = default;

void ClientCredentialsProvider::requestAccessToken(const QString &resource, QObject *context,
                                                   Callback callback)
{
    const Private::Waiter waiter {context, context != nullptr, std::move(callback)};
    const auto cached = d->tokens.constFind(resource);
    if (cached != d->tokens.cend() && d->clock->now().secsTo(cached->expires) > kExpiryBufferSecs) {
        // Answered on the next turn of the event loop, as every other answer.
        const QString token = cached->token;
        QTimer::singleShot(0, this, [waiter, token] {
            if (!waiter.hadContext || waiter.context)
                waiter.callback(token);
        });
        return;
    }
    const bool running = d->waiters.contains(resource);
    d->waiters[resource].append(waiter);
    if (running)
        return;

    auto request = d->tokenRequest(resource);
    if (!request.ok()) {
        const Error e = request.error();
        QTimer::singleShot(0, this, [this, resource, e] { d->finish(resource, e); });
        return;
    }
    qCDebug(lcBridgeAuth) << "app-only token for" << resource << "from" << tokenUrl(d->config);
    d->http->send(request.value(), this, [this, resource](const Net::HttpResponse &response) {
        if (!response.isSuccess())
            return d->finish(resource, d->entraError(response));
        const auto parsed = Net::parseJson(response.body);
        const QString token = parsed.ok() && parsed.value().is_object()
            ? Net::jsonString(parsed.value(), "access_token")
            : QString();
        const qint64 expiresIn = parsed.ok() && parsed.value().is_object()
            ? Net::jsonInt(parsed.value(), "expires_in").value_or(0)
            : 0;
        if (token.isEmpty() || expiresIn <= 0)
            return d->finish(resource,
                             Error::make(Error::Kind::Parse,
                                         u"the token endpoint's answer lacks access_token or "
                                         u"expires_in"_s,
                                         response.status)
                                 .withSource(Error::Source::Entra));
        d->tokens.insert(resource, Private::Cached {token, d->clock->now().addSecs(expiresIn)});
        if (const auto roles = rolesOf(token)) {
            d->roles = *roles;
            qCDebug(lcBridgeAuth) << "app-only token, valid" << expiresIn
                                  << "s, application permissions:" << d->roles.join(u", "_s);
        } else {
            d->roles.clear();
            qCDebug(lcBridgeAuth) << "the access token is opaque (not a JWT): its application permissions "
                                     "cannot be read";
        }
        d->finish(resource, token);
    });
}

void ClientCredentialsProvider::invalidateAccessToken(const QString &resource, const QString &token)
{
    const auto it = d->tokens.constFind(resource);
    if (it != d->tokens.cend() && it->token == token)
        d->tokens.remove(resource);
}

QStringList ClientCredentialsProvider::grantedRoles() const
{
    return d->roles;
}

} // namespace Elevate::Bridge

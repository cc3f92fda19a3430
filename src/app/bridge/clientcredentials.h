// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "bridgeconfig.h"
#include "core/accesstokenprovider.h"
#include "core/clock.h"

#include <QObject>
#include <QStringList>

#include <memory>

namespace Elevate::Net {
class HttpClient;
}

namespace Elevate::Bridge {

/// The header and claims of a client assertion (certificate credentials), for signing and for tests.
struct AssertionInput
{
    QString algorithm; // "RS256" or "PS256"
    QByteArray certificateDer; // x5t#S256 = base64url(SHA-256(DER)); x5t = base64url(SHA-1(DER))
    QString clientId; // iss and sub
    QString audience; // {authority}/{tenant}/oauth2/v2.0/token
    QDateTime now; // nbf, iat; exp = now + 10 minutes
    QString jti; // a fresh GUID per assertion
};

/**
 * The signed JWT (header.claims.signature, base64url) for `input`, signed with the PEM private key
 * (RSA, PKCS#1 v1.5 for RS256, PSS with SHA-256 and a 32-byte salt for PS256) through libcrypto. The
 * certificate and key must match (checked). Errors never contain key material.
 */
Core::Result<QByteArray> signedClientAssertion(const AssertionInput &input, const QByteArray &privateKeyPem);

/// The DER bytes of the first certificate in a PEM file's contents.
Core::Result<QByteArray> certificateDerFromPem(const QByteArray &pem);

/**
 * App-only tokens (OAuth 2.0 client credentials) for the bridge: POST {authority}/{tenant}/oauth2/v2.0/token
 * with grant_type=client_credentials, scope={resource}/.default and either client_secret or a fresh
 * client assertion. Tokens are kept in memory only, until 5 minutes before they expire (on the injected
 * clock); concurrent requests share one token call. Entra's errors come back as Error values with the
 * AADSTS code as serviceCode (AADSTS7000215 wrong secret, AADSTS7000222 expired secret, AADSTS700027
 * unknown certificate or bad signature, AADSTS700016 unknown app) and a sentence naming what to fix.
 */
class ClientCredentialsProvider : public QObject, public Core::AccessTokenProvider
{
    Q_OBJECT
public:
    /// `credential` is what readCredential() returned; `certificatePem` the certificate file's bytes
    /// (Certificate only).
    ClientCredentialsProvider(BridgeConfig config, QByteArray credential, QByteArray certificatePem,
                              Net::HttpClient *http, const Core::Clock *clock, QObject *parent = nullptr);
    ~ClientCredentialsProvider() override;

    void requestAccessToken(const QString &resource, QObject *context, Callback callback) override;
    void invalidateAccessToken(const QString &resource, const QString &token) override;

    /// The application permissions (`roles` claim) of the last token, as Entra granted them.
    QStringList grantedRoles() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Bridge

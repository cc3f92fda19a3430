// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>

namespace Elevate::Auth {

/// base64url (no padding) of `bytes` random bytes from the system CSPRNG.
QByteArray randomUrlSafe(int bytes);

/// PKCE (RFC 7636) with S256: a fresh 43-character verifier per authorization request.
struct Pkce
{
    QByteArray verifier;
    QByteArray challenge;

    static Pkce generate();
    static QByteArray challengeFor(const QByteArray &verifier);
};

} // namespace Elevate::Auth

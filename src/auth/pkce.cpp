// SPDX-License-Identifier: GPL-3.0-or-later
#include "pkce.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace Elevate::Auth {

QByteArray randomUrlSafe(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator *rng = QRandomGenerator::system();
    for (auto &c : raw)
        c = char(rng->bounded(256));
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray Pkce::challengeFor(const QByteArray &verifier)
{
    return QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

Pkce Pkce::generate()
{
    Pkce p;
    p.verifier = randomUrlSafe(32); // 256 bits -> 43 characters
    p.challenge = challengeFor(p.verifier);
    return p;
}

} // namespace Elevate::Auth

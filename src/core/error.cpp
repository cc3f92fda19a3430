// SPDX-License-Identifier: GPL-3.0-or-later
#include "error.h"

namespace Elevate::Core {

QString kindName(Error::Kind kind)
{
    switch (kind) {
    case Error::Kind::None:
        return QStringLiteral("none");
    case Error::Kind::Network:
        return QStringLiteral("network");
    case Error::Kind::Timeout:
        return QStringLiteral("timeout");
    case Error::Kind::Http:
        return QStringLiteral("http");
    case Error::Kind::Service:
        return QStringLiteral("service");
    case Error::Kind::InteractionRequired:
        return QStringLiteral("interaction_required");
    case Error::Kind::NotSignedIn:
        return QStringLiteral("not_signed_in");
    case Error::Kind::Parse:
        return QStringLiteral("parse");
    case Error::Kind::Keychain:
        return QStringLiteral("keychain");
    case Error::Kind::Config:
        return QStringLiteral("config");
    case Error::Kind::InvalidInput:
        return QStringLiteral("invalid_input");
    case Error::Kind::Cancelled:
        return QStringLiteral("cancelled");
    case Error::Kind::Security:
        return QStringLiteral("security");
    case Error::Kind::Internal:
        return QStringLiteral("internal");
    }
    return QStringLiteral("internal");
}

} // namespace Elevate::Core

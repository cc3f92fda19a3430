// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace Elevate::Core {

/**
 * An error as a value. Lower layers fill it in; only the UI (and the CLI's printer) turns it into a
 * sentence for people. `serviceCode` carries the service's own code (AADSTS number, Graph error code,
 * OAuth `error`), `message` a developer-facing detail that is safe to log (never a token).
 */
struct Error
{
    enum class Kind {
        None,
        Network, // could not reach the service (DNS, refused, TLS, reset)
        Timeout, // the service did not answer in time
        Http, // an HTTP error status without a recognised service body
        Service, // the service answered with a recognised error body
        InteractionRequired, // silent sign-in is not possible; the user must sign in
        NotSignedIn, // no account cached
        Parse, // a body that is not what the contract says (malformed, truncated)
        Keychain, // the OS keychain is absent, locked or refused
        Config, // the configuration is missing or invalid
        InvalidInput, // bad input from the user or the caller
        Cancelled, // the user or the caller gave up
        Security, // something that must not happen did (state mismatch, foreign redirect)
        Internal,
    };

    /// Which service answered, so that wording (PIM's, Graph's) is applied only to its own errors
    /// and a sentence can name the service that refused.
    enum class Source { Local, Entra, Graph, IdentityCenter, Portal };

    Kind kind = Kind::None;
    int httpStatus = 0;
    QString serviceCode;
    QString message;
    /// Extra data that some callers need (e.g. a claims challenge). Empty when not applicable.
    QString claims;
    Source source = Source::Local;

    static Error make(Kind kind, QString message, int httpStatus = 0, QString serviceCode = {})
    {
        Error e;
        e.kind = kind;
        e.message = std::move(message);
        e.httpStatus = httpStatus;
        e.serviceCode = std::move(serviceCode);
        return e;
    }

    Error withSource(Source from) const
    {
        Error e = *this;
        e.source = from;
        return e;
    }
};

} // namespace Elevate::Core

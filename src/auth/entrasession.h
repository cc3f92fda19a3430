// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The UI and the CLI code against this API: members may be added, none renamed or removed.

#include "core/accesstokenprovider.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/model.h"
#include "core/secretstore.h"

#include <QDateTime>
#include <QObject>
#include <QUrl>

#include <memory>

namespace Elevate::Net {
class HttpClient;
}

namespace Elevate::Auth {

using Core::SecretStore;

/**
 * The signed-in Entra account of one configuration, MSAL-style: the refresh token and account
 * metadata in the SecretStore (one entry per authority + tenant + client id), access tokens in memory
 * only. Never opens a browser itself: it emits the URL and the caller opens it.
 *
 *   restore()             keychain ──RT──▶ /token (refresh) ──▶ SignedIn | SignedOut
 *   signInInteractive()   loopback listener (127.0.0.1:0) ─▶ browserUrlReady(url) ─▶ redirect ─▶
 *                         state check ─▶ /token (code + PKCE verifier) ─▶ keychain ─▶ SignedIn
 *   signInWithDeviceCode()  /devicecode ─▶ deviceCodeReady(...) ─▶ poll /token ─▶ keychain ─▶ SignedIn
 *
 * `signInFinished` fires exactly once per restore()/signIn*() call (a new call cancels the previous
 * attempt, which then finishes with Kind::Cancelled).
 *
 * Silent sign-in (restore or refresh) that Entra answers with 5xx, 429 or temporarily_unavailable keeps
 * the sign-in; token requests fail at once with that error until Retry-After (or a backoff of 5 s
 * doubling to 5 min) has passed on the injected clock. interaction_required (or invalid_grant) keeps
 * the refresh token and the account but signs out until an interactive sign-in, which carries the
 * claims Entra sent.
 */
class EntraSession : public QObject, public Core::AccessTokenProvider
{
    Q_OBJECT
public:
    enum class State { SignedOut, Restoring, SigningIn, SignedIn };
    Q_ENUM(State)

    EntraSession(Core::AppConfig config, Net::HttpClient *http, SecretStore *secrets,
                 const Core::Clock *clock, QObject *parent = nullptr);
    ~EntraSession() override;

    State state() const;
    std::optional<Core::Account> account() const;

    /// Silent sign-in at start from the keychain entry. Finishes with NotSignedIn if there is none,
    /// InteractionRequired if Entra refuses the refresh token, Keychain if the keychain is unusable,
    /// and signed in when Entra cannot be reached or fails transiently.
    void restore();
    /// The account of the saved sign-in, read from the keychain and nothing else: no token is
    /// refreshed, Entra is not asked, this session's state does not change (nullopt: none saved).
    /// For a quick "still the same person?" check before trusting something local.
    void readSavedAccount(QObject *context,
                          std::function<void(Core::Result<std::optional<Core::Account>>)> callback) const;
    void signInInteractive();
    /// Interactive sign-in that carries a claims request (JSON) on /authorize and /token.
    void signInInteractiveWithClaims(const QString &claims);
    /// The account to suggest at the next interactive sign-in (sent as login_hint); the cached
    /// account's UPN is used when this is empty.
    void setLoginHint(const QString &upn);
    void signInWithDeviceCode();
    void cancelSignIn();
    /// Forgets the tokens in memory and removes every keychain entry this session made.
    void signOut();

    // Core::AccessTokenProvider
    /// `resource` may also name one Graph scope (https://graph.microsoft.com/Synchronization.ReadWrite.All):
    /// a token for that scope alone, asked for at that moment; Entra refusing it (AADSTS65001, no consent)
    /// does not sign out.
    void requestAccessToken(const QString &resource, QObject *context, Callback callback) override;
    void invalidateAccessToken(const QString &resource, const QString &token) override;
    /// Step-up: a refresh with the claims (and `cp1`) first; when Entra wants interaction, one
    /// interactive sign-in with the claims (browserUrlReady fires, signInFinished follows). Claims that
    /// ask for `access_token.amr` mfa go straight to that sign-in, with amr_values=mfa.
    void requestStepUpToken(const QString &resource, const QString &claims, QObject *context,
                            Callback callback) override;

Q_SIGNALS:
    void stateChanged(Elevate::Auth::EntraSession::State state);
    /// Open this URL in the system browser (or ELEVATE_BROWSER). Also show it for copy/paste.
    void browserUrlReady(const QUrl &url);
    /// Device-code flow: show `message` (Entra's sentence) or userCode + verificationUri.
    void deviceCodeReady(const QString &userCode, const QUrl &verificationUri, const QString &message,
                         const QDateTime &expiresAt);
    void signInFinished(const Elevate::Core::Result<Elevate::Core::Account> &result);
    /// Fires when signOut() has finished removing the keychain entries (with the removal's result).
    void signedOut(const Elevate::Core::Result<void> &result);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Auth

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/accesstokenprovider.h"
#include "core/clock.h"
#include "core/config.h"
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
 * The IAM Identity Center sign-in of one configuration (start URL + region), the way the AWS CLI
 * does it (aws-sso.md §2): a client registration, then an access token for the portal. One keychain
 * entry holds the registration and the refresh token; access tokens stay in memory. Identity Center
 * does not say who signed in, and Elevate does not guess (no login_hint: it is not among the
 * documented /authorize parameters).
 * Never opens a browser itself: it emits the URL and the caller opens it.
 *
 *   restore()             keychain ──RT──▶ /token (refresh_token) ──▶ SignedIn | SignedOut
 *   signInInteractive()   keychain ─▶ /client/register (if needed, PKCE variant) ─▶ loopback
 *                         listener (127.0.0.1:0/oauth/callback) ─▶ browserUrlReady(/authorize) ─▶
 *                         redirect ─▶ state check ─▶ /token (code + verifier) ─▶ keychain ─▶ SignedIn
 *   signInWithDeviceCode()  keychain ─▶ /client/register (if needed, device variant) ─▶
 *                         /device_authorization ─▶ deviceCodeReady(...) ─▶ poll /token ─▶ keychain ─▶
 * SignedIn
 *
 * A registration is reused while it has more than 15 minutes left and was made for the flow at
 * hand (its grant types); the refresh token always belongs to the registration stored beside it.
 * `signInFinished` fires exactly once per restore()/signIn*() call (a new call cancels the previous
 * attempt, which then finishes with Kind::Cancelled). Tokens for resource() only; concurrent
 * requests share one refresh; a rotated refresh token is written back to the keychain. A refresh
 * refused for good (invalid_grant, expired_token, access_denied; invalid_client, unauthorized_client,
 * unsupported_grant_type, invalid_scope also drop the registration) ends the sign-in: token requests
 * get InteractionRequired with a sentence, and no further refresh is tried.
 */
class IdcSession : public QObject, public Core::AccessTokenProvider
{
    Q_OBJECT
public:
    enum class State { SignedOut, Restoring, SigningIn, SignedIn };
    Q_ENUM(State)

    /// The resource string of requestAccessToken(): the portal's bearer token.
    static QString resource() { return QStringLiteral("aws-sso"); }
    /// The keychain entry of a configuration: "idc:" + start URL + "|" + region.
    static QString keychainKey(const Core::AwsConfig &aws);

    IdcSession(Core::AppConfig config, Net::HttpClient *http, SecretStore *secrets, const Core::Clock *clock,
               QObject *parent = nullptr);
    ~IdcSession() override;

    State state() const;
    QString startUrl() const;
    /// When the saved sign-in was made (its authorization; refreshes keep it), on Identity Center's
    /// clock (the Date of its token answer; the local clock when it sent none); invalid: none known.
    /// Identity Center may answer from the group memberships of that moment.
    QDateTime signedInAt() const;

    /// Silent sign-in at start from the keychain entry. Finishes with NotSignedIn if there is none,
    /// InteractionRequired if the refresh token is gone or refused, Keychain if the keychain is
    /// unusable; stays signed in when the service cannot be reached (the next request refreshes).
    void restore();
    void signInInteractive();
    void signInWithDeviceCode();
    void cancelSignIn();
    /// Forgets the tokens in memory and removes the keychain entry (keeps nothing). The portal's
    /// logout is the caller's business, before this.
    void signOut();

    // Core::AccessTokenProvider
    void requestAccessToken(const QString &resource, QObject *context, Callback callback) override;
    void invalidateAccessToken(const QString &resource, const QString &token) override;

Q_SIGNALS:
    void stateChanged(Elevate::Auth::IdcSession::State state);
    /// Open this URL (the /authorize page) in the system browser; also show it for copy/paste.
    void browserUrlReady(const QUrl &url);
    /// Device-code flow: show userCode and verificationUri, or offer verificationUriComplete (the
    /// code filled in; invalid when the service sent none).
    void deviceCodeReady(const QString &userCode, const QUrl &verificationUri,
                         const QUrl &verificationUriComplete, const QDateTime &expiresAt);
    /// The start URL on success (who signed in is not known).
    void signInFinished(const Elevate::Core::Result<QString> &result);
    /// Fires when signOut() has finished removing the keychain entry (with the removal's result).
    void signedOut(const Elevate::Core::Result<void> &result);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Auth

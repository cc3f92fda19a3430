// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/pim.h"
#include "core/result.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QUrl>

#include <functional>

namespace Elevate::Auth {
class IdcSession;
}
namespace Elevate::Aws {
class RolePipeline;
struct AwsTarget;
} // namespace Elevate::Aws

namespace Elevate::Ui {

class PimPresenter;

/**
 * The AWS half of what the tray shows: feeds the live PIM grants of the PimPresenter to the
 * RolePipeline (waiting for AWS → Ready → profiles) and turns its events into notifications;
 * offers the console, the Identity Center sign-in and "End all access now". No widgets.
 *
 *   RequestTracker::changed ─▶ RolePipeline::setGrants ─▶ waiting … ready ─▶ notify("AWS role ready")
 *   grant ends ─▶ RolePipeline removes profiles ─▶ notify("…credentials stay valid until …")
 *
 * `changed` fires whenever a target's AWS phase or the sign-in state changes.
 */
class AwsPresenter : public QObject
{
    Q_OBJECT
public:
    /// `provisioningServicePrincipal`: the Identity Center app's service principal for provision on
    /// demand (aws.sync.servicePrincipalId); empty: not offered.
    AwsPresenter(PimPresenter *pim, Aws::RolePipeline *aws, Auth::IdcSession *idc,
                 QString provisioningServicePrincipal = {}, QObject *parent = nullptr);

    bool isSignedIn() const;
    /// An Identity Center sign-in is running (also "Sign in to AWS again").
    bool isSigningIn() const;
    /// The AWS state of a grant for the menu ("waiting for AWS sync · 12 min of about 40"), empty for
    /// grants that do not map to AWS.
    QString phaseText(const Core::Grant &grant) const;
    /// The pipeline target of a grant, if it maps to AWS.
    const Aws::AwsTarget *targetOf(const Core::Grant &grant) const;
    bool isReady(const Core::Grant &grant) const;
    /// Whether "Sync to AWS now" (provision on demand) is offered for a waiting grant: configured, and
    /// not refused for this account in the last day (a 403 or missing consent is remembered in the
    /// history, also across restarts, but not for good: an administrator may grant it later).
    bool canSyncNow(const Core::Grant &grant) const;
    /// Whether "Sign in to AWS again" is offered for a waiting grant: signed in, and the role should be
    /// in AWS by now while the sign-in is older than that (AwsTarget::freshSignInMayHelp).
    bool offersFreshSignIn(const Core::Grant &grant) const;

    /// Silent Identity Center sign-in from the keychain (at start).
    void start();
    void signIn();
    /// "Sign in to AWS again": portal Logout, the Identity Center session forgotten, a new
    /// authorization in the browser; the waiting goes on with the new sign-in.
    void signInAgain();
    /// Opens the console for a Ready grant: openUrl fires with a one-shot loopback URL that redirects
    /// to the sign-in URL (Net::OneShotRedirect, owned here until the browser came or two minutes
    /// passed; then a notification says it did not).
    void openConsole(const Core::Grant &grant);
    /// Provision on demand for the grant's group and this user, then checks AWS again.
    void syncNow(const Core::Grant &grant);
    /// How long a console hand-off waits for the browser (tests shorten it); 0: two minutes.
    void setConsoleHandoffLifetime(int ms) { m_consoleHandoffMs = ms; }
    /// Deactivates every activated grant in PIM, removes profiles and cached credentials, logs out
    /// of Identity Center. The outcome comes back as one notification.
    void endAll();
    /// Sign-out, AWS part: what endAll() removes on the AWS side (profiles, plain keys, cached
    /// credentials, grant proofs, the portal session), then the Identity Center sign-in; nothing in
    /// PIM. `done` gets the sentences for the sign-out message: what was removed and what stays valid
    /// until when. Per-target "AWS access ended" notifications are not sent meanwhile.
    void signOut(std::function<void(QStringList)> done);

Q_SIGNALS:
    void changed();
    /// Open this URL in the browser (the console hand-off, Identity Center sign-in page).
    void openUrl(const QUrl &url);
    void notify(const QString &title, const QString &message, bool isError = false);

private:
    QString targetName(const Aws::AwsTarget &t) const;
    /// When this account was last refused provision on demand (history, cached); invalid: never.
    QDateTime syncRefusedAt() const;

    PimPresenter *m_pim;
    Aws::RolePipeline *m_aws;
    Auth::IdcSession *m_idc;
    QString m_provisioningServicePrincipal;
    mutable QHash<QString, QDateTime> m_syncRefusedAt; // by account object id
    int m_consoleHandoffMs = 0;
    bool m_reconciled = false;
    bool m_freshSignIn = false; // signInAgain() is between Logout and the new sign-in
    bool m_signingOut = false; // signOut() runs: no new targets, one message at the end
    QSet<QString> m_freshSignInSaid; // targets whose "may need a fresh sign-in" was notified
};

} // namespace Elevate::Ui

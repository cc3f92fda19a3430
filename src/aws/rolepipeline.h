// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "awsfiles.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/model.h"
#include "core/pim.h"
#include "core/secretstore.h"
#include "core/targetmapper.h"
#include "grantproof.h"
#include "portalclient.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <functional>
#include <optional>

namespace Elevate::Aws {

/**
 * One AWS target of a live PIM grant, on its way from "PIM active" to "usable in AWS":
 *
 *   PIM grant active ──▶ Waiting (ListAccountRoles of that account, 5 s … 60 s apart, 429-aware)
 *                          │ role listed                      │ Identity Center wants a sign-in
 *                          ▼                                  ▼
 *                        GetRoleCredentials ─403─▶ Waiting    NeedsSignIn
 *                          │ credentials (cached)             │
 *                          ▼                                  │
 *                        Ready (profile written) ◀──checkNow──┘
 *   grant ends / deactivated ──▶ profiles, plain keys and cached credentials removed; ended() fires
 *
 * An Identity Center sign-in may keep the group memberships it started with (public reports: aws-cli
 * #8837, #6552, Granted #669): a Waiting target whose role should have arrived by now (the grant has
 * been live longer than aws.sync.typicalMinutes, or a provision on demand succeeded over a minute ago)
 * while the sign-in is older than that gets `freshSignInMayHelp`.
 */
struct AwsTarget
{
    enum class Phase { Waiting, Ready, NeedsSignIn };
    QString accountId;
    QString roleName;
    QString accountName;
    QString groupId;
    QDateTime grantStart; // the PIM grant (Graph's clock)
    QDateTime grantEnd; // invalid: permanent assignment
    Phase phase = Phase::Waiting;
    QDateTime readyAt;
    QDateTime nextCheck; // Waiting: when ListAccountRoles is asked next
    int checks = 0;
    bool overLimit = false; // waited longer than aws.sync.limitMinutes
    /// Waiting: ListAccountRoles lists the role but GetRoleCredentials still answers 403.
    bool listedButRefused = false;
    /// Waiting: the role should be in AWS by now but the Identity Center sign-in predates it; a fresh
    /// sign-in ("Sign in to AWS again") may show it.
    bool freshSignInMayHelp = false;
    QDateTime provisionedAt; // when a provision on demand last succeeded for it (local clock)
    QString profileName;
    QString profileProblem; // why the profile could not be written (e.g. the name is the user's)
    Core::Error lastError;

    QString key() const { return accountId + u'/' + roleName; }
    /// Seconds since the grant started (the time spent waiting for the SCIM sync).
    qint64 waitingSecs(const QDateTime &now) const
    {
        return grantStart.isValid() ? grantStart.secsTo(now) : 0;
    }
};

/// What RolePipeline::endAll() ended, and what stays valid after it: credentials and console sessions
/// already handed out cannot be taken back.
struct EndReport
{
    struct Ended
    {
        QString accountId;
        QString roleName;
        QString profileName;
        QDateTime credentialsUntil; // handed-out role credentials expire then (invalid: none)
        QDateTime consoleUntil; // a console this process opened works until then (invalid: none)
    };
    QList<Ended> ended; // every target and leftover profile that ended
    Core::Result<void> portalLogout; // the portal's answer to Logout
};

/**
 * The AWS side of the live grants: follows each mapped PIM grant until Identity Center lists the
 * role, keeps one AWS CLI profile per Ready target (credential_process, or plain keys when opted in),
 * hands out role credentials (cached in the keychain, never longer than the grant), builds console
 * sign-in URLs, and cleans up when grants end. Used by the tray (automatic checks) and by every
 * `elevate` command (one check per call, see checkOnce()). Signals:
 *  - changed(): any target's phase, timing or problem changed;
 *  - ready(): a target became usable in AWS (once per grant);
 *  - waitingTooLong(): a target has waited longer than the configured limit (once per grant);
 *  - ended(): a grant is over and Elevate removed what it wrote; credentials and console sessions
 *    already handed out stay valid until `credentialsUntil` / `consoleUntil` (invalid: none issued);
 *  - problem(): something the user should hear about (a file that cannot be edited, a sign-in).
 */
class RolePipeline : public QObject
{
    Q_OBJECT
public:
    /// `credentialProcess` is the command line a profile runs, without the trailing arguments
    /// (e.g. `/usr/bin/elevate --config /x/config.json`); " credential-process --account A --role R" is
    /// added.
    RolePipeline(const Core::AppConfig &config, Net::HttpClient *http, PortalClient *portal, AwsFiles files,
                 Core::SecretStore *secrets, const Core::Clock *clock, QString credentialProcess,
                 QObject *parent = nullptr);

    /// The PIM grants as Graph reports them now. New mapped member grants start waiting (or are
    /// Ready at once when their profile already exists); targets whose grant is gone end.
    void setGrants(const QList<Core::Grant> &grants, const Core::TargetMapper &mapper);
    const QList<AwsTarget> &targets() const { return m_targets; }
    const AwsTarget *target(const QString &accountId, const QString &roleName) const;

    /// Graph's clock minus the local one (from its Date headers): grant ends are Graph times.
    void setServerSkew(qint64 seconds) { m_skewSecs = seconds; }
    QDateTime serverNow() const { return m_clock->now().addSecs(m_skewSecs); }

    /// The tray: checks waiting targets on their own schedule and ends grants at their end time.
    void setAutoCheck(bool on);
    /// Milliseconds until the auto check wakes next; -1 when it sleeps (no live grant, no waiting target).
    int nextWakeMs() const { return m_timer.isActive() ? m_timer.remainingTime() : -1; }
    /// Checks every waiting (and NeedsSignIn) target now (after a sign-in or provision on demand).
    void checkNow();
    /// When the current Identity Center sign-in happened, on the service's clock (invalid: unknown or
    /// none); decides AwsTarget::freshSignInMayHelp. Set it after every sign-in and restore.
    void setIdentityCenterSignedInAt(const QDateTime &at);
    /// A provision on demand for the target succeeded (or found it in sync) now.
    void noteProvisioned(const QString &accountId, const QString &roleName);
    /// Whether any Waiting target would be helped by a fresh Identity Center sign-in.
    bool freshSignInMayHelp() const;
    /// "Sign in to AWS again", AWS part: ends the portal session (Logout) so that the next sign-in is a
    /// new one; the caller forgets its Identity Center session, signs in, then calls checkNow().
    void logoutPortal(QObject *context, std::function<void(Core::Result<void>)> done);
    /// The command line: one ListAccountRoles per account with waiting targets, then the profiles
    /// are brought in line; `done` runs after that.
    void checkOnce(QObject *context, std::function<void()> done);

    /// Writes the profiles of Ready targets and removes Elevate's profiles, plain keys and cached
    /// credentials of every other target (also those left over from earlier runs).
    void reconcileProfiles(QObject *context = nullptr, std::function<void()> done = {});

    using CredentialsCallback = std::function<void(Core::Result<RoleCredentials>)>;
    /// Role credentials for a live grant: from the keychain cache while they have more than 15 min
    /// left (or outlive the grant anyway), else from the portal. Refuses expired answers.
    void credentials(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                     QObject *context, CredentialsCallback callback);
    /// The console sign-in URL for a live grant (federation or the portal shortcut, per the config).
    void consoleUrl(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                    QObject *context, std::function<void(Core::Result<QUrl>)> callback);

    /// "End all access now" and sign-out, AWS part: removes every profile, plain key, cached
    /// credential (also of the older key format) and grant proof, then logs out of the Identity Center
    /// portal. Forgetting the Identity Center session (IdcSession::signOut) is the caller's.
    void endAll(QObject *context, std::function<void(EndReport)> done);

    /// Who the cached role credentials belong to (the Entra account that signed in, as its home account
    /// id): with the start URL and region it is part of each cache entry's name, so another
    /// configuration or another person on the same keychain never gets them. Empty (unknown): role
    /// credentials are neither cached nor read from the cache.
    void setUser(const QString &user) { m_user = user; }
    /// The user of setUser() for an Entra account: its home account id (object id.tenant id without one).
    static QString userOf(const Core::Account &account)
    {
        return account.homeAccountId.isEmpty() ? account.objectId + u'.' + account.tenantId
                                               : account.homeAccountId;
    }
    QString user() const { return m_user; }
    /// The keychain entry of a target's cached role credentials (empty while the user is unknown):
    /// "aws-role-credentials:v2:" + 32 hex digits of SHA-256(start URL, region, user) + ":" + key.
    QString cacheKey(const QString &accountId, const QString &roleName) const;
    /// The entry of the first format ("aws-role-credentials:{account}/{role}", anybody's): removed
    /// whenever a target is reconciled or ends, never read.
    static QString legacyCacheKey(const QString &accountId, const QString &roleName);

    /// The profile name for a target (aws.profileTemplate).
    QString profileName(const QString &accountId, const QString &roleName, const QString &accountName) const;
    /// Elevate's profiles as they are in the AWS config file now.
    Core::Result<QList<ManagedProfile>> profiles() const { return m_files.managedProfiles(); }
    const AwsFiles &files() const { return m_files; }
    /// How long Entra's provisioning cycle usually takes (aws.sync.typicalMinutes), for messages.
    int typicalSyncMinutes() const { return m_config.aws.typicalSyncMinutes; }
    /// When waitingTooLong() fires (aws.sync.limitMinutes).
    int waitingLimitMinutes() const { return m_config.aws.waitingLimitMinutes; }
    /// The organisation's elevate-bridge pushes memberships on demand (aws.sync.bridge), so the role
    /// is expected within about a minute instead of on Entra's next cycle.
    bool syncBridge() const { return m_config.aws.syncBridge; }
    /// The grant proofs of credential-process (beside the history); a target's goes when its grant ends.
    const GrantProofStore &proofs() const { return m_proofs; }
    /// When role credentials / console sessions handed out for a target stop working (invalid: none).
    QDateTime credentialsUntil(const QString &key) const { return m_credentialsUntil.value(key); }
    QDateTime consoleUntil(const QString &key) const { return m_consoleUntil.value(key); }
    /// The sign-in service refused a session length for the last console of `key` (aws-sso.md §5.1):
    /// the console chose it (up to 12 h; consoleUntil() is that bound). Callers say so to the user.
    bool consoleLengthRefused(const QString &key) const { return m_consoleLengthRefused.contains(key); }

    /// The second comment line of a profile: which grant it was written for.
    static QString profileNote(const QDateTime &grantEnd);
    /// The command line that runs `program` with `arguments`, quoted the way the AWS CLI splits a
    /// credential_process value (shell-style, no shell).
    static QString commandLine(const QString &program, const QStringList &arguments);

    /// The next wait between two checks of a waiting target: 5, 10, 20, 40, then 60 s.
    static qint64 backoffSecs(int checksSoFar);

Q_SIGNALS:
    void changed();
    void ready(const Elevate::Aws::AwsTarget &target);
    void waitingTooLong(const Elevate::Aws::AwsTarget &target);
    void ended(const Elevate::Aws::AwsTarget &target, const QDateTime &credentialsUntil,
               const QDateTime &consoleUntil);
    void problem(const Elevate::Core::Error &error, const QString &what);

private:
    void checkAccount(const QString &accountId, std::function<void()> done);
    /// The role is listed: Ready only once GetRoleCredentials hands out credentials (kept in the cache).
    void checkCredentials(const QString &accountId, const QString &roleName, std::function<void()> done);
    /// credentials(); `handOut` false: for the Ready check only (cached, not counted as handed out).
    void roleCredentials(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                         bool handOut, QObject *context, CredentialsCallback callback);
    /// Recomputes freshSignInMayHelp of the Waiting targets; true if one changed.
    bool updateFreshSignInHints();
    /// The piece of a target that people see (a change rebuilds menus, a new "next check" does not).
    static QString visibleState(const AwsTarget &t);
    void markReady(AwsTarget &t);
    void endTarget(const AwsTarget &t, std::function<void(QDateTime)> done = {});
    /// Removes the profile(s), plain keys and cached credentials of one target; `done` gets when the
    /// handed-out credentials stop working (read from the cache before it goes).
    void removeWritten(const QString &accountId, const QString &roleName,
                       std::function<void(QDateTime)> done);
    Core::Result<void> writeProfile(AwsTarget &t);
    void writePlainCredentials(const AwsTarget &t, const RoleCredentials &c);
    void schedule();
    void onTimer();
    /// Removes the older-format cache entry of a target, then `done`: at its end `always`, on a
    /// reconcile once per target and RolePipeline.
    void removeLegacyCacheEntry(const QString &accountId, const QString &roleName, bool always,
                                std::function<void()> done);
    AwsTarget *find(const QString &accountId, const QString &roleName);

    Core::AppConfig m_config;
    Net::HttpClient *m_http;
    PortalClient *m_portal;
    AwsFiles m_files;
    Core::SecretStore *m_secrets;
    const Core::Clock *m_clock;
    QString m_credentialProcess;
    QList<AwsTarget> m_targets;
    QHash<QString, QDateTime> m_credentialsUntil;
    QHash<QString, QDateTime> m_consoleUntil;
    QSet<QString> m_consoleLengthRefused;
    QTimer m_timer;
    bool m_autoCheck = false;
    qint64 m_skewSecs = 0;
    QSet<QString> m_checking; // accounts with a ListAccountRoles (or its credential checks) in flight
    GrantProofStore m_proofs;
    QDateTime m_idcSignedInAt;
    QString m_user;
    QSet<QString> m_legacyRemoved; // targets whose older-format cache entry this instance removed
};

} // namespace Elevate::Aws

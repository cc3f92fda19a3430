// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/accesstokenprovider.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/history.h"
#include "core/model.h"
#include "core/pim.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <memory>

class QNetworkAccessManager;

namespace Elevate::Auth {
class EntraSession;
class IdcSession;
class KeychainSecretStore;
} // namespace Elevate::Auth
namespace Elevate::Aws {
class AwsAccess;
class PortalClient;
struct EndReport;
} // namespace Elevate::Aws
namespace Elevate::Net {
class HttpClient;
}
namespace Elevate::Graph {
class AccessService;
class GraphClient;
} // namespace Elevate::Graph

namespace Elevate::Cli {

/// Exit codes of `elevate` (documented in --help and docs/cli.md).
enum ExitCode {
    ExitOk = 0,
    ExitFailure = 1, // the service refused or failed
    ExitUsage = 2,
    ExitConfig = 3,
    ExitNotSignedIn = 4, // not signed in, or Entra wants an interactive sign-in
    ExitNetwork = 5, // network down or timed out
    ExitKeychain = 6,
    ExitCancelled = 7, // sign-in cancelled or timed out
};

int exitCodeFor(const Core::Error &error);

/**
 * The composition root of the command line: builds the objects for one configuration and runs one
 * command asynchronously, then ends the event loop with the command's exit code. Output goes to
 * stdout (human or --json); errors are one sentence on stderr.
 */
class CliApp : public QObject
{
    Q_OBJECT
public:
    CliApp(Core::AppConfig config, bool json, QObject *parent = nullptr);
    ~CliApp() override;

    void login(bool deviceCode, const QString &loginHint);
    void logout();
    void whoami();
    void eligible();

    struct RequestOptions
    {
        QString target;
        QString duration; ///< as typed; empty = the configured default, capped by the policy
        QString justification;
        QString ticketSystem;
        QString ticketNumber;
        QString start; ///< empty = now
        bool wait = false;
    };
    void request(const RequestOptions &options);
    void status();
    void cancel(const QString &requestOrTarget);
    void deactivate(const QString &target, const QString &justification);
    void history(bool csv);
    void approvals();
    void decide(const QString &requestId, bool approve, const QString &justification);

    // The AWS side (awscommands.cpp).
    /// `fresh`: portal Logout and the saved sign-in forgotten first (Identity Center may answer from the
    /// group memberships of the sign-in it started with).
    void awsLogin(bool deviceCode, bool fresh = false);
    void console(const QString &target, bool printUrl);
    /// The AWS CLI's credential_process helper: JSON on stdout, or one line on stderr and exit 1.
    void credentialProcess(const QString &accountId, const QString &roleName);
    void env(const QString &target);
    void profiles();
    void endAll();

    /// Matches a target as typed ("123456789012/Role", "123456789012:Role", a group name or id) to
    /// one of `targets`; nullopt with `error` set when none or several match.
    static std::optional<Core::Target> resolveTarget(const QString &name, const QList<Core::Target> &targets,
                                                     QString *error);
    /// "14:30", "2026-12-01T09:00", "2026-12-01T09:00:00Z": when to start; invalid when unreadable.
    static QDateTime parseStart(const QString &text, const QDateTime &now);

private:
    /// Silent sign-in plus a history store and the access service, then `then`.
    void withAccess(std::function<void()> then);
    void waitFor(const Core::AccessRequest &request, const Core::Target &target);
    void printRequest(const Core::AccessRequest &request, const Core::Target &target);
    QJsonObject grantJson(const Core::Grant &grant) const;
    QJsonObject requestJson(const Core::AccessRequest &request) const;
    void browserForStepUp();
    /// Silent sign-in, then `then` (or exit 4 with a hint).
    void withSession(std::function<void()> then);
    void fail(const Core::Error &error, const QString &doing);
    /// Ends the command; first brings the AWS profiles in line with the grants when this command
    /// learnt them (every command keeps the profiles current, not only the tray).
    void finish(int code);
    void exitNow(int code);
    /// Tells a running tray that this command changed something in PIM (Core::ChangeNotice), so it
    /// looks again now rather than at its next sync.
    void tellOthers();
    // AWS (awscommands.cpp)
    void ensureAws();
    /// Silent Identity Center sign-in (once per run); `then(signedIn)`.
    void withIdc(std::function<void(bool)> then);
    void reconcileAws(std::function<void()> then);
    /// The AWS part of end-all and sign-out: everything Aws::AwsAccess::endAll() removes (for the
    /// saved Entra account's cache entries), the portal Logout, then the Identity Center sign-in
    /// forgotten in the keychain. `then(signedInToAws, report, forgotten)`.
    void endAws(std::function<void(bool, const Aws::EndReport &, const Core::Result<void> &)> then);
    /// Sign-out with AWS configured: endAws(), then the Entra entry, then what stays valid until when.
    void logoutWithAws();
    /// The sign-out's last word: what was removed, and what stays valid until when (`grants`: the PIM
    /// grants, nullopt when they could not be read).
    void printSignOut(bool signedInToAws, const Aws::EndReport &report,
                      const std::optional<QList<Core::Grant>> &grants, const Core::Result<void> &idcGone,
                      const Core::Result<void> &entraGone);
    /// Live grants as targets (permanent assignments only with `includePermanent`).
    QList<Core::Target> grantTargets(bool includePermanent) const;
    /// Syncs, finds the live grant of `target` that maps to AWS, then `then(grant, role)`.
    void withLiveAwsGrant(const QString &target, const QString &doing,
                          std::function<void(const Core::Grant &, const Core::AwsRole &)> then);
    QString credentialProcessCommand() const;
    // credential-process (awscommands.cpp): Graph decides when no fresh proof does.
    void checkGrantForCredentials(const QString &accountId, const QString &roleName);
    /// Role credentials for a grant known to be live; Expiration never past its end (local clock).
    void handOutCredentials(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                            qint64 serverSkewSecs);
    /// Whose a grant proof is: the Entra home account id.
    static QString proofAccount(const Core::Account &account);
    void failAws(const Core::Error &error, const QString &doing);

    Core::AppConfig m_config;
    bool m_json;
    Core::SystemClock m_clock;
    QNetworkAccessManager *m_nam;
    Net::HttpClient *m_http;
    std::unique_ptr<Auth::KeychainSecretStore> m_secrets;
    Auth::EntraSession *m_session;
    Graph::GraphClient *m_graph;
    std::unique_ptr<Core::HistoryStore> m_history;
    Graph::AccessService *m_access = nullptr;
    Auth::IdcSession *m_idc = nullptr;
    std::unique_ptr<Core::AccessTokenProvider> m_idcTokens;
    Aws::PortalClient *m_portal = nullptr;
    Aws::AwsAccess *m_aws = nullptr;
    bool m_idcTried = false;
    QList<std::function<void(bool)>> m_idcWaiting; // callers of withIdc() while the restore runs
    bool m_idcSignedIn = false;
    bool m_awsReconciled = false;
    bool m_quietAws = false;
    bool m_signingOut = false; // logout: one summary instead of a line per ended target
    /// When set, a failed silent Entra sign-in goes here instead of ending the command (end-all
    /// still cleans up the AWS side).
    std::function<void(const Core::Error &)>
        m_onSessionFailure; // credential-process: nothing but JSON on stdout, one line on stderr
};

} // namespace Elevate::Cli

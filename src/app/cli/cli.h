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
class RolePipeline;
class PortalClient;
struct EndReport;
} // namespace Elevate::Aws
namespace Elevate::Net {
class HttpClient;
}
namespace Elevate::Graph {
class RequestTracker;
class GraphClient;
} // namespace Elevate::Graph

namespace Elevate::Cli {

class ApprovalCommands;
class AwsCommands;
class PimCommands;

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
 * The composition root of the command line: builds the objects for one configuration, and holds what
 * every command shares (the silent sign-in, the access service, the AWS side, the way a command fails
 * and ends). The commands themselves are in PimCommands, ApprovalCommands and AwsCommands, made on
 * first use; one runs asynchronously, then ends the event loop with its exit code. Output goes to
 * stdout (human or --json); errors are one sentence on stderr.
 */
class CliApp : public QObject
{
    Q_OBJECT
public:
    CliApp(Core::AppConfig config, bool json, QObject *parent = nullptr);
    ~CliApp() override;

    PimCommands &pimCommands();
    ApprovalCommands &approvalCommands();
    AwsCommands &awsCommands();

    const Core::AppConfig &config() const { return m_config; }
    bool json() const { return m_json; }
    Core::SystemClock &clock() { return m_clock; }
    Net::HttpClient *http() const { return m_http; }
    Auth::KeychainSecretStore *secrets() const { return m_secrets.get(); }
    Auth::EntraSession *session() const { return m_session; }
    Graph::GraphClient *graph() const { return m_graph; }
    /// The history, after withAccess() (null when it cannot be opened).
    Core::HistoryStore *history() const { return m_history.get(); }
    /// After withAccess().
    Graph::RequestTracker *requests() const { return m_requests; }
    /// The AWS side, after ensureAws().
    Auth::IdcSession *idc() const { return m_idc; }
    Aws::PortalClient *portal() const { return m_portal; }
    Aws::RolePipeline *rolePipeline() const { return m_aws; }

    /// Matches a target as typed ("123456789012/Role", "123456789012:Role", a group name or id) to
    /// one of `targets`; nullopt with `error` set when none or several match.
    static std::optional<Core::Target> resolveTarget(const QString &name, const QList<Core::Target> &targets,
                                                     QString *error);
    /// "14:30", "2026-12-01T09:00", "2026-12-01T09:00:00Z": when to start; invalid when unreadable.
    static QDateTime parseStart(const QString &text, const QDateTime &now);
    /// Whose a grant proof is: the Entra home account id.
    static QString proofAccount(const Core::Account &account);

    // What the commands share.
    /// Silent sign-in, then `then` (or exit 4 with a hint).
    void withSession(std::function<void()> then);
    /// Silent sign-in plus a history store and the access service, then `then`.
    void withAccess(std::function<void()> then);
    /// The access service over `history` (null: none); withAccess() does this and signs in.
    void makeAccess(std::unique_ptr<Core::HistoryStore> history);
    /// When set, a failed silent Entra sign-in goes here instead of ending the command (end-all
    /// still cleans up the AWS side).
    void setOnSessionFailure(std::function<void(const Core::Error &)> handler)
    {
        m_onSessionFailure = std::move(handler);
    }
    void browserForStepUp();
    QJsonObject grantJson(const Core::Grant &grant) const;
    QJsonObject requestJson(const Core::AccessRequest &request) const;
    /// Live grants as targets (permanent assignments only with `includePermanent`).
    QList<Core::Target> grantTargets(bool includePermanent) const;
    void fail(const Core::Error &error, const QString &doing);
    /// Ends the command; first brings the AWS profiles in line with the grants when this command
    /// learnt them (every command keeps the profiles current, not only the tray).
    void finish(int code);
    void exitNow(int code);
    /// Tells a running tray that this command changed something in PIM (Core::ChangeNotice), so it
    /// looks again now rather than at its next sync.
    void tellOthers();

    // The AWS side every command may need.
    void ensureAws();
    /// Silent Identity Center sign-in (once per run); `then(signedIn)`.
    void withIdc(std::function<void(bool)> then);
    bool idcTried() const { return m_idcTried; }
    /// The Identity Center sign-in is gone (aws-login --fresh): the next withIdc() restores again.
    void forgetIdcSignIn()
    {
        m_idcTried = false;
        m_idcSignedIn = false;
    }
    /// An interactive Identity Center sign-in succeeded.
    void noteIdcSignedIn()
    {
        m_idcTried = true;
        m_idcSignedIn = true;
    }
    void reconcileAws(std::function<void()> then);
    /// The profiles are not brought in line on the way out (the command does it itself, or must not).
    void skipAwsReconcile() { m_awsReconciled = true; }
    /// Nothing but the command's own output (credential-process: JSON on stdout, one line on stderr).
    void setQuietAws(bool quiet) { m_quietAws = quiet; }
    /// logout: one summary instead of a line per ended target.
    void setSigningOut(bool signingOut) { m_signingOut = signingOut; }
    void failAws(const Core::Error &error, const QString &doing);
    /// The AWS part of end-all and sign-out: everything Aws::RolePipeline::endAll() removes (for the
    /// saved Entra account's cache entries), the portal Logout, then the Identity Center sign-in
    /// forgotten in the keychain. `then(signedInToAws, report, forgotten)`.
    void endAws(std::function<void(bool, const Aws::EndReport &, const Core::Result<void> &)> then);
    QString credentialProcessCommand() const;

private:
    Core::AppConfig m_config;
    bool m_json;
    Core::SystemClock m_clock;
    QNetworkAccessManager *m_nam;
    Net::HttpClient *m_http;
    std::unique_ptr<Auth::KeychainSecretStore> m_secrets;
    Auth::EntraSession *m_session;
    Graph::GraphClient *m_graph;
    std::unique_ptr<Core::HistoryStore> m_history;
    Graph::RequestTracker *m_requests = nullptr;
    Auth::IdcSession *m_idc = nullptr;
    std::unique_ptr<Core::AccessTokenProvider> m_idcTokens;
    Aws::PortalClient *m_portal = nullptr;
    Aws::RolePipeline *m_aws = nullptr;
    PimCommands *m_pim = nullptr;
    ApprovalCommands *m_approvals = nullptr;
    AwsCommands *m_awsCommands = nullptr;
    bool m_idcTried = false;
    QList<std::function<void(bool)>> m_idcWaiting; // callers of withIdc() while the restore runs
    bool m_idcSignedIn = false;
    bool m_awsReconciled = false;
    bool m_quietAws = false;
    bool m_signingOut = false;
    std::function<void(const Core::Error &)> m_onSessionFailure;
};

} // namespace Elevate::Cli

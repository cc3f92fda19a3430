// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "auth/entrasession.h"
#include "core/countdown.h"
#include "core/history.h"
#include "core/result.h"
#include "core/targetmapper.h"

#include <QDateTime>
#include <QObject>
#include <QTimer>

namespace Elevate::Graph {
class RequestTracker;
class ApprovalService;
class GraphClient;
} // namespace Elevate::Graph

namespace Elevate::Ui {

class TargetsModel;

/**
 * What the tray and the window show, in one place: the sign-in state, the account, and the eligible
 * targets (in a TargetsModel it owns). It drives the session and the Graph client; it holds no
 * widgets, so the tray menu and the window are two views of the same state.
 *
 *   start() ─▶ session.restore() ─▶ signed in? ─▶ refresh() ─▶ targets
 *   signIn() ─▶ browserUrlReady ─▶ (browser) ─▶ signed in ─▶ refresh()
 *
 * It also drives the request lifecycle (a Graph::RequestTracker, auto-sync while signed in) and the
 * approvals (a Graph::ApprovalService), both handed to it, and turns their events into notifications: a
 * request granted, denied or canceled, a grant about to end (at each of the configured thresholds, once) and
 * ended.
 *
 * `changed` fires whenever status, account, targets, grants, requests or the last error change.
 */
class PimPresenter : public QObject
{
    Q_OBJECT
public:
    enum class Status { SignedOut, Restoring, SigningIn, Loading, Ready };
    Q_ENUM(Status)

    /// What the presenter drives, built by the composition root (the tray app, a test fixture); the
    /// presenter owns none of it. The request lifecycle's auto-sync is switched on while signed in.
    struct Parts
    {
        Auth::EntraSession *session = nullptr;
        Graph::GraphClient *graph = nullptr;
        Graph::RequestTracker *requests = nullptr;
        Graph::ApprovalService *approvals = nullptr;
        const Core::Clock *clock = nullptr;
        Core::HistoryStore *history = nullptr; ///< may be null: then nothing is recorded
    };
    PimPresenter(const Parts &parts, Core::TargetMapper mapper, QObject *parent = nullptr);

    Status status() const { return m_status; }
    std::optional<Core::Account> account() const { return m_session->account(); }
    TargetsModel *targets() const { return m_targets; }
    /// The error of the last operation, cleared by the next success (Kind::None when there is none).
    const Core::Error &lastError() const { return m_lastError; }
    QDateTime lastRefresh() const { return m_lastRefresh; }
    Graph::RequestTracker *requests() const { return m_requests; }
    Graph::GraphClient *graph() const { return m_graph; }
    Graph::ApprovalService *approvals() const { return m_approvals; }
    Core::HistoryStore *history() const { return m_history; }
    const Core::Clock *clock() const { return m_clock; }
    const Core::TargetMapper &mapper() const { return m_mapper; }
    /// Minutes before a grant's end at which to warn (default 15, 5, 1).
    void setWarnMinutes(const QList<int> &minutes);
    const QList<int> &warnMinutes() const { return m_expiry.thresholds(); }
    /// The target (from the eligible list) a key names, if any.
    std::optional<Core::Target> target(const QString &rowKey) const;
    /// The target a group/access pair belongs to: the eligible one, or one built from the mapping.
    Core::Target targetFor(const QString &groupId, const QString &groupName, Core::AccessKind access) const;
    /// "AdministratorAccess on Production (123456789012)", or the group name for unmapped groups.
    QString targetDisplayName(const QString &groupId, const QString &groupName,
                              Core::AccessKind access) const;
    /// The live grant that ends first (non-permanent), if any.
    std::optional<Core::Grant> soonestGrant() const;

    /// Marks the configuration unusable: sign-in then reports `error` instead of starting.
    void setConfigurationError(const Core::Error &error) { m_configError = error; }

    /// Silent sign-in from the keychain; a missing entry simply leaves the user signed out.
    void start();
    void signIn();
    void cancelSignIn();
    /// Sign-out: the step set with setSignOutStep() (the AWS side), then the Entra sign-in; then one
    /// notify() with what was removed and what stays valid until when. PIM grants are not ended.
    void signOut();
    /// What runs before the Entra sign-out (the composition root sets the AWS part): it calls `done`
    /// with the sentences the sign-out message gets from it. Without one, only the Entra sign-in goes.
    using SignOutStep = std::function<void(std::function<void(QStringList)> done)>;
    void setSignOutStep(SignOutStep step) { m_signOutStep = std::move(step); }
    bool isSigningOut() const { return m_signingOut; }
    /// Reloads the eligible targets (no-op unless signed in).
    void refresh();
    /// Another process (the command line) changed something: sync grants, requests and approvals
    /// once, soon (a burst of notices is one sync), instead of at the next scheduled sync.
    void noticeChangeElsewhere();
    /// Ends a grant early; the outcome comes back through notify / errorOccurred.
    void deactivate(const Core::Grant &grant);
    void cancelRequest(const QString &requestId);

Q_SIGNALS:
    void changed();
    /// Open this URL in the browser (the session's sign-in page).
    void browserUrlReady(const QUrl &url);
    /// An operation failed; `operation` says which ("sign-in", "sign-out", "refresh").
    void errorOccurred(const QString &operation, const Elevate::Core::Error &error);
    /// Something the user should hear about (granted, denied, about to end, ended).
    void notify(const QString &title, const QString &message);
    /// A request waits for this user's decision and has not been announced before.
    void approvalArrived(const QString &requestId, const QString &title, const QString &message);

private:
    void setStatus(Status status);
    void fail(const QString &operation, const Core::Error &error);
    void onSignInFinished(const Core::Result<Core::Account> &result);
    void checkExpiry();
    QString signOutMessage() const;
    QString targetName(const QString &groupId, const QString &groupName, Core::AccessKind access) const;

    Auth::EntraSession *m_session;
    Graph::GraphClient *m_graph;
    Core::TargetMapper m_mapper;
    const Core::Clock *m_clock;
    TargetsModel *m_targets;
    Core::HistoryStore *m_history;
    Graph::RequestTracker *m_requests;
    Graph::ApprovalService *m_approvals;
    Core::ExpiryWatcher m_expiry;
    QTimer m_expiryTimer;
    QTimer m_elsewhereTimer; // single-shot: coalesces notices of changes made elsewhere
    bool m_syncFailing = false;
    QDateTime m_lastGoodSync;
    Status m_status = Status::SignedOut;
    Core::Error m_lastError;
    Core::Error m_configError;
    QDateTime m_lastRefresh;
    bool m_restoring = false;
    quint64 m_refreshGeneration = 0;
    SignOutStep m_signOutStep;
    bool m_signingOut = false; // signOut() until the Entra sign-in is gone
    QStringList m_signOutSentences; // what the step said, for the message at the end
    QList<Core::Grant> m_signOutGrants; // the grants as they were: they stay active in PIM
};

} // namespace Elevate::Ui

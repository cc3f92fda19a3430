// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "auth/entrasession.h"
#include "core/result.h"
#include "core/targetmapper.h"

#include <QDateTime>
#include <QObject>

namespace Elevate::Graph {
class GraphClient;
}

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
 * `changed` fires whenever status, account, targets or the last error change.
 */
class AccessController : public QObject
{
    Q_OBJECT
public:
    enum class Status { SignedOut, Restoring, SigningIn, Loading, Ready };
    Q_ENUM(Status)

    AccessController(Auth::EntraSession *session, Graph::GraphClient *graph, Core::TargetMapper mapper,
                     const Core::Clock *clock, QObject *parent = nullptr);

    Status status() const { return m_status; }
    std::optional<Core::Account> account() const { return m_session->account(); }
    TargetsModel *targets() const { return m_targets; }
    /// The error of the last operation, cleared by the next success (Kind::None when there is none).
    const Core::Error &lastError() const { return m_lastError; }
    QDateTime lastRefresh() const { return m_lastRefresh; }

    /// Marks the configuration unusable: sign-in then reports `error` instead of starting.
    void setConfigurationError(const Core::Error &error) { m_configError = error; }

    /// Silent sign-in from the keychain; a missing entry simply leaves the user signed out.
    void start();
    void signIn();
    void cancelSignIn();
    void signOut();
    /// Reloads the eligible targets (no-op unless signed in).
    void refresh();

Q_SIGNALS:
    void changed();
    /// Open this URL in the browser (the session's sign-in page).
    void browserUrlReady(const QUrl &url);
    /// An operation failed; `operation` says which ("sign-in", "sign-out", "refresh").
    void errorOccurred(const QString &operation, const Elevate::Core::Error &error);

private:
    void setStatus(Status status);
    void fail(const QString &operation, const Core::Error &error);
    void onSignInFinished(const Core::Result<Core::Account> &result);

    Auth::EntraSession *m_session;
    Graph::GraphClient *m_graph;
    Core::TargetMapper m_mapper;
    const Core::Clock *m_clock;
    TargetsModel *m_targets;
    Status m_status = Status::SignedOut;
    Core::Error m_lastError;
    Core::Error m_configError;
    QDateTime m_lastRefresh;
    bool m_restoring = false;
    quint64 m_refreshGeneration = 0;
};

} // namespace Elevate::Ui

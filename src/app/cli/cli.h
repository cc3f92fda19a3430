// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"

#include <QObject>
#include <QStringList>

#include <memory>

class QNetworkAccessManager;

namespace Elevate::Auth {
class EntraSession;
class KeychainSecretStore;
} // namespace Elevate::Auth
namespace Elevate::Net {
class HttpClient;
}
namespace Elevate::Graph {
class GraphClient;
}

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

private:
    /// Silent sign-in, then `then` (or exit 4 with a hint).
    void withSession(std::function<void()> then);
    void fail(const Core::Error &error, const QString &doing);
    void finish(int code);

    Core::AppConfig m_config;
    bool m_json;
    Core::SystemClock m_clock;
    QNetworkAccessManager *m_nam;
    Net::HttpClient *m_http;
    std::unique_ptr<Auth::KeychainSecretStore> m_secrets;
    Auth::EntraSession *m_session;
    Graph::GraphClient *m_graph;
};

} // namespace Elevate::Cli

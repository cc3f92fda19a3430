// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/error.h"
#include "core/model.h"
#include "core/pim.h"
#include "core/result.h"

#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace Elevate::Aws {
struct EndReport;
}

namespace Elevate::Cli {

class CliApp;

/// The AWS side of `elevate`: Identity Center sign-in, console, credential_process, env, profiles,
/// end-all, and the AWS part of sign-out.
class AwsCommands : public QObject
{
    Q_OBJECT
public:
    explicit AwsCommands(CliApp &app);

    /// `fresh`: portal Logout and the saved sign-in forgotten first (Identity Center may answer from the
    /// group memberships of the sign-in it started with).
    void awsLogin(bool deviceCode, bool fresh = false);
    void console(const QString &target, bool printUrl);
    /// The AWS CLI's credential_process helper: JSON on stdout, or one line on stderr and exit 1.
    void credentialProcess(const QString &accountId, const QString &roleName);
    void env(const QString &target);
    void profiles();
    void endAll();
    /// Sign-out with AWS configured: CliApp::endAws(), then the Entra entry, then what stays valid
    /// until when.
    void logoutWithAws();

private:
    /// The sign-out's last word: what was removed, and what stays valid until when (`grants`: the PIM
    /// grants, nullopt when they could not be read).
    void printSignOut(bool signedInToAws, const Aws::EndReport &report,
                      const std::optional<QList<Core::Grant>> &grants, const Core::Result<void> &idcGone,
                      const Core::Result<void> &entraGone);
    /// Syncs, finds the live grant of `target` that maps to AWS, then `then(grant, role)`.
    void withLiveAwsGrant(const QString &target, const QString &doing,
                          std::function<void(const Core::Grant &, const Core::AwsRole &)> then);
    // credential-process: Graph decides when no fresh proof does.
    void checkGrantForCredentials(const QString &accountId, const QString &roleName);
    /// Role credentials for a grant known to be live; Expiration never past its end (local clock).
    void handOutCredentials(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                            qint64 serverSkewSecs);

    CliApp &m_app;
};

} // namespace Elevate::Cli

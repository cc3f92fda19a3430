// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>
#include <QString>

namespace Elevate::Cli {

class CliApp;

/// The approver's commands: the requests waiting for a decision, and the decision.
class ApprovalCommands : public QObject
{
    Q_OBJECT
public:
    explicit ApprovalCommands(CliApp &app);

    void approvals();
    void decide(const QString &requestId, bool approve, const QString &justification);

private:
    CliApp &m_app;
};

} // namespace Elevate::Cli

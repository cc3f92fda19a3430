// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/model.h"
#include "core/pim.h"

#include <QObject>
#include <QString>

namespace Elevate::Cli {

class CliApp;

/// The commands of PIM access: sign-in and sign-out, the eligible roles, a request and what becomes of
/// it (status, cancel, deactivate, history).
class PimCommands : public QObject
{
    Q_OBJECT
public:
    explicit PimCommands(CliApp &app);

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

private:
    void waitFor(const Core::AccessRequest &request, const Core::Target &target);
    void printRequest(const Core::AccessRequest &request, const Core::Target &target);

    CliApp &m_app;
};

} // namespace Elevate::Cli

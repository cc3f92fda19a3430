// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Sentences for people about PIM requests and about the services' refusals, shared by the tray and
// the command line (QtCore's translate, no widgets). Everything else about errors is worded in
// ui/errortext.

#include "core/error.h"
#include "core/pim.h"

#include <QCoreApplication>

namespace Elevate::Graph {

class PimWording
{
    Q_DECLARE_TR_FUNCTIONS(Elevate::Graph::PimWording)
public:
    /// A sentence for a PIM-specific error (policy rules, RoleAssignmentExists, 403, 429, …), or
    /// empty when the error is not one PIM explains (the caller words it generically). Only errors
    /// from Graph are PIM's: a 403 from Entra or Identity Center gets nothing here.
    static QString describe(const Core::Error &error);
    /// What to do about one problem of a draft, for the field it concerns.
    static QString describe(Core::DraftProblem problem, const Core::ActivationPolicy &policy);
    /// "2 h 30 min", "45 min", "1 h".
    static QString duration(qint64 secs);
    /// The status of a request in words ("waiting for approval", "active", …).
    static QString status(const Core::AccessRequest &request);
};

/// Names the service an error came from and words the refusals every service shares (403, 429,
/// 5xx, unreachable), so that an Entra or Identity Center error is never blamed on Graph.
class ServiceWording
{
    Q_DECLARE_TR_FUNCTIONS(Elevate::Graph::ServiceWording)
public:
    /// "Microsoft Entra ID", "Microsoft Graph", …; empty for Source::Local.
    static QString name(Core::Error::Source source);
    /// A sentence for a 403, 429 or 5xx, or a network failure or time-out, naming the service; empty
    /// for other errors and for local ones.
    static QString describe(const Core::Error &error);
};

} // namespace Elevate::Graph

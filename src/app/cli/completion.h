// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the command table generates besides --help: the shell completion scripts, the values they
// complete from the local history (no network), and the man page elevate(1).

#include <QString>
#include <QStringList>

namespace Elevate::Cli {

/// The completion script for `shell` ("bash", "zsh" or "fish"); empty for another shell.
QString completionScript(const QString &shell);

/// What an argument named `kind` ("target", "request", "request|target", "shell") may be, from the
/// history at `historyPath` (targets requested before, requests still open); no network, and no file
/// is created when there is none.
QStringList completionValues(const QString &kind, const QString &historyPath);

/// elevate(1) in roff (man(7) macros).
QString manPage(const QString &version);

} // namespace Elevate::Cli

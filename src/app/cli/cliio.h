// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the command's source files share: the two output streams, the browser, error wording.

#include "core/error.h"

#include <QTextStream>
#include <QUrl>

namespace Elevate::Aws {
class RolePipeline;
struct AwsTarget;
} // namespace Elevate::Aws

namespace Elevate::Cli {

/// stdout: the command's result (human or --json), nothing else.
QTextStream &out();
/// stderr: progress, hints and the one line that says what went wrong.
QTextStream &err();
/// Opens `url`: ELEVATE_BROWSER (URL as its last argument) or xdg-open.
bool openBrowser(const QUrl &url);
/// A service error as a sentence (PIM's wording when it has one).
QString sentence(const Core::Error &e);
/// "2026-12-01 14:30", local time.
QString hhmm(const QDateTime &t);
/// A target still waiting after aws.sync.limitMinutes (the CLI asks once, so it measures instead of
/// relying on RolePipeline::waitingTooLong, which fires on a check).
bool waitedTooLong(const Aws::AwsTarget &t, const Aws::RolePipeline &aws);

} // namespace Elevate::Cli

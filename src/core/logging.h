// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLoggingCategory>

namespace Elevate::Core {
Q_DECLARE_LOGGING_CATEGORY(lcCore)
/// Replaces anything that looks like a token (long base64url-ish runs, JWTs) with "[redacted]".
QString redactSecrets(const QString &text);
} // namespace Elevate::Core

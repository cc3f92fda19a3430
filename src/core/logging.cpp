// SPDX-License-Identifier: GPL-3.0-or-later
#include "logging.h"

#include <QRegularExpression>

namespace Elevate::Core {
Q_LOGGING_CATEGORY(lcCore, "elevate.core", QtInfoMsg)

QString redactSecrets(const QString &text)
{
    static const QRegularExpression token(QStringLiteral(R"([A-Za-z0-9_\-\.~+/=]{32,})"));
    QString out = text;
    out.replace(token, QStringLiteral("[redacted]"));
    return out;
}
} // namespace Elevate::Core

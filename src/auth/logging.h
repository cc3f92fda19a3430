// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLoggingCategory>

namespace Elevate::Auth {
Q_DECLARE_LOGGING_CATEGORY(lcAuth)
}

// SPDX-License-Identifier: GPL-3.0-or-later
#include "logging.h"

namespace Elevate::Auth {
Q_LOGGING_CATEGORY(lcAuth, "elevate.auth", QtInfoMsg)
}

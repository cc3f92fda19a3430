// SPDX-License-Identifier: GPL-3.0-or-later
#include "logging.h"

namespace Elevate::Net {
Q_LOGGING_CATEGORY(lcNet, "elevate.net", QtInfoMsg)
}

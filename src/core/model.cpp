// SPDX-License-Identifier: GPL-3.0-or-later
#include "model.h"

namespace Elevate::Core {

QString Target::key() const
{
    if (aws)
        return aws->accountId + u'/' + aws->roleName;
    return eligibility.groupDisplayName.isEmpty() ? eligibility.groupId : eligibility.groupDisplayName;
}

} // namespace Elevate::Core

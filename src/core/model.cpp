// SPDX-License-Identifier: GPL-3.0-or-later
#include "model.h"

namespace Elevate::Core {

QString accessIdOf(AccessKind kind)
{
    return kind == AccessKind::Owner ? QStringLiteral("owner") : QStringLiteral("member");
}

std::optional<AccessKind> accessKindFrom(const QString &accessId)
{
    if (accessId.isEmpty() || accessId.compare(u"member", Qt::CaseInsensitive) == 0)
        return AccessKind::Member;
    if (accessId.compare(u"owner", Qt::CaseInsensitive) == 0)
        return AccessKind::Owner;
    return std::nullopt;
}

QString Target::key() const
{
    if (aws)
        return aws->accountId + u'/' + aws->roleName;
    return eligibility.groupDisplayName.isEmpty() ? eligibility.groupId : eligibility.groupDisplayName;
}

} // namespace Elevate::Core

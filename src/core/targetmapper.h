// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "config.h"
#include "model.h"

#include <QRegularExpression>

namespace Elevate::Core {

/**
 * Maps PIM groups to AWS account + role: the explicit table first (by group id, then by display
 * name), then the naming rule. Groups that map to nothing stay in the list as "not mapped".
 */
class TargetMapper
{
public:
    explicit TargetMapper(MappingConfig config);

    std::optional<AwsRole> map(const Eligibility &e) const;

    /// All eligibilities as targets, mapped ones sorted by account then role, unmapped ones last
    /// (by name). Owner and member eligibilities of one group stay distinct; one group role reached
    /// several ways is one target (see distinct()).
    QList<Target> mapAll(const QList<Eligibility> &eligibilities) const;

    /// One eligibility per group and role (group and access kind), in first-seen order: the direct one
    /// where the user is also eligible through another group, a name from any of them.
    static QList<Eligibility> distinct(const QList<Eligibility> &eligibilities);

private:
    MappingConfig m_config;
    QRegularExpression m_pattern;
};

/// True for a 12-digit AWS account id.
bool isAwsAccountId(const QString &s);

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#include "targetmapper.h"

#include <QHash>

#include <algorithm>

namespace Elevate::Core {

bool isAwsAccountId(const QString &s)
{
    return s.size() == 12 && std::all_of(s.begin(), s.end(), [](QChar c) { return c >= u'0' && c <= u'9'; });
}

TargetMapper::TargetMapper(MappingConfig config)
    : m_config(std::move(config))
    , m_pattern(m_config.pattern)
{ }

std::optional<AwsRole> TargetMapper::map(const Eligibility &e) const
{
    auto role = [this](const QString &account, const QString &name) -> std::optional<AwsRole> {
        if (!isAwsAccountId(account) || name.isEmpty())
            return std::nullopt;
        return AwsRole {account, name, m_config.accountNames.value(account)};
    };
    auto it = m_config.groups.constFind(e.groupId);
    if (it == m_config.groups.cend() && !e.groupDisplayName.isEmpty())
        it = m_config.groups.constFind(e.groupDisplayName);
    if (it != m_config.groups.cend())
        return role(it->accountId, it->roleName);
    if (e.groupDisplayName.isEmpty() || !m_pattern.isValid())
        return std::nullopt;
    const auto m = m_pattern.match(e.groupDisplayName);
    if (!m.hasMatch())
        return std::nullopt;
    return role(m.captured(u"account"), m.captured(u"role"));
}

QList<Eligibility> TargetMapper::distinct(const QList<Eligibility> &eligibilities)
{
    // PIM lists one instance per path to the group (directly, and through each group the user is a
    // member of); requesting it is the same either way, so the user sees it once.
    QList<Eligibility> out;
    QHash<QString, qsizetype> at; // groupId + access kind -> index in out
    for (const auto &e : eligibilities) {
        const QString key = e.groupId + u'\n' + accessIdOf(e.access);
        const auto seen = at.constFind(key);
        if (seen == at.cend()) {
            at.insert(key, out.size());
            out.append(e);
            continue;
        }
        Eligibility &kept = out[*seen];
        const bool direct = e.memberType.compare(u"direct", Qt::CaseInsensitive) == 0;
        const bool keptDirect = kept.memberType.compare(u"direct", Qt::CaseInsensitive) == 0;
        Eligibility merged = direct && !keptDirect ? e : kept;
        const Eligibility &dropped = direct && !keptDirect ? kept : e;
        // One of the paths may have come without its group expanded.
        if (merged.groupDisplayName.isEmpty())
            merged.groupDisplayName = dropped.groupDisplayName;
        if (merged.groupDescription.isEmpty())
            merged.groupDescription = dropped.groupDescription;
        kept = merged;
    }
    return out;
}

QList<Target> TargetMapper::mapAll(const QList<Eligibility> &eligibilities) const
{
    QList<Target> out;
    const QList<Eligibility> unique = distinct(eligibilities);
    out.reserve(unique.size());
    for (const auto &e : unique)
        out.append(Target {e, map(e)});
    std::stable_sort(out.begin(), out.end(), [](const Target &a, const Target &b) {
        if (a.isMapped() != b.isMapped())
            return a.isMapped();
        if (a.isMapped()) {
            if (a.aws->accountId != b.aws->accountId)
                return a.aws->accountId < b.aws->accountId;
            if (a.aws->roleName != b.aws->roleName)
                return a.aws->roleName.compare(b.aws->roleName, Qt::CaseInsensitive) < 0;
            return a.eligibility.access < b.eligibility.access; // member before owner
        }
        return a.key().compare(b.key(), Qt::CaseInsensitive) < 0;
    });
    return out;
}

} // namespace Elevate::Core

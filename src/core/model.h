// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace Elevate::Core {

/// Which kind of group membership PIM grants (graph-pim.md: `accessId`): membership, which is what
/// SCIM takes to AWS, or ownership of the group.
enum class AccessKind { Member, Owner };
/// Graph's spelling of a kind: "member", "owner".
QString accessIdOf(AccessKind kind);
/// The kind Graph's `accessId` names, in any case; empty is "member" (what PIM assumes when it is not
/// given); nullopt for a kind this version does not know.
std::optional<AccessKind> accessKindFrom(const QString &accessId);

/// The signed-in Entra account (no secrets). `objectId` is Graph's `user.id` / the `oid` claim.
struct Account
{
    QString homeAccountId; // uid.utid from client_info
    QString objectId;
    QString tenantId;
    QString username; // preferred_username / UPN; for display and login_hint only
    QString displayName;

    bool isValid() const { return !objectId.isEmpty() && !tenantId.isEmpty(); }
};

/// One PIM-for-Groups eligibility of the signed-in user (an eligibilityScheduleInstance).
struct Eligibility
{
    QString id;
    QString groupId;
    QString groupDisplayName; // empty when Graph did not expand the group
    QString groupDescription;
    AccessKind access = AccessKind::Member;
    QString memberType; // "direct" or "group", lower-cased
    QDateTime start;
    QDateTime end; // invalid = permanent eligibility
};

/// An AWS account + permission set (role) reached through one PIM group.
struct AwsRole
{
    QString accountId; // 12 digits
    QString roleName;
    QString accountName; // from the config's account names; may be empty
};

/// An eligibility with its AWS mapping; `aws` is empty for groups that do not map ("not mapped").
struct Target
{
    Eligibility eligibility;
    std::optional<AwsRole> aws;

    bool isMapped() const { return aws.has_value(); }
    /// "123456789012/AdministratorAccess" for mapped targets, the group name otherwise.
    QString key() const;
};

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/model.h"

#include <QAbstractListModel>

namespace Elevate::Ui {

/**
 * The eligible targets as a flat list for views: one row per eligibility, mapped ones first (by
 * account, then role), "not mapped" groups last. The display text is "Role — Account name (id)";
 * SearchTextRole carries everything a user may type into the search box.
 */
class TargetsModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        TargetKeyRole = Qt::UserRole + 1,
        AccountIdRole,
        AccountNameRole,
        RoleNameRole,
        GroupNameRole,
        MappedRole,
        SearchTextRole,
    };

    explicit TargetsModel(QObject *parent = nullptr);

    void setTargets(QList<Core::Target> targets);
    const QList<Core::Target> &targets() const { return m_targets; }
    /// Row of the target with that key (Target::key() + access id), or -1.
    int rowOf(const QString &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    /// "Production (123456789012)", or just the id when the account has no name.
    static QString accountLabel(const Core::AwsRole &role);
    /// Unique key of a target row: Target::key(), plus " (owner)" for owner eligibilities.
    static QString rowKey(const Core::Target &target);

private:
    QList<Core::Target> m_targets;
};

} // namespace Elevate::Ui

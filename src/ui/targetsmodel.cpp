// SPDX-License-Identifier: GPL-3.0-or-later
#include "targetsmodel.h"

#include <QColor>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

namespace Elevate::Ui {

TargetsModel::TargetsModel(QObject *parent)
    : QAbstractListModel(parent)
{ }

void TargetsModel::setTargets(QList<Core::Target> targets)
{
    beginResetModel();
    m_targets = std::move(targets);
    endResetModel();
}

int TargetsModel::rowOf(const QString &key) const
{
    for (int i = 0; i < m_targets.size(); ++i)
        if (rowKey(m_targets.at(i)) == key)
            return i;
    return -1;
}

int TargetsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_targets.size());
}

QString TargetsModel::accountLabel(const Core::AwsRole &role)
{
    if (role.accountName.isEmpty())
        return role.accountId;
    return tr("%1 (%2)").arg(role.accountName, role.accountId);
}

QString TargetsModel::rowKey(const Core::Target &target)
{
    return target.eligibility.access == Core::AccessKind::Owner ? target.key() + QStringLiteral(" (owner)")
                                                                : target.key();
}

QVariant TargetsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Core::Target &t = m_targets.at(index.row());
    const Core::Eligibility &e = t.eligibility;
    const QString group = e.groupDisplayName.isEmpty() ? e.groupId : e.groupDisplayName;
    const bool owner = e.access == Core::AccessKind::Owner;
    switch (role) {
    case Qt::DisplayRole:
        if (t.aws) {
            const QString text = tr("%1 — %2").arg(t.aws->roleName, accountLabel(*t.aws));
            return owner ? tr("%1 (as group owner)").arg(text) : text;
        }
        return owner ? tr("%1 — not mapped (as group owner)").arg(group) : tr("%1 — not mapped").arg(group);
    case Qt::ToolTipRole: {
        QString tip = tr("PIM group: %1").arg(group);
        if (!t.aws)
            tip += u'\n' + tr("This group's name does not follow the naming rule and no mapping names it.");
        if (e.end.isValid())
            tip += u'\n'
                + tr("Eligible until %1").arg(QLocale().toString(e.end.toLocalTime(), QLocale::ShortFormat));
        else
            tip += u'\n' + tr("Eligibility does not expire");
        if (e.memberType == u"group")
            tip += u'\n' + tr("Eligible through membership of another group");
        return tip;
    }
    case Qt::ForegroundRole:
        // Unmapped groups stay listed, but muted: there is nothing to do with them yet.
        if (!t.aws) {
            QColor muted = QGuiApplication::palette().color(QPalette::Text);
            muted.setAlpha(150); // readable, unlike the disabled colour
            return muted;
        }
        return {};
    case TargetKeyRole:
        return rowKey(t);
    case AccountIdRole:
        return t.aws ? t.aws->accountId : QString();
    case AccountNameRole:
        return t.aws ? t.aws->accountName : QString();
    case RoleNameRole:
        return t.aws ? t.aws->roleName : QString();
    case GroupNameRole:
        return group;
    case MappedRole:
        return t.isMapped();
    case SearchTextRole:
        return QStringList {t.aws ? t.aws->accountId : QString(), t.aws ? t.aws->accountName : QString(),
                            t.aws ? t.aws->roleName : tr("not mapped"), group}
            .join(u' ');
    default:
        return {};
    }
}

QHash<int, QByteArray> TargetsModel::roleNames() const
{
    auto names = QAbstractListModel::roleNames();
    names.insert(TargetKeyRole, "targetKey");
    names.insert(AccountIdRole, "accountId");
    names.insert(AccountNameRole, "accountName");
    names.insert(RoleNameRole, "roleName");
    names.insert(GroupNameRole, "groupName");
    names.insert(MappedRole, "mapped");
    names.insert(SearchTextRole, "searchText");
    return names;
}

} // namespace Elevate::Ui

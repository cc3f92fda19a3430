// SPDX-License-Identifier: GPL-3.0-or-later
#include "approvalsmodel.h"

#include "core/countdown.h"
#include "graph/pimwording.h"

#include <QSet>

namespace Elevate::Ui {

ApprovalsModel::ApprovalsModel(const Core::Clock *clock, TargetNamer namer, QObject *parent)
    : QAbstractTableModel(parent)
    , m_clock(clock)
    , m_namer(std::move(namer))
{ }

void ApprovalsModel::setRequests(const QList<Core::AccessRequest> &requests)
{
    QSet<QString> incoming;
    for (const auto &r : requests)
        incoming.insert(r.id);
    // Rows that left, from the bottom up.
    for (int row = int(m_requests.size()) - 1; row >= 0; --row) {
        if (incoming.contains(m_requests.at(row).id))
            continue;
        beginRemoveRows({}, row, row);
        m_requests.removeAt(row);
        endRemoveRows();
    }
    // Rows that stay are updated in place; new ones are appended.
    for (const auto &r : requests) {
        const int row = rowOf(r.id);
        if (row >= 0) {
            m_requests[row] = r;
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
            continue;
        }
        beginInsertRows({}, int(m_requests.size()), int(m_requests.size()));
        m_requests.append(r);
        endInsertRows();
    }
}

int ApprovalsModel::rowOf(const QString &requestId) const
{
    for (int i = 0; i < m_requests.size(); ++i)
        if (m_requests.at(i).id == requestId)
            return i;
    return -1;
}

void ApprovalsModel::tick()
{
    if (!m_requests.isEmpty())
        Q_EMIT dataChanged(index(0, Asked), index(int(m_requests.size()) - 1, TimeLeft), {Qt::DisplayRole});
}

int ApprovalsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_requests.size());
}

int ApprovalsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ApprovalsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Core::AccessRequest &r = m_requests.at(index.row());
    const QDateTime now = m_clock->now();
    const QDateTime deadline
        = r.created.isValid() ? r.created.addSecs(Core::kApprovalWindowSecs) : QDateTime();
    const qint64 left = deadline.isValid() ? qMax<qint64>(0, now.secsTo(deadline)) : -1;
    const qint64 asked = r.created.isValid() ? qMax<qint64>(0, r.created.secsTo(now)) : -1;
    if (role == RequestIdRole)
        return r.id;
    if (role == Qt::EditRole) {
        switch (index.column()) {
        case Start:
            return r.start;
        case Duration:
            return r.durationSecs;
        case Asked:
            return r.created;
        case TimeLeft:
            return left;
        default:
            role = Qt::DisplayRole;
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case Requester:
            return r.principalUpn;
        case Target:
            return tr("PIM group %1").arg(r.groupDisplayName.isEmpty() ? r.groupId : r.groupDisplayName);
        case Justification:
            return r.justification;
        case TimeLeft:
            return deadline.isValid()
                ? tr("PIM lets approvers decide until %1; after that the request lapses.")
                      .arg(deadline.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")))
                : QString();
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Requester:
        if (r.principalDisplayName.isEmpty())
            return r.principalUpn.isEmpty() ? r.principalId : r.principalUpn;
        return r.principalUpn.isEmpty() ? r.principalDisplayName
                                        : tr("%1 (%2)").arg(r.principalDisplayName, r.principalUpn);
    case Target:
        return m_namer ? m_namer(r) : r.groupDisplayName;
    case Justification:
        return r.justification;
    case Ticket:
        return r.ticketNumber.isEmpty() ? QString()
                                        : QString(r.ticketSystem + u' ' + r.ticketNumber).trimmed();
    case Start:
        if (!r.start.isValid() || (r.created.isValid() && r.start <= r.created.addSecs(60)))
            return tr("on approval");
        return r.start.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    case Duration:
        return r.durationSecs > 0 ? Graph::PimWording::duration(r.durationSecs) : QString();
    case Asked:
        return asked < 0 ? QString()
            : asked < 60 ? tr("just now")
                         : tr("%1 ago").arg(Graph::PimWording::duration(asked));
    case TimeLeft:
        return left < 0 ? QString() : Core::formatCountdown(left);
    default:
        return {};
    }
}

QVariant ApprovalsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Requester:
        return tr("Requester");
    case Target:
        return tr("Target");
    case Justification:
        return tr("Justification");
    case Ticket:
        return tr("Ticket");
    case Start:
        return tr("Start");
    case Duration:
        return tr("Duration");
    case Asked:
        return tr("Asked");
    case TimeLeft:
        return tr("Decide within");
    default:
        return {};
    }
}

} // namespace Elevate::Ui

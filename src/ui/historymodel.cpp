// SPDX-License-Identifier: GPL-3.0-or-later
#include "historymodel.h"

#include "graph/pimwording.h"

namespace Elevate::Ui {

HistoryModel::HistoryModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

void HistoryModel::setEntries(QList<Core::HistoryEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

int HistoryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int HistoryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString HistoryModel::outcomeText(const Core::HistoryEntry &e)
{
    if (const auto outcome = Core::outcomeFrom(e.outcome)) {
        switch (*outcome) {
        case Core::Outcome::Expired:
            return tr("Expired");
        case Core::Outcome::Deactivated:
            return tr("Deactivated");
        case Core::Outcome::Denied:
            return tr("Denied");
        case Core::Outcome::Canceled:
            return tr("Canceled");
        case Core::Outcome::Failed:
            return tr("Failed");
        case Core::Outcome::Ended:
            return tr("Ended early");
        case Core::Outcome::Lapsed:
            return tr("Not approved in time");
        }
    }
    if (!e.outcome.isEmpty())
        return e.outcome;
    switch (Core::classifyStatus(e.status)) {
    case Core::RequestPhase::Active:
        return tr("Active");
    case Core::RequestPhase::AwaitingApproval:
        return tr("Waiting for approval");
    default:
        return e.status;
    }
}

QVariant HistoryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const Core::HistoryEntry &e = m_entries.at(index.row());
    auto time = [](const QDateTime &t) {
        return t.isValid() ? t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString();
    };
    if (role == Qt::EditRole) {
        switch (index.column()) {
        case Requested:
            return e.requestedAt;
        case Duration:
            return e.durationSecs;
        case Ended:
            return e.endedAt;
        default:
            break;
        }
        role = Qt::DisplayRole;
    }
    if (role == Qt::ToolTipRole && index.column() == Justification)
        return e.justification;
    if (role == Qt::ToolTipRole && index.column() == Target)
        return tr("PIM group %1\nRequest %2").arg(e.groupName, e.requestId);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Requested:
        return time(e.requestedAt);
    case Target:
        return e.target;
    case Duration:
        return e.durationSecs > 0 ? Graph::PimWording::duration(e.durationSecs) : QString();
    case Justification:
        return e.justification;
    case Ticket:
        return e.ticketNumber.isEmpty() ? QString()
                                        : QString(e.ticketSystem + u' ' + e.ticketNumber).trimmed();
    case Outcome:
        return outcomeText(e);
    case Decision:
        return e.approver.isEmpty() ? e.decision : tr("%1 by %2").arg(e.decision, e.approver);
    case Ended:
        return time(e.endedAt);
    default:
        return {};
    }
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Requested:
        return tr("Requested");
    case Target:
        return tr("Target");
    case Duration:
        return tr("Duration");
    case Justification:
        return tr("Justification");
    case Ticket:
        return tr("Ticket");
    case Outcome:
        return tr("Outcome");
    case Decision:
        return tr("Decision");
    case Ended:
        return tr("Ended");
    default:
        return {};
    }
}

} // namespace Elevate::Ui

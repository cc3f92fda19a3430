// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/history.h"

#include <QAbstractTableModel>

namespace Elevate::Ui {

/// The history as a table: one row per request, newest first; EditRole/SortRole carry raw values
/// (times as QDateTime, durations in seconds) so sorting is by value, not by text.
class HistoryModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Requested, Target, Duration, Justification, Ticket, Outcome, Decision, Ended, ColumnCount };

    explicit HistoryModel(QObject *parent = nullptr);
    void setEntries(QList<Core::HistoryEntry> entries);
    const QList<Core::HistoryEntry> &entries() const { return m_entries; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// "Active", "Waiting for approval", or how it ended, in words.
    static QString outcomeText(const Core::HistoryEntry &entry);

private:
    QList<Core::HistoryEntry> m_entries;
};

} // namespace Elevate::Ui

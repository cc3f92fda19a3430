// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/clock.h"
#include "core/pim.h"

#include <QAbstractTableModel>

#include <functional>

namespace Elevate::Ui {

/**
 * Requests waiting for the signed-in user's decision, one row each. The "time left" column counts
 * down PIM's 24-hour approval window from the request's creation, always `deadline − now` from the
 * injected clock; tick() refreshes only that column. EditRole carries raw values for sorting
 * (times as QDateTime, durations and seconds as numbers).
 */
class ApprovalsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Requester, Target, Duration, Start, Asked, TimeLeft, Ticket, Justification, ColumnCount };
    enum Role { RequestIdRole = Qt::UserRole + 1 };
    /// Turns a request's group into what people call the target ("AdministratorAccess on Production").
    using TargetNamer = std::function<QString(const Core::AccessRequest &)>;

    ApprovalsModel(const Core::Clock *clock, TargetNamer namer, QObject *parent = nullptr);

    /// Replaces the rows, keeping rows that stay (so selections survive a refresh).
    void setRequests(const QList<Core::AccessRequest> &requests);
    const QList<Core::AccessRequest> &requests() const { return m_requests; }
    int rowOf(const QString &requestId) const;
    /// Repaints the countdowns.
    void tick();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const Core::Clock *m_clock;
    TargetNamer m_namer;
    QList<Core::AccessRequest> m_requests;
};

} // namespace Elevate::Ui

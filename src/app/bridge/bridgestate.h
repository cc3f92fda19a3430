// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <memory>

namespace Elevate::Bridge {

/**
 * One member of one watched group, as the bridge last saw it in PIM (an assignment schedule instance)
 * and what it pushed for it. Keyed by (groupId, principalId): a member who comes back after an end
 * that was pushed starts a new row (the cycle overwrites the old one).
 */
struct Membership
{
    QString groupId;
    QString principalId;
    QString instanceId;
    QString assignmentType; // "activated" / "assigned", lower-case
    QDateTime start; // startDateTime (invalid: null)
    QDateTime end; // endDateTime (invalid: permanent)
    QDateTime firstSeen;
    QDateTime lastSeen;
    QDateTime endedSeen; // when a poll first no longer listed it (invalid: still listed)
    QDateTime startPushed; // when its start was provisioned (Success / Skipped / RedundantExport)
    QDateTime endPushed; // when its end was provisioned
    bool baseline = false; // seen on the first start, older than catchUpMinutes: never pushed
    QString lastResult; // the last push's result ("Success", "RedundantExport", "Failure: reason", ...)
    int attempts = 0; // failed pushes since the last success (for backoff)
    QDateTime nextAttempt; // not before (invalid: now)

    bool needsStartPush() const { return !baseline && !startPushed.isValid() && !endedSeen.isValid(); }
    bool needsEndPush() const { return endedSeen.isValid() && !endPushed.isValid(); }
};

/// One provisionOnDemand call, for the record.
struct PushRecord
{
    QDateTime at;
    QString groupId;
    QStringList principalIds;
    QString result; // Success, Skipped, RedundantExport, Failure, Throttled, Error
    QString reason; // the service's words, or empty
    bool dryRun = false;
};

/**
 * The bridge's SQLite state (Qt Sql, its own connection name): memberships, a push log kept for
 * 30 days, and small key/value facts (the last completed cycle, the job's last status). The file is
 * created 0600 in a directory created 0700; the schema carries a version and is created or migrated
 * on open. Every write is its own transaction, so a crash between two pushes loses nothing that was
 * recorded. Not thread-safe; one instance per process.
 */
class BridgeState
{
public:
    static Core::Result<std::unique_ptr<BridgeState>> open(const QString &path);
    ~BridgeState();

    Core::Result<QList<Membership>> memberships() const;
    Core::Result<void> save(const Membership &m); // insert or replace by (groupId, principalId)
    Core::Result<void> remove(const QString &groupId, const QString &principalId);
    Core::Result<void> logPush(const PushRecord &record);
    Core::Result<QList<PushRecord>> pushes(int limit = 100) const; // newest first
    /// Drops push records and finished memberships (end pushed) older than `before`.
    Core::Result<void> prune(const QDateTime &before);

    QString fact(const QString &key) const; // empty when unset
    Core::Result<void> setFact(const QString &key, const QString &value);

    QString path() const;

private:
    BridgeState();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Bridge

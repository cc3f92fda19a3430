// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "model.h"
#include "result.h"

#include <QDateTime>
#include <QList>
#include <QString>

#include <optional>

namespace Elevate::Core {

/// How a request or a grant ended, as the history records it.
enum class Outcome {
    Expired, ///< reached its planned end
    Ended, ///< gone from PIM before its planned end (e.g. removed by an administrator)
    Deactivated,
    Canceled,
    Denied,
    Failed,
    Lapsed, ///< no approver decided within PIM's 24 hours
};

/// The name stored in the history ("Expired", "Ended", …); the SQLite history keeps these, so they
/// never change.
QString outcomeName(Outcome outcome);
/// The outcome of a stored name (case-sensitive); nullopt for anything else (an unknown PIM status
/// put on record as it was, or an open entry's empty outcome).
std::optional<Outcome> outcomeFrom(const QString &name);

/// One request and what became of it. Empty fields are unknown (yet).
struct HistoryEntry
{
    QString requestId; ///< PIM's request id; the key
    QString principalId; ///< whose request (the signed-in user's object id)
    QString target; ///< "123456789012/AdministratorAccess" or the group name
    QString groupId;
    QString groupName;
    std::optional<AccessKind> access; ///< unknown in entries from before it was recorded
    QDateTime requestedAt;
    QDateTime startAt;
    QDateTime endAt; ///< the planned end
    qint64 durationSecs = 0;
    QString justification;
    QString ticketSystem;
    QString ticketNumber;
    QString status; ///< PIM's last known status
    QString approver; ///< who decided (name or UPN), when known
    QString decision; ///< "Approved" / "Denied", when known
    QString decisionJustification;
    /// How it ended: outcomeName() of an Outcome ("Expired", "Deactivated", "Denied", "Canceled",
    /// "Failed", "Lapsed", "Ended": gone from PIM before its planned end, e.g. removed by an
    /// administrator), or a PIM status this version does not know; empty while it is open.
    QString outcome;
    QDateTime endedAt;

    bool isOpen() const { return outcome.isEmpty(); }
    /// Whether the entry is about this group and kind (an entry of unknown kind is about either).
    bool isFor(const QString &group, AccessKind kind) const
    {
        return groupId == group && (!access || *access == kind);
    }
};

/**
 * The local record of every request and grant, in SQLite through Qt SQL. Shared by the tray and the
 * command line (WAL journal, a busy timeout, every write its own transaction, synchronous=FULL), so
 * a crash or a second process loses nothing. Owns its database connection; one object per thread.
 */
class HistoryStore
{
public:
    ~HistoryStore();
    HistoryStore(const HistoryStore &) = delete;
    HistoryStore &operator=(const HistoryStore &) = delete;

    /// Opens (creating the file and its directory with owner-only permissions when needed).
    static Result<std::unique_ptr<HistoryStore>> open(const QString &path);

    /// Inserts, or updates the entry with the same request id; fields left empty keep their value.
    Result<void> record(const HistoryEntry &entry);
    /// Newest first; `limit` <= 0 for all.
    Result<QList<HistoryEntry>> entries(int limit = 0) const;
    /// Entries with no outcome yet (pending requests and live grants as last known), newest first;
    /// with a principal, only that user's (another account on this machine is not settled by mine).
    Result<QList<HistoryEntry>> openEntries(const QString &principalId = {}) const;
    /// Distinct recent justifications / "system\tnumber" tickets, most recent first.
    Result<QStringList> recentJustifications(int limit = 8) const;
    Result<QStringList> recentTicketSystems(int limit = 8) const;

    /// Remembers that `id` of `kind` (e.g. "approval") was announced; true when it was new, so a
    /// notification is shown once per item, also across restarts and between the tray and the CLI.
    /// `at` (the caller's clock) is stored with a new mark; an existing mark keeps its time.
    Result<bool> markSeen(const QString &kind, const QString &id, const QDateTime &at);
    /// Whether anything of `kind` was ever marked.
    Result<bool> anySeen(const QString &kind) const;
    /// Remembers that `id` of `kind` happened at `at` (on the caller's clock), replacing an earlier
    /// time: for what is remembered for a while, not for good (a refusal an administrator may lift).
    Result<void> markSeenAt(const QString &kind, const QString &id, const QDateTime &at);
    /// When `id` of `kind` was last marked; invalid when never.
    Result<QDateTime> seenAt(const QString &kind, const QString &id) const;

    QString path() const { return m_path; }

    /// RFC 4180 CSV with a header row; times in ISO 8601 UTC. Cells that a spreadsheet would run as
    /// a formula (=, +, -, @ first) get a leading apostrophe.
    static QByteArray toCsv(const QList<HistoryEntry> &entries);

private:
    HistoryStore(QString path, QString connection);
    Result<QList<HistoryEntry>> select(const QString &where, int limit,
                                       const QString &principalId = {}) const;
    Result<QStringList> recentDistinct(const QString &column, int limit) const;
    QString m_path;
    QString m_connection;
};

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#include "history.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

#include <memory>

namespace Elevate::Core {

namespace {

const char *const kColumns[] = {"request_id",    "target",        "group_id",      "group_name",
                                "access_id",     "requested_at",  "start_at",      "end_at",
                                "duration_secs", "justification", "ticket_system", "ticket_number",
                                "status",        "approver",      "decision",      "decision_justification",
                                "outcome",       "ended_at",      "principal_id"};

Error dbError(const QString &what, const QSqlError &e)
{
    return Error::make(Error::Kind::Internal, QStringLiteral("history: %1: %2").arg(what, e.text()));
}

QVariant timeValue(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toUTC().toString(Qt::ISODate)) : QVariant(QString());
}

QDateTime timeFrom(const QVariant &v)
{
    const QString s = v.toString();
    return s.isEmpty() ? QDateTime() : QDateTime::fromString(s, Qt::ISODate).toUTC();
}

QString csvCell(QString s)
{
    if (!s.isEmpty() && (s.front() == u'=' || s.front() == u'+' || s.front() == u'-' || s.front() == u'@'))
        s.prepend(u'\'');
    if (s.contains(u',') || s.contains(u'"') || s.contains(u'\n') || s.contains(u'\r'))
        s = u'"' + s.replace(u'"', QStringLiteral("\"\"")) + u'"';
    return s;
}

} // namespace

QString outcomeName(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Expired:
        return QStringLiteral("Expired");
    case Outcome::Ended:
        return QStringLiteral("Ended");
    case Outcome::Deactivated:
        return QStringLiteral("Deactivated");
    case Outcome::Canceled:
        return QStringLiteral("Canceled");
    case Outcome::Denied:
        return QStringLiteral("Denied");
    case Outcome::Failed:
        return QStringLiteral("Failed");
    case Outcome::Lapsed:
        return QStringLiteral("Lapsed");
    }
    return {};
}

std::optional<Outcome> outcomeFrom(const QString &name)
{
    for (const Outcome o : {Outcome::Expired, Outcome::Ended, Outcome::Deactivated, Outcome::Canceled,
                            Outcome::Denied, Outcome::Failed, Outcome::Lapsed})
        if (name == outcomeName(o))
            return o;
    return std::nullopt;
}

HistoryStore::HistoryStore(QString path, QString connection)
    : m_path(std::move(path))
    , m_connection(std::move(connection))
{ }

HistoryStore::~HistoryStore()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

Result<std::unique_ptr<HistoryStore>> HistoryStore::open(const QString &path)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error::make(Error::Kind::Internal,
                           QStringLiteral("history: cannot create the folder %1").arg(info.absolutePath()));
    const bool existed = info.exists();
    const QString connection
        = QStringLiteral("elevate-history-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    std::unique_ptr<HistoryStore> store(new HistoryStore(path, connection));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return dbError(QStringLiteral("cannot open %1").arg(path), db.lastError());
    if (!existed)
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QSqlQuery q(db);
    for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"})
        if (!q.exec(QString::fromLatin1(pragma)))
            return dbError(QStringLiteral("setting up"), q.lastError());
    if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS requests ("
                               "request_id TEXT PRIMARY KEY, target TEXT, group_id TEXT, group_name TEXT,"
                               " access_id TEXT, requested_at TEXT, start_at TEXT, end_at TEXT,"
                               " duration_secs INTEGER, justification TEXT, ticket_system TEXT,"
                               " ticket_number TEXT, status TEXT, approver TEXT, decision TEXT,"
                               " decision_justification TEXT, outcome TEXT, ended_at TEXT)")))
        return dbError(QStringLiteral("creating the table"), q.lastError());
    // Added after the first release of the table: add it where it is missing.
    bool hasPrincipal = false;
    if (q.exec(QStringLiteral("PRAGMA table_info(requests)")))
        while (q.next())
            hasPrincipal = hasPrincipal || q.value(1).toString() == u"principal_id";
    if (!hasPrincipal && !q.exec(QStringLiteral("ALTER TABLE requests ADD COLUMN principal_id TEXT")))
        return dbError(QStringLiteral("upgrading the table"), q.lastError());
    if (!q.exec(
            QStringLiteral("CREATE TABLE IF NOT EXISTS seen (kind TEXT NOT NULL, id TEXT NOT NULL, at TEXT,"
                           " PRIMARY KEY (kind, id))")))
        return dbError(QStringLiteral("creating the table"), q.lastError());
    return Result<std::unique_ptr<HistoryStore>>(std::move(store));
}

Result<void> HistoryStore::record(const HistoryEntry &e)
{
    if (e.requestId.isEmpty())
        return Error::make(Error::Kind::InvalidInput, QStringLiteral("history: an entry needs a request id"));
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QStringList names, placeholders, updates;
    for (const char *c : kColumns) {
        const QString name = QString::fromLatin1(c);
        names << name;
        placeholders << u':' + name;
        if (name != u"request_id")
            updates << QStringLiteral("%1=COALESCE(NULLIF(excluded.%1,''),%1)").arg(name);
    }
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO requests (%1) VALUES (%2) ON CONFLICT(request_id) DO UPDATE SET %3")
                  .arg(names.join(u','), placeholders.join(u','), updates.join(u',')));
    q.bindValue(QStringLiteral(":request_id"), e.requestId);
    q.bindValue(QStringLiteral(":target"), e.target);
    q.bindValue(QStringLiteral(":group_id"), e.groupId);
    q.bindValue(QStringLiteral(":group_name"), e.groupName);
    q.bindValue(QStringLiteral(":access_id"), e.access ? accessIdOf(*e.access) : QString());
    q.bindValue(QStringLiteral(":requested_at"), timeValue(e.requestedAt));
    q.bindValue(QStringLiteral(":start_at"), timeValue(e.startAt));
    q.bindValue(QStringLiteral(":end_at"), timeValue(e.endAt));
    q.bindValue(QStringLiteral(":duration_secs"),
                e.durationSecs > 0 ? QVariant(e.durationSecs) : QVariant(QString()));
    q.bindValue(QStringLiteral(":justification"), e.justification);
    q.bindValue(QStringLiteral(":ticket_system"), e.ticketSystem);
    q.bindValue(QStringLiteral(":ticket_number"), e.ticketNumber);
    q.bindValue(QStringLiteral(":status"), e.status);
    q.bindValue(QStringLiteral(":approver"), e.approver);
    q.bindValue(QStringLiteral(":decision"), e.decision);
    q.bindValue(QStringLiteral(":decision_justification"), e.decisionJustification);
    q.bindValue(QStringLiteral(":outcome"), e.outcome);
    q.bindValue(QStringLiteral(":ended_at"), timeValue(e.endedAt));
    q.bindValue(QStringLiteral(":principal_id"), e.principalId);
    if (!q.exec())
        return dbError(QStringLiteral("writing"), q.lastError());
    return {};
}

Result<QList<HistoryEntry>> HistoryStore::select(const QString &where, int limit,
                                                 const QString &principalId) const
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QStringList names;
    for (const char *c : kColumns)
        names << QString::fromLatin1(c);
    QString sql = QStringLiteral("SELECT %1 FROM requests %2 ORDER BY requested_at DESC, rowid DESC")
                      .arg(names.join(u','), where);
    if (limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(limit);
    QSqlQuery q(db);
    q.prepare(sql);
    if (!principalId.isEmpty())
        q.bindValue(QStringLiteral(":principal"), principalId);
    if (!q.exec())
        return dbError(QStringLiteral("reading"), q.lastError());
    QList<HistoryEntry> out;
    while (q.next()) {
        HistoryEntry e;
        int i = 0;
        e.requestId = q.value(i++).toString();
        e.target = q.value(i++).toString();
        e.groupId = q.value(i++).toString();
        e.groupName = q.value(i++).toString();
        const QString access = q.value(i++).toString();
        e.access = access.isEmpty() ? std::nullopt : accessKindFrom(access);
        e.requestedAt = timeFrom(q.value(i++));
        e.startAt = timeFrom(q.value(i++));
        e.endAt = timeFrom(q.value(i++));
        e.durationSecs = q.value(i++).toLongLong();
        e.justification = q.value(i++).toString();
        e.ticketSystem = q.value(i++).toString();
        e.ticketNumber = q.value(i++).toString();
        e.status = q.value(i++).toString();
        e.approver = q.value(i++).toString();
        e.decision = q.value(i++).toString();
        e.decisionJustification = q.value(i++).toString();
        e.outcome = q.value(i++).toString();
        e.endedAt = timeFrom(q.value(i++));
        e.principalId = q.value(i++).toString();
        out << e;
    }
    return out;
}

Result<QList<HistoryEntry>> HistoryStore::entries(int limit) const
{
    return select({}, limit);
}

Result<QList<HistoryEntry>> HistoryStore::openEntries(const QString &principalId) const
{
    if (principalId.isEmpty())
        return select(QStringLiteral("WHERE outcome IS NULL OR outcome = ''"), 0);
    return select(QStringLiteral("WHERE (outcome IS NULL OR outcome = '') AND principal_id = :principal"), 0,
                  principalId);
}

Result<QStringList> HistoryStore::recentDistinct(const QString &column, int limit) const
{
    QSqlDatabase db = QSqlDatabase::database(m_connection);
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral(
                    "SELECT %1, MAX(requested_at) AS last FROM requests WHERE %1 IS NOT NULL AND %1 != ''"
                    " GROUP BY %1 ORDER BY last DESC LIMIT %2")
                    .arg(column)
                    .arg(limit)))
        return dbError(QStringLiteral("reading"), q.lastError());
    QStringList out;
    while (q.next())
        out << q.value(0).toString();
    return out;
}

Result<QStringList> HistoryStore::recentJustifications(int limit) const
{
    return recentDistinct(QStringLiteral("justification"), limit);
}

Result<QStringList> HistoryStore::recentTicketSystems(int limit) const
{
    return recentDistinct(QStringLiteral("ticket_system"), limit);
}

Result<bool> HistoryStore::markSeen(const QString &kind, const QString &id, const QDateTime &at)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT OR IGNORE INTO seen (kind, id, at) VALUES (:kind, :id, :at)"));
    q.bindValue(QStringLiteral(":kind"), kind);
    q.bindValue(QStringLiteral(":id"), id);
    q.bindValue(QStringLiteral(":at"), at.toUTC().toString(Qt::ISODate));
    if (!q.exec())
        return dbError(QStringLiteral("writing"), q.lastError());
    return q.numRowsAffected() > 0;
}

Result<void> HistoryStore::markSeenAt(const QString &kind, const QString &id, const QDateTime &at)
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO seen (kind, id, at) VALUES (:kind, :id, :at)"));
    q.bindValue(QStringLiteral(":kind"), kind);
    q.bindValue(QStringLiteral(":id"), id);
    q.bindValue(QStringLiteral(":at"), at.toUTC().toString(Qt::ISODate));
    if (!q.exec())
        return dbError(QStringLiteral("writing"), q.lastError());
    return {};
}

Result<QDateTime> HistoryStore::seenAt(const QString &kind, const QString &id) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT at FROM seen WHERE kind = :kind AND id = :id"));
    q.bindValue(QStringLiteral(":kind"), kind);
    q.bindValue(QStringLiteral(":id"), id);
    if (!q.exec())
        return dbError(QStringLiteral("reading"), q.lastError());
    if (!q.next())
        return QDateTime();
    return QDateTime::fromString(q.value(0).toString(), Qt::ISODate);
}

Result<bool> HistoryStore::anySeen(const QString &kind) const
{
    QSqlQuery q(QSqlDatabase::database(m_connection));
    q.prepare(QStringLiteral("SELECT 1 FROM seen WHERE kind = :kind LIMIT 1"));
    q.bindValue(QStringLiteral(":kind"), kind);
    if (!q.exec())
        return dbError(QStringLiteral("reading"), q.lastError());
    return q.next();
}

QByteArray HistoryStore::toCsv(const QList<HistoryEntry> &entries)
{
    QString out = QStringLiteral("request_id,target,group,requested_at,start_at,end_at,duration_minutes,"
                                 "justification,ticket_system,ticket_number,status,approver,decision,"
                                 "decision_justification,outcome,ended_at\r\n");
    auto t = [](const QDateTime &d) { return d.isValid() ? d.toUTC().toString(Qt::ISODate) : QString(); };
    for (const auto &e : entries) {
        const QStringList cells = {e.requestId,
                                   e.target,
                                   e.groupName,
                                   t(e.requestedAt),
                                   t(e.startAt),
                                   t(e.endAt),
                                   e.durationSecs > 0 ? QString::number(e.durationSecs / 60) : QString(),
                                   e.justification,
                                   e.ticketSystem,
                                   e.ticketNumber,
                                   e.status,
                                   e.approver,
                                   e.decision,
                                   e.decisionJustification,
                                   e.outcome,
                                   t(e.endedAt)};
        QStringList escaped;
        for (const auto &c : cells)
            escaped << csvCell(c);
        out += escaped.join(u',') + QStringLiteral("\r\n");
    }
    return out.toUtf8();
}

} // namespace Elevate::Core

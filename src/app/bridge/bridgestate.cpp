// SPDX-License-Identifier: GPL-3.0-or-later
#include "bridgestate.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

namespace Elevate::Bridge {

using Core::Error;
using Core::Result;

namespace {

/// The schema this build writes. A file whose PRAGMA user_version is higher came from a newer
/// bridge: it is refused rather than read with columns this one does not know.
constexpr int kSchemaVersion = 1;

constexpr QFileDevice::Permissions kDirMode
    = QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner;
constexpr QFileDevice::Permissions kFileMode = QFileDevice::ReadOwner | QFileDevice::WriteOwner;

const char *const kMembershipColumns[]
    = {"group_id",   "principal_id", "instance_id", "assignment_type", "start_at",
       "end_at",     "first_seen",   "last_seen",   "ended_seen",      "start_pushed",
       "end_pushed", "baseline",     "last_result", "attempts",        "next_attempt"};

Error dbError(const QString &what, const QSqlError &e)
{
    return Error::make(Error::Kind::Internal, QStringLiteral("state: %1: %2").arg(what, e.text()));
}

// Times are stored as epoch milliseconds (INTEGER, UTC by definition): exact to the millisecond,
// ordered and compared by SQLite as numbers (prune), and NULL for an invalid QDateTime.
QVariant timeValue(const QDateTime &t)
{
    return t.isValid() ? QVariant(t.toMSecsSinceEpoch()) : QVariant(); // no value: NULL
}

QDateTime timeFrom(const QVariant &v)
{
    if (v.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(v.toLongLong(), Qt::UTC);
}

/// Creates the missing folders of `dir` one by one, each 0700 whatever the umask; folders that
/// already exist are left as they are (the operator chose them).
bool makeDirs(const QString &dir)
{
    QStringList missing;
    QString at = QDir::cleanPath(QFileInfo(dir).absoluteFilePath());
    while (!QFileInfo::exists(at)) {
        missing.prepend(at);
        const QString parent = QFileInfo(at).absolutePath();
        if (parent == at)
            return false;
        at = parent;
    }
    if (!QFileInfo(at).isDir())
        return false;
    for (const QString &d : std::as_const(missing)) {
        if (!QDir().mkdir(d, kDirMode) && !QFileInfo(d).isDir())
            return false;
        if (!QFile::setPermissions(d, kDirMode))
            return false;
    }
    return true;
}

} // namespace

struct BridgeState::Private
{
    QString path;
    QString connection;

    QSqlDatabase db() const { return QSqlDatabase::database(connection, false); }
};

BridgeState::BridgeState()
    : d(std::make_unique<Private>())
{ }

BridgeState::~BridgeState()
{
    if (d->connection.isEmpty())
        return;
    {
        QSqlDatabase db = d->db();
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(d->connection);
}

Result<std::unique_ptr<BridgeState>> BridgeState::open(const QString &path)
{
    if (path.isEmpty())
        return Error::make(Error::Kind::Config, QStringLiteral("state: no file given (bridge.statePath)"));
    const QFileInfo info(path);
    if (!makeDirs(info.absolutePath()))
        return Error::make(Error::Kind::Config,
                           QStringLiteral("state: cannot create the folder %1").arg(info.absolutePath()));
    if (info.exists() && !info.isFile())
        return Error::make(Error::Kind::Config, QStringLiteral("state: %1 is not a file").arg(path));
    if (!info.exists()) {
        // Created here, owner-only from the first byte, so SQLite's default mode (0644 less the
        // umask) never applies; then chmod, since open() is subject to the umask too.
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::NewOnly, kFileMode))
            return Error::make(Error::Kind::Config,
                               QStringLiteral("state: cannot create %1: %2").arg(path, f.errorString()));
        f.close();
        if (!QFile::setPermissions(path, kFileMode))
            return Error::make(Error::Kind::Config,
                               QStringLiteral("state: cannot make %1 owner-only").arg(path));
    }
    // An existing file keeps its mode: SQLite gives its -wal and -shm files the database's mode.

    std::unique_ptr<BridgeState> state(new BridgeState());
    state->d->path = path;
    state->d->connection
        = QStringLiteral("elevate-bridge-state-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), state->d->connection);
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return dbError(QStringLiteral("cannot open %1").arg(path), db.lastError());

    QSqlQuery q(db);
    // Read before anything writes: a file that is not SQLite fails here and is left as it was, and
    // a newer schema is refused before its journal mode or tables are touched.
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next())
        return Error::make(Error::Kind::Config,
                           QStringLiteral("state: %1 is not a readable SQLite database: %2")
                               .arg(path, q.lastError().text()));
    const int version = q.value(0).toInt();
    q.finish();
    if (version > kSchemaVersion)
        return Error::make(Error::Kind::Config,
                           QStringLiteral("state: %1 was written by a newer elevate-bridge (schema version "
                                          "%2; this one knows up to %3); use that version or another file")
                               .arg(path)
                               .arg(version)
                               .arg(kSchemaVersion));

    // WAL: an operator's sqlite3 or a backup reading the file never blocks the bridge's writes
    // (nor the reverse); synchronous=FULL syncs the log at each commit, so every write is durable
    // when its call returns, as the header promises.
    for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"})
        if (!q.exec(QString::fromLatin1(pragma)))
            return dbError(QStringLiteral("setting up %1").arg(path), q.lastError());
    q.finish();

    if (version < kSchemaVersion) {
        // Version 0: a new (empty) file. Later versions migrate from here, step by step.
        if (!db.transaction())
            return dbError(QStringLiteral("creating the tables"), db.lastError());
        const QString statements[] = {
            QStringLiteral("CREATE TABLE IF NOT EXISTS memberships ("
                           "group_id TEXT NOT NULL, principal_id TEXT NOT NULL, instance_id TEXT,"
                           " assignment_type TEXT, start_at INTEGER, end_at INTEGER, first_seen INTEGER,"
                           " last_seen INTEGER, ended_seen INTEGER, start_pushed INTEGER,"
                           " end_pushed INTEGER, baseline INTEGER NOT NULL DEFAULT 0, last_result TEXT,"
                           " attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER,"
                           " PRIMARY KEY (group_id, principal_id))"),
            QStringLiteral("CREATE TABLE IF NOT EXISTS pushes ("
                           "id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER, group_id TEXT,"
                           " principal_ids TEXT, result TEXT, reason TEXT,"
                           " dry_run INTEGER NOT NULL DEFAULT 0)"),
            QStringLiteral("CREATE INDEX IF NOT EXISTS pushes_at ON pushes (at)"),
            QStringLiteral("CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT)"),
            QStringLiteral("PRAGMA user_version = %1").arg(kSchemaVersion),
        };
        for (const QString &sql : statements) {
            if (!q.exec(sql)) {
                const Error e = dbError(QStringLiteral("creating the tables"), q.lastError());
                db.rollback();
                return e;
            }
        }
        q.finish();
        if (!db.commit())
            return dbError(QStringLiteral("creating the tables"), db.lastError());
    }
    return Result<std::unique_ptr<BridgeState>>(std::move(state));
}

QString BridgeState::path() const
{
    return d->path;
}

Result<QList<Membership>> BridgeState::memberships() const
{
    QStringList names;
    for (const char *c : kMembershipColumns)
        names << QString::fromLatin1(c);
    QSqlQuery q(d->db());
    if (!q.exec(QStringLiteral("SELECT %1 FROM memberships ORDER BY group_id, principal_id")
                    .arg(names.join(u','))))
        return dbError(QStringLiteral("reading memberships"), q.lastError());
    QList<Membership> out;
    while (q.next()) {
        Membership m;
        int i = 0;
        m.groupId = q.value(i++).toString();
        m.principalId = q.value(i++).toString();
        m.instanceId = q.value(i++).toString();
        m.assignmentType = q.value(i++).toString();
        m.start = timeFrom(q.value(i++));
        m.end = timeFrom(q.value(i++));
        m.firstSeen = timeFrom(q.value(i++));
        m.lastSeen = timeFrom(q.value(i++));
        m.endedSeen = timeFrom(q.value(i++));
        m.startPushed = timeFrom(q.value(i++));
        m.endPushed = timeFrom(q.value(i++));
        m.baseline = q.value(i++).toInt() != 0;
        m.lastResult = q.value(i++).toString();
        m.attempts = q.value(i++).toInt();
        m.nextAttempt = timeFrom(q.value(i++));
        out << m;
    }
    return out;
}

Result<void> BridgeState::save(const Membership &m)
{
    if (m.groupId.isEmpty() || m.principalId.isEmpty())
        return Error::make(Error::Kind::InvalidInput,
                           QStringLiteral("state: a membership needs a group id and a principal id"));
    QStringList names, placeholders;
    for (const char *c : kMembershipColumns) {
        names << QString::fromLatin1(c);
        placeholders << u':' + QString::fromLatin1(c);
    }
    QSqlQuery q(d->db());
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO memberships (%1) VALUES (%2)")
                  .arg(names.join(u','), placeholders.join(u',')));
    q.bindValue(QStringLiteral(":group_id"), m.groupId);
    q.bindValue(QStringLiteral(":principal_id"), m.principalId);
    q.bindValue(QStringLiteral(":instance_id"), m.instanceId);
    q.bindValue(QStringLiteral(":assignment_type"), m.assignmentType);
    q.bindValue(QStringLiteral(":start_at"), timeValue(m.start));
    q.bindValue(QStringLiteral(":end_at"), timeValue(m.end));
    q.bindValue(QStringLiteral(":first_seen"), timeValue(m.firstSeen));
    q.bindValue(QStringLiteral(":last_seen"), timeValue(m.lastSeen));
    q.bindValue(QStringLiteral(":ended_seen"), timeValue(m.endedSeen));
    q.bindValue(QStringLiteral(":start_pushed"), timeValue(m.startPushed));
    q.bindValue(QStringLiteral(":end_pushed"), timeValue(m.endPushed));
    q.bindValue(QStringLiteral(":baseline"), m.baseline ? 1 : 0);
    q.bindValue(QStringLiteral(":last_result"), m.lastResult);
    q.bindValue(QStringLiteral(":attempts"), m.attempts);
    q.bindValue(QStringLiteral(":next_attempt"), timeValue(m.nextAttempt));
    if (!q.exec())
        return dbError(QStringLiteral("saving a membership"), q.lastError());
    return {};
}

Result<void> BridgeState::remove(const QString &groupId, const QString &principalId)
{
    QSqlQuery q(d->db());
    q.prepare(QStringLiteral("DELETE FROM memberships WHERE group_id = :g AND principal_id = :p"));
    q.bindValue(QStringLiteral(":g"), groupId);
    q.bindValue(QStringLiteral(":p"), principalId);
    if (!q.exec())
        return dbError(QStringLiteral("removing a membership"), q.lastError());
    return {};
}

Result<void> BridgeState::logPush(const PushRecord &r)
{
    QJsonArray ids;
    for (const QString &id : r.principalIds)
        ids.append(id);
    QSqlQuery q(d->db());
    q.prepare(QStringLiteral("INSERT INTO pushes (at, group_id, principal_ids, result, reason, dry_run)"
                             " VALUES (:at, :g, :ids, :result, :reason, :dry)"));
    q.bindValue(QStringLiteral(":at"), timeValue(r.at));
    q.bindValue(QStringLiteral(":g"), r.groupId);
    q.bindValue(QStringLiteral(":ids"), QString::fromUtf8(QJsonDocument(ids).toJson(QJsonDocument::Compact)));
    q.bindValue(QStringLiteral(":result"), r.result);
    q.bindValue(QStringLiteral(":reason"), r.reason);
    q.bindValue(QStringLiteral(":dry"), r.dryRun ? 1 : 0);
    if (!q.exec())
        return dbError(QStringLiteral("recording a push"), q.lastError());
    return {};
}

Result<QList<PushRecord>> BridgeState::pushes(int limit) const
{
    QString sql = QStringLiteral("SELECT at, group_id, principal_ids, result, reason, dry_run FROM pushes"
                                 " ORDER BY at DESC, id DESC");
    if (limit > 0)
        sql += QStringLiteral(" LIMIT %1").arg(limit);
    QSqlQuery q(d->db());
    if (!q.exec(sql))
        return dbError(QStringLiteral("reading pushes"), q.lastError());
    QList<PushRecord> out;
    while (q.next()) {
        PushRecord r;
        r.at = timeFrom(q.value(0));
        r.groupId = q.value(1).toString();
        const QJsonArray ids = QJsonDocument::fromJson(q.value(2).toString().toUtf8()).array();
        for (const auto &id : ids)
            r.principalIds << id.toString();
        r.result = q.value(3).toString();
        r.reason = q.value(4).toString();
        r.dryRun = q.value(5).toInt() != 0;
        out << r;
    }
    return out;
}

Result<void> BridgeState::prune(const QDateTime &before)
{
    if (!before.isValid())
        return Error::make(Error::Kind::InvalidInput, QStringLiteral("state: prune needs a valid time"));
    QSqlDatabase db = d->db();
    if (!db.transaction())
        return dbError(QStringLiteral("pruning"), db.lastError());
    QSqlQuery q(db);
    const qint64 cut = before.toMSecsSinceEpoch();
    const QString statements[] = {
        QStringLiteral("DELETE FROM pushes WHERE at < :cut"),
        QStringLiteral("DELETE FROM memberships WHERE end_pushed IS NOT NULL AND end_pushed < :cut"),
    };
    for (const QString &sql : statements) {
        q.prepare(sql);
        q.bindValue(QStringLiteral(":cut"), cut);
        if (!q.exec()) {
            const Error e = dbError(QStringLiteral("pruning"), q.lastError());
            db.rollback();
            return e;
        }
    }
    q.finish();
    if (!db.commit())
        return dbError(QStringLiteral("pruning"), db.lastError());
    return {};
}

QString BridgeState::fact(const QString &key) const
{
    QSqlQuery q(d->db());
    q.prepare(QStringLiteral("SELECT value FROM facts WHERE key = :k"));
    q.bindValue(QStringLiteral(":k"), key);
    if (!q.exec() || !q.next())
        return {};
    return q.value(0).toString();
}

Result<void> BridgeState::setFact(const QString &key, const QString &value)
{
    if (key.isEmpty())
        return Error::make(Error::Kind::InvalidInput, QStringLiteral("state: a fact needs a key"));
    QSqlQuery q(d->db());
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO facts (key, value) VALUES (:k, :v)"));
    q.bindValue(QStringLiteral(":k"), key);
    q.bindValue(QStringLiteral(":v"), value);
    if (!q.exec())
        return dbError(QStringLiteral("writing a fact"), q.lastError());
    return {};
}

} // namespace Elevate::Bridge

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QFileSystemWatcher>
#include <QObject>
#include <QString>

namespace Elevate::Core {

/**
 * A local signal between Elevate's processes that something changed (a request sent, canceled, a
 * grant ended, a decision made) so the others look again now instead of at their next sync. It owns a
 * small stamp file beside the history database: touch() replaces it (atomically) with a new unique
 * content; an object that watch()es the same file emits `changedElsewhere` once per content it did
 * not write itself. The stamp holds no secrets and no data, only who wrote it and a counter.
 *
 *   elevate request …  ─touch()─▶ <data dir>/changes.stamp ─inotify─▶ tray: changedElsewhere ─▶ sync
 *
 * No polling: the operating system's file notification (QFileSystemWatcher) wakes the watcher. The
 * directory is watched as well as the file, because an atomic replace gives the file a new inode.
 */
class ChangeNotice : public QObject
{
    Q_OBJECT
public:
    /// `stampPath`: the stamp file; see beside().
    explicit ChangeNotice(QString stampPath, QObject *parent = nullptr);

    /// The stamp file that goes with a history database (same directory).
    static QString beside(const QString &historyPath);

    QString path() const { return m_path; }
    /// What the stamp said when this object last looked at it (for tests and diagnostics).
    QByteArray lastStamp() const { return m_lastSeen; }

    /// Tells every watcher that something changed. False when the stamp cannot be written (the
    /// others then notice at their next sync; nothing is lost).
    bool touch();
    /// Starts watching (creating the directory and the stamp when missing). False when the
    /// operating system will not watch it.
    bool watch();

Q_SIGNALS:
    /// Another process (or another ChangeNotice object) touched the stamp. Bursts of events for one
    /// touch come out as one signal; several touches may also come out as one.
    void changedElsewhere();

private:
    void look();
    QByteArray read() const;

    QString m_path;
    QByteArray m_writer; // unique per object: what our own stamps start with
    quint64 m_counter = 0;
    QByteArray m_lastSeen;
    QFileSystemWatcher m_watcher;
    bool m_watching = false;
};

} // namespace Elevate::Core

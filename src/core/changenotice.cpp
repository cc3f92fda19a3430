// SPDX-License-Identifier: GPL-3.0-or-later
#include "changenotice.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QUuid>

namespace Elevate::Core {

Q_LOGGING_CATEGORY(lcNotice, "elevate.core.notice", QtInfoMsg)

namespace {
constexpr qint64 kMaxStamp = 256; // a stamp is one short line; never read more
}

ChangeNotice::ChangeNotice(QString stampPath, QObject *parent)
    : QObject(parent)
    , m_path(std::move(stampPath))
    , m_writer(QUuid::createUuid().toByteArray(QUuid::WithoutBraces))
{
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &ChangeNotice::look);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, this, &ChangeNotice::look);
}

QString ChangeNotice::beside(const QString &historyPath)
{
    return QFileInfo(historyPath).absoluteDir().filePath(QStringLiteral("changes.stamp"));
}

QByteArray ChangeNotice::read() const
{
    QFile f(m_path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.read(kMaxStamp);
}

bool ChangeNotice::touch()
{
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    // Replaced whole, never written in place: a watcher never reads half a stamp.
    QSaveFile f(m_path);
    if (!f.open(QIODevice::WriteOnly)) {
        qCInfo(lcNotice) << "cannot write the change stamp" << m_path << f.errorString();
        return false;
    }
    const QByteArray stamp = m_writer + ' ' + QByteArray::number(++m_counter) + ' '
        + QByteArray::number(QCoreApplication::applicationPid()) + '\n';
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(stamp);
    if (!f.commit()) {
        qCInfo(lcNotice) << "cannot write the change stamp" << m_path << f.errorString();
        return false;
    }
    return true;
}

bool ChangeNotice::watch()
{
    const QFileInfo info(m_path);
    QDir().mkpath(info.absolutePath());
    if (!QFileInfo(info.absolutePath()).isDir()) {
        qCInfo(lcNotice) << "no directory for the change stamp" << m_path;
        return false;
    }
    if (!info.exists())
        touch(); // a file must exist to be watched; our own stamp is no change for us
    m_lastSeen = read();
    const bool dir
        = m_watcher.directories().contains(info.absolutePath()) || m_watcher.addPath(info.absolutePath());
    const bool file = m_watcher.files().contains(m_path) || m_watcher.addPath(m_path);
    m_watching = dir || file;
    if (!m_watching)
        qCInfo(lcNotice) << "cannot watch" << m_path
                         << "; changes from the command line show at the next sync";
    return m_watching;
}

void ChangeNotice::look()
{
    // A replaced file is a new inode: watch that one (the old watch went with the old file).
    if (!m_watcher.files().contains(m_path) && QFileInfo::exists(m_path))
        m_watcher.addPath(m_path);
    const QByteArray stamp = read();
    // The directory changes for any file in it (the history's journal too): only a new stamp counts.
    if (stamp.isEmpty() || stamp == m_lastSeen)
        return;
    m_lastSeen = stamp;
    if (stamp.startsWith(QByteArray(m_writer + ' ')))
        return;
    Q_EMIT changedElsewhere();
}

} // namespace Elevate::Core

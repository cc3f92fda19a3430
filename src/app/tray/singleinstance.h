// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>

#include <memory>

class QLocalServer;
class QLockFile;

namespace Elevate::App {

/**
 * Keeps one tray app per user and configuration. The first instance holds a lock file and listens
 * on a local socket; a second one finds the lock taken, asks the first to show its window, and
 * should then exit. `activationRequested` fires in the first instance for every such request.
 *
 * The socket lives in $XDG_RUNTIME_DIR/elevate/ (a directory only this user can enter), so no other
 * local user can take its name first or connect to it. Only when XDG_RUNTIME_DIR is unset or not
 * private (owned by this user, mode 0700) does it fall back to Qt's default place, with a warning.
 */
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    /// `key` tells instances apart (e.g. the configuration path); `directory` holds the lock file.
    SingleInstance(const QString &key, const QString &directory, QObject *parent = nullptr);
    ~SingleInstance() override;

    /// True when this is the first instance. Otherwise the running one has been asked to show itself.
    bool claim();
    /// The socket's name once claim() ran: a full path under $XDG_RUNTIME_DIR, or a bare name in Qt's
    /// default place.
    QString socketName() const { return m_socket; }

Q_SIGNALS:
    void activationRequested();

private:
    QString m_name;
    QString m_directory;
    QString m_socket;
    std::unique_ptr<QLockFile> m_lock;
    QLocalServer *m_server = nullptr;
};

} // namespace Elevate::App

// SPDX-License-Identifier: GPL-3.0-or-later
#include "singleinstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLockFile>

namespace Elevate::App {

SingleInstance::SingleInstance(const QString &key, const QString &directory, QObject *parent)
    : QObject(parent)
    , m_name(
          QStringLiteral("elevate-%1-%2")
              .arg(qEnvironmentVariable("USER", QStringLiteral("user")),
                   QString::fromLatin1(
                       QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex().left(16))))
    , m_directory(directory)
{ }

SingleInstance::~SingleInstance() = default;

bool SingleInstance::claim()
{
    QDir().mkpath(m_directory);
    m_lock = std::make_unique<QLockFile>(m_directory + u'/' + m_name + QStringLiteral(".lock"));
    m_lock->setStaleLockTime(0); // a crashed instance's lock is stale as soon as its process is gone
    if (!m_lock->tryLock(100)) {
        QLocalSocket socket;
        socket.connectToServer(m_name);
        if (socket.waitForConnected(1000)) {
            socket.write("show\n");
            socket.waitForBytesWritten(1000);
        }
        return false;
    }
    m_server = new QLocalServer(this);
    QLocalServer::removeServer(m_name); // a socket left by a crash
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *s = m_server->nextPendingConnection()) {
            connect(s, &QLocalSocket::readyRead, s, [this, s] {
                if (s->readAll().startsWith("show"))
                    Q_EMIT activationRequested();
                s->disconnectFromServer();
            });
            connect(s, &QLocalSocket::disconnected, s, &QObject::deleteLater);
        }
    });
    m_server->listen(m_name);
    return true;
}

} // namespace Elevate::App

// SPDX-License-Identifier: GPL-3.0-or-later
#include "singleinstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLockFile>
#include <QLoggingCategory>

#ifdef Q_OS_UNIX
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace Elevate::App {

namespace {

Q_LOGGING_CATEGORY(lcInstance, "elevate.tray.instance", QtInfoMsg)

#ifdef Q_OS_UNIX
/// Empty when `path` is a directory owned by this user that nobody else may enter (mode 0700), else
/// what is wrong with it.
QString privateDirectoryProblem(const QString &path)
{
    struct stat st
    { };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0 || !S_ISDIR(st.st_mode))
        return QStringLiteral("%1 is not a directory").arg(path);
    if (st.st_uid != ::geteuid())
        return QStringLiteral("%1 belongs to another user").arg(path);
    if ((st.st_mode & 0777) != 0700)
        return QStringLiteral("%1 is not private (mode %2, not 0700)")
            .arg(path, QString::number(st.st_mode & 0777, 8));
    return {};
}

/// $XDG_RUNTIME_DIR/elevate/<name>, or empty (and why) when XDG_RUNTIME_DIR cannot be used.
QString runtimeSocketPath(const QString &name, QString *why)
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.isEmpty()) {
        *why = QStringLiteral("XDG_RUNTIME_DIR is not set");
        return {};
    }
    if (QDir::isRelativePath(runtime)) {
        *why = QStringLiteral("XDG_RUNTIME_DIR (%1) is not an absolute path").arg(runtime);
        return {};
    }
    if (const QString problem = privateDirectoryProblem(runtime); !problem.isEmpty()) {
        *why = QStringLiteral("XDG_RUNTIME_DIR: ") + problem;
        return {};
    }
    const QString dir = QDir::cleanPath(runtime) + QStringLiteral("/elevate");
    // Inside a private directory nobody else can have made it; make it private too if it is not.
    if (::mkdir(QFile::encodeName(dir).constData(), 0700) != 0 && errno != EEXIST) {
        *why = QStringLiteral("cannot create %1").arg(dir);
        return {};
    }
    ::chmod(QFile::encodeName(dir).constData(), 0700);
    if (const QString problem = privateDirectoryProblem(dir); !problem.isEmpty()) {
        *why = problem;
        return {};
    }
    const QString path = dir + u'/' + name;
    // sockaddr_un holds 108 bytes on Linux, 104 elsewhere, with the terminating NUL.
    if (QFile::encodeName(path).size() >= 104) {
        *why = QStringLiteral("%1 is too long for a local socket").arg(path);
        return {};
    }
    return path;
}
#endif

QString socketFor(const QString &name)
{
#ifdef Q_OS_UNIX
    QString why;
    const QString path = runtimeSocketPath(name, &why);
    if (!path.isEmpty())
        return path;
    qCWarning(lcInstance).noquote() << "The single-instance socket goes to the shared temporary directory:"
                                    << why;
#endif
    return name; // Qt's default place (the temporary directory; a named pipe on Windows)
}

} // namespace

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
    m_socket = socketFor(m_name);
    QDir().mkpath(m_directory);
    m_lock = std::make_unique<QLockFile>(m_directory + u'/' + m_name + QStringLiteral(".lock"));
    m_lock->setStaleLockTime(0); // a crashed instance's lock is stale as soon as its process is gone
    if (!m_lock->tryLock(100)) {
        QLocalSocket socket;
        socket.connectToServer(m_socket);
        if (socket.waitForConnected(1000)) {
            socket.write("show\n");
            socket.waitForBytesWritten(1000);
        }
        return false;
    }
    m_server = new QLocalServer(this);
    QLocalServer::removeServer(m_socket); // a socket left by a crash
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
    if (!m_server->listen(m_socket))
        qCWarning(lcInstance).noquote() << "A second start cannot reach this one:" << m_server->errorString();
    return true;
}

} // namespace Elevate::App

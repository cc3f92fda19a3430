// SPDX-License-Identifier: GPL-3.0-or-later
#include "oneshotredirect.h"

#include "logging.h"

#include <QFile>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtEndian>

#ifdef Q_OS_LINUX
#include <unistd.h>
#endif

namespace Elevate::Net {

using Core::Error;

namespace {

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

QByteArray randomPath()
{
    // 256 bits from the system's generator (getrandom), base64url without padding: 43 characters.
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    const QByteArray raw(reinterpret_cast<const char *>(words), sizeof(words));
    return '/' + raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

} // namespace

OneShotRedirect::OneShotRedirect(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
    , m_peerCheck(&OneShotRedirect::peerIsThisUser)
{
    m_server->setMaxPendingConnections(MaxConnections);
    connect(m_server, &QTcpServer::newConnection, this, &OneShotRedirect::onNewConnection);
    m_lifetime.setSingleShot(true);
    connect(&m_lifetime, &QTimer::timeout, this, [this] {
        qCInfo(lcNet) << "console hand-off: the browser did not come in time";
        finish(false);
    });
}

OneShotRedirect::~OneShotRedirect() = default;

Core::Result<QUrl> OneShotRedirect::start(const QUrl &secret, int lifetimeMs)
{
    if (!secret.isValid() || secret.isRelative())
        return Error::make(Error::Kind::InvalidInput, QStringLiteral("nothing to hand to the browser"));
    // A running hand-off ends first, with its own signal.
    finish(false);
    m_location = secret.toEncoded(QUrl::FullyEncoded);
    if (m_location.contains('\r') || m_location.contains('\n'))
        return Error::make(Error::Kind::InvalidInput, QStringLiteral("the URL cannot be a Location header"));
    m_path = randomPath();
    // Loopback interface only, port chosen by the OS.
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        return Error::make(
            Error::Kind::Network,
            QStringLiteral("cannot open a local port for the browser: %1").arg(m_server->errorString()));
    m_url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server->serverPort())
                 + QString::fromLatin1(m_path));
    ++m_round;
    m_waiting = true;
    m_finished = false;
    m_lifetime.start(lifetimeMs);
    return m_url;
}

void OneShotRedirect::cancel()
{
    finish(false);
}

bool OneShotRedirect::isListening() const
{
    return m_server->isListening();
}

void OneShotRedirect::stopListening()
{
    m_waiting = false;
    m_lifetime.stop();
    if (m_server->isListening())
        m_server->close();
}

void OneShotRedirect::finish(bool fetched)
{
    stopListening();
    m_location.clear();
    for (const QPointer<QTcpSocket> &socket : std::as_const(m_connections))
        if (socket)
            socket->abort();
    m_connections.clear();
    if (m_finished)
        return;
    m_finished = true;
    Q_EMIT finished(fetched);
}

void OneShotRedirect::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        if (!m_waiting) {
            socket->abort();
            continue;
        }
        // A few at once (a browser may open spare connections); beyond that the oldest goes.
        m_connections.removeAll(QPointer<QTcpSocket>());
        while (m_connections.size() >= MaxConnections)
            if (QTcpSocket *oldest = m_connections.takeFirst())
                oldest->abort();
        m_connections.append(socket);
        auto *idle = new QTimer(socket);
        idle->setSingleShot(true);
        connect(idle, &QTimer::timeout, socket, &QTcpSocket::abort);
        idle->start(ConnectionTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    }
}

void OneShotRedirect::answer(QTcpSocket *socket, int status, const QByteArray &reason,
                             const QByteArray &extraHeaders)
{
    static const QByteArray body = "Not found.\n";
    const bool withBody = status != 302;
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n" + extraHeaders;
    out += "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n";
    if (withBody)
        out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Connection: close\r\nContent-Length: " + QByteArray::number(withBody ? body.size() : 0)
        + "\r\n\r\n";
    if (withBody)
        out += body;
    socket->write(out);
    socket->disconnectFromHost();
}

void OneShotRedirect::onReadyRead(QTcpSocket *socket)
{
    if (!m_waiting) {
        socket->abort();
        return;
    }
    // The head only, up to its blank line; a body (none is expected) is never read.
    QByteArray head = socket->property("head").toByteArray() + socket->read(MaxHeadBytes + 1);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0 || end > MaxHeadBytes) {
        if (head.size() > MaxHeadBytes) {
            disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
            answer(socket, 431, "Request Header Fields Too Large");
        } else {
            socket->setProperty("head", head);
        }
        return;
    }
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    socket->setProperty("head", QVariant());
    m_connections.removeAll(QPointer<QTcpSocket>(socket)); // answered: no longer counts
    const QList<QByteArray> parts = head.left(head.indexOf("\r\n")).split(' ');
    if (parts.size() != 3 || !parts[2].startsWith("HTTP/1.")) {
        answer(socket, 400, "Bad Request");
        return;
    }
    // Anything but a GET of exactly the path (no query, same case) is someone else's: no side effect.
    if (parts[0] != "GET" || !constantTimeEquals(parts[1], m_path)) {
        answer(socket, 404, "Not Found");
        return;
    }
    if (!m_peerCheck || !m_peerCheck(*socket)) {
        qCWarning(lcNet) << "console hand-off: a request from a process of another user was refused";
        answer(socket, 404, "Not Found");
        return;
    }
    const QByteArray location = m_location;
    stopListening(); // consumed: nobody gets it a second time
    for (const QPointer<QTcpSocket> &other : std::as_const(m_connections))
        if (other)
            other->abort();
    m_connections.clear();
    // finished(true) once the answer is out (the browser has it) or the connection is gone.
    auto done = [this, round = m_round] {
        if (round == m_round)
            finish(true);
    };
    connect(socket, &QTcpSocket::disconnected, this, done);
    connect(socket, &QTcpSocket::errorOccurred, this, done);
    connect(socket, &QObject::destroyed, this, done);
    QTimer::singleShot(ConnectionTimeoutMs, this, done);
    qCInfo(lcNet) << "console hand-off: the browser took the redirect";
    answer(socket, 302, "Found", "Location: " + location + "\r\n");
}

QByteArray OneShotRedirect::procNetTcpEndpoint(quint32 ipv4, quint16 port)
{
    // The kernel prints the address word as it lies in memory (network order) read as a host integer.
    return QByteArray::number(qToBigEndian(ipv4), 16).rightJustified(8, '0').toUpper() + ':'
        + QByteArray::number(port, 16).rightJustified(4, '0').toUpper();
}

std::optional<uint> OneShotRedirect::socketOwner(const QByteArray &procNetTcp, const QByteArray &local,
                                                 const QByteArray &remote)
{
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode"
    for (const QByteArray &line : procNetTcp.split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() < 8 || !f[0].endsWith(':'))
            continue;
        if (f[1].compare(local, Qt::CaseInsensitive) != 0 || f[2].compare(remote, Qt::CaseInsensitive) != 0)
            continue;
        bool ok = false;
        const uint uid = f[7].toUInt(&ok);
        if (ok)
            return uid;
    }
    return std::nullopt;
}

bool OneShotRedirect::peerIsThisUser(const QTcpSocket &socket)
{
#ifdef Q_OS_LINUX
    QFile table(QStringLiteral("/proc/net/tcp"));
    if (!table.open(QIODevice::ReadOnly))
        return false; // cannot tell: refuse (the caller offers --print-url instead)
    bool ok = false;
    const quint32 peer = socket.peerAddress().toIPv4Address(&ok);
    if (!ok)
        return false;
    const quint32 self = socket.localAddress().toIPv4Address(&ok);
    if (!ok)
        return false;
    // The browser's end of the connection: its local address is our peer, its remote one is us.
    const auto owner = socketOwner(table.readAll(), procNetTcpEndpoint(peer, socket.peerPort()),
                                   procNetTcpEndpoint(self, socket.localPort()));
    return owner && *owner == ::getuid();
#else
    Q_UNUSED(socket);
    return true; // no portable way to ask; the random path is the protection there
#endif
}

} // namespace Elevate::Net

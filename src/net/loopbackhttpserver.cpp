// SPDX-License-Identifier: GPL-3.0-or-later
#include "loopbackhttpserver.h"

#include "logging.h"

#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QtEndian>

#include <cstring>

#ifdef Q_OS_LINUX
#include <unistd.h>
#endif

namespace Elevate::Net {

using Core::Error;

namespace {
constexpr char HeadProperty[] = "elevateRequestHead";
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

RequestHead parseRequestHead(const QByteArray &bytes, qsizetype maxHeadBytes)
{
    RequestHead out;
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    if (end < 0) {
        if (bytes.size() > maxHeadBytes)
            out.status = 431; // no end in sight within the limit: not buffered on
        return out;
    }
    out.size = end + 4;
    if (out.size > maxHeadBytes) {
        out.status = 431;
        return out;
    }
    const QList<QByteArray> parts = bytes.left(bytes.indexOf("\r\n")).split(' ');
    if (parts.size() != 3 || !parts[2].startsWith("HTTP/1.")) {
        out.status = 400;
        return out;
    }
    out.status = 200;
    out.method = parts[0];
    out.target = parts[1];
    const qsizetype q = out.target.indexOf('?');
    out.path = q < 0 ? out.target : out.target.left(q);
    if (q >= 0) {
        out.query = out.target.mid(q + 1);
        if (out.query.endsWith('#'))
            out.query.chop(1); // some real redirects end in a stray '#'
    }
    return out;
}

LoopbackHttpServer::LoopbackHttpServer(QObject *parent)
    : QObject(parent)
    , m_server4(new QTcpServer(this))
    , m_server6(new QTcpServer(this))
    , m_peerCheck(&LoopbackHttpServer::peerIsThisUser)
{
    for (QTcpServer *server : {m_server4, m_server6}) {
        server->setMaxPendingConnections(MaxConnections);
        connect(server, &QTcpServer::newConnection, this, [this, server] { onNewConnection(server); });
    }
}

LoopbackHttpServer::~LoopbackHttpServer() = default;

Core::Result<quint16> LoopbackHttpServer::listen(Addresses addresses, quint16 firstPort)
{
    close();
    // Loopback interfaces only, port chosen by the OS (RFC 8252 §7.3, §8.3).
    if (addresses == Addresses::Ipv4Only) {
        if (m_server4->listen(QHostAddress::LocalHost, firstPort))
            return m_server4->serverPort();
        return Error::make(Error::Kind::Network, m_server4->errorString());
    }
    // A URL that says `localhost` may be resolved to ::1 first: whoever held [::1]:port would get
    // the request, so the same port on ::1 is ours too, or another port is used.
    QString why;
    for (int attempt = 0; attempt < ListenAttempts; ++attempt) {
        const quint16 wanted = attempt == 0 ? firstPort : 0;
        if (!m_server4->listen(QHostAddress::LocalHost, wanted)) {
            why = m_server4->errorString();
            if (wanted != 0 && m_server4->serverError() == QAbstractSocket::AddressInUseError)
                continue;
            break;
        }
        const quint16 port = m_server4->serverPort();
        if (m_server6->listen(QHostAddress::LocalHostIPv6, port))
            return port;
        why = m_server6->errorString();
        const QAbstractSocket::SocketError error = m_server6->serverError();
        if (error == QAbstractSocket::UnsupportedSocketOperationError
            || error == QAbstractSocket::SocketAddressNotAvailableError) {
            // No IPv6 loopback at all: nobody can listen on ::1 either.
            qCDebug(lcNet) << "loopback: no IPv6 loopback here, listening on 127.0.0.1 only:" << why;
            return port;
        }
        m_server4->close();
        if (error != QAbstractSocket::AddressInUseError)
            break;
        qCInfo(lcNet) << "loopback: port" << port << "is taken on ::1, trying another one";
    }
    return Error::make(Error::Kind::Network, why);
}

void LoopbackHttpServer::close()
{
    for (QTcpServer *server : {m_server4, m_server6}) {
        if (server->isListening())
            server->close();
    }
}

void LoopbackHttpServer::abortConnections()
{
    const QList<QPointer<QTcpSocket>> open = std::exchange(m_connections, {});
    for (const QPointer<QTcpSocket> &socket : open) {
        if (socket) {
            socket->abort();
            socket->deleteLater();
        }
    }
}

bool LoopbackHttpServer::isListening() const
{
    return m_server4->isListening() || m_server6->isListening();
}

QList<QHostAddress> LoopbackHttpServer::serverAddresses() const
{
    QList<QHostAddress> out;
    for (const QTcpServer *server : {m_server4, m_server6}) {
        if (server->isListening())
            out.append(server->serverAddress());
    }
    return out;
}

void LoopbackHttpServer::onNewConnection(QTcpServer *server)
{
    while (QTcpSocket *socket = server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::errorOccurred, socket, &QObject::deleteLater);
        if (!isListening()) {
            socket->abort();
            continue;
        }
        // Beyond the cap, the oldest unanswered connection goes.
        m_connections.removeAll(QPointer<QTcpSocket>());
        while (m_connections.size() >= MaxConnections) {
            if (QTcpSocket *oldest = m_connections.takeFirst()) {
                qCDebug(lcNet) << "loopback: too many connections, dropping the oldest";
                oldest->abort();
                oldest->deleteLater();
            }
        }
        m_connections.append(socket);
        auto *timeout = new QTimer(socket);
        timeout->setSingleShot(true);
        connect(timeout, &QTimer::timeout, socket, &QTcpSocket::abort);
        timeout->start(m_connectionTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    }
}

void LoopbackHttpServer::release(QTcpSocket *socket)
{
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    socket->setProperty(HeadProperty, QVariant());
    m_connections.removeAll(QPointer<QTcpSocket>(socket));
}

void LoopbackHttpServer::onReadyRead(QTcpSocket *socket)
{
    // The buffer never grows past the limit plus one byte: what lies beyond is not read. Reading
    // less than that means the socket had no more, so no head is left waiting without a signal.
    QByteArray bytes = socket->property(HeadProperty).toByteArray();
    bytes += socket->read(MaxHeadBytes + 1 - bytes.size());
    const RequestHead head = parseRequestHead(bytes, MaxHeadBytes);
    switch (head.status) {
    case 0:
        socket->setProperty(HeadProperty, bytes);
        return;
    case 431:
        release(socket);
        return respond(socket, 431, "Request Header Fields Too Large",
                       {{"Content-Type", "text/plain; charset=utf-8"}}, "Request header fields too large.\n");
    case 400:
        release(socket);
        return respond(socket, 400, "Bad Request", {{"Content-Type", "text/plain; charset=utf-8"}},
                       "Bad request.\n");
    default:
        release(socket);
        Q_EMIT requestReceived(socket, head);
    }
}

void LoopbackHttpServer::respond(QTcpSocket *socket, int status, const QByteArray &reason,
                                 const Headers &headers, const QByteArray &body)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    for (const auto &[name, value] : headers) {
        if (name.contains('\r') || name.contains('\n') || value.contains('\r') || value.contains('\n')) {
            qCWarning(lcNet) << "loopback: a header that would split the answer was left out:"
                             << name.left(40);
            continue;
        }
        out += name + ": " + value + "\r\n";
    }
    out += "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n"
           "Connection: close\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    socket->write(out);
    socket->disconnectFromHost();
}

QByteArray LoopbackHttpServer::procNetTcpEndpoint(const QHostAddress &address, quint16 port)
{
    // The kernel prints each 32-bit word of the address as it lies in memory (network order), read
    // as a host integer: 127.0.0.1 is 0100007F on a little-endian machine.
    QByteArray raw;
    bool ok = false;
    const quint32 ipv4 = address.toIPv4Address(&ok);
    if (ok && address.protocol() == QAbstractSocket::IPv4Protocol) {
        const quint32 networkOrder = qToBigEndian(ipv4);
        raw = QByteArray(reinterpret_cast<const char *>(&networkOrder), 4);
    } else if (address.protocol() == QAbstractSocket::IPv6Protocol) {
        const Q_IPV6ADDR six = address.toIPv6Address();
        raw = QByteArray(reinterpret_cast<const char *>(six.c), 16);
    } else {
        return {};
    }
    QByteArray out;
    for (qsizetype i = 0; i < raw.size(); i += 4) {
        quint32 word = 0;
        std::memcpy(&word, raw.constData() + i, 4);
        out += QByteArray::number(word, 16).rightJustified(8, '0').toUpper();
    }
    return out + ':' + QByteArray::number(port, 16).rightJustified(4, '0').toUpper();
}

std::optional<uint> LoopbackHttpServer::socketOwner(const QByteArray &procNetTcp, const QByteArray &local,
                                                    const QByteArray &remote)
{
    // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode"
    // Read in place (a busy machine's table is long): the first eight blank-separated fields.
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
    const QByteArrayView table(procNetTcp);
    for (qsizetype from = 0; from <= table.size();) {
        qsizetype to = procNetTcp.indexOf('\n', from);
        if (to < 0)
            to = table.size();
        QByteArrayView f[8];
        int fields = 0;
        for (qsizetype i = from; i < to && fields < 8;) {
            while (i < to && blank(table[i]))
                ++i;
            const qsizetype start = i;
            while (i < to && !blank(table[i]))
                ++i;
            if (i > start)
                f[fields++] = table.sliced(start, i - start);
        }
        from = to + 1;
        if (fields < 8 || !f[0].endsWith(':'))
            continue;
        if (f[1].compare(local, Qt::CaseInsensitive) != 0 || f[2].compare(remote, Qt::CaseInsensitive) != 0)
            continue;
        if (f[3] == "06")
            continue; // TIME_WAIT: no owner any more, the kernel prints 0
        bool ok = false;
        const uint uid = f[7].toByteArray().toUInt(&ok);
        if (ok)
            return uid;
    }
    return std::nullopt;
}

bool LoopbackHttpServer::peerIsThisUser(const QTcpSocket &socket)
{
#ifdef Q_OS_LINUX
    const QHostAddress peer = socket.peerAddress();
    const QHostAddress self = socket.localAddress();
    const bool six = self.protocol() == QAbstractSocket::IPv6Protocol;
    if (peer.protocol() != self.protocol())
        return false;
    // The peer's end of the connection: its local address is our peer, its remote one is us.
    const QByteArray theirs = procNetTcpEndpoint(peer, socket.peerPort());
    const QByteArray ours = procNetTcpEndpoint(self, socket.localPort());
    if (theirs.isEmpty() || ours.isEmpty())
        return false;
    // The kernel writes the table in pieces while sockets come and go, so a line can be missed;
    // a missing line is looked for again, a line of another user refuses at once.
    for (int attempt = 0; attempt < 3; ++attempt) {
        QFile table(six ? QStringLiteral("/proc/net/tcp6") : QStringLiteral("/proc/net/tcp"));
        if (!table.open(QIODevice::ReadOnly))
            return false; // cannot tell: refuse
        if (const auto owner = socketOwner(table.readAll(), theirs, ours))
            return *owner == ::getuid();
    }
    return false;
#else
    Q_UNUSED(socket);
    return true;
#endif
}

} // namespace Elevate::Net

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>
#include <utility>

class QTcpServer;
class QTcpSocket;

namespace Elevate::Net {

/// Compares two secrets in time that depends on their length only, not on where they differ.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

/// The request line of one HTTP/1.x request head, as parseRequestHead reads it.
struct RequestHead
{
    /// 0: the head is not complete yet, read on. 431: the head (up to and including its blank
    /// line) is longer than the limit, or more than the limit came without its end. 400: not an
    /// HTTP/1.x request line ("METHOD TARGET HTTP/1.x", single spaces). 200: complete and well formed.
    int status = 0;
    QByteArray method; ///< only for 200, as all that follow
    QByteArray target; ///< as sent
    QByteArray path; ///< the target before its first '?', not decoded
    QByteArray query; ///< after the first '?', not decoded, a trailing '#' dropped; empty without '?'
    qsizetype size = 0; ///< bytes of the head, blank line included
};

/**
 * Reads the head of a request from everything a connection has sent so far (`bytes`: the head and
 * whatever came after it, which is never looked at). Pure: the server, its users' pure functions
 * and the fuzz targets all call it; `maxHeadBytes` is a parameter so a fuzzer can reach the limit
 * with small inputs.
 */
RequestHead parseRequestHead(const QByteArray &bytes, qsizetype maxHeadBytes);

/**
 * The plumbing of Elevate's one-request loopback HTTP listeners (the sign-in redirect, the console
 * hand-off): it owns the listening sockets and the connections until a request head is complete,
 * its users decide what to answer.
 *
 *   listen() ─▶ 127.0.0.1 (and ::1 on the same port) ─▶ connection ─▶ head buffered, at most
 *   MaxHeadBytes ─┬▶ too large: 431, closed      ─┐
 *                 ├▶ not HTTP/1.x: 400, closed    ├ answered here, the user sees nothing
 *                 └▶ complete ─▶ requestReceived(socket, head): the user answers with respond()
 *
 * Bounded: at most MaxConnections unanswered connections (a new one drops the oldest, so a local
 * process cannot starve the browser by holding slow connections open), each closed after the
 * connection timeout whether it has sent anything or not. Answers carry Cache-Control: no-store,
 * Referrer-Policy: no-referrer and X-Content-Type-Options: nosniff, and close the connection.
 * The peer check (who may talk to the listener) is held here and asked by the user where it matters.
 */
class LoopbackHttpServer : public QObject
{
    Q_OBJECT
public:
    enum class Addresses {
        Ipv4Only, ///< 127.0.0.1: for URLs with the IP literal
        Ipv4AndIpv6, ///< 127.0.0.1 and ::1 on the same port: for URLs that say `localhost`
    };
    /// Whether a connection's peer may be answered; the default is peerIsThisUser.
    using PeerCheck = std::function<bool(const QTcpSocket &socket)>;
    using Headers = QList<std::pair<QByteArray, QByteArray>>;

    explicit LoopbackHttpServer(QObject *parent = nullptr);
    ~LoopbackHttpServer() override;

    /**
     * Starts listening on the loopback interface, the port chosen by the OS unless `firstPort` is
     * given. With Ipv4AndIpv6: if the port is taken on either address, another port the OS picks is
     * tried, up to ListenAttempts times; a machine without an IPv6 loopback gets 127.0.0.1 alone.
     * Returns the port; the error's message says why nothing could be opened.
     */
    Core::Result<quint16> listen(Addresses addresses, quint16 firstPort = 0);
    /// Stops listening; connections already open stay until answered or timed out.
    void close();
    /// Drops every connection that has not been handed to the user yet.
    void abortConnections();
    bool isListening() const;
    /// The addresses listened on.
    QList<QHostAddress> serverAddresses() const;

    /// How long one connection may stay open (default ConnectionTimeoutMs); for connections
    /// accepted after the call.
    void setConnectionTimeout(int ms) { m_connectionTimeoutMs = ms; }
    void setPeerCheck(PeerCheck check) { m_peerCheck = std::move(check); }
    /// Asks the peer check; no check set refuses.
    bool peerAllowed(const QTcpSocket &socket) const { return m_peerCheck && m_peerCheck(socket); }

    /// Writes one answer and closes the connection: the status line, `headers` (a header whose
    /// name or value holds CR or LF is left out), the three above, Connection: close and the
    /// Content-Length of `body`.
    static void respond(QTcpSocket *socket, int status, const QByteArray &reason, const Headers &headers = {},
                        const QByteArray &body = {});

    /// On Linux, whether the socket at the other end of `socket` (on this host) belongs to this
    /// process's user, read from /proc/net/tcp or /proc/net/tcp6; false when that cannot be told.
    /// Elsewhere true (no portable way to ask).
    static bool peerIsThisUser(const QTcpSocket &socket);
    /// The owner (uid) of the TCP socket `local` → `remote` in the text of /proc/net/tcp or
    /// /proc/net/tcp6 (endpoints as procNetTcpEndpoint writes them, any case); nothing when no
    /// line has both, or only a TIME_WAIT one (the kernel shows those as root's).
    static std::optional<uint> socketOwner(const QByteArray &procNetTcp, const QByteArray &local,
                                           const QByteArray &remote);
    /// "ADDR:PORT" as /proc/net/tcp (IPv4) or /proc/net/tcp6 (IPv6) writes an endpoint: the address
    /// as the kernel's 32-bit words in hex (each as it lies in memory, read as a host integer), the
    /// port in hex. Empty for an address that is neither.
    static QByteArray procNetTcpEndpoint(const QHostAddress &address, quint16 port);

    static constexpr int MaxHeadBytes = 16 * 1024;
    static constexpr int ConnectionTimeoutMs = 10'000;
    static constexpr int MaxConnections = 8;
    static constexpr int ListenAttempts = 5;

Q_SIGNALS:
    /// A complete, well-formed head has come on `socket`; the socket is the receiver's to answer
    /// (respond()) or abort, and no longer counts against the cap. Emitted directly.
    void requestReceived(QTcpSocket *socket, const Elevate::Net::RequestHead &head);

private:
    void onNewConnection(QTcpServer *server);
    void onReadyRead(QTcpSocket *socket);
    void release(QTcpSocket *socket);

    QTcpServer *m_server4;
    QTcpServer *m_server6;
    QList<QPointer<QTcpSocket>> m_connections; // open and not yet handed over, oldest first
    PeerCheck m_peerCheck;
    int m_connectionTimeoutMs = ConnectionTimeoutMs;
};

} // namespace Elevate::Net

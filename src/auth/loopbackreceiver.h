// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "net/loopbackhttpserver.h"

#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QTimer>

class QTcpSocket;

namespace Elevate::Auth {

/// What the browser brought back to the loopback redirect URI (state already checked).
struct AuthorizationResponse
{
    QString code;
    QString clientInfo;
    QString error; // OAuth `error`, empty on success
    QString errorDescription; // decoded
};

/// What one connection's bytes so far say (parseRedirectRequest).
struct RedirectRequest
{
    /// 0: the head is not complete yet, read on. 431 (too large), 400 (not an HTTP/1.x request
    /// line), 404 (another path or method): answer that and close. 200: a GET of the redirect path.
    int status = 0;
    /// Only for 200: the query's parameters, decoded ('+' is a space, then percent-decoding), the
    /// first occurrence of each name; pairs without a name or without '=' are left out.
    QHash<QByteArray, QString> parameters;
};

/**
 * Reads the request head a browser sends to the loopback redirect URI: `bytes` is everything the
 * connection has sent so far (head, and whatever body came with it), `path` the redirect path;
 * `maxHeadBytes` is the listener's limit (a parameter for the fuzz target). Pure: no state, no side
 * effects; the same as redirectRequest(Net::parseRequestHead(bytes, maxHeadBytes), path).
 */
RedirectRequest parseRedirectRequest(const QByteArray &bytes, const QString &path,
                                     qsizetype maxHeadBytes = Net::LoopbackHttpServer::MaxHeadBytes);
/// What a head (complete or not) says for the redirect path `path`; the listener calls it.
RedirectRequest redirectRequest(const Net::RequestHead &head, const QString &path);

/// How the parameters of a redirect compare with the attempt (matchAuthorizationResponse).
enum class RedirectMatch {
    WrongState, ///< no `state`, or not ours: ignore, keep waiting
    Incomplete, ///< our state, but neither `code` nor `error`
    Accepted, ///< ours, with a code or an error: `*response` is filled in
};

/// Compares `state` with `expectedState` in constant time before looking at anything else.
RedirectMatch matchAuthorizationResponse(const QHash<QByteArray, QString> &parameters,
                                         const QByteArray &expectedState, AuthorizationResponse *response);

/**
 * The one-shot loopback listener of the authorization-code flow (entra-auth.md §7.5):
 * 127.0.0.1 and ::1 on the same OS-assigned port (a browser may resolve `localhost` to either, so
 * nobody else may hold the other one), GET on the redirect path only (everything else 404, no side
 * effects), `state` compared in constant time before anything else (mismatch: 400, keep waiting),
 * a request from a process of another local user refused (403) before its state is looked at,
 * the first matching response (code or error) wins and closes both listening sockets, static reply
 * pages without reflected parameters, size and time limits, at most MaxConnections open
 * connections (the oldest is dropped for a new one); the plumbing is Net::LoopbackHttpServer's.
 * `finished` fires exactly once: with the response, or with Kind::Cancelled on cancel() or time-out.
 *
 * Why the peer check: the authorization URL, state included, reaches the browser as a process
 * argument, which every local user can read in /proc/PID/cmdline; the state alone does not stop
 * another user from answering first, with an error (the sign-in fails) or with a code of their own
 * account issued for the same code_challenge (Elevate would sign in as them).
 */
class LoopbackReceiver : public QObject
{
    Q_OBJECT
public:
    explicit LoopbackReceiver(QObject *parent = nullptr);
    ~LoopbackReceiver() override;

    /// Starts listening; returns the port. `timeoutMs` bounds the whole wait. `firstPort` is the
    /// port tried first (0: the OS picks); if ::1 or 127.0.0.1 is taken on it, another port the OS
    /// picks is tried, a few times.
    Core::Result<quint16> start(const QByteArray &expectedState, int timeoutMs,
                                const QString &path = QStringLiteral("/"), quint16 firstPort = 0);
    void cancel();
    bool isListening() const;
    /// The addresses listened on (127.0.0.1, and ::1 unless the machine has no IPv6).
    QList<QHostAddress> serverAddresses() const;

    /// How long one connection may stay open (default ConnectionTimeoutMs); for connections
    /// accepted after the call.
    void setConnectionTimeout(int ms) { m_server->setConnectionTimeout(ms); }
    /// Replaces the peer check (default: the peer is a process of this user; tests stand in for
    /// another user's process with it). No check refuses every response.
    void setPeerCheck(Net::LoopbackHttpServer::PeerCheck check) { m_server->setPeerCheck(std::move(check)); }

    static constexpr int MaxHeadBytes = Net::LoopbackHttpServer::MaxHeadBytes;
    static constexpr int ConnectionTimeoutMs = Net::LoopbackHttpServer::ConnectionTimeoutMs;
    static constexpr int MaxConnections = Net::LoopbackHttpServer::MaxConnections;
    static constexpr int ListenAttempts = Net::LoopbackHttpServer::ListenAttempts;

Q_SIGNALS:
    void finished(const Elevate::Core::Result<Elevate::Auth::AuthorizationResponse> &result);

private:
    void onRequest(QTcpSocket *socket, const Net::RequestHead &head);
    void finish(const Core::Result<AuthorizationResponse> &result);
    void stopListening();

    Net::LoopbackHttpServer *m_server;
    QTimer m_timeout;
    QByteArray m_state;
    QString m_path;
    bool m_done = true;
};

} // namespace Elevate::Auth

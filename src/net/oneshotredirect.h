// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "net/loopbackhttpserver.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>
#include <QUrl>

class QTcpSocket;

namespace Elevate::Net {

/**
 * Hands a secret URL (the console's federation URL with its SigninToken) to the browser without
 * putting it on a command line, where every local user can read it in /proc/PID/cmdline. The browser
 * gets a loopback URL with a random path instead; that path answers once with a redirect:
 *
 *   start(secret) ─▶ url() = http://127.0.0.1:{port}/{256 random bits, base64url} ─▶ browser argv
 *   GET of exactly that path, from a process of this user ─▶ 302 Location: secret ─▶ listener closed
 *                                                          ─▶ finished(true) once the answer is out
 *   any other request (other path, method, user; malformed) ─▶ 404/400, nothing consumed
 *   lifetime passes, or cancel() ─▶ listener closed ─▶ finished(false)
 *
 * 127.0.0.1 only, port chosen by the OS; bounded: head size, per-connection idle time, concurrent
 * connections (the oldest is dropped beyond the cap; all of it LoopbackHttpServer's) and the whole
 * lifetime. On Linux the connecting socket's owner (/proc/net/tcp) must be this user, so another
 * user who read the loopback URL from the browser's command line cannot take the redirect first.
 * Nothing of the secret or the path is logged. `finished` fires exactly once per start().
 */
class OneShotRedirect : public QObject
{
    Q_OBJECT
public:
    /// Whether a connection may take the redirect; the default checks the peer's user (see above).
    using PeerCheck = LoopbackHttpServer::PeerCheck;

    explicit OneShotRedirect(QObject *parent = nullptr);
    ~OneShotRedirect() override;

    /// Starts listening; returns the URL for the browser. `lifetimeMs` bounds the whole wait.
    Core::Result<QUrl> start(const QUrl &secret, int lifetimeMs = DefaultLifetimeMs);
    /// Stops waiting: finished(false) if it was still waiting.
    void cancel();
    bool isListening() const;
    /// The loopback URL of the running hand-off (empty before start()).
    QUrl url() const { return m_url; }
    /// Replaces the peer check (default LoopbackHttpServer::peerIsThisUser; tests stand in for a
    /// process of another user with it).
    void setPeerCheck(PeerCheck check) { m_server->setPeerCheck(std::move(check)); }

    /// What the hand-off answers a request head for its `path` (pure; the fuzz target calls it):
    /// 302 for a GET of exactly the path (no query, same case), to be given only if the peer check
    /// agrees; 404 for any other complete head; head.status (0, 400, 431) for the others.
    static int answerFor(const RequestHead &head, const QByteArray &path);

    static constexpr int DefaultLifetimeMs = 120'000;
    static constexpr int MaxHeadBytes = LoopbackHttpServer::MaxHeadBytes;
    static constexpr int ConnectionTimeoutMs = LoopbackHttpServer::ConnectionTimeoutMs;
    static constexpr int MaxConnections = LoopbackHttpServer::MaxConnections;

Q_SIGNALS:
    /// `fetched`: the browser took the redirect (its answer has been written); false: it never came.
    void finished(bool fetched);

private:
    void onRequest(QTcpSocket *socket, const RequestHead &head);
    void stopListening();
    void finish(bool fetched);

    LoopbackHttpServer *m_server;
    QTimer m_lifetime;
    QByteArray m_path; // "/" + random
    QByteArray m_location; // the secret, fully encoded
    QUrl m_url;
    bool m_waiting = false; // started, not yet consumed or expired
    bool m_finished = true; // finished has been emitted for the current start()
    quint64 m_round = 0; // which start() a late callback belongs to
};

} // namespace Elevate::Net

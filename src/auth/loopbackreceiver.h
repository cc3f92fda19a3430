// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QHostAddress>
#include <QObject>
#include <QTimer>

class QTcpServer;
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

/**
 * The one-shot loopback listener of the authorization-code flow (entra-auth.md §7.5):
 * 127.0.0.1 only, OS-assigned port, GET on the redirect path only (everything else 404, no side
 * effects), `state` compared in constant time before anything else (mismatch: 400, keep waiting),
 * the first matching response (code or error) wins and closes the listening socket, static reply
 * pages without reflected parameters, size and time limits. `finished` fires exactly once: with the
 * response, or with Kind::Cancelled on cancel() or time-out.
 */
class LoopbackReceiver : public QObject
{
    Q_OBJECT
public:
    explicit LoopbackReceiver(QObject *parent = nullptr);
    ~LoopbackReceiver() override;

    /// Starts listening; returns the port. `timeoutMs` bounds the whole wait.
    Core::Result<quint16> start(const QByteArray &expectedState, int timeoutMs,
                                const QString &path = QStringLiteral("/"));
    void cancel();
    bool isListening() const;
    QHostAddress serverAddress() const;

    static constexpr int MaxHeadBytes = 16 * 1024;
    static constexpr int ConnectionTimeoutMs = 10'000;
    static constexpr int MaxConnections = 8;

Q_SIGNALS:
    void finished(const Elevate::Core::Result<Elevate::Auth::AuthorizationResponse> &result);

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &html);
    void finish(const Core::Result<AuthorizationResponse> &result);
    void stopListening();

    QTcpServer *m_server;
    QTimer m_timeout;
    QByteArray m_state;
    QString m_path;
    bool m_done = true;
};

} // namespace Elevate::Auth

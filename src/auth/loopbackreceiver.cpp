// SPDX-License-Identifier: GPL-3.0-or-later
#include "loopbackreceiver.h"

#include "logging.h"

#include <QFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrl>
#include <QUrlQuery>

namespace Elevate::Auth {

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

QByteArray page(const char *name)
{
    QFile f(QStringLiteral(":/auth/pages/%1").arg(QLatin1String(name)));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<!doctype html><title>Elevate</title>");
}

/// Decodes one query value: '+' is a space in form encoding, then percent-decoding.
QString decodeValue(QByteArray raw)
{
    raw.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
}

} // namespace

RedirectRequest parseRedirectRequest(const QByteArray &bytes, const QString &path)
{
    RedirectRequest out;
    if (bytes.size() > LoopbackReceiver::MaxHeadBytes) {
        out.status = 431;
        return out;
    }
    if (!bytes.contains("\r\n\r\n"))
        return out; // read on
    const QByteArray requestLine = bytes.left(bytes.indexOf("\r\n"));
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || !parts[2].startsWith("HTTP/1.")) {
        out.status = 400;
        return out;
    }
    const QByteArray &target = parts[1];
    const qsizetype q = target.indexOf('?');
    const QByteArray rawPath = q < 0 ? target : target.left(q);
    QByteArray rawQuery = q < 0 ? QByteArray() : target.mid(q + 1);
    if (rawQuery.endsWith('#'))
        rawQuery.chop(1); // some real redirects end in a stray '#'
    if (parts[0] != "GET" || QString::fromUtf8(QByteArray::fromPercentEncoding(rawPath)) != path) {
        out.status = 404; // e.g. /favicon.ico: no side effects
        return out;
    }
    out.status = 200;
    for (const QByteArray &pair : rawQuery.split('&')) {
        const qsizetype eq = pair.indexOf('=');
        if (eq <= 0)
            continue;
        const QByteArray key = pair.left(eq);
        if (!out.parameters.contains(key)) // first occurrence wins; duplicates are ignored
            out.parameters.insert(key, decodeValue(pair.mid(eq + 1)));
    }
    return out;
}

RedirectMatch matchAuthorizationResponse(const QHash<QByteArray, QString> &parameters,
                                         const QByteArray &expectedState, AuthorizationResponse *response)
{
    // The state first: nothing else is looked at for a request that does not carry ours.
    if (expectedState.isEmpty() || !constantTimeEquals(parameters.value("state").toUtf8(), expectedState))
        return RedirectMatch::WrongState;
    AuthorizationResponse r;
    r.code = parameters.value("code");
    r.clientInfo = parameters.value("client_info");
    r.error = parameters.value("error");
    r.errorDescription = parameters.value("error_description");
    if (r.code.isEmpty() && r.error.isEmpty())
        return RedirectMatch::Incomplete;
    if (response)
        *response = r;
    return RedirectMatch::Accepted;
}

LoopbackReceiver::LoopbackReceiver(QObject *parent)
    : QObject(parent)
    , m_server4(new QTcpServer(this))
    , m_server6(new QTcpServer(this))
{
    for (QTcpServer *server : {m_server4, m_server6}) {
        server->setMaxPendingConnections(MaxConnections);
        connect(server, &QTcpServer::newConnection, this, [this, server] { onNewConnection(server); });
    }
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(Error::make(Error::Kind::Cancelled, QStringLiteral("no answer from the browser in time")));
    });
}

LoopbackReceiver::~LoopbackReceiver() = default;

Core::Result<quint16> LoopbackReceiver::start(const QByteArray &expectedState, int timeoutMs,
                                              const QString &path, quint16 firstPort)
{
    stopListening();
    if (expectedState.isEmpty())
        return Error::make(Error::Kind::Internal, QStringLiteral("a sign-in without a state"));
    m_state = expectedState;
    m_path = path;
    const auto port = listenOnBoth(firstPort);
    if (!port.ok())
        return port;
    m_done = false;
    m_timeout.start(timeoutMs);
    return port;
}

Core::Result<quint16> LoopbackReceiver::listenOnBoth(quint16 firstPort)
{
    // Loopback interfaces only, port chosen by the OS (RFC 8252 §7.3, §8.3). The redirect may say
    // `localhost`, which a browser may resolve to ::1 first: whoever holds [::1]:port would get the
    // code and the state, so the same port on ::1 is Elevate's too, or another port is used.
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
            qCDebug(lcAuth) << "loopback: no IPv6 loopback here, listening on 127.0.0.1 only:" << why;
            return port;
        }
        m_server4->close();
        if (error != QAbstractSocket::AddressInUseError)
            break;
        qCInfo(lcAuth) << "loopback: port" << port << "is taken on ::1, trying another one";
    }
    return Error::make(Error::Kind::Network,
                       QStringLiteral("cannot open a local port for the sign-in: %1").arg(why));
}

void LoopbackReceiver::cancel()
{
    finish(Error::make(Error::Kind::Cancelled, QStringLiteral("sign-in cancelled")));
}

bool LoopbackReceiver::isListening() const
{
    return m_server4->isListening() || m_server6->isListening();
}

QList<QHostAddress> LoopbackReceiver::serverAddresses() const
{
    QList<QHostAddress> out;
    for (const QTcpServer *server : {m_server4, m_server6}) {
        if (server->isListening())
            out.append(server->serverAddress());
    }
    return out;
}

void LoopbackReceiver::stopListening()
{
    m_timeout.stop();
    for (QTcpServer *server : {m_server4, m_server6}) {
        if (server->isListening())
            server->close();
    }
}

void LoopbackReceiver::finish(const Core::Result<AuthorizationResponse> &result)
{
    if (m_done)
        return;
    m_done = true;
    stopListening();
    Q_EMIT finished(result);
}

void LoopbackReceiver::onNewConnection(QTcpServer *server)
{
    while (QTcpSocket *socket = server->nextPendingConnection()) {
        if (m_done) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        // A local process must not starve the browser by holding slow connections open: beyond
        // the cap, the oldest unanswered one goes.
        m_connections.removeIf([](const QPointer<QTcpSocket> &s) { return s.isNull(); });
        while (m_connections.size() >= MaxConnections) {
            const QPointer<QTcpSocket> oldest = m_connections.takeFirst();
            if (oldest) {
                qCDebug(lcAuth) << "loopback: too many connections, dropping the oldest";
                oldest->abort();
                oldest->deleteLater();
            }
        }
        m_connections.append(socket);
        auto *idle = new QTimer(socket);
        idle->setSingleShot(true);
        connect(idle, &QTimer::timeout, socket, &QTcpSocket::abort);
        idle->start(m_connectionTimeoutMs);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::errorOccurred, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    }
}

void LoopbackReceiver::respond(QTcpSocket *socket, int status, const QByteArray &reason,
                               const QByteArray &html)
{
    m_connections.removeIf([socket](const QPointer<QTcpSocket> &s) { return s.isNull() || s == socket; });
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    socket->setProperty("head", QVariant());
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    out += "Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nReferrer-Policy: "
           "no-referrer\r\n"
           "X-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: "
        + QByteArray::number(html.size()) + "\r\n\r\n" + html;
    socket->write(out);
    socket->disconnectFromHost();
}

void LoopbackReceiver::onReadyRead(QTcpSocket *socket)
{
    // Buffer the head in a property of the socket; answer once it is complete.
    const QByteArray bytes = socket->property("head").toByteArray() + socket->readAll();
    const RedirectRequest request = parseRedirectRequest(bytes, m_path);
    static const QByteArray notFound = "<!doctype html><title>Not found</title><p>Not found.</p>";
    switch (request.status) {
    case 0:
        socket->setProperty("head", bytes);
        return;
    case 431:
        return respond(socket, 431, "Request Header Fields Too Large",
                       "<!doctype html><title>Too large</title>");
    default:
        break;
    }
    if (m_done)
        return respond(socket, 404, "Not Found", notFound);
    if (request.status == 400)
        return respond(socket, 400, "Bad Request", "<!doctype html><title>Bad request</title>");
    if (request.status != 200)
        return respond(socket, 404, "Not Found", notFound);
    AuthorizationResponse response;
    switch (matchAuthorizationResponse(request.parameters, m_state, &response)) {
    case RedirectMatch::WrongState:
        qCWarning(lcAuth) << "loopback: request without the expected state ignored";
        return respond(socket, 400, "Bad Request",
                       "<!doctype html><title>Elevate</title><p>This sign-in response is not for the "
                       "current attempt.</p>");
    case RedirectMatch::Incomplete:
        return respond(socket, 400, "Bad Request",
                       "<!doctype html><title>Elevate</title><p>Incomplete response.</p>");
    case RedirectMatch::Accepted:
        break;
    }
    respond(socket, 200, "OK", page(response.error.isEmpty() ? "signed-in.html" : "sign-in-failed.html"));
    finish(response);
}

} // namespace Elevate::Auth

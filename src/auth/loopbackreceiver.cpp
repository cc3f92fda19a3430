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

LoopbackReceiver::LoopbackReceiver(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
{
    m_server->setMaxPendingConnections(MaxConnections);
    connect(m_server, &QTcpServer::newConnection, this, &LoopbackReceiver::onNewConnection);
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(Error::make(Error::Kind::Cancelled, QStringLiteral("no answer from the browser in time")));
    });
}

LoopbackReceiver::~LoopbackReceiver() = default;

Core::Result<quint16> LoopbackReceiver::start(const QByteArray &expectedState, int timeoutMs,
                                              const QString &path)
{
    stopListening();
    m_state = expectedState;
    m_path = path;
    // Loopback interface only, port chosen by the OS (RFC 8252 §7.3, §8.3).
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        return Error::make(
            Error::Kind::Network,
            QStringLiteral("cannot open a local port for the sign-in: %1").arg(m_server->errorString()));
    m_done = false;
    m_timeout.start(timeoutMs);
    return m_server->serverPort();
}

void LoopbackReceiver::cancel()
{
    finish(Error::make(Error::Kind::Cancelled, QStringLiteral("sign-in cancelled")));
}

bool LoopbackReceiver::isListening() const
{
    return m_server->isListening();
}

QHostAddress LoopbackReceiver::serverAddress() const
{
    return m_server->serverAddress();
}

void LoopbackReceiver::stopListening()
{
    m_timeout.stop();
    if (m_server->isListening())
        m_server->close();
}

void LoopbackReceiver::finish(const Core::Result<AuthorizationResponse> &result)
{
    if (m_done)
        return;
    m_done = true;
    stopListening();
    Q_EMIT finished(result);
}

void LoopbackReceiver::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        if (m_done) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto *idle = new QTimer(socket);
        idle->setSingleShot(true);
        connect(idle, &QTimer::timeout, socket, &QTcpSocket::abort);
        idle->start(ConnectionTimeoutMs);
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::errorOccurred, socket, &QObject::deleteLater);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
    }
}

void LoopbackReceiver::respond(QTcpSocket *socket, int status, const QByteArray &reason,
                               const QByteArray &html)
{
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
    QByteArray head = socket->property("head").toByteArray() + socket->readAll();
    if (head.size() > MaxHeadBytes) {
        respond(socket, 431, "Request Header Fields Too Large", "<!doctype html><title>Too large</title>");
        return;
    }
    if (!head.contains("\r\n\r\n")) {
        socket->setProperty("head", head);
        return;
    }
    socket->setProperty("head", QVariant());
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    static const QByteArray notFound = "<!doctype html><title>Not found</title><p>Not found.</p>";
    if (m_done) {
        respond(socket, 404, "Not Found", notFound);
        return;
    }
    const QByteArray requestLine = head.left(head.indexOf("\r\n"));
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || !parts[2].startsWith("HTTP/1.")) {
        respond(socket, 400, "Bad Request", "<!doctype html><title>Bad request</title>");
        return;
    }
    const QByteArray target = parts[1];
    const qsizetype q = target.indexOf('?');
    const QByteArray rawPath = q < 0 ? target : target.left(q);
    QByteArray rawQuery = q < 0 ? QByteArray() : target.mid(q + 1);
    if (rawQuery.endsWith('#'))
        rawQuery.chop(1); // some real redirects end in a stray '#'
    if (parts[0] != "GET" || QString::fromUtf8(QByteArray::fromPercentEncoding(rawPath)) != m_path) {
        respond(socket, 404, "Not Found", notFound); // e.g. /favicon.ico: no side effects
        return;
    }
    QHash<QByteArray, QString> params;
    for (const QByteArray &pair : rawQuery.split('&')) {
        const qsizetype eq = pair.indexOf('=');
        if (eq <= 0)
            continue;
        const QByteArray key = pair.left(eq);
        if (!params.contains(key)) // first occurrence wins; duplicates are ignored
            params.insert(key, decodeValue(pair.mid(eq + 1)));
    }
    // The state first: nothing else is looked at for a request that does not carry ours.
    if (!constantTimeEquals(params.value("state").toUtf8(), m_state)) {
        qCWarning(lcAuth) << "loopback: request without the expected state ignored";
        respond(socket, 400, "Bad Request",
                "<!doctype html><title>Elevate</title><p>This sign-in response is not for the current "
                "attempt.</p>");
        return;
    }
    AuthorizationResponse response;
    response.code = params.value("code");
    response.clientInfo = params.value("client_info");
    response.error = params.value("error");
    response.errorDescription = params.value("error_description");
    if (response.code.isEmpty() && response.error.isEmpty()) {
        respond(socket, 400, "Bad Request",
                "<!doctype html><title>Elevate</title><p>Incomplete response.</p>");
        return;
    }
    respond(socket, 200, "OK", page(response.error.isEmpty() ? "signed-in.html" : "sign-in-failed.html"));
    finish(response);
}

} // namespace Elevate::Auth

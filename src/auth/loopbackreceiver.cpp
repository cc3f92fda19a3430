// SPDX-License-Identifier: GPL-3.0-or-later
#include "loopbackreceiver.h"

#include "logging.h"

#include <QFile>
#include <QTcpSocket>

namespace Elevate::Auth {

using Core::Error;

namespace {

QByteArray page(const char *name)
{
    QFile f(QStringLiteral(":/auth/pages/%1").arg(QLatin1String(name)));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<!doctype html><title>Elevate</title>");
}

void respondHtml(QTcpSocket *socket, int status, const QByteArray &reason, const QByteArray &html)
{
    Net::LoopbackHttpServer::respond(socket, status, reason, {{"Content-Type", "text/html; charset=utf-8"}},
                                     html);
}

/// Decodes one query value: '+' is a space in form encoding, then percent-decoding.
QString decodeValue(QByteArray raw)
{
    raw.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
}

} // namespace

RedirectRequest parseRedirectRequest(const QByteArray &bytes, const QString &path, qsizetype maxHeadBytes)
{
    return redirectRequest(Net::parseRequestHead(bytes, maxHeadBytes), path);
}

RedirectRequest redirectRequest(const Net::RequestHead &head, const QString &path)
{
    RedirectRequest out;
    if (head.status != 200) {
        out.status = head.status;
        return out;
    }
    if (head.method != "GET" || QString::fromUtf8(QByteArray::fromPercentEncoding(head.path)) != path) {
        out.status = 404; // e.g. /favicon.ico: no side effects
        return out;
    }
    out.status = 200;
    for (const QByteArray &pair : head.query.split('&')) {
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
    if (expectedState.isEmpty()
        || !Net::constantTimeEquals(parameters.value("state").toUtf8(), expectedState))
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
    , m_server(new Net::LoopbackHttpServer(this))
{
    connect(m_server, &Net::LoopbackHttpServer::requestReceived, this, &LoopbackReceiver::onRequest);
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
    // The redirect may say `localhost`: both loopback addresses on the same port are ours.
    const auto port = m_server->listen(Net::LoopbackHttpServer::Addresses::Ipv4AndIpv6, firstPort);
    if (!port.ok())
        return Error::make(
            Error::Kind::Network,
            QStringLiteral("cannot open a local port for the sign-in: %1").arg(port.error().message));
    m_done = false;
    m_timeout.start(timeoutMs);
    return port;
}

void LoopbackReceiver::cancel()
{
    finish(Error::make(Error::Kind::Cancelled, QStringLiteral("sign-in cancelled")));
}

bool LoopbackReceiver::isListening() const
{
    return m_server->isListening();
}

QList<QHostAddress> LoopbackReceiver::serverAddresses() const
{
    return m_server->serverAddresses();
}

void LoopbackReceiver::stopListening()
{
    m_timeout.stop();
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

void LoopbackReceiver::onRequest(QTcpSocket *socket, const Net::RequestHead &head)
{
    static const QByteArray notFound = "<!doctype html><title>Not found</title><p>Not found.</p>";
    if (m_done)
        return respondHtml(socket, 404, "Not Found", notFound);
    const RedirectRequest request = redirectRequest(head, m_path);
    if (request.status != 200)
        return respondHtml(socket, 404, "Not Found", notFound);
    // Who sent it before what it says: another user's process may know the state (see the class).
    if (!m_server->peerAllowed(*socket)) {
        qCWarning(lcAuth) << "loopback: a request from a process of another user was refused";
        return respondHtml(socket, 403, "Forbidden",
                           "<!doctype html><title>Elevate</title><p>Refused: this request did not come from "
                           "a program of the user who is signing in.</p>");
    }
    AuthorizationResponse response;
    switch (matchAuthorizationResponse(request.parameters, m_state, &response)) {
    case RedirectMatch::WrongState:
        qCWarning(lcAuth) << "loopback: request without the expected state ignored";
        return respondHtml(socket, 400, "Bad Request",
                           "<!doctype html><title>Elevate</title><p>This sign-in response is not for the "
                           "current attempt.</p>");
    case RedirectMatch::Incomplete:
        return respondHtml(socket, 400, "Bad Request",
                           "<!doctype html><title>Elevate</title><p>Incomplete response.</p>");
    case RedirectMatch::Accepted:
        break;
    }
    respondHtml(socket, 200, "OK", page(response.error.isEmpty() ? "signed-in.html" : "sign-in-failed.html"));
    finish(response);
}

} // namespace Elevate::Auth

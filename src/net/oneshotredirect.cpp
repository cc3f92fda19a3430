// SPDX-License-Identifier: GPL-3.0-or-later
#include "oneshotredirect.h"

#include "logging.h"

#include <QRandomGenerator>
#include <QTcpSocket>

namespace Elevate::Net {

using Core::Error;

namespace {

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
    , m_server(new LoopbackHttpServer(this))
{
    connect(m_server, &LoopbackHttpServer::requestReceived, this, &OneShotRedirect::onRequest);
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
    // The URL has the IP literal: 127.0.0.1 alone, port chosen by the OS.
    const auto port = m_server->listen(LoopbackHttpServer::Addresses::Ipv4Only);
    if (!port.ok())
        return Error::make(
            Error::Kind::Network,
            QStringLiteral("cannot open a local port for the browser: %1").arg(port.error().message));
    m_url = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port.value()) + QString::fromLatin1(m_path));
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
    m_server->close();
}

void OneShotRedirect::finish(bool fetched)
{
    stopListening();
    m_location.clear();
    m_server->abortConnections();
    if (m_finished)
        return;
    m_finished = true;
    Q_EMIT finished(fetched);
}

int OneShotRedirect::answerFor(const RequestHead &head, const QByteArray &path)
{
    if (head.status != 200)
        return head.status;
    // Anything but a GET of exactly the path (no query, same case) is someone else's: no side effect.
    return head.method == "GET" && constantTimeEquals(head.target, path) ? 302 : 404;
}

void OneShotRedirect::onRequest(QTcpSocket *socket, const RequestHead &head)
{
    if (!m_waiting) {
        socket->abort();
        return;
    }
    static const QByteArray notFound = "Not found.\n";
    const LoopbackHttpServer::Headers plain = {{"Content-Type", "text/plain; charset=utf-8"}};
    if (answerFor(head, m_path) != 302)
        return LoopbackHttpServer::respond(socket, 404, "Not Found", plain, notFound);
    if (!m_server->peerAllowed(*socket)) {
        qCWarning(lcNet) << "console hand-off: a request from a process of another user was refused";
        return LoopbackHttpServer::respond(socket, 404, "Not Found", plain, notFound);
    }
    const QByteArray location = m_location;
    stopListening(); // consumed: nobody gets it a second time
    m_server->abortConnections();
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
    LoopbackHttpServer::respond(socket, 302, "Found", {{"Location", location}});
}

} // namespace Elevate::Net

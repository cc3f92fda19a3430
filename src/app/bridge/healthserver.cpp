// SPDX-License-Identifier: GPL-3.0-or-later
#include "healthserver.h"

#include "metrics.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpServer>

namespace Elevate::Bridge {

using Core::Error;
using Core::Result;

namespace {

using Status = QHttpServerResponder::StatusCode;

void answer(QHttpServerResponder &responder, Status status, const QByteArray &contentType,
            const QByteArray &body, const QByteArray &allow = {})
{
    responder.writeStatusLine(status);
    responder.writeHeader("Content-Type", contentType);
    responder.writeHeader("Content-Length", QByteArray::number(body.size()));
    responder.writeHeader("Cache-Control", "no-store");
    if (!allow.isEmpty())
        responder.writeHeader("Allow", allow);
    responder.writeBody(body);
}

void answerError(QHttpServerResponder &responder, Status status, const char *text,
                 const QByteArray &allow = {})
{
    answer(responder, status, "text/plain; charset=utf-8", QByteArray(text) + '\n', allow);
}

struct Endpoint
{
    QHostAddress address;
    quint16 port = 0;
};

/// "host:port" with host an IPv4 address, a bracketed IPv6 address or "localhost" (no name lookup:
/// a health endpoint that moves with DNS is not what an operator means).
Result<Endpoint> parseEndpoint(const QString &text)
{
    const auto refuse = [&text](const QString &why) {
        return Error::make(Error::Kind::Config, QStringLiteral("health endpoint \"%1\": %2").arg(text, why));
    };
    const qsizetype colon = text.lastIndexOf(u':');
    if (colon < 0)
        return refuse(QStringLiteral("expected host:port, e.g. 127.0.0.1:9464 or [::1]:9464"));
    QString host = text.left(colon);
    const QString portText = text.mid(colon + 1);
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,5}$"));
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!digits.match(portText).hasMatch() || !ok || port > 65535)
        return refuse(QStringLiteral("the port must be a number from 0 to 65535"));
    Endpoint e;
    e.port = static_cast<quint16>(port);
    if (host.startsWith(u'[') && host.endsWith(u']')) {
        host = host.mid(1, host.size() - 2);
        if (!e.address.setAddress(host) || e.address.protocol() != QAbstractSocket::IPv6Protocol)
            return refuse(QStringLiteral("not an IPv6 address between the brackets"));
        return e;
    }
    if (host.compare(u"localhost", Qt::CaseInsensitive) == 0) {
        e.address = QHostAddress(QHostAddress::LocalHost);
        return e;
    }
    if (host.isEmpty())
        return refuse(QStringLiteral("no host (0.0.0.0 listens on every IPv4 interface, [::] on every one)"));
    if (host.contains(u':'))
        return refuse(QStringLiteral("an IPv6 address goes between brackets, e.g. [::1]:9464"));
    if (!e.address.setAddress(host) || e.address.protocol() != QAbstractSocket::IPv4Protocol)
        return refuse(QStringLiteral("the host must be an IP address or localhost"));
    return e;
}

} // namespace

struct HealthServer::Private
{
    const Metrics *metrics = nullptr;
    std::function<QJsonObject()> health;
    QHttpServer server;

    void serve(const QHttpServerRequest &request, QHttpServerResponder &responder) const
    {
        // Only the method and the path are looked at: no body, header or query is read or logged.
        const QString path = request.url().path();
        const bool known = path == u"/healthz" || path == u"/metrics";
        if (!known) {
            answerError(responder, Status::NotFound, "not found");
            return;
        }
        if (request.method() != QHttpServerRequest::Method::Get) {
            answerError(responder, Status::MethodNotAllowed, "method not allowed", "GET");
            return;
        }
        if (path == u"/metrics") {
            answer(responder, Status::Ok, "text/plain; version=0.0.4; charset=utf-8",
                   metrics ? metrics->prometheusText() : QByteArray());
            return;
        }
        const QJsonObject object
            = health ? health() : QJsonObject {{QStringLiteral("status"), QStringLiteral("unknown")}};
        const bool ok = object.value(QStringLiteral("status")).toString() == u"ok";
        answer(responder, ok ? Status::Ok : Status::ServiceUnavailable, "application/json",
               QJsonDocument(object).toJson(QJsonDocument::Compact));
    }
};

HealthServer::HealthServer(const Metrics *metrics, std::function<QJsonObject()> health, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->metrics = metrics;
    d->health = std::move(health);
    d->server.setMissingHandler([this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
        d->serve(request, responder);
    });
}

HealthServer::~HealthServer() = default;

Result<quint16> HealthServer::listen(const QString &hostAndPort)
{
    const auto endpoint = parseEndpoint(hostAndPort);
    if (!endpoint.ok())
        return endpoint.error();
    // Our own QTcpServer handed to the HTTP server, so a refusal says why (QHttpServer::listen()
    // only returns 0 and logs).
    auto tcp = std::make_unique<QTcpServer>();
    if (!tcp->listen(endpoint->address, endpoint->port))
        return Error::make(Error::Kind::Config,
                           QStringLiteral("cannot listen on %1 (port %2): %3")
                               .arg(hostAndPort)
                               .arg(endpoint->port)
                               .arg(tcp->errorString()));
    const quint16 port = tcp->serverPort();
    d->server.bind(tcp.release()); // the HTTP server takes it over (its parent from now on)
    return port;
}

} // namespace Elevate::Bridge

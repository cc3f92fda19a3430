// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace Elevate::Net {

struct HttpRequest
{
    QByteArray method = "GET";
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    int timeoutMs = 30'000;

    static HttpRequest get(QUrl url) { return HttpRequest {"GET", std::move(url), {}, {}}; }
    /// A POST with an `application/x-www-form-urlencoded` body.
    static HttpRequest postForm(QUrl url, const QList<QPair<QString, QString>> &fields);
    HttpRequest &withHeader(QByteArray name, QByteArray value)
    {
        headers.append({std::move(name), std::move(value)});
        return *this;
    }
};

/**
 * What came back. `transportError.kind` is None whenever an HTTP status arrived (even 4xx/5xx);
 * otherwise it says why nothing usable arrived (network, timeout, security, cancelled).
 */
struct HttpResponse
{
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    Core::Error transportError;

    bool hasStatus() const { return transportError.kind == Core::Error::Kind::None; }
    bool isSuccess() const { return hasStatus() && status >= 200 && status < 300; }
    /// The first header of that name (case-insensitive), or empty.
    QByteArray header(QByteArrayView name) const;
    /// A generic error for a failed response (transport error, or Http with the status).
    Core::Error genericError() const;
};

/**
 * One HTTP exchange. Owns its QNetworkReply and timeout; emits `finished` exactly once (also on
 * abort, with Kind::Cancelled) and then deletes itself later.
 */
class HttpJob : public QObject
{
    Q_OBJECT
public:
    HttpJob(QNetworkReply *reply, QObject *parent);
    ~HttpJob() override;
    void abort();
    /// Finishes with `response` on the next event-loop turn (for requests refused before sending).
    void finishLater(const HttpResponse &response);

Q_SIGNALS:
    void finished(const Elevate::Net::HttpResponse &response);

private:
    void complete(HttpResponse response);
    void onReplyFinished();

    QPointer<QNetworkReply> m_reply;
    bool m_done = false;
};

/**
 * Sends HTTP requests through an injected QNetworkAccessManager. Enforces the transport rule of the
 * design: HTTPS everywhere, plain HTTP only to loopback. Never follows redirects (a token or Graph
 * endpoint has no business redirecting; a 3xx is reported as an HTTP error).
 */
class HttpClient : public QObject
{
    Q_OBJECT
public:
    explicit HttpClient(QNetworkAccessManager *nam, QObject *parent = nullptr);

    /// Starts the request. The job is never null; a refused request finishes on the next event loop turn.
    HttpJob *send(const HttpRequest &request);

    /// Sends and calls `callback` once with the response, unless `context` is gone by then.
    void send(const HttpRequest &request, QObject *context,
              std::function<void(const HttpResponse &)> callback);

    /// A fresh GUID for the `client-request-id` header.
    static QByteArray newRequestId();

private:
    QNetworkAccessManager *m_nam;
};

/// `a=b&c=d` with RFC 3986 percent-encoding of keys and values (`+` becomes %2B, space %20).
QByteArray formEncode(const QList<QPair<QString, QString>> &fields);

} // namespace Elevate::Net

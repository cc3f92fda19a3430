// SPDX-License-Identifier: GPL-3.0-or-later
#include "httpclient.h"

#include "core/config.h"
#include "logging.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUuid>

namespace Elevate::Net {

using Core::Error;

HttpRequest HttpRequest::postForm(QUrl url, const QList<QPair<QString, QString>> &fields)
{
    HttpRequest r {"POST", std::move(url), {}, formEncode(fields)};
    r.withHeader("Content-Type", "application/x-www-form-urlencoded");
    return r;
}

QByteArray HttpResponse::header(QByteArrayView name) const
{
    for (const auto &h : headers)
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

Error HttpResponse::genericError() const
{
    if (!hasStatus())
        return transportError;
    return Error::make(Error::Kind::Http, QStringLiteral("HTTP status %1").arg(status), status);
}

QByteArray formEncode(const QList<QPair<QString, QString>> &fields)
{
    QByteArray out;
    for (const auto &f : fields) {
        if (!out.isEmpty())
            out += '&';
        out += QUrl::toPercentEncoding(f.first) + '=' + QUrl::toPercentEncoding(f.second);
    }
    return out;
}

HttpJob::HttpJob(QNetworkReply *reply, QObject *parent)
    : QObject(parent)
    , m_reply(reply)
{
    if (m_reply)
        connect(m_reply, &QNetworkReply::finished, this, &HttpJob::onReplyFinished);
}

HttpJob::~HttpJob()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
    }
}

void HttpJob::abort()
{
    HttpResponse r;
    r.transportError = Error::make(Error::Kind::Cancelled, QStringLiteral("request cancelled"));
    complete(r);
}

void HttpJob::finishLater(const HttpResponse &response)
{
    QTimer::singleShot(0, this, [this, response] { complete(response); });
}

void HttpJob::onReplyFinished()
{
    HttpResponse r;
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const auto err = reply->error();
    // Codes >= 200 are HTTP-level errors (the status is what matters); below that, transport errors.
    if (status.isValid() && status.toInt() > 0 && (err == QNetworkReply::NoError || err >= 200)) {
        r.status = status.toInt();
        r.body = reply->readAll();
        for (const auto &h : reply->rawHeaderPairs())
            r.headers.append(h);
    } else if (err == QNetworkReply::OperationCanceledError || err == QNetworkReply::TimeoutError) {
        r.transportError = Error::make(Error::Kind::Timeout,
                                       QStringLiteral("no answer from %1 in time").arg(reply->url().host()));
    } else {
        r.transportError = Error::make(
            Error::Kind::Network,
            QStringLiteral("cannot reach %1: %2").arg(reply->url().host(), reply->errorString()));
    }
    complete(r);
}

void HttpJob::complete(HttpResponse response)
{
    if (m_done)
        return;
    m_done = true;
    if (m_reply) {
        m_reply->disconnect(this);
        if (m_reply->isRunning())
            m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
    }
    Q_EMIT finished(response);
    deleteLater();
}

HttpClient::HttpClient(QNetworkAccessManager *nam, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
{ }

QByteArray HttpClient::newRequestId()
{
    return QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
}

HttpJob *HttpClient::send(const HttpRequest &request)
{
    const QUrl &url = request.url;
    const bool allowed = url.isValid()
        && (url.scheme() == u"https" || (url.scheme() == u"http" && Core::isLoopbackUrl(url)));
    if (!allowed) {
        auto *job = new HttpJob(nullptr, this);
        HttpResponse r;
        r.transportError
            = Error::make(Error::Kind::Security,
                          QStringLiteral("refusing to send a request to %1 (HTTPS is required)")
                              .arg(url.toDisplayString(QUrl::RemoveQuery | QUrl::RemoveUserInfo)));
        job->finishLater(r);
        return job;
    }
    QNetworkRequest req(url);
    req.setTransferTimeout(request.timeoutMs);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    req.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    req.setRawHeader("Accept", "application/json");
    for (const auto &h : request.headers)
        req.setRawHeader(h.first, h.second);
    qCDebug(lcNet) << request.method << url.toDisplayString(QUrl::RemoveQuery);
    QNetworkReply *reply = m_nam->sendCustomRequest(req, request.method, request.body);
    return new HttpJob(reply, this);
}

void HttpClient::send(const HttpRequest &request, QObject *context,
                      std::function<void(const HttpResponse &)> callback)
{
    HttpJob *job = send(request);
    connect(job, &HttpJob::finished, context, [cb = std::move(callback)](const HttpResponse &r) { cb(r); });
}

} // namespace Elevate::Net

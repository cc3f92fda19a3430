// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The browser of the sign-in tests: follows an /authorize URL to the loopback redirect the way a
// browser would, and fills in sign-in and device pages.

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QUrl>

namespace Elevate::Test {

/// Plays the browser: GET the /authorize URL without following redirects, then deliver the 302's
/// Location (the loopback) as a browser would. Also fills in the device verification page.
class Browser
{
public:
    QNetworkAccessManager nam;
    QUrl lastRedirect;
    int authorizeStatus = 0;
    int deliveredStatus = 0;
    QByteArray deliveredBody;

    void open(const QUrl &url)
    {
        QNetworkRequest req(url);
        req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        QNetworkReply *reply = nam.get(req);
        QObject::connect(reply, &QNetworkReply::finished, reply, [this, reply] {
            reply->deleteLater();
            authorizeStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            lastRedirect = reply->header(QNetworkRequest::LocationHeader).toUrl();
            if (!lastRedirect.isValid())
                return;
            QNetworkReply *second = nam.get(QNetworkRequest(lastRedirect));
            QObject::connect(second, &QNetworkReply::finished, second, [this, second] {
                second->deleteLater();
                deliveredStatus = second->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                deliveredBody = second->readAll();
            });
        });
    }

    /// A GET or a form POST; returns the status once the answer is there.
    int request(const QUrl &url, const QByteArray &form = {})
    {
        QNetworkRequest req(url);
        QNetworkReply *reply = nullptr;
        if (form.isNull()) {
            reply = nam.get(req);
        } else {
            req.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
            reply = nam.post(req, form);
        }
        QSignalSpy done(reply, &QNetworkReply::finished);
        if (!done.wait(10'000))
            return 0;
        reply->deleteLater();
        return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    }
};

} // namespace Elevate::Test

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// CONTRACT HEADER (written by the lead): UI and CLI code against this API. The graph implementer
// may add members, but must not rename or remove these.

#include "core/accesstokenprovider.h"
#include "core/model.h"
#include "core/result.h"

#include <QObject>
#include <QUrl>

#include <functional>

namespace Elevate::Net {
class HttpClient;
}

namespace Elevate::Graph {

/// The signed-in user as Graph reports it (`GET /me`).
struct GraphUser
{
    QString id;
    QString displayName;
    QString userPrincipalName;
    QString mail;
};

/**
 * Microsoft Graph PIM-for-Groups client. Gets bearer tokens through AccessTokenProvider (never
 * from auth directly); on a 401 it invalidates the token and retries once. Follows @odata.nextLink
 * only within the configured base URL's origin. Every callback runs exactly once (unless `context`
 * is destroyed first).
 */
class GraphClient : public QObject
{
    Q_OBJECT
public:
    GraphClient(QUrl baseUrl, QString resource, Net::HttpClient *http, Core::AccessTokenProvider *tokens,
                QObject *parent = nullptr);

    void getMe(QObject *context, std::function<void(Core::Result<GraphUser>)> callback);
    /// All pages of eligibilityScheduleInstances/filterByCurrentUser(on='principal') with $expand=group.
    void listEligibilities(QObject *context,
                           std::function<void(Core::Result<QList<Core::Eligibility>>)> callback);

private:
    QUrl m_baseUrl;
    QString m_resource;
    Net::HttpClient *m_http;
    Core::AccessTokenProvider *m_tokens;
};

} // namespace Elevate::Graph

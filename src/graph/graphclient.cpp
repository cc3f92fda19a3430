// SPDX-License-Identifier: GPL-3.0-or-later
#include "graphclient.h"

#include "net/httpclient.h"
#include "net/json.h"
#include "odata.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QTimer>

namespace Elevate::Graph {

Q_LOGGING_CATEGORY(lcGraph, "elevate.graph", QtInfoMsg)

using Core::Error;

namespace {
constexpr int kMaxPages = 100;
constexpr int kMaxThrottleRetries = 2;
constexpr qint64 kMaxRetryAfterMs = 30'000;

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    return a.scheme() == b.scheme() && a.host().compare(b.host(), Qt::CaseInsensitive) == 0
        && a.port(a.scheme() == u"https" ? 443 : 80) == b.port(b.scheme() == u"https" ? 443 : 80);
}
} // namespace

/// One GET with the token dance: a 401 invalidates the token and retries once; 429/503/504 honour
/// Retry-After a bounded number of times.
class GraphGet : public QObject
{
public:
    using Done = std::function<void(const Net::HttpResponse &)>;
    GraphGet(GraphClient *owner, Net::HttpClient *http, Core::AccessTokenProvider *tokens, QString resource,
             QUrl url, Done done)
        : QObject(owner)
        , m_http(http)
        , m_tokens(tokens)
        , m_resource(std::move(resource))
        , m_url(std::move(url))
        , m_done(std::move(done))
    { }

    void start()
    {
        m_tokens->requestAccessToken(m_resource, this, [this](Core::Result<QString> token) {
            if (!token.ok()) {
                Net::HttpResponse r;
                r.transportError = token.error();
                return finish(r);
            }
            m_token = token.value();
            auto req = Net::HttpRequest::get(m_url)
                           .withHeader("Authorization", "Bearer " + m_token.toLatin1())
                           .withHeader("client-request-id", Net::HttpClient::newRequestId());
            m_http->send(req, this, [this](const Net::HttpResponse &r) { onResponse(r); });
        });
    }

private:
    void onResponse(const Net::HttpResponse &r)
    {
        if (r.hasStatus() && r.status == 401 && !m_retried401) {
            m_retried401 = true;
            m_tokens->invalidateAccessToken(m_resource, m_token);
            return start();
        }
        if (r.hasStatus() && (r.status == 429 || r.status == 503 || r.status == 504)
            && m_throttleRetries < kMaxThrottleRetries) {
            ++m_throttleRetries;
            const qint64 wait = Net::parseRetryAfterMs(r.header("retry-after"),
                                                       QDateTime::currentDateTimeUtc(), kMaxRetryAfterMs)
                                    .value_or(1000LL << m_throttleRetries);
            qCDebug(lcGraph) << "throttled, retrying in" << wait << "ms";
            QTimer::singleShot(wait, this, &GraphGet::start);
            return;
        }
        finish(r);
    }
    void finish(const Net::HttpResponse &r)
    {
        m_done(r);
        deleteLater();
    }

    Net::HttpClient *m_http;
    Core::AccessTokenProvider *m_tokens;
    QString m_resource;
    QUrl m_url;
    Done m_done;
    QString m_token;
    bool m_retried401 = false;
    int m_throttleRetries = 0;
};

GraphClient::GraphClient(QUrl baseUrl, QString resource, Net::HttpClient *http,
                         Core::AccessTokenProvider *tokens, QObject *parent)
    : QObject(parent)
    , m_baseUrl(std::move(baseUrl))
    , m_resource(std::move(resource))
    , m_http(http)
    , m_tokens(tokens)
{ }

void GraphClient::getMe(QObject *context, std::function<void(Core::Result<GraphUser>)> callback)
{
    QUrl url(m_baseUrl.toString() + QStringLiteral("/me"));
    url.setQuery(QStringLiteral("$select=id,displayName,userPrincipalName,mail"));
    QPointer<QObject> guard(context);
    auto *get = new GraphGet(this, m_http, m_tokens, m_resource, url,
                             [guard, callback](const Net::HttpResponse &r) {
                                 if (!guard)
                                     return;
                                 if (!r.isSuccess())
                                     return callback(graphError(r));
                                 callback(parseUser(r.body));
                             });
    get->start();
}

void GraphClient::listEligibilities(QObject *context,
                                    std::function<void(Core::Result<QList<Core::Eligibility>>)> callback)
{
    QUrl first(m_baseUrl.toString()
               + QStringLiteral("/identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/"
                                "filterByCurrentUser(on='principal')"));
    first.setQuery(QStringLiteral("$expand=group($select=id,displayName,description)"));
    struct Paging
    {
        QList<Core::Eligibility> items;
        QSet<QString> seen;
        int pages = 0;
    };
    auto paging = std::make_shared<Paging>();
    QPointer<QObject> guard(context);
    auto fetch = std::make_shared<std::function<void(const QUrl &)>>();
    // The page handler refers to `fetch` weakly, so the chain frees itself after the last page.
    std::weak_ptr<std::function<void(const QUrl &)>> weakFetch = fetch;
    *fetch = [this, paging, guard, callback, weakFetch](const QUrl &url) {
        auto keep = weakFetch.lock();
        auto *get = new GraphGet(
            this, m_http, m_tokens, m_resource, url,
            [this, paging, guard, callback, keep](const Net::HttpResponse &r) {
                if (!guard)
                    return;
                if (!r.isSuccess())
                    return callback(graphError(r));
                auto page = parseEligibilityPage(r.body);
                if (!page.ok())
                    return callback(page.error());
                paging->items += page->items;
                ++paging->pages;
                if (page->nextLink.isEmpty())
                    return callback(paging->items);
                const QUrl next(page->nextLink);
                if (!next.isValid() || !sameOrigin(next, m_baseUrl))
                    return callback(Error::make(Error::Kind::Security,
                                                QStringLiteral("Graph sent a next-page link to "
                                                               "another host")));
                if (paging->seen.contains(page->nextLink) || paging->pages >= kMaxPages)
                    return callback(
                        Error::make(Error::Kind::Parse, QStringLiteral("Graph paging does not end")));
                paging->seen.insert(page->nextLink);
                (*keep)(next);
            });
        get->start();
    };
    (*fetch)(first);
}

} // namespace Elevate::Graph

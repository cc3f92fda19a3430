// SPDX-License-Identifier: GPL-3.0-or-later
#include "portalclient.h"

#include "core/awsendpoints.h"
#include "net/authorizedcall.h"
#include "net/httpclient.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>
#include <QUrlQuery>

#include <memory>

namespace Elevate::Aws {

Q_LOGGING_CATEGORY(lcAws, "elevate.aws", QtInfoMsg)

using Core::Error;

namespace {
constexpr int kMaxRetries = 3;
constexpr qint64 kMaxRetryAfterMs = 60'000;
} // namespace

PortalClient::PortalClient(const Core::AwsConfig &config, Net::HttpClient *http,
                           Core::AccessTokenProvider *tokens, const Core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_base(Core::awsPortalEndpoint(config))
    , m_http(http)
    , m_tokens(tokens)
    , m_clock(clock)
    , m_ratePerSecond(std::max(1, config.portalRequestsPerSecond))
    , m_currentRate(m_ratePerSecond)
{
    // The portal's way of the one authorised call: its own token header; 401 → new token, once;
    // network errors, 429 and 5xx → Retry-After (else 1 s, 2 s, 4 s), at most kMaxRetries times; every
    // request at the pace (a 429 slows it down).
    Net::CallPolicy &p = m_callPolicy;
    p.resource = kIdcResource;
    p.authHeader = "x-amz-sso_bearer_token";
    p.authPrefix = {};
    p.retryable = [](const Net::HttpResponse &r, bool) {
        return !r.hasStatus() ? r.transportError.kind == Error::Kind::Network
                              : (r.status == 429 || r.status >= 500);
    };
    p.maxRetries = kMaxRetries;
    p.maxRetryAfterMs = kMaxRetryAfterMs;
    p.backoffMs = [](int retry) { return 1000LL << retry; };
    p.decorate = [](Net::HttpRequest &req) {
        if (req.method == "POST")
            req.withHeader("Content-Type", "application/json");
    };
    p.pace = [this](QObject *context, std::function<void()> send) { paced(context, std::move(send)); };
    p.sent = [this] { ++m_requests; };
    p.answered = [this](const Net::HttpResponse &r) {
        if (r.status == 429)
            slowDown();
    };
    p.retrying = [](const Net::HttpRequest &req, const Net::HttpResponse &r, qint64 wait, const QDateTime &) {
        qCInfo(lcAws) << "portal" << req.url.path() << "answered" << r.status << "- retrying in" << wait
                      << "ms";
    };
}

void PortalClient::paced(QObject *context, std::function<void()> send)
{
    const qint64 waitMs = reserveSlot();
    if (waitMs <= 0)
        return send();
    // A 429 meanwhile paused the pace: the slot booked before it is void, book again.
    QTimer::singleShot(waitMs, Qt::PreciseTimer, context, [this, context, send, seen = m_slowDowns] {
        if (seen != m_slowDowns)
            paced(context, send);
        else
            send();
    });
}

qint64 PortalClient::reserveSlot()
{
    if (!m_pace.isValid())
        m_pace.start();
    const qint64 nowUs = m_pace.nsecsElapsed() / 1000;
    if (m_currentRate != m_ratePerSecond && nowUs >= m_slowUntilUs)
        m_currentRate = m_ratePerSecond;
    // A twentieth more than 1/rate apart, so that timer slack and arrival jitter stay under the rate.
    const qint64 spacingUs = 1'050'000 / m_currentRate;
    const qint64 slotUs = std::max(nowUs, m_nextSlotUs);
    m_nextSlotUs = slotUs + spacingUs;
    return (slotUs - nowUs + 999) / 1000;
}

void PortalClient::slowDown()
{
    if (!m_pace.isValid())
        m_pace.start();
    const qint64 nowUs = m_pace.nsecsElapsed() / 1000;
    // A 429 says the portal's window is full: nothing more for a second, so that it drains. Calls in
    // flight meanwhile are refused too; they halve the pace once, not once each.
    m_nextSlotUs = nowUs + 1'000'000;
    ++m_slowDowns;
    if (nowUs - m_lastSlowDownUs >= 1'000'000) {
        m_currentRate = std::max(1, m_currentRate / 2);
        m_lastSlowDownUs = nowUs;
        qCInfo(lcAws) << "portal: throttled; at most" << m_currentRate << "requests a second for a minute";
    }
    m_slowUntilUs = nowUs + 60'000'000;
}

QString PortalClient::errorCode(const Net::HttpResponse &response)
{
    QString code = QString::fromUtf8(response.header("x-amzn-ErrorType")).section(u':', 0, 0).trimmed();
    if (code.isEmpty()) {
        if (auto body = Net::parseJson(response.body); body && body.value().is_object()) {
            code = Net::jsonString(body.value(), "code");
            if (code.isEmpty())
                code = Net::jsonString(body.value(), "Code");
            if (code.isEmpty())
                code = Net::jsonString(body.value(), "__type");
        }
    }
    return code.section(u'#', -1);
}

Error PortalClient::errorFor(const Net::HttpResponse &response)
{
    if (!response.hasStatus())
        return response.transportError.withSource(Error::Source::Portal);
    const QString code = errorCode(response);
    QString message;
    if (auto body = Net::parseJson(response.body); body && body.value().is_object()) {
        message = Net::jsonString(body.value(), "message");
        if (message.isEmpty())
            message = Net::jsonString(body.value(), "Message");
    }
    if (code.isEmpty())
        return response.genericError().withSource(Error::Source::Portal);
    return Error::make(Error::Kind::Service, message.isEmpty() ? code : message, response.status, code)
        .withSource(Error::Source::Portal);
}

bool PortalClient::isNotAssigned(const Error &error)
{
    return error.httpStatus == 403 || error.serviceCode == u"ForbiddenException";
}

Core::Result<RoleCredentials> PortalClient::parseRoleCredentials(const QByteArray &body)
{
    auto json = Net::parseJson(body);
    if (!json)
        return json.error();
    const auto &root = json.value();
    if (!root.is_object() || !root.contains("roleCredentials") || !root["roleCredentials"].is_object())
        return Error::make(Error::Kind::Parse, QStringLiteral("GetRoleCredentials: no roleCredentials"));
    const auto &c = root["roleCredentials"];
    RoleCredentials out;
    out.accessKeyId = Net::jsonString(c, "accessKeyId");
    out.secretAccessKey = Net::jsonString(c, "secretAccessKey");
    out.sessionToken = Net::jsonString(c, "sessionToken");
    // Epoch milliseconds (aws-sso.md §3.3); not seconds.
    if (const auto ms = Net::jsonInt(c, "expiration"))
        out.expiration = QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC);
    if (!out.isValid() || out.sessionToken.isEmpty())
        return Error::make(Error::Kind::Parse, QStringLiteral("GetRoleCredentials: incomplete credentials"));
    return out;
}

void PortalClient::call(const QByteArray &method, const QString &path,
                        const QList<QPair<QString, QString>> &query, QObject *context,
                        ResponseCallback callback)
{
    QUrl url = m_base;
    url.setPath(m_base.path() + path);
    QUrlQuery q;
    for (const auto &[k, v] : query)
        q.addQueryItem(k, QString::fromLatin1(QUrl::toPercentEncoding(v)));
    url.setQuery(q);
    QPointer<QObject> guard(context);
    Net::AuthorizedCall::send(m_http, m_tokens, m_clock, &m_callPolicy,
                              Net::HttpRequest {method, url, {}, {}}, this,
                              [guard, callback](Core::Result<Net::HttpResponse> r) {
                                  if (!guard)
                                      return;
                                  if (!r.ok())
                                      return callback(r.error()); // no token
                                  if (r->isSuccess())
                                      return callback(r->body);
                                  Error e = errorFor(r.value());
                                  if (r->hasStatus() && r->status == 401)
                                      e.kind = Error::Kind::InteractionRequired; // after a fresh token
                                  callback(e);
                              });
}

void PortalClient::listPaged(const QString &path, QList<QPair<QString, QString>> query, const char *listKey,
                             QObject *context,
                             std::function<void(Core::Result<std::vector<Net::Json>>)> callback)
{
    struct State
    {
        std::vector<Net::Json> items;
        int pages = 0;
        QString lastToken;
    };
    auto state = std::make_shared<State>();
    auto next = std::make_shared<std::function<void(const QString &)>>();
    // The page handler holds itself weakly and the call in flight holds it strongly: the chain frees
    // itself after the last page, and also when a call ends without an answer (its context died).
    std::weak_ptr<std::function<void(const QString &)>> weakNext = next;
    *next = [this, path, query, listKey, context, callback, state, weakNext](const QString &token) {
        auto next = weakNext.lock();
        if (!next)
            return;
        auto q = query;
        q.append({QStringLiteral("max_result"), QStringLiteral("100")});
        if (!token.isEmpty())
            q.append({QStringLiteral("next_token"), token});
        call("GET", path, q, context, [callback, state, next, listKey](Core::Result<QByteArray> body) {
            if (!body) {
                callback(body.error());
                return;
            }
            auto json = Net::parseJson(body.value());
            if (!json || !json.value().is_object()) {
                callback(Error::make(Error::Kind::Parse, QStringLiteral("portal: not a JSON object")));
                return;
            }
            const auto &root = json.value();
            if (root.contains(listKey) && root[listKey].is_array())
                for (const auto &item : root[listKey])
                    state->items.push_back(item);
            const QString token = Net::jsonString(root, "nextToken");
            if (token.isEmpty()) {
                callback(std::move(state->items));
                return;
            }
            // A list that never ends would be cut short silently; say so instead of a partial answer.
            if (token == state->lastToken || ++state->pages >= kMaxPages) {
                callback(
                    Error::make(Error::Kind::Service,
                                token == state->lastToken
                                    ? QStringLiteral("portal: the list repeats its page token")
                                    : QStringLiteral("portal: the list goes on past %1 pages").arg(kMaxPages))
                        .withSource(Error::Source::Portal));
                return;
            }
            state->lastToken = token;
            (*next)(token);
        });
    };
    (*next)({});
}

void PortalClient::listAccounts(QObject *context, AccountsCallback callback)
{
    listPaged(QStringLiteral("/assignment/accounts"), {}, "accountList", context,
              [callback](Core::Result<std::vector<Net::Json>> items) {
                  if (!items) {
                      callback(items.error());
                      return;
                  }
                  QList<PortalAccount> out;
                  for (const auto &a : items.value()) {
                      PortalAccount account {Net::jsonString(a, "accountId"),
                                             Net::jsonString(a, "accountName"),
                                             Net::jsonString(a, "emailAddress")};
                      if (!account.accountId.isEmpty())
                          out << account;
                  }
                  callback(out);
              });
}

void PortalClient::listAccountRoles(const QString &accountId, QObject *context, RolesCallback callback)
{
    listPaged(QStringLiteral("/assignment/roles"), {{QStringLiteral("account_id"), accountId}}, "roleList",
              context, [callback](Core::Result<std::vector<Net::Json>> items) {
                  if (!items) {
                      callback(items.error());
                      return;
                  }
                  QStringList out;
                  for (const auto &r : items.value()) {
                      const QString name = Net::jsonString(r, "roleName");
                      if (!name.isEmpty())
                          out << name;
                  }
                  callback(out);
              });
}

void PortalClient::getRoleCredentials(const QString &accountId, const QString &roleName, QObject *context,
                                      CredentialsCallback callback)
{
    call("GET", QStringLiteral("/federation/credentials"),
         {{QStringLiteral("role_name"), roleName}, {QStringLiteral("account_id"), accountId}}, context,
         [callback, accountId, roleName](Core::Result<QByteArray> body) {
             if (!body) {
                 callback(body.error());
                 return;
             }
             auto creds = parseRoleCredentials(body.value());
             if (creds) {
                 creds.value().accountId = accountId;
                 creds.value().roleName = roleName;
             }
             callback(std::move(creds));
         });
}

void PortalClient::logout(QObject *context, DoneCallback callback)
{
    call("POST", QStringLiteral("/logout"), {}, context, [callback](Core::Result<QByteArray> body) {
        if (!body)
            callback(body.error());
        else
            callback({});
    });
}

void PortalClient::discoverRoles(QObject *context, ProgressCallback progress, DiscoveryCallback callback,
                                 int concurrency)
{
    listAccounts(
        context,
        [this, context, progress, callback, concurrency](Core::Result<QList<PortalAccount>> accounts) {
            if (!accounts) {
                callback(accounts.error());
                return;
            }
            struct Pending
            {
                PortalAccount account;
                int throttledRounds = 0;
            };
            struct State
            {
                QList<Pending> queue;
                Discovery found;
                int total = 0, done = 0, running = 0, waiting = 0;
                int limit = 1; // accounts asked at once; one while the portal throttles
                bool over = false;
            };
            auto state = std::make_shared<State>();
            for (const auto &a : accounts.value())
                state->queue.append(Pending {a, 0});
            state->total = int(state->queue.size());
            state->found.accounts = state->total;
            state->limit = std::max(1, concurrency);
            if (state->total == 0) {
                callback(state->found);
                return;
            }
            progress(0, state->total);
            auto pump = std::make_shared<std::function<void()>>();
            QPointer<QObject> guard(context);
            // The calls in flight and the timers own the pump (it holds itself weakly): when the context
            // dies, the calls drop their callbacks and the pump goes with them.
            std::weak_ptr<std::function<void()>> weakPump = pump;
            *pump = [this, guard, progress, callback, state, weakPump] {
                const auto pump = weakPump.lock();
                if (!pump)
                    return;
                while (!state->over && guard && state->running < state->limit && !state->queue.isEmpty()) {
                    const Pending item = state->queue.takeFirst();
                    ++state->running;
                    listAccountRoles(
                        item.account.accountId, guard.data(), [=, this](Core::Result<QStringList> roles) {
                            --state->running;
                            if (state->over)
                                return;
                            if (!roles && roles.error().kind == Error::Kind::InteractionRequired) {
                                // Signed out: every other account would answer the same.
                                state->over = true;
                                callback(roles.error());
                                return;
                            }
                            const bool throttled = !roles && roles.error().httpStatus == 429;
                            if (throttled && item.throttledRounds < kMaxThrottleRounds) {
                                // Still throttled after the call's own retries: later, and one at a time.
                                state->limit = 1;
                                ++state->waiting;
                                const int delayMs = 2000 << item.throttledRounds;
                                qCInfo(lcAws) << "portal: account" << item.account.accountId
                                              << "throttled; again in" << delayMs << "ms";
                                QTimer::singleShot(delayMs, this, [=] {
                                    --state->waiting;
                                    if (state->over)
                                        return;
                                    state->queue.append(Pending {item.account, item.throttledRounds + 1});
                                    (*pump)();
                                });
                                return;
                            }
                            if (roles) {
                                for (const auto &r : roles.value())
                                    state->found.roles << Core::AwsRole {item.account.accountId, r,
                                                                         item.account.accountName};
                            } else if (!isNotAssigned(roles.error())) {
                                qCInfo(lcAws) << "portal: the roles of account" << item.account.accountId
                                              << "could not be read:" << roles.error().message;
                                state->found.failures << DiscoveryFailure {item.account, roles.error()};
                            }
                            progress(++state->done, state->total);
                            if (state->done == state->total) {
                                state->over = true;
                                callback(state->found);
                                return;
                            }
                            (*pump)();
                        });
                }
            };
            (*pump)();
        });
}

} // namespace Elevate::Aws

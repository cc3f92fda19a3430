// SPDX-License-Identifier: GPL-3.0-or-later
#include "authorizedcall.h"

#include "json.h"
#include "logging.h"

#include <QTimer>

namespace Elevate::Net {

namespace {
/// A wait looks at the clock this often: it ends on time after a suspend or a clock change.
constexpr qint64 kWaitTickMs = 1000;
} // namespace

AuthorizedCall::AuthorizedCall(HttpClient *http, Core::AccessTokenProvider *tokens, const Core::Clock *clock,
                               const CallPolicy *policy, HttpRequest request, QObject *parent, Done done)
    : QObject(parent)
    , m_http(http)
    , m_tokens(tokens)
    , m_clock(clock)
    , m_policy(policy)
    , m_request(std::move(request))
    , m_done(std::move(done))
{ }

void AuthorizedCall::send(HttpClient *http, Core::AccessTokenProvider *tokens, const Core::Clock *clock,
                          const CallPolicy *policy, HttpRequest request, QObject *parent, Done done)
{
    (new AuthorizedCall(http, tokens, clock, policy, std::move(request), parent, std::move(done)))->start();
}

void AuthorizedCall::start()
{
    if (!m_started.isValid()) {
        m_started = m_clock->now();
        m_elapsed.start();
    }
    m_tokens->requestAccessToken(m_policy->resource, this,
                                 [this](Core::Result<QString> token) { send(std::move(token)); });
}

void AuthorizedCall::send(Core::Result<QString> token)
{
    if (!token.ok())
        return finish(token.error());
    m_token = token.value();
    if (m_policy->pace)
        m_policy->pace(this, [this] { transmit(); });
    else
        transmit();
}

void AuthorizedCall::transmit()
{
    HttpRequest req = m_request;
    req.withHeader(m_policy->authHeader, m_policy->authPrefix + m_token.toUtf8());
    if (m_policy->decorate)
        m_policy->decorate(req);
    if (m_policy->sent)
        m_policy->sent();
    m_http->send(req, this, [this](const HttpResponse &r) { onResponse(r); });
}

void AuthorizedCall::onResponse(const HttpResponse &r)
{
    if (r.hasStatus() && m_policy->answered)
        m_policy->answered(r);
    if (r.isSuccess())
        return finish(r);
    if (!m_steppedUp && m_policy->stepUpClaims) {
        if (const QString claims = m_policy->stepUpClaims(r); !claims.isEmpty()) {
            m_steppedUp = true;
            qCInfo(lcNet) << "claims challenge; asking for a step-up sign-in";
            m_tokens->requestStepUpToken(m_policy->resource, claims, this,
                                         [this](Core::Result<QString> token) { send(std::move(token)); });
            return;
        }
    }
    if (r.hasStatus() && r.status == 401 && !m_retried401) {
        m_retried401 = true;
        m_tokens->invalidateAccessToken(m_policy->resource, m_token);
        return start();
    }
    if (m_policy->retryable && m_policy->retryable(r, m_request.method != "GET") && waitBeforeRetry(r))
        return;
    finish(r);
}

bool AuthorizedCall::waitBeforeRetry(const HttpResponse &r)
{
    const QDateTime now = m_clock->now();
    const qint64 backoff = m_policy->backoffMs ? m_policy->backoffMs(m_retries) : 0;
    const qint64 wait
        = qMax(m_policy->minWaitMs,
               parseRetryAfterMs(r.header("retry-after"), now, m_policy->maxRetryAfterMs).value_or(backoff));
    // Time spent so far by either clock: the injected one may be a test's, the monotonic one does not
    // see a suspend.
    const qint64 spent = qMax(m_started.msecsTo(now), m_elapsed.elapsed());
    if ((m_policy->maxRetries > 0 && m_retries >= m_policy->maxRetries)
        || (m_policy->budgetMs > 0 && spent + wait > m_policy->budgetMs)) {
        if (m_policy->gaveUp)
            m_policy->gaveUp(r, wait);
        return false;
    }
    ++m_retries;
    m_retryAt = now.addMSecs(wait);
    m_waitDeadline = QDeadlineTimer(wait);
    if (m_policy->retrying)
        m_policy->retrying(m_request, r, wait, m_retryAt);
    waitTick();
    return true;
}

void AuthorizedCall::waitTick()
{
    const qint64 left = qMin(m_clock->now().msecsTo(m_retryAt), m_waitDeadline.remainingTime());
    if (left <= 0)
        return start();
    QTimer::singleShot(int(qMin(left, kWaitTickMs)), this, &AuthorizedCall::waitTick);
}

void AuthorizedCall::finish(Core::Result<HttpResponse> result)
{
    m_done(std::move(result));
    deleteLater();
}

} // namespace Elevate::Net

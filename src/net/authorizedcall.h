// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/accesstokenprovider.h"
#include "core/clock.h"
#include "httpclient.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QObject>

#include <functional>

namespace Elevate::Net {

/// How one service wants its authorised calls made (see AuthorizedCall). Every hook may be empty.
struct CallPolicy
{
    QString resource; ///< whose token (Core::AccessTokenProvider)
    QByteArray authHeader = "Authorization";
    QByteArray authPrefix = "Bearer "; ///< before the token in authHeader
    /// Whether a failed answer is waited out and sent again. `write`: the request is not a GET, so
    /// an answer that leaves open whether it was carried out must not be retried.
    std::function<bool(const HttpResponse &, bool write)> retryable;
    int maxRetries = 0; ///< 0: as many as the budget allows
    qint64 budgetMs = 0; ///< no retry whose wait ends later than this after the first send; 0: none
    qint64 minWaitMs = 0; ///< the least wait, so a `Retry-After: 0` that keeps coming is no busy loop
    qint64 maxRetryAfterMs = 60'000; ///< a longer Retry-After counts as this long
    /// The wait without Retry-After, for the `retry`-th retry (0 first).
    std::function<qint64(int retry)> backoffMs;
    /// The claims of a challenge in a failed answer (step-up: a new token that satisfies them, once);
    /// empty when the answer holds none.
    std::function<QString(const HttpResponse &)> stepUpClaims;
    /// Before each send: more headers.
    std::function<void(HttpRequest &)> decorate;
    /// Paces the sends: calls `send` (with `context` alive) when the request may go; empty: now.
    std::function<void(QObject *context, std::function<void()> send)> pace;
    std::function<void()> sent; ///< a request went out
    std::function<void(const HttpResponse &)> answered; ///< every answer with a status
    /// A retry of `request` is scheduled at `retryAt` (the injected clock), `waitMs` from now.
    std::function<void(const HttpRequest &request, const HttpResponse &, qint64 waitMs,
                       const QDateTime &retryAt)>
        retrying;
    /// A retryable answer is final: the next wait (`waitMs`) would pass the budget or the count.
    std::function<void(const HttpResponse &, qint64 waitMs)> gaveUp;
};

/**
 * One authorised HTTP call, the same for every service: a token from the provider; 401 → the token
 * invalidated and a new one, once; a claims challenge → a step-up token, once; a retryable answer →
 * Retry-After in full (else the policy's backoff) within the policy's count and time budget. Waits
 * run on the injected clock and a monotonic deadline, whichever ends first (a clock set back must not
 * stretch a wait; a suspend must not either). `done` runs once: with the token's error when no
 * token came, else with the last answer. Deletes itself afterwards.
 */
class AuthorizedCall : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(Core::Result<HttpResponse>)>;
    AuthorizedCall(HttpClient *http, Core::AccessTokenProvider *tokens, const Core::Clock *clock,
                   const CallPolicy *policy, HttpRequest request, QObject *parent, Done done);

    /// Builds a call and starts it; it deletes itself when it has answered. `policy` must outlive the
    /// call (the client's own member).
    static void send(HttpClient *http, Core::AccessTokenProvider *tokens, const Core::Clock *clock,
                     const CallPolicy *policy, HttpRequest request, QObject *parent, Done done);

    void start();

private:
    void send(Core::Result<QString> token);
    void transmit();
    void onResponse(const HttpResponse &r);
    bool waitBeforeRetry(const HttpResponse &r);
    void waitTick();
    void finish(Core::Result<HttpResponse> result);

    HttpClient *m_http;
    Core::AccessTokenProvider *m_tokens;
    const Core::Clock *m_clock;
    const CallPolicy *m_policy;
    HttpRequest m_request;
    Done m_done;
    QString m_token;
    bool m_retried401 = false;
    bool m_steppedUp = false;
    int m_retries = 0;
    QDateTime m_started; // the first send, on the injected clock: the budget counts from here
    QElapsedTimer m_elapsed;
    QDateTime m_retryAt;
    QDeadlineTimer m_waitDeadline;
};

} // namespace Elevate::Net

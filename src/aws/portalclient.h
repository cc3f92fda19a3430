// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/accesstokenprovider.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/model.h"
#include "core/result.h"
#include "net/authorizedcall.h"
#include "net/json.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QUrl>

#include <functional>

namespace Elevate::Net {
class HttpClient;
struct HttpResponse;
} // namespace Elevate::Net

namespace Elevate::Aws {

/// The resource name under which the AccessTokenProvider hands out Identity Center access tokens.
inline const QString kIdcResource = QStringLiteral("aws-sso");

/// Temporary role credentials from GetRoleCredentials (aws-sso.md §3.3). Secrets: never log them.
struct RoleCredentials
{
    QString accountId;
    QString roleName;
    QString accessKeyId;
    QString secretAccessKey;
    QString sessionToken;
    QDateTime expiration; // UTC

    bool isValid() const
    {
        return !accessKeyId.isEmpty() && !secretAccessKey.isEmpty() && expiration.isValid();
    }
};

struct PortalAccount
{
    QString accountId;
    QString accountName; // may be empty
    QString emailAddress; // may be empty
};

/// An account whose roles could not be read during discovery, and why (after the retries).
struct DiscoveryFailure
{
    PortalAccount account;
    Core::Error error;
};

/// What role discovery found: every role of the accounts that answered, and the accounts that did not.
struct Discovery
{
    QList<Core::AwsRole> roles;
    QList<DiscoveryFailure> failures;
    int accounts = 0; // how many accounts ListAccounts listed

    /// Every account answered (no roles at all is still complete).
    bool isComplete() const { return failures.isEmpty(); }
};

/**
 * The IAM Identity Center portal API (service `sso`, aws-sso.md §3): accounts, roles, role
 * credentials, logout. The access token travels in `x-amz-sso_bearer_token`; it comes from the
 * AccessTokenProvider (resource kIdcResource). Each call:
 *   401 UnauthorizedException → the token is dropped, one retry with a fresh one, then
 *       Kind::InteractionRequired ("sign in to AWS again");
 *   403 ForbiddenException    → Kind::Service, serviceCode "ForbiddenException": not assigned (yet);
 *       the sign-in stays;
 *   429 / 5xx                 → Retry-After (else 1 s, 2 s, 4 s), at most three retries.
 * Requests are paced: at most aws.portalRequestsPerSecond go out in any second (the portal's limit
 * is not published; it answers bursts with 429), and after a 429 nothing goes for a second and
 * the pace halves for a minute.
 * Pages are followed (next_token) up to a bound. Callbacks run once, not at all if `context` dies.
 */
class PortalClient : public QObject
{
    Q_OBJECT
public:
    PortalClient(const Core::AwsConfig &config, Net::HttpClient *http, Core::AccessTokenProvider *tokens,
                 const Core::Clock *clock, QObject *parent = nullptr);

    using AccountsCallback = std::function<void(Core::Result<QList<PortalAccount>>)>;
    using RolesCallback = std::function<void(Core::Result<QStringList>)>;
    using CredentialsCallback = std::function<void(Core::Result<RoleCredentials>)>;
    using DoneCallback = std::function<void(Core::Result<void>)>;
    using ProgressCallback = std::function<void(int done, int total)>;
    using DiscoveryCallback = std::function<void(Core::Result<Discovery>)>;

    void listAccounts(QObject *context, AccountsCallback callback);
    void listAccountRoles(const QString &accountId, QObject *context, RolesCallback callback);
    void getRoleCredentials(const QString &accountId, const QString &roleName, QObject *context,
                            CredentialsCallback callback);
    /// Ends the Identity Center session server-side; role credentials already issued stay valid.
    void logout(QObject *context, DoneCallback callback);
    /**
     * Every account and its roles: ListAccounts (all pages), then ListAccountRoles for at most
     * `concurrency` accounts at a time. `progress` fires after each account.
     *
     *   ListAccounts ──fails──▶ error
     *        │ N accounts
     *        ▼
     *   ListAccountRoles × N ── 403 (no assignment now) ──▶ no roles, not a failure
     *        │              ── still throttled after the call's retries ──▶ asked again later, with
     *        │                 one account at a time (kMaxThrottleRounds), then a failure
     *        │              ── 401 after a fresh token ──▶ error: every other account would fail alike
     *        │              ── anything else ──▶ a failure of that account; the others go on
     *        ▼
     *   Discovery {roles, failures}
     */
    void discoverRoles(QObject *context, ProgressCallback progress, DiscoveryCallback callback,
                       int concurrency = 3);

    /// How many HTTP requests this client sent (tests and `--verbose` count round trips with it).
    int requestCount() const { return m_requests; }

    /// The portal's error code of a response (x-amzn-ErrorType, else `code`, else `__type`; §1.2).
    static QString errorCode(const Net::HttpResponse &response);
    static Core::Error errorFor(const Net::HttpResponse &response);
    /// True for the 403 that means "no assignment (yet)" rather than "signed out".
    static bool isNotAssigned(const Core::Error &error);
    static Core::Result<RoleCredentials> parseRoleCredentials(const QByteArray &body);

    /// Pages one list may take before it is cut off as runaway (100 items a page: 200,000 items).
    static constexpr int kMaxPages = 2000;
    /// How often discovery asks again for an account that stayed throttled through a call's retries.
    static constexpr int kMaxThrottleRounds = 4;

private:
    using ResponseCallback = std::function<void(Core::Result<QByteArray>)>;
    void call(const QByteArray &method, const QString &path, const QList<QPair<QString, QString>> &query,
              QObject *context, ResponseCallback callback);
    void listPaged(const QString &path, QList<QPair<QString, QString>> query, const char *listKey,
                   QObject *context, std::function<void(Core::Result<std::vector<Net::Json>>)> callback);

    /// Books the next request's slot; returns how many milliseconds the request waits for it.
    qint64 reserveSlot();
    /// A 429 came: a second's pause, then half the pace (at least one a second) for the next minute.
    void slowDown();
    /// Runs `send` (with `context` alive) in the next free slot of the pace.
    void paced(QObject *context, std::function<void()> send);

    QUrl m_base;
    Net::HttpClient *m_http;
    Core::AccessTokenProvider *m_tokens;
    const Core::Clock *m_clock;
    int m_requests = 0;
    int m_ratePerSecond; // aws.portalRequestsPerSecond
    int m_currentRate; // lower for a minute after a 429
    QElapsedTimer m_pace; // monotonic: slots are intervals, not times of day
    qint64 m_nextSlotUs = 0;
    qint64 m_slowUntilUs = 0;
    qint64 m_lastSlowDownUs = -1'000'000; // long enough ago
    int m_slowDowns = 0; // 429s so far: a slot booked before the latest one is void
    Net::CallPolicy m_callPolicy;
};

} // namespace Elevate::Aws

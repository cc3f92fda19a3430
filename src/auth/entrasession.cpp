// SPDX-License-Identifier: GPL-3.0-or-later
#include "entrasession.h"

#include "entraprotocol.h"
#include "logging.h"
#include "loopbackreceiver.h"
#include "net/httpclient.h"
#include "net/json.h"
#include "pkce.h"

#include <QHash>
#include <QPointer>
#include <QRegularExpression>
#include <QTimer>

#include <utility>

namespace Elevate::Auth {

using Core::Error;

namespace {
/// Access tokens with less than this left are refreshed first (MSAL's 5-minute buffer).
constexpr qint64 kExpiryBufferSecs = 300;
/// After a transient token-endpoint failure without Retry-After: 5 s, doubling, at most 5 min.
constexpr qint64 kFirstBackoffMs = 5'000;
constexpr qint64 kMaxBackoffMs = 300'000;
/// A Retry-After is honoured in full; only a value that would lock the session for good is cut.
constexpr qint64 kMaxRetryAfterMs = 24LL * 3600 * 1000;

struct CachedToken
{
    QString token;
    QDateTime expires;
};

struct Waiter
{
    QPointer<QObject> context;
    Core::AccessTokenProvider::Callback callback;
};
} // namespace

class EntraSession::Private
{
public:
    EntraSession *q;
    Core::AppConfig config;
    Net::HttpClient *http;
    SecretStore *secrets;
    const Core::Clock *clock;

    State state = State::SignedOut;
    std::optional<Core::Account> account;
    QString refreshToken; // in memory while signed in; persisted only in the SecretStore
    QHash<QString, CachedToken> accessTokens; // by resource
    QHash<QString, QList<Waiter>> waiters; // by resource, while a refresh runs
    QList<Waiter> stepUpWaiters; // answered when the step-up sign-in finishes
    quint64 stepUpAttempt = 0; // the interactive attempt that serves them, 0 = none yet

    // The current attempt (restore / interactive / device code). A new one invalidates the old.
    quint64 attempt = 0;
    bool attemptOpen = false;
    std::unique_ptr<LoopbackReceiver> receiver;
    AuthorizationRequest request;
    QTimer devicePoll;
    QString deviceCode;
    QString loginHint;

    // Entra failed transiently (5xx, 429, temporarily_unavailable): the sign-in stays, and no refresh
    // is sent before `refreshNotBefore` (on the injected clock); requests meanwhile get `transientError`.
    QDateTime refreshNotBefore;
    int transientFailures = 0;
    Error transientError;
    // Entra wants the user (interaction_required, invalid_grant): the refresh token stays, as MSAL keeps
    // it, but only an interactive sign-in, carrying Entra's claims, signs in again.
    bool needsInteraction = false;
    QString pendingClaims;
    QDateTime deviceExpires;
    int deviceInterval = 5;

    QString keychainKey() const
    {
        return QStringLiteral("entra:%1:%2:%3")
            .arg(QUrl(config.authorityHost).authority(), config.tenant, config.clientId);
    }

    /// A "resource" that names one scope of a resource (https://graph.microsoft.com/Synchronization.
    /// ReadWrite.All): a token for that scope alone, asked for when it is needed (incremental consent).
    bool isSingleScope(const QString &resource) const
    {
        return resource.startsWith(config.graphResource + u'/');
    }

    QStringList scopesFor(const QString &resource) const
    {
        if (resource == config.graphResource)
            return signInScopes(config);
        if (isSingleScope(resource))
            return {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("offline_access"),
                    resource};
        return {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("offline_access"),
                resource + QStringLiteral("/.default")};
    }

    void setState(State s)
    {
        if (state == s)
            return;
        state = s;
        Q_EMIT q->stateChanged(s);
    }

    /// Ends the current attempt with `result`, once.
    void finishAttempt(const Core::Result<Core::Account> &result)
    {
        if (!attemptOpen)
            return;
        attemptOpen = false;
        devicePoll.stop();
        if (receiver)
            receiver->cancel(); // no-op when it already finished
        // A failed attempt leaves an earlier sign-in in place (its refresh token still works), unless
        // Entra said that only the user can go on.
        setState(result.ok() || (account && !refreshToken.isEmpty() && !needsInteraction) ? State::SignedIn
                                                                                          : State::SignedOut);
        Q_EMIT q->signInFinished(result);
        if (stepUpAttempt == attempt && !stepUpWaiters.isEmpty()) {
            const auto it = accessTokens.constFind(config.graphResource);
            answerStepUp(result.ok() && it != accessTokens.cend()
                             ? Core::Result<QString>(it->token)
                             : Core::Result<QString>(
                                 result.ok() ? Error::make(Error::Kind::Internal,
                                                           QStringLiteral("no token after step-up"))
                                             : result.error()));
        }
    }

    void answerStepUp(const Core::Result<QString> &result)
    {
        stepUpAttempt = 0;
        const QList<Waiter> list = std::exchange(stepUpWaiters, {});
        for (const Waiter &w : list)
            if (w.context)
                w.callback(result);
    }

    quint64 beginAttempt(State s)
    {
        if (attemptOpen)
            finishAttempt(
                Error::make(Error::Kind::Cancelled, QStringLiteral("replaced by a new sign-in attempt")));
        attemptOpen = true;
        setState(s);
        return ++attempt;
    }

    QByteArray blob() const
    {
        Net::Json j = {{"v", 1},
                       {"account",
                        {{"homeAccountId", account->homeAccountId.toStdString()},
                         {"objectId", account->objectId.toStdString()},
                         {"tenantId", account->tenantId.toStdString()},
                         {"username", account->username.toStdString()},
                         {"displayName", account->displayName.toStdString()}}},
                       {"refreshToken", refreshToken.toStdString()}};
        return QByteArray::fromStdString(j.dump());
    }

    /// The account and refresh token of a keychain entry; false when it is not one.
    static bool parseBlob(const QByteArray &bytes, Core::Account *acc, QString *rt)
    {
        // Only what Elevate wrote counts; anything else (not JSON, another shape, "v" of another type,
        // which Json::value() would throw on) is no entry, and the next sign-in overwrites it.
        const auto parsed = Net::parseJson(bytes);
        if (!parsed.ok() || Net::jsonInt(parsed.value(), "v") != 1)
            return false;
        const Net::Json &j = parsed.value();
        const Net::Json a = j.value("account", Net::Json::object());
        acc->homeAccountId = Net::jsonString(a, "homeAccountId");
        acc->objectId = Net::jsonString(a, "objectId");
        acc->tenantId = Net::jsonString(a, "tenantId");
        acc->username = Net::jsonString(a, "username");
        acc->displayName = Net::jsonString(a, "displayName");
        *rt = Net::jsonString(j, "refreshToken");
        return acc->isValid() && !rt->isEmpty();
    }

    bool readBlob(const QByteArray &bytes)
    {
        Core::Account acc;
        QString rt;
        if (!parseBlob(bytes, &acc, &rt))
            return false;
        account = acc;
        refreshToken = rt;
        return true;
    }

    /// The token endpoint failed in a way that passes: wait as Entra asks, or back off, then try again.
    void noteTransient(const Net::HttpResponse &response, const Error &error)
    {
        ++transientFailures;
        const qint64 backoff = qMin(kMaxBackoffMs, kFirstBackoffMs << qMin(transientFailures - 1, 10));
        const qint64 wait
            = Net::parseRetryAfterMs(response.header("retry-after"), clock->now(), kMaxRetryAfterMs)
                  .value_or(backoff);
        refreshNotBefore = clock->now().addMSecs(wait);
        transientError = error;
        qCInfo(lcAuth) << "Entra failed transiently (HTTP" << response.status << "), next refresh in" << wait
                       << "ms";
    }

    /// Entra refused silent sign-in: keep the refresh token and the account (for the login hint),
    /// remember its claims for the interactive sign-in that must follow.
    void noteInteractionRequired(const Error &error)
    {
        needsInteraction = true;
        pendingClaims = error.claims;
        accessTokens.clear();
    }

    /// Keeps what a token response brought: the access token in memory, the rotated refresh token.
    void absorb(const QString &resource, const TokenResponse &t)
    {
        transientFailures = 0;
        refreshNotBefore = {};
        accessTokens.insert(resource, CachedToken {t.accessToken, clock->now().addSecs(t.expiresIn)});
        if (!t.refreshToken.isEmpty())
            refreshToken = t.refreshToken;
    }

    /// After an interactive or device-code sign-in: account from the id_token, then the keychain.
    void completeSignIn(quint64 id, const Net::HttpResponse &response, const QByteArray &nonce)
    {
        if (id != attempt || !attemptOpen)
            return;
        const auto tokens = parseTokenResponse(response);
        if (!tokens.ok())
            return finishAttempt(tokens.error());
        const auto acc
            = accountFromIdToken(tokens->idToken, tokens->clientInfo, config.clientId, nonce, config.tenant);
        if (!acc.ok())
            return finishAttempt(acc.error());
        if (tokens->refreshToken.isEmpty())
            return finishAttempt(
                Error::make(Error::Kind::Service,
                            QStringLiteral("Entra sent no refresh token (is offline_access allowed?)"))
                    .withSource(Error::Source::Entra));
        const std::optional<Core::Account> previous = account;
        const QString previousRt = refreshToken;
        account = acc.value();
        accessTokens.clear();
        absorb(config.graphResource, tokens.value());
        secrets->write(keychainKey(), blob(), q,
                       [this, id, previous, previousRt](Core::Result<void> written) {
                           if (id != attempt)
                               return;
                           if (!written.ok()) {
                               // Never keep tokens we cannot store safely; there is no plaintext fallback.
                               account = previous;
                               refreshToken = previousRt;
                               accessTokens.clear();
                               return finishAttempt(written.error());
                           }
                           needsInteraction = false;
                           pendingClaims.clear();
                           finishAttempt(account.value());
                       });
    }

    void refresh(const QString &resource)
    {
        const quint64 id = attempt;
        http->send(refreshRequest(config, refreshToken, scopesFor(resource)), q,
                   [this, resource, id](const Net::HttpResponse &response) {
                       const auto tokens = parseTokenResponse(response);
                       const QList<Waiter> list = waiters.take(resource);
                       const Core::Result<QString> result = tokens.ok()
                           ? Core::Result<QString>(tokens->accessToken)
                           : Core::Result<QString>(tokens.error());
                       auto deliver = [list, result] {
                           for (const Waiter &w : list)
                               if (w.context)
                                   w.callback(result);
                       };
                       if (tokens.ok()) {
                           const QString oldRt = refreshToken;
                           absorb(resource, tokens.value());
                           if (refreshToken != oldRt && account) {
                               // The old refresh token is dead now: answer only once the new one is in the
                               // keychain, so a program that exits right after cannot lose it.
                               secrets->write(keychainKey(), blob(), q, [deliver](Core::Result<void> r) {
                                   if (!r.ok())
                                       qCWarning(lcAuth) << "could not store the rotated refresh token:"
                                                         << r.error().message;
                                   deliver();
                               });
                               return;
                           }
                       } else if (isTransientTokenError(response) && response.hasStatus()) {
                           noteTransient(response, tokens.error());
                       } else if (tokens.error().kind == Error::Kind::InteractionRequired && id == attempt
                                  && !isSingleScope(resource)) {
                           // Interactive sign-in needed. The refresh token stays, in memory and in the
                           // keychain (MSAL keeps it: it may still work for other resources); a new sign-in
                           // replaces it. A scope asked for on its own (no consent for it) leaves the
                           // sign-in alone.
                           noteInteractionRequired(tokens.error());
                           setState(State::SignedOut);
                       }
                       deliver();
                   });
    }
};

EntraSession::EntraSession(Core::AppConfig config, Net::HttpClient *http, SecretStore *secrets,
                           const Core::Clock *clock, QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->config = std::move(config);
    d->http = http;
    d->secrets = secrets;
    d->clock = clock;
    d->devicePoll.setSingleShot(true);
}

EntraSession::~EntraSession() = default;

EntraSession::State EntraSession::state() const
{
    return d->state;
}

std::optional<Core::Account> EntraSession::account() const
{
    return d->state == State::SignedIn ? d->account : std::nullopt;
}

void EntraSession::restore()
{
    const quint64 id = d->beginAttempt(State::Restoring);
    d->secrets->read(d->keychainKey(), this, [this, id](Core::Result<std::optional<QByteArray>> read) {
        if (id != d->attempt)
            return;
        if (!read.ok())
            return d->finishAttempt(read.error());
        if (!read.value())
            return d->finishAttempt(
                Error::make(Error::Kind::NotSignedIn, QStringLiteral("no saved sign-in")));
        if (!d->readBlob(*read.value())) {
            qCWarning(lcAuth) << "ignoring an unreadable Entra keychain entry";
            return d->finishAttempt(
                Error::make(Error::Kind::NotSignedIn,
                            QStringLiteral("the saved sign-in could not be read; sign in again")));
        }
        d->http->send(
            refreshRequest(d->config, d->refreshToken, signInScopes(d->config)), this,
            [this, id](const Net::HttpResponse &response) {
                if (id != d->attempt)
                    return;
                const auto tokens = parseTokenResponse(response);
                const Error::Kind kind = tokens.ok() ? Error::Kind::None : tokens.error().kind;
                if (kind == Error::Kind::Network || kind == Error::Kind::Timeout) {
                    // Offline at start: stay signed in with the saved refresh token, as MSAL does;
                    // the next token request refreshes once the network is back.
                    qCDebug(lcAuth) << "restored offline:" << tokens.error().message;
                    return d->finishAttempt(d->account.value());
                }
                if (!tokens.ok() && isTransientTokenError(response)) {
                    // Entra is busy or down, which says nothing about the sign-in: keep it, try later.
                    d->noteTransient(response, tokens.error());
                    return d->finishAttempt(d->account.value());
                }
                if (!tokens.ok() && kind == Error::Kind::InteractionRequired) {
                    d->noteInteractionRequired(tokens.error());
                    return d->finishAttempt(tokens.error());
                }
                if (!tokens.ok()) {
                    d->account.reset();
                    d->refreshToken.clear();
                    d->accessTokens.clear();
                    return d->finishAttempt(tokens.error());
                }
                d->absorb(d->config.graphResource, tokens.value());
                d->needsInteraction = false;
                d->pendingClaims.clear();
                d->secrets->write(d->keychainKey(), d->blob(), this, [this, id](Core::Result<void> written) {
                    if (id != d->attempt)
                        return;
                    if (!written.ok())
                        qCWarning(lcAuth)
                            << "could not store the rotated refresh token:" << written.error().message;
                    d->finishAttempt(d->account.value());
                });
            });
    });
}

void EntraSession::readSavedAccount(
    QObject *context, std::function<void(Core::Result<std::optional<Core::Account>>)> callback) const
{
    d->secrets->read(d->keychainKey(), context, [callback](Core::Result<std::optional<QByteArray>> read) {
        if (!read.ok())
            return callback(read.error());
        Core::Account acc;
        QString rt;
        if (!read.value() || !Private::parseBlob(*read.value(), &acc, &rt))
            return callback(std::optional<Core::Account>());
        callback(std::optional<Core::Account>(acc));
    });
}

void EntraSession::signInInteractive()
{
    // The claims Entra sent when it refused the silent sign-in go with the user's sign-in (§5.4 step 3).
    signInInteractiveWithClaims(d->pendingClaims.isEmpty() ? QString()
                                                           : mergeClientCapabilities(d->pendingClaims));
}

void EntraSession::signInInteractiveWithClaims(const QString &claims)
{
    const quint64 id = d->beginAttempt(State::SigningIn);
    d->receiver = std::make_unique<LoopbackReceiver>();
    AuthorizationRequest &req = d->request;
    req = AuthorizationRequest {};
    req.state = randomUrlSafe(32);
    req.nonce = randomUrlSafe(32);
    const Pkce pkce = Pkce::generate();
    req.codeVerifier = pkce.verifier;
    req.codeChallenge = pkce.challenge;
    const ClaimsRequest asked = splitClaimsRequest(claims);
    req.claims = asked.claims;
    req.amrValues = asked.amrValues;
    req.loginHint = !d->loginHint.isEmpty() ? d->loginHint : d->account ? d->account->username : QString();
    const auto port = d->receiver->start(req.state, d->config.signInTimeoutSeconds * 1000);
    if (!port.ok())
        return d->finishAttempt(port.error());
    req.redirectUri = QStringLiteral("http://%1:%2/").arg(d->config.redirectHost).arg(port.value());
    connect(
        d->receiver.get(), &LoopbackReceiver::finished, this,
        [this, id](const Core::Result<AuthorizationResponse> &result) {
            if (id != d->attempt || !d->attemptOpen)
                return;
            if (!result.ok()) {
                Error e = result.error();
                if (e.kind == Error::Kind::Cancelled && e.message.contains(u"in time"))
                    e.message = QStringLiteral("the sign-in in the browser did not finish in time");
                return d->finishAttempt(e);
            }
            const AuthorizationResponse &r = result.value();
            if (!r.error.isEmpty()) {
                static const QRegularExpression aadsts(QStringLiteral("^(AADSTS\\d+):\\s*(.*)$"));
                const auto m = aadsts.match(r.errorDescription);
                QString description = m.hasMatch() ? m.captured(2) : r.errorDescription;
                const qsizetype trace = description.indexOf(QStringLiteral(" Trace ID:"));
                if (trace > 0)
                    description.truncate(trace);
                return d->finishAttempt(
                    Error::make(r.error == u"access_denied" ? Error::Kind::Cancelled : Error::Kind::Service,
                                description.isEmpty() ? r.error : description.trimmed(), 0,
                                m.hasMatch() ? m.captured(1) : r.error)
                        .withSource(Error::Source::Entra));
            }
            // Redeem at once, once (entra-auth.md §7.5 item 9).
            const QByteArray nonce = d->request.nonce;
            d->http->send(codeRedemption(d->config, d->request, r.code), this,
                          [this, id, nonce](const Net::HttpResponse &response) {
                              d->completeSignIn(id, response, nonce);
                          });
        });
    Q_EMIT browserUrlReady(authorizeUrl(d->config, req));
}

void EntraSession::setLoginHint(const QString &upn)
{
    d->loginHint = upn;
}

void EntraSession::signInWithDeviceCode()
{
    const quint64 id = d->beginAttempt(State::SigningIn);
    d->http->send(deviceCodeRequest(d->config), this, [this, id](const Net::HttpResponse &response) {
        if (id != d->attempt || !d->attemptOpen)
            return;
        const auto dc = parseDeviceCodeResponse(response);
        if (!dc.ok())
            return d->finishAttempt(dc.error());
        d->deviceCode = dc->deviceCode;
        d->deviceInterval = dc->interval;
        d->deviceExpires = d->clock->now().addSecs(dc->expiresIn);
        disconnect(&d->devicePoll, nullptr, this, nullptr);
        connect(&d->devicePoll, &QTimer::timeout, this, [this, id] {
            if (id != d->attempt || !d->attemptOpen)
                return;
            if (d->clock->now() >= d->deviceExpires)
                return d->finishAttempt(Error::make(
                    Error::Kind::Cancelled, QStringLiteral("the device code expired before sign-in")));
            d->http->send(deviceCodePoll(d->config, d->deviceCode), this,
                          [this, id](const Net::HttpResponse &r) {
                              if (id != d->attempt || !d->attemptOpen)
                                  return;
                              if (!r.isSuccess() && r.hasStatus()) {
                                  const QString code = oauthErrorCode(r);
                                  if (code == u"authorization_pending" || code == u"slow_down") {
                                      if (code == u"slow_down")
                                          d->deviceInterval += 5;
                                      d->devicePoll.start(d->deviceInterval * 1000);
                                      return;
                                  }
                              }
                              d->completeSignIn(id, r, {});
                          });
        });
        d->devicePoll.start(d->deviceInterval * 1000);
        Q_EMIT deviceCodeReady(dc->userCode, dc->verificationUri, dc->message, d->deviceExpires);
    });
}

void EntraSession::cancelSignIn()
{
    d->finishAttempt(Error::make(Error::Kind::Cancelled, QStringLiteral("sign-in cancelled")));
}

void EntraSession::signOut()
{
    if (d->attemptOpen)
        d->finishAttempt(Error::make(Error::Kind::Cancelled, QStringLiteral("signed out")));
    ++d->attempt;
    d->account.reset();
    d->refreshToken.clear();
    d->accessTokens.clear();
    d->needsInteraction = false;
    d->pendingClaims.clear();
    d->transientFailures = 0;
    d->refreshNotBefore = {};
    d->setState(State::SignedOut);
    d->secrets->remove(d->keychainKey(), this,
                       [this](Core::Result<void> removed) { Q_EMIT signedOut(removed); });
}

void EntraSession::requestAccessToken(const QString &resource, QObject *context, Callback callback)
{
    QPointer<QObject> guard(context);
    auto answer = [guard, callback](Core::Result<QString> r) {
        if (!guard)
            return;
        QTimer::singleShot(0, guard.data(), [guard, callback, r] {
            if (guard)
                callback(r);
        });
    };
    if (d->state != State::SignedIn || d->refreshToken.isEmpty())
        return answer(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in")));
    const auto it = d->accessTokens.constFind(resource);
    if (it != d->accessTokens.cend() && d->clock->now().secsTo(it->expires) > kExpiryBufferSecs)
        return answer(it->token);
    if (d->refreshNotBefore.isValid() && d->clock->now() < d->refreshNotBefore)
        return answer(d->transientError);
    const bool running = d->waiters.contains(resource);
    d->waiters[resource].append(Waiter {guard, callback});
    if (!running)
        d->refresh(resource);
}

void EntraSession::requestStepUpToken(const QString &resource, const QString &claims, QObject *context,
                                      Callback callback)
{
    QPointer<QObject> guard(context);
    if (d->state != State::SignedIn || d->refreshToken.isEmpty() || resource != d->config.graphResource) {
        callback(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in")));
        return;
    }
    const bool running = !d->stepUpWaiters.isEmpty();
    d->stepUpWaiters.append(Waiter {guard, callback});
    if (running)
        return;
    const QString merged = mergeClientCapabilities(claims);
    if (splitClaimsRequest(merged).amrValues.contains(u"mfa")) {
        // A refresh keeps the methods of the sign-in it came from: only the user can add MFA.
        qCInfo(lcAuth) << "step-up to MFA needs an interactive sign-in";
        d->stepUpAttempt = d->attempt + 1;
        signInInteractiveWithClaims(merged);
        return;
    }
    const quint64 attemptAtStart = d->attempt;
    // Silent first: the session may already satisfy the claims (entra-auth.md §5.4 step 2).
    d->http->send(refreshRequest(d->config, d->refreshToken, d->scopesFor(resource), merged), this,
                  [this, resource, merged, attemptAtStart](const Net::HttpResponse &response) {
                      // Signed out (or another sign-in began) meanwhile: this answer belongs to nobody.
                      if (d->attempt != attemptAtStart || d->state != State::SignedIn)
                          return d->answerStepUp(Error::make(
                              Error::Kind::Cancelled, QStringLiteral("signed out during the step-up")));
                      const auto tokens = parseTokenResponse(response);
                      if (tokens.ok()) {
                          d->absorb(resource, tokens.value());
                          return d->answerStepUp(tokens->accessToken);
                      }
                      if (isTransientTokenError(response) && response.hasStatus())
                          d->noteTransient(response, tokens.error());
                      if (tokens.error().kind != Error::Kind::InteractionRequired)
                          return d->answerStepUp(tokens.error());
                      qCInfo(lcAuth) << "step-up needs an interactive sign-in";
                      d->stepUpAttempt = d->attempt + 1; // the attempt about to begin
                      signInInteractiveWithClaims(merged);
                  });
}

void EntraSession::invalidateAccessToken(const QString &resource, const QString &token)
{
    const auto it = d->accessTokens.constFind(resource);
    if (it != d->accessTokens.cend() && it->token == token)
        d->accessTokens.remove(resource);
}

} // namespace Elevate::Auth

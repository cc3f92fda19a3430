// SPDX-License-Identifier: GPL-3.0-or-later
#include "idcsession.h"

#include "idcprotocol.h"
#include "logging.h"
#include "loopbackreceiver.h"
#include "net/httpclient.h"
#include "net/json.h"
#include "pkce.h"

#include <QLocale>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <optional>
#include <utility>

namespace Elevate::Auth {

using Core::Error;

namespace {
/// Access tokens with less than this left are refreshed first: a portal call started with one must
/// not outlive it.
constexpr qint64 kExpiryBufferSecs = 120;
constexpr int kEntryVersion = 1;

/// What one sign-in leaves: the keychain entry's contents and, in memory only, the access token.
struct SignIn
{
    Idc::Registration registration; // the refresh token belongs to it
    QString refreshToken;
    QDateTime signedInAt; // invalid: never signed in (or signed out)
    QString accessToken;
    QDateTime accessExpires;
};

struct Waiter
{
    QPointer<QObject> context;
    Core::AccessTokenProvider::Callback callback;
};

/// Failures after which the saved sign-in is still good: the service was not reached or had trouble.
bool isTransient(const Error &e)
{
    return e.kind == Error::Kind::Network || e.kind == Error::Kind::Timeout || e.httpStatus >= 500
        || e.httpStatus == 429 || e.serviceCode == u"slow_down";
}

/// The sentence for a CreateToken refusal that no retry turns into a token (Idc::isFinalRefusal).
QString finalRefusalMessage(const QString &code, bool refreshing)
{
    if (code == u"expired_token")
        return refreshing ? QStringLiteral("Identity Center says the sign-in has expired (expired_token); "
                                           "sign in to AWS again")
                          : QStringLiteral("the sign-in took too long and its code expired (expired_token); "
                                           "sign in to AWS again");
    if (code == u"access_denied")
        return refreshing ? QStringLiteral("Identity Center refused to renew the sign-in (access_denied); "
                                           "sign in to AWS again")
                          : QStringLiteral("Identity Center refused the sign-in (access_denied)");
    return QStringLiteral("Identity Center does not let Elevate's client registration use this sign-in "
                          "(%1); sign in to AWS again and Elevate registers anew")
        .arg(code);
}

/// The service's time from an answer's Date header (RFC 7231 IMF-fixdate); invalid when absent.
QDateTime serverDate(const Net::HttpResponse &response)
{
    const QByteArray date = response.header("Date").trimmed();
    if (date.isEmpty())
        return {};
    QDateTime t = QLocale::c().toDateTime(QString::fromLatin1(date),
                                          QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (t.isValid())
        t.setTimeSpec(Qt::UTC);
    return t;
}

QString flowName(Idc::Flow flow)
{
    return flow == Idc::Flow::AuthorizationCode ? QStringLiteral("authorization-code")
                                                : QStringLiteral("device-code");
}
} // namespace

class IdcSession::Private
{
public:
    IdcSession *q;
    Core::AppConfig config;
    Net::HttpClient *http;
    SecretStore *secrets;
    const Core::Clock *clock;

    State state = State::SignedOut;

    SignIn current; // mirrors the keychain entry, plus the access token
    bool entryKnown = false; // the entry was read (or written) by this object
    /// A registration made while a refresh token was bound to current.registration: used by the next
    /// attempt, stored only when a sign-in with it succeeds.
    std::optional<Idc::Registration> spare;

    QList<Waiter> waiters; // token requests not answered yet
    std::optional<quint64> refreshFor; // the epoch of the refresh in flight
    quint64 epoch = 0; // bumped whenever the tokens are replaced or dropped

    // The current attempt (restore / interactive / device code). A new one cancels the old.
    quint64 attempt = 0;
    bool attemptOpen = false;
    std::unique_ptr<LoopbackReceiver> receiver;
    Idc::AuthorizationRequest request;
    Idc::Registration attemptRegistration;
    QTimer deadline;
    QTimer devicePoll;
    QString deviceCode;
    QDateTime deviceExpires;
    int deviceInterval = 1;

    QString key() const { return IdcSession::keychainKey(config.aws); }
    /// Identity Center does not say who signed in: the sign-in is named by its start URL.
    QString displayName() const { return config.aws.startUrl; }

    bool hasFreshToken() const
    {
        return !current.accessToken.isEmpty()
            && clock->now().secsTo(current.accessExpires) > kExpiryBufferSecs;
    }
    bool hasSession() const { return !current.refreshToken.isEmpty() || hasFreshToken(); }

    void setState(State s)
    {
        if (state == s)
            return;
        state = s;
        Q_EMIT q->stateChanged(s);
    }

    // ---- the keychain entry ----

    QByteArray blob() const
    {
        Net::Json j = {{"v", kEntryVersion},
                       {"startUrl", config.aws.startUrl.toStdString()},
                       {"region", config.aws.region.toStdString()}};
        if (current.registration.isValid()) {
            j["clientId"] = current.registration.clientId.toStdString();
            j["clientSecret"] = current.registration.clientSecret.toStdString();
            j["registrationExpiresAt"] = current.registration.expiresAt.toSecsSinceEpoch();
            Net::Json grants = Net::Json::array();
            for (const QString &g : current.registration.grantTypes)
                grants.push_back(g.toStdString());
            j["grantTypes"] = grants;
        }
        if (!current.refreshToken.isEmpty())
            j["refreshToken"] = current.refreshToken.toStdString();
        if (current.signedInAt.isValid())
            j["signedInAt"] = current.signedInAt.toSecsSinceEpoch();
        return QByteArray::fromStdString(j.dump());
    }

    /// Replaces the mirrored entry with `bytes` (nullopt: no entry). An unreadable entry counts as
    /// none; the next sign-in overwrites it.
    void loadEntry(const std::optional<QByteArray> &bytes)
    {
        ++epoch;
        current = {};
        spare.reset();
        entryKnown = true;
        if (!bytes)
            return;
        const auto parsed = Net::parseJson(*bytes);
        // Json::value("v", 0) would throw on a "v" of another type: jsonInt never does.
        if (!parsed.ok() || Net::jsonInt(parsed.value(), "v") != kEntryVersion) {
            qCWarning(lcAuth) << "ignoring an unreadable Identity Center keychain entry";
            return;
        }
        const Net::Json &j = parsed.value();
        current.registration.clientId = Net::jsonString(j, "clientId");
        current.registration.clientSecret = Net::jsonString(j, "clientSecret");
        if (const auto expires = Net::jsonInt(j, "registrationExpiresAt"); expires && *expires > 0)
            current.registration.expiresAt = QDateTime::fromSecsSinceEpoch(*expires, Qt::UTC);
        if (j.contains("grantTypes") && j["grantTypes"].is_array())
            for (const auto &g : j["grantTypes"])
                if (g.is_string())
                    current.registration.grantTypes.append(QString::fromStdString(g.get<std::string>()));
        if (!current.registration.isValid())
            current.registration = {};
        // An older entry's "userName" (a login hint Identity Center never confirmed) is not read.
        if (const auto at = Net::jsonInt(j, "signedInAt"); at && *at > 0)
            current.signedInAt = QDateTime::fromSecsSinceEpoch(*at, Qt::UTC);
        // A refresh token without its client is useless; one without the time of its sign-in is none
        // Elevate wrote (restore would call it no sign-in while the session kept using it).
        if (current.registration.isValid() && current.signedInAt.isValid())
            current.refreshToken = Net::jsonString(j, "refreshToken");
    }

    /// Writes the mirrored entry; a failure is only logged (the caller has nothing better to do).
    /// `then` runs once the keychain has answered.
    void persist(const char *why, std::function<void()> then = {})
    {
        entryKnown = true;
        secrets->write(key(), blob(), q, [why, then](Core::Result<void> written) {
            if (!written.ok())
                qCWarning(lcAuth) << "could not update the Identity Center keychain entry (" << why
                                  << "):" << written.error().message;
            if (then)
                then();
        });
    }

    /// Identity Center no longer knows the client: its refresh token and access token go with it.
    void forgetRegistration(const QString &clientId)
    {
        if (spare && spare->clientId == clientId)
            spare.reset();
        if (current.registration.clientId != clientId)
            return;
        qCInfo(lcAuth) << "the Identity Center client registration is no longer valid; dropped";
        current.registration = {};
        current.refreshToken.clear();
        current.accessToken.clear();
        ++epoch;
        persist("dropped registration");
    }

    // ---- attempts ----

    quint64 beginAttempt(State s)
    {
        if (attemptOpen)
            finishAttempt(
                Error::make(Error::Kind::Cancelled, QStringLiteral("replaced by a new sign-in attempt")));
        attemptOpen = true;
        setState(s);
        return ++attempt;
    }

    bool isCurrent(quint64 id) const { return id == attempt && attemptOpen; }

    /// Ends the current attempt with `result`, once.
    void finishAttempt(const Core::Result<QString> &result)
    {
        if (!attemptOpen)
            return;
        attemptOpen = false;
        deadline.stop();
        devicePoll.stop();
        if (receiver)
            receiver->cancel(); // no-op when it already finished
        request = {}; // the verifier is of no use to anyone now
        deviceCode.clear();
        // A failed attempt leaves an earlier sign-in in place (its refresh token still works).
        setState(result.ok() || hasSession() ? State::SignedIn : State::SignedOut);
        Q_EMIT q->signInFinished(result);
        serveWaiters();
    }

    /// Runs `next` once the keychain entry is mirrored (reading it first if this object has not).
    void withEntry(quint64 id, std::function<void()> next)
    {
        if (entryKnown)
            return next();
        secrets->read(key(), q, [this, id, next](Core::Result<std::optional<QByteArray>> read) {
            if (!isCurrent(id))
                return;
            if (!read.ok())
                return finishAttempt(read.error());
            loadEntry(read.value());
            next();
        });
    }

    /// Runs `next` with a registration usable for `flow`: the stored one, the spare, or a new one.
    void withRegistration(quint64 id, Idc::Flow flow, std::function<void(const Idc::Registration &)> next)
    {
        const QDateTime now = clock->now();
        if (Idc::isUsableFor(current.registration, flow, now))
            return next(current.registration);
        if (spare && Idc::isUsableFor(*spare, flow, now))
            return next(*spare);
        http->send(Idc::registerClientRequest(config.aws, flow), q,
                   [this, id, flow, next](const Net::HttpResponse &response) {
                       if (!isCurrent(id))
                           return;
                       const auto made = Idc::parseRegistration(response, flow);
                       if (!made.ok())
                           return finishAttempt(made.error());
                       qCInfo(lcAuth).noquote()
                           << "registered an Identity Center client for the" << flowName(flow)
                           << "flow, valid until" << made->expiresAt.toString(Qt::ISODate);
                       if (current.refreshToken.isEmpty()) {
                           // Nothing is bound to the old one: keep the new one for the next start too.
                           current.registration = made.value();
                           spare.reset();
                           persist("new registration");
                       } else {
                           spare = made.value();
                       }
                       next(made.value());
                   });
    }

    /// After an interactive or device-code sign-in: tokens in memory and the keychain, then done.
    void completeSignIn(quint64 id, const Net::HttpResponse &response, const Idc::Registration &used)
    {
        if (!isCurrent(id))
            return;
        const auto answer = Idc::parseTokenResponse(response);
        if (!answer.ok()) {
            Error e = answer.error();
            if (e.serviceCode == u"invalid_client" || Idc::refusesTheRegistration(e.serviceCode))
                forgetRegistration(used.clientId);
            if (Idc::isFinalRefusal(e.serviceCode))
                e.message = finalRefusalMessage(e.serviceCode, false);
            return finishAttempt(e);
        }
        if (answer->refreshToken.isEmpty())
            qCWarning(lcAuth) << "Identity Center sent no refresh token: the sign-in lasts as long as "
                                 "this access token";
        const SignIn previous = current;
        const std::optional<Idc::Registration> previousSpare = spare;
        current.registration = used;
        spare.reset();
        current.refreshToken = answer->refreshToken;
        // On the service's clock when it says (what the sign-in saw is a matter of the service's time:
        // compared with the grant's start, also a service time); else the local one.
        const QDateTime served = serverDate(response);
        current.signedInAt = served.isValid() ? served : clock->now();
        current.accessToken = answer->accessToken;
        current.accessExpires = clock->now().addSecs(answer->expiresIn);
        ++epoch;
        entryKnown = true;
        secrets->write(key(), blob(), q, [this, id, previous, previousSpare](Core::Result<void> written) {
            if (!isCurrent(id))
                return;
            if (!written.ok()) {
                // Never keep tokens that cannot be stored safely; there is no plaintext fallback.
                current = previous;
                spare = previousSpare;
                ++epoch;
                return finishAttempt(written.error());
            }
            qCInfo(lcAuth) << "signed in to Identity Center";
            finishAttempt(displayName());
        });
    }

    void startInteractive(quint64 id, const Idc::Registration &reg)
    {
        attemptRegistration = reg;
        receiver = std::make_unique<LoopbackReceiver>();
        request = Idc::AuthorizationRequest {};
        request.clientId = reg.clientId;
        request.state = randomUrlSafe(32);
        const Pkce pkce = Pkce::generate();
        request.codeVerifier = pkce.verifier;
        request.codeChallenge = pkce.challenge;
        const auto port = receiver->start(request.state, qMax(1000, deadline.remainingTime()),
                                          QString::fromUtf16(Idc::RedirectPath));
        if (!port.ok())
            return finishAttempt(port.error());
        request.redirectUri = Idc::redirectUri(port.value());
        QObject::connect(
            receiver.get(), &LoopbackReceiver::finished, q,
            [this, id](const Core::Result<AuthorizationResponse> &result) { onRedirect(id, result); });
        Q_EMIT q->browserUrlReady(Idc::authorizeUrl(config.aws, request));
    }

    void onRedirect(quint64 id, const Core::Result<AuthorizationResponse> &result)
    {
        if (!isCurrent(id))
            return;
        if (!result.ok()) {
            Error e = result.error();
            if (e.kind == Error::Kind::Cancelled && e.message.contains(u"in time"))
                e.message = QStringLiteral("the sign-in in the browser did not finish in time");
            return finishAttempt(e);
        }
        const AuthorizationResponse &r = result.value();
        if (!r.error.isEmpty()) {
            const QString description
                = r.errorDescription.trimmed().isEmpty() ? r.error : r.errorDescription.trimmed();
            return finishAttempt(
                Error::make(r.error == u"access_denied" ? Error::Kind::Cancelled : Error::Kind::Service,
                            description, 0, r.error)
                    .withSource(Error::Source::IdentityCenter));
        }
        // Redeem at once, once, with the exact redirect URI (port included) and the verifier.
        const Idc::Registration reg = attemptRegistration;
        http->send(Idc::authorizationCodeTokenRequest(config.aws, reg, request, r.code), q,
                   [this, id, reg](const Net::HttpResponse &response) { completeSignIn(id, response, reg); });
    }

    void startDevice(quint64 id, const Idc::Registration &reg)
    {
        attemptRegistration = reg;
        http->send(Idc::startDeviceAuthorizationRequest(config.aws, reg), q,
                   [this, id, reg](const Net::HttpResponse &response) {
                       if (!isCurrent(id))
                           return;
                       const auto da = Idc::parseDeviceAuthorization(response);
                       if (!da.ok()) {
                           if (da.error().serviceCode == u"invalid_client")
                               forgetRegistration(reg.clientId);
                           return finishAttempt(da.error());
                       }
                       deviceCode = da->deviceCode;
                       deviceInterval = da->interval;
                       deviceExpires = clock->now().addSecs(da->expiresIn);
                       QObject::disconnect(&devicePoll, nullptr, q, nullptr);
                       QObject::connect(&devicePoll, &QTimer::timeout, q, [this, id] { pollDevice(id); });
                       Q_EMIT q->deviceCodeReady(da->userCode, da->verificationUri,
                                                 da->verificationUriComplete, deviceExpires);
                       // One try at once (as the AWS CLI does), then every `interval`.
                       if (isCurrent(id))
                           devicePoll.start(0);
                   });
    }

    void pollDevice(quint64 id)
    {
        if (!isCurrent(id))
            return;
        if (clock->now() >= deviceExpires)
            return finishAttempt(Error::make(Error::Kind::Service,
                                             QStringLiteral("the device code expired before the sign-in "
                                                            "was approved"),
                                             0, QStringLiteral("expired_token"))
                                     .withSource(Error::Source::IdentityCenter));
        const Idc::Registration reg = attemptRegistration;
        http->send(Idc::deviceCodeTokenRequest(config.aws, reg, deviceCode), q,
                   [this, id, reg](const Net::HttpResponse &r) {
                       if (!isCurrent(id))
                           return;
                       if (!r.isSuccess() && r.hasStatus()) {
                           Error e = Idc::oidcError(r);
                           if (e.serviceCode == u"authorization_pending" || e.serviceCode == u"slow_down") {
                               if (e.serviceCode == u"slow_down")
                                   deviceInterval += 5; // RFC 8628 §3.5
                               devicePoll.start(deviceInterval * 1000);
                               return;
                           }
                           if (e.serviceCode == u"expired_token") {
                               e.message = QStringLiteral("the device code expired before the sign-in was "
                                                          "approved");
                               return finishAttempt(e);
                           }
                           if (e.serviceCode == u"access_denied") {
                               e.message = QStringLiteral("the sign-in was denied in the browser");
                               return finishAttempt(e);
                           }
                       }
                       // Anything else ends the attempt too (completeSignIn says why): no poll after
                       // unauthorized_client, invalid_grant and the like could succeed.
                       completeSignIn(id, r, reg);
                   });
    }

    // ---- tokens ----

    void answerWaiters(const Core::Result<QString> &result)
    {
        const QList<Waiter> list = std::exchange(waiters, {});
        for (const Waiter &w : list)
            if (w.context)
                w.callback(result);
    }

    /// Answers the waiting token requests from memory, or starts the one refresh they share.
    void serveWaiters()
    {
        if (waiters.isEmpty() || refreshFor == epoch || state == State::Restoring)
            return;
        if (hasFreshToken())
            return answerWaiters(current.accessToken);
        if (current.refreshToken.isEmpty()) {
            // Signed in once and lost it (refused refresh, expired token without one): say so.
            const bool expired = current.signedInAt.isValid();
            if (state == State::SignedIn)
                setState(State::SignedOut);
            return answerWaiters(expired
                                     ? Error::make(Error::Kind::InteractionRequired,
                                                   QStringLiteral("the Identity Center sign-in has expired"))
                                           .withSource(Error::Source::IdentityCenter)
                                     : Error::make(Error::Kind::NotSignedIn,
                                                   QStringLiteral("not signed in to Identity Center")));
        }
        startRefresh();
    }

    void startRefresh()
    {
        if (!current.registration.isValid() || clock->now() >= current.registration.expiresAt) {
            forgetRegistration(current.registration.clientId);
            if (state == State::SignedIn)
                setState(State::SignedOut);
            return answerWaiters(Error::make(Error::Kind::InteractionRequired,
                                             QStringLiteral("the Identity Center client registration "
                                                            "has expired"),
                                             0, QStringLiteral("invalid_client"))
                                     .withSource(Error::Source::IdentityCenter));
        }
        const quint64 at = epoch;
        refreshFor = at;
        // The tray and every `elevate` command share the keychain entry, and Identity Center rotates
        // refresh tokens: whoever refreshed last holds the only live one. Take it before refreshing.
        readStoredToken([this, at](bool) {
            if (at != epoch) {
                if (refreshFor == at)
                    refreshFor.reset();
                return serveWaiters();
            }
            sendRefresh(at, false);
        });
    }

    /// Reads the keychain entry and takes its refresh token when it differs from the one in memory
    /// (same client registration); `then(changed)`.
    void readStoredToken(std::function<void(bool)> then)
    {
        secrets->read(key(), q, [this, then](Core::Result<std::optional<QByteArray>> read) {
            bool changed = false;
            if (read.ok() && read.value()) {
                const auto parsed = Net::parseJson(*read.value());
                if (parsed.ok() && parsed.value().is_object()
                    && Net::jsonString(parsed.value(), "clientId") == current.registration.clientId) {
                    const QString stored = Net::jsonString(parsed.value(), "refreshToken");
                    if (!stored.isEmpty() && stored != current.refreshToken) {
                        current.refreshToken = stored;
                        changed = true;
                    }
                }
            }
            then(changed);
        });
    }

    void sendRefresh(quint64 at, bool retried)
    {
        http->send(Idc::refreshTokenRequest(config.aws, current.registration, current.refreshToken), q,
                   [this, at, retried](const Net::HttpResponse &response) {
                       onRefreshAnswer(at, response, retried);
                   });
    }

    void onRefreshAnswer(quint64 at, const Net::HttpResponse &response, bool retried)
    {
        if (at == epoch && !retried && response.hasStatus() && response.status == 400) {
            // Refused: another process may have rotated the token after we read it. Only a refusal
            // of the token the keychain still holds proves the sign-in is gone.
            const auto answer = Idc::parseTokenResponse(response);
            if (!answer.ok() && answer.error().serviceCode == u"invalid_grant") {
                readStoredToken([this, at, response](bool changed) {
                    if (changed && at == epoch)
                        return sendRefresh(at, true);
                    onRefreshAnswer(at, response, true);
                });
                return;
            }
        }
        if (refreshFor == at)
            refreshFor.reset();
        if (at != epoch) {
            // The tokens changed meanwhile (sign-in, sign-out, restore): this answer is stale.
            return serveWaiters();
        }
        const auto answer = Idc::parseTokenResponse(response);
        if (answer.ok()) {
            current.accessToken = answer->accessToken;
            current.accessExpires = clock->now().addSecs(answer->expiresIn);
            // Rotation: a new refresh token replaces the old one; none sent means the old one stays.
            if (!answer->refreshToken.isEmpty() && answer->refreshToken != current.refreshToken) {
                current.refreshToken = answer->refreshToken;
                // The old refresh token is dead: answer once the new one is in the keychain, so a
                // program that exits right after (every `elevate` command) cannot lose it.
                const QString token = current.accessToken;
                return persist("rotated refresh token", [this, token] { answerWaiters(token); });
            }
            return answerWaiters(current.accessToken);
        }
        Error e = answer.error();
        qCInfo(lcAuth) << "Identity Center token refresh failed:" << e.message;
        if (Idc::isFinalRefusal(e.serviceCode)) {
            // No retry of this refresh token can succeed (aws-sso.md §2.5): the sign-in ends here,
            // with a sentence, instead of every later token request asking again.
            e.message = finalRefusalMessage(e.serviceCode, true);
            e.kind = Error::Kind::InteractionRequired;
            if (Idc::refusesTheRegistration(e.serviceCode)) {
                forgetRegistration(current.registration.clientId);
            } else {
                current.refreshToken.clear();
                current.accessToken.clear();
                ++epoch;
                persist("dropped refused refresh token");
            }
        } else if (e.serviceCode == u"invalid_client") {
            forgetRegistration(current.registration.clientId);
            e.kind = Error::Kind::InteractionRequired;
        } else if (e.kind == Error::Kind::InteractionRequired) {
            // The refresh token is dead: drop it (keep the registration and who it was).
            current.refreshToken.clear();
            current.accessToken.clear();
            ++epoch;
            persist("dropped refused refresh token");
        }
        if (e.kind == Error::Kind::InteractionRequired && state == State::SignedIn)
            setState(State::SignedOut);
        answerWaiters(e);
    }
};

QString IdcSession::keychainKey(const Core::AwsConfig &aws)
{
    return QStringLiteral("idc:") + aws.startUrl + u'|' + aws.region;
}

IdcSession::IdcSession(Core::AppConfig config, Net::HttpClient *http, SecretStore *secrets,
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
    d->deadline.setSingleShot(true);
    connect(&d->deadline, &QTimer::timeout, this, [this] {
        d->finishAttempt(Error::make(Error::Kind::Cancelled,
                                     QStringLiteral("the sign-in in the browser did not finish in time")));
    });
}

IdcSession::~IdcSession() = default;

IdcSession::State IdcSession::state() const
{
    return d->state;
}

QDateTime IdcSession::signedInAt() const
{
    return d->current.signedInAt;
}

QString IdcSession::startUrl() const
{
    return d->config.aws.startUrl;
}

void IdcSession::restore()
{
    const quint64 id = d->beginAttempt(State::Restoring);
    d->secrets->read(d->key(), this, [this, id](Core::Result<std::optional<QByteArray>> read) {
        if (!d->isCurrent(id))
            return;
        if (!read.ok())
            return d->finishAttempt(read.error());
        d->loadEntry(read.value());
        if (!d->current.signedInAt.isValid())
            return d->finishAttempt(
                Error::make(Error::Kind::NotSignedIn, QStringLiteral("no saved Identity Center sign-in")));
        if (d->current.refreshToken.isEmpty())
            return d->finishAttempt(Error::make(Error::Kind::InteractionRequired,
                                                QStringLiteral("the Identity Center sign-in has expired"))
                                        .withSource(Error::Source::IdentityCenter));
        // The restore's own answer comes first, so callers that waited see the final state.
        d->waiters.prepend(Waiter {this, [this, id](Core::Result<QString> token) {
                                       if (!d->isCurrent(id))
                                           return;
                                       if (token.ok())
                                           return d->finishAttempt(d->displayName());
                                       if (isTransient(token.error()) && !d->current.refreshToken.isEmpty()) {
                                           // Offline at start: stay signed in with the saved refresh
                                           // token; the next token request refreshes.
                                           qCInfo(lcAuth) << "Identity Center restored offline:"
                                                          << token.error().message;
                                           return d->finishAttempt(d->displayName());
                                       }
                                       if (token.error().kind != Error::Kind::InteractionRequired) {
                                           d->current.refreshToken.clear(); // in memory only: not proven dead
                                           d->current.accessToken.clear();
                                           ++d->epoch;
                                       }
                                       d->finishAttempt(token.error());
                                   }});
        d->startRefresh();
    });
}

void IdcSession::signInInteractive()
{
    const quint64 id = d->beginAttempt(State::SigningIn);
    d->deadline.start(d->config.signInTimeoutSeconds * 1000);
    d->withEntry(id, [this, id] {
        d->withRegistration(id, Idc::Flow::AuthorizationCode,
                            [this, id](const Idc::Registration &reg) { d->startInteractive(id, reg); });
    });
}

void IdcSession::signInWithDeviceCode()
{
    const quint64 id = d->beginAttempt(State::SigningIn);
    d->withEntry(id, [this, id] {
        d->withRegistration(id, Idc::Flow::DeviceCode,
                            [this, id](const Idc::Registration &reg) { d->startDevice(id, reg); });
    });
}

void IdcSession::cancelSignIn()
{
    d->finishAttempt(Error::make(Error::Kind::Cancelled, QStringLiteral("sign-in cancelled")));
}

void IdcSession::signOut()
{
    // Keep nothing: not even the registration.
    ++d->epoch;
    d->current = {};
    d->spare.reset();
    d->entryKnown = true;
    d->finishAttempt(Error::make(Error::Kind::Cancelled, QStringLiteral("signed out")));
    ++d->attempt;
    d->setState(State::SignedOut);
    d->serveWaiters();
    d->secrets->remove(d->key(), this, [this](Core::Result<void> removed) {
        if (!removed.ok())
            qCWarning(lcAuth) << "could not remove the Identity Center keychain entry:"
                              << removed.error().message;
        Q_EMIT signedOut(removed);
    });
}

void IdcSession::requestAccessToken(const QString &resource, QObject *context, Callback callback)
{
    QPointer<QObject> guard(context);
    if (resource != IdcSession::resource()) {
        QTimer::singleShot(0, this, [guard, callback, resource] {
            if (guard)
                callback(Error::make(Error::Kind::InvalidInput,
                                     QStringLiteral("Identity Center has no tokens for %1").arg(resource)));
        });
        return;
    }
    d->waiters.append(Waiter {guard, std::move(callback)});
    // Answer on the next turn of the event loop, never inside this call; callers of the same turn
    // share one refresh.
    QTimer::singleShot(0, this, [this] { d->serveWaiters(); });
}

void IdcSession::invalidateAccessToken(const QString &resource, const QString &token)
{
    if (resource == IdcSession::resource() && !token.isEmpty() && token == d->current.accessToken)
        d->current.accessToken.clear();
}

} // namespace Elevate::Auth

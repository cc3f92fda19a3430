// SPDX-License-Identifier: GPL-3.0-or-later
#include "graphclient.h"

#include "net/authorizedcall.h"
#include "net/httpclient.h"
#include "net/json.h"
#include "odata.h"

#include <QElapsedTimer>
#include <QLocale>
#include <QLoggingCategory>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrlQuery>

namespace Elevate::Graph {

Q_LOGGING_CATEGORY(lcGraph, "elevate.graph", QtInfoMsg)

using Core::Error;

namespace {
constexpr qint64 kThrottleBudgetMs = GraphClient::kThrottleBudgetSecs * 1000;
/// Without Retry-After: 2 s, 4 s, 8 s … up to a minute (Graph counts early retries against us).
constexpr qint64 kMaxBackoffMs = 60'000;
/// The least wait, so a `Retry-After: 0` that keeps coming is no busy loop.
constexpr qint64 kMinThrottleWaitMs = 100;
/// Reads of an approval whose stage is still opening (PIM takes seconds), before StageNotReady.
constexpr int kStageRereads = 8;
constexpr int kMaxActivationAttempts = 3;
const QString kPim = QStringLiteral("/identityGovernance/privilegedAccess/group");

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    return a.scheme() == b.scheme() && a.host().compare(b.host(), Qt::CaseInsensitive) == 0
        && a.port(a.scheme() == u"https" ? 443 : 80) == b.port(b.scheme() == u"https" ? 443 : 80);
}

QString odataQuote(const QString &s)
{
    return u'\'' + QString(s).replace(u'\'', QStringLiteral("''")) + u'\'';
}

/// An answer that leaves open whether a write was carried out.
bool ambiguous(const Net::HttpResponse &r)
{
    if (!r.hasStatus())
        return r.transportError.kind == Error::Kind::Network || r.transportError.kind == Error::Kind::Timeout;
    return r.status >= 500 || (r.status >= 200 && r.status < 300);
}
} // namespace

struct ActivationAttempt
{
    Core::ActivationDraft draft;
    QString principalId;
    QDateTime now;
    QPointer<QObject> guard;
    GraphClient::Callback<Core::AccessRequest> callback;
    int posts = 0;
    int looks = 0; // since the last POST
    int failedLooks = 0;
    bool mustLookFirst = false; // the previous POST may have landed
    bool lookedAfterExists = false;
    QDateTime firstSent; // on Graph's clock
    QDateTime lastSent; // on Graph's clock: replication lag counts from here
    Error lastError;
};

GraphClient::GraphClient(QUrl baseUrl, QString resource, Net::HttpClient *http,
                         Core::AccessTokenProvider *tokens, QObject *parent)
    : QObject(parent)
    , m_baseUrl(std::move(baseUrl))
    , m_resource(std::move(resource))
    , m_http(http)
    , m_tokens(tokens)
{
    // Graph's way of the one authorised call: 401 → new token, once; a claims challenge (or an MFA
    // rule PIM names without claims) → step-up token, once; 429, and for reads 503/504, → Retry-After
    // in full within the call's time budget.
    Net::CallPolicy &p = m_callPolicy;
    p.resource = m_resource;
    p.retryable = [](const Net::HttpResponse &r, bool write) {
        return r.hasStatus() && (r.status == 429 || (!write && (r.status == 503 || r.status == 504)));
    };
    p.budgetMs = kThrottleBudgetMs;
    p.minWaitMs = kMinThrottleWaitMs;
    p.maxRetryAfterMs = kThrottleBudgetMs + 1; // longer than the budget: given up at once
    p.backoffMs = [](int retry) { return qMin(kMaxBackoffMs, 2000LL << qMin(retry, 10)); };
    p.stepUpClaims = [](const Net::HttpResponse &r) {
        if (!r.hasStatus() || (r.status != 401 && r.status != 400))
            return QString();
        const Error error = graphError(r);
        QString claims = claimsChallenge(r, error);
        // PIM's MfaRule names no claims value (entra-auth.md §5.3): ask for `amr` mfa, which the
        // session turns into an interactive sign-in with amr_values=mfa. Only when MFA is all that
        // failed: a missing justification is not fixed by signing in again.
        const QStringList rules = failedPolicyRules(error);
        if (claims.isEmpty() && !rules.isEmpty() && rules.count(QStringLiteral("MfaRule")) == rules.size())
            claims = QStringLiteral(R"({"access_token":{"amr":{"essential":true,"values":["mfa"]}}})");
        return claims;
    };
    p.decorate = [](Net::HttpRequest &req) {
        req.withHeader("client-request-id", Net::HttpClient::newRequestId());
        if (!req.body.isEmpty())
            req.withHeader("Content-Type", "application/json");
    };
    p.sent = [this] {
        ++m_requestsSent;
        Q_EMIT requestSent();
    };
    p.answered = [this](const Net::HttpResponse &r) { noteServerDate(r.header("date")); };
    p.retrying = [this](const Net::HttpRequest &, const Net::HttpResponse &r, qint64 wait,
                        const QDateTime &retryAt) {
        qCInfo(lcGraph) << "throttled (HTTP" << r.status << "), retrying in" << wait << "ms";
        Q_EMIT throttled(retryAt, QStringLiteral("Microsoft Graph"));
    };
    p.gaveUp = [](const Net::HttpResponse &r, qint64 wait) {
        qCInfo(lcGraph) << "throttled (HTTP" << r.status << ") for" << wait
                        << "ms more; past the call's budget, giving up";
    };
}

Net::AuthorizedCall *GraphClient::newCall(const QByteArray &method, const QUrl &target,
                                          const QByteArray &body,
                                          std::function<void(const Net::HttpResponse &)> done)
{
    return new Net::AuthorizedCall(m_http, m_tokens, clock(), &m_callPolicy,
                                   Net::HttpRequest {method, target, {}, body}, this,
                                   [done = std::move(done)](Core::Result<Net::HttpResponse> r) {
                                       if (r.ok())
                                           return done(r.value());
                                       Net::HttpResponse failed; // no token: the call never went out
                                       failed.transportError = r.error();
                                       done(failed);
                                   });
}

QUrl GraphClient::url(const QString &path, const QString &query) const
{
    QUrl u(m_baseUrl.toString() + path);
    if (!query.isEmpty())
        u.setQuery(query);
    return u;
}

template<typename T>
void GraphClient::call(const QByteArray &method, const QUrl &target, const QByteArray &body, QObject *context,
                       std::function<Core::Result<T>(const QByteArray &)> parse, Callback<T> callback)
{
    QPointer<QObject> guard(context);
    auto *c = newCall(method, target, body, [guard, parse, callback](const Net::HttpResponse &r) {
        if (!guard)
            return;
        if (!r.isSuccess())
            return callback(graphError(r));
        callback(parse(r.body));
    });
    c->start();
}

void GraphClient::noteServerDate(const QByteArray &date)
{
    if (date.isEmpty())
        return;
    // RFC 7231 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    QDateTime t = QLocale::c().toDateTime(QString::fromLatin1(date).trimmed(),
                                          QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (!t.isValid())
        return;
    t.setTimeSpec(Qt::UTC);
    m_skewSecs = clock()->now().secsTo(t);
}

void GraphClient::getMe(QObject *context, std::function<void(Core::Result<GraphUser>)> callback)
{
    call<GraphUser>(
        "GET", url(QStringLiteral("/me"), QStringLiteral("$select=id,displayName,userPrincipalName,mail")),
        {}, context, &parseUser, std::move(callback));
}

template<typename T>
void GraphClient::fetchAll(const QUrl &first, QObject *context,
                           std::function<Core::Result<Page<T>>(const QByteArray &)> parse,
                           Callback<QList<T>> callback)
{
    struct Paging
    {
        QList<T> items;
        QSet<QString> seen; // every link followed: a link that comes back is a loop
    };
    auto paging = std::make_shared<Paging>();
    QPointer<QObject> guard(context);
    auto fetch = std::make_shared<std::function<void(const QUrl &)>>();
    // The page handler refers to `fetch` weakly, so the chain frees itself after the last page.
    std::weak_ptr<std::function<void(const QUrl &)>> weakFetch = fetch;
    *fetch = [this, paging, guard, parse, callback, weakFetch](const QUrl &pageUrl) {
        auto keep = weakFetch.lock();
        auto *call = newCall(
            "GET", pageUrl, {}, [this, paging, guard, parse, callback, keep](const Net::HttpResponse &r) {
                if (!guard)
                    return;
                if (!r.isSuccess())
                    return callback(graphError(r));
                auto page = parse(r.body);
                if (!page.ok())
                    return callback(page.error());
                paging->items += page->items;
                if (page->nextLink.isEmpty())
                    return callback(paging->items);
                const QUrl next(page->nextLink);
                if (!next.isValid() || !sameOrigin(next, m_baseUrl))
                    return callback(
                        Error::make(Error::Kind::Security,
                                    QStringLiteral("Graph sent a next-page link to another host")));
                if (paging->seen.contains(page->nextLink))
                    return callback(
                        Error::make(Error::Kind::Parse, QStringLiteral("Graph paging does not end")));
                paging->seen.insert(page->nextLink);
                (*keep)(next);
            });
        call->start();
    };
    (*fetch)(first);
}

void GraphClient::listEligibilities(QObject *context,
                                    std::function<void(Core::Result<QList<Core::Eligibility>>)> callback)
{
    QPointer<QObject> guard(context);
    fetchAll<Core::Eligibility>(
        url(kPim + QStringLiteral("/eligibilityScheduleInstances/filterByCurrentUser(on='principal')"),
            QStringLiteral("$expand=group($select=id,displayName,description)")),
        context,
        [](const QByteArray &body) -> Core::Result<Page<Core::Eligibility>> {
            auto p = parseEligibilityPage(body);
            if (!p.ok())
                return p.error();
            return Page<Core::Eligibility> {p->items, p->nextLink};
        },
        [this, guard, callback](Core::Result<QList<Core::Eligibility>> list) {
            if (!guard)
                return;
            if (!list.ok())
                return callback(std::move(list));
            QStringList unnamed;
            QSet<QString> seen;
            for (const auto &e : list.value())
                if (e.groupDisplayName.isEmpty() && !seen.contains(e.groupId)) {
                    seen.insert(e.groupId);
                    unnamed << e.groupId;
                }
            if (unnamed.isEmpty())
                return callback(std::move(list));
            qCInfo(lcGraph) << unnamed.size() << "eligible groups came without their group; looking them up";
            lookupGroups(unnamed, guard,
                         [callback, eligibilities = list.value()](
                             Core::Result<QHash<QString, GroupInfo>> groups) mutable {
                             // Without a name the eligibility still counts: it is shown by its group id.
                             if (!groups.ok())
                                 qCWarning(lcGraph) << "group names unavailable:" << groups.error().message;
                             else
                                 for (auto &e : eligibilities)
                                     if (const auto g = groups->constFind(e.groupId);
                                         e.groupDisplayName.isEmpty() && g != groups->cend()) {
                                         e.groupDisplayName = g->displayName;
                                         e.groupDescription = g->description;
                                     }
                             callback(std::move(eligibilities));
                         });
        });
}

namespace {
std::optional<GroupInfo> groupFromJson(const Net::Json &j)
{
    if (!j.is_object())
        return std::nullopt;
    GroupInfo g {Net::jsonString(j, "id"), Net::jsonString(j, "displayName"),
                 Net::jsonString(j, "description")};
    if (g.id.isEmpty())
        return std::nullopt;
    return g;
}

/// A header of one batch response (`headers` is an object; names compare case-insensitively).
QByteArray stepHeader(const Net::Json &step, const char *name)
{
    if (!step.contains("headers") || !step["headers"].is_object())
        return {};
    for (const auto &[key, value] : step["headers"].items())
        if (QByteArray::fromStdString(key).compare(name, Qt::CaseInsensitive) == 0)
            return value.is_string() ? QByteArray::fromStdString(value.get<std::string>())
                                     : QByteArray::fromStdString(value.dump());
    return {};
}

bool groupNotShown(int status)
{
    return status == 404 || status == 403;
}

bool stepThrottled(int status)
{
    return status == 429 || status == 503 || status == 504;
}
} // namespace

/**
 * Steps asked in `$batch` calls of at most kMaxBatchSteps: a throttled step (429, 503, 504) waits for
 * its Retry-After (the longest of a round) and is asked again within the budget; a step's follow-up
 * (a next page) is queued by `onStep` and goes into a later batch. `done` gets the error of a batch
 * call that failed (nothing more is asked then), or nothing.
 */
struct BatchRun
{
    struct Step
    {
        QString key;
        QString url; // relative to the version, with its query
    };
    QList<Step> queue;
    QList<QPair<Step, Net::Json>> throttled; // this round's, with their last answer
    qint64 waitMs = 0;
    int rounds = 0;
    QPointer<QObject> guard;
    /// A step's answer: its status (0: the batch answer had none for it) and the step object. A
    /// step still throttled past the budget comes with its throttled answer.
    std::function<void(BatchRun &, const Step &, int, const Net::Json &)> onStep;
    std::function<void(std::optional<Error>)> done;
    /// A failed batch call: go on with the other batches, and give `done` the first error at the end
    /// (instead of stopping at once).
    bool keepGoing = false;
    std::optional<Error> firstError;
    QDateTime started;
    QElapsedTimer elapsed;
};

/// One lookupGroups(): one plain GET for one group, batches (BatchRun) for more.
struct GroupLookup
{
    QStringList pending;
    QHash<QString, GroupInfo> found;
    std::optional<Error> error;
    QPointer<QObject> guard;
    GraphClient::Callback<QHash<QString, GroupInfo>> callback;
};

void GraphClient::lookupGroups(const QStringList &groupIds, QObject *context,
                               Callback<QHash<QString, GroupInfo>> callback)
{
    auto lookup = std::make_shared<GroupLookup>();
    QSet<QString> seen;
    for (const QString &id : groupIds)
        if (!id.isEmpty() && !seen.contains(id)) {
            seen.insert(id);
            lookup->pending << id;
        }
    lookup->guard = context;
    lookup->callback = std::move(callback);
    // Answered from the event loop even when there is nothing to ask, like every other call.
    QTimer::singleShot(0, this, [this, lookup] { lookupRound(lookup); });
}

void GraphClient::lookupRound(std::shared_ptr<GroupLookup> lookup)
{
    if (!lookup->guard)
        return;
    const QStringList ids = std::exchange(lookup->pending, {});
    if (ids.isEmpty())
        return lookupRoundDone(lookup);
    if (ids.size() > 1) {
        // Batches of 20; a throttled step is asked again after its Retry-After; a failed batch call
        // does not stop the others (what they found is still the answer).
        auto run = std::make_shared<BatchRun>();
        for (const QString &id : ids)
            run->queue << BatchRun::Step {id,
                                          QStringLiteral("/groups/")
                                              + QString::fromLatin1(QUrl::toPercentEncoding(id))
                                              + QStringLiteral("?$select=id,displayName,description")};
        run->keepGoing = true;
        run->guard = lookup->guard;
        run->started = clock()->now();
        run->elapsed.start();
        run->onStep = [lookup](BatchRun &, const BatchRun::Step &step, int status, const Net::Json &answer) {
            if (status >= 200 && status < 300) {
                if (const auto g = groupFromJson(answer.value("body", Net::Json())))
                    lookup->found.insert(step.key, *g);
            } else if (!groupNotShown(status) && !stepThrottled(status)) {
                qCInfo(lcGraph) << "group" << step.key << "not readable in a batch: HTTP" << status;
            }
        };
        run->done = [this, lookup](std::optional<Error> error) {
            if (error)
                lookup->error = error;
            lookupRoundDone(lookup);
        };
        return batchNext(run);
    }
    // One group: a plain GET is one call either way, and simpler for Graph.
    const QString id = ids.first();
    auto *c = newCall("GET",
                      url(QStringLiteral("/groups/") + QString::fromLatin1(QUrl::toPercentEncoding(id)),
                          QStringLiteral("$select=id,displayName,description")),
                      {}, [this, lookup, id](const Net::HttpResponse &r) {
                          if (!lookup->guard)
                              return;
                          if (r.isSuccess()) {
                              const auto json = Net::parseJson(r.body);
                              if (const auto g = json.ok() ? groupFromJson(json.value()) : std::nullopt)
                                  lookup->found.insert(id, *g);
                              else
                                  lookup->error = Error::make(
                                      Error::Kind::Parse,
                                      QStringLiteral("Graph sent a group that does not follow its contract"));
                          } else if (!(r.hasStatus() && groupNotShown(r.status))) {
                              lookup->error = graphError(r);
                          }
                          lookupRoundDone(lookup);
                      });
    c->start();
}

void GraphClient::lookupRoundDone(std::shared_ptr<GroupLookup> lookup)
{
    if (!lookup->pending.isEmpty())
        return lookupRound(lookup);
    if (lookup->error && lookup->found.isEmpty())
        return lookup->callback(*lookup->error);
    if (lookup->error)
        qCInfo(lcGraph) << "some group lookups failed:" << lookup->error->message;
    lookup->callback(lookup->found);
}

void GraphClient::batchNext(std::shared_ptr<BatchRun> run)
{
    if (!run->guard)
        return;
    if (run->queue.isEmpty()) {
        if (run->throttled.isEmpty())
            return run->done(run->firstError);
        const QDateTime now = clock()->now();
        const qint64 spent = qMax(run->started.msecsTo(now), run->elapsed.elapsed());
        const qint64 wait = std::exchange(run->waitMs, 0);
        const auto throttled = std::exchange(run->throttled, {});
        if (spent + wait > kThrottleBudgetMs) {
            qCInfo(lcGraph) << throttled.size() << "batch steps still throttled; past the budget, giving up";
            for (const auto &[step, answer] : throttled)
                run->onStep(*run, step, answer.value("status", 429), answer);
            return run->done(run->firstError);
        }
        for (const auto &entry : throttled)
            run->queue << entry.first;
        ++run->rounds;
        qCInfo(lcGraph) << throttled.size() << "batch steps throttled, asking again in" << wait << "ms";
        Q_EMIT this->throttled(now.addMSecs(wait), QStringLiteral("Microsoft Graph"));
        QTimer::singleShot(wait, this, [this, run] { batchNext(run); });
        return;
    }
    const QList<BatchRun::Step> steps = run->queue.mid(0, kMaxBatchSteps);
    run->queue.remove(0, steps.size());
    if (steps.size() == 1) {
        // One step: a plain GET is one call either way, and simpler for Graph (the call itself
        // honours Retry-After; what it answers is the step's answer).
        const BatchRun::Step step = steps.first();
        auto *c = newCall("GET", QUrl(m_baseUrl.toString() + step.url), {},
                          [this, run, step](const Net::HttpResponse &r) {
                              if (!run->guard)
                                  return;
                              if (!r.hasStatus()) {
                                  if (!run->keepGoing)
                                      return run->done(r.transportError);
                                  if (!run->firstError)
                                      run->firstError = r.transportError;
                                  return batchNext(run);
                              }
                              const auto body = Net::parseJson(r.body);
                              const Net::Json answer {{"status", r.status},
                                                      {"body", body.ok() ? body.value() : Net::Json()}};
                              run->onStep(*run, step, r.status, answer);
                              batchNext(run);
                          });
        c->start();
        return;
    }
    Net::Json requests = Net::Json::array();
    for (qsizetype i = 0; i < steps.size(); ++i)
        requests.push_back(
            {{"id", std::to_string(i + 1)}, {"method", "GET"}, {"url", steps.at(i).url.toStdString()}});
    const Net::Json body {{"requests", requests}};
    auto *c = newCall(
        "POST", url(QStringLiteral("/$batch")), QByteArray::fromStdString(body.dump()),
        [this, run, steps](const Net::HttpResponse &r) {
            if (!run->guard)
                return;
            const auto json = r.isSuccess() ? Net::parseJson(r.body) : Core::Result<Net::Json>(graphError(r));
            std::optional<Error> failed;
            if (!json.ok())
                failed = json.error();
            else if (!json.value().is_object() || !json.value().contains("responses")
                     || !json.value()["responses"].is_array())
                failed = Error::make(Error::Kind::Parse,
                                     QStringLiteral("Graph sent a batch answer without \"responses\""));
            if (failed && !run->keepGoing)
                return run->done(failed);
            if (failed) {
                if (!run->firstError)
                    run->firstError = failed;
                return batchNext(run);
            }
            // Responses come in any order: the step id is the index + 1 of the step asked.
            QList<bool> answered(steps.size(), false);
            const QDateTime now = clock()->now();
            for (const Net::Json &step : json.value()["responses"]) {
                bool ok = false;
                const int index = Net::jsonString(step, "id").toInt(&ok) - 1;
                if (!ok || index < 0 || index >= steps.size() || answered.at(index)
                    || !step.contains("status") || !step["status"].is_number_integer())
                    continue;
                answered[index] = true;
                const int status = step["status"].get<int>();
                if (stepThrottled(status)) {
                    const qint64 backoff = qMin(kMaxBackoffMs, 2000LL << qMin(run->rounds, 10));
                    const qint64 wait
                        = Net::parseRetryAfterMs(stepHeader(step, "Retry-After"), now, kThrottleBudgetMs + 1)
                              .value_or(backoff);
                    run->waitMs = qMax(run->waitMs, qMax(kMinThrottleWaitMs, wait));
                    run->throttled.append({steps.at(index), step});
                    continue;
                }
                run->onStep(*run, steps.at(index), status, step);
            }
            for (qsizetype i = 0; i < steps.size(); ++i)
                if (!answered.at(i))
                    run->onStep(*run, steps.at(i), 0, Net::Json::object());
            batchNext(run);
        });
    c->start();
}

namespace {
/// The error of one batch step (its status and body, as a response of its own would give).
Error stepError(int status, const Net::Json &step)
{
    if (status == 0)
        return Error::make(Error::Kind::Parse, QStringLiteral("Graph's batch answer left a step out"));
    Net::HttpResponse r;
    r.status = status;
    if (step.is_object() && step.contains("body"))
        r.body = QByteArray::fromStdString(step["body"].dump());
    return graphError(r);
}
} // namespace

void GraphClient::listGroupAssignments(
    const QStringList &groupIds, QObject *context,
    Callback<QHash<QString, Core::Result<QList<GroupAssignment>>>> callback)
{
    struct Lists
    {
        QStringList order;
        QHash<QString, QList<GroupAssignment>> items;
        QHash<QString, Error> errors;
        QHash<QString, QSet<QString>> links; // per group, every next link followed
    };
    auto lists = std::make_shared<Lists>();
    auto run = std::make_shared<BatchRun>();
    for (const QString &id : groupIds)
        if (!id.isEmpty() && !lists->items.contains(id)) {
            lists->order << id;
            lists->items.insert(id, {});
            const QString filter = QStringLiteral("groupId eq %1").arg(odataQuote(id));
            run->queue << BatchRun::Step {id,
                                          kPim + QStringLiteral("/assignmentScheduleInstances?$filter=")
                                              + QString::fromLatin1(QUrl::toPercentEncoding(filter))};
        }
    const QString base = m_baseUrl.toString();
    run->guard = context;
    run->started = clock()->now();
    run->elapsed.start();
    run->onStep = [lists, base, this](BatchRun &r, const BatchRun::Step &step, int status,
                                      const Net::Json &answer) {
        if (lists->errors.contains(step.key))
            return;
        if (status < 200 || status >= 300)
            return void(lists->errors.insert(step.key, stepError(status, answer)));
        auto page = parseGroupAssignmentPage(answer.value("body", Net::Json()));
        if (!page.ok())
            return void(lists->errors.insert(step.key, page.error()));
        lists->items[step.key] += page->items;
        if (page->nextLink.isEmpty())
            return;
        const QUrl next(page->nextLink);
        if (!next.isValid() || !sameOrigin(next, m_baseUrl) || !page->nextLink.startsWith(base + u'/'))
            return void(lists->errors.insert(
                step.key,
                Error::make(Error::Kind::Security,
                            QStringLiteral("Graph sent a next-page link to another host"))));
        if (lists->links[step.key].contains(page->nextLink))
            return void(lists->errors.insert(
                step.key, Error::make(Error::Kind::Parse, QStringLiteral("Graph paging does not end"))));
        lists->links[step.key].insert(page->nextLink);
        r.queue << BatchRun::Step {step.key, page->nextLink.mid(base.size())};
    };
    run->done = [lists, callback](std::optional<Error> error) {
        if (error)
            return callback(*error);
        QHash<QString, Core::Result<QList<GroupAssignment>>> answer;
        for (const QString &id : std::as_const(lists->order)) {
            if (const auto e = lists->errors.constFind(id); e != lists->errors.cend())
                answer.insert(id, *e);
            else
                answer.insert(id, lists->items.value(id));
        }
        callback(answer);
    };
    // Answered from the event loop even when there is nothing to ask, like every other call.
    QTimer::singleShot(0, this, [this, run] { batchNext(run); });
}

void GraphClient::listGroups(const QString &odataFilter, QObject *context,
                             Callback<QList<GroupInfo>> callback)
{
    QString query = QStringLiteral("$select=id,displayName&$top=999");
    if (!odataFilter.isEmpty())
        query += QStringLiteral("&$filter=") + QString::fromLatin1(QUrl::toPercentEncoding(odataFilter));
    fetchAll<GroupInfo>(
        url(QStringLiteral("/groups"), query), context,
        [](const QByteArray &body) { return parseGroupPage(body); }, std::move(callback));
}

void GraphClient::getActivationPolicy(const QString &groupId, Core::AccessKind access, QObject *context,
                                      Callback<Core::ActivationPolicy> callback)
{
    const QString filter = QStringLiteral("scopeId eq %1 and scopeType eq 'Group' and roleDefinitionId eq %2")
                               .arg(odataQuote(groupId), odataQuote(Core::accessIdOf(access)));
    QUrlQuery q;
    q.addQueryItem(QStringLiteral("$filter"), QString::fromLatin1(QUrl::toPercentEncoding(filter)));
    q.addQueryItem(QStringLiteral("$expand"), QStringLiteral("policy($expand=rules)"));
    call<Core::ActivationPolicy>("GET",
                                 url(QStringLiteral("/policies/roleManagementPolicyAssignments"), q.query()),
                                 {}, context, &parsePolicyAssignments, std::move(callback));
}

void GraphClient::listActiveGrants(QObject *context, Callback<QList<Core::Grant>> callback)
{
    fetchAll<Core::Grant>(
        url(kPim + QStringLiteral("/assignmentScheduleInstances/filterByCurrentUser(on='principal')"),
            QStringLiteral("$expand=group($select=id,displayName)")),
        context, &parseGrantPage, std::move(callback));
}

void GraphClient::listMyRequests(const QString &filter, QObject *context,
                                 Callback<QList<Core::AccessRequest>> callback)
{
    QString query = QStringLiteral("$expand=group($select=id,displayName)");
    if (!filter.isEmpty())
        query += QStringLiteral("&$filter=") + QString::fromLatin1(QUrl::toPercentEncoding(filter));
    fetchAll<Core::AccessRequest>(
        url(kPim + QStringLiteral("/assignmentScheduleRequests/filterByCurrentUser(on='principal')"), query),
        context, &parseRequestPage, std::move(callback));
}

void GraphClient::getRequest(const QString &requestId, QObject *context,
                             Callback<Core::AccessRequest> callback)
{
    call<Core::AccessRequest>("GET",
                              url(kPim + QStringLiteral("/assignmentScheduleRequests/")
                                      + QString::fromLatin1(QUrl::toPercentEncoding(requestId)),
                                  QStringLiteral("$expand=group($select=id,displayName)")),
                              {}, context, &parseRequestBody, std::move(callback));
}

void GraphClient::cancelRequest(const QString &requestId, QObject *context,
                                std::function<void(Core::Result<void>)> callback)
{
    QPointer<QObject> guard(context);
    auto *call
        = newCall("POST",
                  url(kPim + QStringLiteral("/assignmentScheduleRequests/")
                      + QString::fromLatin1(QUrl::toPercentEncoding(requestId)) + QStringLiteral("/cancel")),
                  {}, [guard, callback](const Net::HttpResponse &r) {
                      if (!guard)
                          return;
                      if (!r.isSuccess())
                          return callback(graphError(r));
                      callback(Core::Result<void>());
                  });
    call->start();
}

void GraphClient::activate(const Core::ActivationDraft &draft, const QString &principalId,
                           const QDateTime &now, QObject *context, Callback<Core::AccessRequest> callback)
{
    auto attempt = std::make_shared<ActivationAttempt>();
    attempt->draft = draft;
    attempt->principalId = principalId;
    attempt->now = now;
    attempt->guard = context;
    attempt->callback = std::move(callback);
    activateAttempt(attempt);
}

void GraphClient::activateAttempt(std::shared_ptr<ActivationAttempt> attempt)
{
    if (!attempt->guard)
        return;
    const auto graphNow = [this] { return clock()->now().addSecs(m_skewSecs); };
    if (attempt->mustLookFirst) {
        // The last POST may have been carried out although its answer got lost: look for it before
        // sending anything again.
        const QString filter = QStringLiteral("groupId eq %1").arg(odataQuote(attempt->draft.groupId));
        listMyRequests(
            filter, attempt->guard, [this, attempt, graphNow](Core::Result<QList<Core::AccessRequest>> list) {
                if (!list.ok()) {
                    if (++attempt->failedLooks >= kMaxActivationAttempts + 1)
                        return attempt->callback(attempt->lastError);
                    QTimer::singleShot(m_writeRetryDelayMs, this,
                                       [this, attempt] { activateAttempt(attempt); });
                    return;
                }
                // Ours: same group, role, justification and ticket, created since we first sent it (on
                // Graph's clock, with slack for skew), and not a request that has already died.
                const QDateTime since = attempt->firstSent.addSecs(-60); // not an older one of the same kind
                for (const auto &r : list.value()) {
                    const auto phase = r.phase();
                    if (r.action.compare(u"selfActivate", Qt::CaseInsensitive) != 0
                        || r.access != attempt->draft.access
                        || r.justification != attempt->draft.justification.trimmed()
                        || r.ticketNumber != attempt->draft.ticketNumber.trimmed()
                        || (r.created.isValid() && r.created < since) || phase == Core::RequestPhase::Canceled
                        || phase == Core::RequestPhase::Failed || phase == Core::RequestPhase::Denied)
                        continue;
                    qCInfo(lcGraph) << "the lost request had landed:" << r.id;
                    return attempt->callback(r);
                }
                // Absent from the list says nothing while Graph may still be replicating the POST:
                // sending again then could make a second request. Look again until the window is over.
                if (graphNow() < attempt->lastSent.addSecs(m_replicationWindowSecs)) {
                    const int delay = m_writeRetryDelayMs * (1 << qMin(attempt->looks++, 3));
                    qCInfo(lcGraph) << "the lost request is not visible yet; looking again in" << delay
                                    << "ms";
                    QTimer::singleShot(delay, this, [this, attempt] { activateAttempt(attempt); });
                    return;
                }
                if (attempt->posts >= kMaxActivationAttempts)
                    return attempt->callback(attempt->lastError);
                attempt->mustLookFirst = false;
                activateAttempt(attempt);
            });
        return;
    }
    attempt->lastSent = graphNow();
    attempt->looks = 0;
    if (attempt->posts++ == 0)
        attempt->firstSent = attempt->lastSent;
    const QByteArray body = activationBody(attempt->draft, attempt->principalId, attempt->now);
    auto *call = newCall(
        "POST", url(kPim + QStringLiteral("/assignmentScheduleRequests")), body,
        [this, attempt](const Net::HttpResponse &r) {
            if (!attempt->guard)
                return;
            if (r.isSuccess()) {
                auto parsed = parseRequestBody(r.body);
                if (parsed.ok())
                    return attempt->callback(parsed);
                attempt->lastError = parsed.error();
            } else {
                attempt->lastError = graphError(r);
            }
            // After an answer that got lost, "it exists" / "one is pending" means the first POST
            // landed: look (through the replication window) instead of failing.
            const QString code = attempt->lastError.serviceCode;
            if (attempt->posts > 1 && !attempt->lookedAfterExists
                && (code == u"RoleAssignmentExists" || code == u"PendingRoleAssignmentRequest")) {
                attempt->lookedAfterExists = true;
                attempt->posts = kMaxActivationAttempts; // no more POSTs
                attempt->mustLookFirst = true;
                QTimer::singleShot(m_writeRetryDelayMs, this, [this, attempt] { activateAttempt(attempt); });
                return;
            }
            if (!ambiguous(r))
                return attempt->callback(attempt->lastError);
            qCInfo(lcGraph) << "activation answer lost or unusable; looking before retrying";
            attempt->mustLookFirst = true;
            QTimer::singleShot(m_writeRetryDelayMs, this, [this, attempt] { activateAttempt(attempt); });
        });
    call->start();
}

void GraphClient::listRequestsToApprove(QObject *context, Callback<QList<Core::AccessRequest>> callback)
{
    fetchAll<Core::AccessRequest>(
        url(kPim + QStringLiteral("/assignmentScheduleRequests/filterByCurrentUser(on='approver')"),
            QStringLiteral("$filter=")
                + QString::fromLatin1(QUrl::toPercentEncoding(QStringLiteral("status eq 'PendingApproval'")))
                + QStringLiteral("&$expand=group($select=id,displayName),principal")),
        context, &parseRequestPage, std::move(callback));
}

void GraphClient::provisionOnDemand(const QString &servicePrincipalId, const QString &groupId,
                                    const QString &userId, QObject *context, Callback<QString> callback)
{
    // Incremental consent: the token for these calls asks for Synchronization.ReadWrite.All alone, at
    // the moment the user asks for it; the sign-in's own scopes never include it. A client of its own
    // carries that token resource through the usual token dance.
    auto *sync = new GraphClient(m_baseUrl, m_resource + QStringLiteral("/Synchronization.ReadWrite.All"),
                                 m_http, m_tokens, this);
    sync->setClock(m_clock);
    connect(sync, &GraphClient::requestSent, this, [this] {
        ++m_requestsSent;
        Q_EMIT requestSent();
    });
    QPointer<QObject> guard(context);
    auto done = [sync, guard, callback](Core::Result<QString> r) {
        sync->deleteLater();
        if (guard)
            callback(std::move(r));
    };
    // Skipped because Identity Center already has the membership: said apart, it is no failure.
    auto parse = [](const QByteArray &body) -> Core::Result<QString> {
        auto result = parseProvisionOnDemand(body);
        if (result.ok() && result.value() == u"Skipped" && body.contains("RedundantExport"))
            return QStringLiteral("RedundantExport");
        return result;
    };
    const QString jobs = QStringLiteral("/servicePrincipals/%1/synchronization/jobs")
                             .arg(QString::fromLatin1(QUrl::toPercentEncoding(servicePrincipalId)));
    auto post = [sync, jobs, groupId, userId, parse, done](const QString &jobId, const QString &ruleId) {
        sync->call<QString>("POST",
                            sync->url(jobs + u'/' + QString::fromLatin1(QUrl::toPercentEncoding(jobId))
                                      + QStringLiteral("/provisionOnDemand")),
                            provisionBody(ruleId, groupId, {userId}), sync, parse, done);
    };
    if (const auto cached = m_syncJobs.constFind(servicePrincipalId); cached != m_syncJobs.constEnd()) {
        post(cached->first, cached->second);
        return;
    }
    fetchSyncJob(sync, servicePrincipalId, sync, [post, done](Core::Result<SyncJob> job) {
        if (!job.ok())
            return done(job.error());
        post(job->id, job->ruleId);
    });
}

void GraphClient::fetchSyncJob(GraphClient *via, const QString &servicePrincipalId, QObject *context,
                               Callback<SyncJob> callback)
{
    const QString jobs = QStringLiteral("/servicePrincipals/%1/synchronization/jobs")
                             .arg(QString::fromLatin1(QUrl::toPercentEncoding(servicePrincipalId)));
    QPointer<QObject> guard(context);
    via->call<SyncJob>(
        "GET", via->url(jobs), {}, via, &parseSyncJob,
        [this, via, jobs, servicePrincipalId, guard, callback](Core::Result<SyncJob> job) {
            if (!guard)
                return;
            if (!job.ok())
                return callback(job.error());
            if (const auto cached = m_syncJobs.constFind(servicePrincipalId);
                cached != m_syncJobs.constEnd() && cached->first == job->id) {
                SyncJob known = job.value();
                known.ruleId = cached->second;
                return callback(known);
            }
            via->call<QString>(
                "GET",
                via->url(jobs + u'/' + QString::fromLatin1(QUrl::toPercentEncoding(job->id))
                         + QStringLiteral("/schema")),
                {}, via, &parseSyncRuleId,
                [this, servicePrincipalId, guard, callback, found = job.value()](Core::Result<QString> rule) {
                    if (!guard)
                        return;
                    if (!rule.ok())
                        return callback(rule.error());
                    m_syncJobs.insert(servicePrincipalId, {found.id, rule.value()});
                    SyncJob complete = found;
                    complete.ruleId = rule.value();
                    callback(complete);
                });
        });
}

void GraphClient::getSyncJob(const QString &servicePrincipalId, QObject *context, Callback<SyncJob> callback)
{
    fetchSyncJob(this, servicePrincipalId, context, std::move(callback));
}

void GraphClient::provisionMembers(const QString &servicePrincipalId, const QString &groupId,
                                   const QStringList &userIds, QObject *context,
                                   Callback<ProvisionOutcome> callback)
{
    QPointer<QObject> guard(context);
    if (userIds.isEmpty() || userIds.size() > kMaxProvisionMembers) {
        QTimer::singleShot(0, this, [guard, callback] {
            if (guard)
                callback(
                    Error::make(Error::Kind::Config,
                                QStringLiteral("provision on demand takes 1 to 5 members of one group")));
        });
        return;
    }
    if (const auto cached = m_syncJobs.constFind(servicePrincipalId); cached != m_syncJobs.constEnd()) {
        SyncJob job;
        job.id = cached->first;
        job.ruleId = cached->second;
        return postProvision(this, servicePrincipalId, job, groupId, userIds, context, std::move(callback));
    }
    fetchSyncJob(this, servicePrincipalId, context,
                 [this, servicePrincipalId, groupId, userIds, guard, callback](Core::Result<SyncJob> job) {
                     if (!guard)
                         return;
                     if (!job.ok())
                         return callback(job.error());
                     postProvision(this, servicePrincipalId, job.value(), groupId, userIds, guard, callback);
                 });
}

void GraphClient::postProvision(GraphClient *via, const QString &servicePrincipalId, const SyncJob &job,
                                const QString &groupId, const QStringList &userIds, QObject *context,
                                Callback<ProvisionOutcome> callback)
{
    const QString target = QStringLiteral("/servicePrincipals/%1/synchronization/jobs/%2/provisionOnDemand")
                               .arg(QString::fromLatin1(QUrl::toPercentEncoding(servicePrincipalId)),
                                    QString::fromLatin1(QUrl::toPercentEncoding(job.id)));
    via->call<ProvisionOutcome>("POST", via->url(target), provisionBody(job.ruleId, groupId, userIds),
                                context, &parseProvisionOutcome, std::move(callback));
}

void GraphClient::getApproval(const QString &approvalId, QObject *context, Callback<Core::Approval> callback)
{
    call<Core::Approval>("GET",
                         url(kPim + QStringLiteral("/assignmentApprovals/")
                             + QString::fromLatin1(QUrl::toPercentEncoding(approvalId))),
                         {}, context, &parseApproval, std::move(callback));
}

namespace {
Error alreadyDecided(const Core::Approval &a)
{
    const Core::ApprovalStage *s = a.decidedStage();
    QString message;
    if (s && !s->reviewedByName.isEmpty())
        message = QStringLiteral("already %1 by %2").arg(s->reviewResult.toLower(), s->reviewedByName);
    else if (s)
        message = QStringLiteral("already %1").arg(s->reviewResult.toLower());
    else
        message = QStringLiteral("no longer waiting for a decision");
    Error e = Error::make(Error::Kind::Service, message, 409, QStringLiteral("AlreadyDecided"));
    return e;
}
} // namespace

void GraphClient::decide(const QString &approvalId, bool approve, const QString &justification,
                         QObject *context, Callback<Core::Approval> callback)
{
    decideWhenOpen(approvalId, approve, justification, QPointer<QObject>(context), std::move(callback), 0);
}

void GraphClient::decideWhenOpen(const QString &approvalId, bool approve, const QString &justification,
                                 QPointer<QObject> guard, Callback<Core::Approval> callback, int rereads)
{
    getApproval(
        approvalId, this,
        [this, guard, approvalId, approve, justification, callback, rereads](Core::Result<Core::Approval> a) {
            if (!guard)
                return;
            if (!a.ok())
                return callback(a.error());
            const Core::ApprovalStage *stage = a->stageForMe();
            if (!stage && a->isOpening()) {
                // PIM sets a stage up for a few seconds after the request: nobody decided yet, and
                // the approver may decide as soon as it is InProgress.
                if (rereads < kStageRereads) {
                    QTimer::singleShot(m_stageRereadDelayMs, this,
                                       [this, approvalId, approve, justification, guard, callback, rereads] {
                                           if (guard)
                                               decideWhenOpen(approvalId, approve, justification, guard,
                                                              callback, rereads + 1);
                                       });
                    return;
                }
                return callback(Error::make(
                    Error::Kind::Service,
                    QStringLiteral("the approval is not open for decisions yet; try again in a few seconds"),
                    0, QStringLiteral("StageNotReady")));
            }
            if (!stage) {
                bool anyOpen = false;
                for (const auto &s : a->stages)
                    anyOpen = anyOpen || s.isOpen();
                if (!anyOpen)
                    return callback(alreadyDecided(a.value()));
                return callback(
                    Error::make(Error::Kind::Service,
                                QStringLiteral("this request is not yours to decide (not an approver of the "
                                               "group, or your own request)"),
                                403, QStringLiteral("NotYourDecision")));
            }
            const Net::Json body = {{"reviewResult", approve ? "Approve" : "Deny"},
                                    {"justification", justification.trimmed().toStdString()}};
            auto *call = newCall(
                "PATCH",
                url(kPim + QStringLiteral("/assignmentApprovals/")
                    + QString::fromLatin1(QUrl::toPercentEncoding(approvalId)) + QStringLiteral("/stages/")
                    + QString::fromLatin1(QUrl::toPercentEncoding(stage->id))),
                QByteArray::fromStdString(body.dump()),
                [this, guard, approvalId, callback](const Net::HttpResponse &r) {
                    if (!guard)
                        return;
                    if (r.isSuccess() || (r.hasStatus() && r.status == 409)) {
                        // Read back what PIM now says: our decision, or the one that came first.
                        const bool conflict = !r.isSuccess();
                        return getApproval(
                            approvalId, guard, [callback, conflict](Core::Result<Core::Approval> after) {
                                if (conflict && after.ok())
                                    return callback(alreadyDecided(after.value()));
                                if (conflict)
                                    return callback(Error::make(Error::Kind::Service,
                                                                QStringLiteral("already decided"), 409,
                                                                QStringLiteral("AlreadyDecided")));
                                callback(std::move(after));
                            });
                    }
                    callback(graphError(r));
                });
            call->start();
        });
}

void GraphClient::deactivate(const QString &groupId, Core::AccessKind access, const QString &principalId,
                             const QString &justification, QObject *context,
                             Callback<Core::AccessRequest> callback)
{
    call<Core::AccessRequest>("POST", url(kPim + QStringLiteral("/assignmentScheduleRequests")),
                              deactivationBody(groupId, access, principalId, justification), context,
                              &parseRequestBody, std::move(callback));
}

} // namespace Elevate::Graph

// SPDX-License-Identifier: GPL-3.0-or-later
// Graph's JSON batching (graph-pim.md §11.2): POST /{version}/$batch runs up to 20 requests, each
// answered on its own (status, headers, body) inside one 200; the batch itself fails with 400 only when
// it cannot be read. Sub-requests go through the same routes as single calls, with the batch's
// Authorization, and injected faults that match a sub-request's path apply to it alone (that is how a
// test sends one throttled item with its own Retry-After).

#include "emulator_p.h"

#include <QHash>
#include <QSet>

namespace Elevate::Emulator {

namespace {

constexpr std::size_t kMaxBatchRequests = 20;

std::optional<QHttpServerRequest::Method> methodFromName(const QString &name)
{
    using M = QHttpServerRequest::Method;
    static const QHash<QString, M> methods {
        {QStringLiteral("GET"), M::Get},       {QStringLiteral("POST"), M::Post},
        {QStringLiteral("PUT"), M::Put},       {QStringLiteral("PATCH"), M::Patch},
        {QStringLiteral("DELETE"), M::Delete}, {QStringLiteral("HEAD"), M::Head}};
    const auto it = methods.constFind(name.toUpper());
    if (it == methods.cend())
        return std::nullopt;
    return *it;
}

/// The headers of a sub-response, as Graph prints them (an object; a repeated name joins with ", ").
Json headersJson(const Reply &reply)
{
    Json h = Json::object();
    if (reply.status != 204)
        h["Content-Type"] = reply.contentType.startsWith("application/json")
            ? std::string("application/json;odata.metadata=minimal;odata.streaming=true;"
                          "IEEE754Compatible=false;charset=utf-8")
            : reply.contentType.toStdString();
    h["Cache-Control"] = "no-cache";
    h["OData-Version"] = "4.0";
    for (const auto &[name, value] : reply.headers) {
        const std::string key = name.toStdString();
        if (h.contains(key) && name.compare("Content-Type", Qt::CaseInsensitive) != 0)
            h[key] = h[key].get<std::string>() + ", " + value.toStdString();
        else
            h[key] = value.toStdString();
    }
    return h;
}

struct Step
{
    QString id;
    QHttpServerRequest::Method method;
    QString url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QStringList dependsOn;
};

/// One step of the batch, read and checked (its id against the steps' before it): the error, or nullopt.
std::optional<QString> readStep(const Json &item, const QSet<QString> &ids, Step *out)
{
    Step &s = *out;
    s.id = item.contains("id") && item["id"].is_string()
        ? QString::fromStdString(item["id"].get<std::string>())
        : QString();
    if (s.id.isEmpty())
        return QStringLiteral("Invalid batch payload format: a request has no id.");
    if (ids.contains(s.id.toLower()))
        return QStringLiteral("Batch request steps must have unique ids; '%1' is repeated.").arg(s.id);
    const QString method = item.contains("method") && item["method"].is_string()
        ? QString::fromStdString(item["method"].get<std::string>())
        : QString();
    const auto m = methodFromName(method);
    if (!m)
        return QStringLiteral("Invalid batch payload format: request '%1' has no valid method.").arg(s.id);
    s.method = *m;
    s.url = item.contains("url") && item["url"].is_string()
        ? QString::fromStdString(item["url"].get<std::string>())
        : QString();
    if (s.url.isEmpty() || s.url.contains(u"://"))
        return QStringLiteral("Invalid batch payload format: request '%1' needs a relative url.").arg(s.id);
    bool hasContentType = false;
    if (item.contains("headers")) {
        if (!item["headers"].is_object())
            return QStringLiteral("Invalid batch payload format: headers of '%1' is not an object.")
                .arg(s.id);
        for (const auto &[name, value] : item["headers"].items()) {
            if (!value.is_string())
                return QStringLiteral("Invalid batch payload format: header %1 of '%2' is not a string.")
                    .arg(QString::fromStdString(name), s.id);
            s.headers.append(
                {QByteArray::fromStdString(name), QByteArray::fromStdString(value.get<std::string>())});
            hasContentType = hasContentType
                || QByteArray::fromStdString(name).compare("Content-Type", Qt::CaseInsensitive) == 0;
        }
    }
    if (item.contains("body") && !item["body"].is_null()) {
        if (!hasContentType)
            return QStringLiteral("Content-Type header must be specified for request '%1', which has a "
                                  "body.")
                .arg(s.id);
        s.body = item["body"].is_string() ? QByteArray::fromStdString(item["body"].get<std::string>())
                                          : QByteArray::fromStdString(item["body"].dump());
    }
    if (item.contains("dependsOn")) {
        if (!item["dependsOn"].is_array())
            return QStringLiteral("Invalid batch payload format: dependsOn of '%1' is not an array.")
                .arg(s.id);
        for (const auto &d : item["dependsOn"]) {
            if (!d.is_string())
                return QStringLiteral("Invalid batch payload format: dependsOn of '%1' names no id.")
                    .arg(s.id);
            s.dependsOn << QString::fromStdString(d.get<std::string>());
        }
    }
    return std::nullopt;
}

/// A step as a request of its own: the batch's credentials and client-request-id, the step's headers.
Request subRequest(const Request &batch, const QString &version, const Step &s)
{
    Request sub;
    sub.method = s.method;
    const QString relative = s.url.startsWith(u'/') ? s.url : u'/' + s.url;
    const QUrl u(QStringLiteral("http://batch/graph/") + version + relative);
    sub.path = u.path(QUrl::FullyDecoded);
    sub.segments = sub.path.split(u'/', Qt::SkipEmptyParts);
    sub.query = QUrlQuery(u.query(QUrl::FullyEncoded));
    // The batch's own credentials and client-request-id; a step's headers add to them.
    for (const auto &h : batch.headers)
        if (h.first.compare("Content-Type", Qt::CaseInsensitive) != 0
            && h.first.compare("Content-Length", Qt::CaseInsensitive) != 0)
            sub.headers << h;
    sub.headers << s.headers;
    sub.body = s.body;
    return sub;
}

} // namespace

Reply Emulator::Private::batch(const Request &r, const QString &version)
{
    if (r.method != QHttpServerRequest::Method::Post)
        return graphError(r, 405, QStringLiteral("BadRequest"), QStringLiteral("$batch takes POST only."));
    auto bad
        = [this, &r](const QString &why) { return graphError(r, 400, QStringLiteral("BadRequest"), why); };
    const Json body = Json::parse(r.body.toStdString(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("requests")
        || !body["requests"].is_array())
        return bad(QStringLiteral("Invalid batch payload format: a JSON object with a \"requests\" array is "
                                  "expected."));
    const Json &requests = body["requests"];
    if (requests.empty())
        return bad(QStringLiteral("Invalid batch payload format: \"requests\" is empty."));
    if (requests.size() > kMaxBatchRequests)
        return bad(QStringLiteral("Number of batch request steps exceeds the maximum of %1.")
                       .arg(kMaxBatchRequests));

    // Read every step first: one unreadable step fails the whole batch, before anything runs.
    QList<Step> steps;
    QSet<QString> ids; // case-insensitive, as the docs say
    for (const Json &item : requests) {
        if (!item.is_object())
            return bad(QStringLiteral("Invalid batch payload format: a request is not an object."));
        Step s;
        if (const std::optional<QString> why = readStep(item, ids, &s))
            return bad(*why);
        ids.insert(s.id.toLower());
        steps << s;
    }
    for (const Step &s : std::as_const(steps))
        for (const QString &d : s.dependsOn)
            if (!ids.contains(d.toLower()) || d.compare(s.id, Qt::CaseInsensitive) == 0)
                return bad(QStringLiteral("Request '%1' depends on '%2', which is not another request of the "
                                          "batch.")
                               .arg(s.id, d));

    // Run in dependency order (a cycle is a malformed batch); a step whose dependency failed is not run
    // and answers 424.
    QHash<QString, int> statusOf; // lower-case id -> status, once run
    QList<QPair<QString, Json>> answered;
    while (answered.size() < steps.size()) {
        bool progressed = false;
        for (const Step &s : std::as_const(steps)) {
            if (statusOf.contains(s.id.toLower()))
                continue;
            bool ready = true, failedDependency = false;
            for (const QString &d : s.dependsOn) {
                const auto st = statusOf.constFind(d.toLower());
                if (st == statusOf.cend())
                    ready = false;
                else if (*st >= 400)
                    failedDependency = true;
            }
            if (!ready)
                continue;
            progressed = true;
            Reply reply;
            if (failedDependency) {
                reply = graphError(r, 424, QStringLiteral("FailedDependency"),
                                   QStringLiteral("A request this one depends on failed."));
            } else {
                reply = batchStep(subRequest(r, version, s));
            }
            statusOf.insert(s.id.toLower(), reply.status);
            Json answer
                = {{"id", s.id.toStdString()}, {"status", reply.status}, {"headers", headersJson(reply)}};
            if (reply.status != 204 && !reply.body.isEmpty()) {
                const Json parsed = Json::parse(reply.body.toStdString(), nullptr, false);
                answer["body"] = parsed.is_discarded()
                    ? Json(reply.body.toBase64().toStdString()) // not JSON: base64, as Graph does for binary
                    : parsed;
            }
            answered.append({s.id, answer});
        }
        if (!progressed)
            return bad(QStringLiteral("The dependsOn of the batch's requests form a cycle."));
    }
    // Graph answers in whatever order the steps finished; clients must correlate by id. Last first here,
    // so a client that relies on the order breaks in tests too.
    Json out = {{"responses", Json::array()}};
    for (auto it = answered.crbegin(); it != answered.crend(); ++it)
        out["responses"].push_back(it->second);
    return Reply::json(out);
}

Reply Emulator::Private::batchStep(const Request &sub)
{
    // An injected fault with a status whose path (and query, if the fault names one) matches replaces this
    // step's answer (once per match).
    for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (it->status == 0 || !sub.path.contains(it->path)
            || (!it->query.isEmpty() && !sub.query.toString(QUrl::FullyDecoded).contains(it->query))
            || (!it->method.isEmpty()
                && it->method.compare(methodName(sub.method), Qt::CaseInsensitive) != 0))
            continue;
        const Fault f = *it;
        if (--it->count <= 0)
            faults.erase(it);
        if (f.after)
            route(sub); // carried out; only its answer is replaced
        Reply reply;
        if (f.body) {
            reply.status = f.status;
            reply.body = *f.body;
        } else if (f.status == 429) {
            reply = graphError(sub, 429, QStringLiteral("TooManyRequests"),
                               QStringLiteral("Please retry again later."));
        } else if (f.status == 403) {
            reply = graphError(sub, 403, QStringLiteral("Authorization_RequestDenied"),
                               QStringLiteral("Insufficient privileges to complete the operation."));
        } else if (f.status == 404) {
            reply = graphError(
                sub, 404, QStringLiteral("Request_ResourceNotFound"),
                QStringLiteral("Resource does not exist or one of its queried reference-property "
                               "objects are not present."));
        } else {
            reply
                = graphError(sub, f.status,
                             f.status >= 500 ? QStringLiteral("UnknownError") : QStringLiteral("BadRequest"),
                             QStringLiteral("Injected fault."));
        }
        if (!f.retryAfter.isEmpty())
            reply.headers.append({"Retry-After", f.retryAfter});
        reply.headers << f.headers;
        return reply;
    }
    if (sub.segments.value(2) == u"$batch")
        return graphError(sub, 400, QStringLiteral("BadRequest"),
                          QStringLiteral("A batch cannot contain a batch."));
    return route(sub);
}

} // namespace Elevate::Emulator

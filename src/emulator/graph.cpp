// SPDX-License-Identifier: GPL-3.0-or-later
// The Microsoft Graph part of the emulator: /me, /groups/{id} and PIM-for-Groups eligibilities,
// with Graph's envelope, paging and the payload quirks of the real service (graph-pim.md §2).

#include "emulator_p.h"

#include <QRegularExpression>

namespace Elevate::Emulator {

namespace {
const std::string kEligibilityPath = "/identityGovernance/privilegedAccess/group/"
                                     "eligibilityScheduleInstances/filterByCurrentUser(on='principal')";
}

Reply Emulator::Private::graphError(const Request &r, int status, const QString &code, const QString &message,
                                    const QList<QPair<QByteArray, QByteArray>> &extraHeaders)
{
    const QString requestId = newGuid();
    QString clientRequestId = QString::fromLatin1(r.header("client-request-id"));
    if (clientRequestId.isEmpty())
        clientRequestId = requestId;
    Reply reply
        = Reply::json({{"error",
                        {{"code", code.toStdString()},
                         {"message", message.toStdString()},
                         {"innerError",
                          {{"date", now().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")).toStdString()},
                           {"request-id", requestId.toStdString()},
                           {"client-request-id", clientRequestId.toStdString()}}}}}},
                      status);
    reply.headers = extraHeaders;
    reply.headers.append({"request-id", requestId.toUtf8()});
    return reply;
}

Reply Emulator::Private::pimError(const Request &r, int status, const QString &code, const QString &message)
{
    // PIM often wraps its real error as JSON inside the message of an outer UnknownError; both forms
    // are seen for the same codes (graph-pim.md §10.2), so the scenario picks one.
    if (!pimErrorsWrapped)
        return graphError(r, status, code, message);
    const Json inner = {{"errorCode", code.toStdString()},
                        {"message", message.toStdString()},
                        {"instanceAnnotations", Json::array()}};
    return graphError(r, status, QStringLiteral("UnknownError"), QString::fromStdString(inner.dump()));
}

Json Emulator::Private::eligibilityJson(const EligibilityRecord &e, int index, bool expandGroup) const
{
    // Vary the shape the way real payloads do: @odata.type on some items, enum casing, 0/1/3/7
    // fractional digits, an unknown property, null versus absent for a permanent end.
    static const int digits[] = {7, 0, 3, 1};
    Json j = Json::object();
    if (index % 2 == 0)
        j["@odata.type"] = "#microsoft.graph.privilegedAccessGroupEligibilityScheduleInstance";
    j["id"] = e.id.toStdString();
    j["startDateTime"] = formatTime(e.start, digits[index % 4]).toStdString();
    if (e.end.isValid())
        j["endDateTime"] = formatTime(e.end, digits[(index + 1) % 4]).toStdString();
    else if (index % 2 == 0)
        j["endDateTime"] = nullptr;
    j["accessId"] = e.accessId.toStdString();
    // Eligible through another group: that group is the principal (graph-pim.md §4.1).
    j["principalId"] = (e.viaGroupId.isEmpty() ? e.userId : e.viaGroupId).toStdString();
    j["groupId"] = e.groupId.toStdString();
    QString memberType = e.memberType;
    if ((index % 2 == 1 || pascalEnums) && !memberType.isEmpty())
        memberType[0] = memberType[0].toUpper(); // "Direct" as seen in real payloads and the docs' example
    j["memberType"] = memberType.toStdString();
    j["eligibilityScheduleId"] = e.id.toStdString();
    if (index % 3 == 1)
        j["roleDefinitionOrigin"] = "pim"; // a property this client does not know
    if (expandGroup) {
        const Group *g = expandsGroup(e.groupId) ? groupById(e.groupId) : nullptr;
        if (g)
            j["group"] = {{"id", g->id.toStdString()},
                          {"displayName", g->displayName.toStdString()},
                          {"description",
                           g->description.isEmpty() ? Json(nullptr) : Json(g->description.toStdString())}};
        else
            j["group"] = nullptr;
    }
    return j;
}

Json Emulator::Private::groupJson(const QString &groupId) const
{
    const Group *g = groupById(groupId);
    if (!g)
        return nullptr;
    return {{"id", g->id.toStdString()},
            {"displayName", g->displayName.toStdString()},
            {"description", g->description.isEmpty() ? Json(nullptr) : Json(g->description.toStdString())}};
}

Reply Emulator::Private::pagedCollection(const Request &r, const std::string &root, const QString &path,
                                         const std::string &entitySet, const std::vector<Json> &items,
                                         int top)
{
    const int size = top > 0 ? top : pageSize;
    int offset = 0;
    const QString skip = r.odata(QStringLiteral("skiptoken"));
    if (!skip.isEmpty()) {
        const QByteArray decoded = QByteArray::fromBase64(skip.toLatin1(), QByteArray::Base64UrlEncoding);
        bool ok = false;
        offset = decoded.startsWith("o=") ? decoded.mid(2).toInt(&ok) : -1;
        if (!ok || offset < 0 || offset > int(items.size()))
            return graphError(r, 400, QStringLiteral("BadRequest"), QStringLiteral("Invalid skip token."));
    }
    Json out
        = {{"@odata.context", root + "/$metadata#Collection(" + entitySet + ")"}, {"value", Json::array()}};
    const int end = qMin(int(items.size()), offset + size);
    for (int i = offset; i < end; ++i)
        out["value"].push_back(items.at(std::size_t(i)));
    if (end < int(items.size())) {
        // The next link carries the query options, as Graph's do, plus an opaque skip token.
        QString next = QString::fromStdString(root) + path + u'?';
        for (const char *option : {"filter", "expand", "select", "top"}) {
            const QString value = r.odata(QString::fromLatin1(option));
            if (!value.isEmpty())
                next += u'$' + QString::fromLatin1(option) + u'='
                    + QString::fromLatin1(QUrl::toPercentEncoding(value, "()=,'")) + u'&';
        }
        next += QStringLiteral("$skiptoken=")
            + QString::fromLatin1(
                    QByteArray("o=" + QByteArray::number(end))
                        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
        out["@odata.nextLink"] = next.toStdString();
    }
    return Reply::json(out);
}

const Routes &Emulator::Private::graphRoutes()
{
    static const Routes routes = [] {
        auto below = [](Reply (Private::*handler)(const Request &, const QStringList &)) {
            return [handler](Private &d, const Request &r, const RouteParams &) {
                return (d.*handler)(r, r.segments.mid(2)); // the path below /graph/{version}
            };
        };
        Routes t;
        // The SCIM job (aws.cpp) answers for delegated administrators and apps alike.
        t.add(AnyMethod, QStringLiteral("graph/{version:v1\\.0|beta}/servicePrincipals/**"),
              below(&Private::synchronization), ErrorShape::Graph);
        t.add(AnyMethod, QStringLiteral("graph/{version:v1\\.0|beta}/**"), below(&Private::graph),
              ErrorShape::Graph);
        return t;
    }();
    return routes;
}

namespace {

Reply me(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    if (!c.at.scopes.contains(u"User.Read"))
        return d.graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                            QStringLiteral("Insufficient privileges to complete the operation."));
    return Reply::json(
        {{"@odata.context", c.root + "/$metadata#users(id,displayName,userPrincipalName,mail)/$entity"},
         {"id", c.user->id.toStdString()},
         {"displayName", c.user->displayName.toStdString()},
         {"userPrincipalName", c.user->upn.toStdString()},
         {"mail", c.user->mail.isEmpty() ? Json(nullptr) : Json(c.user->mail.toStdString())}});
}

Reply group(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    const QString id = c.params.value(QStringLiteral("id"));
    const Group *g = d.groupById(id);
    if (!g)
        return d.graphError(
            r, 404, QStringLiteral("Request_ResourceNotFound"),
            QStringLiteral("Resource '%1' does not exist or one of its queried reference-property "
                           "objects are not present.")
                .arg(id));
    return Reply::json(
        {{"@odata.context", c.root + "/$metadata#groups(id,displayName,description)/$entity"},
         {"id", g->id.toStdString()},
         {"displayName", g->displayName.toStdString()},
         {"description", g->description.isEmpty() ? Json(nullptr) : Json(g->description.toStdString())}});
}

Reply eligibilityInstances(Emulator::Private &d, const Request &r, const GraphCall &c)
{
    const QString &path = c.path;
    if (path != QString::fromStdString(kEligibilityPath))
        return d.graphError(
            r, 400, QStringLiteral("BadRequest"),
            QStringLiteral("The emulator supports only filterByCurrentUser(on='principal')."));
    if (!c.at.scopes.contains(u"PrivilegedEligibilitySchedule.Read.AzureADGroup")
        && !c.at.scopes.contains(u"PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup"))
        return d.pimError(r, 403, QStringLiteral("PermissionScopeNotGranted"),
                          QStringLiteral("Authorization failed due to missing permission scope "
                                         "PrivilegedEligibilitySchedule.Read.AzureADGroup,"
                                         "PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup."));
    if (!d.filterOr) {
        // No parser for this $filter: look for the `or` operator outside quoted values.
        static const QRegularExpression quoted(QStringLiteral("'(?:[^']|'')*'"));
        static const QRegularExpression orWord(QStringLiteral("(^|[\\s)])or([\\s(]|$)"),
                                               QRegularExpression::CaseInsensitiveOption);
        if (QString(r.odata(QStringLiteral("filter"))).remove(quoted).contains(orWord))
            return d.graphError(r, 400, QStringLiteral("BadRequest"),
                                QStringLiteral("Invalid filter clause: the 'or' operator is not supported on "
                                               "this function; use separate requests."));
    }
    const QString expand = r.odata(QStringLiteral("expand"));
    const bool expandGroup = expand == u"group" || expand.startsWith(u"group(");
    QList<const EligibilityRecord *> mine;
    for (const auto &e : d.eligibilities)
        if (e.userId == c.user->id && (!e.end.isValid() || e.end > d.now()))
            mine << &e;
    // Each item's index varies its shape the way real payloads vary (see eligibilityJson).
    std::vector<Json> items;
    for (int i = 0; i < mine.size(); ++i)
        items.push_back(d.eligibilityJson(*mine.at(i), i, expandGroup));
    return d.pagedCollection(r, c.root, QString::fromStdString(kEligibilityPath),
                             "privilegedAccessGroupEligibilityScheduleInstance", items);
}

} // namespace

const GraphRoutes &Emulator::Private::graphResourceRoutes()
{
    // Below /graph/{version}/. Only GET here but $batch (see graph() for the 405).
    using M = QHttpServerRequest::Method;
    static const GraphRoutes routes = [] {
        GraphRoutes t;
        t.add(AnyMethod, QStringLiteral("$batch"),
              [](Private &d, const Request &r, const GraphCall &) { return d.batch(r, r.segments.at(1)); });
        t.add(M::Get, QStringLiteral("me"), me);
        t.add(M::Get, QStringLiteral("groups/{id}"), group);
        t.add(M::Get,
              QStringLiteral("identityGovernance/privilegedAccess/group/eligibilityScheduleInstances/"
                             "{function:filterByCurrentUser\\(.*}/**"),
              eligibilityInstances);
        return t;
    }();
    return routes;
}

Reply Emulator::Private::graph(const Request &r, const QStringList &rest)
{
    // Authentication: a bearer token the emulator issued, not expired.
    const QByteArray auth = r.header("authorization");
    const QString token = auth.startsWith("Bearer ") ? QString::fromLatin1(auth.mid(7)).trimmed() : QString();
    const auto tokenIt = accessTokens.constFind(token);
    if (token.isEmpty() || tokenIt == accessTokens.cend() || now() >= tokenIt->expires) {
        const bool expired = tokenIt != accessTokens.cend();
        return graphError(
            r, 401, QStringLiteral("InvalidAuthenticationToken"),
            expired               ? QStringLiteral("Lifetime validation failed, the token is expired.")
                : token.isEmpty() ? QStringLiteral("Access token is empty.")
                                  : QStringLiteral("IDX14100: JWT is not well formed."),
            {{"WWW-Authenticate",
              "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/"
              "authorize\", client_id=\"00000003-0000-0000-c000-000000000000\""}});
    }
    const AccessToken &at = tokenIt.value();
    const QString version = r.segments.at(1);
    GraphCall call {{},
                    at,
                    at.app ? nullptr : userById(at.userId),
                    QString(base.toString() + QStringLiteral("/graph/") + version).toStdString(),
                    u'/' + rest.join(u'/'),
                    version == u"beta"};
    auto run = [&](const GraphRoutes::Match &m) {
        call.params = m.params;
        return m.route->handler(*this, r, call);
    };
    if (at.app) {
        // App-only callers (bridge.cpp): their own routes, each of which checks the method.
        if (const GraphRoutes::Match m = appRoutes().match(rest, r.method); m.route)
            return run(m);
        return appGraphNotFound(r, rest);
    }
    // PIM (pim.cpp) refuses a wrong method with its 405; the rest of Graph takes GET only (but $batch).
    if (const GraphRoutes::Match m = pimRoutes().match(rest, r.method); m.route)
        return m.methodAllowed
            ? run(m)
            : graphError(r, 405, QStringLiteral("Request_BadRequest"),
                         QStringLiteral("The HTTP method '%1' is not allowed on this resource.")
                             .arg(methodName(r.method)));
    if (const GraphRoutes::Match m = graphResourceRoutes().match(rest, r.method); m.route && m.methodAllowed)
        return run(m);
    if (r.method != QHttpServerRequest::Method::Get)
        return graphError(r, 405, QStringLiteral("Request_BadRequest"),
                          QStringLiteral("The emulator supports only GET on this resource."));
    return graphError(r, 400, QStringLiteral("BadRequest"),
                      QStringLiteral("Resource not found for the segment '%1'.").arg(rest.value(0)));
}

} // namespace Elevate::Emulator

// SPDX-License-Identifier: GPL-3.0-or-later
#include "emulator_p.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QLoggingCategory>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUuid>

#include <memory>

namespace Elevate::Emulator {

Q_LOGGING_CATEGORY(lcEmulator, "elevate.emulator", QtInfoMsg)

QString randomToken(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    for (auto &c : raw)
        c = char(QRandomGenerator::system()->bounded(256));
    return QString::fromLatin1(raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString newGuid()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString formatTime(const QDateTime &t, int fractionDigits)
{
    QString s = t.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss"));
    if (fractionDigits > 0) {
        const QString ms = QStringLiteral("%1").arg(t.time().msec(), 3, 10, QLatin1Char('0'));
        s += u'.' + QString(ms + QStringLiteral("4527")).left(fractionDigits); // 7 digits like .NET ticks
    }
    return s + u'Z';
}

QByteArray httpDate(const QDateTime &t)
{
    return QLocale::c().toString(t.toUTC(), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'")).toLatin1();
}

qint64 parseIsoDuration(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^P(?:(\\d+(?:\\.\\d+)?)D)?(?:T(?:(\\d+(?:\\.\\d+)?)H)?"
                                                      "(?:(\\d+(?:\\.\\d+)?)M)?(?:(\\d+(?:\\.\\d+)?)S)?)?$"));
    const QString s = text.trimmed();
    const QRegularExpressionMatch m = re.match(s);
    if (!m.hasMatch() || s.endsWith(u'T'))
        return -1;
    bool any = false;
    double secs = 0;
    const double unit[] = {86400, 3600, 60, 1};
    for (int i = 0; i < 4; ++i) {
        if (m.capturedLength(i + 1) > 0) {
            any = true;
            secs += m.captured(i + 1).toDouble() * unit[i];
        }
    }
    return any ? qRound64(secs) : -1;
}

QString methodName(QHttpServerRequest::Method m)
{
    using M = QHttpServerRequest::Method;
    if (m == M::Get)
        return QStringLiteral("GET");
    if (m == M::Post)
        return QStringLiteral("POST");
    if (m == M::Put)
        return QStringLiteral("PUT");
    if (m == M::Delete)
        return QStringLiteral("DELETE");
    if (m == M::Patch)
        return QStringLiteral("PATCH");
    if (m == M::Head)
        return QStringLiteral("HEAD");
    if (m == M::Options)
        return QStringLiteral("OPTIONS");
    return QStringLiteral("OTHER");
}

Json Fault::toJson() const
{
    Json j = {{"path", path.toStdString()},
              {"query", query.isEmpty() ? Json(nullptr) : Json(query.toStdString())},
              {"method", method.isEmpty() ? Json(nullptr) : Json(method.toStdString())},
              {"status", status},
              {"retryAfter", retryAfter.isEmpty() ? Json(nullptr) : Json(retryAfter.toStdString())},
              {"delayMs", delayMs},
              {"body", body ? Json(body->toStdString()) : Json(nullptr)},
              {"malformed", malformed},
              {"drop", drop},
              {"partial", partial},
              {"when", after ? "after" : "before"},
              {"count", count},
              {"oauthError", oauthError.isEmpty() ? Json(nullptr) : Json(oauthError.toStdString())},
              {"claims", claims.isEmpty() ? Json(nullptr) : Json(claims.toStdString())}};
    Json h = Json::object();
    for (const auto &header : headers) {
        const std::string name = header.first.toStdString();
        if (!h.contains(name))
            h[name] = Json::array();
        h[name].push_back(header.second.toStdString());
    }
    j["headers"] = h;
    return j;
}

QByteArray Request::header(const char *name) const
{
    for (const auto &h : headers)
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    return {};
}

QString Request::odata(const QString &name) const
{
    for (const auto &item : query.queryItems(QUrl::FullyDecoded)) {
        QString key = item.first;
        if (key.startsWith(u'$'))
            key.remove(0, 1);
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return item.second;
    }
    return {};
}

Reply Reply::json(const Json &j, int status)
{
    Reply r;
    r.status = status;
    r.body = QByteArray::fromStdString(j.dump());
    return r;
}

Reply Reply::html(const QString &html, int status)
{
    Reply r;
    r.status = status;
    r.contentType = "text/html; charset=utf-8";
    r.body = html.toUtf8();
    return r;
}

Reply Reply::redirect(const QString &to)
{
    Reply r;
    r.status = 302;
    r.contentType = "text/html; charset=utf-8";
    r.headers.append({"Location", to.toUtf8()});
    r.body = "<html><body>Redirecting…</body></html>";
    return r;
}

const User *Emulator::Private::userByUpn(const QString &upn) const
{
    for (const auto &u : users)
        if (u.upn.compare(upn, Qt::CaseInsensitive) == 0)
            return &u;
    return nullptr;
}

const User *Emulator::Private::userById(const QString &id) const
{
    for (const auto &u : users)
        if (u.id == id)
            return &u;
    return nullptr;
}

const Group *Emulator::Private::groupById(const QString &id) const
{
    for (const auto &g : groups)
        if (g.id == id)
            return &g;
    return nullptr;
}

namespace {
QString str(const Json &j, const char *key, const QString &fallback = {})
{
    if (!j.is_object() || !j.contains(key) || !j[key].is_string())
        return fallback;
    return QString::fromStdString(j[key].get<std::string>());
}

QDateTime parseWhen(const Json &j, const char *isoKey, const char *daysKey, const QDateTime &now,
                    bool *present)
{
    *present = true;
    if (j.contains(isoKey) && j[isoKey].is_string())
        return QDateTime::fromString(str(j, isoKey), Qt::ISODateWithMs).toUTC();
    if (j.contains(daysKey) && j[daysKey].is_number())
        return now.addSecs(qint64(j[daysKey].get<double>() * 86400));
    *present = false;
    return {};
}

/// A scenario flag: absent gives the fallback, a non-boolean gives nothing.
std::optional<bool> flag(const Json &j, const char *key, bool fallback)
{
    if (!j.contains(key) || j[key].is_null())
        return fallback;
    if (!j[key].is_boolean())
        return std::nullopt;
    return j[key].get<bool>();
}
} // namespace

bool Emulator::Private::parsePolicies(const Json &list, QString *error)
{
    policies.clear();
    if (!list.is_array()) {
        if (error)
            *error = QStringLiteral("policies must be an array");
        return false;
    }
    int n = 0;
    for (const auto &e : list) {
        auto fail = [error, n](const QString &why) {
            if (error)
                *error = QStringLiteral("policy %1: %2").arg(n).arg(why);
            return false;
        };
        if (!e.is_object())
            return fail(QStringLiteral("not an object"));
        const QString groupRef = str(e, "group");
        const Group *group = groupById(groupRef);
        for (const auto &g : groups)
            if (!group && g.displayName == groupRef)
                group = &g;
        if (!group)
            return fail(QStringLiteral("unknown group '%1'").arg(groupRef));
        Policy p;
        p.groupId = group->id;
        p.accessId = str(e, "accessId", QStringLiteral("member"));
        if (p.accessId != u"member" && p.accessId != u"owner")
            return fail(QStringLiteral("accessId must be member or owner"));
        p.maximumDuration = str(e, "maximumDuration", QStringLiteral("PT8H"));
        p.maximumSecs = parseIsoDuration(p.maximumDuration);
        if (p.maximumSecs <= 0)
            return fail(QStringLiteral("maximumDuration is not an ISO 8601 duration"));
        const auto justification = flag(e, "justification", true);
        const auto ticket = flag(e, "ticket", false);
        const auto mfa = flag(e, "mfa", false);
        const auto approval = flag(e, "approval", false);
        const auto approverJustification = flag(e, "approverJustification", true);
        if (!justification || !ticket || !mfa || !approval || !approverJustification)
            return fail(QStringLiteral("justification, ticket, mfa, approval and approverJustification are "
                                       "booleans"));
        p.justification = *justification;
        p.ticket = *ticket;
        p.mfa = *mfa;
        p.approval = *approval;
        p.approverJustification = *approverJustification;
        if (e.contains("authContext") && !e["authContext"].is_null() && !e["authContext"].is_string())
            return fail(QStringLiteral("authContext is a claim value such as \"c1\", or null"));
        p.authContext = str(e, "authContext");
        for (const auto &a : e.value("approvers", Json::array())) {
            const QString ref = a.is_string() ? QString::fromStdString(a.get<std::string>()) : QString();
            const User *u = userByUpn(ref);
            if (!u)
                u = userById(ref);
            if (!u)
                return fail(QStringLiteral("unknown approver '%1'").arg(ref));
            p.approverIds << u->id;
        }
        for (const auto &other : std::as_const(policies))
            if (other.groupId == p.groupId && other.accessId == p.accessId)
                return fail(QStringLiteral("a second policy for the same group and accessId"));
        policies << p;
        ++n;
    }
    return true;
}

bool Emulator::Private::parseScenario(const Json &j, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    if (!j.is_object())
        return fail(QStringLiteral("the scenario is not a JSON object"));
    const Json tenant = j.value("tenant", Json::object());
    const Json app = j.value("app", Json::object());
    tenantId = str(tenant, "id");
    tenantName = str(tenant, "displayName", QStringLiteral("Emulated tenant"));
    tenantDomain = str(tenant, "domain", QStringLiteral("contoso.example"));
    clientId = str(app, "clientId");
    if (tenantId.isEmpty() || clientId.isEmpty())
        return fail(QStringLiteral("tenant.id and app.clientId are required"));
    redirectUris.clear();
    for (const auto &u : app.value("redirectUris", Json::array({"http://localhost"})))
        redirectUris << QString::fromStdString(u.get<std::string>());
    allowPublicClientFlows = app.value("allowPublicClientFlows", true);
    if (!parseAppConsent(app, error))
        return false;

    users.clear();
    for (const auto &u : j.value("users", Json::array())) {
        User user {str(u, "id"), str(u, "userPrincipalName"), str(u, "displayName"), str(u, "mail"), {}};
        if (user.id.isEmpty() || user.upn.isEmpty())
            return fail(QStringLiteral("every user needs id and userPrincipalName"));
        for (const auto &role : u.value("roles", Json::array())) {
            if (!role.is_string())
                return fail(QStringLiteral("a user's roles are directory role names"));
            user.roles << QString::fromStdString(role.get<std::string>());
        }
        users << user;
    }
    groups.clear();
    for (const auto &g : j.value("groups", Json::array())) {
        Group group {str(g, "id"), str(g, "displayName"), str(g, "description"), {}, {}};
        if (group.id.isEmpty())
            return fail(QStringLiteral("every group needs an id"));
        if (g.contains("aws")) {
            // An explicit Identity Center assignment; otherwise the name AWS-<account>-<role> decides.
            group.awsAccountId = str(g["aws"], "accountId");
            group.awsRoleName = str(g["aws"], "roleName");
            if (!QRegularExpression(QStringLiteral("^\\d{12}$")).match(group.awsAccountId).hasMatch()
                || group.awsRoleName.isEmpty())
                return fail(
                    QStringLiteral("group %1: aws needs a 12-digit accountId and a roleName").arg(group.id));
        }
        groups << group;
    }
    eligibilities.clear();
    const QDateTime t0 = now();
    int n = 0;
    for (const auto &e : j.value("eligibilities", Json::array())) {
        const User *user = userByUpn(str(e, "user"));
        const QString groupRef = str(e, "group");
        const Group *group = groupById(groupRef);
        for (const auto &g : groups)
            if (!group && g.displayName == groupRef)
                group = &g;
        if (!user || !group)
            return fail(QStringLiteral("eligibility %1 names an unknown user or group").arg(n));
        EligibilityRecord rec;
        rec.userId = user->id;
        rec.groupId = group->id;
        rec.accessId = str(e, "accessId", QStringLiteral("member"));
        rec.memberType = str(e, "memberType", QStringLiteral("direct")).toLower();
        if (rec.memberType != u"direct" && rec.memberType != u"group")
            return fail(QStringLiteral("eligibility %1: memberType is \"Direct\" or \"Group\"").arg(n));
        if (e.contains("viaGroup")) {
            // Eligible through membership of another group: that group is the principal (graph-pim.md §4.1).
            const QString viaRef = str(e, "viaGroup");
            const Group *via = groupById(viaRef);
            for (const auto &g : groups)
                if (!via && !viaRef.isEmpty() && g.displayName == viaRef)
                    via = &g;
            if (!via || via == group || rec.memberType != u"group")
                return fail(QStringLiteral(
                                "eligibility %1: viaGroup is another scenario group, with memberType Group")
                                .arg(n));
            rec.viaGroupId = via->id;
        }
        rec.id = group->id + u'_' + rec.accessId + u'_'
            + QUuid::createUuidV5(QUuid(), user->id + group->id + rec.accessId + rec.viaGroupId)
                  .toString(QUuid::WithoutBraces);
        bool has = false;
        rec.start = parseWhen(e, "start", "startDaysFromNow", t0, &has);
        if (!has)
            rec.start = t0.addDays(-30);
        rec.end = parseWhen(e, "end", "endDaysFromNow", t0, &has); // absent or null: permanent
        eligibilities << rec;
        ++n;
    }
    awsAccounts.clear();
    for (const auto &a : j.value("awsAccounts", Json::array()))
        awsAccounts.append({str(a, "id"), str(a, "name")});
    const Json settings = j.value("settings", Json::object());
    pageSize = settings.value("graphPageSize", 3);
    deviceCodeInterval = settings.value("deviceCodeInterval", 5);
    refreshTokenInactivitySecs = settings.value("refreshTokenInactivitySeconds", refreshTokenInactivitySecs);
    if (pageSize < 1)
        return fail(QStringLiteral("settings.graphPageSize must be at least 1"));
    const QString shape = str(settings, "pimErrorShape", QStringLiteral("wrapped"));
    if (shape != u"wrapped" && shape != u"plain")
        return fail(QStringLiteral("settings.pimErrorShape must be \"wrapped\" or \"plain\""));
    pimErrorsWrapped = shape == u"wrapped";
    approvalTimeoutStatus = str(settings, "approvalTimeoutStatus", QStringLiteral("TimedOut"));
    if (approvalTimeoutStatus != u"TimedOut" && approvalTimeoutStatus != u"Canceled")
        return fail(QStringLiteral("settings.approvalTimeoutStatus must be \"TimedOut\" or \"Canceled\""));
    applyProfile(); // the profile first: the scenario's own settings override it
    policyReadForbidden.clear();
    groupExpandNull.clear();
    if (const std::optional<QString> bad = realismSettings(settings, true))
        return fail(QStringLiteral("settings.") + *bad);
    if (!parsePolicies(j.value("policies", Json::array()), error))
        return false;
    if (!parseAws(j, error))
        return false;
    if (!parseApplications(j, error))
        return false;
    pimRequests.clear();
    instances.clear();
    endedInstances.clear();
    if (!parseAssignmentsAndRequests(j, error))
        return false;
    faults.clear();
    httpLog.clear();
    callCounts.clear();
    codes.clear();
    refreshTokens.clear();
    accessTokens.clear();
    idTokens.clear();
    deviceCodes.clear();
    pendingSignIns.clear();
    return true;
}

Emulator::Emulator(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    d->signingKey = randomToken(32).toLatin1();
    const QString profile = qEnvironmentVariable("ELEVATE_EMULATOR_PROFILE");
    if (!profile.isEmpty() && !setProfile(profile))
        qCWarning(lcEmulator, "ELEVATE_EMULATOR_PROFILE=%s is neither realistic nor friendly; friendly it is",
                  qPrintable(profile));
    d->server.setMissingHandler([this](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        d->serve(req, std::move(responder));
    });
}

namespace {
/// The service a request is for, as the state's `calls` counts them.
QString serviceOf(const QStringList &s)
{
    const QString path = s.join(u'/');
    if (s.value(0) == u"graph")
        return QStringLiteral("graph");
    if (path == u"client/register" || path == u"device_authorization" || path == u"token"
        || path == u"authorize")
        return QStringLiteral("oidc");
    if (path == u"assignment/accounts" || path == u"assignment/roles" || path == u"federation/credentials"
        || path == u"logout")
        return QStringLiteral("portal");
    if (path == u"federation")
        return QStringLiteral("federation");
    if (s.value(0) == u"aws")
        return QStringLiteral("awsPages");
    if (s.size() == 4 && s.at(1) == u"oauth2" && s.at(2) == u"v2.0" && s.at(3) == u"token")
        return QStringLiteral("entraToken");
    if (s.value(0) == u"devicelogin" || s.value(0) == u"signin"
        || (s.size() >= 3 && (s.at(1) == u"oauth2" || s.at(1) == u"v2.0" || s.at(1) == u"discovery")))
        return QStringLiteral("entra");
    return QStringLiteral("other");
}

void writeReply(QHttpServerResponder &responder, const Reply &reply, const QDateTime &now)
{
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(reply.status));
    const bool noBody = reply.status == 204 || reply.status == 304;
    if (!noBody) {
        responder.writeHeader("Content-Type", reply.contentType);
        responder.writeHeader("Content-Length", QByteArray::number(reply.body.size()));
    }
    responder.writeHeader("Cache-Control", "no-store");
    responder.writeHeader("Date", httpDate(now)); // the emulator's clock, so clients can see server time
    for (const auto &h : reply.headers)
        responder.writeHeader(h.first, h.second);
    responder.writeBody(noBody ? QByteArray() : reply.body);
}
} // namespace

void Emulator::Private::serve(const QHttpServerRequest &req, QHttpServerResponder &&responder)
{
    Request r;
    r.method = req.method();
    r.path = req.url().path(QUrl::FullyDecoded);
    r.segments = r.path.split(u'/', Qt::SkipEmptyParts);
    r.query = req.query();
    r.headers = req.headers();
    r.body = req.body();
    const Routes::Match match = findRoute(r);
    const ErrorShape shape = match.route ? match.route->shape : ErrorShape::Graph;
    const bool isAdmin = shape == ErrorShape::Admin;

    // The first fault that matches is used once; admin endpoints are never faulted.
    std::optional<Fault> fault;
    if (!isAdmin) {
        for (auto it = faults.begin(); it != faults.end(); ++it) {
            if (!r.path.contains(it->path)
                || (!it->query.isEmpty() && !r.query.toString(QUrl::FullyDecoded).contains(it->query))
                || (!it->method.isEmpty()
                    && it->method.compare(methodName(r.method), Qt::CaseInsensitive) != 0))
                continue;
            fault = *it;
            if (--it->count <= 0)
                faults.erase(it);
            break;
        }
    }
    // A fault with a status or a drop replaces the answer: "before" the server acts (the request is not
    // processed) or "after" it (processed, answer lost). Any other fault decorates the real answer.
    const bool replaces = fault && (fault->status != 0 || fault->drop);
    const bool process = !replaces || fault->after;
    Reply reply = process ? dispatch(r, match) : Reply();
    if (fault) {
        if (fault->status != 0) {
            if (fault->body) {
                reply = Reply();
                reply.status = fault->status;
                reply.body = *fault->body;
            } else {
                reply = faultReply(r, *fault, shape); // in the shape of the route's own errors
            }
        } else if (fault->body) {
            reply.body = *fault->body;
        }
        if (fault->malformed)
            reply.body
                = reply.body.isEmpty() ? QByteArray("{") : reply.body.left(qMax(1, reply.body.size() / 2));
        if (!fault->retryAfter.isEmpty())
            reply.headers.append({"Retry-After", fault->retryAfter});
        reply.headers << fault->headers;
    }
    if (!isAdmin) {
        ++callCounts[serviceOf(r.segments)]; // what the client sent, answered or faulted
        LogEntry entry {methodName(r.method),
                        r.path,
                        fault && fault->drop ? 0 : reply.status,
                        process,
                        fault ? (fault->after ? QStringLiteral("after") : QStringLiteral("before"))
                              : QString(),
                        now()};
        httpLog << entry;
        if (httpLog.size() > 5000)
            httpLog.removeFirst();
    }
    const QString outcome = fault && fault->drop
        ? QStringLiteral("dropped") + (fault->partial ? QStringLiteral(" midway") : QString())
        : QString::number(reply.status) + (fault ? QStringLiteral(" (fault)") : QString());
    qCInfo(lcEmulator, "%s %s -> %s", qPrintable(methodName(r.method)), qPrintable(r.path.left(120)),
           qPrintable(outcome));

    if (!fault || (fault->delayMs <= 0 && !fault->drop)) {
        writeReply(responder, reply, now());
        return;
    }
    // Answer later (or close without answering) from the event loop. The responder is move-only and
    // writes straight to the socket, so it is kept alive here and the socket is checked before use:
    // the client may have given up meanwhile.
    auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket = held->socket();
    const bool drop = fault->drop;
    const bool partial = fault->partial;
    QTimer::singleShot(qMax(0, fault->delayMs), q, [this, held, socket, reply, drop, partial] {
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return;
        if (partial) {
            // The answer starts (status line, headers, half the body) and the connection closes before
            // Content-Length is reached: a client cannot mistake it for an answer, nor re-send it.
            Reply cut = reply;
            cut.body = reply.body.left(reply.body.size() / 2);
            cut.headers.append({"Content-Length", QByteArray::number(qMax(1, int(reply.body.size())))});
            held->writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(cut.status));
            held->writeHeader("Content-Type", cut.contentType);
            held->writeHeader("Date", httpDate(now()));
            for (const auto &h : cut.headers)
                held->writeHeader(h.first, h.second);
            held->writeBody(cut.body);
            socket->disconnectFromHost(); // after the bytes written so far are sent
            return;
        }
        if (drop) {
            socket->abort(); // no status line, no headers: the connection just closes
            return;
        }
        writeReply(*held, reply, now());
    });
}

Emulator::~Emulator() = default;

bool Emulator::loadScenario(const QByteArray &json, QString *error)
{
    const Json j = Json::parse(json.constBegin(), json.constEnd(), nullptr, false);
    if (j.is_discarded()) {
        if (error)
            *error = QStringLiteral("the scenario is not valid JSON");
        return false;
    }
    Private copy;
    copy.clockOffsetSecs = d->clockOffsetSecs;
    if (!copy.parseScenario(j, error))
        return false;
    return d->parseScenario(j, error);
}

QByteArray Emulator::builtInScenario()
{
    QFile f(QStringLiteral(":/emulator/scenarios/demo.json"));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool Emulator::loadBuiltInScenario()
{
    return loadScenario(builtInScenario());
}

bool Emulator::listen(const QHostAddress &address, quint16 port, QString *error)
{
    const quint16 bound = d->server.listen(address, port);
    if (bound == 0) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2").arg(address.toString()).arg(port);
        return false;
    }
    QString host = address.toString();
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        host = u'[' + host + u']';
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv4)
        host = QStringLiteral("127.0.0.1");
    d->base = QUrl(QStringLiteral("http://%1:%2").arg(host).arg(bound));
    return true;
}

QUrl Emulator::baseUrl() const
{
    return d->base;
}

void Emulator::setAutoSignIn(const QString &user)
{
    d->autoSignInUpn = user;
}

bool Emulator::setProfile(const QString &profile)
{
    if (profile != u"realistic" && profile != u"friendly")
        return false;
    d->realisticProfile = profile == u"realistic";
    d->applyProfile();
    return true;
}

void Emulator::Private::applyProfile()
{
    // The awkward face (README, "The emulator"): lag, the docs' casing, no `or`, stages not ready yet.
    replicationLagMs = realisticProfile ? 3000 : 0;
    pascalEnums = realisticProfile;
    filterOr = !realisticProfile;
    approvalInitializingMs = realisticProfile ? 2000 : 0;
    missingGroupNotFound = realisticProfile;
    applyAwsProfile();
}

void Emulator::setPageSize(int n)
{
    d->pageSize = qMax(1, n);
}

QString Emulator::tenantId() const
{
    return d->tenantId;
}

QString Emulator::clientId() const
{
    return d->clientId;
}

QDateTime Emulator::now() const
{
    return d->now();
}

void Emulator::advanceClock(qint64 seconds)
{
    d->clockOffsetSecs += seconds;
    d->advanceState();
    d->observeMemberships();
}

QByteArray Emulator::configJson() const
{
    const QString base = d->base.toString();
    QJsonObject names;
    for (const auto &a : d->awsAccounts)
        names.insert(a.first, a.second);
    const QJsonObject mapping {{QStringLiteral("accountNames"), names}};
    // Groups the scenario maps to AWS explicitly (its "aws" field) stay out of Elevate's mapping: the
    // demo shows how Elevate lists a group its mapping does not know ("Not mapped").
    QJsonObject root {
        {QStringLiteral("entra"),
         QJsonObject {{QStringLiteral("authorityHost"), base},
                      {QStringLiteral("tenant"), d->tenantId},
                      {QStringLiteral("clientId"), d->clientId},
                      {QStringLiteral("redirectHost"), QStringLiteral("localhost")},
                      {QStringLiteral("signInTimeoutSeconds"), 300}}},
        {QStringLiteral("graph"),
         QJsonObject {{QStringLiteral("resource"), QStringLiteral("https://graph.microsoft.com")},
                      {QStringLiteral("baseUrl"), QString(base + QStringLiteral("/graph/v1.0"))}}},
        {QStringLiteral("aws"),
         QJsonObject {
             {QStringLiteral("startUrl"), QString(base + QStringLiteral("/aws/start"))},
             {QStringLiteral("region"), QStringLiteral("eu-central-1")},
             {QStringLiteral("oidcEndpoint"), base},
             {QStringLiteral("portalEndpoint"), base},
             {QStringLiteral("signinEndpoint"), QString(base + QStringLiteral("/federation"))},
             {QStringLiteral("sync"), QJsonObject {{QStringLiteral("servicePrincipalId"), d->scimSpId}}}}},
        {QStringLiteral("mapping"), mapping},
        {QStringLiteral("keychain"),
         QJsonObject {
             {QStringLiteral("service"), QStringLiteral("Elevate Emulator %1").arg(d->base.port())}}}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QJsonObject Emulator::state() const
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(d->stateJson().dump())).object();
}

Reply Emulator::Private::dispatch(const Request &r, const Routes::Match &match)
{
    advanceState();
    observeMemberships();
    Reply reply = route(r, match);
    observeMemberships(); // a deactivation ends the Entra membership now, for SCIM to follow
    return reply;
}

const Routes &Emulator::Private::rootRoutes()
{
    static const Routes routes = [] {
        Routes t;
        t.add(
            AnyMethod, QString(),
            [](Private &, const Request &, const RouteParams &) {
                return Reply::html(
                    QStringLiteral("<h1>Elevate emulator</h1><p>Not Microsoft. A local test bed.</p>"));
            },
            ErrorShape::Page);
        t.add(AnyMethod, QStringLiteral("_emulator/**"), &Private::admin, ErrorShape::Admin);
        return t;
    }();
    return routes;
}

Routes::Match Emulator::Private::findRoute(const Request &r)
{
    for (const Routes *table : {&rootRoutes(), &graphRoutes(), &awsRoutes(), &entraRoutes()}) {
        qsizetype from = 0;
        for (;;) {
            Routes::Match m = table->match(r.segments, r.method, from);
            if (!m.route)
                break;
            if (m.methodAllowed || m.route->shape == ErrorShape::AwsOidc
                || m.route->shape == ErrorShape::AwsPortal)
                return m;
            from = m.index + 1; // e.g. POST /signin only: GET /signin/... may still be a tenant's route
        }
    }
    return {};
}

Reply Emulator::Private::route(const Request &r, const Routes::Match &match)
{
    if (!match.route)
        return Reply::html(QStringLiteral("<h1>404</h1><p>The emulator has nothing at this path.</p>"), 404);
    if (!match.methodAllowed)
        return awsMethodNotAllowed(match.route->shape, r);
    return match.route->handler(*this, r, match.params);
}

Json Emulator::Private::stateJson()
{
    advanceState();
    observeMemberships();
    Json out;
    out["now"] = formatTime(now(), 0).toStdString();
    out["users"] = Json::array();
    for (const auto &u : users)
        out["users"].push_back({{"id", u.id.toStdString()},
                                {"upn", u.upn.toStdString()},
                                {"displayName", u.displayName.toStdString()}});
    auto upnOf = [this](const QString &id) {
        const User *u = userById(id);
        return u ? Json(u->upn.toStdString()) : Json(nullptr);
    };
    auto groupName = [this](const QString &id) {
        const Group *g = groupById(id);
        return g ? Json(g->displayName.toStdString()) : Json(nullptr);
    };
    auto time = [](const QDateTime &t) {
        return t.isValid() ? Json(formatTime(t, 3).toStdString()) : Json(nullptr);
    };
    out["eligibilities"] = Json::array();
    for (const auto &e : eligibilities) {
        const Group *g = groupById(e.groupId);
        const User *u = userById(e.userId);
        out["eligibilities"].push_back(
            {{"id", e.id.toStdString()},
             {"principalId", e.userId.toStdString()},
             {"user", u ? u->upn.toStdString() : std::string()},
             {"groupId", e.groupId.toStdString()},
             {"groupDisplayName", g ? g->displayName.toStdString() : std::string()},
             {"accessId", e.accessId.toStdString()},
             {"memberType", e.memberType.toStdString()},
             {"startDateTime", formatTime(e.start, 0).toStdString()},
             {"endDateTime", e.end.isValid() ? Json(formatTime(e.end, 0).toStdString()) : Json(nullptr)}});
    }
    out["grants"] = Json::array();
    for (const auto &i : instances)
        out["grants"].push_back({{"id", i.id.toStdString()},
                                 {"requestId", i.requestId.toStdString()},
                                 {"principalId", i.userId.toStdString()},
                                 {"user", upnOf(i.userId)},
                                 {"groupId", i.groupId.toStdString()},
                                 {"groupDisplayName", groupName(i.groupId)},
                                 {"accessId", i.accessId.toStdString()},
                                 {"memberType", i.memberType.toStdString()},
                                 {"assignmentType", i.assignmentType.toStdString()},
                                 {"startDateTime", time(i.start)},
                                 {"endDateTime", time(i.end)}});
    out["requests"] = Json::array();
    for (const auto &p : pimRequests) {
        Json decision = nullptr;
        if (!p.reviewResult.isEmpty())
            decision = {{"approverId", p.reviewerId.toStdString()},
                        {"approver", upnOf(p.reviewerId)},
                        {"result", p.reviewResult.toStdString()},
                        {"justification", p.reviewJustification.toStdString()},
                        {"dateTime", time(p.reviewed)}};
        Json approval = nullptr;
        if (p.approvalRequired)
            approval
                = {{"stageStatus", p.stageStatus.toStdString()},
                   {"reviewResult", p.reviewResult.isEmpty() ? "NotReviewed" : p.reviewResult.toStdString()},
                   {"reviewedBy", p.reviewerId.isEmpty() ? Json(nullptr) : upnOf(p.reviewerId)},
                   {"justification", p.reviewJustification.toStdString()},
                   {"reviewedDateTime", time(p.reviewed)}};
        out["requests"].push_back(
            {{"id", p.id.toStdString()},
             {"status", p.status.toStdString()},
             {"action", p.action.toStdString()},
             {"groupId", p.groupId.toStdString()},
             {"groupDisplayName", groupName(p.groupId)},
             {"accessId", p.accessId.toStdString()},
             {"principalId", p.principalId.toStdString()},
             {"principal", upnOf(p.principalId)},
             {"createdDateTime", time(p.created)},
             {"completedDateTime", time(p.completed)},
             {"startDateTime", time(p.start)},
             {"duration", p.duration.isEmpty() ? Json(nullptr) : Json(p.duration.toStdString())},
             {"justification", p.hasJustification ? Json(p.justification.toStdString()) : Json(nullptr)},
             {"ticketNumber", p.hasTicketNumber ? Json(p.ticketNumber.toStdString()) : Json(nullptr)},
             {"approvalRequired", p.approvalRequired},
             {"grantState", p.grantState.isEmpty() ? Json(nullptr) : Json(p.grantState.toStdString())},
             {"decision", decision},
             {"approval", approval}});
    }
    // Requests per service since the scenario was loaded (admin calls not counted): how often a
    // client really asks, e.g. Graph during a burst of credential-process runs.
    Json calls = Json::object();
    for (const char *service :
         {"graph", "entraToken", "entra", "oidc", "portal", "federation", "awsPages", "other"})
        calls[service] = callCounts.value(QString::fromLatin1(service));
    out["calls"] = calls;
    out["httpRequests"] = Json::array();
    for (const auto &l : httpLog)
        out["httpRequests"].push_back(
            {{"method", l.method.toStdString()},
             {"path", l.path.toStdString()},
             {"status", l.status},
             {"processed", l.processed},
             {"fault", l.fault.isEmpty() ? Json(nullptr) : Json(l.fault.toStdString())},
             {"at", time(l.at)}});
    Json tokens = {{"accessTokens", Json::array()},
                   {"refreshTokens", Json::array()},
                   {"idTokens", Json::array()},
                   {"codes", Json::array()},
                   {"deviceCodes", Json::array()}};
    for (auto it = accessTokens.cbegin(); it != accessTokens.cend(); ++it)
        tokens["accessTokens"].push_back(it.key().toStdString());
    for (auto it = refreshTokens.cbegin(); it != refreshTokens.cend(); ++it)
        tokens["refreshTokens"].push_back(it.key().toStdString());
    for (const auto &t : idTokens)
        tokens["idTokens"].push_back(t.toStdString());
    for (auto it = codes.cbegin(); it != codes.cend(); ++it)
        tokens["codes"].push_back(it.key().toStdString());
    for (auto it = deviceCodes.cbegin(); it != deviceCodes.cend(); ++it)
        tokens["deviceCodes"].push_back(it.key().toStdString());
    out["tokens"] = tokens;
    out["applications"] = applicationsStateJson(); // without secrets
    out["aws"] = awsStateJson();
    // Identity Center secrets apart from `tokens`, for leak checks that want them (files the AWS CLI
    // owns may hold some of them on purpose).
    out["awsSecrets"] = awsSecretsJson();
    return out;
}

Reply Emulator::Private::admin(const Request &r)
{
    const QString what = r.segments.mid(1).join(u'/');
    if (what == u"state")
        return Reply::json(stateJson());
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (what == u"faults")
        return faultsAdmin(r, body);
    if (std::optional<Reply> reply = bridgeAdmin(r, what, body))
        return *reply; // applications, scim/job, groups/{id} (bridge.cpp)
    if (r.method != QHttpServerRequest::Method::Post)
        return Reply::json({{"error", "use POST"}}, 405);
    if (what == u"clock/advance") {
        if (!body.is_object() || !body.contains("seconds") || !body["seconds"].is_number())
            return Reply::json({{"error", "body must be {\"seconds\": N}"}}, 400);
        clockOffsetSecs += qint64(body["seconds"].get<double>());
        advanceState();
        observeMemberships();
        return Reply::json({{"now", formatTime(now(), 0).toStdString()}});
    }
    if (what == u"auto-sign-in") {
        autoSignInUpn = body.is_object() && body.contains("user") && body["user"].is_string()
            ? QString::fromStdString(body["user"].get<std::string>())
            : QString();
        return Reply::json({{"user", autoSignInUpn.toStdString()}});
    }
    if (what == u"decide")
        return decide(body);
    if (what == u"settings")
        return settingsAdmin(body);
    return Reply::json({{"error", "unknown admin endpoint"}}, 404);
}

Reply Emulator::Private::faultsAdmin(const Request &r, const Json &body)
{
    auto list = [this] {
        Json out = {{"faults", Json::array()}};
        for (const auto &f : faults)
            out["faults"].push_back(f.toJson());
        return out;
    };
    if (r.method == QHttpServerRequest::Method::Get)
        return Reply::json(list());
    if (r.method == QHttpServerRequest::Method::Delete) {
        faults.clear();
        return Reply::json(list());
    }
    if (r.method != QHttpServerRequest::Method::Post)
        return Reply::json({{"error", "use GET, POST or DELETE"}}, 405);
    const Json items = body.is_array() ? body : Json::array({body});
    QList<Fault> added;
    for (const auto &j : items) {
        auto bad = [](const char *why) { return Reply::json({{"error", why}}, 400); };
        if (!j.is_object())
            return bad("a fault is a JSON object");
        Fault f;
        if (j.contains("path") && !j["path"].is_string())
            return bad("path is a string (a substring of the request path)");
        f.path = str(j, "path");
        if (j.contains("query") && !j["query"].is_null() && !j["query"].is_string())
            return bad("query is a string (a substring of the decoded query string)");
        f.query = str(j, "query");
        if (j.contains("method") && !j["method"].is_null() && !j["method"].is_string())
            return bad("method is a string");
        f.method = str(j, "method").toUpper();
        if (j.contains("status") && !j["status"].is_null()) {
            if (!j["status"].is_number_integer() || j["status"].get<int>() < 100
                || j["status"].get<int>() > 599)
                return bad("status is an HTTP status code");
            f.status = j["status"].get<int>();
        }
        if (j.contains("retryAfter") && !j["retryAfter"].is_null()) {
            if (j["retryAfter"].is_string())
                f.retryAfter = QByteArray::fromStdString(j["retryAfter"].get<std::string>());
            else if (j["retryAfter"].is_number())
                f.retryAfter = QByteArray::fromStdString(j["retryAfter"].dump());
            else
                return bad("retryAfter is the header value, a string or a number");
        }
        if (j.contains("delayMs") && !j["delayMs"].is_null()) {
            if (!j["delayMs"].is_number() || j["delayMs"].get<double>() < 0)
                return bad("delayMs is a number of milliseconds");
            f.delayMs = int(j["delayMs"].get<double>());
        }
        if (j.contains("body") && !j["body"].is_null()) {
            if (!j["body"].is_string())
                return bad("body is the raw body text");
            f.body = QByteArray::fromStdString(j["body"].get<std::string>());
        }
        const auto malformed = flag(j, "malformed", false);
        const auto drop = flag(j, "drop", false);
        const auto partial = flag(j, "partial", false);
        if (!malformed || !drop || !partial)
            return bad("malformed, drop and partial are booleans");
        f.malformed = *malformed;
        f.drop = *drop || *partial;
        f.partial = *partial;
        const QString when = str(j, "when", QStringLiteral("before"));
        if (when != u"before" && when != u"after")
            return bad("when is \"before\" or \"after\"");
        f.after = when == u"after";
        if (j.contains("count") && !j["count"].is_null()) {
            if (!j["count"].is_number_integer() || j["count"].get<int>() < 1)
                return bad("count is a positive integer");
            f.count = j["count"].get<int>();
        }
        if (j.contains("headers") && !j["headers"].is_null()) {
            if (!j["headers"].is_object())
                return bad("headers is an object of header names to a value or a list of values");
            for (auto it = j["headers"].begin(); it != j["headers"].end(); ++it) {
                const Json values = it.value().is_array() ? it.value() : Json::array({it.value()});
                const QByteArray name = QByteArray::fromStdString(it.key());
                if (name.isEmpty() || name.contains(':') || name.contains('\n') || name.contains('\r'))
                    return bad("a header name is a token without ':' or line breaks");
                for (const auto &v : values) {
                    if (!v.is_string() || v.get<std::string>().find_first_of("\r\n") != std::string::npos)
                        return bad("a header value is a string without line breaks (a list gives it several "
                                   "times)");
                    f.headers.append({name, QByteArray::fromStdString(v.get<std::string>())});
                }
            }
        }
        if (j.contains("oauthError") && !j["oauthError"].is_null()) {
            if (!j["oauthError"].is_string() || j["oauthError"].get<std::string>().empty())
                return bad("oauthError is an OAuth error code such as \"temporarily_unavailable\"");
            f.oauthError = str(j, "oauthError");
            if (f.status == 0)
                f.status = 400; // an OAuth error replaces the answer
        }
        if (j.contains("claims") && !j["claims"].is_null()) {
            if (!j["claims"].is_string())
                return bad("claims is the claims request as JSON text");
            const Json claims = Json::parse(j["claims"].get<std::string>(), nullptr, false);
            if (!claims.is_object())
                return bad("claims is the claims request as JSON text (an object)");
            f.claims = str(j, "claims");
        }
        added << f;
    }
    faults << added;
    return Reply::json(list(), 201);
}

Reply Emulator::Private::entraFault(const Request &r, const Fault &f)
{
    // A replaced status on the token endpoint answers as Entra does (entra-auth.md §4.1, §4.3): an OAuth
    // error with an AADSTS code; throttling and outages as temporarily_unavailable or server_error.
    QString error = f.oauthError;
    if (error.isEmpty())
        error = f.status == 429 || f.status == 502 || f.status == 503 || f.status == 504
            ? QStringLiteral("temporarily_unavailable")
            : f.status >= 500 ? QStringLiteral("server_error")
            : f.status == 401 ? QStringLiteral("invalid_client")
                              : QStringLiteral("invalid_request");
    struct Known
    {
        const char *error;
        int code;
        const char *description;
        const char *suberror;
    };
    static const Known known[] = {
        {"temporarily_unavailable", 90033, "A transient error has occurred. Please try again.", ""},
        {"server_error", 50000, "There was an error issuing a token or an issue with our sign-in service.",
         ""},
        {"interaction_required", 50076,
         "Due to a configuration change made by your administrator, or because you moved to a new location, "
         "you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
         "basic_action"},
        {"invalid_grant", 70000, "The provided grant is invalid or malformed.", ""},
        {"consent_required", 65001, "The user or administrator has not consented to use the application.",
         "consent_required"},
        {"invalid_client", 7000215, "Invalid client secret provided.", ""},
        {"invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.",
         ""},
    };
    int code = 50000;
    QString description = QStringLiteral("Injected fault.");
    QString suberror;
    for (const auto &k : known) {
        if (error == QLatin1String(k.error)) {
            code = k.code;
            description = QString::fromLatin1(k.description);
            suberror = QString::fromLatin1(k.suberror);
        }
    }
    if (f.status == 429 && f.oauthError.isEmpty()) {
        code = 90055;
        description = QStringLiteral("There are too many incoming requests. Please try again later.");
    }
    Reply reply = entraError(r, error, code, description, f.status, suberror);
    if (!f.claims.isEmpty()) {
        Json j = Json::parse(reply.body.constBegin(), reply.body.constEnd(), nullptr, false);
        j["claims"] = f.claims.toStdString(); // raw JSON in a string, not base64 (§4.1)
        reply.body = QByteArray::fromStdString(j.dump());
    }
    return reply;
}

Reply Emulator::Private::faultReply(const Request &r, const Fault &f, ErrorShape shape)
{
    switch (shape) {
    case ErrorShape::AwsOidc:
    case ErrorShape::AwsPortal:
        return awsFault(shape, f.status); // AWS routes fail the AWS way
    case ErrorShape::EntraOAuth:
        return entraFault(r, f); // and Entra's token endpoint the OAuth way
    case ErrorShape::Graph:
    case ErrorShape::Page: // pages have no error body of their own: Graph's, as for an unknown path
    case ErrorShape::Admin: // never faulted
        break;
    }
    if (f.status == 401) {
        // Graph always challenges on a 401; a fault's own WWW-Authenticate (CAE) replaces this one.
        const bool ownChallenge = std::any_of(f.headers.cbegin(), f.headers.cend(), [](const auto &h) {
            return h.first.compare("WWW-Authenticate", Qt::CaseInsensitive) == 0;
        });
        QList<QPair<QByteArray, QByteArray>> challenge;
        if (!ownChallenge)
            challenge.append(qMakePair(QByteArray("WWW-Authenticate"),
                                       QByteArray("Bearer realm=\"\", authorization_uri=\"https://"
                                                  "login.microsoftonline.com/common/oauth2/authorize\", "
                                                  "client_id=\"00000003-0000-0000-c000-000000000000\"")));
        return graphError(r, 401, QStringLiteral("InvalidAuthenticationToken"),
                          QStringLiteral("Access token validation failure."), challenge);
    }
    if (f.status == 403)
        return graphError(r, 403, QStringLiteral("Authorization_RequestDenied"),
                          QStringLiteral("Insufficient privileges to complete the operation."));
    if (f.status == 429)
        return graphError(r, 429, QStringLiteral("TooManyRequests"),
                          QStringLiteral("Please retry again later."));
    if (f.status == 503)
        return graphError(r, 503, QStringLiteral("serviceNotAvailable"),
                          QStringLiteral("Service is temporarily unavailable. Please retry later."));
    if (f.status == 504)
        return graphError(r, 504, QStringLiteral("gatewayTimeout"),
                          QStringLiteral("The gateway did not receive a timely response."));
    return graphError(r, f.status,
                      f.status >= 500 ? QStringLiteral("UnknownError") : QStringLiteral("BadRequest"),
                      QStringLiteral("Injected fault."));
}

Reply Emulator::Private::settingsAdmin(const Json &body)
{
    if (!body.is_object())
        return Reply::json({{"error", "body must be a JSON object"}}, 400);
    if (const std::optional<QString> bad = realismSettings(body, false))
        return Reply::json({{"error", bad->toStdString()}}, 400);
    if (std::optional<Reply> bad = awsSettings(body))
        return *bad;
    realismSettings(body, true);
    if (body.contains("pimErrorShape")) {
        const QString shape = str(body, "pimErrorShape");
        if (shape != u"wrapped" && shape != u"plain")
            return Reply::json({{"error", "pimErrorShape is \"wrapped\" or \"plain\""}}, 400);
        pimErrorsWrapped = shape == u"wrapped";
    }
    if (body.contains("approvalTimeoutStatus")) {
        const QString status = str(body, "approvalTimeoutStatus");
        if (status != u"TimedOut" && status != u"Canceled")
            return Reply::json({{"error", "approvalTimeoutStatus is \"TimedOut\" or \"Canceled\""}}, 400);
        approvalTimeoutStatus = status;
    }
    if (body.contains("graphPageSize")) {
        if (!body["graphPageSize"].is_number_integer() || body["graphPageSize"].get<int>() < 1)
            return Reply::json({{"error", "graphPageSize is a positive integer"}}, 400);
        pageSize = body["graphPageSize"].get<int>();
    }
    Json out = awsSettingsJson();
    out["pimErrorShape"] = pimErrorsWrapped ? "wrapped" : "plain";
    out["approvalTimeoutStatus"] = approvalTimeoutStatus.toStdString();
    out["graphPageSize"] = pageSize;
    out.update(realismSettingsJson());
    return Reply::json(out);
}

std::optional<QString> Emulator::Private::realismSettings(const Json &j, bool apply)
{
    if (!j.is_object())
        return QStringLiteral("settings must be an object");
    auto seconds = [&j](const char *key, qint64 *ms) -> std::optional<QString> {
        if (!j.contains(key))
            return std::nullopt;
        if (!j[key].is_number() || j[key].get<double>() < 0 || j[key].get<double>() > 86400)
            return QStringLiteral("%1 is a number of seconds from 0 to 86400").arg(QLatin1String(key));
        if (ms)
            *ms = qRound64(j[key].get<double>() * 1000);
        return std::nullopt;
    };
    auto groupIds = [this, &j](const char *key, QStringList *out) -> std::optional<QString> {
        if (!j.contains(key))
            return std::nullopt;
        if (!j[key].is_array())
            return QStringLiteral("%1 is an array of group ids").arg(QLatin1String(key));
        QStringList ids;
        for (const auto &id : j[key]) {
            const QString s = id.is_string() ? QString::fromStdString(id.get<std::string>()) : QString();
            if (!groupById(s))
                return QStringLiteral("%1: '%2' is not a scenario group id")
                    .arg(QLatin1String(key), s.isEmpty() ? QString::fromStdString(id.dump()) : s);
            ids << s;
        }
        if (out)
            *out = ids;
        return std::nullopt;
    };
    auto boolean = [&j](const char *key, bool *out) -> std::optional<QString> {
        if (!j.contains(key))
            return std::nullopt;
        if (!j[key].is_boolean())
            return QStringLiteral("%1 is true or false").arg(QLatin1String(key));
        if (out)
            *out = j[key].get<bool>();
        return std::nullopt;
    };
    std::optional<QString> missingGroupError;
    if (j.contains("missingGroupInstances")) {
        const QString reading = str(j, "missingGroupInstances");
        if (reading != u"empty" && reading != u"notFound")
            missingGroupError = QStringLiteral("missingGroupInstances is \"empty\" or \"notFound\"");
        else if (apply)
            missingGroupNotFound = reading == u"notFound";
    }
    std::optional<QString> casingError;
    if (j.contains("enumCasing")) {
        const QString casing = str(j, "enumCasing");
        if (casing != u"camel" && casing != u"pascal")
            casingError = QStringLiteral("enumCasing is \"camel\" or \"pascal\"");
        else if (apply)
            pascalEnums = casing == u"pascal";
    }
    for (const auto &check :
         {seconds("replicationLagSeconds", apply ? &replicationLagMs : nullptr),
          seconds("approvalInitializingSeconds", apply ? &approvalInitializingMs : nullptr), casingError,
          missingGroupError, boolean("filterOr", apply ? &filterOr : nullptr),
          groupIds("policyReadForbidden", apply ? &policyReadForbidden : nullptr),
          groupIds("groupExpandNull", apply ? &groupExpandNull : nullptr)})
        if (check)
            return check;
    return std::nullopt;
}

Json Emulator::Private::realismSettingsJson() const
{
    auto ids = [](const QStringList &list) {
        Json a = Json::array();
        for (const auto &id : list)
            a.push_back(id.toStdString());
        return a;
    };
    return {{"profile", realisticProfile ? "realistic" : "friendly"},
            {"replicationLagSeconds", double(replicationLagMs) / 1000},
            {"enumCasing", pascalEnums ? "pascal" : "camel"},
            {"filterOr", filterOr},
            {"approvalInitializingSeconds", double(approvalInitializingMs) / 1000},
            {"policyReadForbidden", ids(policyReadForbidden)},
            {"groupExpandNull", ids(groupExpandNull)},
            {"missingGroupInstances", missingGroupNotFound ? "notFound" : "empty"}};
}

} // namespace Elevate::Emulator

// SPDX-License-Identifier: GPL-3.0-or-later
#include "emulator_p.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QUuid>

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
} // namespace

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

    users.clear();
    for (const auto &u : j.value("users", Json::array())) {
        User user {str(u, "id"), str(u, "userPrincipalName"), str(u, "displayName"), str(u, "mail")};
        if (user.id.isEmpty() || user.upn.isEmpty())
            return fail(QStringLiteral("every user needs id and userPrincipalName"));
        users << user;
    }
    groups.clear();
    for (const auto &g : j.value("groups", Json::array())) {
        Group group {str(g, "id"), str(g, "displayName"), str(g, "description")};
        if (group.id.isEmpty())
            return fail(QStringLiteral("every group needs an id"));
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
        rec.memberType = str(e, "memberType", QStringLiteral("direct"));
        rec.id = group->id + u'_' + rec.accessId + u'_'
            + QUuid::createUuidV5(QUuid(), user->id + group->id + rec.accessId)
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
    d->server.setMissingHandler([this](const QHttpServerRequest &req, QHttpServerResponder &&responder) {
        Request r;
        r.method = req.method();
        r.path = req.url().path(QUrl::FullyDecoded);
        r.segments = r.path.split(u'/', Qt::SkipEmptyParts);
        r.query = req.query();
        r.headers = req.headers();
        r.body = req.body();
        const Reply reply = d->dispatch(r);
        qCInfo(lcEmulator, "%s %s -> %d", req.method() == QHttpServerRequest::Method::Post ? "POST" : "GET",
               qPrintable(r.path.left(120)), reply.status);
        responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(reply.status));
        responder.writeHeader("Content-Type", reply.contentType);
        responder.writeHeader("Content-Length", QByteArray::number(reply.body.size()));
        responder.writeHeader("Cache-Control", "no-store");
        for (const auto &h : reply.headers)
            responder.writeHeader(h.first, h.second);
        responder.writeBody(reply.body);
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
}

QByteArray Emulator::configJson() const
{
    const QString base = d->base.toString();
    QJsonObject names;
    for (const auto &a : d->awsAccounts)
        names.insert(a.first, a.second);
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
         QJsonObject {{QStringLiteral("startUrl"), QString(base + QStringLiteral("/aws/start"))},
                      {QStringLiteral("region"), QStringLiteral("eu-central-1")}}},
        {QStringLiteral("mapping"), QJsonObject {{QStringLiteral("accountNames"), names}}},
        {QStringLiteral("keychain"),
         QJsonObject {
             {QStringLiteral("service"), QStringLiteral("Elevate Emulator %1").arg(d->base.port())}}}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QJsonObject Emulator::state() const
{
    const QByteArray bytes = d->admin(Request {QHttpServerRequest::Method::Get,
                                               QStringLiteral("/_emulator/state"),
                                               {QStringLiteral("_emulator"), QStringLiteral("state")},
                                               {},
                                               {},
                                               {}})
                                 .body;
    return QJsonDocument::fromJson(bytes).object();
}

Reply Emulator::Private::dispatch(const Request &r)
{
    const QStringList &s = r.segments;
    if (s.isEmpty())
        return Reply::html(
            QStringLiteral("<h1>Elevate emulator</h1><p>Not Microsoft. A local test bed.</p>"));
    if (s.first() == u"_emulator")
        return admin(r);
    if (s.first() == u"graph" && s.size() >= 2 && (s.at(1) == u"v1.0" || s.at(1) == u"beta"))
        return graph(r, s.mid(2));
    if (s.first() == u"devicelogin")
        return deviceLogin(r);
    if (s.first() == u"signin" && r.method == QHttpServerRequest::Method::Post)
        return signInPost(r);
    if (s.size() >= 2) {
        const QString tenant = s.at(0);
        const QString rest = s.mid(1).join(u'/');
        if (rest == u"v2.0/.well-known/openid-configuration")
            return discovery(tenant);
        if (rest == u"oauth2/v2.0/authorize")
            return authorize(r, tenant);
        if (rest == u"oauth2/v2.0/token")
            return token(r, tenant);
        if (rest == u"oauth2/v2.0/devicecode")
            return deviceCode(r, tenant);
        if (rest == u"discovery/v2.0/keys")
            return Reply::json({{"keys", Json::array()}}); // HS256-signed tokens: no public keys to publish
    }
    return Reply::html(QStringLiteral("<h1>404</h1><p>The emulator has nothing at this path.</p>"), 404);
}

Reply Emulator::Private::admin(const Request &r)
{
    const QString what = r.segments.mid(1).join(u'/');
    if (what == u"state") {
        Json out;
        out["now"] = formatTime(now(), 0).toStdString();
        out["users"] = Json::array();
        for (const auto &u : users)
            out["users"].push_back({{"id", u.id.toStdString()},
                                    {"upn", u.upn.toStdString()},
                                    {"displayName", u.displayName.toStdString()}});
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
                 {"endDateTime",
                  e.end.isValid() ? Json(formatTime(e.end, 0).toStdString()) : Json(nullptr)}});
        }
        out["grants"] = Json::array();
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
        return Reply::json(out);
    }
    if (r.method != QHttpServerRequest::Method::Post)
        return Reply::json({{"error", "use POST"}}, 405);
    const Json body = Json::parse(r.body.constBegin(), r.body.constEnd(), nullptr, false);
    if (what == u"clock/advance") {
        if (!body.is_object() || !body.contains("seconds") || !body["seconds"].is_number())
            return Reply::json({{"error", "body must be {\"seconds\": N}"}}, 400);
        clockOffsetSecs += qint64(body["seconds"].get<double>());
        return Reply::json({{"now", formatTime(now(), 0).toStdString()}});
    }
    if (what == u"auto-sign-in") {
        autoSignInUpn
            = body.is_object() ? QString::fromStdString(body.value("user", std::string())) : QString();
        return Reply::json({{"user", autoSignInUpn.toStdString()}});
    }
    return Reply::json({{"error", "unknown admin endpoint"}}, 404);
}

} // namespace Elevate::Emulator

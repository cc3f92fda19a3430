// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "cliio.h"
#include "core/changenotice.h"
#include "core/isotime.h"
#include "core/targetmapper.h"
#include "graph/accessservice.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "net/httpclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QRegularExpression>
#include <QTextStream>
#include <QTimer>

namespace Elevate::Cli {

using Core::Error;

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}
QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

/// Opens the sign-in page: ELEVATE_BROWSER (URL as its last argument) or xdg-open.
bool openBrowser(const QUrl &url)
{
    QStringList args = QProcess::splitCommand(qEnvironmentVariable("ELEVATE_BROWSER"));
    if (args.isEmpty())
        args = {QStringLiteral("xdg-open")};
    const QString program = args.takeFirst();
    args << url.toString(QUrl::FullyEncoded);
    return QProcess::startDetached(program, args);
}

QString sentence(const Error &e)
{
    const QString pim = Graph::PimWording::describe(e);
    if (!pim.isEmpty())
        return pim;
    if (const QString refused = Graph::ServiceWording::describe(e); !refused.isEmpty())
        return refused;
    if (e.kind == Error::Kind::InvalidInput)
        return e.message;
    QString what = e.message;
    if (!e.serviceCode.isEmpty() && !what.contains(e.serviceCode))
        what = e.serviceCode + QStringLiteral(": ") + what;
    return what;
}

int exitCodeFor(const Error &error)
{
    switch (error.kind) {
    case Error::Kind::None:
        return ExitOk;
    case Error::Kind::Network:
    case Error::Kind::Timeout:
        return ExitNetwork;
    case Error::Kind::NotSignedIn:
    case Error::Kind::InteractionRequired:
        return ExitNotSignedIn;
    case Error::Kind::Keychain:
        return ExitKeychain;
    case Error::Kind::Config:
        return ExitConfig;
    case Error::Kind::InvalidInput:
        return ExitUsage;
    case Error::Kind::Cancelled:
        return ExitCancelled;
    case Error::Kind::Http:
    case Error::Kind::Service:
    case Error::Kind::Parse:
    case Error::Kind::Security:
    case Error::Kind::Internal:
        return ExitFailure;
    }
    return ExitFailure;
}

CliApp::CliApp(Core::AppConfig config, bool json, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_json(json)
    , m_nam(new QNetworkAccessManager(this))
    , m_http(new Net::HttpClient(m_nam, this))
    , m_secrets(std::make_unique<Auth::KeychainSecretStore>(m_config.keychainService))
    , m_session(new Auth::EntraSession(m_config, m_http, m_secrets.get(), &m_clock, this))
    , m_graph(new Graph::GraphClient(QUrl(m_config.graphBaseUrl), m_config.graphResource, m_http, m_session,
                                     this))
{
    m_graph->setClock(&m_clock);
    // A throttled call waits as long as Graph asks (minutes, at worst): say so, or it looks hung.
    connect(m_graph, &Graph::GraphClient::throttled, this,
            [](const QDateTime &retryAt, const QString &service) {
                err() << tr("%1 asked Elevate to wait; retrying at %2")
                             .arg(service, retryAt.toLocalTime().toString(QStringLiteral("HH:mm:ss")))
                      << Qt::endl;
            });
    m_graph->setReplicationWindowSecs(m_config.graphReplicationWindowSeconds);
}

CliApp::~CliApp() = default;

QList<Core::Target> CliApp::grantTargets(bool includePermanent) const
{
    QList<Core::Target> live;
    if (!m_access)
        return live;
    const Core::TargetMapper mapper(m_config.mapping);
    for (const auto &g : m_access->grants()) {
        if (g.assignmentType == u"assigned" && !includePermanent)
            continue;
        Core::Eligibility e;
        e.id = g.id;
        e.groupId = g.groupId;
        e.groupDisplayName = g.groupDisplayName;
        e.accessId = g.accessId;
        live << Core::Target {e, mapper.map(e)};
    }
    return live;
}

void CliApp::finish(int code)
{
    if (!m_awsReconciled && m_access && m_access->lastSync().isValid() && m_config.aws.isConfigured()) {
        m_awsReconciled = true;
        reconcileAws([this, code] { exitNow(code); });
        return;
    }
    exitNow(code);
}

void CliApp::tellOthers()
{
    Core::ChangeNotice(Core::ChangeNotice::beside(m_config.effectiveHistoryPath())).touch();
}

void CliApp::exitNow(int code)
{
    out().flush();
    err().flush();
    QCoreApplication::exit(code);
}

void CliApp::fail(const Error &error, const QString &doing)
{
    QString text;
    switch (error.kind) {
    case Error::Kind::NotSignedIn:
        text = tr("not signed in; run `elevate login`");
        break;
    case Error::Kind::InteractionRequired:
        text = tr("%1 failed: you need to sign in again (%2); run `elevate login`")
                   .arg(doing, sentence(error));
        break;
    case Error::Kind::Keychain:
        text = tr("%1 failed: %2").arg(doing, error.message);
        break;
    default:
        text = tr("%1 failed: %2").arg(doing, sentence(error));
        break;
    }
    err() << "elevate: " << text << Qt::endl;
    finish(exitCodeFor(error));
}

void CliApp::login(bool deviceCode, const QString &loginHint)
{
    m_session->setLoginHint(loginHint);
    connect(m_session, &Auth::EntraSession::browserUrlReady, this, [](const QUrl &url) {
        const bool opened = openBrowser(url);
        err() << (opened ? tr("Waiting for sign-in in the browser… If it did not open, visit:")
                         : tr("Could not open a browser. To sign in, visit:"))
              << '\n'
              << url.toString(QUrl::FullyEncoded) << Qt::endl;
    });
    connect(m_session, &Auth::EntraSession::deviceCodeReady, this,
            [](const QString &code, const QUrl &uri, const QString &message, const QDateTime &) {
                err() << (message.isEmpty()
                              ? tr("To sign in, open %1 and enter the code %2.").arg(uri.toString(), code)
                              : message)
                      << Qt::endl;
            });
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this](const Core::Result<Core::Account> &result) {
                if (!result.ok())
                    return fail(result.error(), tr("sign-in"));
                const Core::Account &a = result.value();
                if (m_json) {
                    out() << QJsonDocument(QJsonObject {{QStringLiteral("displayName"), a.displayName},
                                                        {QStringLiteral("userPrincipalName"), a.username},
                                                        {QStringLiteral("id"), a.objectId},
                                                        {QStringLiteral("tenantId"), a.tenantId}})
                                 .toJson(QJsonDocument::Compact)
                          << Qt::endl;
                } else {
                    out() << tr("Signed in as %1 (%2)").arg(a.displayName, a.username) << Qt::endl;
                }
                finish(ExitOk);
            });
    if (deviceCode)
        m_session->signInWithDeviceCode();
    else
        m_session->signInInteractive();
}

void CliApp::logout()
{
    if (m_config.aws.isConfigured())
        return logoutWithAws(); // the AWS side first, then this entry (awscommands.cpp)
    connect(m_session, &Auth::EntraSession::signedOut, this, [this](const Core::Result<void> &result) {
        if (!result.ok())
            return fail(result.error(), tr("sign-out"));
        if (m_json)
            out() << QStringLiteral("{\"signedOut\":true}") << Qt::endl;
        else
            out() << tr("Signed out; Elevate's keychain entries for this configuration are removed.")
                  << Qt::endl;
        finish(ExitOk);
    });
    m_session->signOut();
}

void CliApp::withSession(std::function<void()> then)
{
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this, then](const Core::Result<Core::Account> &result) {
                if (!result.ok() && m_onSessionFailure)
                    return std::exchange(m_onSessionFailure, {})(result.error());
                if (!result.ok())
                    return fail(result.error(), tr("silent sign-in"));
                then();
            });
    m_session->restore();
}

void CliApp::whoami()
{
    withSession([this] {
        m_graph->getMe(this, [this](Core::Result<Graph::GraphUser> me) {
            if (!me.ok())
                return fail(me.error(), tr("reading your profile"));
            const QString tenant = m_session->account() ? m_session->account()->tenantId : QString();
            if (m_json)
                out() << QJsonDocument(
                             QJsonObject {{QStringLiteral("displayName"), me->displayName},
                                          {QStringLiteral("userPrincipalName"), me->userPrincipalName},
                                          {QStringLiteral("id"), me->id},
                                          {QStringLiteral("tenantId"), tenant}})
                             .toJson(QJsonDocument::Compact)
                      << Qt::endl;
            else
                out() << tr("%1 (%2)").arg(me->displayName, me->userPrincipalName) << '\n'
                      << tr("Tenant: %1").arg(tenant) << Qt::endl;
            finish(ExitOk);
        });
    });
}

void CliApp::eligible()
{
    withSession([this] {
        m_graph->listEligibilities(this, [this](Core::Result<QList<Core::Eligibility>> list) {
            if (!list.ok())
                return fail(list.error(), tr("listing eligible access"));
            const QList<Core::Target> targets = Core::TargetMapper(m_config.mapping).mapAll(list.value());
            if (m_json) {
                QJsonArray array;
                for (const auto &t : targets) {
                    const auto &e = t.eligibility;
                    array.append(QJsonObject {
                        {QStringLiteral("groupId"), e.groupId},
                        {QStringLiteral("groupName"), e.groupDisplayName},
                        {QStringLiteral("accessId"), e.accessId},
                        {QStringLiteral("memberType"), e.memberType},
                        {QStringLiteral("start"),
                         e.start.isValid() ? QJsonValue(Core::formatGraphDateTime(e.start)) : QJsonValue()},
                        {QStringLiteral("end"),
                         e.end.isValid() ? QJsonValue(Core::formatGraphDateTime(e.end)) : QJsonValue()},
                        {QStringLiteral("mapped"), t.isMapped()},
                        {QStringLiteral("accountId"), t.aws ? QJsonValue(t.aws->accountId) : QJsonValue()},
                        {QStringLiteral("accountName"),
                         t.aws ? QJsonValue(t.aws->accountName) : QJsonValue()},
                        {QStringLiteral("role"), t.aws ? QJsonValue(t.aws->roleName) : QJsonValue()}});
                }
                out() << QJsonDocument(array).toJson(QJsonDocument::Indented);
                return finish(ExitOk);
            }
            if (targets.isEmpty())
                out() << tr("You are not eligible for any PIM group.") << Qt::endl;
            QString account;
            bool unmappedHeader = false;
            for (const auto &t : targets) {
                const bool owner = t.eligibility.accessId == u"owner";
                const QString until = t.eligibility.end.isValid()
                    ? tr("until %1").arg(t.eligibility.end.toUTC().toString(QStringLiteral("yyyy-MM-dd")))
                    : tr("permanent");
                if (t.aws) {
                    if (t.aws->accountId != account) {
                        account = t.aws->accountId;
                        out() << (t.aws->accountName.isEmpty()
                                      ? account
                                      : tr("%1 (%2)").arg(t.aws->accountName, account))
                              << '\n';
                    }
                    out() << "  " << t.aws->roleName << (owner ? tr(" (as group owner)") : QString()) << "  ["
                          << until << "]\n";
                } else {
                    if (!unmappedHeader) {
                        out() << tr("Not mapped to an AWS account and role:") << '\n';
                        unmappedHeader = true;
                    }
                    out() << "  " << t.key() << (owner ? tr(" (as group owner)") : QString()) << "  ["
                          << until << "]\n";
                }
            }
            finish(ExitOk);
        });
    });
}

std::optional<Core::Target> CliApp::resolveTarget(const QString &name, const QList<Core::Target> &targets,
                                                  QString *error)
{
    const QString wanted = name.trimmed();
    static const QRegularExpression accountRole(QStringLiteral(R"(^(\d{12})\s*[/:]\s*(.+)$)"));
    const auto m = accountRole.match(wanted);
    QList<Core::Target> found;
    for (const auto &t : targets) {
        bool match = false;
        if (m.hasMatch())
            match = t.aws && t.aws->accountId == m.captured(1)
                && t.aws->roleName.compare(m.captured(2), Qt::CaseInsensitive) == 0;
        else
            match = t.eligibility.groupDisplayName.compare(wanted, Qt::CaseInsensitive) == 0
                || t.eligibility.groupId == wanted;
        if (match)
            found << t;
    }
    // Member and owner eligibility of one group: the member one is what people mean.
    if (found.size() > 1) {
        QList<Core::Target> members;
        for (const auto &t : found)
            if (t.eligibility.accessId == u"member")
                members << t;
        if (members.size() == 1)
            found = members;
    }
    if (found.size() == 1)
        return found.first();
    if (error)
        *error = found.isEmpty() ? tr("no eligible target \"%1\"; name it as ACCOUNT/ROLE (e.g. "
                                      "123456789012/ReadOnlyAccess) or by "
                                      "group name, see `elevate eligible`")
                                       .arg(wanted)
                                 : tr("\"%1\" matches more than one target; use the group id").arg(wanted);
    return std::nullopt;
}

QDateTime CliApp::parseStart(const QString &text, const QDateTime &now)
{
    const QString t = text.trimmed();
    static const QRegularExpression clock(QStringLiteral(R"(^(\d{1,2}):(\d{2})$)"));
    if (const auto m = clock.match(t); m.hasMatch()) {
        const QTime time(m.captured(1).toInt(), m.captured(2).toInt());
        if (!time.isValid())
            return {};
        QDateTime local(now.toLocalTime().date(), time, Qt::LocalTime);
        if (local < now)
            local = local.addDays(1);
        return local.toUTC();
    }
    QDateTime d = QDateTime::fromString(t, Qt::ISODate);
    if (!d.isValid())
        return {};
    return d.toUTC();
}

void CliApp::browserForStepUp()
{
    connect(m_session, &Auth::EntraSession::browserUrlReady, this, [](const QUrl &url) {
        const bool opened = openBrowser(url);
        err() << (opened
                      ? tr("This group asks for a stronger sign-in; finish it in the browser. If it did not "
                           "open, visit:")
                      : tr("This group asks for a stronger sign-in. Visit:"))
              << '\n'
              << url.toString(QUrl::FullyEncoded) << Qt::endl;
    });
}

void CliApp::withAccess(std::function<void()> then)
{
    const QString path = m_config.effectiveHistoryPath();
    auto store = Core::HistoryStore::open(path);
    if (!store.ok()) {
        // The history is worth having, but never worth refusing access: go on without it.
        err() << "elevate: " << tr("warning: the history cannot be used (%1)").arg(store.error().message)
              << Qt::endl;
    } else {
        m_history = std::move(store).value();
    }
    m_access = new Graph::AccessService(m_graph, m_history.get(), Core::TargetMapper(m_config.mapping),
                                        &m_clock, this);
    withSession([this, then] {
        m_access->setPrincipalId(m_session->account() ? m_session->account()->objectId : QString());
        then();
    });
}

QJsonObject CliApp::grantJson(const Core::Grant &g) const
{
    const QString key = m_access->targetKey(g.groupId, g.groupDisplayName, g.accessId);
    Core::Eligibility e;
    e.groupId = g.groupId;
    e.groupDisplayName = g.groupDisplayName;
    const auto aws = Core::TargetMapper(m_config.mapping).map(e);
    return QJsonObject {{QStringLiteral("target"), key},
                        {QStringLiteral("groupId"), g.groupId},
                        {QStringLiteral("groupName"), g.groupDisplayName},
                        {QStringLiteral("accessId"), g.accessId},
                        {QStringLiteral("accountId"), aws ? QJsonValue(aws->accountId) : QJsonValue()},
                        {QStringLiteral("role"), aws ? QJsonValue(aws->roleName) : QJsonValue()},
                        {QStringLiteral("assignmentType"), g.assignmentType},
                        {QStringLiteral("start"),
                         g.start.isValid() ? QJsonValue(Core::formatGraphDateTime(g.start)) : QJsonValue()},
                        {QStringLiteral("end"),
                         g.end.isValid() ? QJsonValue(Core::formatGraphDateTime(g.end)) : QJsonValue()},
                        {QStringLiteral("secondsRemaining"),
                         g.isPermanent() ? QJsonValue() : QJsonValue(double(g.secondsLeft(m_clock.now())))}};
}

QJsonObject CliApp::requestJson(const Core::AccessRequest &r) const
{
    const QDateTime now = m_clock.now();
    return QJsonObject {
        {QStringLiteral("id"), r.id},
        {QStringLiteral("target"), m_access->targetKey(r.groupId, r.groupDisplayName, r.accessId)},
        {QStringLiteral("groupId"), r.groupId},
        {QStringLiteral("groupName"), r.groupDisplayName},
        {QStringLiteral("accessId"), r.accessId},
        {QStringLiteral("status"), r.status},
        {QStringLiteral("justification"), r.justification},
        {QStringLiteral("ticketSystem"), r.ticketSystem},
        {QStringLiteral("ticketNumber"), r.ticketNumber},
        {QStringLiteral("created"),
         r.created.isValid() ? QJsonValue(Core::formatGraphDateTime(r.created)) : QJsonValue()},
        {QStringLiteral("start"),
         r.start.isValid() ? QJsonValue(Core::formatGraphDateTime(r.start)) : QJsonValue()},
        {QStringLiteral("durationSeconds"), double(r.durationSecs)},
        {QStringLiteral("secondsPending"),
         r.created.isValid() ? QJsonValue(double(qMax<qint64>(0, r.created.secsTo(now)))) : QJsonValue()}};
}

void CliApp::printRequest(const Core::AccessRequest &r, const Core::Target &target)
{
    if (m_json) {
        QJsonObject o = requestJson(r);
        if (const auto g = m_access->grantFor(r.groupId, target.eligibility.accessId))
            o.insert(QStringLiteral("grant"), grantJson(*g));
        out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << Qt::endl;
        return;
    }
    const QString name = target.key();
    switch (r.phase()) {
    case Core::RequestPhase::Active:
        if (const auto g = m_access->grantFor(r.groupId, target.eligibility.accessId); g && g->end.isValid())
            out() << tr("%1 is active until %2 (%3 left).")
                         .arg(name, g->end.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                              Graph::PimWording::duration(g->secondsLeft(m_clock.now())))
                  << Qt::endl;
        else
            out() << tr("%1 is active.").arg(name) << Qt::endl;
        break;
    case Core::RequestPhase::AwaitingApproval:
        out() << tr("%1: waiting for approval (request %2). `elevate status` shows it; `elevate cancel %2` "
                    "withdraws it.")
                     .arg(name, r.id)
              << Qt::endl;
        break;
    default:
        out() << tr("%1: %2 (request %3).").arg(name, Graph::PimWording::status(r), r.id) << Qt::endl;
        break;
    }
}

void CliApp::request(const RequestOptions &o)
{
    browserForStepUp();
    withAccess([this, o] {
        m_graph->listEligibilities(this, [this, o](Core::Result<QList<Core::Eligibility>> list) {
            if (!list.ok())
                return fail(list.error(), tr("listing eligible access"));
            QString why;
            const auto target
                = resolveTarget(o.target, Core::TargetMapper(m_config.mapping).mapAll(list.value()), &why);
            if (!target)
                return fail(Error::make(Error::Kind::InvalidInput, why), tr("request"));
            const QString accessId = target->eligibility.accessId;
            m_access->policy(
                target->eligibility.groupId, accessId, this,
                [this, o, target](Core::Result<Core::ActivationPolicy> read) {
                    // A policy PIM will not show does not stop the request: PIM judges it on arrival.
                    if (!read.ok() && !Graph::AccessService::policyUnreadable(read.error()))
                        return fail(read.error(), tr("reading the group's PIM policy"));
                    if (!read.ok())
                        err()
                            << "elevate: "
                            << tr("warning: the group's PIM policy cannot be read (%1); sending the request "
                                  "as given, PIM checks it")
                                   .arg(sentence(read.error()))
                            << Qt::endl;
                    const Core::ActivationPolicy policy
                        = read.ok() ? read.value() : Graph::AccessService::unreadablePolicy();
                    Core::ActivationDraft draft;
                    if (o.duration.isEmpty()) {
                        draft.durationSecs = qMin<qint64>(qint64(m_config.defaultDurationMinutes) * 60,
                                                          policy.maximumDurationSecs);
                    } else {
                        draft.durationSecs = Core::parseHumanDuration(o.duration);
                        if (draft.durationSecs <= 0)
                            return fail(Error::make(Error::Kind::InvalidInput,
                                                    tr("\"%1\" is not a duration; write e.g. 1h30m, "
                                                       "45m or PT2H")
                                                        .arg(o.duration)),
                                        tr("request"));
                    }
                    if (!o.start.isEmpty()) {
                        draft.start = parseStart(o.start, m_clock.now());
                        if (!draft.start.isValid())
                            return fail(Error::make(Error::Kind::InvalidInput,
                                                    tr("\"%1\" is not a start time; write e.g. 14:30 "
                                                       "or 2026-12-01T09:00")
                                                        .arg(o.start)),
                                        tr("request"));
                    }
                    draft.justification = o.justification;
                    draft.ticketSystem = o.ticketSystem;
                    draft.ticketNumber = o.ticketNumber;
                    m_access->request(
                        *target, draft, this, [this, o, target](Core::Result<Core::AccessRequest> r) {
                            if (!r.ok())
                                return fail(r.error(), tr("request"));
                            tellOthers();
                            if (o.wait && !Core::isTerminal(r->phase()))
                                return waitFor(r.value(), *target);
                            if (o.wait && r->phase() == Core::RequestPhase::Active)
                                // Active at once, but Graph lists the grant only after
                                // its replication lag: --wait waits for that too, so
                                // the next command sees it.
                                return m_access->syncSettled(this, [this, r, target](Core::Result<void>) {
                                    printRequest(r.value(), *target);
                                    finish(ExitOk);
                                });
                            printRequest(r.value(), *target);
                            finish(ExitOk);
                        });
                });
        });
    });
}

void CliApp::waitFor(const Core::AccessRequest &first, const Core::Target &target)
{
    if (!m_json)
        err() << tr("Waiting for %1 (%2)… Ctrl+C stops waiting; the request stays.")
                     .arg(target.key(), Graph::PimWording::status(first))
              << Qt::endl;
    // Graph may not show the request for a while after it was made (replication lag): a 404 in that
    // window means "not visible yet".
    const QDateTime visibleBy = (first.created.isValid() ? first.created : m_access->serverNow())
                                    .addSecs(m_graph->replicationWindowSecs());
    auto step = std::make_shared<int>(0);
    auto poll = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak = poll;
    *poll = [this, first, target, step, weak, visibleBy] {
        m_graph->getRequest(
            first.id, this, [this, target, step, weak, visibleBy](Core::Result<Core::AccessRequest> r) {
                auto again = weak.lock();
                const bool transient = !r.ok()
                    && (r.error().kind == Error::Kind::Network || r.error().kind == Error::Kind::Timeout
                        || (r.error().httpStatus == 404 && m_access->serverNow() < visibleBy));
                if (!r.ok() && r.error().httpStatus == 404 && !transient)
                    return fail(
                        Error::make(Error::Kind::Service,
                                    tr("PIM does not show the request %1 (any more)").arg(r.error().message),
                                    404, QStringLiteral("RequestNotVisible")),
                        tr("following the request"));
                if (!r.ok() && !transient)
                    return fail(r.error(), tr("following the request"));
                if (r.ok() && Core::isTerminal(r->phase())) {
                    // Settle the history and learn the grant's end (once Graph lists
                    // it) before printing.
                    m_access->syncSettled(this, [this, target, r](Core::Result<void>) {
                        tellOthers();
                        printRequest(r.value(), target);
                        finish(r->phase() == Core::RequestPhase::Active ? ExitOk : ExitFailure);
                    });
                    return;
                }
                // Short while Graph may not show it yet, then the approval pace.
                static constexpr int delays[] = {1, 2, 4, 8, 15, 30};
                const int delay = delays[qMin<int>(*step, 5)];
                ++*step;
                if (again)
                    QTimer::singleShot(delay * 1000, this, [again] { (*again)(); });
            });
    };
    // Keep the chain alive while it runs.
    connect(this, &QObject::destroyed, this, [poll] { Q_UNUSED(poll) });
    (*poll)();
}

void CliApp::status()
{
    withAccess([this] {
        // What this machine just did (a request, a deactivation) is shown once Graph shows it.
        m_access->syncSettled(this, [this](Core::Result<void> synced) {
            if (!synced.ok())
                return fail(synced.error(), tr("reading your access"));
            const auto &grants = m_access->grants();
            const auto &open = m_access->openRequests();
            if (m_json) {
                QJsonArray g, p;
                for (const auto &grant : grants)
                    g.append(grantJson(grant));
                for (const auto &r : open)
                    p.append(requestJson(r));
                out() << QJsonDocument(
                             QJsonObject {{QStringLiteral("grants"), g}, {QStringLiteral("pending"), p}})
                             .toJson(QJsonDocument::Indented);
                return finish(ExitOk);
            }
            if (grants.isEmpty() && open.isEmpty())
                out() << tr("No active access and no open requests.") << Qt::endl;
            if (!grants.isEmpty())
                out() << tr("Active:") << '\n';
            for (const auto &grant : grants) {
                const QString key
                    = m_access->targetKey(grant.groupId, grant.groupDisplayName, grant.accessId);
                if (grant.isPermanent())
                    out() << "  " << key << "  " << tr("permanent assignment") << '\n';
                else
                    out() << "  " << key << "  "
                          << tr("until %1, %2 left")
                                 .arg(grant.end.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                                      Graph::PimWording::duration(grant.secondsLeft(m_clock.now())))
                          << '\n';
            }
            if (!open.isEmpty())
                out() << tr("Open requests:") << '\n';
            for (const auto &r : open)
                out() << "  " << r.id << "  "
                      << m_access->targetKey(r.groupId, r.groupDisplayName, r.accessId) << "  "
                      << Graph::PimWording::status(r) << "  "
                      << tr("asked %1 ago")
                             .arg(Graph::PimWording::duration(
                                 r.created.isValid() ? qMax<qint64>(0, r.created.secsTo(m_clock.now())) : 0))
                      << '\n';
            out().flush();
            finish(ExitOk);
        });
    });
}

void CliApp::cancel(const QString &requestOrTarget)
{
    withAccess([this, requestOrTarget] {
        m_access->sync(this, [this, requestOrTarget](Core::Result<void> synced) {
            if (!synced.ok())
                return fail(synced.error(), tr("reading your requests"));
            QString id;
            for (const auto &r : m_access->openRequests())
                if (r.id == requestOrTarget
                    || m_access->targetKey(r.groupId, r.groupDisplayName, r.accessId)
                            .compare(requestOrTarget, Qt::CaseInsensitive)
                        == 0
                    || r.groupDisplayName.compare(requestOrTarget, Qt::CaseInsensitive) == 0)
                    id = r.id;
            if (id.isEmpty())
                return fail(
                    Error::make(
                        Error::Kind::InvalidInput,
                        tr("no open request \"%1\"; `elevate status` lists them").arg(requestOrTarget)),
                    tr("cancel"));
            m_access->cancel(id, this, [this, id](Core::Result<void> r) {
                if (!r.ok())
                    return fail(r.error(), tr("cancel"));
                tellOthers();
                if (m_json)
                    out() << QJsonDocument(
                                 QJsonObject {{QStringLiteral("id"), id},
                                              {QStringLiteral("status"), QStringLiteral("Canceled")}})
                                 .toJson(QJsonDocument::Compact)
                          << Qt::endl;
                else
                    out() << tr("Request %1 canceled.").arg(id) << Qt::endl;
                finish(ExitOk);
            });
        });
    });
}

void CliApp::deactivate(const QString &target, const QString &justification)
{
    withAccess([this, target, justification] {
        m_access->sync(this, [this, target, justification](Core::Result<void> synced) {
            if (!synced.ok())
                return fail(synced.error(), tr("reading your access"));
            const QList<Core::Target> live = grantTargets(false);
            QString why;
            const auto t = resolveTarget(target, live, &why);
            if (!t)
                return fail(Error::make(Error::Kind::InvalidInput,
                                        live.isEmpty() ? tr("nothing is active")
                                                       : tr("\"%1\" is not active").arg(target)),
                            tr("deactivate"));
            const auto grant = m_access->grantFor(t->eligibility.groupId, t->eligibility.accessId);
            m_access->deactivate(*grant, justification, this, [this, t](Core::Result<Core::AccessRequest> r) {
                if (!r.ok())
                    return fail(r.error(), tr("deactivate"));
                tellOthers();
                if (m_json)
                    out() << QJsonDocument(requestJson(r.value())).toJson(QJsonDocument::Compact) << Qt::endl;
                else
                    out() << tr("%1 deactivated.").arg(t->key()) << Qt::endl;
                finish(ExitOk);
            });
        });
    });
}

void CliApp::history(bool csv)
{
    auto print = [this, csv] {
        if (!m_history)
            return fail(Error::make(Error::Kind::Internal, tr("no history")), tr("history"));
        const auto entries = m_history->entries();
        if (!entries.ok())
            return fail(entries.error(), tr("reading the history"));
        if (csv) {
            QFile f;
            (void)f.open(stdout, QIODevice::WriteOnly);
            out().flush();
            f.write(Core::HistoryStore::toCsv(entries.value()));
            f.flush();
            return finish(ExitOk);
        }
        if (m_json) {
            QJsonArray a;
            auto t = [](const QDateTime &d) {
                return d.isValid() ? QJsonValue(Core::formatGraphDateTime(d)) : QJsonValue();
            };
            for (const auto &e : entries.value())
                a.append(QJsonObject {
                    {QStringLiteral("requestId"), e.requestId},
                    {QStringLiteral("target"), e.target},
                    {QStringLiteral("groupId"), e.groupId},
                    {QStringLiteral("groupName"), e.groupName},
                    {QStringLiteral("requestedAt"), t(e.requestedAt)},
                    {QStringLiteral("start"), t(e.startAt)},
                    {QStringLiteral("end"), t(e.endAt)},
                    {QStringLiteral("durationSeconds"), double(e.durationSecs)},
                    {QStringLiteral("justification"), e.justification},
                    {QStringLiteral("ticketSystem"), e.ticketSystem},
                    {QStringLiteral("ticketNumber"), e.ticketNumber},
                    {QStringLiteral("status"), e.status},
                    {QStringLiteral("decision"), e.decision},
                    {QStringLiteral("approver"), e.approver},
                    {QStringLiteral("decisionJustification"), e.decisionJustification},
                    {QStringLiteral("outcome"), e.outcome.isEmpty() ? QJsonValue() : QJsonValue(e.outcome)},
                    {QStringLiteral("endedAt"), t(e.endedAt)}});
            out() << QJsonDocument(a).toJson(QJsonDocument::Indented);
            return finish(ExitOk);
        }
        if (entries->isEmpty())
            out() << tr("No requests on record yet (%1).").arg(m_history->path()) << Qt::endl;
        for (const auto &e : entries.value()) {
            Core::AccessRequest asRequest;
            asRequest.status = e.status;
            asRequest.action = QStringLiteral("selfActivate");
            const QString state = e.outcome.isEmpty() ? Graph::PimWording::status(asRequest) : e.outcome;
            out() << e.requestedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")) << "  "
                  << e.target << "  " << Graph::PimWording::duration(e.durationSecs) << "  " << state;
            if (!e.justification.isEmpty())
                out() << "  \"" << e.justification << '"';
            if (!e.ticketNumber.isEmpty())
                out() << "  " << e.ticketSystem << ' ' << e.ticketNumber;
            out() << '\n';
        }
        out().flush();
        finish(ExitOk);
    };
    // Settle what ended since the last run first; signed out or offline, show what is on record.
    auto store = Core::HistoryStore::open(m_config.effectiveHistoryPath());
    if (!store.ok())
        return fail(store.error(), tr("opening the history"));
    m_history = std::move(store).value();
    m_access = new Graph::AccessService(m_graph, m_history.get(), Core::TargetMapper(m_config.mapping),
                                        &m_clock, this);
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this, print](const Core::Result<Core::Account> &result) {
                if (!result.ok())
                    return print();
                m_access->setPrincipalId(result->objectId);
                m_access->sync(this, [print](Core::Result<void>) { print(); });
            });
    m_session->restore();
}

void CliApp::approvals()
{
    withAccess([this] {
        auto *service = new Graph::ApprovalService(m_graph, m_history.get(), &m_clock, this);
        service->setPrincipalId(m_session->account() ? m_session->account()->objectId : QString());
        service->refresh(this, [this, service](Core::Result<void> r) {
            if (!r.ok())
                return fail(r.error(), tr("listing requests waiting for your approval"));
            const QDateTime now = m_clock.now();
            if (m_json) {
                QJsonArray a;
                for (const auto &req : service->pending()) {
                    QJsonObject o = requestJson(req);
                    o.insert(QStringLiteral("requester"), req.principalDisplayName);
                    o.insert(QStringLiteral("requesterUpn"), req.principalUpn);
                    o.insert(QStringLiteral("requesterId"), req.principalId);
                    const QDateTime deadline = req.created.addSecs(Core::kApprovalWindowSecs);
                    o.insert(QStringLiteral("decideBy"),
                             req.created.isValid() ? QJsonValue(Core::formatGraphDateTime(deadline))
                                                   : QJsonValue());
                    o.insert(QStringLiteral("secondsLeftToDecide"),
                             req.created.isValid() ? QJsonValue(double(qMax<qint64>(0, now.secsTo(deadline))))
                                                   : QJsonValue());
                    a.append(o);
                }
                out() << QJsonDocument(a).toJson(QJsonDocument::Indented);
                return finish(ExitOk);
            }
            if (service->pending().isEmpty())
                out() << tr("Nothing is waiting for your approval.") << Qt::endl;
            for (const auto &req : service->pending()) {
                const QDateTime deadline = req.created.addSecs(Core::kApprovalWindowSecs);
                out() << req.id << "  "
                      << (req.principalDisplayName.isEmpty() ? req.principalUpn : req.principalDisplayName)
                      << " <" << req.principalUpn << ">  "
                      << m_access->targetKey(req.groupId, req.groupDisplayName, req.accessId) << "  "
                      << Graph::PimWording::duration(req.durationSecs) << '\n';
                if (!req.justification.isEmpty())
                    out() << "    " << tr("Justification: %1").arg(req.justification) << '\n';
                if (!req.ticketNumber.isEmpty())
                    out() << "    " << tr("Ticket: %1 %2").arg(req.ticketSystem, req.ticketNumber) << '\n';
                out() << "    "
                      << tr("Asked %1 ago; %2 left to decide")
                             .arg(Graph::PimWording::duration(
                                      req.created.isValid() ? qMax<qint64>(0, req.created.secsTo(now)) : 0),
                                  Graph::PimWording::duration(qMax<qint64>(0, now.secsTo(deadline))))
                      << '\n';
            }
            out().flush();
            finish(ExitOk);
        });
    });
}

void CliApp::decide(const QString &requestId, bool approve, const QString &justification)
{
    if (justification.trimmed().isEmpty())
        return fail(Error::make(Error::Kind::InvalidInput,
                                tr("a decision needs --justification TEXT (the requester sees it)")),
                    approve ? tr("approve") : tr("deny"));
    withAccess([this, requestId, approve, justification] {
        auto *service = new Graph::ApprovalService(m_graph, m_history.get(), &m_clock, this);
        service->setPrincipalId(m_session->account() ? m_session->account()->objectId : QString());
        service->decide({requestId}, approve, justification, this,
                        [this, requestId, approve](QList<Graph::ApprovalService::Outcome> outcomes) {
                            const auto &result = outcomes.first().result;
                            if (!result.ok()) {
                                Error e = result.error();
                                if (e.httpStatus == 404)
                                    e.message = tr("no request %1 waits for your decision").arg(requestId);
                                return fail(e, approve ? tr("approve") : tr("deny"));
                            }
                            tellOthers();
                            if (m_json)
                                out() << QJsonDocument(QJsonObject {{QStringLiteral("id"), requestId},
                                                                    {QStringLiteral("decision"),
                                                                     approve ? QStringLiteral("Approved")
                                                                             : QStringLiteral("Denied")}})
                                             .toJson(QJsonDocument::Compact)
                                      << Qt::endl;
                            else
                                out() << (approve ? tr("Approved %1.") : tr("Denied %1.")).arg(requestId)
                                      << Qt::endl;
                            finish(ExitOk);
                        });
    });
}

} // namespace Elevate::Cli

// SPDX-License-Identifier: GPL-3.0-or-later
#include "pimcommands.h"

#include "auth/entrasession.h"
#include "awscommands.h"
#include "cli.h"
#include "cliio.h"
#include "core/isotime.h"
#include "core/targetmapper.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>

namespace Elevate::Cli {

using Core::Error;

PimCommands::PimCommands(CliApp &app)
    : QObject(&app)
    , m_app(app)
{ }

void PimCommands::login(bool deviceCode, const QString &loginHint)
{
    m_app.session()->setLoginHint(loginHint);
    connect(m_app.session(), &Auth::EntraSession::browserUrlReady, this, [](const QUrl &url) {
        const bool opened = openBrowser(url);
        err() << (opened ? tr("Waiting for sign-in in the browser… If it did not open, visit:")
                         : tr("Could not open a browser. To sign in, visit:"))
              << '\n'
              << url.toString(QUrl::FullyEncoded) << Qt::endl;
    });
    connect(m_app.session(), &Auth::EntraSession::deviceCodeReady, this,
            [](const QString &code, const QUrl &uri, const QString &message, const QDateTime &) {
                err() << (message.isEmpty()
                              ? tr("To sign in, open %1 and enter the code %2.").arg(uri.toString(), code)
                              : message)
                      << Qt::endl;
            });
    connect(m_app.session(), &Auth::EntraSession::signInFinished, this,
            [this](const Core::Result<Core::Account> &result) {
                if (!result.ok())
                    return m_app.fail(result.error(), tr("sign-in"));
                const Core::Account &a = result.value();
                if (m_app.json()) {
                    out() << QJsonDocument(QJsonObject {{QStringLiteral("displayName"), a.displayName},
                                                        {QStringLiteral("userPrincipalName"), a.username},
                                                        {QStringLiteral("id"), a.objectId},
                                                        {QStringLiteral("tenantId"), a.tenantId}})
                                 .toJson(QJsonDocument::Compact)
                          << Qt::endl;
                } else {
                    out() << tr("Signed in as %1 (%2)").arg(a.displayName, a.username) << Qt::endl;
                }
                m_app.finish(ExitOk);
            });
    if (deviceCode)
        m_app.session()->signInWithDeviceCode();
    else
        m_app.session()->signInInteractive();
}

void PimCommands::logout()
{
    if (m_app.config().aws.isConfigured())
        return m_app.awsCommands().logoutWithAws(); // the AWS side first, then this entry
    connect(m_app.session(), &Auth::EntraSession::signedOut, this, [this](const Core::Result<void> &result) {
        if (!result.ok())
            return m_app.fail(result.error(), tr("sign-out"));
        if (m_app.json())
            out() << QStringLiteral("{\"signedOut\":true}") << Qt::endl;
        else
            out() << tr("Signed out; Elevate's keychain entries for this configuration are removed.")
                  << Qt::endl;
        m_app.finish(ExitOk);
    });
    m_app.session()->signOut();
}

void PimCommands::whoami()
{
    m_app.withSession([this] {
        m_app.graph()->getMe(this, [this](Core::Result<Graph::GraphUser> me) {
            if (!me.ok())
                return m_app.fail(me.error(), tr("reading your profile"));
            const QString tenant
                = m_app.session()->account() ? m_app.session()->account()->tenantId : QString();
            if (m_app.json())
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
            m_app.finish(ExitOk);
        });
    });
}

void PimCommands::eligible()
{
    m_app.withSession([this] {
        m_app.graph()->listEligibilities(this, [this](Core::Result<QList<Core::Eligibility>> list) {
            if (!list.ok())
                return m_app.fail(list.error(), tr("listing eligible access"));
            const QList<Core::Target> targets
                = Core::TargetMapper(m_app.config().mapping).mapAll(list.value());
            if (m_app.json()) {
                QJsonArray array;
                for (const auto &t : targets) {
                    const auto &e = t.eligibility;
                    array.append(QJsonObject {
                        {QStringLiteral("groupId"), e.groupId},
                        {QStringLiteral("groupName"), e.groupDisplayName},
                        {QStringLiteral("accessId"), Core::accessIdOf(e.access)},
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
                return m_app.finish(ExitOk);
            }
            if (targets.isEmpty())
                out() << tr("You are not eligible for any PIM group.") << Qt::endl;
            QString account;
            bool unmappedHeader = false;
            for (const auto &t : targets) {
                const bool owner = t.eligibility.access == Core::AccessKind::Owner;
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
            m_app.finish(ExitOk);
        });
    });
}

void PimCommands::printRequest(const Core::AccessRequest &r, const Core::Target &target)
{
    if (m_app.json()) {
        QJsonObject o = m_app.requestJson(r);
        if (const auto g = m_app.requests()->grantFor(r.groupId, target.eligibility.access))
            o.insert(QStringLiteral("grant"), m_app.grantJson(*g));
        out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << Qt::endl;
        return;
    }
    const QString name = target.key();
    switch (r.phase()) {
    case Core::RequestPhase::Active:
        if (const auto g = m_app.requests()->grantFor(r.groupId, target.eligibility.access);
            g && g->end.isValid())
            out() << tr("%1 is active until %2 (%3 left).")
                         .arg(name, g->end.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                              Graph::PimWording::duration(g->secondsLeft(m_app.clock().now())))
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

void PimCommands::request(const RequestOptions &o)
{
    m_app.browserForStepUp();
    m_app.withAccess([this, o] {
        m_app.graph()->listEligibilities(this, [this, o](Core::Result<QList<Core::Eligibility>> list) {
            if (!list.ok())
                return m_app.fail(list.error(), tr("listing eligible access"));
            QString why;
            const auto target = m_app.resolveTarget(
                o.target, Core::TargetMapper(m_app.config().mapping).mapAll(list.value()), &why);
            if (!target)
                return m_app.fail(Error::make(Error::Kind::InvalidInput, why), tr("request"));
            const Core::AccessKind access = target->eligibility.access;
            m_app.requests()->policy(
                target->eligibility.groupId, access, this,
                [this, o, target](Core::Result<Core::ActivationPolicy> read) {
                    // A policy PIM will not show does not stop the request: PIM judges it on arrival.
                    if (!read.ok() && !Graph::RequestTracker::policyUnreadable(read.error()))
                        return m_app.fail(read.error(), tr("reading the group's PIM policy"));
                    if (!read.ok())
                        err()
                            << "elevate: "
                            << tr("warning: the group's PIM policy cannot be read (%1); sending the request "
                                  "as given, PIM checks it")
                                   .arg(sentence(read.error()))
                            << Qt::endl;
                    const Core::ActivationPolicy policy
                        = read.ok() ? read.value() : Graph::RequestTracker::unreadablePolicy();
                    Core::ActivationDraft draft;
                    if (o.duration.isEmpty()) {
                        draft.durationSecs = qMin<qint64>(qint64(m_app.config().defaultDurationMinutes) * 60,
                                                          policy.maximumDurationSecs);
                    } else {
                        draft.durationSecs = Core::parseHumanDuration(o.duration);
                        if (draft.durationSecs <= 0)
                            return m_app.fail(Error::make(Error::Kind::InvalidInput,
                                                          tr("\"%1\" is not a duration; write e.g. 1h30m, "
                                                             "45m or PT2H")
                                                              .arg(o.duration)),
                                              tr("request"));
                    }
                    if (!o.start.isEmpty()) {
                        draft.start = m_app.parseStart(o.start, m_app.clock().now());
                        if (!draft.start.isValid())
                            return m_app.fail(Error::make(Error::Kind::InvalidInput,
                                                          tr("\"%1\" is not a start time; write e.g. 14:30 "
                                                             "or 2026-12-01T09:00")
                                                              .arg(o.start)),
                                              tr("request"));
                    }
                    draft.justification = o.justification;
                    draft.ticketSystem = o.ticketSystem;
                    draft.ticketNumber = o.ticketNumber;
                    m_app.requests()->request(*target, draft, this,
                                              [this, o, target](Core::Result<Core::AccessRequest> r) {
                                                  if (!r.ok())
                                                      return m_app.fail(r.error(), tr("request"));
                                                  m_app.tellOthers();
                                                  if (o.wait && !Core::isTerminal(r->phase()))
                                                      return waitFor(r.value(), *target);
                                                  if (o.wait && r->phase() == Core::RequestPhase::Active)
                                                      // Active at once, but Graph lists the grant only after
                                                      // its replication lag: --wait waits for that too, so
                                                      // the next command sees it.
                                                      return m_app.requests()->syncSettled(
                                                          this, [this, r, target](Core::Result<void>) {
                                                              printRequest(r.value(), *target);
                                                              m_app.finish(ExitOk);
                                                          });
                                                  printRequest(r.value(), *target);
                                                  m_app.finish(ExitOk);
                                              });
                });
        });
    });
}

void PimCommands::waitFor(const Core::AccessRequest &first, const Core::Target &target)
{
    if (!m_app.json())
        err() << tr("Waiting for %1 (%2)… Ctrl+C stops waiting; the request stays.")
                     .arg(target.key(), Graph::PimWording::status(first))
              << Qt::endl;
    // Graph may not show the request for a while after it was made (replication lag): a 404 in that
    // window means "not visible yet".
    const QDateTime visibleBy = (first.created.isValid() ? first.created : m_app.requests()->serverNow())
                                    .addSecs(m_app.graph()->replicationWindowSecs());
    auto step = std::make_shared<int>(0);
    auto poll = std::make_shared<std::function<void()>>();
    std::weak_ptr<std::function<void()>> weak = poll;
    *poll = [this, first, target, step, weak, visibleBy] {
        m_app.graph()->getRequest(
            first.id, this, [this, target, step, weak, visibleBy](Core::Result<Core::AccessRequest> r) {
                auto again = weak.lock();
                const bool transient = !r.ok()
                    && (r.error().kind == Error::Kind::Network || r.error().kind == Error::Kind::Timeout
                        || (r.error().httpStatus == 404 && m_app.requests()->serverNow() < visibleBy));
                if (!r.ok() && r.error().httpStatus == 404 && !transient)
                    return m_app.fail(
                        Error::make(Error::Kind::Service,
                                    tr("PIM does not show the request %1 (any more)").arg(r.error().message),
                                    404, QStringLiteral("RequestNotVisible")),
                        tr("following the request"));
                if (!r.ok() && !transient)
                    return m_app.fail(r.error(), tr("following the request"));
                if (r.ok() && Core::isTerminal(r->phase())) {
                    // Settle the history and learn the grant's end (once Graph lists
                    // it) before printing.
                    m_app.requests()->syncSettled(this, [this, target, r](Core::Result<void>) {
                        m_app.tellOthers();
                        printRequest(r.value(), target);
                        m_app.finish(r->phase() == Core::RequestPhase::Active ? ExitOk : ExitFailure);
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

void PimCommands::status()
{
    m_app.withAccess([this] {
        // What this machine just did (a request, a deactivation) is shown once Graph shows it.
        m_app.requests()->syncSettled(this, [this](Core::Result<void> synced) {
            if (!synced.ok())
                return m_app.fail(synced.error(), tr("reading your access"));
            const auto &grants = m_app.requests()->grants();
            const auto &open = m_app.requests()->openRequests();
            if (m_app.json()) {
                QJsonArray g, p;
                for (const auto &grant : grants)
                    g.append(m_app.grantJson(grant));
                for (const auto &r : open)
                    p.append(m_app.requestJson(r));
                out() << QJsonDocument(
                             QJsonObject {{QStringLiteral("grants"), g}, {QStringLiteral("pending"), p}})
                             .toJson(QJsonDocument::Indented);
                return m_app.finish(ExitOk);
            }
            if (grants.isEmpty() && open.isEmpty())
                out() << tr("No active access and no open requests.") << Qt::endl;
            if (!grants.isEmpty())
                out() << tr("Active:") << '\n';
            for (const auto &grant : grants) {
                const QString key
                    = m_app.requests()->targetKey(grant.groupId, grant.groupDisplayName, grant.access);
                if (grant.isPermanent())
                    out() << "  " << key << "  " << tr("permanent assignment") << '\n';
                else
                    out() << "  " << key << "  "
                          << tr("until %1, %2 left")
                                 .arg(grant.end.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                                      Graph::PimWording::duration(grant.secondsLeft(m_app.clock().now())))
                          << '\n';
            }
            if (!open.isEmpty())
                out() << tr("Open requests:") << '\n';
            for (const auto &r : open)
                out() << "  " << r.id << "  "
                      << m_app.requests()->targetKey(r.groupId, r.groupDisplayName, r.access) << "  "
                      << Graph::PimWording::status(r) << "  "
                      << tr("asked %1 ago")
                             .arg(Graph::PimWording::duration(
                                 r.created.isValid() ? qMax<qint64>(0, r.created.secsTo(m_app.clock().now()))
                                                     : 0))
                      << '\n';
            out().flush();
            m_app.finish(ExitOk);
        });
    });
}

void PimCommands::cancel(const QString &requestOrTarget)
{
    m_app.withAccess([this, requestOrTarget] {
        m_app.requests()->sync(this, [this, requestOrTarget](Core::Result<void> synced) {
            if (!synced.ok())
                return m_app.fail(synced.error(), tr("reading your requests"));
            QString id;
            for (const auto &r : m_app.requests()->openRequests())
                if (r.id == requestOrTarget
                    || m_app.requests()
                            ->targetKey(r.groupId, r.groupDisplayName, r.access)
                            .compare(requestOrTarget, Qt::CaseInsensitive)
                        == 0
                    || r.groupDisplayName.compare(requestOrTarget, Qt::CaseInsensitive) == 0)
                    id = r.id;
            if (id.isEmpty())
                return m_app.fail(
                    Error::make(
                        Error::Kind::InvalidInput,
                        tr("no open request \"%1\"; `elevate status` lists them").arg(requestOrTarget)),
                    tr("cancel"));
            m_app.requests()->cancel(id, this, [this, id](Core::Result<void> r) {
                if (!r.ok())
                    return m_app.fail(r.error(), tr("cancel"));
                m_app.tellOthers();
                if (m_app.json())
                    out() << QJsonDocument(
                                 QJsonObject {{QStringLiteral("id"), id},
                                              {QStringLiteral("status"), QStringLiteral("Canceled")}})
                                 .toJson(QJsonDocument::Compact)
                          << Qt::endl;
                else
                    out() << tr("Request %1 canceled.").arg(id) << Qt::endl;
                m_app.finish(ExitOk);
            });
        });
    });
}

void PimCommands::deactivate(const QString &target, const QString &justification)
{
    m_app.withAccess([this, target, justification] {
        m_app.requests()->sync(this, [this, target, justification](Core::Result<void> synced) {
            if (!synced.ok())
                return m_app.fail(synced.error(), tr("reading your access"));
            const QList<Core::Target> live = m_app.grantTargets(false);
            QString why;
            const auto t = m_app.resolveTarget(target, live, &why);
            if (!t)
                return m_app.fail(Error::make(Error::Kind::InvalidInput,
                                              live.isEmpty() ? tr("nothing is active")
                                                             : tr("\"%1\" is not active").arg(target)),
                                  tr("deactivate"));
            const auto grant = m_app.requests()->grantFor(t->eligibility.groupId, t->eligibility.access);
            m_app.requests()->deactivate(
                *grant, justification, this, [this, t](Core::Result<Core::AccessRequest> r) {
                    if (!r.ok())
                        return m_app.fail(r.error(), tr("deactivate"));
                    m_app.tellOthers();
                    if (m_app.json())
                        out() << QJsonDocument(m_app.requestJson(r.value())).toJson(QJsonDocument::Compact)
                              << Qt::endl;
                    else
                        out() << tr("%1 deactivated.").arg(t->key()) << Qt::endl;
                    m_app.finish(ExitOk);
                });
        });
    });
}

void PimCommands::history(bool csv)
{
    auto print = [this, csv] {
        if (!m_app.history())
            return m_app.fail(Error::make(Error::Kind::Internal, tr("no history")), tr("history"));
        const auto entries = m_app.history()->entries();
        if (!entries.ok())
            return m_app.fail(entries.error(), tr("reading the history"));
        if (csv) {
            QFile f;
            (void)f.open(stdout, QIODevice::WriteOnly);
            out().flush();
            f.write(Core::HistoryStore::toCsv(entries.value()));
            f.flush();
            return m_app.finish(ExitOk);
        }
        if (m_app.json()) {
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
            return m_app.finish(ExitOk);
        }
        if (entries->isEmpty())
            out() << tr("No requests on record yet (%1).").arg(m_app.history()->path()) << Qt::endl;
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
        m_app.finish(ExitOk);
    };
    // Settle what ended since the last run first; signed out or offline, show what is on record.
    auto store = Core::HistoryStore::open(m_app.config().effectiveHistoryPath());
    if (!store.ok())
        return m_app.fail(store.error(), tr("opening the history"));
    m_app.makeAccess(std::move(store).value());
    connect(m_app.session(), &Auth::EntraSession::signInFinished, this,
            [this, print](const Core::Result<Core::Account> &result) {
                if (!result.ok())
                    return print();
                m_app.requests()->setPrincipalId(result->objectId);
                m_app.requests()->sync(this, [print](Core::Result<void>) { print(); });
            });
    m_app.session()->restore();
}

} // namespace Elevate::Cli

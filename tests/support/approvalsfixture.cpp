// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/approvalsfixture.h"

#include "core/targetmapper.h"
#include "graph/requesttracker.h"
#include "support/emulatorfixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QTest>

using namespace Qt::StringLiterals;

namespace Elevate::Test::Approvals {

QByteArray scenarioWithNestor()
{
    QJsonObject s = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
    QJsonArray users = s.value(u"users"_s).toArray();
    users.append(QJsonObject {{u"id"_s, u"00000000-aaaa-bbbb-cccc-00000000abcd"_s},
                              {u"userPrincipalName"_s, kNestor},
                              {u"displayName"_s, u"Nestor Wilke"_s},
                              {u"mail"_s, kNestor}});
    s.insert(u"users"_s, users);
    QJsonArray eligibilities = s.value(u"eligibilities"_s).toArray();
    for (const QString &group :
         {u"AWS-123456789012-AdministratorAccess"_s, u"AWS-345678901234-NetworkAdministrator"_s})
        eligibilities.append(QJsonObject {{u"user"_s, kNestor},
                                          {u"group"_s, group},
                                          {u"startDaysFromNow"_s, -10},
                                          {u"endDaysFromNow"_s, 100}});
    s.insert(u"eligibilities"_s, eligibilities);
    return QJsonDocument(s).toJson(QJsonDocument::Compact);
}

QString User::historyPath() const
{
    return dir.filePath(u"history.sqlite"_s);
}

QString User::objectId() const
{
    return pim->account() ? pim->account()->objectId : QString();
}

bool User::setUp(const Core::AppConfig &config, const QString &who)
{
    upn = who;
    if (!dir.isValid())
        return false;
    auto store = Core::HistoryStore::open(historyPath());
    if (!store.ok())
        return false;
    history = std::move(store).value();
    http = std::make_unique<Net::HttpClient>(&nam);
    session = std::make_unique<Auth::EntraSession>(config, http.get(), &secrets, &clock);
    session->setLoginHint(who); // the emulator's auto sign-in is global; the hint picks the user
    graph = std::make_unique<Graph::GraphClient>(QUrl(config.graphBaseUrl), config.graphResource, http.get(),
                                                 session.get());
    graph->setClock(&clock);
    requests = std::make_unique<Graph::RequestTracker>(graph.get(), history.get(),
                                                       Core::TargetMapper(config.mapping), &clock);
    approvals = std::make_unique<Graph::ApprovalService>(graph.get(), history.get(), &clock);
    pim = std::make_unique<Elevate::Ui::PimPresenter>(
        Elevate::Ui::PimPresenter::Parts {session.get(), graph.get(), requests.get(), approvals.get(), &clock,
                                          history.get()},
        Core::TargetMapper(config.mapping));
    browserNam.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
    QObject::connect(pim.get(), &Elevate::Ui::PimPresenter::browserUrlReady, &browserNam,
                     [this](const QUrl &url) {
                         QNetworkReply *reply = browserNam.get(QNetworkRequest(url));
                         QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
                     });
    QObject::connect(
        pim.get(), &Elevate::Ui::PimPresenter::notify, pim.get(),
        [this](const QString &title, const QString &message) { notes << title + u": "_s + message; });
    return true;
}

bool User::signIn()
{
    pim->signIn();
    return QTest::qWaitFor(
        [this] {
            return pim->status() == Elevate::Ui::PimPresenter::Status::Ready
                && pim->approvals()->lastRefresh().isValid();
        },
        kWaitMs);
}

bool User::noted(const QString &part) const
{
    return std::any_of(notes.cbegin(), notes.cend(), [&part](const QString &n) { return n.contains(part); });
}

bool ApprovalsTest::startEmulator(const QByteArray &scenario)
{
    m_emulator = std::make_unique<Emulator::Emulator>();
    const auto config = Test::startEmulator(*m_emulator, scenario, kAlex);
    if (!config)
        return false;
    m_config = *config;
    return true;
}

std::unique_ptr<User> ApprovalsTest::signedIn(const QString &upn)
{
    auto u = std::make_unique<User>();
    if (!u->setUp(m_config, upn) || !u->signIn())
        return nullptr;
    if (u->pim->account()->username != upn)
        return nullptr;
    return u;
}

std::optional<Core::Result<Core::AccessRequest>> ApprovalsTest::request(User &u, const QString &key,
                                                                        qint64 secs,
                                                                        const QString &justification,
                                                                        const QString &ticketNumber)
{
    const auto target = u.pim->target(key);
    if (!target)
        return Core::Result<Core::AccessRequest>(Core::Error::make(
            Core::Error::Kind::InvalidInput, u"%1 is not eligible for %2"_s.arg(u.upn, key)));
    Core::ActivationDraft d;
    d.durationSecs = secs;
    d.justification = justification;
    if (!ticketNumber.isEmpty()) {
        d.ticketSystem = u"Jira"_s;
        d.ticketNumber = ticketNumber;
    }
    std::optional<Core::Result<Core::AccessRequest>> result;
    u.pim->requests()->request(*target, d, this,
                               [&result](Core::Result<Core::AccessRequest> r) { result = std::move(r); });
    (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
    return result;
}

std::optional<Core::Result<void>> ApprovalsTest::refresh(Graph::ApprovalService *service)
{
    std::optional<Core::Result<void>> result;
    service->refresh(this, [&result](Core::Result<void> r) { result = std::move(r); });
    (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
    return result;
}

std::optional<Core::Result<void>> ApprovalsTest::sync(User &u)
{
    std::optional<Core::Result<void>> result;
    u.pim->requests()->sync(this, [&result](Core::Result<void> r) { result = std::move(r); });
    (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
    return result;
}

std::optional<QList<Graph::ApprovalService::Outcome>> ApprovalsTest::decide(Graph::ApprovalService *service,
                                                                            const QStringList &ids,
                                                                            bool approve,
                                                                            const QString &justification)
{
    std::optional<QList<Graph::ApprovalService::Outcome>> result;
    service->decide(ids, approve, justification, this,
                    [&result](QList<Graph::ApprovalService::Outcome> o) { result = std::move(o); });
    (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
    return result;
}

QStringList ApprovalsTest::pendingIds(const Graph::ApprovalService *service)
{
    QStringList out;
    for (const auto &r : service->pending())
        out << r.id;
    return out;
}

QJsonObject ApprovalsTest::emulatorRequest(const QString &id) const
{
    for (const auto &v : m_emulator->state().value(u"requests"_s).toArray())
        if (v.toObject().value(u"id"_s).toString() == id)
            return v.toObject();
    return {};
}

int ApprovalsTest::acceptedDecisions() const
{
    int n = 0;
    for (const auto &v : m_emulator->state().value(u"httpRequests"_s).toArray()) {
        const QJsonObject o = v.toObject();
        if (o.value(u"method"_s).toString() == u"PATCH"
            && o.value(u"path"_s).toString().contains(u"/assignmentApprovals/"_s)
            && o.value(u"status"_s).toInt() == 204)
            ++n;
    }
    return n;
}

int ApprovalsTest::patches() const
{
    int n = 0;
    for (const auto &v : m_emulator->state().value(u"httpRequests"_s).toArray())
        if (v.toObject().value(u"method"_s).toString() == u"PATCH")
            ++n;
    return n;
}

bool ApprovalsTest::emulatorSettings(const QJsonObject &settings)
{
    return Test::emulatorSettings(*m_emulator, settings);
}

} // namespace Elevate::Test::Approvals

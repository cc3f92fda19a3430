// SPDX-License-Identifier: GPL-3.0-or-later
// The approver inbox: ApprovalsModel on its own (model tester, sorting, filter, countdown), then
// several users signed in to ONE in-process emulator (each with their own EntraSession, GraphClient,
// HistoryStore and AccessController): alex (and, in some tests, nestor) request, megan and lee decide
// through ApprovalService, the ApprovalsWindow and the tray. Every decision is checked in the
// emulator's state, so a decision sent twice (or by the wrong person) fails the test.
//
// Demo scenario: megan approves AdministratorAccess; megan and lee both approve NetworkAdministrator,
// for which megan is eligible herself. Some tests add nestor (a third requester) to it.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/config.h"
#include "core/history.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/accessservice.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "net/httpclient.h"
#include "support/manualclock.h"
#include "support/testsupport.h"
#include "ui/accesscontroller.h"
#include "ui/approvalsmodel.h"
#include "ui/approvalswindow.h"
#include "ui/mainwindow.h"
#include "ui/traycontroller.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSystemTrayIcon>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace Elevate;
using namespace Qt::StringLiterals;
using Core::Error;

namespace {

constexpr int kWaitMs = 20'000;

const QString kAlex = u"alex@contoso.example"_s;
const QString kMegan = u"megan@contoso.example"_s;
const QString kLee = u"lee@contoso.example"_s;
const QString kNestor = u"nestor@contoso.example"_s; // added to the demo scenario by some tests
const QString kNetwork = u"345678901234/NetworkAdministrator"_s; // approvers megan, lee; PT1H
const QString kAdministrator = u"123456789012/AdministratorAccess"_s; // approver megan; ticket; PT4H

using Test::describe;

/// The demo scenario plus nestor, a third requester eligible for both approval groups.
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

/// One signed-in person: their own session, Graph client, history store and controller, all on the
/// shared emulator. Declared so that everything goes before what it uses.
struct User
{
    QString upn;
    QNetworkAccessManager nam;
    QNetworkAccessManager browserNam;
    Core::SystemClock clock;
    std::unique_ptr<Net::HttpClient> http;
    Auth::InMemorySecretStore secrets;
    QTemporaryDir dir;
    std::unique_ptr<Core::HistoryStore> history;
    std::unique_ptr<Auth::EntraSession> session;
    std::unique_ptr<Graph::GraphClient> graph;
    std::unique_ptr<Elevate::Ui::AccessController> controller;
    QStringList notes; // "title: message" of every notify

    QString historyPath() const { return dir.filePath(u"history.sqlite"_s); }
    QString objectId() const { return controller->account() ? controller->account()->objectId : QString(); }

    bool setUp(const Core::AppConfig &config, const QString &who)
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
        graph = std::make_unique<Graph::GraphClient>(QUrl(config.graphBaseUrl), config.graphResource,
                                                     http.get(), session.get());
        controller = std::make_unique<Elevate::Ui::AccessController>(
            session.get(), graph.get(), Core::TargetMapper(config.mapping), &clock, nullptr, history.get());
        browserNam.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        QObject::connect(controller.get(), &Elevate::Ui::AccessController::browserUrlReady, &browserNam,
                         [this](const QUrl &url) {
                             QNetworkReply *reply = browserNam.get(QNetworkRequest(url));
                             QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
                         });
        QObject::connect(
            controller.get(), &Elevate::Ui::AccessController::notify, controller.get(),
            [this](const QString &title, const QString &message) { notes << title + u": "_s + message; });
        return true;
    }

    /// Signs in and waits for the targets and for the first look at the approver queue (the
    /// controller starts one at sign-in), so that later refreshes are the tests' own.
    bool signIn()
    {
        controller->signIn();
        return QTest::qWaitFor(
            [this] {
                return controller->status() == Elevate::Ui::AccessController::Status::Ready
                    && controller->approvals()->lastRefresh().isValid();
            },
            kWaitMs);
    }

    bool noted(const QString &part) const
    {
        return std::any_of(notes.cbegin(), notes.cend(),
                           [&part](const QString &n) { return n.contains(part); });
    }
};

Core::AccessRequest makeRequest(const QString &id, const QString &who, const QDateTime &created,
                                qint64 durationSecs, const QString &justification, const QString &ticket = {})
{
    Core::AccessRequest r;
    r.id = id;
    r.approvalId = id;
    r.status = u"PendingApproval"_s;
    r.action = u"selfActivate"_s;
    r.groupId = u"group-"_s + id;
    r.groupDisplayName = u"AWS-123456789012-Role"_s + id;
    r.accessId = u"member"_s;
    r.principalId = u"principal-"_s + who;
    r.principalDisplayName = who;
    r.principalUpn = who.toLower() + u"@contoso.example"_s;
    r.justification = justification;
    if (!ticket.isEmpty()) {
        r.ticketSystem = u"Jira"_s;
        r.ticketNumber = ticket;
    }
    r.created = created;
    r.start = created;
    r.durationSecs = durationSecs;
    return r;
}

QStringList column(const QAbstractItemModel *model, int col, int role = Qt::DisplayRole)
{
    QStringList out;
    for (int row = 0; row < model->rowCount(); ++row)
        out << model->index(row, col).data(role).toString();
    return out;
}

QAction *byName(const QMenu *menu, const QString &name)
{
    for (QAction *a : menu->actions())
        if (a->objectName() == name)
            return a;
    return nullptr;
}

} // namespace

class TestApprovals : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<Emulator::Emulator> m_emulator;
    Core::AppConfig m_config;

    bool startEmulator(const QByteArray &scenario = {})
    {
        m_emulator = std::make_unique<Emulator::Emulator>();
        const bool loaded
            = scenario.isEmpty() ? m_emulator->loadBuiltInScenario() : m_emulator->loadScenario(scenario);
        if (!loaded || !m_emulator->listen())
            return false;
        m_emulator->setAutoSignIn(kAlex);
        auto cfg = Core::AppConfig::fromJson(m_emulator->configJson());
        if (!cfg.ok())
            return false;
        m_config = cfg.value();
        return true;
    }

    std::unique_ptr<User> signedIn(const QString &upn)
    {
        auto u = std::make_unique<User>();
        if (!u->setUp(m_config, upn) || !u->signIn())
            return nullptr;
        if (u->controller->account()->username != upn)
            return nullptr;
        return u;
    }

    std::optional<Core::Result<Core::AccessRequest>> request(User &u, const QString &key, qint64 secs,
                                                             const QString &justification,
                                                             const QString &ticketNumber = {})
    {
        const auto target = u.controller->target(key);
        if (!target)
            return Core::Result<Core::AccessRequest>(
                Error::make(Error::Kind::InvalidInput, u"%1 is not eligible for %2"_s.arg(u.upn, key)));
        Core::ActivationDraft d;
        d.durationSecs = secs;
        d.justification = justification;
        if (!ticketNumber.isEmpty()) {
            d.ticketSystem = u"Jira"_s;
            d.ticketNumber = ticketNumber;
        }
        std::optional<Core::Result<Core::AccessRequest>> result;
        u.controller->access()->request(
            *target, d, this, [&result](Core::Result<Core::AccessRequest> r) { result = std::move(r); });
        (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
        return result;
    }

    std::optional<Core::Result<void>> refresh(Graph::ApprovalService *service)
    {
        std::optional<Core::Result<void>> result;
        service->refresh(this, [&result](Core::Result<void> r) { result = std::move(r); });
        (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
        return result;
    }

    std::optional<Core::Result<void>> sync(User &u)
    {
        std::optional<Core::Result<void>> result;
        u.controller->access()->sync(this, [&result](Core::Result<void> r) { result = std::move(r); });
        (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
        return result;
    }

    std::optional<QList<Graph::ApprovalService::Outcome>> decide(Graph::ApprovalService *service,
                                                                 const QStringList &ids, bool approve,
                                                                 const QString &justification)
    {
        std::optional<QList<Graph::ApprovalService::Outcome>> result;
        service->decide(ids, approve, justification, this,
                        [&result](QList<Graph::ApprovalService::Outcome> o) { result = std::move(o); });
        (void)QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs);
        return result;
    }

    static QStringList pendingIds(const Graph::ApprovalService *service)
    {
        QStringList out;
        for (const auto &r : service->pending())
            out << r.id;
        return out;
    }

    QJsonObject emulatorRequest(const QString &id) const
    {
        for (const auto &v : m_emulator->state().value(u"requests"_s).toArray())
            if (v.toObject().value(u"id"_s).toString() == id)
                return v.toObject();
        return {};
    }

    /// PATCHes of an approval stage that the emulator accepted (204), i.e. decisions taken.
    int acceptedDecisions() const
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

    template<typename W> static W *child(QWidget *parent, const char *name)
    {
        return parent->findChild<W *>(QString::fromLatin1(name));
    }

private Q_SLOTS:
    void cleanup() { m_emulator.reset(); }

    // --- a. the model on its own ---

    void modelKeepsRowsAcrossUpdates()
    {
        Test::ManualClock clock;
        Elevate::Ui::ApprovalsModel model(&clock, {});
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QDateTime now = clock.now();
        const auto a = makeRequest(u"a"_s, u"Alex"_s, now.addSecs(-600), 3600, u"first"_s);
        const auto b = makeRequest(u"b"_s, u"Nestor"_s, now.addSecs(-300), 1800, u"second"_s);
        const auto c = makeRequest(u"c"_s, u"Lee"_s, now.addSecs(-60), 7200, u"third"_s);

        model.setRequests({a, b});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(Elevate::Ui::ApprovalsModel::ColumnCount));
        QCOMPARE(model.rowOf(u"b"_s), 1);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Requester).data().toString(),
                 u"Alex (alex@contoso.example)"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Target).data().toString(),
                 u"AWS-123456789012-Rolea"_s); // no namer: the group name
        QCOMPARE(model.index(1, 0).data(Elevate::Ui::ApprovalsModel::RequestIdRole).toString(), u"b"_s);

        // a leaves, b is updated in place (same identity), c arrives.
        const QPersistentModelIndex bIndex(model.index(1, Elevate::Ui::ApprovalsModel::Justification));
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        auto b2 = b;
        b2.justification = u"second, edited"_s;
        model.setRequests({b2, c});
        QCOMPARE(removed.count(), 1);
        QCOMPARE(removed.first().at(1).toInt(), 0);
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(reset.count(), 0);
        QVERIFY(changed.count() >= 1);
        QVERIFY(bIndex.isValid());
        QCOMPARE(bIndex.row(), 0);
        QCOMPARE(bIndex.data().toString(), u"second, edited"_s);
        QCOMPARE(column(&model, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"b"_s, u"c"_s}));
        QCOMPARE(model.rowOf(u"a"_s), -1);

        // The same list again changes no rows.
        removed.clear();
        inserted.clear();
        model.setRequests({b2, c});
        QCOMPARE(removed.count(), 0);
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(model.rowCount(), 2);

        model.setRequests({});
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!bIndex.isValid());
    }

    void modelSortsOnRawValuesAndFilters()
    {
        Test::ManualClock clock;
        Elevate::Ui::ApprovalsModel model(
            &clock, [](const Core::AccessRequest &r) { return u"Role %1 on Production"_s.arg(r.id); });
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(Qt::EditRole);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        proxy.setFilterKeyColumn(-1);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QDateTime now = clock.now();
        // Created 5 h, 30 min and 10 h ago: 19 h, 23 h 30 min and 14 h left. Durations whose texts
        // sort differently from their values ("1 h 30 min" < "10 min" < "2 h" as text).
        model.setRequests(
            {makeRequest(u"x"_s, u"Alex"_s, now.addSecs(-5 * 3600), 5400, u"deploy"_s, u"OPS-42"_s),
             makeRequest(u"y"_s, u"Megan"_s, now.addSecs(-1800), 600, u"audit"_s),
             makeRequest(u"z"_s, u"Nestor"_s, now.addSecs(-10 * 3600), 7200, u"patching"_s)});
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Target).data().toString(),
                 u"Role x on Production"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Ticket).data().toString(), u"Jira OPS-42"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Duration).data().toString(), u"1 h 30 min"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Duration).data(Qt::EditRole).toLongLong(),
                 qlonglong(5400));
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"5 h ago"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Asked).data(Qt::EditRole).toDateTime(),
                 now.addSecs(-5 * 3600));
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::TimeLeft).data(Qt::EditRole).toLongLong(),
                 qlonglong(19 * 3600));

        proxy.sort(Elevate::Ui::ApprovalsModel::TimeLeft, Qt::AscendingOrder);
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"z"_s, u"x"_s, u"y"_s}));
        proxy.sort(Elevate::Ui::ApprovalsModel::TimeLeft, Qt::DescendingOrder);
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"y"_s, u"x"_s, u"z"_s}));
        proxy.sort(Elevate::Ui::ApprovalsModel::Duration, Qt::AscendingOrder);
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"y"_s, u"x"_s, u"z"_s}));
        QCOMPARE(column(&proxy, Elevate::Ui::ApprovalsModel::Duration),
                 (QStringList {u"10 min"_s, u"1 h 30 min"_s, u"2 h"_s}));
        proxy.sort(Elevate::Ui::ApprovalsModel::Asked, Qt::AscendingOrder); // oldest first
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole),
                 (QStringList {u"z"_s, u"x"_s, u"y"_s}));

        // The filter looks at every column, case-insensitively.
        proxy.setFilterFixedString(u"ops-42"_s); // ticket
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"x"_s});
        proxy.setFilterFixedString(u"MEGAN"_s); // requester
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"y"_s});
        proxy.setFilterFixedString(u"patch"_s); // justification
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"z"_s});
        proxy.setFilterFixedString(u"role z on"_s); // target, as named
        QCOMPARE(column(&proxy, 0, Elevate::Ui::ApprovalsModel::RequestIdRole), QStringList {u"z"_s});
        proxy.setFilterFixedString(u"nobody"_s);
        QCOMPARE(proxy.rowCount(), 0);
        proxy.setFilterFixedString({});
        QCOMPARE(proxy.rowCount(), 3);

        // Rows arriving and leaving under a sorted, filtered proxy.
        proxy.setFilterFixedString(u"a"_s);
        model.setRequests(
            {makeRequest(u"w"_s, u"Lee"_s, now, 3600, u"new one"_s),
             makeRequest(u"x"_s, u"Alex"_s, now.addSecs(-5 * 3600), 5400, u"deploy"_s, u"OPS-42"_s)});
        proxy.setFilterFixedString({});
        QCOMPARE(proxy.rowCount(), 2);
    }

    void modelCountsDownOnTheClock()
    {
        Test::ManualClock clock;
        Elevate::Ui::ApprovalsModel model(&clock, {});
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.tick(); // nothing to repaint
        QCOMPARE(changed.count(), 0);

        model.setRequests({makeRequest(u"a"_s, u"Alex"_s, clock.now().addSecs(-3600), 3600, u"x"_s),
                           makeRequest(u"b"_s, u"Lee"_s, clock.now(), 3600, u"y"_s)});
        const QModelIndex left = model.index(0, Elevate::Ui::ApprovalsModel::TimeLeft);
        QCOMPARE(left.data().toString(), u"23:00:00"_s);
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::TimeLeft).data().toString(), u"24:00:00"_s);
        QCOMPARE(model.index(0, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"1 h ago"_s);
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"just now"_s);
        QVERIFY(left.data(Qt::ToolTipRole).toString().contains(u"lapses"_s));

        changed.clear();
        clock.advance(30 * 60);
        model.tick();
        QCOMPARE(changed.count(), 1);
        const QModelIndex topLeft = changed.first().at(0).value<QModelIndex>();
        const QModelIndex bottomRight = changed.first().at(1).value<QModelIndex>();
        QCOMPARE(topLeft.row(), 0);
        QCOMPARE(topLeft.column(), int(Elevate::Ui::ApprovalsModel::Asked));
        QCOMPARE(bottomRight.row(), 1);
        QCOMPARE(bottomRight.column(), int(Elevate::Ui::ApprovalsModel::TimeLeft));
        QCOMPARE(left.data().toString(), u"22:30:00"_s);
        QCOMPARE(left.data(Qt::EditRole).toLongLong(), qlonglong(22 * 3600 + 1800));
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::TimeLeft).data().toString(), u"23:30:00"_s);
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::Asked).data().toString(), u"30 min ago"_s);

        clock.advance(23 * 3600); // 24 h 30 min after the first request: past its window
        QCOMPARE(left.data().toString(), u"0:00"_s);
        QCOMPARE(left.data(Qt::EditRole).toLongLong(), qlonglong(0));
        QCOMPARE(model.index(1, Elevate::Ui::ApprovalsModel::TimeLeft).data().toString(), u"30:00"_s);
    }

    // --- b. two users on one emulator: arrival, once, across restarts ---

    void arrivesOnceAcrossRestarts()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        QVERIFY(megan->controller->approvals()->pending().isEmpty());
        QVERIFY(!alex->controller->approvals()->isApprover());

        QStringList arrived;
        QStringList arrivedTexts;
        connect(megan->controller.get(), &Elevate::Ui::AccessController::approvalArrived, this,
                [&](const QString &id, const QString &, const QString &message) {
                    arrived << id;
                    arrivedTexts << message;
                });

        const auto sent = request(*alex, kNetwork, 3600, u"BGP peering change"_s, u"CHG-77"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        QCOMPARE(sent->value().phase(), Core::RequestPhase::AwaitingApproval);

        Graph::ApprovalService *approvals = megan->controller->approvals();
        auto refreshed = refresh(approvals);
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(pendingIds(approvals), QStringList {id});
        const auto r = approvals->pendingRequest(id);
        QVERIFY(r);
        QCOMPARE(r->principalDisplayName, u"Alex Wilber"_s);
        QCOMPARE(r->principalUpn, kAlex);
        QCOMPARE(r->principalId, alex->objectId());
        QCOMPARE(r->justification, u"BGP peering change"_s);
        QCOMPARE(r->ticketNumber, u"CHG-77"_s);
        QCOMPARE(r->durationSecs, qint64(3600));
        QVERIFY(r->created.isValid());
        QVERIFY(approvals->isApprover());
        QCOMPARE(arrived, QStringList {id});
        QVERIFY2(arrivedTexts.first().contains(u"Alex Wilber"_s), qPrintable(arrivedTexts.first()));
        QVERIFY2(arrivedTexts.first().contains(u"NetworkAdministrator"_s), qPrintable(arrivedTexts.first()));
        QVERIFY2(arrivedTexts.first().contains(u"BGP peering change"_s), qPrintable(arrivedTexts.first()));

        // Looking again announces nothing new.
        refreshed = refresh(approvals);
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(pendingIds(approvals), QStringList {id});
        QCOMPARE(arrived.size(), 1);

        // A restart: a new service over the same store knows megan approves and says nothing.
        {
            Graph::ApprovalService restarted(megan->graph.get(), megan->history.get(), &megan->clock);
            QVERIFY(!restarted.isApprover()); // nobody signed in yet
            restarted.setPrincipalId(megan->objectId());
            QVERIFY(restarted.isApprover()); // remembered for megan, before looking
            int announced = 0;
            connect(&restarted, &Graph::ApprovalService::arrived, this,
                    [&announced](const QList<Core::AccessRequest> &l) { announced += int(l.size()); });
            refreshed = refresh(&restarted);
            QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
            QCOMPARE(pendingIds(&restarted), QStringList {id});
            QCOMPARE(announced, 0);
        }
        // The same with the store opened again from its file (another process, or after a real restart).
        {
            auto reopened = Core::HistoryStore::open(megan->historyPath());
            QVERIFY(reopened.ok());
            Graph::ApprovalService restarted(megan->graph.get(), reopened.value().get(), &megan->clock);
            restarted.setPrincipalId(megan->objectId());
            QVERIFY(restarted.isApprover());
            // Someone else on this machine is not an approver because megan is.
            Graph::ApprovalService other(megan->graph.get(), reopened.value().get(), &megan->clock);
            other.setPrincipalId(u"00000000-0000-0000-0000-000000000000"_s);
            QVERIFY(!other.isApprover());
            int announced = 0;
            connect(&restarted, &Graph::ApprovalService::arrived, this,
                    [&announced](const QList<Core::AccessRequest> &l) { announced += int(l.size()); });
            refreshed = refresh(&restarted);
            QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
            QCOMPARE(pendingIds(&restarted), QStringList {id});
            QCOMPARE(announced, 0);

            // A request that arrives after the restart is announced, once.
            const auto second = request(*alex, kAdministrator, 3600, u"incident 12"_s, u"OPS-12"_s);
            QVERIFY2(second && second->ok(), describe(second).constData());
            refreshed = refresh(&restarted);
            QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
            QCOMPARE(announced, 1);
            QCOMPARE(restarted.pending().size(), 2);
        }
        QCOMPARE(arrived.size(), 1); // megan's own controller was not involved
    }

    // --- c. the window: select, justify, approve ---

    void windowApproves()
    {
        QVERIFY(startEmulator(scenarioWithNestor()));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto nestor = signedIn(kNestor);
        QVERIFY(nestor);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);

        const auto network = request(*alex, kNetwork, 3600, u"BGP peering change"_s, u"CHG-77"_s);
        QVERIFY2(network && network->ok(), describe(network).constData());
        const auto admin = request(*alex, kAdministrator, 2 * 3600,
                                   u"incident 4711: restore the RDS snapshot"_s, u"OPS-4711"_s);
        QVERIFY2(admin && admin->ok(), describe(admin).constData());
        const auto nestors
            = request(*nestor, kAdministrator, 4 * 3600, u"quarterly patching"_s, u"OPS-4712"_s);
        QVERIFY2(nestors && nestors->ok(), describe(nestors).constData());
        const QString id = network->value().id;

        Graph::ApprovalService *approvals = megan->controller->approvals();
        const auto refreshed = refresh(approvals);
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(approvals->pending().size(), 3);

        Elevate::Ui::ApprovalsWindow w(megan->controller.get());
        w.resize(1280, 420);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *view = child<QTableView>(&w, "approvalsView");
        auto *justification = child<QLineEdit>(&w, "justificationEdit");
        auto *approve = child<QPushButton>(&w, "approveButton");
        auto *deny = child<QPushButton>(&w, "denyButton");
        auto *message = child<QLabel>(&w, "messageLabel");
        auto *count = child<QLabel>(&w, "countLabel");
        auto *empty = child<QLabel>(&w, "emptyLabel");
        QVERIFY(view && justification && approve && deny && message && count && empty);
        QCOMPARE(w.model()->rowCount(), 3);
        QCOMPARE(view->model()->rowCount(), 3);
        QVERIFY(view->isVisible());
        QVERIFY(!empty->isVisible());
        QVERIFY2(count->text().startsWith(u"3 request"_s), qPrintable(count->text()));
        const int row = w.model()->rowOf(id);
        QVERIFY(row >= 0);
        QCOMPARE(w.model()->index(row, Elevate::Ui::ApprovalsModel::Requester).data().toString(),
                 u"Alex Wilber (alex@contoso.example)"_s);
        QVERIFY2(w.model()
                     ->index(row, Elevate::Ui::ApprovalsModel::Target)
                     .data()
                     .toString()
                     .contains(u"NetworkAdministrator on Shared Services"_s),
                 qPrintable(w.model()->index(row, Elevate::Ui::ApprovalsModel::Target).data().toString()));
        QCOMPARE(w.model()->index(row, Elevate::Ui::ApprovalsModel::Ticket).data().toString(),
                 u"Jira CHG-77"_s);
        QVERIFY(w.model()
                    ->index(w.model()->rowOf(nestors->value().id), Elevate::Ui::ApprovalsModel::Requester)
                    .data()
                    .toString()
                    .startsWith(u"Nestor Wilke"_s));

        // Nothing selected, no justification: nothing to press.
        QVERIFY(w.selectedIds().isEmpty());
        QVERIFY(!approve->isEnabled());
        QVERIFY(!deny->isEnabled());
        // A justification alone is not enough…
        QTest::keyClicks(justification, u"CAB approved the change"_s);
        QVERIFY(!approve->isEnabled());
        QVERIFY(!deny->isEnabled());
        justification->clear();
        // …nor a selection alone.
        w.selectRequest(id);
        QCOMPARE(w.selectedIds(), QStringList {id});
        QCOMPARE(w.focusWidget(), justification);
        QVERIFY(!approve->isEnabled());
        QVERIFY(!deny->isEnabled());
        justification->setText(u"   "_s); // blanks are no justification
        QVERIFY(!approve->isEnabled());
        justification->clear();
        QTest::keyClicks(justification, u"CAB approved the change"_s);
        QVERIFY(approve->isEnabled());
        QVERIFY(deny->isEnabled());

        // Selecting two rows offers to decide both.
        auto *proxy = qobject_cast<QSortFilterProxyModel *>(view->model());
        QVERIFY(proxy);
        view->selectionModel()->select(
            proxy->mapFromSource(w.model()->index(w.model()->rowOf(admin->value().id), 0)),
            QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QCOMPARE(w.selectedIds().size(), 2);
        QCOMPARE(approve->text(), u"&Approve 2"_s);
        w.selectRequest(id); // back to one
        QCOMPARE(w.selectedIds(), QStringList {id});
        QCOMPARE(approve->text(), u"&Approve"_s);
        QVERIFY(approve->isEnabled());

        // The queue as megan sees it, three requests waiting, before any decision.
        QCoreApplication::processEvents();
        QVERIFY(w.grab().save(Test::artifactPath(u"approvals-window.png"_s)));

        QSignalSpy alexNotes(alex->controller.get(), &Elevate::Ui::AccessController::notify);
        QTest::mouseClick(approve, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(u"You approved it"_s), kWaitMs);
        QVERIFY2(message->text().contains(u"Alex Wilber"_s), qPrintable(message->text()));
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowOf(id), -1, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowCount(), 2, kWaitMs);
        QVERIFY2(count->text().startsWith(u"2 request"_s), qPrintable(count->text()));
        QVERIFY(justification->text().isEmpty()); // all went well: ready for the next one
        QVERIFY(w.selectedIds().isEmpty());
        QVERIFY(!approve->isEnabled());
        QCOMPARE(approvals->rowMessage(id), u"You approved it"_s);

        // In PIM: approved once, by megan, with her words; the other two still wait.
        const QJsonObject decided = emulatorRequest(id);
        QCOMPARE(decided.value(u"status"_s).toString(), u"Provisioned"_s);
        const QJsonObject decision = decided.value(u"decision"_s).toObject();
        QCOMPARE(decision.value(u"approver"_s).toString(), kMegan);
        QCOMPARE(decision.value(u"result"_s).toString(), u"Approved"_s);
        QCOMPARE(decision.value(u"justification"_s).toString(), u"CAB approved the change"_s);
        QCOMPARE(acceptedDecisions(), 1);
        QCOMPARE(emulatorRequest(admin->value().id).value(u"status"_s).toString(), u"PendingApproval"_s);
        QCOMPARE(emulatorRequest(nestors->value().id).value(u"status"_s).toString(), u"PendingApproval"_s);

        // Alex hears who approved and has the grant.
        const auto synced = sync(*alex);
        QVERIFY2(synced && synced->ok(), describe(synced).constData());
        QTRY_VERIFY2_WITH_TIMEOUT(alex->noted(u"Megan Bowen approved your request"_s),
                                  qPrintable(alex->notes.join(u" | "_s)), kWaitMs);
        QVERIFY(alex->controller->access()->grantFor(alex->controller->target(kNetwork)->eligibility.groupId,
                                                     u"member"_s));
        QVERIFY(alexNotes.count() >= 1);
    }

    // --- d. two approvers, one request ---

    void secondApproverLosesTheRace()
    {
        QVERIFY(startEmulator(scenarioWithNestor()));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        auto lee = signedIn(kLee);
        QVERIFY(lee);

        const auto sent = request(*alex, kNetwork, 3600, u"firewall rule for the VPN"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        for (User *u : {megan.get(), lee.get()}) {
            const auto refreshed = refresh(u->controller->approvals());
            QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
            QCOMPARE(pendingIds(u->controller->approvals()), QStringList {id});
        }

        // Lee has the window open on it; megan decides first.
        Elevate::Ui::ApprovalsWindow w(lee->controller.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.selectRequest(id);
        QTest::keyClicks(child<QLineEdit>(&w, "justificationEdit"), u"looks fine"_s);
        QVERIFY(child<QPushButton>(&w, "approveButton")->isEnabled());

        const auto first = decide(megan->controller->approvals(), {id}, true, u"approved by the owner"_s);
        QVERIFY(first);
        QCOMPARE(first->size(), 1);
        QVERIFY2(first->first().result.ok(), describe(first->first().result).constData());
        QCOMPARE(acceptedDecisions(), 1);

        // Lee, still seeing the row, approves too: told who decided, the row goes, nothing is sent twice.
        auto *message = child<QLabel>(&w, "messageLabel");
        QCOMPARE(w.model()->rowOf(id), 0);
        QTest::mouseClick(child<QPushButton>(&w, "approveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!message->text().isEmpty() && !message->text().startsWith(u"Approving"_s),
                                 kWaitMs);
        QVERIFY2(message->text().contains(u"Megan Bowen"_s), qPrintable(message->text()));
        QVERIFY2(lee->controller->approvals()->rowMessage(id).contains(u"Megan Bowen"_s),
                 qPrintable(lee->controller->approvals()->rowMessage(id)));
        QVERIFY2(lee->controller->approvals()->rowMessage(id).contains(u"approved"_s),
                 qPrintable(lee->controller->approvals()->rowMessage(id)));
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowOf(id), -1, kWaitMs);
        QVERIFY(!lee->controller->approvals()->pendingRequest(id));
        // The justification stays: lee's decision did not go through.
        QCOMPARE(child<QLineEdit>(&w, "justificationEdit")->text(), u"looks fine"_s);
        QVERIFY(child<QLabel>(&w, "emptyLabel")->isVisible());
        QVERIFY(w.grab().save(Test::artifactPath(u"approvals-window-race.png"_s)));

        // The same through the service: the outcome is AlreadyDecided and names megan.
        const auto again = decide(lee->controller->approvals(), {id}, false, u"too late"_s);
        QVERIFY(again);
        QCOMPARE(again->size(), 1);
        QVERIFY(!again->first().result.ok());
        QCOMPARE(again->first().result.error().serviceCode, u"AlreadyDecided"_s);
        QVERIFY2(again->first().result.error().message.contains(u"Megan Bowen"_s),
                 qPrintable(again->first().result.error().message));

        QCOMPARE(acceptedDecisions(), 1);
        const QJsonObject decision = emulatorRequest(id).value(u"decision"_s).toObject();
        QCOMPARE(decision.value(u"approver"_s).toString(), kMegan);
        QCOMPARE(decision.value(u"result"_s).toString(), u"Approved"_s);
        QCOMPARE(decision.value(u"justification"_s).toString(), u"approved by the owner"_s);
        QCOMPARE(emulatorRequest(id).value(u"status"_s).toString(), u"Provisioned"_s);

        // Both at the same moment (nestor's request): exactly one decision lands, the other approver
        // is told who it was.
        auto nestor = signedIn(kNestor);
        QVERIFY(nestor);
        const auto other = request(*nestor, kNetwork, 1800, u"VPN certificate rotation"_s);
        QVERIFY2(other && other->ok(), describe(other).constData());
        const QString otherId = other->value().id;
        for (User *u : {megan.get(), lee.get()}) {
            const auto refreshed = refresh(u->controller->approvals());
            QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
            QCOMPARE(pendingIds(u->controller->approvals()), QStringList {otherId});
        }
        std::optional<QList<Graph::ApprovalService::Outcome>> meganSays, leeSays;
        megan->controller->approvals()->decide({otherId}, true, u"go ahead"_s, this,
                                               [&meganSays](auto o) { meganSays = std::move(o); });
        lee->controller->approvals()->decide({otherId}, false, u"not today"_s, this,
                                             [&leeSays](auto o) { leeSays = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(meganSays && leeSays, kWaitMs);
        QCOMPARE(meganSays->size(), 1);
        QCOMPARE(leeSays->size(), 1);
        const auto &m = meganSays->first().result;
        const auto &l = leeSays->first().result;
        QVERIFY2(m.ok() != l.ok(), QByteArray(describe(m) + " / " + describe(l)).constData());
        const QJsonObject raced = emulatorRequest(otherId).value(u"decision"_s).toObject();
        const auto &loser = m.ok() ? l : m;
        QCOMPARE(loser.error().serviceCode, u"AlreadyDecided"_s);
        QVERIFY2(loser.error().message.contains(m.ok() ? u"Megan Bowen"_s : u"Lee Gu"_s),
                 qPrintable(loser.error().message));
        QCOMPARE(raced.value(u"approver"_s).toString(), m.ok() ? kMegan : kLee);
        QCOMPARE(raced.value(u"result"_s).toString(), m.ok() ? u"Approved"_s : u"Denied"_s);
        QCOMPARE(acceptedDecisions(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(megan->controller->approvals()->pending().isEmpty()
                                     && lee->controller->approvals()->pending().isEmpty(),
                                 kWaitMs);
    }

    // --- e. deny ---

    /// POSTs emulator settings (graph-pim realism switches); true on 200.
    bool emulatorSettings(const QJsonObject &settings)
    {
        QNetworkAccessManager nam;
        QNetworkRequest req(QUrl(m_emulator->baseUrl().toString() + u"/_emulator/settings"_s));
        req.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
        QNetworkReply *r = nam.post(req, QJsonDocument(settings).toJson(QJsonDocument::Compact));
        (void)QTest::qWaitFor([r] { return r->isFinished(); }, kWaitMs);
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r->deleteLater();
        return status == 200;
    }

    void decisionWaitsForAStageThatIsOpening()
    {
        QVERIFY(startEmulator());
        // The stage stays Initializing for 3 s after the request: a decision right away is neither
        // "already decided" nor lost; it goes through once the stage opens.
        QVERIFY(emulatorSettings({{u"approvalInitializingSeconds"_s, 3}}));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kAdministrator, 3600, u"rotate the keys"_s, u"OPS-91"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(pendingIds(megan->controller->approvals()), QStringList {id});
        const auto decided = decide(megan->controller->approvals(), {id}, true, u"go"_s);
        QVERIFY(decided);
        QVERIFY2(decided->first().result.ok(), describe(decided->first().result).constData());
        QCOMPARE(acceptedDecisions(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(emulatorRequest(id).value(u"status"_s).toString(), u"Provisioned"_s,
                                  kWaitMs);
    }

    void decisionOnAStageThatStaysOpeningSaysTryAgain()
    {
        QVERIFY(startEmulator());
        QVERIFY(emulatorSettings({{u"approvalInitializingSeconds"_s, 600}}));
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kAdministrator, 3600, u"rotate the keys"_s, u"OPS-92"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());

        Elevate::Ui::ApprovalsWindow w(megan->controller.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.selectRequest(id);
        QTest::keyClicks(child<QLineEdit>(&w, "justificationEdit"), u"fine"_s);
        QTest::mouseClick(child<QPushButton>(&w, "approveButton"), Qt::LeftButton);
        auto *message = child<QLabel>(&w, "messageLabel");
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(u"still opening"_s), kWaitMs);
        QVERIFY2(!message->text().contains(u"decided first"_s), qPrintable(message->text()));
        QCOMPARE(acceptedDecisions(), 0);
        QCOMPARE(w.model()->rowOf(id), 0); // still waiting for a decision
        QCOMPARE(child<QLineEdit>(&w, "justificationEdit")->text(), u"fine"_s);
        QVERIFY(w.grab().save(Test::artifactPath(u"approvals-window-opening.png"_s)));

        // Once the stage is open, the same press goes through.
        m_emulator->advanceClock(601);
        QTest::mouseClick(child<QPushButton>(&w, "approveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(message->text().contains(u"You approved it"_s), kWaitMs);
        QCOMPARE(acceptedDecisions(), 1);
    }

    void denyTellsTheRequesterWhyAndWho()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);

        const auto sent = request(*alex, kAdministrator, 3600, u"clean up IAM users"_s, u"OPS-90"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());

        Elevate::Ui::ApprovalsWindow w(megan->controller.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.selectRequest(id);
        QTest::keyClicks(child<QLineEdit>(&w, "justificationEdit"), u"not during the change freeze"_s);
        QTest::mouseClick(child<QPushButton>(&w, "denyButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(&w, "messageLabel")->text().contains(u"You denied it"_s),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowCount(), 0, kWaitMs);
        QVERIFY(child<QLabel>(&w, "emptyLabel")->isVisible());

        const QJsonObject inPim = emulatorRequest(id);
        QCOMPARE(inPim.value(u"status"_s).toString(), u"Denied"_s);
        QCOMPARE(inPim.value(u"decision"_s).toObject().value(u"approver"_s).toString(), kMegan);
        QCOMPARE(acceptedDecisions(), 1);

        const auto synced = sync(*alex);
        QVERIFY2(synced && synced->ok(), describe(synced).constData());
        QTRY_VERIFY2_WITH_TIMEOUT(alex->noted(u"not during the change freeze"_s),
                                  qPrintable(alex->notes.join(u" | "_s)), kWaitMs);
        QString note;
        for (const QString &n : alex->notes)
            if (n.contains(u"not during the change freeze"_s))
                note = n;
        QVERIFY2(note.contains(u"Megan Bowen"_s), qPrintable(note));
        QVERIFY2(note.contains(u"denied"_s), qPrintable(note));
        QVERIFY(alex->controller->access()->openRequests().isEmpty());

        const auto entries = alex->history->entries();
        QVERIFY(entries.ok());
        std::optional<Core::HistoryEntry> h;
        for (const auto &e : entries.value())
            if (e.requestId == id)
                h = e;
        QVERIFY(h);
        QCOMPARE(h->decision, u"Denied"_s);
        QCOMPARE(h->outcome, u"Denied"_s);
        QCOMPARE(h->approver, u"Megan Bowen"_s);
        QCOMPARE(h->decisionJustification, u"not during the change freeze"_s);
        QCOMPARE(h->ticketNumber, u"OPS-90"_s);
    }

    void decisionNeedsAJustification()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kNetwork, 3600, u"routing"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        const auto outcome = decide(megan->controller->approvals(), {sent->value().id}, true, u"  "_s);
        QVERIFY(outcome);
        QCOMPARE(outcome->size(), 1);
        QVERIFY(!outcome->first().result.ok());
        QCOMPARE(outcome->first().result.error().kind, Error::Kind::InvalidInput);
        QCOMPARE(acceptedDecisions(), 0);
        QCOMPARE(emulatorRequest(sent->value().id).value(u"status"_s).toString(), u"PendingApproval"_s);
        QCOMPARE(pendingIds(megan->controller->approvals()), QStringList {sent->value().id});
    }

    // --- f. no self-approval ---

    void noSelfApproval()
    {
        QVERIFY(startEmulator());
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        auto lee = signedIn(kLee);
        QVERIFY(lee);

        const auto sent = request(*megan, kNetwork, 1800, u"my own change"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        QCOMPARE(sent->value().phase(), Core::RequestPhase::AwaitingApproval);

        auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QVERIFY(!pendingIds(megan->controller->approvals()).contains(id));
        refreshed = refresh(lee->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(pendingIds(lee->controller->approvals()), QStringList {id});
        QCOMPARE(lee->controller->approvals()->pendingRequest(id)->principalDisplayName, u"Megan Bowen"_s);

        // Asking anyway is refused, and nothing is decided.
        const auto own = decide(megan->controller->approvals(), {id}, true, u"trust me"_s);
        QVERIFY(own);
        QVERIFY(!own->first().result.ok());
        QCOMPARE(own->first().result.error().serviceCode, u"NotYourDecision"_s);
        QCOMPARE(acceptedDecisions(), 0);
        QCOMPARE(emulatorRequest(id).value(u"status"_s).toString(), u"PendingApproval"_s);

        const auto leeDecides = decide(lee->controller->approvals(), {id}, true, u"reviewed"_s);
        QVERIFY(leeDecides);
        QVERIFY2(leeDecides->first().result.ok(), describe(leeDecides->first().result).constData());
        QCOMPARE(emulatorRequest(id).value(u"decision"_s).toObject().value(u"approver"_s).toString(), kLee);
    }

    // --- g. the tray ---

    void trayShowsTheQueue()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        Elevate::Ui::TrayController meganTray(megan->controller.get());
        Elevate::Ui::TrayController alexTray(alex->controller.get());
        // megan's store is fresh and nothing waits yet: no entry for her either.
        QVERIFY(!byName(meganTray.menu(), u"approvalsAction"_s));
        QCOMPARE(meganTray.badge(), 0);

        const auto network = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        QVERIFY2(network && network->ok(), describe(network).constData());
        const auto admin = request(*alex, kAdministrator, 3600, u"incident 4711"_s, u"OPS-4711"_s);
        QVERIFY2(admin && admin->ok(), describe(admin).constData());
        QStringList announced;
        connect(megan->controller.get(), &Elevate::Ui::AccessController::approvalArrived, &meganTray,
                [&](const QString &id, const QString &title, const QString &message) {
                    announced << id;
                    meganTray.notifyApproval(id, title, message);
                });
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(announced.size(), 2);

        QAction *entry = byName(meganTray.menu(), u"approvalsAction"_s);
        QVERIFY(entry);
        QCOMPARE(entry->text(), u"Approvals (2)…"_s);
        QCOMPARE(meganTray.badge(), 2);
        // Without a tray host the window is the way in: the same entry as a button, approvers only.
        {
            Elevate::Ui::MainWindow meganWindow(megan->controller.get());
            Elevate::Ui::MainWindow alexWindow(alex->controller.get());
            auto *button = meganWindow.findChild<QPushButton *>(u"approvalsButton"_s);
            QVERIFY(button && !button->isHidden());
            QCOMPARE(button->text(), u"A&pprovals (2)…"_s);
            QSignalSpy asked(&meganWindow, &Elevate::Ui::MainWindow::approvalsRequested);
            button->click();
            QCOMPARE(asked.count(), 1);
            QVERIFY(alexWindow.findChild<QPushButton *>(u"approvalsButton"_s)->isHidden());
        }
        QVERIFY2(meganTray.trayIcon()->toolTip().contains(u"waiting for your approval"_s),
                 qPrintable(meganTray.trayIcon()->toolTip()));
        QVERIFY(!meganTray.trayIcon()->icon().isNull());
        const QImage badged = meganTray.trayIcon()->icon().pixmap(32, 32).toImage();
        const QImage plain = Elevate::Ui::trayIcon(meganTray.state()).pixmap(32, 32).toImage();
        QVERIFY(!badged.isNull());
        QVERIFY(badged != plain); // the count is drawn on it
        QVERIFY(meganTray.trayIcon()->icon().pixmap(32, 32).save(
            Test::artifactPath(u"approvals-tray-icon.png"_s)));

        // The tray menu as megan sees it.
        QMenu *menu = meganTray.menu();
        menu->popup(QPoint(10, 10));
        QTest::qWait(50);
        QVERIFY(menu->grab().save(Test::artifactPath(u"approvals-tray-menu.png"_s)));
        menu->hide();

        // The entry opens the queue; a click on an approval's notification opens it on that request;
        // a click on any other notification opens the main window.
        QSignalSpy queue(&meganTray, &Elevate::Ui::TrayController::approvalsRequested);
        QSignalSpy window(&meganTray, &Elevate::Ui::TrayController::openWindowRequested);
        entry->trigger();
        QCOMPARE(queue.count(), 1);
        QCOMPARE(queue.takeFirst().first().toString(), QString());
        meganTray.notifyApproval(admin->value().id, u"Approval needed"_s, u"Alex Wilber asks"_s);
        Q_EMIT meganTray.trayIcon()->messageClicked();
        QCOMPARE(queue.count(), 1);
        QCOMPARE(queue.takeFirst().first().toString(), admin->value().id);
        QCOMPARE(window.count(), 0);
        meganTray.notify(u"Access granted"_s, u"ReadOnlyAccess is active."_s, false);
        Q_EMIT meganTray.trayIcon()->messageClicked();
        QCOMPARE(queue.count(), 0);
        QCOMPARE(window.count(), 1);

        // alex has never had anything to approve: no entry, no badge.
        QVERIFY(!alex->controller->approvals()->isApprover());
        QVERIFY(!byName(alexTray.menu(), u"approvalsAction"_s));
        QCOMPARE(alexTray.badge(), 0);
        QVERIFY(!alexTray.trayIcon()->toolTip().contains(u"approval"_s));

        // One decided: the count follows; none left: the entry stays (megan is an approver), uncounted.
        const auto one = decide(megan->controller->approvals(), {network->value().id}, true, u"ok"_s);
        QVERIFY(one && one->first().result.ok());
        QTRY_COMPARE_WITH_TIMEOUT(meganTray.badge(), 1, kWaitMs);
        QCOMPARE(byName(meganTray.menu(), u"approvalsAction"_s)->text(), u"Approvals (1)…"_s);
        const auto two = decide(megan->controller->approvals(), {admin->value().id}, false, u"no"_s);
        QVERIFY(two && two->first().result.ok());
        QTRY_COMPARE_WITH_TIMEOUT(meganTray.badge(), 0, kWaitMs);
        QVERIFY(byName(meganTray.menu(), u"approvalsAction"_s));
        QCOMPARE(byName(meganTray.menu(), u"approvalsAction"_s)->text(), u"Approvals…"_s);
        QVERIFY(!meganTray.trayIcon()->toolTip().contains(u"waiting for your approval"_s));
    }

    // --- h. the 24-hour window ---

    /// Several rows at once, one of which someone else decided meanwhile; the filter; and a second
    /// press while the first decision is under way sends nothing more.
    void windowDecidesSeveralAtOnce()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        auto lee = signedIn(kLee);
        QVERIFY(lee);
        const auto network = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        QVERIFY2(network && network->ok(), describe(network).constData());
        const auto admin = request(*alex, kAdministrator, 3600, u"incident 4711"_s, u"OPS-4711"_s);
        QVERIFY2(admin && admin->ok(), describe(admin).constData());
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(megan->controller->approvals()->pending().size(), 2);

        Elevate::Ui::ApprovalsWindow w(megan->controller.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *view = child<QTableView>(&w, "approvalsView");
        auto *filter = child<QLineEdit>(&w, "filterEdit");
        auto *message = child<QLabel>(&w, "messageLabel");
        auto *justification = child<QLineEdit>(&w, "justificationEdit");

        // The filter narrows the table; selecting a request from a notification clears it.
        QTest::keyClicks(filter, u"ops-4711"_s);
        QCOMPARE(view->model()->rowCount(), 1);
        QCOMPARE(view->model()->index(0, 0).data(Elevate::Ui::ApprovalsModel::RequestIdRole).toString(),
                 admin->value().id);
        w.selectRequest(network->value().id);
        QVERIFY(filter->text().isEmpty());
        QCOMPARE(view->model()->rowCount(), 2);
        QCOMPARE(w.selectedIds(), QStringList {network->value().id});

        // Lee decides the network request behind megan's back.
        const auto byLee = decide(lee->controller->approvals(), {network->value().id}, true, u"fine by me"_s);
        QVERIFY(byLee && byLee->first().result.ok());
        QCOMPARE(acceptedDecisions(), 1);

        view->selectAll();
        QCOMPARE(w.selectedIds().size(), 2);
        QTest::keyClicks(justification, u"reviewed both"_s);
        QCOMPARE(child<QPushButton>(&w, "approveButton")->text(), u"&Approve 2"_s);
        w.decide(true);
        QVERIFY(!child<QPushButton>(&w, "approveButton")->isEnabled()); // busy
        QVERIFY(!child<QPushButton>(&w, "denyButton")->isEnabled());
        w.decide(true); // a second press (shortcut, double click) while busy
        QTRY_VERIFY_WITH_TIMEOUT(!message->text().isEmpty() && !message->text().startsWith(u"Approving"_s),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.model()->rowCount(), 0, kWaitMs);
        QTest::qWait(200); // anything still on its way would land now
        const QStringList lines = message->text().split(u'\n');
        QCOMPARE(lines.size(), 2);
        for (const QString &line : lines) {
            if (line.contains(u"NetworkAdministrator"_s))
                QVERIFY2(line.contains(u"Someone else decided first"_s) && line.contains(u"Lee Gu"_s),
                         qPrintable(line));
            else
                QVERIFY2(line.contains(u"AdministratorAccess"_s) && line.contains(u"You approved it"_s),
                         qPrintable(line));
        }
        QCOMPARE(acceptedDecisions(), 2); // lee's and megan's one; nothing twice
        QCOMPARE(emulatorRequest(admin->value().id)
                     .value(u"decision"_s)
                     .toObject()
                     .value(u"approver"_s)
                     .toString(),
                 kMegan);
        QCOMPARE(emulatorRequest(network->value().id)
                     .value(u"decision"_s)
                     .toObject()
                     .value(u"approver"_s)
                     .toString(),
                 kLee);
        int patches = 0;
        for (const auto &v : m_emulator->state().value(u"httpRequests"_s).toArray())
            if (v.toObject().value(u"method"_s).toString() == u"PATCH")
                ++patches;
        QCOMPARE(patches, 2); // megan never PATCHed the one lee had decided, nor anything twice
    }

    /// Two callers (the window and a notification, say) deciding the same request at once: the
    /// second is refused locally instead of racing the first and calling its own decision someone else's.
    void serviceDecidesARequestOnceAtATime()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());

        Graph::ApprovalService *approvals = megan->controller->approvals();
        std::optional<QList<Graph::ApprovalService::Outcome>> first, second;
        approvals->decide({id}, true, u"go"_s, this, [&first](auto o) { first = std::move(o); });
        approvals->decide({id}, false, u"no, wait"_s, this, [&second](auto o) { second = std::move(o); });
        QTRY_VERIFY_WITH_TIMEOUT(first && second, kWaitMs);
        QCOMPARE(first->size(), 1);
        QVERIFY2(first->first().result.ok(), describe(first->first().result).constData());
        QCOMPARE(second->size(), 1);
        QCOMPARE(second->first().requestId, id);
        QVERIFY(!second->first().result.ok());
        QCOMPARE(second->first().result.error().serviceCode, u"DecisionInProgress"_s);
        QCOMPARE(approvals->rowMessage(id), u"You approved it"_s);
        QTest::qWait(200);
        int patches = 0;
        for (const auto &v : m_emulator->state().value(u"httpRequests"_s).toArray())
            if (v.toObject().value(u"method"_s).toString() == u"PATCH")
                ++patches;
        QCOMPARE(patches, 1);
        QCOMPARE(emulatorRequest(id).value(u"decision"_s).toObject().value(u"result"_s).toString(),
                 u"Approved"_s);

        // Once the first is answered, the request can be decided again (and PIM says it is decided).
        const auto later = decide(approvals, {id}, false, u"changed my mind"_s);
        QVERIFY(later);
        QVERIFY(!later->first().result.ok());
        QCOMPARE(later->first().result.error().serviceCode, u"AlreadyDecided"_s);
    }

    /// The window is usually opened before anything waits (the tray keeps it): the columns must fit
    /// the rows that arrive later, not only the headers.
    void windowFitsColumnsToRowsThatArriveLater()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        Elevate::Ui::ApprovalsWindow w(megan->controller.get());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCOMPARE(w.model()->rowCount(), 0);
        QVERIFY(child<QLabel>(&w, "emptyLabel")->isVisible());
        QVERIFY(!child<QTableView>(&w, "approvalsView")->isVisible());

        const auto sent = request(*alex, kNetwork, 3600, u"BGP peering change"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(w.model()->rowCount(), 1);
        auto *view = child<QTableView>(&w, "approvalsView");
        QVERIFY(view->isVisible());
        QVERIFY(!child<QLabel>(&w, "emptyLabel")->isVisible());
        for (int col :
             {int(Elevate::Ui::ApprovalsModel::Requester), int(Elevate::Ui::ApprovalsModel::Target)}) {
            const QString text = w.model()->index(0, col).data().toString();
            QVERIFY2(view->columnWidth(col) >= view->fontMetrics().horizontalAdvance(text),
                     qPrintable(u"%1: %2 px for '%3'"_s.arg(col).arg(view->columnWidth(col)).arg(text)));
        }
    }

    void lapsedRequestLeavesTheQueue()
    {
        QVERIFY(startEmulator());
        auto alex = signedIn(kAlex);
        QVERIFY(alex);
        auto megan = signedIn(kMegan);
        QVERIFY(megan);
        const auto sent = request(*alex, kNetwork, 3600, u"weekend change"_s);
        QVERIFY2(sent && sent->ok(), describe(sent).constData());
        const QString id = sent->value().id;

        Elevate::Ui::ApprovalsWindow w(megan->controller.get());
        auto refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QCOMPARE(pendingIds(megan->controller->approvals()), QStringList {id});
        QCOMPARE(w.model()->rowCount(), 1);

        m_emulator->advanceClock(24 * 3600 + 60);
        refreshed = refresh(megan->controller->approvals());
        QVERIFY2(refreshed && refreshed->ok(), describe(refreshed).constData());
        QVERIFY(megan->controller->approvals()->pending().isEmpty());
        QCOMPARE(w.model()->rowCount(), 0);
        QCOMPARE(emulatorRequest(id).value(u"status"_s).toString(), u"TimedOut"_s);

        // Deciding it anyway (a stale window) says so and sends nothing.
        const auto late = decide(megan->controller->approvals(), {id}, true, u"sorry, late"_s);
        QVERIFY(late);
        QVERIFY(!late->first().result.ok());
        QCOMPARE(acceptedDecisions(), 0);
    }
};

QTEST_MAIN(TestApprovals)
#include "tst_approvals.moc"

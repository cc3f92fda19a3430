// SPDX-License-Identifier: GPL-3.0-or-later
// Eligibilities across several Graph pages from the in-process emulator, after a real sign-in.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/graphclient.h"
#include "net/httpclient.h"
#include "support/testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

using namespace Elevate;

Q_DECLARE_METATYPE(Elevate::Core::Result<Elevate::Core::Account>)

namespace {
// Groups of the demo scenario that alex is eligible for.
const QString kAdmin = QStringLiteral("0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b");
const QString kReadOnly = QStringLiteral("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
const QString kPowerUser = QStringLiteral("3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f");

/// The demo scenario with `change` applied to its JSON.
QByteArray demoWith(const std::function<void(QJsonObject &)> &change)
{
    QJsonObject scenario = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
    change(scenario);
    return QJsonDocument(scenario).toJson(QJsonDocument::Compact);
}

void setSetting(QJsonObject &scenario, const QString &name, const QJsonValue &value)
{
    QJsonObject settings = scenario.value(QStringLiteral("settings")).toObject();
    settings.insert(name, value);
    scenario.insert(QStringLiteral("settings"), settings);
}

/// Adds `count` groups named AWS-<account>-Role<i> with an eligibility of alex for each.
QStringList addGroups(QJsonObject &scenario, int count)
{
    QJsonArray groups = scenario.value(QStringLiteral("groups")).toArray();
    QJsonArray eligibilities = scenario.value(QStringLiteral("eligibilities")).toArray();
    QStringList ids;
    for (int i = 0; i < count; ++i) {
        const QString id = QStringLiteral("00000000-0000-4000-8000-%1").arg(i, 12, 10, QLatin1Char('0'));
        groups.append(QJsonObject {{QStringLiteral("id"), id},
                                   {QStringLiteral("displayName"),
                                    QStringLiteral("AWS-%1-Role%2").arg(100000000000LL + i % 7).arg(i)}});
        eligibilities.append(QJsonObject {{QStringLiteral("user"), QStringLiteral("alex@contoso.example")},
                                          {QStringLiteral("group"), id}});
        ids << id;
    }
    scenario.insert(QStringLiteral("groups"), groups);
    scenario.insert(QStringLiteral("eligibilities"), eligibilities);
    return ids;
}

/// The display names of the scenario's groups, by id.
QHash<QString, QString> groupNames(const QByteArray &scenario)
{
    QHash<QString, QString> names;
    for (const auto &g : QJsonDocument::fromJson(scenario).object().value(QStringLiteral("groups")).toArray())
        names.insert(g.toObject().value(QStringLiteral("id")).toString(),
                     g.toObject().value(QStringLiteral("displayName")).toString());
    return names;
}

/// How many requests the emulator served with this method whose path contains `part`.
int served(const Emulator::Emulator &emulator, const QString &method, const QString &part)
{
    int n = 0;
    for (const auto &v : emulator.state().value(QStringLiteral("httpRequests")).toArray())
        if (v.toObject().value(QStringLiteral("method")).toString() == method
            && v.toObject().value(QStringLiteral("path")).toString().contains(part))
            ++n;
    return n;
}

/// A signed-in Graph client against an emulator (auto sign-in as `user`).
struct SignedIn
{
    QNetworkAccessManager nam;
    QNetworkAccessManager browser;
    Net::HttpClient http {&nam};
    Auth::InMemorySecretStore secrets;
    Core::SystemClock clock;
    std::unique_ptr<Auth::EntraSession> session;
    std::unique_ptr<Graph::GraphClient> graph;

    bool signIn(const Core::AppConfig &config)
    {
        browser.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        session = std::make_unique<Auth::EntraSession>(config, &http, &secrets, &clock);
        QObject::connect(session.get(), &Auth::EntraSession::browserUrlReady, session.get(),
                         [this](const QUrl &url) {
                             QNetworkReply *r = browser.get(QNetworkRequest(url));
                             QObject::connect(r, &QNetworkReply::finished, r, &QObject::deleteLater);
                         });
        QSignalSpy signedIn(session.get(), &Auth::EntraSession::signInFinished);
        session->signInInteractive();
        if (!signedIn.wait(15'000) || !signedIn.first().first().value<Core::Result<Core::Account>>().ok())
            return false;
        graph = std::make_unique<Graph::GraphClient>(QUrl(config.graphBaseUrl), config.graphResource, &http,
                                                     session.get());
        return true;
    }

    std::optional<Core::Result<QList<Core::Eligibility>>> list(QObject *context, int timeoutMs = 15'000)
    {
        std::optional<Core::Result<QList<Core::Eligibility>>> result;
        graph->listEligibilities(context, [&](Core::Result<QList<Core::Eligibility>> r) { result = r; });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, timeoutMs))
            return std::nullopt;
        return result;
    }
};

std::optional<Core::Eligibility> eligibilityOf(const QList<Core::Eligibility> &list, const QString &groupId)
{
    for (const auto &e : list)
        if (e.groupId == groupId)
            return e;
    return std::nullopt;
}
} // namespace

class TestEligibilities : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { qRegisterMetaType<Core::Result<Core::Account>>(); }

    void allPagesMatchTheScenario_data()
    {
        QTest::addColumn<QString>("user");
        QTest::addColumn<int>("pageSize");
        QTest::newRow("requester, pages of 2") << QStringLiteral("alex@contoso.example") << 2;
        QTest::newRow("requester, one page") << QStringLiteral("alex@contoso.example") << 100;
        QTest::newRow("approver, pages of 1") << QStringLiteral("megan@contoso.example") << 1;
    }
    void allPagesMatchTheScenario()
    {
        QFETCH(QString, user);
        QFETCH(int, pageSize);
        Emulator::Emulator emulator;
        QVERIFY(emulator.loadBuiltInScenario());
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(user);
        emulator.setPageSize(pageSize);
        const auto config = Core::AppConfig::fromJson(emulator.configJson()).value();

        QNetworkAccessManager nam;
        QNetworkAccessManager browser;
        browser.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        Auth::EntraSession session(config, &http, &secrets, &clock);
        connect(&session, &Auth::EntraSession::browserUrlReady, this, [&](const QUrl &url) {
            QNetworkReply *r = browser.get(QNetworkRequest(url));
            connect(r, &QNetworkReply::finished, r, &QObject::deleteLater);
        });
        QSignalSpy signedIn(&session, &Auth::EntraSession::signInFinished);
        session.signInInteractive();
        QVERIFY(signedIn.wait(15'000));
        QVERIFY(signedIn.first().first().value<Core::Result<Core::Account>>().ok());

        Graph::GraphClient graph(QUrl(config.graphBaseUrl), config.graphResource, &http, &session);
        std::optional<Core::Result<QList<Core::Eligibility>>> result;
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { result = r; });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 15'000);
        QVERIFY2(result->ok(), qPrintable(result->ok() ? QString() : result->error().message));

        // Exactly the scenario's eligibilities of this user: same ids, groups, access, times.
        QMap<QString, QJsonObject> expected;
        for (const auto &v : emulator.state().value(QStringLiteral("eligibilities")).toArray())
            if (v.toObject().value(QStringLiteral("user")).toString() == user)
                expected.insert(v.toObject().value(QStringLiteral("id")).toString(), v.toObject());
        QCOMPARE(result->value().size(), expected.size());
        for (const Core::Eligibility &e : result->value()) {
            QVERIFY2(expected.contains(e.id), qPrintable(e.id));
            const QJsonObject x = expected.value(e.id);
            QCOMPARE(e.groupId, x.value(QStringLiteral("groupId")).toString());
            QCOMPARE(e.groupDisplayName, x.value(QStringLiteral("groupDisplayName")).toString());
            QCOMPARE(Core::accessIdOf(e.access), x.value(QStringLiteral("accessId")).toString());
            QCOMPARE(e.memberType, x.value(QStringLiteral("memberType")).toString().toLower());
            QCOMPARE(e.end.isValid(), !x.value(QStringLiteral("endDateTime")).isNull());
            QCOMPARE(e.start.toSecsSinceEpoch(),
                     QDateTime::fromString(x.value(QStringLiteral("startDateTime")).toString(), Qt::ISODate)
                         .toSecsSinceEpoch());
        }
        // The demo's requester has targets in three accounts and one group that does not map.
        if (user == u"alex@contoso.example") {
            const auto targets = Core::TargetMapper(config.mapping).mapAll(result->value());
            QSet<QString> accounts;
            int unmapped = 0;
            for (const auto &t : targets) {
                if (t.aws)
                    accounts.insert(t.aws->accountId);
                else
                    ++unmapped;
            }
            QVERIFY(targets.size() >= 8);
            QCOMPARE(accounts.size(), 3);
            QCOMPARE(unmapped, 1);
        }
    }

    void aNullGroupIsLookedUpWithOnePlainGet()
    {
        Emulator::Emulator emulator;
        const QByteArray scenario = demoWith(
            [](QJsonObject &s) { setSetting(s, QStringLiteral("groupExpandNull"), QJsonArray {kAdmin}); });
        QVERIFY(emulator.loadScenario(scenario));
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        SignedIn client;
        QVERIFY(client.signIn(Core::AppConfig::fromJson(emulator.configJson()).value()));
        const auto result = client.list(this);
        QVERIFY2(result && result->ok(), Test::describe(result).constData());
        const auto admin = eligibilityOf(result->value(), kAdmin);
        QVERIFY(admin);
        QCOMPARE(admin->groupDisplayName, QStringLiteral("AWS-123456789012-AdministratorAccess"));
        QCOMPARE(admin->groupDescription,
                 QStringLiteral("aws-account=123456789012;permission-set=AdministratorAccess"));
        QCOMPARE(served(emulator, QStringLiteral("GET"), u"/groups/" + kAdmin), 1);
        QCOMPARE(served(emulator, QStringLiteral("POST"), QStringLiteral("$batch")), 0);
        // Every other group came expanded: nothing else was looked up.
        QCOMPARE(served(emulator, QStringLiteral("GET"), QStringLiteral("/groups/")), 1);
    }

    void severalNullGroupsAreBatchedTwentyAtATime_data()
    {
        QTest::addColumn<int>("extraGroups");
        QTest::addColumn<int>("batches");
        QTest::newRow("the demo's groups: one batch") << 0 << 1;
        QTest::newRow("more than 20: two batches") << 16 << 2; // the demo's alex has 9 + 16 = 25
    }
    void severalNullGroupsAreBatchedTwentyAtATime()
    {
        QFETCH(int, extraGroups);
        QFETCH(int, batches);
        Emulator::Emulator emulator;
        QStringList allNull;
        const QByteArray scenario = demoWith([&](QJsonObject &s) {
            addGroups(s, extraGroups);
            for (const auto &g : s.value(QStringLiteral("groups")).toArray())
                allNull << g.toObject().value(QStringLiteral("id")).toString();
            setSetting(s, QStringLiteral("groupExpandNull"), QJsonArray::fromStringList(allNull));
        });
        QVERIFY(emulator.loadScenario(scenario));
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        SignedIn client;
        QVERIFY(client.signIn(Core::AppConfig::fromJson(emulator.configJson()).value()));
        const auto result = client.list(this);
        QVERIFY2(result && result->ok(), Test::describe(result).constData());
        QSet<QString> groups;
        const auto names = groupNames(scenario);
        for (const auto &e : result->value()) {
            QCOMPARE(e.groupDisplayName, names.value(e.groupId));
            groups.insert(e.groupId);
        }
        QVERIFY(groups.size() > 1);
        QCOMPARE(served(emulator, QStringLiteral("POST"), QStringLiteral("/$batch")), batches);
        QCOMPARE(served(emulator, QStringLiteral("GET"), QStringLiteral("/groups/")), 0);
        if (extraGroups > 0)
            QVERIFY(groups.size() > Graph::GraphClient::kMaxBatchSteps);
    }

    void aGroupGraphWillNotShowKeepsItsEligibility()
    {
        // Null in $expand for three groups; then one is gone (404) and one is hidden (403) in the batch.
        Emulator::Emulator emulator;
        const QByteArray scenario = demoWith([](QJsonObject &s) {
            setSetting(s, QStringLiteral("groupExpandNull"), QJsonArray {kAdmin, kReadOnly, kPowerUser});
        });
        QVERIFY(emulator.loadScenario(scenario));
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        SignedIn client;
        const auto config = Core::AppConfig::fromJson(emulator.configJson()).value();
        QVERIFY(client.signIn(config));
        QNetworkAccessManager admin;
        auto fault = [&](const QString &groupId, int status) {
            QNetworkRequest req(QUrl(emulator.baseUrl().toString() + QStringLiteral("/_emulator/faults")));
            req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
            QNetworkReply *r = admin.post(
                req,
                QStringLiteral(R"({"path": "/groups/%1", "status": %2})").arg(groupId).arg(status).toUtf8());
            if (!QTest::qWaitFor([r] { return r->isFinished(); }, 5000))
                return 0;
            const int code = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            r->deleteLater();
            return code;
        };
        QCOMPARE(fault(kAdmin, 404), 201);
        QCOMPARE(fault(kReadOnly, 403), 201);
        const auto result = client.list(this);
        QVERIFY2(result && result->ok(), Test::describe(result).constData());
        const auto gone = eligibilityOf(result->value(), kAdmin);
        const auto hidden = eligibilityOf(result->value(), kReadOnly);
        const auto named = eligibilityOf(result->value(), kPowerUser);
        QVERIFY(gone && hidden && named);
        QVERIFY(gone->groupDisplayName.isEmpty());
        QVERIFY(hidden->groupDisplayName.isEmpty());
        QCOMPARE(named->groupDisplayName, QStringLiteral("AWS-210987654321-PowerUserAccess"));
        // Shown by their id, as targets that map to nothing (the naming rule needs the name).
        const auto targets = Core::TargetMapper(config.mapping).mapAll(result->value());
        QStringList unmappedKeys;
        for (const auto &t : targets)
            if (!t.isMapped())
                unmappedKeys << t.key();
        QVERIFY2(unmappedKeys.contains(kAdmin) && unmappedKeys.contains(kReadOnly),
                 qPrintable(unmappedKeys.join(u',')));

        // The same with one group alone (a plain GET): 404 keeps it too.
        QCOMPARE(fault(kAdmin, 404), 201);
        QVERIFY(emulator.loadScenario(demoWith(
            [](QJsonObject &s) { setSetting(s, QStringLiteral("groupExpandNull"), QJsonArray {kAdmin}); })));
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        SignedIn again;
        QVERIFY(again.signIn(config));
        QCOMPARE(fault(kAdmin, 404), 201);
        const auto single = again.list(this);
        QVERIFY2(single && single->ok(), Test::describe(single).constData());
        QVERIFY(eligibilityOf(single->value(), kAdmin));
        QVERIFY(eligibilityOf(single->value(), kAdmin)->groupDisplayName.isEmpty());
        QCOMPARE(served(emulator, QStringLiteral("GET"), u"/groups/" + kAdmin), 1);
    }

    void aThrottledBatchStepIsAskedAgainAfterItsRetryAfter()
    {
        Emulator::Emulator emulator;
        const QByteArray scenario = demoWith([](QJsonObject &s) {
            setSetting(s, QStringLiteral("groupExpandNull"), QJsonArray {kAdmin, kReadOnly, kPowerUser});
        });
        QVERIFY(emulator.loadScenario(scenario));
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        SignedIn client;
        QVERIFY(client.signIn(Core::AppConfig::fromJson(emulator.configJson()).value()));
        QNetworkAccessManager admin;
        QNetworkRequest req(QUrl(emulator.baseUrl().toString() + QStringLiteral("/_emulator/faults")));
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        QNetworkReply *r
            = admin.post(req,
                         QStringLiteral(R"({"path": "/groups/%1", "status": 429, "retryAfter": "1"})")
                             .arg(kReadOnly)
                             .toUtf8());
        QVERIFY(QTest::qWaitFor([r] { return r->isFinished(); }, 5000));
        QCOMPARE(r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 201);
        r->deleteLater();
        QSignalSpy throttled(client.graph.get(), &Graph::GraphClient::throttled);
        const QDateTime before = QDateTime::currentDateTimeUtc();
        const auto result = client.list(this);
        QVERIFY2(result && result->ok(), Test::describe(result).constData());
        for (const QString &id : {kAdmin, kReadOnly, kPowerUser})
            QCOMPARE(eligibilityOf(result->value(), id)->groupDisplayName, groupNames(scenario).value(id));
        // One batch, then the throttled group alone, not before its Retry-After.
        QCOMPARE(served(emulator, QStringLiteral("POST"), QStringLiteral("/$batch")), 1);
        QCOMPARE(served(emulator, QStringLiteral("GET"), u"/groups/" + kReadOnly), 1);
        QCOMPARE(throttled.size(), 1);
        QVERIFY(throttled.first().first().toDateTime() >= before.addSecs(1));
    }

    void aGroupReachedTwoWaysIsOneTarget()
    {
        // alex is eligible for the admin group directly and through the ReadOnly group, and for the
        // PowerUser group only through the ReadOnly group (twice: member and owner).
        Emulator::Emulator emulator;
        const QByteArray scenario = demoWith([](QJsonObject &s) {
            QJsonArray eligibilities = s.value(QStringLiteral("eligibilities")).toArray();
            QJsonArray kept;
            for (const auto &e : eligibilities)
                if (e.toObject().value(QStringLiteral("group")).toString() != kPowerUser
                    && e.toObject().value(QStringLiteral("group")).toString()
                        != QStringLiteral("AWS-210987654321-PowerUserAccess"))
                    kept.append(e);
            auto via = [](const QString &group, const QString &access) {
                return QJsonObject {{QStringLiteral("user"), QStringLiteral("alex@contoso.example")},
                                    {QStringLiteral("group"), group},
                                    {QStringLiteral("accessId"), access},
                                    {QStringLiteral("memberType"), QStringLiteral("Group")},
                                    {QStringLiteral("viaGroup"), kReadOnly}};
            };
            kept.append(via(kAdmin, QStringLiteral("member")));
            kept.append(via(kPowerUser, QStringLiteral("member")));
            kept.append(via(kPowerUser, QStringLiteral("owner")));
            s.insert(QStringLiteral("eligibilities"), kept);
        });
        QString why;
        QVERIFY2(emulator.loadScenario(scenario, &why), qPrintable(why));
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        SignedIn client;
        const auto config = Core::AppConfig::fromJson(emulator.configJson()).value();
        QVERIFY(client.signIn(config));
        const auto result = client.list(this);
        QVERIFY2(result && result->ok(), Test::describe(result).constData());
        int adminInstances = 0;
        for (const auto &e : result->value())
            adminInstances += e.groupId == kAdmin && e.access == Core::AccessKind::Member;
        QCOMPARE(adminInstances, 2); // Graph lists both paths

        const auto targets = Core::TargetMapper(config.mapping).mapAll(result->value());
        QStringList keys;
        for (const auto &t : targets) {
            const QString key = t.eligibility.groupId + u':' + Core::accessIdOf(t.eligibility.access);
            QVERIFY2(!keys.contains(key), qPrintable(key));
            keys << key;
            if (t.eligibility.groupId == kAdmin && t.eligibility.access == Core::AccessKind::Member)
                QCOMPARE(t.eligibility.memberType, QStringLiteral("direct")); // the direct one wins
            if (t.eligibility.groupId == kPowerUser)
                QCOMPARE(t.eligibility.memberType, QStringLiteral("group"));
        }
        QVERIFY(keys.contains(kPowerUser + QStringLiteral(":member")));
        QVERIFY(keys.contains(kPowerUser + QStringLiteral(":owner")));
    }

    void aThousandEligibilitiesInPagesOfThree()
    {
        Emulator::Emulator emulator;
        QStringList added;
        const QByteArray scenario = demoWith([&](QJsonObject &s) { added = addGroups(s, 1000); });
        QVERIFY(emulator.loadScenario(scenario));
        QVERIFY(emulator.listen());
        emulator.setAutoSignIn(QStringLiteral("alex@contoso.example"));
        emulator.setPageSize(3);
        SignedIn client;
        const auto config = Core::AppConfig::fromJson(emulator.configJson()).value();
        QVERIFY(client.signIn(config));
        const auto result = client.list(this, 120'000);
        QVERIFY2(result && result->ok(), Test::describe(result).constData());
        int expected = 0;
        for (const auto &v : emulator.state().value(QStringLiteral("eligibilities")).toArray())
            expected += v.toObject().value(QStringLiteral("user")).toString() == u"alex@contoso.example";
        QVERIFY(expected > 1000);
        QCOMPARE(result->value().size(), expected);
        QSet<QString> ids;
        for (const auto &e : result->value())
            ids.insert(e.id);
        QCOMPARE(ids.size(), expected); // no page read twice
        for (const QString &g : added)
            QVERIFY2(eligibilityOf(result->value(), g), qPrintable(g));
        // Far more than 100 pages went by.
        QVERIFY(served(emulator, QStringLiteral("GET"), QStringLiteral("eligibilityScheduleInstances"))
                >= expected / 3);
        QCOMPARE(Core::TargetMapper(config.mapping).mapAll(result->value()).size(), expected);
    }

    void notSignedInIsAnErrorNotAHang()
    {
        Emulator::Emulator emulator;
        QVERIFY(emulator.loadBuiltInScenario());
        QVERIFY(emulator.listen());
        const auto config = Core::AppConfig::fromJson(emulator.configJson()).value();
        QNetworkAccessManager nam;
        Net::HttpClient http(&nam);
        Auth::InMemorySecretStore secrets;
        Core::SystemClock clock;
        Auth::EntraSession session(config, &http, &secrets, &clock);
        Graph::GraphClient graph(QUrl(config.graphBaseUrl), config.graphResource, &http, &session);
        std::optional<Core::Result<QList<Core::Eligibility>>> result;
        graph.listEligibilities(this, [&](Core::Result<QList<Core::Eligibility>> r) { result = r; });
        QTRY_VERIFY(result.has_value());
        QCOMPARE(result->error().kind, Core::Error::Kind::NotSignedIn);
    }
};

QTEST_GUILESS_MAIN(TestEligibilities)
#include "tst_eligibilities.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Generated scenarios (generate.h): the counts a spec asks for, a scenario the emulator loads and
// serves through Graph, the same bytes for the same spec, every bad spec refused with its key named,
// and the program's --generate-scenario and --write-scenario.

#include "emulator/emulator.h"
#include "emulator/generate.h"
#include "emulatorhttp.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>
#include <QUuid>

#include <algorithm>
#include <functional>

using namespace Elevate;

namespace {
using Reply = Test::EmulatorReply;

const QString kAlex = QStringLiteral("alex@contoso.example");
const QByteArray kVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const QByteArray kChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const QString kScope
    = QStringLiteral("openid profile offline_access https://graph.microsoft.com/User.Read "
                     "https://graph.microsoft.com/PrivilegedEligibilitySchedule.Read.AzureADGroup");
const QString kRedirect = QStringLiteral("http://localhost:5000/");

QJsonObject generated(const QString &spec)
{
    const Emulator::GeneratedScenario g = Emulator::generateScenario(spec);
    if (!g.ok())
        qWarning("%s: %s", qPrintable(spec), qPrintable(g.error));
    return QJsonDocument::fromJson(g.json).object();
}

QJsonArray list(const QJsonObject &o, const QString &key)
{
    return o.value(key).toArray();
}

int countWhere(const QJsonArray &a, const std::function<bool(const QJsonObject &)> &pred)
{
    int n = 0;
    for (const auto &v : a)
        n += pred(v.toObject());
    return n;
}
} // namespace

class TestEmulatorGenerate : public QObject
{
    Q_OBJECT
    QNetworkAccessManager m_nam;

    Reply send(const QByteArray &method, const QUrl &url, const QByteArray &body = {},
               const QList<QPair<QByteArray, QByteArray>> &headers = {})
    {
        return Test::sendToEmulator(m_nam, method, url, body, headers,
                                    QByteArray("application/x-www-form-urlencoded"));
    }

    /// An access token for the auto-signed-in user, by the authorization-code flow with PKCE.
    QString accessToken(Emulator::Emulator &emu)
    {
        const QString base = emu.baseUrl().toString() + u'/' + emu.tenantId();
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("client_id"), emu.clientId());
        q.addQueryItem(QStringLiteral("response_type"), QStringLiteral("code"));
        q.addQueryItem(QStringLiteral("redirect_uri"),
                       QString::fromLatin1(QUrl::toPercentEncoding(kRedirect)));
        q.addQueryItem(QStringLiteral("scope"), QString::fromLatin1(QUrl::toPercentEncoding(kScope)));
        q.addQueryItem(QStringLiteral("state"), QStringLiteral("s1"));
        q.addQueryItem(QStringLiteral("code_challenge"), QString::fromLatin1(kChallenge));
        q.addQueryItem(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
        QUrl authorize(base + QStringLiteral("/oauth2/v2.0/authorize"));
        authorize.setQuery(q);
        const Reply r = send("GET", authorize);
        const QString code = QUrlQuery(r.location).queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        const QByteArray body = "client_id=" + emu.clientId().toLatin1()
            + "&grant_type=authorization_code&code=" + QUrl::toPercentEncoding(code)
            + "&redirect_uri=" + QUrl::toPercentEncoding(kRedirect) + "&code_verifier=" + kVerifier
            + "&scope=" + QUrl::toPercentEncoding(kScope);
        return send("POST", QUrl(base + QStringLiteral("/oauth2/v2.0/token")), body)
            .json()
            .value(QStringLiteral("access_token"))
            .toString();
    }

    /// The ids and group names of every eligibility Graph lists for the signed-in user, page by page.
    QHash<QString, QString> graphEligibilities(Emulator::Emulator &emu, int *pages)
    {
        const QString at = accessToken(emu);
        if (at.isEmpty())
            return {};
        const QList<QPair<QByteArray, QByteArray>> auth {{"Authorization", "Bearer " + at.toLatin1()}};
        QUrl next(emu.baseUrl().toString()
                  + QStringLiteral("/graph/v1.0/identityGovernance/privilegedAccess/group/"
                                   "eligibilityScheduleInstances/filterByCurrentUser(on=%27principal%27)"));
        next.setQuery(QStringLiteral("%24expand=group"));
        QHash<QString, QString> out;
        *pages = 0;
        while (next.isValid() && *pages < 1000) {
            const Reply page = send("GET", next, {}, auth);
            if (page.status != 200)
                return {};
            for (const auto &v : page.json().value(QStringLiteral("value")).toArray())
                out.insert(v.toObject().value(QStringLiteral("id")).toString(),
                           v.toObject()
                               .value(QStringLiteral("group"))
                               .toObject()
                               .value(QStringLiteral("displayName"))
                               .toString());
            next = QUrl(page.json().value(QStringLiteral("@odata.nextLink")).toString());
            ++*pages;
        }
        return out;
    }

private Q_SLOTS:
    void counts_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<int>("eligibilities");
        QTest::addColumn<int>("accounts");
        QTest::addColumn<int>("approvers");
        QTest::addColumn<int>("users");
        QTest::addColumn<int>("assignments");
        // users 1 + approvers + requesters; eligibilities N + 3 per requester (fewer when N < 3);
        // a policy per group, every third (k = 0, 3, ...) with approval when there are approvers.
        QTest::newRow("defaults") << QStringLiteral("eligibilities=25,accounts=7") << 25 << 7 << 2 << 1 << 0;
        QTest::newRow("everything") << QStringLiteral(
            "eligibilities=25,accounts=7,approvers=3,users=4,assignments=5")
                                    << 25 << 7 << 3 << 4 << 5;
        QTest::newRow("one of each") << QStringLiteral("eligibilities=1,accounts=1,approvers=0,users=1") << 1
                                     << 1 << 0 << 1 << 0;
        QTest::newRow("one full account")
            << QStringLiteral("eligibilities=10,accounts=1,approvers=1,users=3") << 10 << 1 << 1 << 3 << 0;
        QTest::newRow("fewer groups than three")
            << QStringLiteral("users=2,eligibilities=2,accounts=5,assignments=5") << 2 << 5 << 2 << 2 << 5;
        QTest::newRow("spaces") << QStringLiteral(" eligibilities = 40 , accounts=4 ") << 40 << 4 << 2 << 1
                                << 0;
    }
    void counts()
    {
        QFETCH(QString, spec);
        QFETCH(int, eligibilities);
        QFETCH(int, accounts);
        QFETCH(int, approvers);
        QFETCH(int, users);
        QFETCH(int, assignments);
        const Emulator::GeneratedScenario g = Emulator::generateScenario(spec);
        QVERIFY2(g.ok(), qPrintable(g.error));
        QVERIFY(!g.json.isEmpty());
        QJsonParseError parseError;
        const QJsonObject s = QJsonDocument::fromJson(g.json, &parseError).object();
        QCOMPARE(parseError.error, QJsonParseError::NoError);

        // The demo's tenant, app and first user, so configurations written for the demo still work.
        const QJsonObject demo = QJsonDocument::fromJson(Emulator::Emulator::builtInScenario()).object();
        QCOMPARE(s.value(QStringLiteral("tenant")), demo.value(QStringLiteral("tenant")));
        QCOMPARE(s.value(QStringLiteral("app")), demo.value(QStringLiteral("app")));
        QCOMPARE(s.value(QStringLiteral("applications")), demo.value(QStringLiteral("applications")));
        QCOMPARE(list(s, QStringLiteral("users")).first(), list(demo, QStringLiteral("users")).first());

        const QJsonArray userList = list(s, QStringLiteral("users"));
        QCOMPARE(userList.size(), 1 + approvers + (users - 1));
        QSet<QString> upns, userIds;
        for (const auto &u : userList) {
            upns.insert(u.toObject().value(QStringLiteral("userPrincipalName")).toString());
            userIds.insert(u.toObject().value(QStringLiteral("id")).toString());
        }
        QCOMPARE(upns.size(), userList.size());
        QCOMPARE(userIds.size(), userList.size());

        // Accounts: distinct 12-digit ids, "Generated NNNN".
        const QJsonArray accountList = list(s, QStringLiteral("awsAccounts"));
        QCOMPARE(accountList.size(), accounts);
        QStringList accountIds;
        for (int i = 0; i < accountList.size(); ++i) {
            const QJsonObject a = accountList.at(i).toObject();
            accountIds << a.value(QStringLiteral("id")).toString();
            QVERIFY2(QRegularExpression(QStringLiteral("^\\d{12}$")).match(accountIds.last()).hasMatch(),
                     qPrintable(accountIds.last()));
            QCOMPARE(a.value(QStringLiteral("name")).toString(),
                     QStringLiteral("Generated %1").arg(i + 1, 4, 10, QLatin1Char('0')));
        }
        QCOMPARE(QSet<QString>(accountIds.cbegin(), accountIds.cend()).size(), accounts);

        // Groups: one per eligibility of the first user, named by the mapping rule, in listed sets.
        QSet<QString> setNames;
        const QJsonArray sets
            = s.value(QStringLiteral("aws")).toObject().value(QStringLiteral("permissionSets")).toArray();
        for (const auto &p : sets)
            setNames.insert(p.toObject().value(QStringLiteral("name")).toString());
        QVERIFY(sets.size() >= 8 && sets.size() <= 10);
        QCOMPARE(setNames.size(), sets.size());
        QVERIFY(setNames.contains(QStringLiteral("AdministratorAccess")));
        const QJsonArray groupList = list(s, QStringLiteral("groups"));
        QCOMPARE(groupList.size(), eligibilities);
        QSet<QString> groupNames, groupIds, groupAccounts;
        const QRegularExpression mapping(QStringLiteral("^AWS-(\\d{12})-(.+)$"));
        for (const auto &v : groupList) {
            const QString name = v.toObject().value(QStringLiteral("displayName")).toString();
            const QRegularExpressionMatch m = mapping.match(name);
            QVERIFY2(m.hasMatch(), qPrintable(name));
            QVERIFY2(accountIds.contains(m.captured(1)), qPrintable(name));
            QVERIFY2(setNames.contains(m.captured(2)), qPrintable(name));
            groupAccounts.insert(m.captured(1));
            groupNames.insert(name);
            groupIds.insert(v.toObject().value(QStringLiteral("id")).toString());
            QVERIFY(!QUuid::fromString(v.toObject().value(QStringLiteral("id")).toString()).isNull());
        }
        QCOMPARE(groupNames.size(), eligibilities);
        QCOMPARE(groupIds.size(), eligibilities);
        QCOMPARE(groupAccounts.size(), qMin(eligibilities, accounts)); // spread over the accounts

        // Eligibilities: N for the first user, three (or N) for every other requester, none for approvers.
        const QJsonArray eligibilityList = list(s, QStringLiteral("eligibilities"));
        const int perRequester = qMin(3, eligibilities);
        QCOMPARE(eligibilityList.size(), eligibilities + (users - 1) * perRequester);
        QCOMPARE(countWhere(eligibilityList,
                            [](const QJsonObject &e) {
                                return e.value(QStringLiteral("user")).toString() == kAlex;
                            }),
                 eligibilities);
        for (const auto &v : eligibilityList) {
            const QString user = v.toObject().value(QStringLiteral("user")).toString();
            QVERIFY2(upns.contains(user) && !user.startsWith(QStringLiteral("approver")), qPrintable(user));
            QVERIFY(groupNames.contains(v.toObject().value(QStringLiteral("group")).toString()));
        }

        // Policies: one per group; every third needs approval by one or two approvers, the others a
        // justification or a ticket; durations PT1H to PT8H and not all the same.
        const QJsonArray policyList = list(s, QStringLiteral("policies"));
        QCOMPARE(policyList.size(), eligibilities);
        const int approvals = countWhere(
            policyList, [](const QJsonObject &p) { return p.value(QStringLiteral("approval")).toBool(); });
        QCOMPARE(approvals, approvers > 0 ? (eligibilities + 2) / 3 : 0);
        QSet<QString> durations;
        for (const auto &v : policyList) {
            const QJsonObject p = v.toObject();
            QVERIFY(groupNames.contains(p.value(QStringLiteral("group")).toString()));
            const QString d = p.value(QStringLiteral("maximumDuration")).toString();
            durations.insert(d);
            QVERIFY2(QRegularExpression(QStringLiteral("^PT[1-8]H$")).match(d).hasMatch(), qPrintable(d));
            const QJsonArray who = p.value(QStringLiteral("approvers")).toArray();
            if (p.value(QStringLiteral("approval")).toBool()) {
                QVERIFY(who.size() == 1 || who.size() == 2);
                for (const auto &a : who)
                    QVERIFY(a.toString().startsWith(QStringLiteral("approver"))
                            && upns.contains(a.toString()));
            } else {
                QVERIFY(who.isEmpty());
                QVERIFY(p.value(QStringLiteral("justification")).toBool()
                        || p.value(QStringLiteral("ticket")).toBool());
            }
        }
        QCOMPARE(durations.size(), qMin(eligibilities, 5));

        // Direct assignments: the first user, one in each of the first A accounts.
        const QJsonArray assignmentList
            = s.value(QStringLiteral("aws")).toObject().value(QStringLiteral("assignments")).toArray();
        QCOMPARE(assignmentList.size(), assignments);
        for (int i = 0; i < assignmentList.size(); ++i) {
            const QJsonObject a = assignmentList.at(i).toObject();
            QCOMPARE(a.value(QStringLiteral("user")).toString(), kAlex);
            QCOMPARE(a.value(QStringLiteral("accountId")).toString(), accountIds.at(i));
            QVERIFY(setNames.contains(a.value(QStringLiteral("roleName")).toString()));
        }
        // Neither pageSize nor portalRate given: the demo's.
        QCOMPARE(s.value(QStringLiteral("settings")), demo.value(QStringLiteral("settings")));
        QCOMPARE(s.value(QStringLiteral("aws")).toObject().value(QStringLiteral("portalRateLimit")),
                 demo.value(QStringLiteral("aws")).toObject().value(QStringLiteral("portalRateLimit")));

        // It loads, and the emulator holds what the file says.
        Emulator::Emulator emu;
        QString error;
        QVERIFY2(emu.loadScenario(g.json, &error), qPrintable(error));
        const QJsonObject state = emu.state();
        QCOMPARE(state.value(QStringLiteral("users")).toArray().size(), userList.size());
        const QJsonArray stateEligibilities = state.value(QStringLiteral("eligibilities")).toArray();
        QCOMPARE(stateEligibilities.size(), eligibilityList.size());
        QCOMPARE(countWhere(stateEligibilities,
                            [](const QJsonObject &e) {
                                return e.value(QStringLiteral("user")).toString() == kAlex;
                            }),
                 eligibilities);
        QSet<QString> eligibilityIds;
        for (const auto &e : stateEligibilities)
            eligibilityIds.insert(e.toObject().value(QStringLiteral("id")).toString());
        QCOMPARE(eligibilityIds.size(), stateEligibilities.size()); // no pair twice
        const QJsonArray stateAssignments
            = state.value(QStringLiteral("aws")).toObject().value(QStringLiteral("assignments")).toArray();
        QCOMPARE(stateAssignments.size(), assignments);
    }

    void pageSizeAndPortalRate()
    {
        const QJsonObject s
            = generated(QStringLiteral("eligibilities=5,accounts=2,pageSize=999,portalRate=7"));
        QCOMPARE(
            s.value(QStringLiteral("settings")).toObject().value(QStringLiteral("graphPageSize")).toInt(),
            999);
        const QJsonObject rate
            = s.value(QStringLiteral("aws")).toObject().value(QStringLiteral("portalRateLimit")).toObject();
        QCOMPARE(rate.value(QStringLiteral("requests")).toInt(), 7);
        QCOMPARE(rate.value(QStringLiteral("perSeconds")).toInt(), 1);
        Emulator::Emulator emu;
        QString error;
        QVERIFY2(emu.loadScenario(QJsonDocument(s).toJson(), &error), qPrintable(error));
    }

    void graphListsTheFirstUsersEligibilities()
    {
        // A large one, generated and loaded in well under the test's time, then read through Graph.
        QElapsedTimer timer;
        timer.start();
        const Emulator::GeneratedScenario g = Emulator::generateScenario(
            QStringLiteral("eligibilities=1000,accounts=100,users=50,pageSize=100"));
        QVERIFY2(g.ok(), qPrintable(g.error));
        Emulator::Emulator emu;
        QString error;
        QVERIFY2(emu.loadScenario(g.json, &error), qPrintable(error));
        const qint64 ms = timer.elapsed();
        qInfo("eligibilities=1000,accounts=100: %lld bytes generated and loaded in %lld ms",
              qint64(g.json.size()), ms);
        QVERIFY2(ms < 10'000, qPrintable(QString::number(ms)));

        QVERIFY(emu.listen());
        emu.setAutoSignIn(kAlex);
        int pages = 0;
        const QHash<QString, QString> seen = graphEligibilities(emu, &pages);
        QCOMPARE(seen.size(), 1000);
        QCOMPARE(pages, 10);
        QSet<QString> names;
        for (const QString &name : seen)
            names.insert(name);
        QCOMPARE(names.size(), 1000);
        QVERIFY(std::all_of(names.cbegin(), names.cend(),
                            [](const QString &n) { return n.startsWith(QStringLiteral("AWS-")); }));

        // A requester sees their own three.
        emu.setAutoSignIn(QStringLiteral("user0049@contoso.example"));
        QCOMPARE(graphEligibilities(emu, &pages).size(), 3);
    }

    void deterministic()
    {
        const QString spec
            = QStringLiteral("eligibilities=300,accounts=40,approvers=5,users=7,assignments=12");
        const Emulator::GeneratedScenario a = Emulator::generateScenario(spec);
        const Emulator::GeneratedScenario b = Emulator::generateScenario(spec);
        QVERIFY(a.ok());
        QCOMPARE(a.json, b.json);
        // The keys' order does not matter; every value does.
        QCOMPARE(Emulator::generateScenario(
                     QStringLiteral("assignments=12,users=7,approvers=5,accounts=40,eligibilities=300"))
                     .json,
                 a.json);
        QCOMPARE(
            Emulator::generateScenario(QStringLiteral("eligibilities=300,accounts=40")).json,
            Emulator::generateScenario(QStringLiteral("eligibilities=300,accounts=40,approvers=2,users=1"))
                .json);
        const QStringList others {
            QStringLiteral("eligibilities=301,accounts=40,approvers=5,users=7,assignments=12"),
            QStringLiteral("eligibilities=300,accounts=41,approvers=5,users=7,assignments=12"),
            QStringLiteral("eligibilities=300,accounts=40,approvers=4,users=7,assignments=12"),
            QStringLiteral("eligibilities=300,accounts=40,approvers=5,users=8,assignments=12"),
            QStringLiteral("eligibilities=300,accounts=40,approvers=5,users=7,assignments=11"),
            QStringLiteral("eligibilities=300,accounts=40,approvers=5,users=7,assignments=12,pageSize=50"),
            QStringLiteral("eligibilities=300,accounts=40,approvers=5,users=7,assignments=12,portalRate=5"),
        };
        QSet<QByteArray> all {a.json};
        for (const QString &o : others) {
            const Emulator::GeneratedScenario g = Emulator::generateScenario(o);
            QVERIFY2(g.ok(), qPrintable(g.error));
            all.insert(g.json);
        }
        QCOMPARE(all.size(), others.size() + 1);
        // Account ids depend on the index alone: a bigger scenario starts with the smaller one's.
        const QJsonArray small
            = list(generated(QStringLiteral("eligibilities=1,accounts=3")), QStringLiteral("awsAccounts"));
        const QJsonArray big
            = list(generated(QStringLiteral("eligibilities=1,accounts=30")), QStringLiteral("awsAccounts"));
        QCOMPARE(big.size(), 30);
        for (int i = 0; i < small.size(); ++i)
            QCOMPARE(big.at(i), small.at(i));
    }

    void badSpecs_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<QString>("named"); // what the sentence must contain
        QTest::newRow("empty") << QString() << QStringLiteral("eligibilities");
        QTest::newRow("blank") << QStringLiteral("  ") << QStringLiteral("eligibilities");
        QTest::newRow("unknown key") << QStringLiteral("eligibilities=3,accounts=5,colour=5")
                                     << QStringLiteral("'colour'");
        QTest::newRow("wrong case") << QStringLiteral("eligibilities=3,accounts=5,pagesize=5")
                                    << QStringLiteral("'pagesize'");
        QTest::newRow("missing eligibilities")
            << QStringLiteral("accounts=5") << QStringLiteral("eligibilities is required");
        QTest::newRow("missing accounts")
            << QStringLiteral("eligibilities=5") << QStringLiteral("accounts is required");
        QTest::newRow("accounts=0") << QStringLiteral("eligibilities=1,accounts=0")
                                    << QStringLiteral("accounts is 1 to 5000");
        QTest::newRow("accounts=5001")
            << QStringLiteral("eligibilities=1,accounts=5001") << QStringLiteral("accounts is 1 to 5000");
        QTest::newRow("eligibilities=abc") << QStringLiteral("eligibilities=abc,accounts=5")
                                           << QStringLiteral("eligibilities=abc is not a whole number");
        QTest::newRow("negative") << QStringLiteral("eligibilities=-1,accounts=5")
                                  << QStringLiteral("eligibilities is 1 to 20000");
        QTest::newRow("fraction") << QStringLiteral("eligibilities=1.5,accounts=5")
                                  << QStringLiteral("eligibilities=1.5");
        QTest::newRow("no value") << QStringLiteral("eligibilities=,accounts=5")
                                  << QStringLiteral("eligibilities");
        QTest::newRow("eligibilities=0")
            << QStringLiteral("eligibilities=0,accounts=5") << QStringLiteral("eligibilities is 1 to 20000");
        QTest::newRow("eligibilities=20001") << QStringLiteral("eligibilities=20001,accounts=5000")
                                             << QStringLiteral("eligibilities is 1 to 20000");
        QTest::newRow("huge") << QStringLiteral("eligibilities=99999999999999999999,accounts=5")
                              << QStringLiteral("eligibilities=99999999999999999999 is out of range");
        QTest::newRow("duplicate") << QStringLiteral("eligibilities=3,accounts=5,eligibilities=4")
                                   << QStringLiteral("eligibilities is given twice");
        QTest::newRow("duplicate same value") << QStringLiteral("eligibilities=3,accounts=5,accounts=5")
                                              << QStringLiteral("accounts is given twice");
        QTest::newRow("assignments beyond accounts")
            << QStringLiteral("eligibilities=3,accounts=5,assignments=6")
            << QStringLiteral("assignments=6 is more than accounts=5");
        QTest::newRow("assignments beyond the limit")
            << QStringLiteral("eligibilities=3,accounts=5000,assignments=20001")
            << QStringLiteral("assignments is 0 to 20000");
        QTest::newRow("too few accounts") << QStringLiteral("eligibilities=11,accounts=1")
                                          << QStringLiteral("eligibilities=11 needs accounts=2 or more");
        QTest::newRow("approvers=101") << QStringLiteral("eligibilities=3,accounts=5,approvers=101")
                                       << QStringLiteral("approvers is 0 to 100");
        QTest::newRow("users=0") << QStringLiteral("eligibilities=3,accounts=5,users=0")
                                 << QStringLiteral("users is 1 to 1000");
        QTest::newRow("users=1001") << QStringLiteral("eligibilities=3,accounts=5,users=1001")
                                    << QStringLiteral("users is 1 to 1000");
        QTest::newRow("pageSize=0") << QStringLiteral("eligibilities=3,accounts=5,pageSize=0")
                                    << QStringLiteral("pageSize is 1 to 999");
        QTest::newRow("pageSize=1000") << QStringLiteral("eligibilities=3,accounts=5,pageSize=1000")
                                       << QStringLiteral("pageSize is 1 to 999");
        QTest::newRow("portalRate=0") << QStringLiteral("eligibilities=3,accounts=5,portalRate=0")
                                      << QStringLiteral("portalRate is 1 to 100000");
        QTest::newRow("portalRate=100001") << QStringLiteral("eligibilities=3,accounts=5,portalRate=100001")
                                           << QStringLiteral("portalRate is 1 to 100000");
        QTest::newRow("no equals") << QStringLiteral("eligibilities=3,accounts")
                                   << QStringLiteral("'accounts'");
        QTest::newRow("no key") << QStringLiteral("eligibilities=3,=5") << QStringLiteral("'=5'");
        QTest::newRow("empty item") << QStringLiteral("eligibilities=3,,accounts=5")
                                    << QStringLiteral("key=value");
        QTest::newRow("semicolons") << QStringLiteral("eligibilities=3;accounts=5")
                                    << QStringLiteral("eligibilities=3;accounts=5 is not a whole number");
    }
    void badSpecs()
    {
        QFETCH(QString, spec);
        QFETCH(QString, named);
        const Emulator::GeneratedScenario g = Emulator::generateScenario(spec);
        QVERIFY(!g.ok());
        QVERIFY(g.json.isEmpty());
        QVERIFY2(g.error.contains(named), qPrintable(g.error));
        QVERIFY2(!g.error.contains(u'\n'), qPrintable(g.error)); // one sentence, one line
    }

    void largestSpecLoads()
    {
        // Every key at (or near) its maximum still makes a scenario the emulator takes.
        const Emulator::GeneratedScenario g = Emulator::generateScenario(
            QStringLiteral("eligibilities=20000,accounts=2000,approvers=100,users=1000,assignments=2000,"
                           "pageSize=999,portalRate=100000"));
        QVERIFY2(g.ok(), qPrintable(g.error));
        const QJsonObject s = QJsonDocument::fromJson(g.json).object();
        QCOMPARE(list(s, QStringLiteral("groups")).size(), 20000);
        QCOMPARE(list(s, QStringLiteral("eligibilities")).size(), 20000 + 999 * 3);
        QCOMPARE(list(s, QStringLiteral("users")).size(), 1 + 100 + 999);
        Emulator::Emulator emu;
        QString error;
        QVERIFY2(emu.loadScenario(g.json, &error), qPrintable(error));
    }

    void program()
    {
        const QString program = QStringLiteral(ELEVATE_BINARY_DIR "/src/app/emulator/elevate-emulator");
        QVERIFY2(QFileInfo::exists(program), qPrintable(program));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("big.json"));
        const QString spec = QStringLiteral("eligibilities=1000,accounts=100");
        auto run = [&program](const QStringList &args, QByteArray *err = nullptr) {
            QProcess p;
            p.start(program, args);
            if (!p.waitForFinished(30'000))
                return -1;
            if (err)
                *err = p.readAllStandardError();
            return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        };

        // Written, byte for byte what the library makes, and the program exits without listening.
        QCOMPARE(run({QStringLiteral("--generate-scenario"), spec, QStringLiteral("--write-scenario"), file}),
                 0);
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray written = f.readAll();
        f.close();
        QCOMPARE(written, Emulator::generateScenario(spec).json);

        // The file loads with --scenario, and --write-scenario alone writes the loaded one again.
        const QString again = dir.filePath(QStringLiteral("again.json"));
        QCOMPARE(run({QStringLiteral("--scenario"), file, QStringLiteral("--write-scenario"), again}), 0);
        QFile g(again);
        QVERIFY(g.open(QIODevice::ReadOnly));
        QCOMPARE(g.readAll(), written);
        const QString demo = dir.filePath(QStringLiteral("demo.json"));
        QCOMPARE(run({QStringLiteral("--write-scenario"), demo}), 0);
        QFile d(demo);
        QVERIFY(d.open(QIODevice::ReadOnly));
        QCOMPARE(d.readAll(), Emulator::Emulator::builtInScenario());

        // Errors exit 2 with one line naming the problem.
        QByteArray err;
        QCOMPARE(
            run({QStringLiteral("--generate-scenario"), QStringLiteral("eligibilities=1,accounts=0")}, &err),
            2);
        QVERIFY2(err.contains("--generate-scenario") && err.contains("accounts is 1 to 5000"),
                 err.constData());
        QCOMPARE(err.trimmed().count('\n'), 0);
        QCOMPARE(run({QStringLiteral("--generate-scenario"), spec, QStringLiteral("--scenario"), file}, &err),
                 2);
        QVERIFY2(err.contains("--scenario and --generate-scenario"), err.constData());
        QCOMPARE(run({QStringLiteral("--generate-scenario"), spec, QStringLiteral("--write-scenario"), file,
                      QStringLiteral("--write-config"), dir.filePath(QStringLiteral("cfg.json"))},
                     &err),
                 2);
        QVERIFY2(err.contains("--write-config"), err.constData());
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("cfg.json"))));
        QCOMPARE(run({QStringLiteral("--generate-scenario"), spec, QStringLiteral("--write-scenario"),
                      dir.filePath(QStringLiteral("no/such/dir/x.json"))},
                     &err),
                 1);
        QVERIFY2(err.contains("cannot write"), err.constData());

        // Without --write-scenario it serves the generated scenario.
        QProcess emulator;
        emulator.start(program, {QStringLiteral("--generate-scenario"), spec});
        QVERIFY(emulator.waitForStarted(10'000));
        QVERIFY(QTest::qWaitFor([&emulator] { return emulator.canReadLine(); }, 20'000));
        const QUrl base(QString::fromLatin1(emulator.readLine().trimmed()));
        const Reply state = send("GET", QUrl(base.toString() + QStringLiteral("/_emulator/state")));
        emulator.kill();
        emulator.waitForFinished(5000);
        QCOMPARE(state.status, 200);
        QCOMPARE(state.json().value(QStringLiteral("eligibilities")).toArray().size(), 1000);
    }
};

QTEST_GUILESS_MAIN(TestEmulatorGenerate)
#include "tst_emulator_generate.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// Eligibilities across several Graph pages from the in-process emulator, after a real sign-in.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/graphclient.h"
#include "net/httpclient.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

using namespace Elevate;

Q_DECLARE_METATYPE(Elevate::Core::Result<Elevate::Core::Account>)

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
            QCOMPARE(e.accessId, x.value(QStringLiteral("accessId")).toString());
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

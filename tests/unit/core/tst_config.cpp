// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/config.h"

#include <QTemporaryDir>
#include <QTest>

using namespace Elevate::Core;
using namespace Qt::StringLiterals;

namespace {
QByteArray minimal(const QByteArray &extraEntra = {}, const QByteArray &rest = {})
{
    return "{\"entra\": {\"tenant\": \"t\", \"clientId\": \"c\"" + extraEntra + "}" + rest + "}";
}
} // namespace

class TestConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaults()
    {
        const auto c = AppConfig::fromJson(minimal());
        QVERIFY2(c.ok(), qPrintable(c.ok() ? QString() : c.error().message));
        QCOMPARE(c->authorityHost, u"https://login.microsoftonline.com"_s);
        QCOMPARE(c->graphBaseUrl, u"https://graph.microsoft.com/v1.0"_s);
        QCOMPARE(c->redirectHost, u"localhost"_s);
        QVERIFY(c->qualifiedGraphScopes().contains(u"https://graph.microsoft.com/User.Read"_s));
        QCOMPARE(c->graphReplicationWindowSeconds, 60);
    }
    void replicationWindow()
    {
        const auto c = AppConfig::fromJson(minimal({}, ", \"graph\": {\"replicationWindowSeconds\": 8}"));
        QVERIFY(c.ok());
        QCOMPARE(c->graphReplicationWindowSeconds, 8);
        const auto again = AppConfig::fromJson(c->toJson());
        QVERIFY(again.ok());
        QCOMPARE(again->graphReplicationWindowSeconds, 8);
    }
    void roundTrip()
    {
        auto c = AppConfig::fromJson(
            minimal(", \"authorityHost\": \"http://127.0.0.1:4000/\"",
                    ", \"graph\": {\"baseUrl\": \"http://127.0.0.1:4000/graph/v1.0\"},\n"
                    "                                                 \"mapping\": {\"groups\": {\"g\": "
                    "{\"account\": \"123456789012\", \"role\": \"R\"}},\n"
                    "                                                             \"accountNames\": "
                    "{\"123456789012\": \"Prod\"}}"));
        QVERIFY(c.ok());
        QCOMPARE(c->authorityHost, u"http://127.0.0.1:4000"_s);
        const auto again = AppConfig::fromJson(c->toJson());
        QVERIFY(again.ok());
        QCOMPARE(again->authorityHost, c->authorityHost);
        QCOMPARE(again->mapping.groups.value(u"g"_s).roleName, u"R"_s);
        QCOMPARE(again->mapping.accountNames.value(u"123456789012"_s), u"Prod"_s);
    }
    void rejects_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("not json") << QByteArray("{") << u"JSON"_s;
        QTest::newRow("array") << QByteArray("[]") << u"JSON"_s;
        QTest::newRow("no tenant") << QByteArray("{\"entra\": {\"clientId\": \"c\"}}") << u"entra.tenant"_s;
        QTest::newRow("no client") << QByteArray("{\"entra\": {\"tenant\": \"t\"}}") << u"entra.clientId"_s;
        QTest::newRow("plain http authority")
            << minimal(", \"authorityHost\": \"http://login.example.com\"") << u"authorityHost"_s;
        QTest::newRow("plain http graph")
            << minimal({}, ", \"graph\": {\"baseUrl\": \"http://graph.example.com\"}") << u"graph.baseUrl"_s;
        QTest::newRow("negative replication window")
            << minimal({}, ", \"graph\": {\"replicationWindowSeconds\": -1}")
            << u"replicationWindowSeconds"_s;
        QTest::newRow("replication window over an hour")
            << minimal({}, ", \"graph\": {\"replicationWindowSeconds\": 7200}")
            << u"replicationWindowSeconds"_s;
        QTest::newRow("redirect host") << minimal(", \"redirectHost\": \"0.0.0.0\"") << u"redirectHost"_s;
        QTest::newRow("bad pattern") << minimal({}, ", \"mapping\": {\"pattern\": \"(\"}")
                                     << u"mapping.pattern"_s;
        QTest::newRow("pattern without groups")
            << minimal({}, ", \"mapping\": {\"pattern\": \"^AWS-.*$\"}") << u"named groups"_s;
        QTest::newRow("table entry incomplete")
            << minimal({}, ", \"mapping\": {\"groups\": {\"g\": {\"role\": \"R\"}}}")
            << u"mapping.groups.g"_s;
    }
    void rejects()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, mentions);
        const auto c = AppConfig::fromJson(json, u"/x/config.json"_s);
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind, Error::Kind::Config);
        QVERIFY2(c.error().message.contains(mentions), qPrintable(c.error().message));
        QVERIFY(c.error().message.startsWith(u"/x/config.json: "_s));
    }
    void loadMissingFile()
    {
        QTemporaryDir dir;
        const auto c = AppConfig::load(dir.filePath(u"nope.json"_s));
        QVERIFY(!c.ok());
        QVERIFY(c.error().message.contains(u"no such file"_s));
    }
    void loopback()
    {
        QVERIFY(isLoopbackUrl(QUrl(u"http://127.0.0.1:1/"_s)));
        QVERIFY(isLoopbackUrl(QUrl(u"http://[::1]:1/"_s)));
        QVERIFY(isLoopbackUrl(QUrl(u"http://LOCALHOST/"_s)));
        QVERIFY(!isLoopbackUrl(QUrl(u"http://127.0.0.1.example.com/"_s)));
        QVERIFY(!isLoopbackUrl(QUrl(u"http://10.0.0.1/"_s)));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
#include "graph/odata.h"
#include "support/testsupport.h"

#include <QFile>
#include <QTest>

using namespace Elevate;
using Core::Error;

namespace {
QByteArray fixture(const char *name)
{
    return Test::fixture("graph", name);
}
using Test::httpResponse;
} // namespace

class TestOData : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void eligibilityPage()
    {
        const auto page = Graph::parseEligibilityPage(fixture("eligibilities-page1.json"));
        QVERIFY(page.ok());
        QCOMPARE(page->items.size(), 3);
        QVERIFY(page->nextLink.contains(QStringLiteral("$skiptoken=abc")));
        const auto &a = page->items.at(0);
        QCOMPARE(a.groupDisplayName, QStringLiteral("AWS-123456789012-AdministratorAccess"));
        QCOMPARE(a.memberType, QStringLiteral("direct"));
        QCOMPARE(a.start, QDateTime(QDate(2025, 3, 1), QTime(8, 0, 0, 486), Qt::UTC)); // 7 digits
        QCOMPARE(a.end, QDateTime(QDate(2026, 3, 1), QTime(8, 0), Qt::UTC)); // 0 digits
        const auto &b = page->items.at(1);
        QCOMPARE(b.access, Core::AccessKind::Owner); // enum casing folded
        QCOMPARE(b.memberType, QStringLiteral("group"));
        QVERIFY(!b.end.isValid()); // null = permanent
        QCOMPARE(b.start.time().msec(), 287); // 3 digits
        QVERIFY(b.groupDescription.isEmpty());
        const auto &c = page->items.at(2);
        QVERIFY(!c.end.isValid()); // missing = permanent
        QCOMPARE(c.start.time().msec(), 800); // 1 digit
        QVERIFY(c.groupDisplayName.isEmpty()); // group: null
        QCOMPARE(c.groupId, QStringLiteral("9a9a9a9a-0000-4000-8000-000000000001"));
        QCOMPARE(c.id, QStringLiteral("8MYkhImhnkm70CbBdTyW1BbHHAdHgZdDpbqyEFlRzAs-1-e"));

        const auto last = Graph::parseEligibilityPage(fixture("eligibilities-last.json"));
        QVERIFY(last.ok());
        QVERIFY(last->items.isEmpty());
        QVERIFY(last->nextLink.isEmpty());
    }
    void unknownAccessKindIsSkipped()
    {
        // PIM for Groups knows "member" and "owner"; an item of any other kind cannot be asked for or
        // followed by this version: left out of the page, not a broken contract.
        const QByteArray eligibilities = R"({"value":[
            {"id":"e1","groupId":"g1","accessId":"approver","memberType":"Direct"},
            {"id":"e2","groupId":"g1","accessId":"OWNER","memberType":"Direct"}]})";
        const auto e = Graph::parseEligibilityPage(eligibilities);
        QVERIFY(e.ok());
        QCOMPARE(e->items.size(), 1);
        QCOMPARE(e->items.at(0).access, Core::AccessKind::Owner);

        const QByteArray grants = R"({"value":[
            {"id":"a1","groupId":"g1","accessId":"approver","assignmentType":"Activated"},
            {"id":"a2","groupId":"g1","assignmentType":"Activated"}]})";
        const auto g = Graph::parseGrantPage(grants);
        QVERIFY(g.ok());
        QCOMPARE(g->items.size(), 1);
        QCOMPARE(g->items.at(0).access, Core::AccessKind::Member); // missing: member

        const QByteArray requests = R"({"value":[
            {"id":"r1","status":"Provisioned","groupId":"g1","accessId":"approver"},
            {"id":"r2","status":"Provisioned","groupId":"g1","accessId":"owner"}]})";
        const auto r = Graph::parseRequestPage(requests);
        QVERIFY(r.ok());
        QCOMPARE(r->items.size(), 1);
        QCOMPARE(r->items.at(0).id, QStringLiteral("r2"));
        const auto one
            = Graph::parseRequestBody(R"({"id":"r1","status":"Provisioned","accessId":"approver"})");
        QVERIFY(!one.ok());
        QCOMPARE(one.error().kind, Core::Error::Kind::Parse);
    }
    void eligibilityDirectAndThroughAGroup_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("as the docs print it") << fixture("eligibilities-direct-and-group.json");
        QTest::newRow("camelCase") << fixture("eligibilities-direct-and-group-camel.json");
    }
    void eligibilityDirectAndThroughAGroup()
    {
        // The same group reached directly and through membership of another group: two
        // eligibilities, told apart by memberType (showing them once is the caller's business).
        QFETCH(QByteArray, body);
        const auto page = Graph::parseEligibilityPage(body);
        QVERIFY(page.ok());
        QCOMPARE(page->items.size(), 2);
        QCOMPARE(page->items.at(0).memberType, QStringLiteral("direct"));
        QCOMPARE(page->items.at(1).memberType, QStringLiteral("group"));
        QCOMPARE(page->items.at(1).access, Core::AccessKind::Member);
        QCOMPARE(page->items.at(0).groupId, page->items.at(1).groupId);
        QVERIFY(page->items.at(0).id != page->items.at(1).id);
        QVERIFY(!page->items.at(1).end.isValid());
    }
    void badPages_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("truncated") << fixture("eligibilities-page1.json").left(300);
        QTest::newRow("no value") << QByteArray("{\"@odata.context\":\"x\"}");
        QTest::newRow("value not array") << QByteArray("{\"value\":{}}");
        QTest::newRow("item without id") << QByteArray("{\"value\":[{\"groupId\":\"g\"}]}");
        QTest::newRow("html") << QByteArray("<html></html>");
    }
    void badPages()
    {
        QFETCH(QByteArray, body);
        const auto page = Graph::parseEligibilityPage(body);
        QVERIFY(!page.ok());
        QCOMPARE(page.error().kind, Error::Kind::Parse);
    }
    void me()
    {
        const auto u = Graph::parseUser(fixture("me.json"));
        QVERIFY(u.ok());
        QCOMPARE(u->userPrincipalName, QStringLiteral("alex@contoso.com"));
        QVERIFY(u->mail.isEmpty());
        QVERIFY(!Graph::parseUser("{}").ok());
    }
    void errors_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("plain") << 403 << fixture("error-plain.json") << int(Error::Kind::Service)
                               << QStringLiteral("Authorization_RequestDenied")
                               << QStringLiteral("Insufficient");
        QTest::newRow("PIM wrapped") << 403 << fixture("error-pim-wrapped.json") << int(Error::Kind::Service)
                                     << QStringLiteral("PermissionScopeNotGranted")
                                     << QStringLiteral("missing permission scope");
        QTest::newRow("throttled") << 429 << fixture("error-throttled.json") << int(Error::Kind::Service)
                                   << QStringLiteral("TooManyRequests") << QStringLiteral("retry");
        QTest::newRow("empty code") << 400 << fixture("error-empty-code.json") << int(Error::Kind::Service)
                                    << QStringLiteral("HTTP400") << QStringLiteral("400");
        QTest::newRow("html 502") << 502 << QByteArray("<html>Bad gateway</html>") << int(Error::Kind::Http)
                                  << QString() << QStringLiteral("502");
    }
    void errors()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(int, kind);
        QFETCH(QString, code);
        QFETCH(QString, messagePart);
        const Error e = Graph::graphError(httpResponse(status, body));
        QCOMPARE(int(e.kind), kind);
        QCOMPARE(e.serviceCode, code);
        QCOMPARE(e.httpStatus, status);
        QVERIFY2(e.message.contains(messagePart), qPrintable(e.message));
    }
};

QTEST_GUILESS_MAIN(TestOData)
#include "tst_odata.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The sentences people read for an error name the service that refused, and PIM's wording is given
// only to what Graph said: each error is built by the parser of its own service, as in the app.

#include "auth/entraprotocol.h"
#include "auth/idcprotocol.h"
#include "aws/portalclient.h"
#include "graph/odata.h"
#include "graph/pimwording.h"
#include "support/testsupport.h"
#include "ui/errortext.h"

#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;
using Core::Error;

namespace {

Net::HttpResponse answer(int status, const QByteArray &body)
{
    return Test::httpResponse(status, body);
}

Net::HttpResponse unreachable()
{
    Net::HttpResponse r;
    r.transportError = Error::make(Error::Kind::Network, u"Connection refused"_s);
    return r;
}

/// What each service's parser makes of the same answer.
Error fromService(const QString &service, const Net::HttpResponse &r)
{
    if (service == u"graph")
        return Graph::graphError(r);
    if (service == u"entra")
        return Auth::tokenError(r);
    if (service == u"identitycenter")
        return Auth::Idc::oidcError(r);
    return Aws::PortalClient::errorFor(r);
}

/// A body each service could send with that status.
QByteArray bodyFor(const QString &service, int status)
{
    if (service == u"graph")
        return QByteArray(R"({"error":{"code":"Whatever","message":"no"}})");
    if (service == u"entra")
        return status == 429 || status >= 500
            ? QByteArray(R"({"error":"temporarily_unavailable","error_description":"AADSTS50196: busy.",)"
                         R"("error_codes":[50196]})")
            : QByteArray(R"({"error":"unauthorized_client","error_description":"AADSTS700016: no.",)"
                         R"("error_codes":[700016]})");
    if (service == u"identitycenter")
        return QByteArray(R"({"error":"unauthorized_client","error_description":"no"})");
    return QByteArray(R"({"message":"no"})");
}

} // namespace

class TestErrorText : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void eachSourceIsNamed_data()
    {
        QTest::addColumn<QString>("service");
        QTest::addColumn<int>("source");
        QTest::addColumn<QString>("name");
        QTest::newRow("Graph") << u"graph"_s << int(Error::Source::Graph) << u"Microsoft Graph"_s;
        QTest::newRow("Entra") << u"entra"_s << int(Error::Source::Entra) << u"Microsoft Entra ID"_s;
        QTest::newRow("Identity Center")
            << u"identitycenter"_s << int(Error::Source::IdentityCenter) << u"AWS IAM Identity Center"_s;
        QTest::newRow("portal") << u"portal"_s << int(Error::Source::Portal) << u"AWS access portal"_s;
    }
    void eachSourceIsNamed()
    {
        QFETCH(QString, service);
        QFETCH(int, source);
        QFETCH(QString, name);
        QStringList others {u"Microsoft Graph"_s, u"Microsoft Entra ID"_s, u"AWS IAM Identity Center"_s,
                            u"AWS access portal"_s};
        others.removeAll(name);
        for (const int status : {403, 429, 503}) {
            const Error e = fromService(service, answer(status, bodyFor(service, status)));
            QCOMPARE(int(e.source), source);
            QCOMPARE(e.httpStatus, status);
            const QString tray = Ui::ErrorText::describe(u"Signing in"_s, e);
            const QString cli = Graph::ServiceWording::describe(e);
            for (const QString &text : {tray, cli}) {
                QVERIFY2(text.contains(name), qPrintable(u"%1: %2"_s.arg(status).arg(text)));
                for (const QString &other : others)
                    QVERIFY2(!text.contains(other), qPrintable(u"%1: %2"_s.arg(status).arg(text)));
            }
            if (status == 403)
                QVERIFY2(tray.contains(u"not allowed"_s), qPrintable(tray));
            if (status == 429)
                QVERIFY2(tray.contains(u"throttling"_s), qPrintable(tray));
            if (status == 503)
                QVERIFY2(tray.contains(u"503"_s), qPrintable(tray));
        }
        // Not reaching the service names it too.
        const Error lost = fromService(service, unreachable());
        QCOMPARE(int(lost.source), source);
        QVERIFY2(Ui::ErrorText::describe(u"Signing in"_s, lost).contains(name),
                 qPrintable(Ui::ErrorText::describe(u"Signing in"_s, lost)));
    }

    void pimWordingIsGraphsOnly()
    {
        // The same code and status from Entra or Identity Center are not PIM's to explain.
        Error e = Error::make(Error::Kind::Service, u"m"_s, 403, u"PermissionScopeNotGranted"_s);
        e.source = Error::Source::Graph;
        QVERIFY(Graph::PimWording::describe(e).contains(u"administrator"_s));
        for (const auto source :
             {Error::Source::Entra, Error::Source::IdentityCenter, Error::Source::Portal}) {
            e.source = source;
            QVERIFY(Graph::PimWording::describe(e).isEmpty());
        }
        // A rule failure Graph sent is PIM's; a 403 that nobody sent (a local error) is not Graph's.
        const Error rules = Graph::graphError(
            answer(400,
                   "{\"error\":{\"code\":\"RoleAssignmentRequestPolicyValidationFailed\",\"message\":"
                   "\"The following policy rules failed: [\\\"MfaRule\\\"]\"}}"));
        QVERIFY2(Ui::ErrorText::describe(u"The request"_s, rules).contains(u"multi-factor"_s),
                 qPrintable(Ui::ErrorText::describe(u"The request"_s, rules)));
        const Error local = Error::make(Error::Kind::Http, u"HTTP status 403"_s, 403);
        QVERIFY(Graph::PimWording::describe(local).isEmpty());
        QVERIFY(Graph::ServiceWording::describe(local).isEmpty());
        QVERIFY(!Ui::ErrorText::describe(u"Reading"_s, local).contains(u"Microsoft"_s));
    }

    void tokenErrorsKeepTheirSourceThroughGraph()
    {
        // A Graph call whose token could not be had reports Entra's refusal, not Graph's.
        Net::HttpResponse r;
        r.transportError = Auth::tokenError(answer(503, bodyFor(u"entra"_s, 503)));
        QCOMPARE(int(Graph::graphError(r).source), int(Error::Source::Entra));
        Net::HttpResponse notSignedIn;
        notSignedIn.transportError = Error::make(Error::Kind::NotSignedIn, u"not signed in"_s);
        QCOMPARE(int(Graph::graphError(notSignedIn).source), int(Error::Source::Local));
    }
};

QTEST_GUILESS_MAIN(TestErrorText)
#include "tst_errortext.moc"

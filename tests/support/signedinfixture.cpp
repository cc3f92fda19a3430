// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/signedinfixture.h"

#include "support/emulatorfixture.h"

namespace Elevate::Test {

bool SignedInFixture::setUp(const QString &user, int pageSize)
{
    const auto cfg = startEmulator(emulator, {}, user);
    if (!cfg)
        return false;
    emulator.setPageSize(pageSize);
    config = *cfg;
    http = std::make_unique<Net::HttpClient>(&nam);
    session = std::make_unique<Auth::EntraSession>(config, http.get(), &secrets, &clock);
    graph = std::make_unique<Graph::GraphClient>(QUrl(config.graphBaseUrl), config.graphResource, http.get(),
                                                 session.get());
    graph->setClock(&clock);
    requests = std::make_unique<Graph::RequestTracker>(graph.get(), nullptr,
                                                       Core::TargetMapper(config.mapping), &clock);
    approvals = std::make_unique<Graph::ApprovalService>(graph.get(), nullptr, &clock);
    pim = std::make_unique<Ui::PimPresenter>(
        Ui::PimPresenter::Parts {session.get(), graph.get(), requests.get(), approvals.get(), &clock},
        Core::TargetMapper(config.mapping));
    browserNam.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
    QObject::connect(pim.get(), &Ui::PimPresenter::browserUrlReady, &browserNam, [this](const QUrl &url) {
        QNetworkReply *reply = browserNam.get(QNetworkRequest(url));
        QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    });
    return true;
}

bool SignedInFixture::signIn()
{
    pim->signIn();
    return QTest::qWaitFor([this] { return pim->status() == Ui::PimPresenter::Status::Ready; }, 20'000);
}

QJsonArray SignedInFixture::scenarioEligibilities(const QString &upn) const
{
    QJsonArray out;
    const QJsonObject state = emulator.state();
    QString userId;
    for (const auto &u : state.value(u"users").toArray())
        if (u.toObject().value(u"upn").toString() == upn)
            userId = u.toObject().value(u"id").toString();
    for (const auto &e : state.value(u"eligibilities").toArray()) {
        const auto o = e.toObject();
        if (o.value(u"principalId").toString() == userId || o.value(u"user").toString() == upn)
            out.append(o);
    }
    return out;
}

} // namespace Elevate::Test

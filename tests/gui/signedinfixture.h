// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A real stack for widget tests: the in-process emulator, an EntraSession with an in-memory secret
// store, the Graph client and the AccessController, plus a "browser" that follows the sign-in URL.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/config.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/graphclient.h"
#include "net/httpclient.h"
#include "support/testsupport.h"
#include "ui/accesscontroller.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

#include <memory>

namespace Elevate::Test {

struct SignedInFixture
{
    Emulator::Emulator emulator;
    QNetworkAccessManager nam;
    QNetworkAccessManager browserNam;
    Core::SystemClock clock;
    Core::AppConfig config;
    std::unique_ptr<Net::HttpClient> http;
    Auth::InMemorySecretStore secrets;
    std::unique_ptr<Auth::EntraSession> session;
    std::unique_ptr<Graph::GraphClient> graph;
    std::unique_ptr<Ui::AccessController> controller;

    /// Returns false (and fails the test) when the stack cannot be built.
    bool setUp(const QString &user = QStringLiteral("alex@contoso.example"), int pageSize = 3)
    {
        if (!emulator.loadBuiltInScenario() || !emulator.listen())
            return false;
        emulator.setAutoSignIn(user);
        emulator.setPageSize(pageSize);
        auto cfg = Core::AppConfig::fromJson(emulator.configJson());
        if (!cfg.ok())
            return false;
        config = cfg.value();
        http = std::make_unique<Net::HttpClient>(&nam);
        session = std::make_unique<Auth::EntraSession>(config, http.get(), &secrets, &clock);
        graph = std::make_unique<Graph::GraphClient>(QUrl(config.graphBaseUrl), config.graphResource,
                                                     http.get(), session.get());
        controller = std::make_unique<Ui::AccessController>(session.get(), graph.get(),
                                                            Core::TargetMapper(config.mapping), &clock);
        browserNam.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
        QObject::connect(controller.get(), &Ui::AccessController::browserUrlReady, &browserNam,
                         [this](const QUrl &url) {
                             QNetworkReply *reply = browserNam.get(QNetworkRequest(url));
                             QObject::connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
                         });
        return true;
    }

    bool signIn()
    {
        controller->signIn();
        return QTest::qWaitFor([this] { return controller->status() == Ui::AccessController::Status::Ready; },
                               20'000);
    }

    /// The scenario's eligibilities of `upn`, as the emulator reports them in its state.
    QJsonArray scenarioEligibilities(const QString &upn) const
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
};

} // namespace Elevate::Test

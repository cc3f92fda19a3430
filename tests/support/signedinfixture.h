// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A real stack for widget tests: the in-process emulator, an EntraSession with an in-memory secret
// store, the Graph client and the PimPresenter, plus a "browser" that follows the sign-in URL.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/config.h"
#include "core/targetmapper.h"
#include "emulator/emulator.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/requesttracker.h"
#include "net/httpclient.h"
#include "support/manualclock.h"
#include "support/testsupport.h"
#include "ui/pimpresenter.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTest>

#include <memory>

namespace Elevate::Test {

/// One person signed in to the in-process emulator through the widget layer's PimPresenter.
struct SignedInFixture
{
    Emulator::Emulator emulator;
    QNetworkAccessManager nam;
    QNetworkAccessManager browserNam;
    OffsetClock clock; // the system clock until a test moves it on
    Core::AppConfig config;
    std::unique_ptr<Net::HttpClient> http;
    Auth::InMemorySecretStore secrets;
    std::unique_ptr<Auth::EntraSession> session;
    std::unique_ptr<Graph::GraphClient> graph;
    std::unique_ptr<Graph::RequestTracker> requests;
    std::unique_ptr<Graph::ApprovalService> approvals;
    std::unique_ptr<Ui::PimPresenter> pim;

    /// Returns false when the stack cannot be built.
    bool setUp(const QString &user = QStringLiteral("alex@contoso.example"), int pageSize = 3);

    /// Signs in through the emulator's page and waits until the pim is Ready.
    bool signIn();

    /// The scenario's eligibilities of `upn`, as the emulator reports them in its state.
    QJsonArray scenarioEligibilities(const QString &upn) const;
};

} // namespace Elevate::Test

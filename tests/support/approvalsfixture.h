// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Several people signed in to ONE in-process emulator (each with their own EntraSession, GraphClient,
// HistoryStore and PimPresenter): the requesters and approvers of the approvals tests. Every
// decision can be checked in the emulator's state, so a decision sent twice (or by the wrong person)
// fails the test.
//
// Demo scenario: megan approves AdministratorAccess; megan and lee both approve NetworkAdministrator,
// for which megan is eligible herself. scenarioWithNestor() adds nestor (a third requester) to it.

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/config.h"
#include "core/history.h"
#include "emulator/emulator.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/requesttracker.h"
#include "net/httpclient.h"
#include "support/testsupport.h"
#include "ui/pimpresenter.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QWidget>

#include <memory>
#include <optional>

namespace Elevate::Test::Approvals {

inline constexpr int kWaitMs = 20'000;

inline const QString kAlex = QStringLiteral("alex@contoso.example");
inline const QString kMegan = QStringLiteral("megan@contoso.example");
inline const QString kLee = QStringLiteral("lee@contoso.example");
inline const QString kNestor = QStringLiteral("nestor@contoso.example"); // see scenarioWithNestor()
inline const QString kNetwork
    = QStringLiteral("345678901234/NetworkAdministrator"); // approvers megan, lee; PT1H
inline const QString kAdministrator
    = QStringLiteral("123456789012/AdministratorAccess"); // approver megan; ticket; PT4H

/// The demo scenario plus nestor, a third requester eligible for both approval groups.
QByteArray scenarioWithNestor();

/// One signed-in person: their own session, Graph client, history store and pim, all on the
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
    std::unique_ptr<Elevate::Graph::RequestTracker> requests;
    std::unique_ptr<Elevate::Graph::ApprovalService> approvals;
    std::unique_ptr<Elevate::Ui::PimPresenter> pim;
    QStringList notes; // "title: message" of every notify

    QString historyPath() const;
    QString objectId() const;

    bool setUp(const Core::AppConfig &config, const QString &who);

    /// Signs in and waits for the targets and for the first look at the approver queue (the
    /// pim starts one at sign-in), so that later refreshes are the tests' own.
    bool signIn();

    bool noted(const QString &part) const;
};

/// The base of the approvals tests: the shared emulator and what the tests do through it. Each call
/// waits for its answer (kWaitMs at most); an empty optional is "no answer in time".
class ApprovalsTest : public QObject
{
protected:
    std::unique_ptr<Emulator::Emulator> m_emulator;
    Core::AppConfig m_config;

    /// A fresh emulator on `scenario` (the built-in one when empty), alex signed in automatically.
    bool startEmulator(const QByteArray &scenario = {});

    /// `upn` signed in on the emulator, or null.
    std::unique_ptr<User> signedIn(const QString &upn);

    std::optional<Core::Result<Core::AccessRequest>> request(User &u, const QString &key, qint64 secs,
                                                             const QString &justification,
                                                             const QString &ticketNumber = {});
    std::optional<Core::Result<void>> refresh(Graph::ApprovalService *service);
    std::optional<Core::Result<void>> sync(User &u);
    std::optional<QList<Graph::ApprovalService::Outcome>> decide(Graph::ApprovalService *service,
                                                                 const QStringList &ids, bool approve,
                                                                 const QString &justification);

    static QStringList pendingIds(const Graph::ApprovalService *service);

    /// The request `id` in the emulator's state.
    QJsonObject emulatorRequest(const QString &id) const;

    /// PATCHes of an approval stage that the emulator accepted (204), i.e. decisions taken.
    int acceptedDecisions() const;

    /// Every PATCH the emulator was sent.
    int patches() const;

    /// POSTs emulator settings (graph-pim realism switches); true on 200.
    bool emulatorSettings(const QJsonObject &settings);

    template<typename W> static W *child(QWidget *parent, const char *name)
    {
        return parent->findChild<W *>(QString::fromLatin1(name));
    }
};

} // namespace Elevate::Test::Approvals

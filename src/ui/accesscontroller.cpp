// SPDX-License-Identifier: GPL-3.0-or-later
#include "accesscontroller.h"

#include "graph/graphclient.h"
#include "targetsmodel.h"

namespace Elevate::Ui {

using Core::Error;

AccessController::AccessController(Auth::EntraSession *session, Graph::GraphClient *graph,
                                   Core::TargetMapper mapper, const Core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_session(session)
    , m_graph(graph)
    , m_mapper(std::move(mapper))
    , m_clock(clock)
    , m_targets(new TargetsModel(this))
{
    connect(m_session, &Auth::EntraSession::browserUrlReady, this, &AccessController::browserUrlReady);
    connect(m_session, &Auth::EntraSession::signInFinished, this, &AccessController::onSignInFinished);
    connect(m_session, &Auth::EntraSession::signedOut, this, [this](const Core::Result<void> &result) {
        ++m_refreshGeneration;
        m_targets->setTargets({});
        if (!result.ok())
            fail(tr("sign-out"), result.error());
        setStatus(Status::SignedOut);
    });
}

void AccessController::setStatus(Status status)
{
    m_status = status;
    Q_EMIT changed();
}

void AccessController::fail(const QString &operation, const Error &error)
{
    m_lastError = error;
    Q_EMIT errorOccurred(operation, error);
    Q_EMIT changed();
}

void AccessController::start()
{
    m_restoring = true;
    setStatus(Status::Restoring);
    m_session->restore();
}

void AccessController::signIn()
{
    if (m_configError.kind != Error::Kind::None) {
        fail(tr("sign-in"), m_configError);
        return;
    }
    m_restoring = false;
    m_lastError = {};
    setStatus(Status::SigningIn);
    m_session->signInInteractive();
}

void AccessController::cancelSignIn()
{
    m_session->cancelSignIn();
}

void AccessController::signOut()
{
    m_session->signOut();
}

void AccessController::onSignInFinished(const Core::Result<Core::Account> &result)
{
    const bool wasRestoring = std::exchange(m_restoring, false);
    if (result.ok()) {
        m_lastError = {};
        refresh();
        return;
    }
    setStatus(Status::SignedOut);
    // A silent start without a cached account is the normal first run, not an error.
    if (wasRestoring && result.error().kind == Error::Kind::NotSignedIn)
        return;
    if (result.error().kind == Error::Kind::Cancelled)
        return;
    fail(wasRestoring ? tr("silent sign-in") : tr("sign-in"), result.error());
}

void AccessController::refresh()
{
    if (m_session->state() != Auth::EntraSession::State::SignedIn)
        return;
    setStatus(Status::Loading);
    const quint64 generation = ++m_refreshGeneration;
    m_graph->listEligibilities(this, [this, generation](Core::Result<QList<Core::Eligibility>> result) {
        if (generation != m_refreshGeneration)
            return; // signed out (or refreshed again) meanwhile
        if (!result.ok()) {
            const bool signedOut = m_session->state() != Auth::EntraSession::State::SignedIn;
            setStatus(signedOut ? Status::SignedOut : Status::Ready);
            fail(tr("refresh"), result.error());
            return;
        }
        m_targets->setTargets(m_mapper.mapAll(result.value()));
        m_lastRefresh = m_clock->now();
        m_lastError = {};
        setStatus(Status::Ready);
    });
}

} // namespace Elevate::Ui

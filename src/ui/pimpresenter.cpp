// SPDX-License-Identifier: GPL-3.0-or-later
#include "pimpresenter.h"

#include "errortext.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "targetsmodel.h"

namespace Elevate::Ui {

using Core::Error;

PimPresenter::PimPresenter(const Parts &parts, Core::TargetMapper mapper, QObject *parent)
    : QObject(parent)
    , m_session(parts.session)
    , m_graph(parts.graph)
    , m_mapper(std::move(mapper))
    , m_clock(parts.clock)
    , m_targets(new TargetsModel(this))
    , m_history(parts.history)
    , m_requests(parts.requests)
    , m_approvals(parts.approvals)
{
    Q_ASSERT(m_session && m_graph && m_requests && m_approvals && m_clock);
    connect(m_approvals, &Graph::ApprovalService::changed, this, &PimPresenter::changed);
    connect(m_approvals, &Graph::ApprovalService::arrived, this,
            [this](const QList<Core::AccessRequest> &fresh) {
                for (const auto &r : fresh) {
                    const QString who
                        = r.principalDisplayName.isEmpty() ? r.principalUpn : r.principalDisplayName;
                    QString text = tr("%1 asks for %2 for %3.")
                                       .arg(who, targetDisplayName(r.groupId, r.groupDisplayName, r.access),
                                            Graph::PimWording::duration(r.durationSecs));
                    if (!r.justification.isEmpty())
                        text += u' ' + tr("“%1”").arg(r.justification);
                    Q_EMIT approvalArrived(r.id, tr("Approval needed"), text);
                }
            });
    m_expiryTimer.setSingleShot(true);
    connect(&m_expiryTimer, &QTimer::timeout, this, &PimPresenter::checkExpiry);
    // A command usually writes several things in a row (request, history, follow-up): one sync for all.
    m_elsewhereTimer.setSingleShot(true);
    m_elsewhereTimer.setInterval(250);
    connect(&m_elsewhereTimer, &QTimer::timeout, this, [this] {
        if (m_session->state() != Auth::EntraSession::State::SignedIn)
            return;
        m_requests->sync();
        m_approvals->refresh();
    });
    connect(m_requests, &Graph::RequestTracker::changed, this, [this] {
        if (m_syncFailing && m_requests->lastSync() != m_lastGoodSync) {
            m_syncFailing = false;
            m_lastError = {};
        }
        m_lastGoodSync = m_requests->lastSync();
        checkExpiry();
        Q_EMIT changed();
    });
    connect(m_requests, &Graph::RequestTracker::requestSubmitted, this, [this](const Core::AccessRequest &r) {
        const QString name = targetName(r.groupId, r.groupDisplayName, r.access);
        switch (r.phase()) {
        case Core::RequestPhase::Active:
            Q_EMIT notify(tr("Access granted"), tr("%1 is active.").arg(name));
            break;
        case Core::RequestPhase::AwaitingApproval:
            Q_EMIT notify(
                tr("Request sent"),
                tr("%1 is waiting for approval; Elevate tells you when an approver decides.").arg(name));
            break;
        default:
            Q_EMIT notify(tr("Request sent"), tr("%1: %2.").arg(name, Graph::PimWording::status(r)));
            break;
        }
    });
    connect(m_requests, &Graph::RequestTracker::requestSettled, this,
            [this](const Core::AccessRequest &r, const QString &by, const QString &why) {
                const QString name = targetName(r.groupId, r.groupDisplayName, r.access);
                switch (r.phase()) {
                case Core::RequestPhase::Active:
                    Q_EMIT notify(tr("Access granted"),
                                  by.isEmpty() ? tr("%1 is active.").arg(name)
                                               : tr("%1 approved your request: %2 is active.").arg(by, name));
                    break;
                case Core::RequestPhase::Denied:
                    if (by.isEmpty())
                        Q_EMIT notify(tr("Request denied"), tr("Your request for %1 was denied.").arg(name));
                    else if (why.isEmpty())
                        Q_EMIT notify(tr("Request denied"),
                                      tr("%1 denied your request for %2.").arg(by, name));
                    else
                        Q_EMIT notify(tr("Request denied"),
                                      tr("%1 denied your request for %2: “%3”").arg(by, name, why));
                    break;
                case Core::RequestPhase::Canceled:
                    Q_EMIT notify(tr("Request ended"),
                                  tr("Your request for %1 was canceled or timed out.").arg(name));
                    break;
                case Core::RequestPhase::Failed:
                    if (r.status.compare(u"TimedOut", Qt::CaseInsensitive) == 0)
                        Q_EMIT notify(tr("Request lapsed"),
                                      tr("No approver decided on %1 within 24 hours; request it again if you "
                                         "still need it.")
                                          .arg(name));
                    else
                        Q_EMIT notify(tr("Request failed"),
                                      tr("PIM could not activate %1 (%2).").arg(name, r.status));
                    break;
                default:
                    break;
                }
            });
    connect(m_requests, &Graph::RequestTracker::grantEnded, this,
            [this](const Core::Grant &g, Core::Outcome outcome) {
                const QString name = targetName(g.groupId, g.groupDisplayName, g.access);
                Q_EMIT notify(tr("Access ended"),
                              outcome == Core::Outcome::Deactivated ? tr("%1 was deactivated.").arg(name)
                                  : outcome == Core::Outcome::Expired
                                  ? tr("%1 has expired.").arg(name)
                                  : tr("%1 is no longer active.").arg(name));
            });
    // A sync that keeps failing (offline, Graph down) is said once, not at every retry; the next
    // good sync clears it.
    connect(m_requests, &Graph::RequestTracker::syncFailed, this, [this](const Error &e) {
        if (m_syncFailing) {
            m_lastError = e;
            Q_EMIT changed();
            return;
        }
        m_syncFailing = true;
        fail(tr("checking your access"), e);
    });
    connect(m_session, &Auth::EntraSession::browserUrlReady, this, &PimPresenter::browserUrlReady);
    connect(m_session, &Auth::EntraSession::signInFinished, this, &PimPresenter::onSignInFinished);
    connect(m_session, &Auth::EntraSession::signedOut, this, [this](const Core::Result<void> &result) {
        ++m_refreshGeneration;
        m_requests->setPrincipalId({});
        m_approvals->setPrincipalId({});
        m_targets->setTargets({});
        const bool asked = std::exchange(m_signingOut, false);
        if (!result.ok())
            fail(tr("sign-out"), result.error());
        else if (asked)
            Q_EMIT notify(tr("Signed out"), signOutMessage());
        m_signOutSentences.clear();
        m_signOutGrants.clear();
        setStatus(Status::SignedOut);
    });
}

void PimPresenter::setStatus(Status status)
{
    m_status = status;
    Q_EMIT changed();
}

void PimPresenter::fail(const QString &operation, const Error &error)
{
    m_lastError = error;
    Q_EMIT errorOccurred(operation, error);
    Q_EMIT changed();
}

void PimPresenter::start()
{
    m_restoring = true;
    setStatus(Status::Restoring);
    m_session->restore();
}

void PimPresenter::signIn()
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

void PimPresenter::cancelSignIn()
{
    m_session->cancelSignIn();
}

void PimPresenter::signOut()
{
    if (m_signingOut)
        return;
    m_signingOut = true;
    // Said at the end: sign-out leaves them active in PIM.
    const QList<Core::Grant> grants = m_requests->grants();
    auto entra = [this, grants](QStringList sentences) {
        m_signOutSentences = std::move(sentences);
        m_signOutGrants = grants;
        m_session->signOut();
    };
    if (m_signOutStep)
        m_signOutStep(entra);
    else
        entra({});
}

QString PimPresenter::signOutMessage() const
{
    QStringList parts;
    parts << (m_signOutStep ? tr("Elevate removed its Entra sign-in from the keychain.")
                            : tr("Elevate removed its sign-in from the keychain."));
    parts << m_signOutSentences;
    // Graph's times on this machine's clock, as the countdowns show them.
    const qint64 skew = m_graph->serverClockSkewSecs();
    const QDateTime graphNow = m_clock->now().addSecs(skew);
    QStringList active;
    for (const auto &g : m_signOutGrants) {
        if (g.end.isValid() && g.end <= graphNow)
            continue;
        const QString name = targetName(g.groupId, g.groupDisplayName, g.access);
        active << (g.end.isValid()
                       ? tr("%1 until %2")
                             .arg(name, g.end.addSecs(-skew).toLocalTime().toString(QStringLiteral("HH:mm")))
                       : tr("%1 (permanent)").arg(name));
    }
    if (!active.isEmpty())
        parts << tr("Your PIM access stays active (signing out does not end it): %1. Elevate shows it again "
                    "after you sign in.")
                     .arg(active.join(QStringLiteral(", ")));
    return parts.join(u' ');
}

void PimPresenter::onSignInFinished(const Core::Result<Core::Account> &result)
{
    const bool wasRestoring = std::exchange(m_restoring, false);
    if (result.ok()) {
        m_lastError = {};
        m_requests->setAutoSync(true);
        m_requests->setPrincipalId(result->objectId);
        m_approvals->setAutoRefresh(true);
        m_approvals->setPrincipalId(result->objectId);
        refresh();
        return;
    }
    // A failed step-up (or a second sign-in that was abandoned) leaves the earlier sign-in in place.
    if (m_session->state() == Auth::EntraSession::State::SignedIn && !wasRestoring) {
        setStatus(Status::Ready);
        if (result.error().kind != Error::Kind::Cancelled)
            fail(tr("sign-in"), result.error());
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

void PimPresenter::refresh()
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

void PimPresenter::noticeChangeElsewhere()
{
    if (!m_elsewhereTimer.isActive())
        m_elsewhereTimer.start();
}

void PimPresenter::setWarnMinutes(const QList<int> &minutes)
{
    m_expiry = Core::ExpiryWatcher(minutes);
    checkExpiry();
}

std::optional<Core::Target> PimPresenter::target(const QString &rowKey) const
{
    for (const auto &t : m_targets->targets())
        if (TargetsModel::rowKey(t) == rowKey)
            return t;
    return std::nullopt;
}

Core::Target PimPresenter::targetFor(const QString &groupId, const QString &groupName,
                                     Core::AccessKind access) const
{
    for (const auto &t : m_targets->targets())
        if (t.eligibility.groupId == groupId && t.eligibility.access == access)
            return t;
    Core::Eligibility e;
    e.groupId = groupId;
    e.groupDisplayName = groupName;
    e.access = access;
    return Core::Target {e, m_mapper.map(e)};
}

QString PimPresenter::targetName(const QString &groupId, const QString &groupName,
                                 Core::AccessKind access) const
{
    return targetDisplayName(groupId, groupName, access);
}

QString PimPresenter::targetDisplayName(const QString &groupId, const QString &groupName,
                                        Core::AccessKind access) const
{
    const Core::Target t = targetFor(groupId, groupName, access);
    if (t.aws)
        return tr("%1 on %2").arg(t.aws->roleName, TargetsModel::accountLabel(*t.aws));
    return t.key();
}

std::optional<Core::Grant> PimPresenter::soonestGrant() const
{
    std::optional<Core::Grant> best;
    for (const auto &g : m_requests->grants())
        if (!g.isPermanent() && (!best || g.end < best->end))
            best = g;
    return best;
}

void PimPresenter::checkExpiry()
{
    const QDateTime now = m_clock->now();
    for (const auto &event : m_expiry.update(m_requests->grants(), now)) {
        if (event.minutesBefore == 0)
            continue; // the end is announced by grantEnded, from what PIM says
        const auto grant = std::find_if(m_requests->grants().cbegin(), m_requests->grants().cend(),
                                        [&event](const Core::Grant &g) { return g.id == event.grantId; });
        const QString name = grant == m_requests->grants().cend()
            ? event.groupId
            : targetName(grant->groupId, grant->groupDisplayName, grant->access);
        Q_EMIT notify(tr("Access ends soon"),
                      tr("%1 ends in %2 (at %3). Renew it from the tray if you need more time.")
                          .arg(name, Graph::PimWording::duration(event.secondsLeft),
                               grant == m_requests->grants().cend()
                                   ? QString()
                                   : grant->end.toLocalTime().toString(QStringLiteral("HH:mm"))));
    }
    const qint64 next = m_expiry.secondsToNextEvent(now);
    if (next >= 0)
        m_expiryTimer.start(int(qBound(qint64(1), next + 1, qint64(24 * 3600)) * 1000));
    else
        m_expiryTimer.stop();
}

void PimPresenter::deactivate(const Core::Grant &grant)
{
    m_requests->deactivate(grant, tr("Deactivated from Elevate"), this,
                           [this](Core::Result<Core::AccessRequest> r) {
                               if (!r.ok())
                                   fail(tr("deactivation"), r.error());
                           });
}

void PimPresenter::cancelRequest(const QString &requestId)
{
    m_requests->cancel(requestId, this, [this](Core::Result<void> r) {
        if (!r.ok())
            fail(tr("canceling the request"), r.error());
    });
}

} // namespace Elevate::Ui

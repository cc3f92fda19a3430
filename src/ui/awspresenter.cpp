// SPDX-License-Identifier: GPL-3.0-or-later
#include "awspresenter.h"

#include "auth/idcsession.h"
#include "aws/rolepipeline.h"
#include "core/history.h"
#include "errortext.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "net/oneshotredirect.h"
#include "pimpresenter.h"

#include <memory>

namespace Elevate::Ui {

using Core::Error;

namespace {
// Per service principal, with the account's object id as the item: one account's refusal says nothing
// about another's.
const QString kSyncRefusedKind = QStringLiteral("provision-on-demand-refused:");
/// A refusal is not for good: an administrator may grant the permission or the consent later.
constexpr qint64 kSyncRefusalSecs = 24 * 3600;

QString clockTime(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("HH:mm"));
}
} // namespace

AwsPresenter::AwsPresenter(PimPresenter *pim, Aws::RolePipeline *aws, Auth::IdcSession *idc,
                           QString provisioningServicePrincipal, QObject *parent)
    : QObject(parent)
    , m_pim(pim)
    , m_aws(aws)
    , m_idc(idc)
    , m_provisioningServicePrincipal(std::move(provisioningServicePrincipal))
{
    m_aws->setAutoCheck(true);
    connect(m_pim->requests(), &Graph::RequestTracker::changed, this, [this] {
        if (m_signingOut)
            return; // what a sync brings now must not write profiles again
        // Cached role credentials are the signed-in account's (RolePipeline::setUser).
        if (const auto account = m_pim->account())
            m_aws->setUser(Aws::RolePipeline::userOf(*account));
        m_aws->setServerSkew(m_pim->graph()->serverClockSkewSecs());
        m_aws->setGrants(m_pim->requests()->grants(), m_pim->mapper());
        // After the first good sync: profiles left from an earlier run (the tray was not running when
        // their grant ended) go now, not at the next end.
        if (!m_reconciled && m_pim->requests()->lastSync().isValid()) {
            m_reconciled = true;
            m_aws->reconcileProfiles();
        }
    });
    connect(m_aws, &Aws::RolePipeline::changed, this, [this] {
        // Said once per target when Identity Center may need a fresh sign-in (the menu keeps offering it).
        for (const auto &t : m_aws->targets()) {
            if (!t.freshSignInMayHelp || m_freshSignInSaid.contains(t.key()) || !isSignedIn())
                continue;
            m_freshSignInSaid.insert(t.key());
            Q_EMIT notify(
                tr("AWS may need a fresh sign-in"),
                (m_aws->syncBridge()
                     ? tr("Your organisation's bridge should have pushed %1 to AWS by now, but AWS does not "
                          "list it. Identity Center may answer from the group memberships of your last AWS "
                          "sign-in: choose \"Sign in to AWS again\" in the menu.")
                     : tr("Entra's sync should have brought %1 to AWS by now, but AWS does not list it. "
                          "Identity Center may answer from the group memberships of your last AWS sign-in: "
                          "choose \"Sign in to AWS again\" in the menu."))
                    .arg(targetName(t)));
        }
        Q_EMIT changed();
    });
    connect(m_idc, &Auth::IdcSession::stateChanged, this, &AwsPresenter::changed);
    connect(m_idc, &Auth::IdcSession::browserUrlReady, this, &AwsPresenter::openUrl);
    connect(m_idc, &Auth::IdcSession::signInFinished, this, [this](const Core::Result<QString> &r) {
        m_aws->setIdentityCenterSignedInAt(m_idc->signedInAt());
        if (r.ok())
            m_aws->checkNow();
        Q_EMIT changed();
    });
    connect(m_aws, &Aws::RolePipeline::ready, this, [this](const Aws::AwsTarget &t) {
        Q_EMIT notify(
            tr("AWS role ready"),
            t.profileProblem.isEmpty()
                ? tr("%1 can be used now: open the console from the menu, or `aws --profile %2`.")
                      .arg(targetName(t), t.profileName)
                : tr("%1 can be used now (no CLI profile: %2).").arg(targetName(t), t.profileProblem));
    });
    connect(m_aws, &Aws::RolePipeline::waitingTooLong, this, [this](const Aws::AwsTarget &t) {
        const int minutes = int(t.waitingSecs(m_aws->serverNow()) / 60);
        if (m_aws->syncBridge()) {
            Q_EMIT notify(tr("Still waiting for AWS"),
                          tr("AWS has not picked up %1 after %n minute(s), although your organisation's "
                             "bridge normally pushes a role within about %2 min. The bridge may be "
                             "down or behind: ask whoever runs it to check it, or your administrator to "
                             "check the provisioning job (or to provision on demand).",
                             nullptr, minutes)
                              .arg(targetName(t))
                              .arg(m_aws->typicalSyncMinutes()),
                          false);
            return;
        }
        Q_EMIT notify(
            tr("Still waiting for AWS"),
            tr("AWS has not picked up %1 after %n minute(s). Entra's provisioning normally runs about "
               "every %2 minutes; if it does not arrive, ask your administrator to check the "
               "provisioning job (or to provision on demand).",
               nullptr, minutes)
                .arg(targetName(t))
                .arg(m_aws->typicalSyncMinutes()),
            false);
    });
    connect(
        m_aws, &Aws::RolePipeline::ended, this,
        [this](const Aws::AwsTarget &t, const QDateTime &credentialsUntil, const QDateTime &consoleUntil) {
            if (m_signingOut)
                return; // the sign-out message says it for all of them
            QStringList parts;
            parts << tr("Elevate removed the AWS profile of %1.").arg(targetName(t));
            if (credentialsUntil.isValid())
                parts << tr("Credentials already handed out keep working until %1.")
                             .arg(clockTime(credentialsUntil));
            if (consoleUntil.isValid())
                parts << tr("An open console session keeps working until %1.").arg(clockTime(consoleUntil));
            Q_EMIT notify(tr("AWS access ended"), parts.join(u' '));
        });
    connect(m_aws, &Aws::RolePipeline::problem, this, [this](const Error &e, const QString &what) {
        Q_EMIT notify(tr("AWS"), ErrorText::describe(what, e), true);
    });
}

bool AwsPresenter::isSignedIn() const
{
    return m_idc->state() == Auth::IdcSession::State::SignedIn;
}

void AwsPresenter::start()
{
    m_idc->restore();
}

void AwsPresenter::signIn()
{
    m_idc->signInInteractive();
}

bool AwsPresenter::isSigningIn() const
{
    return m_freshSignIn || m_idc->state() == Auth::IdcSession::State::SigningIn;
}

bool AwsPresenter::offersFreshSignIn(const Core::Grant &grant) const
{
    const auto *t = targetOf(grant);
    return t && t->freshSignInMayHelp && isSignedIn();
}

void AwsPresenter::signInAgain()
{
    if (isSigningIn())
        return;
    m_freshSignIn = true;
    Q_EMIT changed();
    // The portal session ends first (its refresh token with it), so the next sign-in is a new one
    // rather than the old session renewed; a failed Logout does not stop the new sign-in.
    m_aws->logoutPortal(this, [this](Core::Result<void>) {
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = connect(m_idc, &Auth::IdcSession::signedOut, this, [this, connection] {
            disconnect(*connection);
            m_freshSignIn = false;
            m_idc->signInInteractive(); // signInFinished: checkNow(), the waiting goes on
        });
        m_idc->signOut();
    });
}

const Aws::AwsTarget *AwsPresenter::targetOf(const Core::Grant &grant) const
{
    for (const auto &t : m_aws->targets())
        if (t.groupId == grant.groupId && grant.access == Core::AccessKind::Member)
            return &t;
    return nullptr;
}

bool AwsPresenter::isReady(const Core::Grant &grant) const
{
    const auto *t = targetOf(grant);
    return t && t->phase == Aws::AwsTarget::Phase::Ready;
}

QString AwsPresenter::targetName(const Aws::AwsTarget &t) const
{
    return t.accountName.isEmpty() ? t.key() : tr("%1 on %2").arg(t.roleName, t.accountName);
}

QString AwsPresenter::phaseText(const Core::Grant &grant) const
{
    const auto *t = targetOf(grant);
    if (!t)
        return {};
    switch (t->phase) {
    case Aws::AwsTarget::Phase::Ready:
        return t->profileProblem.isEmpty() ? tr("AWS: ready · profile %1").arg(t->profileName)
                                           : tr("AWS: ready · no profile (%1)").arg(t->profileProblem);
    case Aws::AwsTarget::Phase::NeedsSignIn:
        return tr("AWS: sign in to see when the role is ready");
    case Aws::AwsTarget::Phase::Waiting:
        break;
    }
    const qint64 waited = std::max<qint64>(0, t->waitingSecs(m_aws->serverNow()));
    if (t->listedButRefused)
        return tr("AWS: role listed, credentials not handed out yet · %1")
            .arg(Graph::PimWording::duration(waited));
    if (t->freshSignInMayHelp)
        return tr("AWS: not listed after %1 · Identity Center may need a fresh sign-in")
            .arg(Graph::PimWording::duration(waited));
    if (m_aws->syncBridge()) {
        // The organisation's elevate-bridge pushes the membership itself (aws.sync.bridge).
        if (t->overLimit)
            return tr("AWS: not pushed after %1 · the bridge may be down or behind; ask whoever runs it")
                .arg(Graph::PimWording::duration(waited));
        if (waited < 60)
            return tr("AWS: your organisation's bridge is pushing the role · just started (usually "
                      "within %1 min)")
                .arg(m_aws->typicalSyncMinutes());
        return tr("AWS: your organisation's bridge is pushing the role · %1 (usually within %2 min)")
            .arg(Graph::PimWording::duration(waited))
            .arg(m_aws->typicalSyncMinutes());
    }
    if (waited < 60)
        return tr("AWS: waiting for sync · just started (usually up to %1 min)")
            .arg(m_aws->typicalSyncMinutes());
    if (t->overLimit)
        return tr("AWS: still waiting for the sync after %1; ask an administrator")
            .arg(Graph::PimWording::duration(waited));
    return tr("AWS: waiting for sync · %1 (usually up to %2 min)")
        .arg(Graph::PimWording::duration(waited))
        .arg(m_aws->typicalSyncMinutes());
}

void AwsPresenter::openConsole(const Core::Grant &grant)
{
    const auto *t = targetOf(grant);
    if (!t)
        return;
    const QString name = targetName(*t);
    const QString key = t->key();
    m_aws->consoleUrl(t->accountId, t->roleName, grant.end, this, [this, name, key](Core::Result<QUrl> url) {
        if (!url.ok()) {
            Q_EMIT notify(tr("AWS console"),
                          ErrorText::describe(tr("opening the console for %1").arg(name), url.error()), true);
            return;
        }
        // The browser gets a one-shot loopback address, not the sign-in token: a process's arguments
        // are readable by every local user (issue 12, item 2). It answers once, then goes.
        auto *handoff = new Net::OneShotRedirect(this);
        const auto local = handoff->start(url.value(),
                                          m_consoleHandoffMs > 0 ? m_consoleHandoffMs
                                                                 : Net::OneShotRedirect::DefaultLifetimeMs);
        if (!local.ok()) {
            handoff->deleteLater();
            Q_EMIT notify(tr("AWS console"),
                          ErrorText::describe(tr("opening the console for %1").arg(name), local.error()),
                          true);
            return;
        }
        connect(handoff, &Net::OneShotRedirect::finished, this, [this, handoff, name](bool fetched) {
            handoff->deleteLater();
            if (!fetched)
                Q_EMIT notify(tr("AWS console"),
                              tr("The browser did not open the console sign-in for %1 in time. Open "
                                 "the console again from the menu.")
                                  .arg(name),
                              true);
        });
        Q_EMIT openUrl(local.value());
        if (m_aws->consoleLengthRefused(key))
            Q_EMIT notify(tr("AWS console"),
                          tr("The AWS sign-in service would not take a session length for %1; the console "
                             "chose it (at most 12 hours).")
                              .arg(name),
                          false);
    });
}

QDateTime AwsPresenter::syncRefusedAt() const
{
    const auto account = m_pim->account();
    if (!account)
        return {};
    const auto cached = m_syncRefusedAt.constFind(account->objectId);
    if (cached != m_syncRefusedAt.cend())
        return *cached;
    QDateTime at;
    if (auto *history = m_pim->history())
        if (const auto seen
            = history->seenAt(kSyncRefusedKind + m_provisioningServicePrincipal, account->objectId);
            seen.ok())
            at = seen.value();
    m_syncRefusedAt.insert(account->objectId, at);
    return at;
}

bool AwsPresenter::canSyncNow(const Core::Grant &grant) const
{
    const auto *t = targetOf(grant);
    if (!t || t->phase == Aws::AwsTarget::Phase::Ready || m_provisioningServicePrincipal.isEmpty()
        || !m_pim->account())
        return false;
    const QDateTime refused = syncRefusedAt();
    return !refused.isValid() || refused.secsTo(m_pim->clock()->now()) >= kSyncRefusalSecs;
}

void AwsPresenter::syncNow(const Core::Grant &grant)
{
    const auto *t = targetOf(grant);
    if (!t || !m_pim->account())
        return;
    const QString name = targetName(*t);
    const QString accountId = m_pim->account()->objectId;
    const QString targetAccount = t->accountId;
    const QString targetRole = t->roleName;
    m_pim->graph()->provisionOnDemand(
        m_provisioningServicePrincipal, grant.groupId, accountId, this,
        [this, name, accountId, targetAccount, targetRole](Core::Result<QString> result) {
            if (!result.ok()) {
                const Error &e = result.error();
                // Ordinary users may not provision (graph-pim.md §12), and a tenant may not have consented
                // to Synchronization.ReadWrite.All: say so once, offer it again after a day.
                if (e.httpStatus == 403 || e.serviceCode == u"AADSTS65001") {
                    const QDateTime now = m_pim->clock()->now();
                    m_syncRefusedAt.insert(accountId, now);
                    if (auto *history = m_pim->history())
                        (void)history->markSeenAt(kSyncRefusedKind + m_provisioningServicePrincipal,
                                                  accountId, now);
                    Q_EMIT notify(
                        tr("Sync to AWS"),
                        e.httpStatus == 403
                            ? tr("Your organisation does not let you provision on demand; Elevate "
                                 "waits for the regular sync and offers this again tomorrow.")
                            : tr("Elevate has no consent in your organisation to provision on demand "
                                 "(Synchronization.ReadWrite.All, granted by an administrator); it "
                                 "waits for the regular sync and offers this again tomorrow."));
                    Q_EMIT changed();
                    return;
                }
                Q_EMIT notify(tr("Sync to AWS"),
                              ErrorText::describe(tr("provisioning %1 on demand").arg(name), result.error()),
                              true);
                return;
            }
            if (result.value() == u"RedundantExport" || result.value() == u"Success")
                m_aws->noteProvisioned(targetAccount, targetRole);
            if (result.value() == u"RedundantExport") {
                Q_EMIT notify(
                    tr("Sync to AWS"),
                    tr("%1 is already in sync with AWS; Elevate checks for the role now.").arg(name));
                m_aws->checkNow();
                return;
            }
            if (result.value() != u"Success") {
                Q_EMIT notify(tr("Sync to AWS"),
                              tr("Entra did not provision %1 (%2); Elevate keeps waiting for the "
                                 "regular sync.")
                                  .arg(name, result.value()));
                return;
            }
            Q_EMIT notify(tr("Sync to AWS"),
                          tr("Entra pushed %1 to AWS; Elevate checks for the role now.").arg(name));
            m_aws->checkNow();
        });
}

void AwsPresenter::endAll()
{
    auto *service = m_pim->requests();
    auto pending = std::make_shared<int>(1);
    auto failures = std::make_shared<QStringList>();
    auto finishOne = [this, pending, failures] {
        if (--*pending > 0)
            return;
        m_aws->endAll(this, [this, failures](const Aws::EndReport &) {
            m_idc->signOut();
            Q_EMIT notify(
                tr("All access ended"),
                failures->isEmpty()
                    ? tr("PIM grants deactivated, AWS profiles and cached credentials removed, signed "
                         "out of AWS. Credentials and console sessions already handed out keep working "
                         "until they expire.")
                    : tr("AWS profiles and cached credentials removed and signed out of AWS, but PIM "
                         "refused to end: %1")
                          .arg(failures->join(QStringLiteral("; "))),
                !failures->isEmpty());
        });
    };
    for (const auto &g : service->grants()) {
        if (g.assignmentType == u"assigned")
            continue;
        ++*pending;
        const QString name = m_pim->targetDisplayName(g.groupId, g.groupDisplayName, g.access);
        service->deactivate(g, tr("End all access now (Elevate)"), this,
                            [failures, finishOne, name](Core::Result<Core::AccessRequest> r) {
                                if (!r.ok())
                                    *failures << ErrorText::describe(name, r.error());
                                finishOne();
                            });
    }
    finishOne();
}

void AwsPresenter::signOut(std::function<void(QStringList)> done)
{
    m_signingOut = true;
    const bool signedIn = isSignedIn();
    if (const auto account = m_pim->account()) // whose cache entries go
        m_aws->setUser(Aws::RolePipeline::userOf(*account));
    m_aws->endAll(this, [this, done, signedIn](const Aws::EndReport &report) {
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = connect(
            m_idc, &Auth::IdcSession::signedOut, this,
            [this, done, signedIn, report, connection](const Core::Result<void> &gone) {
                disconnect(*connection);
                m_signingOut = false;
                m_reconciled = false;
                m_freshSignInSaid.clear();
                QStringList parts;
                if (gone.ok())
                    parts << tr("It removed its AWS profiles and plain keys, the role credentials it cached "
                                "and its AWS IAM Identity Center sign-in.");
                else
                    parts << tr("It removed its AWS profiles and plain keys and the role credentials it "
                                "cached, but not its Identity Center sign-in.")
                          << ErrorText::describe(tr("Removing the Identity Center sign-in"), gone.error());
                if (signedIn && report.portalLogout.ok())
                    parts << tr("It signed out of the AWS access portal.");
                else if (signedIn)
                    parts << ErrorText::describe(tr("The AWS portal logout"), report.portalLogout.error())
                          << tr("The portal session may remain until it expires.");
                QStringList credentials;
                QStringList consoles;
                for (const auto &e : report.ended) {
                    const QString key = e.accountId + u'/' + e.roleName;
                    if (e.credentialsUntil.isValid())
                        credentials << tr("%1 until %2").arg(key, clockTime(e.credentialsUntil));
                    if (e.consoleUntil.isValid())
                        consoles << tr("%1 until %2").arg(key, clockTime(e.consoleUntil));
                }
                if (!credentials.isEmpty())
                    parts << tr("Role credentials already handed out keep working until they expire: %1.")
                                 .arg(credentials.join(QStringLiteral(", ")));
                parts << (consoles.isEmpty()
                              ? tr("An AWS console opened earlier keeps working until its session ends (at "
                                   "most 12 hours).")
                              : tr("Open AWS console sessions keep working: %1 (at most 12 hours).")
                                    .arg(consoles.join(QStringLiteral(", "))));
                done(parts);
            });
        m_idc->signOut();
    });
}

} // namespace Elevate::Ui

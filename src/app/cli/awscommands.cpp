// SPDX-License-Identifier: GPL-3.0-or-later
#include "awscommands.h"

#include "auth/entrasession.h"
#include "auth/idcsession.h"
#include "aws/console.h"
#include "aws/portalclient.h"
#include "aws/rolepipeline.h"
#include "cli.h"
#include "cliio.h"
#include "core/isotime.h"
#include "core/targetmapper.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "net/oneshotredirect.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <memory>

namespace Elevate::Cli {

using Core::Error;

AwsCommands::AwsCommands(CliApp &app)
    : QObject(&app)
    , m_app(app)
{ }

void AwsCommands::withLiveAwsGrant(const QString &target, const QString &doing,
                                   std::function<void(const Core::Grant &, const Core::AwsRole &)> then)
{
    if (!m_app.config().aws.isConfigured()) {
        m_app.fail(
            Error::make(Error::Kind::Config,
                        tr("aws.startUrl and aws.region are not set in %1").arg(m_app.config().sourcePath)),
            doing);
        return;
    }
    m_app.withAccess([this, target, doing, then] {
        m_app.requests()->sync(this, [this, target, doing, then](Core::Result<void> synced) {
            if (!synced.ok())
                return m_app.fail(synced.error(), tr("reading your access"));
            const QList<Core::Target> live = m_app.grantTargets(true);
            QString why;
            const auto t = m_app.resolveTarget(target, live, &why);
            if (!t || !t->aws || t->eligibility.access != Core::AccessKind::Member) {
                err() << "elevate: "
                      << tr("%1 failed: %2 is not active; request it with `elevate request %2`")
                             .arg(doing, target)
                      << Qt::endl;
                return m_app.finish(ExitFailure);
            }
            const auto grant = m_app.requests()->grantFor(t->eligibility.groupId, t->eligibility.access);
            m_app.ensureAws();
            m_app.rolePipeline()->setServerSkew(m_app.graph()->serverClockSkewSecs());
            m_app.rolePipeline()->setGrants(m_app.requests()->grants(),
                                            Core::TargetMapper(m_app.config().mapping));
            then(*grant, *t->aws);
        });
    });
}

void AwsCommands::awsLogin(bool deviceCode, bool fresh)
{
    if (!m_app.config().aws.isConfigured()) {
        m_app.fail(
            Error::make(Error::Kind::Config,
                        tr("aws.startUrl and aws.region are not set in %1").arg(m_app.config().sourcePath)),
            tr("AWS sign-in"));
        return;
    }
    m_app.ensureAws();
    if (fresh && !m_app.idcTried()) {
        // "Sign in to AWS again": the saved sign-in (if any) ends at the portal and is forgotten, so the
        // next one is new and sees today's group memberships.
        m_app.withIdc([this, deviceCode](bool signedIn) {
            auto forget = [this, deviceCode] {
                auto connection = std::make_shared<QMetaObject::Connection>();
                *connection = connect(m_app.idc(), &Auth::IdcSession::signedOut, this,
                                      [this, deviceCode, connection](const Core::Result<void> &removed) {
                                          disconnect(*connection);
                                          if (!removed.ok())
                                              return m_app.fail(removed.error(), tr("AWS sign-in"));
                                          m_app.forgetIdcSignIn();
                                          awsLogin(deviceCode, false);
                                      });
                m_app.idc()->signOut();
            };
            if (!signedIn)
                return forget();
            m_app.rolePipeline()->logoutPortal(this, [forget](Core::Result<void> out) {
                if (!out.ok())
                    err() << "elevate: "
                          << tr("AWS portal logout failed (%1); signing in anew anyway")
                                 .arg(sentence(out.error()))
                          << Qt::endl;
                else
                    err() << tr("Signed out of the AWS access portal.") << Qt::endl;
                forget();
            });
        });
        return;
    }
    connect(m_app.idc(), &Auth::IdcSession::browserUrlReady, this, [](const QUrl &url) {
        const bool opened = openBrowser(url);
        err() << (opened ? tr("Waiting for the AWS sign-in in the browser… If it did not open, visit:")
                         : tr("Could not open a browser. To sign in to AWS, visit:"))
              << '\n'
              << url.toString(QUrl::FullyEncoded) << Qt::endl;
    });
    connect(m_app.idc(), &Auth::IdcSession::deviceCodeReady, this,
            [](const QString &code, const QUrl &uri, const QUrl &complete, const QDateTime &) {
                err() << tr("To sign in to AWS, open %1 and enter the code %2.").arg(uri.toString(), code)
                      << '\n';
                if (complete.isValid())
                    err() << tr("Or open %1").arg(complete.toString()) << '\n';
                err().flush();
            });
    connect(m_app.idc(), &Auth::IdcSession::signInFinished, this, [this](const Core::Result<QString> &r) {
        if (!r.ok())
            return m_app.fail(r.error(), tr("AWS sign-in"));
        m_app.noteIdcSignedIn();
        // Identity Center does not say who signed in: the start URL is what Elevate knows.
        err() << tr("Signed in to AWS IAM Identity Center (%1).").arg(m_app.config().aws.startUrl)
              << Qt::endl;
        m_app.portal()->discoverRoles(
            this,
            [](int done, int total) {
                err() << '\r' << tr("Looking at your AWS accounts: %1 of %2").arg(done).arg(total);
                if (done == total)
                    err() << '\n';
                err().flush();
            },
            [this](Core::Result<Aws::Discovery> found) {
                if (!found.ok())
                    return m_app.failAws(found.error(), tr("listing your AWS accounts"));
                const Aws::Discovery &d = found.value();
                QSet<QString> accounts;
                for (const auto &role : d.roles)
                    accounts.insert(role.accountId);
                // An account that would not answer is named on stderr (the first 20); the others still count.
                constexpr int kNamed = 20;
                for (const auto &f : d.failures.mid(0, kNamed))
                    err() << "elevate: "
                          << (f.account.accountName.isEmpty()
                                  ? tr("the roles of AWS account %1 could not be read: %2")
                                        .arg(f.account.accountId, sentence(f.error))
                                  : tr("the roles of AWS account %1 (%2) could not be read: %3")
                                        .arg(f.account.accountId, f.account.accountName, sentence(f.error)))
                          << Qt::endl;
                if (m_app.json()) {
                    QJsonArray list;
                    for (const auto &role : d.roles)
                        list.append(QJsonObject {{QStringLiteral("accountId"), role.accountId},
                                                 {QStringLiteral("accountName"), role.accountName},
                                                 {QStringLiteral("roleName"), role.roleName}});
                    QJsonArray failures;
                    for (const auto &f : d.failures)
                        failures.append(QJsonObject {{QStringLiteral("accountId"), f.account.accountId},
                                                     {QStringLiteral("accountName"), f.account.accountName},
                                                     {QStringLiteral("error"), sentence(f.error)}});
                    out() << QJsonDocument(QJsonObject {{QStringLiteral("roles"), list},
                                                        {QStringLiteral("accounts"), d.accounts},
                                                        {QStringLiteral("failures"), failures}})
                                 .toJson(QJsonDocument::Compact)
                          << Qt::endl;
                } else {
                    out() << tr("AWS roles you can use right now: %1 (in %2 accounts).")
                                 .arg(d.roles.size())
                                 .arg(accounts.size())
                          << Qt::endl;
                }
                if (d.failures.size() > kNamed)
                    err() << "elevate: " << tr("… and %n more.", nullptr, int(d.failures.size()) - kNamed)
                          << Qt::endl;
                const bool nothingRead = !d.isComplete() && d.failures.size() == d.accounts;
                if (nothingRead)
                    err() << "elevate: "
                          << tr("None of the %n AWS accounts could be read.", nullptr, d.accounts)
                          << Qt::endl;
                else if (!d.isComplete())
                    err() << "elevate: "
                          << tr("%n of %1 AWS accounts could not be read; the roles listed are those of the "
                                "others.",
                                nullptr, int(d.failures.size()))
                                 .arg(d.accounts)
                          << Qt::endl;
                // Signed in either way; a failure only when no account could be read at all.
                m_app.finish(nothingRead ? exitCodeFor(d.failures.first().error) : ExitOk);
            });
    });
    if (deviceCode)
        m_app.idc()->signInWithDeviceCode();
    else
        m_app.idc()->signInInteractive();
}

void AwsCommands::console(const QString &target, bool printUrl)
{
    withLiveAwsGrant(
        target, tr("console"), [this, printUrl](const Core::Grant &grant, const Core::AwsRole &role) {
            m_app.rolePipeline()->consoleUrl(
                role.accountId, role.roleName, grant.end, this,
                [this, printUrl, role](Core::Result<QUrl> url) {
                    if (!url.ok())
                        return m_app.failAws(url.error(), tr("console"));
                    const QString key = role.accountId + u'/' + role.roleName;
                    if (m_app.rolePipeline()->consoleLengthRefused(key))
                        err() << tr("The AWS sign-in service would not take a session length "
                                    "for %1; the console chose it (at most 12 hours).")
                                     .arg(key)
                              << Qt::endl;
                    if (printUrl) {
                        err() << tr("This URL is a secret: whoever opens it first, within 15 minutes, is "
                                    "signed in to the AWS console as %1.")
                                     .arg(key)
                              << Qt::endl;
                        out() << url.value().toString(QUrl::FullyEncoded) << Qt::endl;
                        return m_app.finish(ExitOk);
                    }
                    // The browser gets a one-shot loopback address, not the sign-in token: a process's
                    // arguments are readable by every local user (issue 12, item 2).
                    auto *handoff = new Net::OneShotRedirect(this);
                    const auto local = handoff->start(url.value());
                    if (!local.ok())
                        return m_app.failAws(local.error(), tr("console"));
                    const QString printHint
                        = tr("`elevate console %1 --print-url` prints the sign-in URL to open yourself")
                              .arg(key);
                    if (!openBrowser(local.value())) {
                        err() << "elevate: "
                              << tr("no browser could be started (xdg-open or ELEVATE_BROWSER); %1")
                                     .arg(printHint)
                              << Qt::endl;
                        return m_app.finish(ExitFailure);
                    }
                    connect(handoff, &Net::OneShotRedirect::finished, this,
                            [this, key, printHint](bool fetched) {
                                if (!fetched) {
                                    err() << "elevate: "
                                          << tr("the browser did not open the console sign-in within %1 "
                                                "minutes; %2")
                                                 .arg(Net::OneShotRedirect::DefaultLifetimeMs / 60'000)
                                                 .arg(printHint)
                                          << Qt::endl;
                                    return m_app.finish(ExitCancelled);
                                }
                                const QDateTime until = m_app.rolePipeline()->consoleUntil(key);
                                err() << (until.isValid()
                                              ? tr("Opened the AWS console for %1 (session until %2).")
                                                    .arg(key, hhmm(until))
                                              : tr("Opened the AWS console for %1.").arg(key))
                                      << Qt::endl;
                                m_app.finish(ExitOk);
                            });
                });
        });
}

void AwsCommands::env(const QString &target)
{
    withLiveAwsGrant(target, tr("env"), [this](const Core::Grant &grant, const Core::AwsRole &role) {
        m_app.rolePipeline()->credentials(
            role.accountId, role.roleName, grant.end, this,
            [this, grant, role](Core::Result<Aws::RoleCredentials> c) {
                if (!c.ok())
                    return m_app.failAws(c.error(), tr("env"));
                // The grant's end and AWS's expiration are the services' clocks; the
                // SDKs compare AWS_CREDENTIAL_EXPIRATION with the local one.
                const QDateTime until
                    = (grant.end.isValid() ? std::min(c.value().expiration, grant.end) : c.value().expiration)
                          .addSecs(-m_app.graph()->serverClockSkewSecs());
                // stdout holds only the export lines: `eval $(elevate env …)` works
                // unquoted too.
                err() << tr("Elevate: %1/%2 until %3")
                             .arg(role.accountId, role.roleName, Aws::awsTimestamp(until))
                      << Qt::endl;
                out() << Aws::shellExports(c.value(), until, m_app.config().aws.profileRegion);
                m_app.finish(ExitOk);
            });
    });
}

void AwsCommands::credentialProcess(const QString &accountId, const QString &roleName)
{
    // The AWS CLI shows stderr as the error and wants nothing but the JSON on stdout.
    m_app.setQuietAws(true);
    m_app.skipAwsReconcile(); // the answer path must stay fast; the refusal path cleans up itself
    if (!Core::isAwsAccountId(accountId) || roleName.isEmpty()) {
        err() << "elevate: " << tr("credential-process needs --account with 12 digits and --role")
              << Qt::endl;
        m_app.exitNow(ExitUsage);
        return;
    }
    if (!m_app.config().aws.isConfigured()) {
        err() << "elevate: "
              << tr("aws.startUrl and aws.region are not set in %1").arg(m_app.config().sourcePath)
              << Qt::endl;
        m_app.exitNow(ExitConfig);
        return;
    }
    m_app.ensureAws();
    // The AWS CLI runs this for every command, and in a grant's last 15 minutes for every request.
    // A proof at most a minute old that the grant is live (Aws::GrantProofStore) answers without
    // Entra and Graph; without one, one Graph call decides and leaves a new proof.
    //
    //   saved Entra account ──▶ fresh proof for it? ──yes──▶ credentials (keychain cache, else portal)
    //                                         └─no──▶ Entra + Graph ──live──▶ proof ──▶ credentials
    //                                                              └─none──▶ proof and profile go, exit 1
    m_app.session()->readSavedAccount(
        this, [this, accountId, roleName](Core::Result<std::optional<Core::Account>> saved) {
            const QString entra
                = saved.ok() && saved.value() ? m_app.proofAccount(*saved.value()) : QString();
            m_app.rolePipeline()->setUser(entra);
            if (!entra.isEmpty()) {
                const auto found = m_app.rolePipeline()->proofs().find(accountId, roleName, entra,
                                                                       m_app.config().keychainService);
                // The mapping may have changed since: the proof's group must still reach this role.
                Core::Eligibility e;
                e.groupId = found.proof ? found.proof->groupId : QString();
                e.groupDisplayName = found.proof ? found.proof->groupName : QString();
                e.access = Core::AccessKind::Member;
                const auto role
                    = found.proof ? Core::TargetMapper(m_app.config().mapping).map(e) : std::nullopt;
                if (role && role->accountId == accountId && role->roleName == roleName) {
                    m_app.rolePipeline()->setServerSkew(found.proof->serverSkewSecs);
                    return handOutCredentials(accountId, roleName, found.proof->grantEnd,
                                              found.proof->serverSkewSecs);
                }
            }
            checkGrantForCredentials(accountId, roleName);
        });
}

namespace {
/// Whether this machine (the tray or a command) deactivated `grant` so recently that Graph may still
/// list it (replication lag): its history says when, as Graph::RequestTracker reads it. Only on the
/// Graph path, so one read of the history per Graph call.
bool endedHereMomentsAgo(const Core::Grant &grant, const QString &historyPath, const QDateTime &serverNow,
                         int windowSecs)
{
    if (!QFileInfo::exists(historyPath))
        return false;
    auto store = Core::HistoryStore::open(historyPath);
    if (!store.ok())
        return false;
    const auto recent = store.value()->entries(50);
    if (!recent.ok())
        return false;
    for (const auto &e : recent.value())
        if (Core::outcomeFrom(e.outcome) == Core::Outcome::Deactivated && e.isFor(grant.groupId, grant.access)
            && e.endedAt.isValid() && e.endedAt.addSecs(windowSecs) > serverNow
            && (!grant.start.isValid() || grant.start <= e.endedAt))
            return true;
    return false;
}
} // namespace

void AwsCommands::checkGrantForCredentials(const QString &accountId, const QString &roleName)
{
    const QString key = accountId + u'/' + roleName;
    // What the proof says is what was true when the question was sent, and what this machine had
    // changed by then (a deactivation here moves the stamp, and that proof stops counting).
    const QDateTime askedAt = m_app.clock().now();
    const QByteArray stamp = m_app.rolePipeline()->proofs().currentStamp();
    m_app.withSession([this, accountId, roleName, key, askedAt, stamp] {
        m_app.graph()->listActiveGrants(
            this, [this, accountId, roleName, key, askedAt, stamp](Core::Result<QList<Core::Grant>> grants) {
                if (!grants.ok()) {
                    err() << "elevate: "
                          << tr("cannot confirm that the grant for %1 is live: %2")
                                 .arg(key, sentence(grants.error()))
                          << Qt::endl;
                    return m_app.exitNow(exitCodeFor(grants.error()));
                }
                const qint64 skew = m_app.graph()->serverClockSkewSecs();
                m_app.rolePipeline()->setServerSkew(skew);
                m_app.rolePipeline()->setGrants(grants.value(), Core::TargetMapper(m_app.config().mapping));
                const Aws::AwsTarget *t = m_app.rolePipeline()->target(accountId, roleName);
                std::optional<Core::Grant> grant;
                for (const auto &g : grants.value())
                    if (t && g.groupId == t->groupId && g.access == Core::AccessKind::Member)
                        grant = g;
                // Deactivated here a moment ago (the tray, a command): Graph may list it for a while yet.
                if (grant
                    && endedHereMomentsAgo(*grant, m_app.config().effectiveHistoryPath(),
                                           m_app.clock().now().addSecs(skew),
                                           m_app.config().graphReplicationWindowSeconds))
                    grant.reset();
                if (!t || !grant) {
                    m_app.rolePipeline()->proofs().remove(accountId, roleName);
                    err()
                        << "elevate: "
                        << tr("no live grant for %1: the access has ended or was never activated; request it "
                              "with "
                              "`elevate request %1`")
                               .arg(key)
                        << Qt::endl;
                    // Whatever Elevate wrote for it goes now, so the next call does not even get here.
                    m_app.rolePipeline()->reconcileProfiles(this, [this] { m_app.exitNow(ExitFailure); });
                    return;
                }
                const auto account = m_app.session()->account();
                if (account) {
                    Aws::GrantProof proof;
                    proof.entraAccount = m_app.proofAccount(*account);
                    proof.scope = m_app.config().keychainService;
                    proof.accountId = accountId;
                    proof.roleName = roleName;
                    proof.groupId = grant->groupId;
                    proof.groupName = grant->groupDisplayName;
                    proof.grantEnd = grant->end;
                    proof.serverSkewSecs = skew;
                    proof.checkedAt = askedAt;
                    proof.changeStamp = stamp;
                    // Without a proof the next run asks Graph again: slower, never wrong.
                    (void)m_app.rolePipeline()->proofs().save(proof);
                }
                handOutCredentials(accountId, roleName, grant->end, skew);
            });
    });
}

void AwsCommands::handOutCredentials(const QString &accountId, const QString &roleName,
                                     const QDateTime &grantEnd, qint64 serverSkewSecs)
{
    const QString key = accountId + u'/' + roleName;
    m_app.rolePipeline()->credentials(
        accountId, roleName, grantEnd, this,
        [this, key, grantEnd, serverSkewSecs](Core::Result<Aws::RoleCredentials> c) {
            if (!c.ok()) {
                QString text;
                if (c.error().kind == Error::Kind::NotSignedIn
                    || c.error().kind == Error::Kind::InteractionRequired)
                    text = tr("not signed in to AWS IAM Identity Center; run `elevate aws-login`");
                else if (Aws::PortalClient::isNotAssigned(c.error()))
                    text = m_app.config().aws.syncBridge
                        ? tr("AWS does not have %1 for you yet: your organisation's bridge is pushing it "
                             "to IAM Identity Center")
                              .arg(key)
                        : tr("AWS does not have %1 for you yet: Entra's sync to IAM Identity "
                             "Center has not run since the grant started")
                              .arg(key);
                else
                    text = sentence(c.error());
                err() << "elevate: " << text << Qt::endl;
                return m_app.exitNow(exitCodeFor(c.error()) == ExitOk ? ExitFailure : exitCodeFor(c.error()));
            }
            // The grant's end and AWS's expiration are the services' clocks; the AWS CLI compares
            // Expiration with the local one (botocore's refresh windows). The skew measured against
            // Graph is the local clock's error, which AWS's clock does not share either.
            const QDateTime serviceUntil
                = grantEnd.isValid() ? std::min(c.value().expiration, grantEnd) : c.value().expiration;
            out() << Aws::processCredentialsJson(c.value(), serviceUntil.addSecs(-serverSkewSecs));
            m_app.exitNow(ExitOk);
        });
}

void AwsCommands::profiles()
{
    m_app.withAccess([this] {
        m_app.requests()->sync(this, [this](Core::Result<void> synced) {
            if (!synced.ok())
                return m_app.fail(synced.error(), tr("reading your access"));
            m_app.reconcileAws([this] {
                m_app.ensureAws();
                const QDateTime now = m_app.clock().now();
                const auto written = m_app.rolePipeline()->profiles();
                QJsonArray list;
                QStringList lines;
                for (const auto &t : m_app.rolePipeline()->targets()) {
                    QString state;
                    QString text;
                    switch (t.phase) {
                    case Aws::AwsTarget::Phase::Ready:
                        state = QStringLiteral("ready");
                        text = t.profileProblem.isEmpty() ? tr("ready")
                                                          : tr("ready, no profile: %1").arg(t.profileProblem);
                        break;
                    case Aws::AwsTarget::Phase::Waiting:
                        state = QStringLiteral("waiting");
                        text = tr("waiting for AWS sync, %1 so far (usually up to %2 min)")
                                   .arg(Graph::PimWording::duration(
                                       std::max<qint64>(0, t.waitingSecs(m_app.rolePipeline()->serverNow()))))
                                   .arg(m_app.config().aws.typicalSyncMinutes);
                        if (m_app.config().aws.syncBridge)
                            text = waitedTooLong(t, *m_app.rolePipeline())
                                ? tr("waiting: not pushed after %1; your organisation's bridge may be down "
                                     "or behind, ask whoever runs it")
                                      .arg(Graph::PimWording::duration(std::max<qint64>(
                                          0, t.waitingSecs(m_app.rolePipeline()->serverNow()))))
                                : tr("waiting: your organisation's bridge is pushing the role, %1 so far "
                                     "(usually within %2 min)")
                                      .arg(Graph::PimWording::duration(std::max<qint64>(
                                          0, t.waitingSecs(m_app.rolePipeline()->serverNow()))))
                                      .arg(m_app.config().aws.typicalSyncMinutes);
                        if (t.listedButRefused)
                            text
                                = tr("waiting: AWS lists the role but does not hand out its credentials yet, "
                                     "%1 so far")
                                      .arg(Graph::PimWording::duration(std::max<qint64>(
                                          0, t.waitingSecs(m_app.rolePipeline()->serverNow()))));
                        else if (t.freshSignInMayHelp)
                            text += tr(
                                "; Identity Center may need a fresh sign-in: `elevate aws-login --fresh`");
                        break;
                    case Aws::AwsTarget::Phase::NeedsSignIn:
                        state = QStringLiteral("needs-sign-in");
                        text = tr("waiting: sign in with `elevate aws-login`");
                        break;
                    }
                    const bool hasProfile
                        = t.phase == Aws::AwsTarget::Phase::Ready && t.profileProblem.isEmpty();
                    QJsonObject o {
                        {QStringLiteral("accountId"), t.accountId},
                        {QStringLiteral("roleName"), t.roleName},
                        {QStringLiteral("state"), state},
                        {QStringLiteral("profile"), hasProfile ? QJsonValue(t.profileName) : QJsonValue()},
                        {QStringLiteral("grantEnd"),
                         t.grantEnd.isValid() ? QJsonValue(Aws::awsTimestamp(t.grantEnd)) : QJsonValue()}};
                    if (t.phase != Aws::AwsTarget::Phase::Ready) {
                        o.insert(QStringLiteral("waitingSeconds"),
                                 std::max<qint64>(0, t.waitingSecs(m_app.rolePipeline()->serverNow())));
                        o.insert(QStringLiteral("listedButRefused"), t.listedButRefused);
                        o.insert(QStringLiteral("freshSignInMayHelp"), t.freshSignInMayHelp);
                        // What the wait is measured against (aws.sync), and whether a bridge pushes it.
                        o.insert(QStringLiteral("typicalMinutes"), m_app.config().aws.typicalSyncMinutes);
                        o.insert(QStringLiteral("limitMinutes"), m_app.config().aws.waitingLimitMinutes);
                        o.insert(QStringLiteral("overLimit"), waitedTooLong(t, *m_app.rolePipeline()));
                        o.insert(QStringLiteral("bridge"), m_app.config().aws.syncBridge);
                    }
                    if (!t.profileProblem.isEmpty())
                        o.insert(QStringLiteral("problem"), t.profileProblem);
                    list.append(o);
                    lines << QStringLiteral("  %1  %2  %3")
                                 .arg(hasProfile ? t.profileName : QStringLiteral("-"), t.key(), text);
                }
                if (m_app.json()) {
                    out() << QJsonDocument(QJsonObject {{QStringLiteral("configFile"),
                                                         m_app.rolePipeline()->files().configPath()},
                                                        {QStringLiteral("profiles"), list}})
                                 .toJson(QJsonDocument::Indented);
                } else if (lines.isEmpty()) {
                    out() << tr("No live AWS access, so no profiles (file: %1).")
                                 .arg(m_app.rolePipeline()->files().configPath())
                          << Qt::endl;
                } else {
                    out() << tr("AWS profiles in %1:").arg(m_app.rolePipeline()->files().configPath()) << '\n'
                          << lines.join(u'\n') << Qt::endl;
                }
                if (!written.ok())
                    err() << "elevate: " << sentence(written.error()) << Qt::endl;
                m_app.exitNow(written.ok() ? ExitOk : ExitFailure);
            });
        });
    });
}

void AwsCommands::endAll()
{
    // The emergency button: the AWS part runs whatever happens on the PIM side.
    auto failures = std::make_shared<int>(0);
    auto awsPart = [this, failures] {
        m_app.skipAwsReconcile();
        if (!m_app.config().aws.isConfigured())
            return m_app.exitNow(*failures ? ExitFailure : ExitOk);
        m_app.endAws([this, failures](bool signedIn, const Aws::EndReport &report,
                                      const Core::Result<void> &) {
            out() << tr("Removed Elevate's AWS profiles and cached credentials.") << Qt::endl;
            if (signedIn && !report.portalLogout.ok())
                err() << "elevate: " << tr("AWS logout failed: %1").arg(sentence(report.portalLogout.error()))
                      << Qt::endl;
            if (signedIn)
                out() << tr("Signed out of AWS IAM Identity Center.") << Qt::endl;
            out() << tr("Credentials and console sessions already handed out stay valid until they expire "
                        "(at most 12 hours for a console session).")
                  << Qt::endl;
            m_app.exitNow(*failures ? ExitFailure : ExitOk);
        });
    };
    auto pimFailed = [failures, awsPart](const Error &e) {
        ++*failures;
        err() << "elevate: " << tr("could not end the grants in PIM: %1").arg(sentence(e)) << Qt::endl;
        awsPart();
    };
    m_app.setOnSessionFailure(pimFailed);
    m_app.withAccess([this, failures, awsPart, pimFailed] {
        m_app.requests()->sync(this, [this, failures, awsPart, pimFailed](Core::Result<void> synced) {
            if (!synced.ok())
                return pimFailed(synced.error());
            if (m_app.config().aws.isConfigured()) {
                // Known targets: their cached credentials go too, also those without a profile.
                m_app.ensureAws();
                m_app.rolePipeline()->setServerSkew(m_app.graph()->serverClockSkewSecs());
                m_app.rolePipeline()->setGrants(m_app.requests()->grants(),
                                                Core::TargetMapper(m_app.config().mapping));
            }
            auto queue = std::make_shared<QList<Core::Grant>>();
            for (const auto &g : m_app.requests()->grants())
                if (g.assignmentType != u"assigned")
                    *queue << g;
            auto next = std::make_shared<std::function<void()>>();
            *next = [this, queue, failures, next, awsPart] {
                if (queue->isEmpty()) {
                    QTimer::singleShot(0, this, [next] { *next = nullptr; }); // ends the self-reference
                    return awsPart();
                }
                const Core::Grant grant = queue->takeFirst();
                const QString key
                    = m_app.requests()->targetKey(grant.groupId, grant.groupDisplayName, grant.access);
                m_app.requests()->deactivate(
                    grant, tr("End all access now (Elevate)"), this,
                    [this, key, failures, next](Core::Result<Core::AccessRequest> r) {
                        if (r.ok()) {
                            m_app.tellOthers();
                            out() << tr("%1 deactivated.").arg(key) << Qt::endl;
                        } else {
                            ++*failures;
                            err() << "elevate: " << tr("%1: %2").arg(key, sentence(r.error())) << Qt::endl;
                        }
                        (*next)();
                    });
            };
            (*next)();
        });
    });
}

void AwsCommands::logoutWithAws()
{
    // Everything end-all removes but nothing in PIM: the grants are read only to say until when
    // they stay active, and to know the targets whose cached credentials go.
    m_app.setSigningOut(true);
    m_app.skipAwsReconcile(); // nothing is written again on the way out
    auto grants = std::make_shared<std::optional<QList<Core::Grant>>>();
    auto awsPart = [this, grants] {
        m_app.endAws(
            [this, grants](bool signedIn, const Aws::EndReport &report, const Core::Result<void> &idcGone) {
                connect(m_app.session(), &Auth::EntraSession::signedOut, this,
                        [this, grants, signedIn, report, idcGone](const Core::Result<void> &entraGone) {
                            printSignOut(signedIn, report, *grants, idcGone, entraGone);
                        });
                m_app.session()->signOut();
            });
    };
    m_app.setOnSessionFailure([awsPart](const Error &) { awsPart(); });
    m_app.withAccess([this, grants, awsPart] {
        m_app.requests()->sync(this, [this, grants, awsPart](Core::Result<void> synced) {
            if (synced.ok()) {
                *grants = m_app.requests()->grants();
                // Known targets: their cached credentials go too, also those without a profile.
                m_app.ensureAws();
                m_app.rolePipeline()->setServerSkew(m_app.graph()->serverClockSkewSecs());
                m_app.rolePipeline()->setGrants(m_app.requests()->grants(),
                                                Core::TargetMapper(m_app.config().mapping));
            }
            awsPart();
        });
    });
}

void AwsCommands::printSignOut(bool signedInToAws, const Aws::EndReport &report,
                               const std::optional<QList<Core::Grant>> &grants,
                               const Core::Result<void> &idcGone, const Core::Result<void> &entraGone)
{
    // Times for people are on this machine's clock; the JSON keeps the services' (as status --json).
    const qint64 skew = m_app.graph()->serverClockSkewSecs();
    const QDateTime now = m_app.rolePipeline()->serverNow();
    const bool portalOk = signedInToAws && report.portalLogout.ok();
    QJsonArray targets;
    QStringList handedOut;
    bool consoles = false;
    for (const auto &e : report.ended) {
        const QString key = e.accountId + u'/' + e.roleName;
        targets.append(QJsonObject {
            {QStringLiteral("target"), key},
            {QStringLiteral("profile"), e.profileName},
            {QStringLiteral("credentialsUntil"),
             e.credentialsUntil.isValid() ? QJsonValue(Aws::awsTimestamp(e.credentialsUntil)) : QJsonValue()},
            {QStringLiteral("consoleUntil"),
             e.consoleUntil.isValid() ? QJsonValue(Aws::awsTimestamp(e.consoleUntil)) : QJsonValue()}});
        if (e.credentialsUntil.isValid())
            handedOut << tr("%1 until %2").arg(key, hhmm(e.credentialsUntil.addSecs(-skew)));
        consoles = consoles || e.consoleUntil.isValid();
    }
    QJsonArray pim;
    QStringList active;
    if (grants) {
        for (const auto &g : *grants) {
            if (g.end.isValid() && g.end <= now)
                continue;
            const QString key = m_app.requests()->targetKey(g.groupId, g.groupDisplayName, g.access);
            pim.append(QJsonObject {
                {QStringLiteral("target"), key},
                {QStringLiteral("groupId"), g.groupId},
                {QStringLiteral("end"),
                 g.end.isValid() ? QJsonValue(Core::formatGraphDateTime(g.end)) : QJsonValue()}});
            active << (g.end.isValid() ? tr("%1 until %2").arg(key, hhmm(g.end.addSecs(-skew)))
                                       : tr("%1 (permanent)").arg(key));
        }
    }
    QStringList problems;
    if (!idcGone.ok())
        problems << tr("the Identity Center sign-in could not be removed from the keychain: %1")
                        .arg(sentence(idcGone.error()));
    if (!entraGone.ok())
        problems << tr("the Entra sign-in could not be removed from the keychain: %1")
                        .arg(sentence(entraGone.error()));

    if (m_app.json()) {
        QJsonObject aws {{QStringLiteral("removed"),
                          QJsonArray {QStringLiteral("profiles"), QStringLiteral("plainCredentials"),
                                      QStringLiteral("cachedRoleCredentials"), QStringLiteral("grantProofs"),
                                      QStringLiteral("identityCenterSignIn")}},
                         {QStringLiteral("identityCenterSignedIn"), signedInToAws},
                         {QStringLiteral("portalLoggedOut"), portalOk},
                         {QStringLiteral("targets"), targets},
                         {QStringLiteral("consoleSessionMaxHours"), 12}};
        if (signedInToAws && !report.portalLogout.ok())
            aws.insert(QStringLiteral("portalLogoutError"), sentence(report.portalLogout.error()));
        QJsonObject o {{QStringLiteral("signedOut"), entraGone.ok() && idcGone.ok()},
                       {QStringLiteral("aws"), aws},
                       {QStringLiteral("pimGrantsDeactivated"), false},
                       {QStringLiteral("pimGrants"), grants ? QJsonValue(pim) : QJsonValue()}};
        if (!problems.isEmpty())
            o.insert(QStringLiteral("problems"), QJsonArray::fromStringList(problems));
        out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << Qt::endl;
    } else {
        out() << (problems.isEmpty()
                      ? tr(
                          "Signed out: Elevate removed its AWS profiles and plain keys, the role credentials "
                          "it cached, and its Identity Center and Entra sign-ins.")
                      : tr("Elevate removed its AWS profiles and plain keys and the role credentials it "
                           "cached; what it could not remove is said below."))
              << Qt::endl;
        if (portalOk)
            out() << tr("Signed out of the AWS access portal.") << Qt::endl;
        else if (signedInToAws)
            out() << tr("AWS portal logout failed: %1 Its session may remain until it expires.")
                         .arg(sentence(report.portalLogout.error()))
                  << Qt::endl;
        if (!handedOut.isEmpty())
            out() << tr("Role credentials already handed out keep working until they expire: %1.")
                         .arg(handedOut.join(QStringLiteral(", ")))
                  << Qt::endl;
        out() << (consoles ? tr("Open AWS console sessions keep working until they end (at most 12 hours).")
                           : tr("An AWS console opened earlier keeps working until its session ends (at most "
                                "12 hours after it was opened)."))
              << Qt::endl;
        if (!grants)
            out() << tr("Your PIM grants were not read and were not ended: any you have stay active until "
                        "their end.")
                  << Qt::endl;
        else if (!active.isEmpty())
            out() << tr("Your PIM grants stay active (sign-out does not end them; `elevate end-all` does): "
                        "%1. Elevate lists them again after you sign in.")
                         .arg(active.join(QStringLiteral(", ")))
                  << Qt::endl;
    }
    for (const auto &p : problems)
        err() << "elevate: " << p << Qt::endl;
    if (!entraGone.ok())
        return m_app.exitNow(exitCodeFor(entraGone.error()));
    if (!idcGone.ok())
        return m_app.exitNow(exitCodeFor(idcGone.error()));
    m_app.exitNow(ExitOk);
}

} // namespace Elevate::Cli

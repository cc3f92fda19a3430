// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include "approvalcommands.h"
#include "auth/entrasession.h"
#include "auth/idcsession.h"
#include "auth/keychainsecretstore.h"
#include "aws/portalclient.h"
#include "aws/rolepipeline.h"
#include "awscommands.h"
#include "cliio.h"
#include "core/changenotice.h"
#include "core/isotime.h"
#include "core/targetmapper.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"
#include "net/httpclient.h"
#include "pimcommands.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QTextStream>

namespace Elevate::Cli {

using Core::Error;

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}
QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

/// Opens the sign-in page: ELEVATE_BROWSER (URL as its last argument) or xdg-open.
bool openBrowser(const QUrl &url)
{
    QStringList args = QProcess::splitCommand(qEnvironmentVariable("ELEVATE_BROWSER"));
    if (args.isEmpty())
        args = {QStringLiteral("xdg-open")};
    const QString program = args.takeFirst();
    args << url.toString(QUrl::FullyEncoded);
    return QProcess::startDetached(program, args);
}

QString sentence(const Error &e)
{
    const QString pim = Graph::PimWording::describe(e);
    if (!pim.isEmpty())
        return pim;
    if (const QString refused = Graph::ServiceWording::describe(e); !refused.isEmpty())
        return refused;
    if (e.kind == Error::Kind::InvalidInput)
        return e.message;
    QString what = e.message;
    if (!e.serviceCode.isEmpty() && !what.contains(e.serviceCode))
        what = e.serviceCode + QStringLiteral(": ") + what;
    return what;
}

int exitCodeFor(const Error &error)
{
    switch (error.kind) {
    case Error::Kind::None:
        return ExitOk;
    case Error::Kind::Network:
    case Error::Kind::Timeout:
        return ExitNetwork;
    case Error::Kind::NotSignedIn:
    case Error::Kind::InteractionRequired:
        return ExitNotSignedIn;
    case Error::Kind::Keychain:
        return ExitKeychain;
    case Error::Kind::Config:
        return ExitConfig;
    case Error::Kind::InvalidInput:
        return ExitUsage;
    case Error::Kind::Cancelled:
        return ExitCancelled;
    case Error::Kind::Http:
    case Error::Kind::Service:
    case Error::Kind::Parse:
    case Error::Kind::Security:
    case Error::Kind::Internal:
        return ExitFailure;
    }
    return ExitFailure;
}

CliApp::CliApp(Core::AppConfig config, bool json, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_json(json)
    , m_nam(new QNetworkAccessManager(this))
    , m_http(new Net::HttpClient(m_nam, this))
    , m_secrets(std::make_unique<Auth::KeychainSecretStore>(m_config.keychainService))
    , m_session(new Auth::EntraSession(m_config, m_http, m_secrets.get(), &m_clock, this))
    , m_graph(new Graph::GraphClient(QUrl(m_config.graphBaseUrl), m_config.graphResource, m_http, m_session,
                                     this))
{
    m_graph->setClock(&m_clock);
    // A throttled call waits as long as Graph asks (minutes, at worst): say so, or it looks hung.
    connect(m_graph, &Graph::GraphClient::throttled, this,
            [](const QDateTime &retryAt, const QString &service) {
                err() << tr("%1 asked Elevate to wait; retrying at %2")
                             .arg(service, retryAt.toLocalTime().toString(QStringLiteral("HH:mm:ss")))
                      << Qt::endl;
            });
    m_graph->setReplicationWindowSecs(m_config.graphReplicationWindowSeconds);
}

CliApp::~CliApp() = default;

PimCommands &CliApp::pimCommands()
{
    if (!m_pim)
        m_pim = new PimCommands(*this);
    return *m_pim;
}

ApprovalCommands &CliApp::approvalCommands()
{
    if (!m_approvals)
        m_approvals = new ApprovalCommands(*this);
    return *m_approvals;
}

AwsCommands &CliApp::awsCommands()
{
    if (!m_awsCommands)
        m_awsCommands = new AwsCommands(*this);
    return *m_awsCommands;
}

QList<Core::Target> CliApp::grantTargets(bool includePermanent) const
{
    QList<Core::Target> live;
    if (!m_requests)
        return live;
    const Core::TargetMapper mapper(m_config.mapping);
    for (const auto &g : m_requests->grants()) {
        if (g.assignmentType == u"assigned" && !includePermanent)
            continue;
        Core::Eligibility e;
        e.id = g.id;
        e.groupId = g.groupId;
        e.groupDisplayName = g.groupDisplayName;
        e.access = g.access;
        live << Core::Target {e, mapper.map(e)};
    }
    return live;
}

void CliApp::finish(int code)
{
    if (!m_awsReconciled && m_requests && m_requests->lastSync().isValid() && m_config.aws.isConfigured()) {
        m_awsReconciled = true;
        reconcileAws([this, code] { exitNow(code); });
        return;
    }
    exitNow(code);
}

void CliApp::tellOthers()
{
    Core::ChangeNotice(Core::ChangeNotice::beside(m_config.effectiveHistoryPath())).touch();
}

void CliApp::exitNow(int code)
{
    out().flush();
    err().flush();
    QCoreApplication::exit(code);
}

void CliApp::fail(const Error &error, const QString &doing)
{
    QString text;
    switch (error.kind) {
    case Error::Kind::NotSignedIn:
        text = tr("not signed in; run `elevate login`");
        break;
    case Error::Kind::InteractionRequired:
        text = tr("%1 failed: you need to sign in again (%2); run `elevate login`")
                   .arg(doing, sentence(error));
        break;
    case Error::Kind::Keychain:
        text = tr("%1 failed: %2").arg(doing, error.message);
        break;
    default:
        text = tr("%1 failed: %2").arg(doing, sentence(error));
        break;
    }
    err() << "elevate: " << text << Qt::endl;
    finish(exitCodeFor(error));
}

void CliApp::withSession(std::function<void()> then)
{
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this, then](const Core::Result<Core::Account> &result) {
                if (!result.ok() && m_onSessionFailure)
                    return std::exchange(m_onSessionFailure, {})(result.error());
                if (!result.ok())
                    return fail(result.error(), tr("silent sign-in"));
                then();
            });
    m_session->restore();
}

std::optional<Core::Target> CliApp::resolveTarget(const QString &name, const QList<Core::Target> &targets,
                                                  QString *error)
{
    const QString wanted = name.trimmed();
    static const QRegularExpression accountRole(QStringLiteral(R"(^(\d{12})\s*[/:]\s*(.+)$)"));
    const auto m = accountRole.match(wanted);
    QList<Core::Target> found;
    for (const auto &t : targets) {
        bool match = false;
        if (m.hasMatch())
            match = t.aws && t.aws->accountId == m.captured(1)
                && t.aws->roleName.compare(m.captured(2), Qt::CaseInsensitive) == 0;
        else
            match = t.eligibility.groupDisplayName.compare(wanted, Qt::CaseInsensitive) == 0
                || t.eligibility.groupId == wanted;
        if (match)
            found << t;
    }
    // Member and owner eligibility of one group: the member one is what people mean.
    if (found.size() > 1) {
        QList<Core::Target> members;
        for (const auto &t : found)
            if (t.eligibility.access == Core::AccessKind::Member)
                members << t;
        if (members.size() == 1)
            found = members;
    }
    if (found.size() == 1)
        return found.first();
    if (error)
        *error = found.isEmpty() ? tr("no eligible target \"%1\"; name it as ACCOUNT/ROLE (e.g. "
                                      "123456789012/ReadOnlyAccess) or by "
                                      "group name, see `elevate eligible`")
                                       .arg(wanted)
                                 : tr("\"%1\" matches more than one target; use the group id").arg(wanted);
    return std::nullopt;
}

QDateTime CliApp::parseStart(const QString &text, const QDateTime &now)
{
    const QString t = text.trimmed();
    static const QRegularExpression clock(QStringLiteral(R"(^(\d{1,2}):(\d{2})$)"));
    if (const auto m = clock.match(t); m.hasMatch()) {
        const QTime time(m.captured(1).toInt(), m.captured(2).toInt());
        if (!time.isValid())
            return {};
        QDateTime local(now.toLocalTime().date(), time, Qt::LocalTime);
        if (local < now)
            local = local.addDays(1);
        return local.toUTC();
    }
    QDateTime d = QDateTime::fromString(t, Qt::ISODate);
    if (!d.isValid())
        return {};
    return d.toUTC();
}

void CliApp::browserForStepUp()
{
    connect(m_session, &Auth::EntraSession::browserUrlReady, this, [](const QUrl &url) {
        const bool opened = openBrowser(url);
        err() << (opened
                      ? tr("This group asks for a stronger sign-in; finish it in the browser. If it did not "
                           "open, visit:")
                      : tr("This group asks for a stronger sign-in. Visit:"))
              << '\n'
              << url.toString(QUrl::FullyEncoded) << Qt::endl;
    });
}

void CliApp::withAccess(std::function<void()> then)
{
    const QString path = m_config.effectiveHistoryPath();
    auto store = Core::HistoryStore::open(path);
    if (!store.ok()) {
        // The history is worth having, but never worth refusing access: go on without it.
        err() << "elevate: " << tr("warning: the history cannot be used (%1)").arg(store.error().message)
              << Qt::endl;
        makeAccess(nullptr);
    } else {
        makeAccess(std::move(store).value());
    }
    withSession([this, then] {
        m_requests->setPrincipalId(m_session->account() ? m_session->account()->objectId : QString());
        then();
    });
}

void CliApp::makeAccess(std::unique_ptr<Core::HistoryStore> history)
{
    m_history = std::move(history);
    m_requests = new Graph::RequestTracker(m_graph, m_history.get(), Core::TargetMapper(m_config.mapping),
                                           &m_clock, this);
}

QJsonObject CliApp::grantJson(const Core::Grant &g) const
{
    const QString key = m_requests->targetKey(g.groupId, g.groupDisplayName, g.access);
    Core::Eligibility e;
    e.groupId = g.groupId;
    e.groupDisplayName = g.groupDisplayName;
    const auto aws = Core::TargetMapper(m_config.mapping).map(e);
    return QJsonObject {{QStringLiteral("target"), key},
                        {QStringLiteral("groupId"), g.groupId},
                        {QStringLiteral("groupName"), g.groupDisplayName},
                        {QStringLiteral("accessId"), Core::accessIdOf(g.access)},
                        {QStringLiteral("accountId"), aws ? QJsonValue(aws->accountId) : QJsonValue()},
                        {QStringLiteral("role"), aws ? QJsonValue(aws->roleName) : QJsonValue()},
                        {QStringLiteral("assignmentType"), g.assignmentType},
                        {QStringLiteral("start"),
                         g.start.isValid() ? QJsonValue(Core::formatGraphDateTime(g.start)) : QJsonValue()},
                        {QStringLiteral("end"),
                         g.end.isValid() ? QJsonValue(Core::formatGraphDateTime(g.end)) : QJsonValue()},
                        {QStringLiteral("secondsRemaining"),
                         g.isPermanent() ? QJsonValue() : QJsonValue(double(g.secondsLeft(m_clock.now())))}};
}

QJsonObject CliApp::requestJson(const Core::AccessRequest &r) const
{
    const QDateTime now = m_clock.now();
    return QJsonObject {
        {QStringLiteral("id"), r.id},
        {QStringLiteral("target"), m_requests->targetKey(r.groupId, r.groupDisplayName, r.access)},
        {QStringLiteral("groupId"), r.groupId},
        {QStringLiteral("groupName"), r.groupDisplayName},
        {QStringLiteral("accessId"), Core::accessIdOf(r.access)},
        {QStringLiteral("status"), r.status},
        {QStringLiteral("justification"), r.justification},
        {QStringLiteral("ticketSystem"), r.ticketSystem},
        {QStringLiteral("ticketNumber"), r.ticketNumber},
        {QStringLiteral("created"),
         r.created.isValid() ? QJsonValue(Core::formatGraphDateTime(r.created)) : QJsonValue()},
        {QStringLiteral("start"),
         r.start.isValid() ? QJsonValue(Core::formatGraphDateTime(r.start)) : QJsonValue()},
        {QStringLiteral("durationSeconds"), double(r.durationSecs)},
        {QStringLiteral("secondsPending"),
         r.created.isValid() ? QJsonValue(double(qMax<qint64>(0, r.created.secsTo(now)))) : QJsonValue()}};
}

namespace {

/// Hands the portal client Identity Center tokens, restoring the sign-in from the keychain only when
/// a token is really needed (credential-process answers from its cache without it).
class LazyIdcTokens final : public Core::AccessTokenProvider
{
public:
    LazyIdcTokens(Core::AccessTokenProvider *inner, std::function<void(std::function<void(bool)>)> ensure)
        : m_inner(inner)
        , m_ensure(std::move(ensure))
    { }
    void requestAccessToken(const QString &resource, QObject *context, Callback callback) override
    {
        QPointer<QObject> guard(context);
        m_ensure([this, resource, guard, callback](bool signedIn) {
            if (!guard)
                return;
            if (!signedIn) {
                callback(Error::make(Error::Kind::NotSignedIn, QStringLiteral("not signed in to AWS")));
                return;
            }
            m_inner->requestAccessToken(resource, guard, callback);
        });
    }
    void invalidateAccessToken(const QString &resource, const QString &token) override
    {
        m_inner->invalidateAccessToken(resource, token);
    }

private:
    Core::AccessTokenProvider *m_inner;
    std::function<void(std::function<void(bool)>)> m_ensure;
};

} // namespace

QString hhmm(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

bool waitedTooLong(const Aws::AwsTarget &t, const Aws::RolePipeline &aws)
{
    return t.phase != Aws::AwsTarget::Phase::Ready
        && t.waitingSecs(aws.serverNow()) > qint64(aws.waitingLimitMinutes()) * 60;
}

QString CliApp::credentialProcessCommand() const
{
    QStringList args;
    if (!m_config.sourcePath.isEmpty() && m_config.sourcePath != Core::AppConfig::defaultPath())
        args << QStringLiteral("--config") << QFileInfo(m_config.sourcePath).absoluteFilePath();
    return Aws::RolePipeline::commandLine(QCoreApplication::applicationFilePath(), args);
}

void CliApp::ensureAws()
{
    if (m_aws)
        return;
    m_idc = new Auth::IdcSession(m_config, m_http, m_secrets.get(), &m_clock, this);
    m_idcTokens
        = std::make_unique<LazyIdcTokens>(m_idc, [this](std::function<void(bool)> then) { withIdc(then); });
    m_portal = new Aws::PortalClient(m_config.aws, m_http, m_idcTokens.get(), &m_clock, this);
    m_aws = new Aws::RolePipeline(
        m_config, m_http, m_portal,
        Aws::AwsFiles(Aws::AwsFiles::defaultConfigPath(), Aws::AwsFiles::defaultCredentialsPath()),
        m_secrets.get(), &m_clock, credentialProcessCommand(), this);
    // Cached role credentials are the signed-in Entra account's: known now, or after the restore most
    // commands start with.
    if (const auto account = m_session->account())
        m_aws->setUser(proofAccount(*account));
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this](const Core::Result<Core::Account> &r) {
                if (r.ok())
                    m_aws->setUser(proofAccount(r.value()));
            });
    connect(m_aws, &Aws::RolePipeline::problem, this, [this](const Error &e, const QString &what) {
        if (!m_quietAws)
            err() << "elevate: " << tr("AWS: %1 failed: %2").arg(what, sentence(e)) << Qt::endl;
    });
    connect(m_aws, &Aws::RolePipeline::ended, this,
            [this](const Aws::AwsTarget &t, const QDateTime &credentialsUntil, const QDateTime &) {
                if (m_quietAws || m_signingOut)
                    return;
                err() << tr("AWS access to %1 ended: Elevate removed the profile %2.")
                             .arg(t.key(), t.profileName);
                if (credentialsUntil.isValid())
                    err() << ' '
                          << tr("Credentials already handed out keep working until %1.")
                                 .arg(hhmm(credentialsUntil));
                err() << Qt::endl;
            });
    connect(m_aws, &Aws::RolePipeline::ready, this, [this](const Aws::AwsTarget &t) {
        if (!m_quietAws && t.profileProblem.isEmpty())
            err() << tr("AWS role ready: %1 — use it with `aws --profile %2`").arg(t.key(), t.profileName)
                  << Qt::endl;
    });
}

void CliApp::withIdc(std::function<void(bool)> then)
{
    ensureAws();
    if (m_idcTried) {
        then(m_idcSignedIn);
        return;
    }
    // One restore, however many ask while it runs (a second one would cancel the first).
    m_idcWaiting << then;
    if (m_idcWaiting.size() > 1)
        return;
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_idc, &Auth::IdcSession::signInFinished, this,
                          [this, connection](const Core::Result<QString> &r) {
                              disconnect(*connection);
                              m_idcTried = true;
                              m_idcSignedIn = r.ok();
                              for (const auto &waiting : std::exchange(m_idcWaiting, {}))
                                  waiting(m_idcSignedIn);
                          });
    m_idc->restore();
}

void CliApp::reconcileAws(std::function<void()> then)
{
    m_awsReconciled = true;
    if (!m_requests || !m_config.aws.isConfigured()) {
        then();
        return;
    }
    ensureAws();
    m_aws->setServerSkew(m_graph->serverClockSkewSecs());
    m_aws->setGrants(m_requests->grants(), Core::TargetMapper(m_config.mapping));
    const bool waiting
        = std::any_of(m_aws->targets().cbegin(), m_aws->targets().cend(),
                      [](const Aws::AwsTarget &t) { return t.phase != Aws::AwsTarget::Phase::Ready; });
    if (!waiting) {
        m_aws->reconcileProfiles(this, then);
        return;
    }
    withIdc([this, then](bool signedIn) {
        if (!signedIn) {
            if (!m_quietAws)
                err()
                    << "elevate: "
                    << tr("AWS: sign in with `elevate aws-login` so Elevate can tell when AWS has your role")
                    << Qt::endl;
            m_aws->reconcileProfiles(this, then);
            return;
        }
        m_aws->setIdentityCenterSignedInAt(m_idc->signedInAt());
        m_aws->checkOnce(this, [this, then] {
            if (!m_quietAws)
                for (const auto &t : m_aws->targets()) {
                    const QString waited
                        = Graph::PimWording::duration(std::max<qint64>(0, t.waitingSecs(m_aws->serverNow())));
                    if (t.freshSignInMayHelp)
                        err() << "elevate: "
                              << (m_config.aws.syncBridge
                                      ? tr("AWS still does not list %1 after %2, although your "
                                           "organisation's bridge should have pushed it; Identity Center "
                                           "may answer from the group memberships of your last AWS sign-in: "
                                           "run `elevate aws-login --fresh`")
                                      : tr("AWS still does not list %1 after %2, although Entra's sync "
                                           "should have brought it; Identity Center may answer from the "
                                           "group memberships of your last AWS sign-in: run `elevate "
                                           "aws-login --fresh`"))
                                     .arg(t.key(), waited)
                              << Qt::endl;
                    else if (m_config.aws.syncBridge && t.phase == Aws::AwsTarget::Phase::Waiting
                             && !t.listedButRefused && waitedTooLong(t, *m_aws))
                        err() << "elevate: "
                              << tr("AWS still does not list %1 after %2: your organisation's bridge "
                                    "may be down or behind; ask whoever runs it to check it, or your "
                                    "administrator to check the provisioning job (or to provision on demand)")
                                     .arg(t.key(), waited)
                              << Qt::endl;
                }
            then();
        });
    });
}

void CliApp::failAws(const Error &error, const QString &doing)
{
    if (error.kind == Error::Kind::NotSignedIn || error.kind == Error::Kind::InteractionRequired) {
        err() << "elevate: "
              << tr("%1 failed: not signed in to AWS IAM Identity Center; run `elevate aws-login`").arg(doing)
              << Qt::endl;
        exitNow(ExitNotSignedIn);
        return;
    }
    if (Aws::PortalClient::isNotAssigned(error)) {
        err() << "elevate: "
              << (m_config.aws.syncBridge
                      ? tr("%1 failed: AWS does not have this role for you yet — your organisation's bridge "
                           "is pushing it to IAM Identity Center (usually within %2 min; if it takes "
                           "longer than %3 min, the bridge may be down or behind: ask whoever runs it)")
                            .arg(doing)
                            .arg(m_config.aws.typicalSyncMinutes)
                            .arg(m_config.aws.waitingLimitMinutes)
                      : tr("%1 failed: AWS does not have this role for you yet — Entra's sync to IAM "
                           "Identity Center has not run since the grant started (it runs about every %2 "
                           "minutes)")
                            .arg(doing)
                            .arg(m_config.aws.typicalSyncMinutes))
              << Qt::endl;
        exitNow(ExitFailure);
        return;
    }
    fail(error, doing);
}

QString CliApp::proofAccount(const Core::Account &account)
{
    return Aws::RolePipeline::userOf(account); // the cached role credentials' user too
}

void CliApp::endAws(std::function<void(bool, const Aws::EndReport &, const Core::Result<void> &)> then)
{
    ensureAws();
    auto run = [this, then] {
        withIdc([this, then](bool signedIn) {
            m_aws->endAll(this, [this, then, signedIn](const Aws::EndReport &report) {
                auto connection = std::make_shared<QMetaObject::Connection>();
                *connection = connect(m_idc, &Auth::IdcSession::signedOut, this,
                                      [then, signedIn, report, connection](const Core::Result<void> &gone) {
                                          QObject::disconnect(*connection);
                                          then(signedIn, report, gone);
                                      });
                m_idc->signOut();
            });
        });
    };
    if (!m_aws->user().isEmpty())
        return run();
    // The Entra sign-in did not restore (offline, refused): the saved account still says whose the
    // cached credentials are.
    m_session->readSavedAccount(this, [this, run](Core::Result<std::optional<Core::Account>> saved) {
        if (saved.ok() && saved.value())
            m_aws->setUser(proofAccount(*saved.value()));
        run();
    });
}

} // namespace Elevate::Cli

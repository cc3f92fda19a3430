// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli.h"

#include "auth/entrasession.h"
#include "auth/keychainsecretstore.h"
#include "core/isotime.h"
#include "core/targetmapper.h"
#include "graph/graphclient.h"
#include "net/httpclient.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QTextStream>
#include <QTimer>

namespace Elevate::Cli {

using Core::Error;

namespace {
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
    QString what = e.message;
    if (!e.serviceCode.isEmpty() && !what.contains(e.serviceCode))
        what = e.serviceCode + QStringLiteral(": ") + what;
    return what;
}
} // namespace

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
{ }

CliApp::~CliApp() = default;

void CliApp::finish(int code)
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

void CliApp::login(bool deviceCode, const QString &loginHint)
{
    m_session->setLoginHint(loginHint);
    connect(m_session, &Auth::EntraSession::browserUrlReady, this, [](const QUrl &url) {
        const bool opened = openBrowser(url);
        err() << (opened ? tr("Waiting for sign-in in the browser… If it did not open, visit:")
                         : tr("Could not open a browser. To sign in, visit:"))
              << '\n'
              << url.toString(QUrl::FullyEncoded) << Qt::endl;
    });
    connect(m_session, &Auth::EntraSession::deviceCodeReady, this,
            [](const QString &code, const QUrl &uri, const QString &message, const QDateTime &) {
                err() << (message.isEmpty()
                              ? tr("To sign in, open %1 and enter the code %2.").arg(uri.toString(), code)
                              : message)
                      << Qt::endl;
            });
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this](const Core::Result<Core::Account> &result) {
                if (!result.ok())
                    return fail(result.error(), tr("sign-in"));
                const Core::Account &a = result.value();
                if (m_json) {
                    out() << QJsonDocument(QJsonObject {{QStringLiteral("displayName"), a.displayName},
                                                        {QStringLiteral("userPrincipalName"), a.username},
                                                        {QStringLiteral("id"), a.objectId},
                                                        {QStringLiteral("tenantId"), a.tenantId}})
                                 .toJson(QJsonDocument::Compact)
                          << Qt::endl;
                } else {
                    out() << tr("Signed in as %1 (%2)").arg(a.displayName, a.username) << Qt::endl;
                }
                finish(ExitOk);
            });
    if (deviceCode)
        m_session->signInWithDeviceCode();
    else
        m_session->signInInteractive();
}

void CliApp::logout()
{
    connect(m_session, &Auth::EntraSession::signedOut, this, [this](const Core::Result<void> &result) {
        if (!result.ok())
            return fail(result.error(), tr("sign-out"));
        if (m_json)
            out() << QStringLiteral("{\"signedOut\":true}") << Qt::endl;
        else
            out() << tr("Signed out; Elevate's keychain entries for this configuration are removed.")
                  << Qt::endl;
        finish(ExitOk);
    });
    m_session->signOut();
}

void CliApp::withSession(std::function<void()> then)
{
    connect(m_session, &Auth::EntraSession::signInFinished, this,
            [this, then](const Core::Result<Core::Account> &result) {
                if (!result.ok())
                    return fail(result.error(), tr("silent sign-in"));
                then();
            });
    m_session->restore();
}

void CliApp::whoami()
{
    withSession([this] {
        m_graph->getMe(this, [this](Core::Result<Graph::GraphUser> me) {
            if (!me.ok())
                return fail(me.error(), tr("reading your profile"));
            const QString tenant = m_session->account() ? m_session->account()->tenantId : QString();
            if (m_json)
                out() << QJsonDocument(
                             QJsonObject {{QStringLiteral("displayName"), me->displayName},
                                          {QStringLiteral("userPrincipalName"), me->userPrincipalName},
                                          {QStringLiteral("id"), me->id},
                                          {QStringLiteral("tenantId"), tenant}})
                             .toJson(QJsonDocument::Compact)
                      << Qt::endl;
            else
                out() << tr("%1 (%2)").arg(me->displayName, me->userPrincipalName) << '\n'
                      << tr("Tenant: %1").arg(tenant) << Qt::endl;
            finish(ExitOk);
        });
    });
}

void CliApp::eligible()
{
    withSession([this] {
        m_graph->listEligibilities(this, [this](Core::Result<QList<Core::Eligibility>> list) {
            if (!list.ok())
                return fail(list.error(), tr("listing eligible access"));
            const QList<Core::Target> targets = Core::TargetMapper(m_config.mapping).mapAll(list.value());
            if (m_json) {
                QJsonArray array;
                for (const auto &t : targets) {
                    const auto &e = t.eligibility;
                    array.append(QJsonObject {
                        {QStringLiteral("groupId"), e.groupId},
                        {QStringLiteral("groupName"), e.groupDisplayName},
                        {QStringLiteral("accessId"), e.accessId},
                        {QStringLiteral("memberType"), e.memberType},
                        {QStringLiteral("start"),
                         e.start.isValid() ? QJsonValue(Core::formatGraphDateTime(e.start)) : QJsonValue()},
                        {QStringLiteral("end"),
                         e.end.isValid() ? QJsonValue(Core::formatGraphDateTime(e.end)) : QJsonValue()},
                        {QStringLiteral("mapped"), t.isMapped()},
                        {QStringLiteral("accountId"), t.aws ? QJsonValue(t.aws->accountId) : QJsonValue()},
                        {QStringLiteral("accountName"),
                         t.aws ? QJsonValue(t.aws->accountName) : QJsonValue()},
                        {QStringLiteral("role"), t.aws ? QJsonValue(t.aws->roleName) : QJsonValue()}});
                }
                out() << QJsonDocument(array).toJson(QJsonDocument::Indented);
                return finish(ExitOk);
            }
            if (targets.isEmpty())
                out() << tr("You are not eligible for any PIM group.") << Qt::endl;
            QString account;
            bool unmappedHeader = false;
            for (const auto &t : targets) {
                const bool owner = t.eligibility.accessId == u"owner";
                const QString until = t.eligibility.end.isValid()
                    ? tr("until %1").arg(t.eligibility.end.toUTC().toString(QStringLiteral("yyyy-MM-dd")))
                    : tr("permanent");
                if (t.aws) {
                    if (t.aws->accountId != account) {
                        account = t.aws->accountId;
                        out() << (t.aws->accountName.isEmpty()
                                      ? account
                                      : tr("%1 (%2)").arg(t.aws->accountName, account))
                              << '\n';
                    }
                    out() << "  " << t.aws->roleName << (owner ? tr(" (as group owner)") : QString()) << "  ["
                          << until << "]\n";
                } else {
                    if (!unmappedHeader) {
                        out() << tr("Not mapped to an AWS account and role:") << '\n';
                        unmappedHeader = true;
                    }
                    out() << "  " << t.key() << (owner ? tr(" (as group owner)") : QString()) << "  ["
                          << until << "]\n";
                }
            }
            finish(ExitOk);
        });
    });
}

} // namespace Elevate::Cli

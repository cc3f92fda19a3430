// SPDX-License-Identifier: GPL-3.0-or-later
#include "rolepipeline.h"

#include "console.h"
#include "core/awsendpoints.h"
#include "net/httpclient.h"
#include "net/json.h"

#include <QCryptographicHash>
#include <QLoggingCategory>
#include <QRegularExpression>

#include <memory>

using namespace Qt::StringLiterals;

namespace Elevate::Aws {

Q_DECLARE_LOGGING_CATEGORY(lcAws)

using Core::Error;

namespace {
/// The AWS CLI asks again when less than 15 minutes are left (aws-sso.md §4.5); cached credentials
/// with less than that are renewed rather than handed out.
constexpr qint64 kRefreshWindowSecs = 15 * 60;
constexpr qint64 kRetryAfterErrorSecs = 60;
constexpr qint64 kLongestWaitMs = 5 * 60 * 1000;

/// `handedOut` false: fetched only to see that AWS hands them out (the Ready check); nobody holds them
/// yet, so the end of the grant has no credentials to warn about.
QByteArray cacheJson(const RoleCredentials &c, bool handedOut)
{
    const Net::Json j {{"accessKeyId", c.accessKeyId.toStdString()},
                       {"secretAccessKey", c.secretAccessKey.toStdString()},
                       {"sessionToken", c.sessionToken.toStdString()},
                       {"expiration", c.expiration.toMSecsSinceEpoch()},
                       {"handedOut", handedOut}};
    return QByteArray::fromStdString(j.dump());
}

/// Entries written before the Ready check existed were all handed out.
bool cachedHandedOut(const QByteArray &bytes)
{
    const auto j = Net::parseJson(bytes);
    return !j || !j.value().is_object() || !j.value().contains("handedOut")
        || !j.value()["handedOut"].is_boolean() || j.value()["handedOut"].get<bool>();
}

std::optional<RoleCredentials> fromCacheJson(const QByteArray &bytes, const QString &account,
                                             const QString &role)
{
    auto j = Net::parseJson(bytes);
    if (!j || !j.value().is_object())
        return std::nullopt;
    RoleCredentials c;
    c.accountId = account;
    c.roleName = role;
    c.accessKeyId = Net::jsonString(j.value(), "accessKeyId");
    c.secretAccessKey = Net::jsonString(j.value(), "secretAccessKey");
    c.sessionToken = Net::jsonString(j.value(), "sessionToken");
    if (const auto ms = Net::jsonInt(j.value(), "expiration"))
        c.expiration = QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC);
    // What the portal hands out always has a session token (PortalClient::parseRoleCredentials): an
    // entry without one is none Elevate wrote, and keys without it would be refused by every service.
    if (!c.isValid() || c.sessionToken.isEmpty())
        return std::nullopt;
    return c;
}
} // namespace

RolePipeline::RolePipeline(const Core::AppConfig &config, Net::HttpClient *http, PortalClient *portal,
                           AwsFiles files, Core::SecretStore *secrets, const Core::Clock *clock,
                           QString credentialProcess, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_http(http)
    , m_portal(portal)
    , m_files(std::move(files))
    , m_secrets(secrets)
    , m_clock(clock)
    , m_credentialProcess(std::move(credentialProcess))
    , m_proofs(GrantProofStore::beside(config.effectiveHistoryPath(), clock))
{
    m_timer.setSingleShot(true);
    m_timer.setTimerType(Qt::VeryCoarseTimer);
    connect(&m_timer, &QTimer::timeout, this, &RolePipeline::onTimer);
}

QString RolePipeline::profileNote(const QDateTime &grantEnd)
{
    return grantEnd.isValid() ? u"Grant ends %1."_s.arg(awsTimestamp(grantEnd)) : u"Permanent assignment."_s;
}

QString RolePipeline::commandLine(const QString &program, const QStringList &arguments)
{
    static const QRegularExpression plain(u"^[A-Za-z0-9_./:=@%+,-]+$"_s);
    QStringList parts;
    for (const QString &a : QStringList {program} + arguments) {
        if (plain.match(a).hasMatch())
            parts << a;
        else
            parts << u'"' + QString(a).replace(u'\\', u"\\\\"_s).replace(u'"', u"\\\""_s) + u'"';
    }
    return parts.join(u' ');
}

qint64 RolePipeline::backoffSecs(int checksSoFar)
{
    static constexpr qint64 steps[] = {5, 10, 20, 40};
    return checksSoFar < 4 ? steps[std::max(0, checksSoFar)] : 60;
}

QString RolePipeline::profileName(const QString &accountId, const QString &roleName,
                                  const QString &accountName) const
{
    static const QRegularExpression unsafe(u"[^A-Za-z0-9_.+=,@-]+"_s);
    QString name = m_config.aws.profileTemplate;
    name.replace(u"{account}"_s, accountId);
    name.replace(u"{role}"_s, roleName);
    name.replace(u"{accountName}"_s,
                 QString(accountName.isEmpty() ? accountId : accountName).replace(unsafe, u"-"_s));
    return name;
}

QString RolePipeline::cacheKey(const QString &accountId, const QString &roleName) const
{
    if (m_user.isEmpty())
        return {};
    // Whose they are, hashed (a start URL and an account id are long, and the name need not show
    // them); each part with its length in front, so that no two different triples hash the same input.
    QByteArray who;
    for (const QString &part : {m_config.aws.startUrl, m_config.aws.region, m_user}) {
        const QByteArray bytes = part.toUtf8();
        who += QByteArray::number(bytes.size()) + ':' + bytes;
    }
    const QString digest
        = QString::fromLatin1(QCryptographicHash::hash(who, QCryptographicHash::Sha256).toHex().left(32));
    return u"aws-role-credentials:v2:"_s + digest + u':' + accountId + u'/' + roleName;
}

QString RolePipeline::legacyCacheKey(const QString &accountId, const QString &roleName)
{
    return u"aws-role-credentials:"_s + accountId + u'/' + roleName;
}

void RolePipeline::removeLegacyCacheEntry(const QString &accountId, const QString &roleName, bool always,
                                          std::function<void()> done)
{
    const QString key = accountId + u'/' + roleName;
    if (!always && m_legacyRemoved.contains(key)) {
        done();
        return;
    }
    m_legacyRemoved.insert(key);
    // Not read: an entry of that format may be another configuration's or another person's.
    m_secrets->remove(legacyCacheKey(accountId, roleName), this, [done](Core::Result<void>) { done(); });
}

AwsTarget *RolePipeline::find(const QString &accountId, const QString &roleName)
{
    for (auto &t : m_targets)
        if (t.accountId == accountId && t.roleName == roleName)
            return &t;
    return nullptr;
}

const AwsTarget *RolePipeline::target(const QString &accountId, const QString &roleName) const
{
    for (const auto &t : m_targets)
        if (t.accountId == accountId && t.roleName == roleName)
            return &t;
    return nullptr;
}

void RolePipeline::setGrants(const QList<Core::Grant> &grants, const Core::TargetMapper &mapper)
{
    const QDateTime now = m_clock->now();
    // A profile counts as "AWS has it" only when it was written for this very grant (its note names
    // the grant's end): one left from an earlier grant of the same role proves nothing.
    QHash<QString, QString> profileNotes;
    if (const auto existing = m_files.managedProfiles(); existing.ok())
        for (const auto &p : existing.value())
            profileNotes.insert(p.accountId + u'/' + p.roleName, p.note);

    QList<AwsTarget> next;
    for (const auto &g : grants) {
        if (g.access != Core::AccessKind::Member)
            continue; // owners of a group are not its members, so SCIM gives them nothing in AWS
        if (g.end.isValid() && g.end <= serverNow())
            continue; // over by Graph's clock, whatever a sync that ran a moment ago still says
        Core::Eligibility e;
        e.groupId = g.groupId;
        e.groupDisplayName = g.groupDisplayName;
        e.access = g.access;
        const auto role = mapper.map(e);
        if (!role)
            continue;
        AwsTarget t;
        bool renewed = false;
        if (const AwsTarget *old = target(role->accountId, role->roleName)) {
            t = *old;
            renewed = t.phase == AwsTarget::Phase::Ready && t.grantEnd != g.end;
        } else {
            t.accountId = role->accountId;
            t.roleName = role->roleName;
            const auto note = profileNotes.constFind(t.key());
            t.phase = note != profileNotes.cend() && *note == profileNote(g.end) ? AwsTarget::Phase::Ready
                                                                                 : AwsTarget::Phase::Waiting;
            t.nextCheck = now;
            t.readyAt = t.phase == AwsTarget::Phase::Ready ? now : QDateTime();
        }
        t.accountName = role->accountName;
        t.groupId = g.groupId;
        t.grantStart = g.start;
        t.grantEnd = g.end;
        t.profileName = profileName(t.accountId, t.roleName, t.accountName);
        if (renewed)
            (void)writeProfile(t); // the note names the grant it was written for
        if (std::none_of(next.cbegin(), next.cend(), [&t](const AwsTarget &n) { return n.key() == t.key(); }))
            next << t;
    }
    const QList<AwsTarget> before = m_targets;
    m_targets = next;
    for (const auto &old : before)
        if (!target(old.accountId, old.roleName))
            endTarget(old);
    Q_EMIT changed();
    schedule();
}

void RolePipeline::setAutoCheck(bool on)
{
    m_autoCheck = on;
    schedule();
}

void RolePipeline::schedule()
{
    if (!m_autoCheck) {
        m_timer.stop();
        return;
    }
    const QDateTime now = m_clock->now();
    const QDateTime graphNow = serverNow();
    std::optional<qint64> soonestMs; // may be negative: overdue
    auto consider = [&soonestMs](qint64 ms) { soonestMs = soonestMs ? std::min(*soonestMs, ms) : ms; };
    for (const auto &t : m_targets) {
        if (t.grantEnd.isValid())
            consider(graphNow.msecsTo(t.grantEnd));
        if (t.phase == AwsTarget::Phase::Waiting && !m_checking.contains(t.accountId))
            consider(now.msecsTo(t.nextCheck));
        if (m_config.aws.plainCredentials && t.phase == AwsTarget::Phase::Ready)
            if (const QDateTime until = m_credentialsUntil.value(t.key());
                until.isValid() && (!t.grantEnd.isValid() || until < t.grantEnd))
                // Plain keys are renewed before they expire (not more than once a minute).
                consider(std::max<qint64>(60'000, now.msecsTo(until.addSecs(-kRefreshWindowSecs))));
    }
    if (!soonestMs) {
        m_timer.stop();
        return;
    }
    // Re-armed after every check and on every grant change: a long wait is cut into steps of at most
    // kLongestWaitMs so that a suspended machine (the timer's clock stops while it sleeps) catches up
    // within that after it resumes, the same as the grant checks of RequestTracker; never less than a
    // second (a coarse timer may fire early, and a 0 ms re-arm would spin). A live grant that waits
    // for nothing wakes the app no more often than that.
    m_timer.start(int(std::clamp<qint64>(*soonestMs, 1000, kLongestWaitMs)));
}

void RolePipeline::onTimer()
{
    const QDateTime now = m_clock->now();
    const QList<AwsTarget> snapshot = m_targets;
    bool endedAny = false;
    for (const auto &t : snapshot) {
        if (t.grantEnd.isValid() && t.grantEnd <= serverNow()) {
            m_targets.removeIf([&t](const AwsTarget &x) { return x.key() == t.key(); });
            endTarget(t);
            endedAny = true;
        }
    }
    if (endedAny)
        Q_EMIT changed();
    QSet<QString> due;
    for (const auto &t : std::as_const(m_targets))
        if (t.phase == AwsTarget::Phase::Waiting && t.nextCheck <= now)
            due.insert(t.accountId);
    for (const auto &account : due)
        checkAccount(account, [] {});
    if (m_config.aws.plainCredentials) {
        for (const auto &t : std::as_const(m_targets)) {
            const QDateTime until = m_credentialsUntil.value(t.key());
            if (t.phase != AwsTarget::Phase::Ready || !t.profileProblem.isEmpty() || !until.isValid()
                || now.secsTo(until) > kRefreshWindowSecs || (t.grantEnd.isValid() && until >= t.grantEnd))
                continue;
            m_credentialsUntil.remove(t.key()); // asked once; the answer sets it again
            credentials(t.accountId, t.roleName, t.grantEnd, this,
                        [this, t](Core::Result<RoleCredentials> c) {
                            if (c.ok())
                                writePlainCredentials(t, c.value());
                            schedule();
                        });
        }
    }
    schedule();
}

void RolePipeline::checkNow()
{
    QSet<QString> accounts;
    for (auto &t : m_targets) {
        if (t.phase != AwsTarget::Phase::Ready) {
            t.phase = AwsTarget::Phase::Waiting;
            accounts.insert(t.accountId);
        }
    }
    for (const auto &a : accounts)
        checkAccount(a, [] {});
    schedule();
}

void RolePipeline::checkOnce(QObject *context, std::function<void()> done)
{
    QPointer<QObject> guard(context);
    QSet<QString> accounts;
    for (const auto &t : std::as_const(m_targets))
        if (t.phase != AwsTarget::Phase::Ready)
            accounts.insert(t.accountId);
    auto remaining = std::make_shared<int>(int(accounts.size()));
    auto finishAll = [this, guard, done] {
        reconcileProfiles(this, [guard, done] {
            if (guard)
                done();
        });
    };
    if (accounts.isEmpty()) {
        finishAll();
        return;
    }
    for (const auto &a : accounts)
        checkAccount(a, [remaining, finishAll] {
            if (--*remaining == 0)
                finishAll();
        });
}

QString RolePipeline::visibleState(const AwsTarget &t)
{
    return t.key() + QString::number(int(t.phase)) + QString::number(t.overLimit)
        + QString::number(int(t.lastError.kind)) + t.profileProblem + QString::number(t.listedButRefused)
        + QString::number(t.freshSignInMayHelp);
}

void RolePipeline::checkAccount(const QString &accountId, std::function<void()> done)
{
    if (m_checking.contains(accountId)) {
        done();
        return;
    }
    m_checking.insert(accountId);
    m_portal->listAccountRoles(accountId, this, [this, accountId, done](Core::Result<QStringList> roles) {
        const QDateTime now = m_clock->now();
        auto visible = [this] {
            QStringList out;
            for (const auto &t : std::as_const(m_targets))
                out << visibleState(t);
            return out;
        };
        const QStringList before = visible();
        QStringList listed; // roles to check with GetRoleCredentials before they are Ready
        for (auto &t : m_targets) {
            if (t.accountId != accountId || t.phase == AwsTarget::Phase::Ready)
                continue;
            if (roles.ok() && roles.value().contains(t.roleName)) {
                listed << t.roleName;
                continue;
            }
            ++t.checks;
            t.listedButRefused = false;
            if (!roles.ok() && !PortalClient::isNotAssigned(roles.error())) {
                t.lastError = roles.error();
                const auto k = roles.error().kind;
                if (k == Error::Kind::InteractionRequired || k == Error::Kind::NotSignedIn) {
                    if (t.phase != AwsTarget::Phase::NeedsSignIn)
                        Q_EMIT problem(roles.error(), tr("checking whether AWS has %1").arg(t.key()));
                    t.phase = AwsTarget::Phase::NeedsSignIn;
                    t.freshSignInMayHelp = false;
                    continue;
                }
                t.nextCheck = now.addSecs(kRetryAfterErrorSecs);
            } else {
                t.lastError = {};
                t.nextCheck = now.addSecs(backoffSecs(t.checks - 1));
            }
            if (!t.overLimit && t.waitingSecs(serverNow()) > qint64(m_config.aws.waitingLimitMinutes) * 60) {
                t.overLimit = true;
                Q_EMIT waitingTooLong(t);
            }
        }
        updateFreshSignInHints();
        auto remaining = std::make_shared<int>(int(listed.size()) + 1);
        auto finishOne = [this, accountId, before, visible, done, remaining] {
            if (--*remaining > 0)
                return;
            m_checking.remove(accountId);
            if (visible() != before)
                Q_EMIT changed();
            schedule();
            done();
        };
        for (const QString &role : std::as_const(listed))
            checkCredentials(accountId, role, finishOne);
        finishOne();
    });
}

void RolePipeline::checkCredentials(const QString &accountId, const QString &roleName,
                                    std::function<void()> done)
{
    AwsTarget *t = find(accountId, roleName);
    if (!t) {
        done();
        return;
    }
    // Listed is not usable yet: just after a change Identity Center may list a role and still refuse
    // its credentials (aws-sso.md §3.6). The credentials asked for here are cached, so the first use
    // of the profile does not ask again.
    roleCredentials(accountId, roleName, t->grantEnd, false, this,
                    [this, accountId, roleName, done](Core::Result<RoleCredentials> c) {
                        AwsTarget *t = find(accountId, roleName);
                        if (!t || t->phase == AwsTarget::Phase::Ready) {
                            done();
                            return;
                        }
                        if (c.ok()) {
                            t->listedButRefused = false;
                            t->freshSignInMayHelp = false;
                            markReady(*t);
                            done();
                            return;
                        }
                        const QDateTime now = m_clock->now();
                        ++t->checks;
                        const Error &e = c.error();
                        if (PortalClient::isNotAssigned(e)) {
                            t->listedButRefused = true;
                            t->freshSignInMayHelp = false;
                            t->lastError = {};
                            t->nextCheck = now.addSecs(backoffSecs(t->checks - 1));
                        } else if (e.kind == Error::Kind::InteractionRequired
                                   || e.kind == Error::Kind::NotSignedIn) {
                            if (t->phase != AwsTarget::Phase::NeedsSignIn)
                                Q_EMIT problem(e, tr("checking whether AWS has %1").arg(t->key()));
                            t->phase = AwsTarget::Phase::NeedsSignIn;
                            t->lastError = e;
                        } else {
                            t->lastError = e;
                            t->nextCheck = now.addSecs(kRetryAfterErrorSecs);
                        }
                        if (t->phase == AwsTarget::Phase::Waiting && !t->overLimit
                            && t->waitingSecs(serverNow()) > qint64(m_config.aws.waitingLimitMinutes) * 60) {
                            t->overLimit = true;
                            Q_EMIT waitingTooLong(*t);
                        }
                        done();
                    });
}

bool RolePipeline::updateFreshSignInHints()
{
    // The sign-in time is a service time (IdcSession::signedInAt), as is the grant's start; the
    // provision on demand was noted on the local clock.
    const QDateTime now = m_clock->now();
    const QDateTime serverTime = serverNow();
    bool changedAny = false;
    for (auto &t : m_targets) {
        bool hint = false;
        if (t.phase == AwsTarget::Phase::Waiting && !t.listedButRefused) {
            // A sign-in older than the moment the membership reached Identity Center may not see it.
            auto olderThan
                = [this](const QDateTime &at) { return !m_idcSignedInAt.isValid() || m_idcSignedInAt < at; };
            if (t.grantStart.isValid()) {
                // The SCIM cycle has surely run by the grant's start + the typical cycle.
                const QDateTime due = t.grantStart.addSecs(qint64(m_config.aws.typicalSyncMinutes) * 60);
                hint = serverTime >= due && olderThan(due);
            }
            if (t.provisionedAt.isValid())
                hint = hint
                    || (t.provisionedAt.secsTo(now) >= 60 && olderThan(t.provisionedAt.addSecs(m_skewSecs)));
        }
        if (hint != t.freshSignInMayHelp) {
            t.freshSignInMayHelp = hint;
            changedAny = true;
        }
    }
    return changedAny;
}

void RolePipeline::setIdentityCenterSignedInAt(const QDateTime &at)
{
    m_idcSignedInAt = at;
    if (updateFreshSignInHints())
        Q_EMIT changed();
}

void RolePipeline::noteProvisioned(const QString &accountId, const QString &roleName)
{
    if (AwsTarget *t = find(accountId, roleName))
        t->provisionedAt = m_clock->now();
}

bool RolePipeline::freshSignInMayHelp() const
{
    return std::any_of(m_targets.cbegin(), m_targets.cend(),
                       [](const AwsTarget &t) { return t.freshSignInMayHelp; });
}

void RolePipeline::logoutPortal(QObject *context, std::function<void(Core::Result<void>)> done)
{
    QPointer<QObject> guard(context);
    m_portal->logout(this, [guard, done](Core::Result<void> r) {
        if (guard)
            done(r);
    });
}

void RolePipeline::markReady(AwsTarget &t)
{
    t.phase = AwsTarget::Phase::Ready;
    t.readyAt = m_clock->now();
    t.lastError = {};
    if (auto written = writeProfile(t); !written.ok()) {
        t.profileProblem = written.error().message;
        Q_EMIT problem(written.error(), tr("writing the AWS profile %1").arg(t.profileName));
    }
    const AwsTarget copy = t;
    if (m_config.aws.plainCredentials && t.profileProblem.isEmpty()) // never under a name that is the user's
        credentials(copy.accountId, copy.roleName, copy.grantEnd, this,
                    [this, copy](Core::Result<RoleCredentials> c) {
                        if (c.ok())
                            writePlainCredentials(copy, c.value());
                        else
                            Q_EMIT problem(c.error(),
                                           tr("writing plain credentials for %1").arg(copy.profileName));
                    });
    Q_EMIT ready(copy);
}

Core::Result<void> RolePipeline::writeProfile(AwsTarget &t)
{
    ManagedProfile p;
    p.name = t.profileName;
    p.accountId = t.accountId;
    p.roleName = t.roleName;
    if (!m_config.aws.plainCredentials)
        p.keys << qMakePair(u"credential_process"_s,
                            m_credentialProcess + u" credential-process --account "_s + t.accountId
                                + u" --role "_s + t.roleName);
    if (!m_config.aws.profileRegion.isEmpty())
        p.keys << qMakePair(u"region"_s, m_config.aws.profileRegion);
    auto result = m_files.writeProfile(p, profileNote(t.grantEnd));
    t.profileProblem = result.ok() ? QString() : result.error().message;
    return result;
}

void RolePipeline::writePlainCredentials(const AwsTarget &t, const RoleCredentials &c)
{
    // Plain keys carry no expiry the AWS CLI honours (aws-sso.md §4.2): Elevate removes them itself.
    const QDateTime until = t.grantEnd.isValid() ? std::min(c.expiration, t.grantEnd) : c.expiration;
    if (auto r
        = m_files.writeCredentials(t.profileName, c.accessKeyId, c.secretAccessKey, c.sessionToken, until);
        !r.ok())
        Q_EMIT problem(r.error(), tr("writing plain credentials for %1").arg(t.profileName));
}

void RolePipeline::reconcileProfiles(QObject *context, std::function<void()> done)
{
    QPointer<QObject> guard(context);
    QSet<QString> ready;
    for (auto &t : m_targets) {
        if (t.phase != AwsTarget::Phase::Ready)
            continue;
        ready.insert(t.key());
        const QString before = t.profileProblem;
        if (auto r = writeProfile(t); !r.ok() && r.error().message != before) // said once, not per pass
            Q_EMIT problem(r.error(), tr("writing the AWS profile %1").arg(t.profileName));
    }
    QList<ManagedProfile> ended;
    if (const auto existing = m_files.managedProfiles(); existing.ok()) {
        for (const auto &p : existing.value()) {
            const AwsTarget *t = target(p.accountId, p.roleName);
            if (!t) {
                ended << p; // its grant is over (or not known any more): everything of it goes
            } else if (!ready.contains(p.accountId + u'/' + p.roleName)) {
                // A live grant still waiting for AWS (its profile is from an earlier grant of the same
                // role): left until a check says Ready; credential-process checks the grant anyway.
            } else if (t && t->profileName != p.name) {
                // Written under an older name template: only that section goes.
                if (auto r = m_files.removeProfile(p.name); !r.ok())
                    Q_EMIT problem(r.error(), tr("removing the AWS profile %1").arg(p.name));
                (void)m_files.removeCredentials(p.name);
            }
        }
    } else {
        Q_EMIT problem(existing.error(), tr("reading the AWS config file"));
    }
    auto remaining = std::make_shared<int>(int(ended.size()) + 1);
    const bool hadContext = context != nullptr;
    auto step = [guard, hadContext, done, remaining](QDateTime) {
        if (--*remaining == 0 && done && (guard || !hadContext))
            done();
    };
    for (const auto &p : ended) {
        // Left from an earlier run (or another program's): the user hears about it like any other end.
        AwsTarget t;
        t.accountId = p.accountId;
        t.roleName = p.roleName;
        t.profileName = p.name;
        t.phase = AwsTarget::Phase::Ready;
        endTarget(t, step);
    }
    // Plain credentials follow the Ready targets; sections of a mode switched off go.
    for (const auto &t : std::as_const(m_targets)) {
        if (t.phase != AwsTarget::Phase::Ready || !t.profileProblem.isEmpty())
            continue;
        if (!m_config.aws.plainCredentials) {
            (void)m_files.removeCredentials(t.profileName);
            continue;
        }
        ++*remaining;
        const AwsTarget copy = t;
        credentials(t.accountId, t.roleName, t.grantEnd, this,
                    [this, copy, step](Core::Result<RoleCredentials> c) {
                        if (c.ok())
                            writePlainCredentials(copy, c.value());
                        step({});
                    });
    }
    // Cache entries of the first format go (they name no start URL and no user).
    for (const auto &t : std::as_const(m_targets)) {
        ++*remaining;
        removeLegacyCacheEntry(t.accountId, t.roleName, false, [step] { step({}); });
    }
    step({});
}

void RolePipeline::endTarget(const AwsTarget &t, std::function<void(QDateTime)> done)
{
    const QString key = t.key();
    removeWritten(t.accountId, t.roleName, [this, t, key, done](QDateTime credentialsUntil) {
        const QDateTime now = m_clock->now();
        QDateTime console = m_consoleUntil.take(key);
        if (console.isValid() && console <= now)
            console = {};
        if (credentialsUntil.isValid() && credentialsUntil <= now)
            credentialsUntil = {};
        Q_EMIT ended(t, credentialsUntil, console);
        if (done)
            done(credentialsUntil);
    });
}

void RolePipeline::removeWritten(const QString &accountId, const QString &roleName,
                                 std::function<void(QDateTime)> done)
{
    // The proof that the grant was live goes first: credential-process asks Graph again from now on.
    m_proofs.remove(accountId, roleName);
    // Every profile of this target, also one written under an older name template.
    if (const auto existing = m_files.managedProfiles(); existing.ok()) {
        for (const auto &p : existing.value()) {
            if (p.accountId != accountId || p.roleName != roleName)
                continue;
            if (auto r = m_files.removeProfile(p.name); !r.ok())
                Q_EMIT problem(r.error(), tr("removing the AWS profile %1").arg(p.name));
            if (auto r = m_files.removeCredentials(p.name); !r.ok())
                Q_EMIT problem(r.error(), tr("removing the plain credentials of %1").arg(p.name));
        }
    }
    const QString name = profileName(accountId, roleName, {});
    (void)m_files.removeCredentials(name);
    const QString key = cacheKey(accountId, roleName);
    const QDateTime until = m_credentialsUntil.take(accountId + u'/' + roleName);
    removeLegacyCacheEntry(accountId, roleName, true, [this, key, until, accountId, roleName, done] {
        if (key.isEmpty()) { // nobody's cache to look at (the user is unknown)
            done(until);
            return;
        }
        m_secrets->read(key, this, [this, key, until, accountId, roleName, done](auto cached) {
            QDateTime latest = until;
            if (cached.ok() && cached.value() && cachedHandedOut(*cached.value()))
                if (const auto c = fromCacheJson(*cached.value(), accountId, roleName))
                    latest = latest.isValid() ? std::max(latest, c->expiration) : c->expiration;
            m_secrets->remove(key, this, [latest, done](Core::Result<void>) { done(latest); });
        });
    });
}

void RolePipeline::credentials(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                               QObject *context, CredentialsCallback callback)
{
    roleCredentials(accountId, roleName, grantEnd, true, context, std::move(callback));
}

void RolePipeline::roleCredentials(const QString &accountId, const QString &roleName,
                                   const QDateTime &grantEnd, bool handOut, QObject *context,
                                   CredentialsCallback callback)
{
    QPointer<QObject> guard(context);
    const QString key = cacheKey(accountId, roleName);
    auto answer = [=, this](Core::Result<std::optional<QByteArray>> cached) {
        // AWS's expirations are on the services' clock: compare with it, not with a local clock
        // that may be off (Graph's skew stands for both; a local clock minutes behind would keep
        // handing out credentials about to expire).
        const QDateTime now = serverNow();
        if (cached.ok() && cached.value()) {
            if (const auto c = fromCacheJson(*cached.value(), accountId, roleName)) {
                const qint64 left = now.secsTo(c->expiration);
                const bool outlivesGrant = grantEnd.isValid() && c->expiration >= grantEnd;
                if (left > kRefreshWindowSecs || (outlivesGrant && left > 60)) {
                    if (!handOut || cachedHandedOut(*cached.value())) {
                        if (handOut)
                            m_credentialsUntil.insert(accountId + u'/' + roleName, c->expiration);
                        if (guard)
                            callback(*c);
                        return;
                    }
                    // First handed out now: the entry says so before anyone has them (a command exits
                    // right after the callback).
                    m_credentialsUntil.insert(accountId + u'/' + roleName, c->expiration);
                    const RoleCredentials copy = *c;
                    m_secrets->write(key, cacheJson(copy, true), this,
                                     [guard, callback, copy](Core::Result<void>) {
                                         if (guard)
                                             callback(copy);
                                     });
                    return;
                }
            }
        }
        m_portal->getRoleCredentials(
            accountId, roleName, this, [=, this](Core::Result<RoleCredentials> fresh) {
                if (!fresh.ok()) {
                    if (guard)
                        callback(fresh.error());
                    return;
                }
                const RoleCredentials c = fresh.value();
                if (c.expiration <= serverNow()) {
                    if (guard)
                        callback(Error::make(
                            Error::Kind::Service,
                            tr("AWS handed out credentials for %1/%2 that had already expired (at %3)")
                                .arg(accountId, roleName, awsTimestamp(c.expiration)),
                            0, u"ExpiredCredentials"_s));
                    return;
                }
                if (handOut)
                    m_credentialsUntil.insert(accountId + u'/' + roleName, c.expiration);
                if (key.isEmpty()) {
                    if (guard)
                        callback(c);
                    return;
                }
                m_secrets->write(key, cacheJson(c, handOut), this, [=](Core::Result<void> stored) {
                    if (!stored.ok())
                        qCWarning(lcAws) << "role credentials not cached:" << stored.error().message;
                    if (guard)
                        callback(c);
                });
            });
    };
    // Whose they would be is not known: no cache (another person's entry must never answer).
    if (key.isEmpty())
        answer(std::optional<QByteArray>());
    else
        m_secrets->read(key, this, answer);
}

void RolePipeline::consoleUrl(const QString &accountId, const QString &roleName, const QDateTime &grantEnd,
                              QObject *context, std::function<void(Core::Result<QUrl>)> callback)
{
    const QString key = accountId + u'/' + roleName;
    const QUrl destination = Console::destination(m_config.aws, key);
    if (m_config.aws.consoleMode == u"portal") {
        callback(
            Console::portalShortcut(m_config.aws.startUrl, accountId, roleName,
                                    m_config.aws.destinations.value(key).isEmpty() ? QUrl() : destination));
        return;
    }
    const QUrl federation = Core::awsFederationEndpoint(m_config.aws);
    if (!federation.isValid()) {
        callback(Error::make(
            Error::Kind::Config,
            tr("the AWS partition of %1 has no console federation; use aws.console.mode \"portal\"")
                .arg(m_config.aws.region)));
        return;
    }
    QPointer<QObject> guard(context);
    credentials(accountId, roleName, grantEnd, this, [=, this](Core::Result<RoleCredentials> c) {
        if (!c.ok()) {
            if (guard)
                callback(c.error());
            return;
        }
        const qint64 secs = Console::sessionSeconds(grantEnd, serverNow());
        Console::requestSigninToken(
            m_http, federation, c.value(), secs, this, [=, this](Core::Result<Console::SigninToken> token) {
                if (!guard)
                    return;
                if (!token.ok()) {
                    callback(token.error());
                    return;
                }
                // Refused duration: the console picks the length, at most its 12 h; keep the upper bound
                // so "an open console session keeps working until …" never understates it.
                const qint64 until = token.value().durationRefused ? Console::kMaxSessionSecs : secs;
                m_consoleUntil.insert(key, m_clock->now().addSecs(until));
                if (token.value().durationRefused)
                    m_consoleLengthRefused.insert(key);
                else
                    m_consoleLengthRefused.remove(key);
                callback(Console::loginUrl(federation, u"Elevate"_s, destination, token.value().token));
            });
    });
}

void RolePipeline::endAll(QObject *context, std::function<void(EndReport)> done)
{
    QPointer<QObject> guard(context);
    const QList<AwsTarget> all = m_targets;
    m_targets.clear();
    m_timer.stop();
    m_proofs.removeAll();
    // What stays valid is what endTarget() says each end (it reads the cache before it goes).
    auto report = std::make_shared<EndReport>();
    auto collect = std::make_shared<QMetaObject::Connection>();
    *collect = connect(
        this, &RolePipeline::ended, this,
        [report](const AwsTarget &t, const QDateTime &credentialsUntil, const QDateTime &consoleUntil) {
            report->ended << EndReport::Ended {t.accountId, t.roleName, t.profileName, credentialsUntil,
                                               consoleUntil};
        });
    // Every target's profile, plain keys and cached credentials are gone before anything else (a
    // command exits right after), then leftovers of earlier runs, then the portal session.
    auto remaining = std::make_shared<int>(int(all.size()) + 1);
    auto next = [this, guard, done, remaining, report, collect](QDateTime) {
        if (--*remaining > 0)
            return;
        reconcileProfiles(this, [this, guard, done, report, collect] {
            disconnect(*collect);
            m_consoleLengthRefused.clear();
            Q_EMIT changed();
            m_portal->logout(this, [guard, done, report](Core::Result<void> r) {
                report->portalLogout = std::move(r);
                if (guard)
                    done(*report);
            });
        });
    };
    for (const auto &t : all)
        endTarget(t, next);
    next({});
}

} // namespace Elevate::Aws

// SPDX-License-Identifier: GPL-3.0-or-later
#include "grantproof.h"

#include "core/changenotice.h"
#include "core/targetmapper.h"
#include "net/json.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSaveFile>
#include <QUrl>

#ifdef Q_OS_UNIX
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace Elevate::Aws {

Q_DECLARE_LOGGING_CATEGORY(lcAws)

namespace {
constexpr qint64 kMaxFileBytes = 4096; // a proof is a few hundred bytes; never read more
constexpr qint64 kMaxStampBytes = 256; // as Core::ChangeNotice
constexpr qint64 kMaxSkewSecs = 366 * 86400;
constexpr int kMaxTextChars = 256;
constexpr const char *kKind = "elevate-grant-proof";

QString timeText(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

/// A string member of at most kMaxTextChars; nullopt when missing or of another type.
std::optional<QString> text(const Net::Json &j, const char *key)
{
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string())
        return std::nullopt;
    const QString s = QString::fromStdString(it->get<std::string>());
    if (s.size() > kMaxTextChars)
        return std::nullopt;
    return s;
}

/// A UTC time member (null allowed when `nullable`); nullopt when malformed.
std::optional<QDateTime> time(const Net::Json &j, const char *key, bool nullable)
{
    const auto it = j.find(key);
    if (it == j.end())
        return std::nullopt;
    if (it->is_null())
        return nullable ? std::optional<QDateTime>(QDateTime()) : std::nullopt;
    if (!it->is_string())
        return std::nullopt;
    const QString s = QString::fromStdString(it->get<std::string>());
    if (s.size() > 40)
        return std::nullopt;
    const QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid() || t.timeSpec() == Qt::LocalTime)
        return std::nullopt; // a proof's times always carry their zone
    return t.toUTC();
}

QByteArray stampDigest(const QByteArray &stamp)
{
    return QCryptographicHash::hash(stamp, QCryptographicHash::Sha256).toHex();
}
} // namespace

QByteArray GrantProof::toJson() const
{
    const Net::Json j {
        {"v", 1},
        {"kind", kKind},
        {"entraAccount", entraAccount.toStdString()},
        {"scope", scope.toStdString()},
        {"accountId", accountId.toStdString()},
        {"roleName", roleName.toStdString()},
        {"groupId", groupId.toStdString()},
        {"groupName", groupName.toStdString()},
        {"grantEnd", grantEnd.isValid() ? Net::Json(timeText(grantEnd).toStdString()) : Net::Json()},
        {"serverSkewSecs", serverSkewSecs},
        {"checkedAt", timeText(checkedAt).toStdString()},
        {"changeStamp", changeStamp.toStdString()}};
    return QByteArray::fromStdString(j.dump(1, ' ', false, Net::Json::error_handler_t::replace)) + '\n';
}

std::optional<GrantProof> GrantProof::fromJson(const QByteArray &bytes)
{
    if (bytes.size() > kMaxFileBytes)
        return std::nullopt;
    const auto parsed = Net::parseJson(bytes);
    if (!parsed.ok() || !parsed.value().is_object())
        return std::nullopt;
    const Net::Json &j = parsed.value();
    const auto version = j.find("v");
    if (version == j.end() || !version->is_number_integer() || version->get<qint64>() != 1)
        return std::nullopt;
    if (text(j, "kind") != QString::fromLatin1(kKind))
        return std::nullopt;
    GrantProof p;
    const auto entra = text(j, "entraAccount");
    const auto scope = text(j, "scope");
    const auto account = text(j, "accountId");
    const auto role = text(j, "roleName");
    const auto group = text(j, "groupId");
    const auto groupName = text(j, "groupName");
    const auto stamp = text(j, "changeStamp");
    const auto end = time(j, "grantEnd", true);
    const auto checked = time(j, "checkedAt", false);
    if (!entra || entra->isEmpty() || !scope || !account || !Core::isAwsAccountId(*account) || !role
        || role->isEmpty() || role->size() > 64 || !group || group->isEmpty() || !groupName || !stamp || !end
        || !checked)
        return std::nullopt;
    // The stamp is always a SHA-256 in lower-case hex (stampDigest); anything else was not written by
    // Elevate (and text beyond Latin-1 would not even read back as itself).
    static const QRegularExpression digest(
        QRegularExpression::anchoredPattern(QStringLiteral("[0-9a-f]{64}")));
    if (!digest.match(*stamp).hasMatch())
        return std::nullopt;
    const auto skew = j.find("serverSkewSecs");
    if (skew == j.end() || !skew->is_number_integer())
        return std::nullopt;
    // Range checks without std::abs: its answer for the most negative qint64 is undefined.
    if (skew->is_number_unsigned()
            ? skew->get<quint64>() > quint64(kMaxSkewSecs)
            : skew->get<qint64>() > kMaxSkewSecs || skew->get<qint64>() < -kMaxSkewSecs)
        return std::nullopt;
    p.entraAccount = *entra;
    p.scope = *scope;
    p.accountId = *account;
    p.roleName = *role;
    p.groupId = *group;
    p.groupName = *groupName;
    p.grantEnd = *end;
    p.serverSkewSecs = skew->get<qint64>();
    p.checkedAt = *checked;
    p.changeStamp = stamp->toLatin1();
    return p;
}

GrantProofStore::GrantProofStore(QString directory, QString stampPath, const Core::Clock *clock)
    : m_directory(std::move(directory))
    , m_stampPath(std::move(stampPath))
    , m_clock(clock)
{ }

GrantProofStore GrantProofStore::beside(const QString &historyPath, const Core::Clock *clock)
{
    return GrantProofStore(QFileInfo(historyPath).absoluteDir().filePath(u"grant-proofs"_s),
                           Core::ChangeNotice::beside(historyPath), clock);
}

QString GrantProofStore::path(const QString &accountId, const QString &roleName) const
{
    // Percent-encoded: a role name can never reach outside the directory.
    return m_directory + u'/' + accountId + u'_' + QString::fromLatin1(QUrl::toPercentEncoding(roleName))
        + u".json"_s;
}

QByteArray GrantProofStore::currentStamp() const
{
    QFile f(m_stampPath);
    return stampDigest(f.open(QIODevice::ReadOnly) ? f.read(kMaxStampBytes) : QByteArray());
}

Core::Result<void> GrantProofStore::save(const GrantProof &proof) const
{
    auto failed = [](const QString &why) {
        return Core::Error::make(Core::Error::Kind::Internal, u"cannot keep the grant proof: "_s + why);
    };
    if (!QDir().mkpath(m_directory))
        return failed(m_directory);
    QFile::setPermissions(m_directory,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QSaveFile f(path(proof.accountId, proof.roleName));
    if (!f.open(QIODevice::WriteOnly))
        return failed(f.errorString());
    f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    f.write(proof.toJson());
    if (!f.commit())
        return failed(f.errorString());
    return {};
}

GrantProofStore::Lookup GrantProofStore::find(const QString &accountId, const QString &roleName,
                                              const QString &entraAccount, const QString &scope) const
{
    const QString file = path(accountId, roleName);
    const QFileInfo info(file);
    if (!info.exists())
        return {Verdict::Missing, std::nullopt};
#ifdef Q_OS_UNIX
    // Written by this user and by no one else: a proof is only as good as the hands it passed through.
    if (info.ownerId() != ::geteuid()
        || (info.permissions() & (QFileDevice::WriteGroup | QFileDevice::WriteOther)))
        return {Verdict::Unreadable, std::nullopt};
#endif
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return {Verdict::Unreadable, std::nullopt};
    const auto proof = GrantProof::fromJson(f.read(kMaxFileBytes + 1));
    if (!proof || proof->accountId != accountId || proof->roleName != roleName)
        return {Verdict::Unreadable, std::nullopt};
    const Verdict v = judge(*proof, entraAccount, scope, currentStamp());
    return {v, v == Verdict::Fresh ? proof : std::nullopt};
}

GrantProofStore::Verdict GrantProofStore::judge(const GrantProof &proof, const QString &entraAccount,
                                                const QString &scope, const QByteArray &stampNow) const
{
    if (proof.entraAccount != entraAccount || proof.scope != scope)
        return Verdict::Foreign;
    const QDateTime now = m_clock->now();
    const qint64 ageMs = proof.checkedAt.msecsTo(now);
    if (ageMs < 0)
        return Verdict::FromTheFuture; // the clock went back, or someone wrote it: it proves nothing
    if (ageMs > kMaxAgeSecs * 1000)
        return Verdict::TooOld;
    if (proof.grantEnd.isValid() && now.addSecs(proof.serverSkewSecs) >= proof.grantEnd)
        return Verdict::GrantOver;
    if (proof.changeStamp != stampNow)
        return Verdict::ChangedSince;
    return Verdict::Fresh;
}

void GrantProofStore::remove(const QString &accountId, const QString &roleName) const
{
    const QString file = path(accountId, roleName);
    if (QFile::exists(file) && !QFile::remove(file))
        qCWarning(lcAws) << "cannot remove the grant proof" << file;
}

void GrantProofStore::removeAll() const
{
    QDir dir(m_directory);
    if (!dir.exists())
        return;
    for (const QString &name : dir.entryList({u"*.json"_s}, QDir::Files | QDir::Hidden | QDir::System))
        if (!dir.remove(name))
            qCWarning(lcAws) << "cannot remove the grant proof" << dir.filePath(name);
}

QString GrantProofStore::verdictName(Verdict v)
{
    switch (v) {
    case Verdict::Fresh:
        return u"fresh"_s;
    case Verdict::Missing:
        return u"missing"_s;
    case Verdict::Unreadable:
        return u"unreadable"_s;
    case Verdict::Foreign:
        return u"foreign"_s;
    case Verdict::TooOld:
        return u"too old"_s;
    case Verdict::FromTheFuture:
        return u"from the future"_s;
    case Verdict::GrantOver:
        return u"grant over"_s;
    case Verdict::ChangedSince:
        return u"changed since"_s;
    }
    return {};
}

} // namespace Elevate::Aws

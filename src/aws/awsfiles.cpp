// SPDX-License-Identifier: GPL-3.0-or-later
#include "awsfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

using namespace Qt::StringLiterals;

namespace Elevate::Aws {

namespace {

using Core::Error;

const QString kMarker = u"Managed by Elevate"_s;
const QString kProfilePrefix = u"profile "_s;
const QString kMarkerTail = u"removed when the grant ends. Edits here are overwritten."_s;
const QString kAddedBreakNote
    = u"Elevate added the line break before this section (the file had none at its end); it goes with the section."_s;

constexpr QFile::Permissions kModeBits = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
    | QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup | QFile::ReadOther | QFile::WriteOther
    | QFile::ExeOther;
constexpr QFile::Permissions kPrivateFile = QFile::ReadOwner | QFile::WriteOwner;
constexpr QFile::Permissions kPrivateDir = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
constexpr int kLockTimeoutMs = 2000;
constexpr int kStaleLockMs = 30'000; // a write takes milliseconds; an older lock is a crashed writer's

Error invalid(const QString &message)
{
    return Error::make(Error::Kind::InvalidInput, message);
}

QString expandTilde(const QString &path)
{
    if (path == u"~"_s)
        return QDir::homePath();
    if (path.startsWith(u"~/"_s))
        return QDir::homePath() + path.mid(1);
    return path;
}

QString pathFromEnvironment(const char *variable, const QString &fallback)
{
    const QString value = qEnvironmentVariable(variable);
    return value.isEmpty() ? QDir::homePath() + fallback : expandTilde(value);
}

/// The file to write: a symlink's target (so the link survives), else the path itself.
QString resolvedPath(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isSymLink())
        return info.absoluteFilePath();
    const QString canonical = info.canonicalFilePath();
    return canonical.isEmpty() ? info.symLinkTarget() : canonical; // empty: the link dangles
}

/// Every section of that name starts its comments with the marker.
bool isManaged(const IniDocument &document, const QString &section)
{
    const int count = document.sectionCount(section);
    for (int i = 0; i < count; ++i) {
        const auto comments = document.commentLines(section, i);
        if (!comments || comments->isEmpty() || !comments->first().startsWith(kMarker))
            return false;
    }
    return count > 0;
}

Core::Result<QByteArray> readBytes(const QString &path, const QString &shownPath)
{
    QFile file(path);
    if (!file.exists())
        return QByteArray();
    if (!file.open(QIODevice::ReadOnly))
        return invalid(u"%1 cannot be read: %2"_s.arg(shownPath, file.errorString()));
    return file.readAll();
}

Core::Result<IniDocument> parseFile(const QByteArray &bytes, const QString &shownPath)
{
    auto document = IniDocument::parse(bytes);
    if (!document.ok())
        return Error::make(Error::Kind::Parse, u"%1: %2"_s.arg(shownPath, document.error().message));
    return document;
}

bool hasLineBreak(const QString &value)
{
    return value.contains(u'\n') || value.contains(u'\r');
}

} // namespace

AwsFiles::AwsFiles(QString configPath, QString credentialsPath)
    : m_configPath(std::move(configPath))
    , m_credentialsPath(std::move(credentialsPath))
{ }

QString AwsFiles::defaultConfigPath()
{
    return pathFromEnvironment("AWS_CONFIG_FILE", u"/.aws/config"_s);
}

QString AwsFiles::defaultCredentialsPath()
{
    return pathFromEnvironment("AWS_SHARED_CREDENTIALS_FILE", u"/.aws/credentials"_s);
}

bool AwsFiles::isValidProfileName(const QString &name)
{
    if (name.isEmpty() || name == u"default"_s || !IniDocument::isValidSectionName(name))
        return false;
    for (const QChar c : name) {
        if (c.isSpace() || c.category() == QChar::Other_Control || c == u'\'' || c == u'"' || c == u'\\'
            || c == u'[' || c == u']')
            return false;
    }
    return true;
}

QString AwsFiles::configPath() const
{
    return m_configPath;
}

QString AwsFiles::credentialsPath() const
{
    return m_credentialsPath;
}

Core::Result<void> AwsFiles::writeProfile(const ManagedProfile &profile, const QString &note)
{
    if (!isValidProfileName(profile.name))
        return invalid(
            u"'%1' is not a profile name Elevate can write to %2"_s.arg(profile.name, m_configPath));
    for (const auto &[key, value] : profile.keys) {
        if (!IniDocument::isValidKey(key) || hasLineBreak(value))
            return invalid(u"profile %1: the key '%2' or its value cannot be written to %3"_s.arg(
                profile.name, key, m_configPath));
    }
    QString marker = kMarker;
    if (!profile.accountId.isEmpty() && !profile.roleName.isEmpty())
        marker += u" for %1/%2"_s.arg(profile.accountId, profile.roleName);
    marker += u": "_s + kMarkerTail;
    QStringList comments {marker};
    if (!note.trimmed().isEmpty())
        comments.append(note);
    return writeSection(m_configPath, kProfilePrefix + profile.name, profile.keys, comments);
}

Core::Result<bool> AwsFiles::removeProfile(const QString &name)
{
    if (!isValidProfileName(name))
        return false; // Elevate never wrote it
    return removeSection(m_configPath, kProfilePrefix + name);
}

Core::Result<QList<ManagedProfile>> AwsFiles::managedProfiles() const
{
    // No lock: writers replace the file atomically, so a read sees one version or the other.
    const auto bytes = readBytes(resolvedPath(m_configPath), m_configPath);
    if (!bytes.ok())
        return bytes.error();
    const auto document = parseFile(bytes.value(), m_configPath);
    if (!document.ok())
        return document.error();

    static const QRegularExpression markerTarget(u"^Managed by Elevate for ([0-9]+)/([^\\s:]+)"_s);
    QList<ManagedProfile> profiles;
    QSet<QString> seen;
    for (const QString &section : document->sectionNames()) {
        if (!section.startsWith(kProfilePrefix) || seen.contains(section) || !isManaged(*document, section))
            continue;
        seen.insert(section);
        ManagedProfile profile;
        profile.name = section.mid(kProfilePrefix.size()).trimmed();
        profile.keys = document->section(section).value();
        const QStringList comments = document->commentLines(section).value();
        if (comments.size() > 1 && comments.at(1) != kAddedBreakNote)
            profile.note = comments.at(1);
        const auto match = markerTarget.match(comments.first());
        if (match.hasMatch()) {
            profile.accountId = match.captured(1);
            profile.roleName = match.captured(2);
        } else {
            for (const auto &[key, value] : std::as_const(profile.keys)) {
                if (key == u"sso_account_id"_s)
                    profile.accountId = value;
                else if (key == u"sso_role_name"_s)
                    profile.roleName = value;
            }
        }
        profiles.append(profile);
    }
    return profiles;
}

Core::Result<void> AwsFiles::writeCredentials(const QString &name, const QString &accessKeyId,
                                              const QString &secretAccessKey, const QString &sessionToken,
                                              const QDateTime &expiration)
{
    if (!isValidProfileName(name))
        return invalid(u"'%1' is not a profile name Elevate can write to %2"_s.arg(name, m_credentialsPath));
    if (accessKeyId.isEmpty() || secretAccessKey.isEmpty() || hasLineBreak(accessKeyId)
        || hasLineBreak(secretAccessKey) || hasLineBreak(sessionToken))
        return invalid(u"the credentials for %1 cannot be written to %2"_s.arg(name, m_credentialsPath));
    QString marker = kMarker + u": "_s;
    if (expiration.isValid())
        marker += u"these credentials expire at %1 and are "_s.arg(expiration.toUTC().toString(Qt::ISODate));
    marker += kMarkerTail;
    const IniKeyValues keys {{u"aws_access_key_id"_s, accessKeyId},
                             {u"aws_secret_access_key"_s, secretAccessKey},
                             {u"aws_session_token"_s, sessionToken}};
    auto written = writeSection(m_credentialsPath, name, keys, {marker});
    if (!written.ok())
        return written;
    // Secret keys are in it now: nobody but the owner may read the file, whatever its mode was.
    const QString target = resolvedPath(m_credentialsPath);
    constexpr auto others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
        | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
    if (QFile::permissions(target) & others)
        QFile::setPermissions(target, QFile::permissions(target) & ~others);
    return {};
}

Core::Result<bool> AwsFiles::removeCredentials(const QString &name)
{
    if (!isValidProfileName(name))
        return false;
    return removeSection(m_credentialsPath, name);
}

Core::Result<void> AwsFiles::writeSection(const QString &path, const QString &section,
                                          const IniKeyValues &keys, const QStringList &comments)
{
    const auto result = editFile(path, true, [&](IniDocument &document) -> Core::Result<bool> {
        if (document.hasSection(section) && !isManaged(document, section))
            return invalid(u"[%1] in %2 is not Elevate's (it has no '# %3' comment); Elevate does not "
                           "overwrite it. Rename or remove that section to let Elevate use the name."_s.arg(
                               section, path, kMarker));
        QStringList all = comments;
        // Appending to a file whose last line has no line break adds one; the section remembers that,
        // so that removing it gives the user's bytes back exactly.
        const bool addsBreak = !document.hasSection(section) && !document.serialise().isEmpty()
            && !document.serialise().endsWith('\n');
        const auto existing = document.commentLines(section);
        if (addsBreak || (existing && existing->contains(kAddedBreakNote)))
            all << kAddedBreakNote;
        if (!document.setSection(section, keys, all))
            return invalid(u"[%1] cannot be written to %2"_s.arg(section, path));
        return true;
    });
    if (!result.ok())
        return result.error();
    return {};
}

Core::Result<bool> AwsFiles::removeSection(const QString &path, const QString &section)
{
    return editFile(path, false, [&](IniDocument &document) -> Core::Result<bool> {
        if (!isManaged(document, section))
            return false; // absent, or the user's: left alone
        const auto comments = document.commentLines(section);
        const bool last = document.sectionNames().constLast() == section;
        document.removeSection(section);
        if (last && comments && comments->contains(kAddedBreakNote)) {
            QByteArray bytes = document.serialise();
            if (bytes.endsWith("\r\n"))
                bytes.chop(2);
            else if (bytes.endsWith('\n'))
                bytes.chop(1);
            auto reparsed = IniDocument::parse(bytes);
            if (reparsed.ok())
                document = std::move(reparsed).value();
        }
        return true;
    });
}

Core::Result<bool> AwsFiles::editFile(const QString &path, bool createIfMissing, const Edit &edit)
{
    const QString target = resolvedPath(path);
    if (!QFileInfo::exists(target) && !createIfMissing)
        return false;

    const QString directory = QFileInfo(target).absolutePath();
    if (!QFileInfo::exists(directory)) {
        if (!QDir().mkpath(directory) || !QFile::setPermissions(directory, kPrivateDir))
            return invalid(u"the directory %1 for %2 cannot be created"_s.arg(directory, path));
    }

    QLockFile lock(target + u".elevate-lock"_s);
    lock.setStaleLockTime(kStaleLockMs);
    if (!lock.tryLock(kLockTimeoutMs)) {
        switch (lock.error()) {
        case QLockFile::LockFailedError:
            return invalid(
                u"%1 is locked by another program (%2.elevate-lock); try again"_s.arg(path, target));
        case QLockFile::PermissionError:
            return invalid(u"%1 cannot be changed: its directory %2 is read-only"_s.arg(path, directory));
        case QLockFile::NoError:
        case QLockFile::UnknownError:
            break;
        }
        return invalid(u"%1 cannot be locked for writing"_s.arg(path));
    }

    const QFileInfo info(target);
    const bool existed = info.exists();
    if (existed && !info.isFile())
        return invalid(u"%1 is not a regular file"_s.arg(path));
    const auto before = readBytes(target, path);
    if (!before.ok())
        return before.error();
    auto document = parseFile(before.value(), path);
    if (!document.ok())
        return document.error();

    const auto result = edit(document.value());
    if (!result.ok())
        return result;
    const QByteArray after = document->serialise();
    if (after == before.value())
        return result; // nothing to do: same bytes, same mtime

    // Root ignores permission bits, so a read-only file is recognised by its mode, not by a failure.
    if (existed && (!(info.permissions() & QFile::WriteOwner) || !info.isWritable()))
        return invalid(u"%1 is read-only"_s.arg(path));

    QSaveFile file(target);
    file.setDirectWriteFallback(false);
    if (!file.open(QIODevice::WriteOnly))
        return invalid(u"%1 cannot be written: %2"_s.arg(path, file.errorString()));
    const QFile::Permissions mode = existed ? (info.permissions() & kModeBits) : kPrivateFile;
    if (file.write(after) != after.size() || !file.setPermissions(mode)) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return invalid(u"%1 cannot be written: %2"_s.arg(path, reason));
    }
    if (!file.commit())
        return invalid(u"%1 cannot be written: %2"_s.arg(path, file.errorString()));
    return result;
}

} // namespace Elevate::Aws

// SPDX-License-Identifier: GPL-3.0-or-later
#include "awsfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

#include <algorithm>
#include <pwd.h>
#include <unistd.h>

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

const QString kDefaultSection = u"DEFAULT"_s;

QString pathFromEnvironment(const char *variable, const QString &fallback)
{
    // Set but empty is botocore's "no file" (it asks os.path.isfile("")): kept empty.
    return AwsFiles::expandPath(qEnvironmentVariableIsSet(variable) ? qEnvironmentVariable(variable)
                                                                    : fallback);
}

/// Python's os.path.expandvars: `$NAME` (NAME of ASCII letters, digits, '_') and `${ANY}`; a name
/// not in the environment stays as written; substituted text is not expanded again.
QString expandVars(const QString &path)
{
    if (!path.contains(u'$'))
        return path;
    const auto isWordChar = [](QChar c) {
        return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'_';
    };
    QString out;
    qsizetype i = 0;
    while (i < path.size()) {
        if (path.at(i) != u'$') {
            out += path.at(i++);
            continue;
        }
        qsizetype end = i + 1;
        QString name;
        if (end < path.size() && path.at(end) == u'{') {
            const qsizetype close = path.indexOf(u'}', end + 1);
            if (close >= 0) {
                name = path.mid(end + 1, close - end - 1);
                end = close + 1;
            }
        } else {
            while (end < path.size() && isWordChar(path.at(end)))
                ++end;
            name = path.mid(i + 1, end - i - 1);
        }
        if (end == i + 1) {
            out += path.at(i++); // no name: as written
            continue;
        }
        const QByteArray variable = name.toLocal8Bit();
        if (name.isEmpty() || !qEnvironmentVariableIsSet(variable.constData()))
            out += path.mid(i, end - i); // not in the environment: as written, and not searched again
        else
            out += qEnvironmentVariable(variable.constData());
        i = end;
    }
    return out;
}

/// Python's os.path.expanduser (posixpath).
QString expandUser(const QString &path)
{
    if (!path.startsWith(u'~'))
        return path;
    qsizetype slash = path.indexOf(u'/', 1);
    if (slash < 0)
        slash = path.size();
    QString home;
    if (slash == 1) {
        if (qEnvironmentVariableIsSet("HOME")) {
            home = qEnvironmentVariable("HOME");
        } else {
            const passwd *entry = ::getpwuid(::getuid());
            if (!entry)
                return path;
            home = QFile::decodeName(entry->pw_dir);
        }
    } else {
        const passwd *entry = ::getpwnam(QFile::encodeName(path.mid(1, slash - 1)).constData());
        if (!entry)
            return path;
        home = QFile::decodeName(entry->pw_dir);
    }
    while (home.endsWith(u'/'))
        home.chop(1);
    const QString expanded = home + path.mid(slash);
    return expanded.isEmpty() ? u"/"_s : expanded;
}

/// Python's shlex.split (POSIX mode, no comments): words split on space, tab, CR and LF; quotes
/// and backslashes as a POSIX shell has them. Nothing for what shlex raises on (an unclosed quote,
/// a backslash at the end), which botocore skips.
std::optional<QStringList> shellSplit(const QString &text)
{
    enum class State { Space, Word, Single, Double, Escape };
    const auto isShellSpace = [](QChar c) { return c == u' ' || c == u'\t' || c == u'\r' || c == u'\n'; };
    QStringList words;
    QString word;
    bool quoted = false; // an empty quoted word ('') is a word
    State state = State::Space;
    State escaped = State::Word; // the state a backslash returns to
    for (const QChar c : text) {
        switch (state) {
        case State::Space:
        case State::Word:
            if (isShellSpace(c)) {
                if (state == State::Word) {
                    words.append(word);
                    word.clear();
                    quoted = false;
                }
                state = State::Space;
            } else if (c == u'\\') {
                escaped = State::Word;
                state = State::Escape;
            } else if (c == u'\'') {
                state = State::Single;
            } else if (c == u'"') {
                state = State::Double;
            } else {
                word += c;
                state = State::Word;
            }
            break;
        case State::Single:
            quoted = true;
            if (c == u'\'')
                state = State::Word;
            else
                word += c;
            break;
        case State::Double:
            quoted = true;
            if (c == u'"') {
                state = State::Word;
            } else if (c == u'\\') {
                escaped = State::Double;
                state = State::Escape;
            } else {
                word += c;
            }
            break;
        case State::Escape:
            // Inside double quotes only a quote or a backslash is escaped; the backslash stays
            // before anything else.
            if (escaped == State::Double && c != u'"' && c != u'\\')
                word += u'\\';
            word += c;
            state = escaped;
            break;
        }
    }
    if (state == State::Single || state == State::Double || state == State::Escape)
        return std::nullopt;
    if (state == State::Word && (!word.isEmpty() || quoted))
        words.append(word);
    return words;
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
    return count > 0 && section != kDefaultSection;
}

/// The config file's headers that botocore reads as profile `name`, in file order.
QStringList headersOfProfile(const IniDocument &document, const QString &name)
{
    QStringList headers;
    for (const QString &header : document.sectionNames()) {
        if (header != kDefaultSection && !headers.contains(header)
            && AwsFiles::profileOfHeader(header) == name)
            headers.append(header);
    }
    return headers;
}

/// A [DEFAULT] key that would change where a profile's credentials come from (see the class comment).
bool steersCredentials(const QString &key, bool hasCredentialProcess)
{
    static const QStringList role {u"role_arn"_s, u"source_profile"_s, u"credential_source"_s,
                                   u"web_identity_token_file"_s};
    static const QStringList plain {u"credential_process"_s, u"aws_access_key_id"_s,
                                    u"aws_secret_access_key"_s, u"aws_session_token"_s,
                                    u"aws_security_token"_s};
    return key.startsWith(u"sso_"_s) || role.contains(key) || (!hasCredentialProcess && plain.contains(key));
}

/// Refuses when [DEFAULT] in `document` gives profile `profile` (whose own keys are `own`) a key
/// that steers its credentials.
Core::Result<void> checkDefaults(const IniDocument &document, const QString &shownPath,
                                 const QString &profile, const IniKeyValues &own)
{
    QSet<QString> ownKeys;
    for (const auto &[key, value] : own)
        ownKeys.insert(key.toLower());
    const bool process = ownKeys.contains(u"credential_process"_s);
    for (int i = 0; i < document.sectionCount(kDefaultSection); ++i) {
        const IniKeyValues defaults = document.section(kDefaultSection, i).value_or(IniKeyValues());
        for (const auto &[key, value] : defaults) {
            const QString folded = key.toLower();
            if (ownKeys.contains(folded) || !steersCredentials(folded, process))
                continue;
            return invalid(
                u"%1, line %2: [DEFAULT] sets %3, which the AWS CLI gives every profile and which would "
                "change where the credentials of Elevate's %4 come from, so Elevate does not write it; "
                "move %3 into the sections that need it."_s.arg(
                    shownPath, QString::number(document.keyLine(kDefaultSection, key, i)), folded, profile));
        }
    }
    return {};
}

/// The keys of Elevate's plain-credentials section.
IniKeyValues plainKeys(const QString &accessKeyId, const QString &secretAccessKey,
                       const QString &sessionToken)
{
    return {{u"aws_access_key_id"_s, accessKeyId},
            {u"aws_secret_access_key"_s, secretAccessKey},
            {u"aws_session_token"_s, sessionToken}};
}

Error noFile(const char *variable, const QString &what)
{
    return invalid(
        u"%1 is set to an empty value, so the AWS CLI reads no %2 file and would not see "
        "anything Elevate writes; unset it or point it at a file"_s.arg(QLatin1String(variable), what));
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
        return Error::make(Error::Kind::Parse, u"%1, %2"_s.arg(shownPath, document.error().message));
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
    return pathFromEnvironment("AWS_CONFIG_FILE", u"~/.aws/config"_s);
}

QString AwsFiles::defaultCredentialsPath()
{
    return pathFromEnvironment("AWS_SHARED_CREDENTIALS_FILE", u"~/.aws/credentials"_s);
}

QString AwsFiles::expandPath(const QString &path)
{
    return expandUser(expandVars(path));
}

std::optional<QString> AwsFiles::profileOfHeader(const QString &header)
{
    if (header.startsWith(u"profile"_s)) {
        const auto words = shellSplit(header);
        if (words && words->size() == 2)
            return words->at(1);
        return std::nullopt;
    }
    if (header == u"default"_s)
        return header;
    return std::nullopt;
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
    if (m_configPath.isEmpty())
        return noFile("AWS_CONFIG_FILE", u"config"_s);
    const bool viaProcess = std::any_of(profile.keys.cbegin(), profile.keys.cend(), [](const auto &key) {
        return key.first.toLower() == u"credential_process"_s;
    });
    if (!viaProcess && m_credentialsPath.isEmpty()) // plain credentials: the keys would have nowhere to go
        return noFile("AWS_SHARED_CREDENTIALS_FILE", u"shared credentials"_s);
    if (auto checked = checkCredentialsFileFor(profile.name, viaProcess); !checked.ok())
        return checked;

    const QString canonical = kProfilePrefix + profile.name;
    const QString &path = m_configPath;
    const auto result = editFile(path, true, [&](IniDocument &document) -> Core::Result<bool> {
        const QStringList headers = headersOfProfile(document, profile.name);
        for (const QString &header : headers) {
            if (!isManaged(document, header))
                return invalid(
                    u"%1, line %2: [%3] is the profile %4 for the AWS CLI and is not Elevate's (it has "
                    "no '# %5' comment), so Elevate neither overwrites nor shadows it; rename or remove "
                    "that section to let Elevate use the name."_s.arg(
                        path, QString::number(document.sectionLine(header)), header, profile.name, kMarker));
        }
        if (auto defaults = checkDefaults(document, path, profile.name, profile.keys); !defaults.ok())
            return defaults.error();
        for (const QString &header : headers) // Elevate's own in another spelling: one section is enough
            if (header != canonical)
                document.removeSection(header);
        return setOwnSection(document, path, canonical, profile.keys, comments);
    });
    if (!result.ok())
        return result.error();
    return {};
}

Core::Result<void> AwsFiles::checkCredentialsFileFor(const QString &name, bool viaProcess) const
{
    if (m_credentialsPath.isEmpty())
        return {}; // the CLI reads no credentials file: nothing there can get in the way
    const auto bytes = readBytes(resolvedPath(m_credentialsPath), m_credentialsPath);
    if (!bytes.ok())
        return bytes.error();
    const auto document = parseFile(bytes.value(), m_credentialsPath);
    if (!document.ok())
        return document.error(); // the CLI fails for every profile while it cannot read this file
    if (document->hasSection(name) && !isManaged(*document, name))
        return invalid(
            u"%1, line %2: [%3] is the profile %3 for the AWS CLI too (it reads this file before "
            "credential_process, and its keys override the config's) and is not Elevate's, so Elevate does "
            "not use the name; rename or remove that section to let Elevate use it."_s.arg(
                m_credentialsPath, QString::number(document->sectionLine(name)), name));
    if (!viaProcess) // plain credentials will go to [name] in this file, under its [DEFAULT]
        return checkDefaults(*document, m_credentialsPath, name, plainKeys(QString(), QString(), QString()));
    return {};
}

Core::Result<bool> AwsFiles::removeProfile(const QString &name)
{
    if (!isValidProfileName(name) || m_configPath.isEmpty())
        return false; // Elevate never wrote it
    return editFile(m_configPath, false, [&](IniDocument &document) -> Core::Result<bool> {
        bool removed = false;
        for (const QString &header : headersOfProfile(document, name)) {
            if (!isManaged(document, header))
                continue; // the user's: left alone
            auto gone = removeOwnSection(document, header);
            if (!gone.ok())
                return gone;
            removed = true;
        }
        return removed;
    });
}

Core::Result<QList<ManagedProfile>> AwsFiles::managedProfiles() const
{
    if (m_configPath.isEmpty())
        return QList<ManagedProfile>();
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
        const auto name = profileOfHeader(section);
        if (!name || !isValidProfileName(*name) || seen.contains(*name) || !isManaged(*document, section))
            continue;
        seen.insert(*name);
        ManagedProfile profile;
        profile.name = *name;
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
                if (key.toLower() == u"sso_account_id"_s) // the CLI lower-cases keys
                    profile.accountId = value;
                else if (key.toLower() == u"sso_role_name"_s)
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
    if (m_credentialsPath.isEmpty())
        return noFile("AWS_SHARED_CREDENTIALS_FILE", u"shared credentials"_s);
    if (accessKeyId.isEmpty() || secretAccessKey.isEmpty() || hasLineBreak(accessKeyId)
        || hasLineBreak(secretAccessKey) || hasLineBreak(sessionToken))
        return invalid(u"the credentials for %1 cannot be written to %2"_s.arg(name, m_credentialsPath));
    QString marker = kMarker + u": "_s;
    if (expiration.isValid())
        marker += u"these credentials expire at %1 and are "_s.arg(expiration.toUTC().toString(Qt::ISODate));
    marker += kMarkerTail;
    const IniKeyValues keys = plainKeys(accessKeyId, secretAccessKey, sessionToken);
    auto written = writeSection(m_credentialsPath, name, keys, {marker}, true);
    if (!written.ok())
        return written;
    // Written files lost group and other bits before the keys went in (editFile); an unchanged
    // file (the same keys already there) is made private here too.
    const QString target = resolvedPath(m_credentialsPath);
    constexpr auto others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
        | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
    if (QFile::permissions(target) & others)
        QFile::setPermissions(target, QFile::permissions(target) & ~others);
    return {};
}

Core::Result<bool> AwsFiles::removeCredentials(const QString &name)
{
    if (!isValidProfileName(name) || m_credentialsPath.isEmpty())
        return false;
    return removeSection(m_credentialsPath, name);
}

Core::Result<void> AwsFiles::writeSection(const QString &path, const QString &section,
                                          const IniKeyValues &keys, const QStringList &comments,
                                          bool holdsSecrets)
{
    const auto result = editFile(
        path, true,
        [&](IniDocument &document) -> Core::Result<bool> {
            if (document.hasSection(section) && !isManaged(document, section))
                return invalid(
                    u"%1, line %2: [%3] is not Elevate's (it has no '# %4' comment), so Elevate does not "
                    "overwrite it; rename or remove that section to let Elevate use the name."_s.arg(
                        path, QString::number(document.sectionLine(section)), section, kMarker));
            if (auto defaults = checkDefaults(document, path, section, keys); !defaults.ok())
                return defaults.error();
            return setOwnSection(document, path, section, keys, comments);
        },
        holdsSecrets);
    if (!result.ok())
        return result.error();
    return {};
}

Core::Result<bool> AwsFiles::setOwnSection(IniDocument &document, const QString &path, const QString &section,
                                           const IniKeyValues &keys, const QStringList &comments)
{
    {
        QStringList all = comments;
        // Appending to a file whose last line has no line break adds one; the section remembers that,
        // so that removing it gives the user's bytes back exactly.
        const bool addsBreak = !document.hasSection(section) && !document.serialise().isEmpty()
            && !document.serialise().endsWith('\n');
        const auto existing = document.commentLines(section);
        if (addsBreak || (existing && existing->contains(kAddedBreakNote)))
            all << kAddedBreakNote;
        if (auto written = document.trySetSection(section, keys, all); !written.ok()) {
            if (written.error().kind != Error::Kind::Parse)
                return invalid(u"[%1] cannot be written to %2"_s.arg(section, path));
            QString reason = written.error().message;
            reason.chop(IniDocument::cliCannotReadSuffix().size());
            return invalid(u"%1, %2 once [%3] is added: the AWS CLI could not read the file with Elevate's "
                           "section in it, so Elevate leaves the file as it is"_s.arg(path, reason, section));
        }
        return true;
    }
}

Core::Result<bool> AwsFiles::removeSection(const QString &path, const QString &section)
{
    return editFile(path, false, [&](IniDocument &document) -> Core::Result<bool> {
        if (!isManaged(document, section))
            return false; // absent, or the user's: left alone
        return removeOwnSection(document, section);
    });
}

Core::Result<bool> AwsFiles::removeOwnSection(IniDocument &document, const QString &section)
{
    {
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
    }
}

Core::Result<bool> AwsFiles::editFile(const QString &path, bool createIfMissing, const Edit &edit,
                                      bool holdsSecrets)
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
    if (const auto readBack = IniDocument::parse(after); !readBack.ok())
        return invalid(
            u"%1 is left as it is: the AWS CLI could not read it after Elevate's change (%2)"_s.arg(
                path, readBack.error().message));

    // Root ignores permission bits, so a read-only file is recognised by its mode, not by a failure.
    if (existed && (!(info.permissions() & QFile::WriteOwner) || !info.isWritable()))
        return invalid(u"%1 is read-only"_s.arg(path));

    QSaveFile file(target);
    file.setDirectWriteFallback(false);
    if (!file.open(QIODevice::WriteOnly))
        return invalid(u"%1 cannot be written: %2"_s.arg(path, file.errorString()));
    QFile::Permissions mode = existed ? (info.permissions() & kModeBits) : kPrivateFile;
    if (holdsSecrets)
        mode &= QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
    // The mode before the content: the temporary file may have started with the old file's mode,
    // and keys must never sit in a file others can read, not even until the rename.
    if (!file.setPermissions(mode) || file.write(after) != after.size()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return invalid(u"%1 cannot be written: %2"_s.arg(path, reason));
    }
    if (!file.commit())
        return invalid(u"%1 cannot be written: %2"_s.arg(path, file.errorString()));
    return result;
}

} // namespace Elevate::Aws

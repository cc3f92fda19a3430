// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "inifile.h"

#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

#include <functional>
#include <optional>

namespace Elevate::Aws {

/// One profile Elevate keeps for a target while it is Ready.
struct ManagedProfile
{
    QString name; ///< without the "profile " prefix
    QString accountId;
    QString roleName;
    IniKeyValues keys; ///< e.g. credential_process, region, output
    QString note; ///< the note writeProfile() was given (read back by managedProfiles()), empty if none
};

/**
 * Elevate's sections in the user's AWS CLI files, and nothing else in them. Owns the rules for
 * touching those files:
 *
 *   resolve a symlink ──> lock <file>.elevate-lock ──> read ──> parse ──> edit ──> unchanged? done
 *                         (2 s, else "locked")                   (refuse)          else QSaveFile
 *                                                                                  (mode kept / 0600)
 *
 * Ownership: a section is Elevate's when its first own comment line starts with "# Managed by
 * Elevate" (Elevate writes it directly under the header; comments after the last key belong to what
 * follows, see IniDocument). A section without it is the user's and is never replaced or removed.
 * Only Elevate processes honour the lock; other programs are protected by the atomic rename instead.
 *
 * Names, as botocore resolves them (checked against the real AWS CLI by cli_awsfiles):
 *  - In the config file, every header that names profile NAME is that profile: `[profile NAME]`,
 *    but also `[profile "NAME"]`, `[profile\tNAME]`, `[profile   NAME]`, `[profiles NAME]` (a
 *    header starting with "profile" is split shell-style and must give exactly two words; the
 *    second is the name), and the last of them in the file wins. `[ profile NAME ]` and `[NAME]`
 *    are not profiles. Elevate writes `[profile NAME]` only when every header naming NAME is its
 *    own (a user's one in any spelling is a conflict: refused, never shadowed or overwritten), and
 *    removes its own other spellings.
 *  - In the credentials file, `[NAME]` (exactly) is profile NAME, and the CLI reads it before
 *    credential_process and lets its keys override the config's: a user's `[NAME]` there is a
 *    conflict too, and an unreadable credentials file (the CLI then fails for every profile)
 *    refuses the write.
 *  - `[DEFAULT]` keys are inherited by every section. One that would change where an Elevate
 *    profile's credentials come from, and that the profile does not set itself, refuses the write
 *    (Kind::InvalidInput naming file, line and key), so no profile is written that Elevate would
 *    call Ready while the CLI does something else: role_arn, source_profile, credential_source,
 *    web_identity_token_file and sso_* (assume-role, web identity and SSO come before
 *    credential_process), and for a profile without credential_process (plain credentials) also
 *    credential_process and static keys (aws_access_key_id, aws_secret_access_key,
 *    aws_session_token, aws_security_token). A [DEFAULT] credential_process or static key does not
 *    count next to Elevate's own credential_process: the CLI runs Elevate's (checked).
 *
 * Paths: $AWS_CONFIG_FILE and $AWS_SHARED_CREDENTIALS_FILE with `$VAR`/`${VAR}` and then `~` /
 * `~user` expanded as Python's os.path.expandvars and expanduser do; a variable set to an empty
 * value means "no file" to the CLI, so Elevate writes nothing and says why.
 *
 * Files: a write creates a missing file 0600 (and a missing directory 0700), keeps an existing
 * file's mode, writes a symlink's target, and refuses a file without its owner-write bit even when
 * running as root. Removing never deletes a file; removing from a missing file does nothing.
 *
 * Errors: Kind::Parse for a file the AWS CLI could not read either (message names the file and the
 * line); Kind::InvalidInput, with a message naming the file, for a user's section in the way, a
 * locked, read-only or unwritable file or directory, or a name or value that cannot be written.
 */
class AwsFiles
{
public:
    AwsFiles(QString configPath, QString credentialsPath);

    /// $AWS_CONFIG_FILE, else ~/.aws/config, expanded by expandPath(); empty when the variable is
    /// set but empty (the CLI then reads no config file).
    static QString defaultConfigPath();
    /// $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials, as defaultConfigPath().
    static QString defaultCredentialsPath();
    /// botocore's expansion of a file path: os.path.expandvars (`$NAME`, `${NAME}`; unknown names
    /// stay as written), then os.path.expanduser (`~` is $HOME, else the password database; `~user`
    /// that user's home; an unknown user stays as written).
    static QString expandPath(const QString &path);
    /// The profile a config-file header names for botocore (build_profile_map), if any: "default"
    /// for `[default]`; NAME for a header starting with "profile" that splits shell-style into
    /// exactly two words, the second being NAME. `[profile "a b"]` names "a b".
    static std::optional<QString> profileOfHeader(const QString &header);
    /// A profile name Elevate can write: no blanks, quotes, backslashes, brackets or control
    /// characters (botocore splits headers shell-style), and not "default" (always the user's).
    static bool isValidProfileName(const QString &name);

    /// Writes or replaces `[profile <name>]` in the config file: the marker comment (which records
    /// the account and role), `note` as a second comment if not empty, then `keys`. Refuses when
    /// a section of that name is the user's. Writing what is already there does not touch the file.
    Core::Result<void> writeProfile(const ManagedProfile &profile, const QString &note = {});
    /// Removes Elevate's `[profile <name>]`. False when there was nothing of Elevate's to remove
    /// (no file, no such section, or the user's own section, which is left alone).
    Core::Result<bool> removeProfile(const QString &name);
    /// Elevate's profiles in the config file, in file order; the user's sections are ignored.
    Core::Result<QList<ManagedProfile>> managedProfiles() const;

    /// Plain credentials (opt-in): `[<name>]` in the credentials file with aws_access_key_id,
    /// aws_secret_access_key and aws_session_token, under a marker that says when they expire.
    /// Same ownership rule as profiles.
    Core::Result<void> writeCredentials(const QString &name, const QString &accessKeyId,
                                        const QString &secretAccessKey, const QString &sessionToken,
                                        const QDateTime &expiration);
    Core::Result<bool> removeCredentials(const QString &name);

    QString configPath() const;
    QString credentialsPath() const;

private:
    using Edit = std::function<Core::Result<bool>(IniDocument &)>;
    /// The locked read–parse–edit–write cycle; returns what `edit` returned. `holdsSecrets`: the new
    /// content has keys in it, so the file loses its group and other bits before a byte is written.
    static Core::Result<bool> editFile(const QString &path, bool createIfMissing, const Edit &edit,
                                       bool holdsSecrets = false);
    static Core::Result<void> writeSection(const QString &path, const QString &section,
                                           const IniKeyValues &keys, const QStringList &comments,
                                           bool holdsSecrets = false);
    static Core::Result<bool> removeSection(const QString &path, const QString &section);
    static Core::Result<bool> setOwnSection(IniDocument &document, const QString &path,
                                            const QString &section, const IniKeyValues &keys,
                                            const QStringList &comments);
    static Core::Result<bool> removeOwnSection(IniDocument &document, const QString &section);
    /// The credentials file as the CLI reads it before Elevate writes profile `name` to the
    /// config: refuses when it is unreadable or has a `[name]` that is not Elevate's, and, for a
    /// profile without credential_process (its keys will go there), a [DEFAULT] that would steer them.
    Core::Result<void> checkCredentialsFileFor(const QString &name, bool viaProcess) const;

    QString m_configPath;
    QString m_credentialsPath;
};

} // namespace Elevate::Aws

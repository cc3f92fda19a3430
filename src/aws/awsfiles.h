// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"
#include "inifile.h"

#include <QDateTime>
#include <QList>
#include <QPair>
#include <QString>

#include <functional>

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
 * follows, see IniDocument); with duplicate sections, every one must carry it. A section without it
 * is the user's and is never replaced or removed. Only Elevate processes honour the lock; other
 * programs are protected by the atomic rename instead.
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

    /// $AWS_CONFIG_FILE (a leading ~ expanded), else ~/.aws/config.
    static QString defaultConfigPath();
    /// $AWS_SHARED_CREDENTIALS_FILE (a leading ~ expanded), else ~/.aws/credentials.
    static QString defaultCredentialsPath();
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
    /// The locked read–parse–edit–write cycle; returns what `edit` returned.
    static Core::Result<bool> editFile(const QString &path, bool createIfMissing, const Edit &edit);
    static Core::Result<void> writeSection(const QString &path, const QString &section,
                                           const IniKeyValues &keys, const QStringList &comments);
    static Core::Result<bool> removeSection(const QString &path, const QString &section);

    QString m_configPath;
    QString m_credentialsPath;
};

} // namespace Elevate::Aws

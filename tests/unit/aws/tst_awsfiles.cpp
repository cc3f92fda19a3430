// SPDX-License-Identifier: GPL-3.0-or-later
// AwsFiles: Elevate's sections in the user's AWS files, byte-exact around them; the user's own
// sections, an unparseable, locked or read-only file are refused with the file left as it was;
// modes, symlinks and mtimes survive.

#include "aws/awsfiles.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QTemporaryDir>
#include <QTest>

#include <optional>
#include <sys/stat.h>
#include <unistd.h>

using namespace Elevate::Aws;
using namespace Elevate::Core;
using namespace Qt::StringLiterals;

namespace {

constexpr QFile::Permissions kModeBits = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
    | QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup | QFile::ReadOther | QFile::WriteOther
    | QFile::ExeOther;

QByteArray sample(const QString &name)
{
    QFile file(QStringLiteral(ELEVATE_TEST_DATA "/aws/") + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return "<unreadable>"_ba;
    return file.readAll();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

ino_t inodeOf(const QString &path)
{
    struct stat info = {};
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? info.st_ino : 0;
}

QFile::Permissions modeOf(const QString &path)
{
    return QFileInfo(path).permissions() & kModeBits;
}

ManagedProfile devProfile()
{
    ManagedProfile profile;
    profile.name = u"elevate-dev"_s;
    profile.accountId = u"111122223333"_s;
    profile.roleName = u"AdministratorAccess"_s;
    profile.keys = {{u"credential_process"_s, u"/usr/bin/elevate credential-process --profile elevate-dev"_s},
                    {u"region"_s, u"eu-west-1"_s}};
    return profile;
}

const QByteArray kDevSection
    = "[profile elevate-dev]\n"
      "# Managed by Elevate for 111122223333/AdministratorAccess: removed when the grant "
      "ends. Edits here are overwritten.\n"
      "# Grant ends 2026-11-30 14:00 UTC\n"
      "credential_process = /usr/bin/elevate credential-process --profile elevate-dev\n"
      "region = eu-west-1\n"_ba;
const QString kNote = u"Grant ends 2026-11-30 14:00 UTC"_s;

#define VERIFY_OK(result)                                                                                    \
    QVERIFY2((result).ok(), qPrintable((result).ok() ? QString() : (result).error().message))

} // namespace

class TestAwsFiles : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void defaultPaths()
    {
        const auto save = [](const char *name) {
            return qEnvironmentVariableIsSet(name) ? std::optional(qgetenv(name)) : std::nullopt;
        };
        const auto restore = [](const char *name, const std::optional<QByteArray> &value) {
            if (value)
                qputenv(name, *value);
            else
                qunsetenv(name);
        };
        const auto savedConfig = save("AWS_CONFIG_FILE");
        const auto savedCredentials = save("AWS_SHARED_CREDENTIALS_FILE");
        const QString home = QDir::homePath();

        qunsetenv("AWS_CONFIG_FILE");
        qunsetenv("AWS_SHARED_CREDENTIALS_FILE");
        QCOMPARE(AwsFiles::defaultConfigPath(), home + u"/.aws/config"_s);
        QCOMPARE(AwsFiles::defaultCredentialsPath(), home + u"/.aws/credentials"_s);

        qputenv("AWS_CONFIG_FILE", "/srv/aws/config");
        qputenv("AWS_SHARED_CREDENTIALS_FILE", "~/secrets/aws-credentials");
        QCOMPARE(AwsFiles::defaultConfigPath(), u"/srv/aws/config"_s);
        QCOMPARE(AwsFiles::defaultCredentialsPath(), home + u"/secrets/aws-credentials"_s);

        qputenv("AWS_CONFIG_FILE", "~");
        QCOMPARE(AwsFiles::defaultConfigPath(), home);
        qputenv("AWS_CONFIG_FILE", "~other/config"); // another user's home is not expanded
        QCOMPARE(AwsFiles::defaultConfigPath(), u"~other/config"_s);

        restore("AWS_CONFIG_FILE", savedConfig);
        restore("AWS_SHARED_CREDENTIALS_FILE", savedCredentials);
    }

    void writeReplaceRemoveProfile()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray original = sample(u"config-comments.ini"_s);
        writeAll(config, original);
        AwsFiles files(config, dir.filePath(u"credentials"_s));

        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(config), original + "\n"_ba + kDevSection);

        ManagedProfile changed = devProfile();
        changed.keys.last().second = u"us-east-1"_s;
        VERIFY_OK(files.writeProfile(changed, kNote));
        QByteArray changedSection = kDevSection;
        changedSection.replace("region = eu-west-1\n", "region = us-east-1\n");
        QCOMPARE(readAll(config), original + "\n"_ba + changedSection);

        const auto removed = files.removeProfile(u"elevate-dev"_s);
        VERIFY_OK(removed);
        QVERIFY(removed.value());
        QCOMPARE(readAll(config), original);

        const auto again = files.removeProfile(u"elevate-dev"_s);
        VERIFY_OK(again);
        QVERIFY(!again.value());
        QCOMPARE(readAll(config), original);
    }

    void fileWithoutFinalLineBreakComesBackExactly()
    {
        // Appending needs a line break after the user's last line; removing the section takes it
        // away again, also after the section was rewritten in between.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray original = "# mine\r\n[profile a]\r\nregion = eu-west-1"_ba;
        writeAll(config, original);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QVERIFY(readAll(config).startsWith(QByteArray(original + "\r\n")));
        ManagedProfile changed = devProfile();
        changed.keys.last().second = u"us-east-1"_s;
        VERIFY_OK(files.writeProfile(changed, kNote));
        VERIFY_OK(files.removeProfile(u"elevate-dev"_s));
        QCOMPARE(readAll(config), original);

        // A file that ends properly keeps its ending too.
        writeAll(config, QByteArray(original + "\r\n"));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        VERIFY_OK(files.removeProfile(u"elevate-dev"_s));
        QCOMPARE(readAll(config), QByteArray(original + "\r\n"));
    }

    void replaceInTheMiddleKeepsEverythingAround()
    {
        // The user moved Elevate's section between two of theirs and uses CRLF.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before
            = "; mine\r\n[default]\r\nregion=us-east-1\r\n\r\n"
              "[profile elevate-dev]  \r\n# Managed by Elevate: old\r\nregion = eu-west-1\r\n\r\n"
              "# my own profile\r\n[profile mine]\r\noutput = json"_ba;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        ManagedProfile profile = devProfile();
        profile.keys = {{u"region"_s, u"eu-south-1"_s}};
        VERIFY_OK(files.writeProfile(profile));
        QCOMPARE(
            readAll(config),
            "; mine\r\n[default]\r\nregion=us-east-1\r\n\r\n"
            "[profile elevate-dev]  \r\n# Managed by Elevate for 111122223333/AdministratorAccess: removed "
            "when the grant ends. Edits here are overwritten.\r\nregion = eu-south-1\r\n\r\n"
            "# my own profile\r\n[profile mine]\r\noutput = json"_ba);

        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QCOMPARE(
            readAll(config),
            "; mine\r\n[default]\r\nregion=us-east-1\r\n\r\n# my own profile\r\n[profile mine]\r\noutput = json"_ba);
    }

    void refusesTheUsersSection()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = "[profile elevate-dev]\n# my notes\nregion = us-east-1\n"_ba;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));

        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY2(written.error().message.contains(u"[profile elevate-dev]"_s),
                 qPrintable(written.error().message));
        QVERIFY2(written.error().message.contains(config), qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);

        const auto removed = files.removeProfile(u"elevate-dev"_s);
        VERIFY_OK(removed);
        QVERIFY(!removed.value());
        QCOMPARE(readAll(config), before);
    }

    void refusesWhenAnyDuplicateIsTheUsers()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before
            = "[profile elevate-dev]\n# Managed by Elevate\nregion = a\n\n[profile elevate-dev]\nregion = b\n"_ba;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        QVERIFY(!files.writeProfile(devProfile(), kNote).ok());
        QVERIFY(!files.removeProfile(u"elevate-dev"_s).value());
        QCOMPARE(readAll(config), before);
    }

    void collapsesItsOwnDuplicates()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        writeAll(config,
                 "[default]\nregion = x\n\n[profile elevate-dev]\n# Managed by Elevate\nregion = a\n\n"
                 "[profile elevate-dev]\n# Managed by Elevate\nregion = b\n"_ba);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(config), "[default]\nregion = x\n\n"_ba + kDevSection);
    }

    void refusesAnUnparseableFile()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = "[default]\nregion = x\nthis is not ini\n"_ba;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));

        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::Parse);
        QVERIFY2(written.error().message.contains(config), qPrintable(written.error().message));
        QVERIFY2(written.error().message.contains(u"line 3"_s), qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);

        QCOMPARE(files.removeProfile(u"elevate-dev"_s).error().kind, Error::Kind::Parse);
        QCOMPARE(files.managedProfiles().error().kind, Error::Kind::Parse);
        QCOMPARE(readAll(config), before);
    }

    void refusesALockedFile()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = sample(u"config-crlf.ini"_s);
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));

        QLockFile other(config + u".elevate-lock"_s);
        QVERIFY(other.tryLock(0));
        QElapsedTimer timer;
        timer.start();
        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QVERIFY(timer.elapsed() < 10'000);
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY2(written.error().message.contains(u"is locked by another program"_s),
                 qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);

        other.unlock();
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QVERIFY(readAll(config).startsWith(before));
        QVERIFY(!QFileInfo::exists(config + u".elevate-lock"_s)); // released after the write
    }

    void refusesAReadOnlyFile()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = sample(u"config-unicode.ini"_s);
        writeAll(config, before);
        QVERIFY(QFile::setPermissions(config, QFile::ReadOwner | QFile::ReadGroup));
        AwsFiles files(config, dir.filePath(u"credentials"_s));

        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY2(written.error().message.contains(u"is read-only"_s), qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);
        QCOMPARE(modeOf(config), QFile::ReadOwner | QFile::ReadGroup);

        // Nothing of Elevate's to remove: no write, so no complaint.
        const auto removed = files.removeProfile(u"elevate-dev"_s);
        VERIFY_OK(removed);
        QVERIFY(!removed.value());
    }

    void refusesAReadOnlyDirectory()
    {
        if (geteuid() == 0)
            QSKIP("root writes into read-only directories");
        QTemporaryDir dir;
        const QString awsDir = dir.filePath(u"aws"_s);
        const QString config = awsDir + u"/config"_s;
        const QByteArray before = sample(u"config-comments.ini"_s);
        writeAll(config, before);
        QVERIFY(QFile::setPermissions(awsDir, QFile::ReadOwner | QFile::ExeOwner));
        AwsFiles files(config, awsDir + u"/credentials"_s);

        const auto written = files.writeProfile(devProfile(), kNote);
        QFile::setPermissions(awsDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY2(written.error().message.contains(u"read-only"_s), qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);
    }

    void createsPrivateFileAndDirectory()
    {
        QTemporaryDir dir;
        const QString awsDir = dir.filePath(u"home/.aws"_s);
        const QString config = awsDir + u"/config"_s;
        const QString credentials = awsDir + u"/credentials"_s;
        AwsFiles files(config, credentials);

        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(config), kDevSection);
        QCOMPARE(modeOf(config), QFile::ReadOwner | QFile::WriteOwner);
        QCOMPARE(modeOf(awsDir), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

        VERIFY_OK(files.writeCredentials(u"elevate-dev"_s, u"ASIA1"_s, u"secret"_s, u"token"_s, {}));
        QCOMPARE(modeOf(credentials), QFile::ReadOwner | QFile::WriteOwner);
        QCOMPARE(QDir(awsDir).entryList(QDir::Files | QDir::Hidden),
                 (QStringList {u"config"_s, u"credentials"_s})); // no lock or temporary files left

        // Removing the last section of a file Elevate created leaves the (empty) file.
        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QVERIFY(QFileInfo::exists(config));
        QCOMPARE(readAll(config), QByteArray());
    }

    void keepsTheMode_data()
    {
        QTest::addColumn<int>("mode");
        const auto row = [](const char *octal, QFile::Permissions permissions) {
            QTest::newRow(octal) << int(permissions.toInt());
        };
        row("0640", QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup);
        row("0644", QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
        row("0600", QFile::ReadOwner | QFile::WriteOwner);
        row("0660", QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::WriteGroup);
        row("0700", QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    void keepsTheMode()
    {
        QFETCH(int, mode);
        const auto permissions = QFile::Permissions::fromInt(uint(mode));
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        writeAll(config, sample(u"config-crlf.ini"_s));
        QVERIFY(QFile::setPermissions(config, permissions));
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(modeOf(config), permissions);
        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QCOMPARE(modeOf(config), permissions);
        QCOMPARE(readAll(config), sample(u"config-crlf.ini"_s));
    }

    void keepsASymlink()
    {
        QTemporaryDir dir;
        const QString real = dir.filePath(u"dotfiles/aws-config"_s);
        const QString link = dir.filePath(u"aws/config"_s);
        const QByteArray before = sample(u"config-subkeys.ini"_s);
        writeAll(real, before);
        QVERIFY(QFile::setPermissions(real, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        QVERIFY(QDir().mkpath(dir.filePath(u"aws"_s)));
        QVERIFY(QFile::link(u"../dotfiles/aws-config"_s, link));
        AwsFiles files(link, dir.filePath(u"aws/credentials"_s));

        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QVERIFY(QFileInfo(link).isSymLink());
        QCOMPARE(QFileInfo(link).canonicalFilePath(), QFileInfo(real).canonicalFilePath());
        QCOMPARE(readAll(real), before + "\n"_ba + kDevSection);
        QCOMPARE(modeOf(real), QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup);
        QCOMPARE(files.managedProfiles()->size(), 1);

        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QVERIFY(QFileInfo(link).isSymLink());
        QCOMPARE(readAll(real), before);
    }

    void writesThroughADanglingSymlink()
    {
        QTemporaryDir dir;
        const QString link = dir.filePath(u"config"_s);
        QVERIFY(QDir().mkpath(dir.filePath(u"dotfiles"_s)));
        QVERIFY(QFile::link(dir.filePath(u"dotfiles/aws-config"_s), link));
        AwsFiles files(link, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QVERIFY(QFileInfo(link).isSymLink());
        QCOMPARE(readAll(dir.filePath(u"dotfiles/aws-config"_s)), kDevSection);
        QCOMPARE(modeOf(dir.filePath(u"dotfiles/aws-config"_s)), QFile::ReadOwner | QFile::WriteOwner);
    }

    void identicalWriteLeavesTheFileAlone()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        writeAll(config, sample(u"config-comments.ini"_s));
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        const QByteArray written = readAll(config);

        const QDateTime old = QDateTime::fromSecsSinceEpoch(1'000'000'000, Qt::UTC);
        {
            QFile file(config);
            QVERIFY(file.open(QIODevice::ReadWrite));
            QVERIFY(file.setFileTime(old, QFileDevice::FileModificationTime));
        }
        const ino_t inode = inodeOf(config);
        QVERIFY(inode != 0);
        QCOMPARE(QFileInfo(config).lastModified(), old);

        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(QFileInfo(config).lastModified(), old);
        QCOMPARE(inodeOf(config), inode); // not replaced by a rename
        QCOMPARE(readAll(config), written);

        // A different note is a change.
        VERIFY_OK(files.writeProfile(devProfile(), u"Grant ends 2026-12-01 09:00 UTC"_s));
        QVERIFY(QFileInfo(config).lastModified() != old);
        QVERIFY(readAll(config).contains("# Grant ends 2026-12-01 09:00 UTC\n"_ba));
    }

    void credentials()
    {
        QTemporaryDir dir;
        const QString credentials = dir.filePath(u"credentials"_s);
        const QByteArray original = sample(u"credentials-typical.ini"_s);
        writeAll(credentials, original);
        AwsFiles files(dir.filePath(u"config"_s), credentials);
        const QDateTime expiry(QDate(2026, 11, 30), QTime(14, 0), Qt::UTC);
        // A credentials file readable by others is made the owner's alone once it holds secrets.
        QFile::setPermissions(credentials,
                              QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);

        VERIFY_OK(files.writeCredentials(u"elevate-dev"_s, u"ASIAEXAMPLE"_s, u"s3cr3t/+="_s, u"IQoJtoken=="_s,
                                         expiry));
        const auto mode = QFile::permissions(credentials);
        QVERIFY(mode.testFlag(QFile::ReadOwner) && mode.testFlag(QFile::WriteOwner));
        QVERIFY(!(mode & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther)));
        QCOMPARE(readAll(credentials),
                 original
                     + "\n[elevate-dev]\n# Managed by Elevate: these credentials expire at "
                       "2026-11-30T14:00:00Z and "
                       "are removed when the grant ends. Edits here are overwritten.\n"
                       "aws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = s3cr3t/+=\n"
                       "aws_session_token = IQoJtoken==\n"_ba);
        QVERIFY(!QFileInfo::exists(dir.filePath(u"config"_s)));

        // Refreshed credentials replace the old ones in place.
        VERIFY_OK(files.writeCredentials(u"elevate-dev"_s, u"ASIANEW"_s, u"new"_s, u"newtoken"_s,
                                         expiry.addSecs(3600)));
        const QByteArray refreshed = readAll(credentials);
        QVERIFY(refreshed.startsWith(QByteArray(original + "\n[elevate-dev]\n"_ba)));
        QVERIFY(refreshed.contains("expire at 2026-11-30T15:00:00Z"_ba));
        QVERIFY(refreshed.endsWith("aws_access_key_id = ASIANEW\naws_secret_access_key = new\n"
                                   "aws_session_token = newtoken\n"_ba));

        // The user's [saml] is theirs.
        const auto refused = files.writeCredentials(u"saml"_s, u"A"_s, u"B"_s, u"C"_s, expiry);
        QVERIFY(!refused.ok());
        QVERIFY(refused.error().message.contains(credentials));
        QVERIFY(!files.removeCredentials(u"saml"_s).value());
        QVERIFY(!files.removeCredentials(u"default"_s).value());

        QVERIFY(files.removeCredentials(u"elevate-dev"_s).value());
        QCOMPARE(readAll(credentials), original);
    }

    void managedProfilesIgnoresTheUsersSections()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        writeAll(config,
                 "[default]\n# Managed by Elevate (a user copying our comment into default)\nregion = x\n\n"
                 "[profile mine]\nregion = y\n# Managed by Elevate, but not first\n\n"
                 "[profile later]\nregion = y\n\n# Managed by Elevate above a header\n[sso-session corp]\n"
                 "sso_region = eu-central-1\n\n"
                 "[profile hand-made]\n# Managed by Elevate: an older format\nsso_account_id = 444455556666\n"
                 "sso_role_name = ReadOnly\n"_ba);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));

        const auto profiles = files.managedProfiles();
        VERIFY_OK(profiles);
        QCOMPARE(profiles->size(), 2);
        QCOMPARE(profiles->at(0).name, u"hand-made"_s);
        QCOMPARE(profiles->at(0).accountId, u"444455556666"_s);
        QCOMPARE(profiles->at(0).roleName, u"ReadOnly"_s);
        QCOMPARE(profiles->at(1).name, u"elevate-dev"_s);
        QCOMPARE(profiles->at(1).accountId, u"111122223333"_s);
        QCOMPARE(profiles->at(1).roleName, u"AdministratorAccess"_s);
        QCOMPARE(profiles->at(1).keys, devProfile().keys);
    }

    void managedProfilesOfAMissingFile()
    {
        QTemporaryDir dir;
        AwsFiles files(dir.filePath(u"nothing/config"_s), dir.filePath(u"nothing/credentials"_s));
        const auto profiles = files.managedProfiles();
        VERIFY_OK(profiles);
        QVERIFY(profiles->isEmpty());
    }

    void removingFromAMissingFileIsANoOp()
    {
        QTemporaryDir dir;
        const QString awsDir = dir.filePath(u"aws"_s);
        AwsFiles files(awsDir + u"/config"_s, awsDir + u"/credentials"_s);
        const auto profile = files.removeProfile(u"elevate-dev"_s);
        VERIFY_OK(profile);
        QVERIFY(!profile.value());
        const auto credentials = files.removeCredentials(u"elevate-dev"_s);
        VERIFY_OK(credentials);
        QVERIFY(!credentials.value());
        QVERIFY(!QFileInfo::exists(awsDir)); // nothing created
    }

    void refusesNamesAndValuesItCannotWrite_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::newRow("default") << u"default"_s << u"region"_s << u"x"_s;
        QTest::newRow("blank") << u"a b"_s << u"region"_s << u"x"_s;
        QTest::newRow("bracket") << u"a]"_s << u"region"_s << u"x"_s;
        QTest::newRow("quote") << u"a'b"_s << u"region"_s << u"x"_s;
        QTest::newRow("newline") << u"a\nb"_s << u"region"_s << u"x"_s;
        QTest::newRow("empty") << QString() << u"region"_s << u"x"_s;
        QTest::newRow("bad key") << u"ok"_s << u"a=b"_s << u"x"_s;
        QTest::newRow("newline in value") << u"ok"_s << u"region"_s << u"x\n[default]"_s;
    }
    void refusesNamesAndValuesItCannotWrite()
    {
        QFETCH(QString, name);
        QFETCH(QString, key);
        QFETCH(QString, value);
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QString credentials = dir.filePath(u"credentials"_s);
        AwsFiles files(config, credentials);
        ManagedProfile profile;
        profile.name = name;
        profile.keys = {{key, value}};
        const auto written = files.writeProfile(profile);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY(!QFileInfo::exists(config));
        const auto plain = files.writeCredentials(name, u"A"_s, value, u"T"_s, {});
        QCOMPARE(plain.ok(), AwsFiles::isValidProfileName(name) && !value.contains(u'\n'));
    }

    void unicodeProfileName()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = sample(u"config-unicode.ini"_s);
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        ManagedProfile profile = devProfile();
        profile.name = u"élévate-東京"_s;
        VERIFY_OK(files.writeProfile(profile));
        QVERIFY(
            readAll(config).contains("\n\n[profile \xC3\xA9l\xC3\xA9vate-\xE6\x9D\xB1\xE4\xBA\xAC]\n"_ba));
        QCOMPARE(files.managedProfiles()->first().name, profile.name);
        QVERIFY(files.removeProfile(profile.name).value());
        QCOMPARE(readAll(config), before);
    }
};

QTEST_GUILESS_MAIN(TestAwsFiles)
#include "tst_awsfiles.moc"

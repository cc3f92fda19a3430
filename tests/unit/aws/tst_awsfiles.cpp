// SPDX-License-Identifier: GPL-3.0-or-later
// AwsFiles: Elevate's sections in the user's AWS files, byte-exact around them; the user's own
// sections (in every spelling botocore reads as the same profile, and in the credentials file), an
// unparseable, locked or read-only file, [DEFAULT] keys that would take over Elevate's profile and
// an empty AWS_CONFIG_FILE are refused with the files left as they were; modes, symlinks and
// mtimes survive; paths are expanded as botocore expands them. cli_awsfiles checks the same
// shapes against the real AWS CLI.

#include "aws/awsfiles.h"
#include "support/testsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QTemporaryDir>
#include <QTest>

#include <optional>
#include <pwd.h>
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
        // Another user's home, as os.path.expanduser finds it; an unknown user stays as written.
        qputenv("AWS_CONFIG_FILE", "~root/config");
        QCOMPARE(AwsFiles::defaultConfigPath(),
                 QString::fromLocal8Bit(::getpwnam("root")->pw_dir) + u"/config"_s);
        qputenv("AWS_CONFIG_FILE", "~no-such-user-here/config");
        QCOMPARE(AwsFiles::defaultConfigPath(), u"~no-such-user-here/config"_s);

        // Variables first (os.path.expandvars), then ~ (a variable may hold one).
        qputenv("ELEVATE_TEST_AWS_DIR", "/srv/aws");
        qputenv("AWS_CONFIG_FILE", "$ELEVATE_TEST_AWS_DIR/config");
        QCOMPARE(AwsFiles::defaultConfigPath(), u"/srv/aws/config"_s);
        qputenv("AWS_CONFIG_FILE", "${ELEVATE_TEST_AWS_DIR}/config-$ELEVATE_TEST_NOT_SET-${}");
        QCOMPARE(AwsFiles::defaultConfigPath(), u"/srv/aws/config-$ELEVATE_TEST_NOT_SET-${}"_s);
        qputenv("ELEVATE_TEST_AWS_DIR", "~/aws");
        qputenv("AWS_CONFIG_FILE", "$ELEVATE_TEST_AWS_DIR/config");
        QCOMPARE(AwsFiles::defaultConfigPath(), home + u"/aws/config"_s);
        qputenv("ELEVATE_TEST_AWS_DIR", "$HOME");
        QCOMPARE(AwsFiles::defaultConfigPath(),
                 u"$HOME/config"_s); // a substituted value is not expanded again
        qunsetenv("ELEVATE_TEST_AWS_DIR");

        // Set but empty: the CLI reads no file.
        qputenv("AWS_CONFIG_FILE", "");
        qputenv("AWS_SHARED_CREDENTIALS_FILE", "");
        QCOMPARE(AwsFiles::defaultConfigPath(), QString());
        QCOMPARE(AwsFiles::defaultCredentialsPath(), QString());

        restore("AWS_CONFIG_FILE", savedConfig);
        restore("AWS_SHARED_CREDENTIALS_FILE", savedCredentials);
    }

    void expandPathLikePython_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expanded");
        const QString home = qEnvironmentVariable("HOME");
        QTest::newRow("plain") << u"/a/b"_s << u"/a/b"_s;
        QTest::newRow("tilde") << u"~/x"_s << home + u"/x"_s;
        QTest::newRow("tilde not first") << u"/a/~/x"_s << u"/a/~/x"_s;
        QTest::newRow("dollar alone") << u"/a/$"_s << u"/a/$"_s;
        QTest::newRow("dollar before non-word") << u"/a/$-x"_s << u"/a/$-x"_s;
        QTest::newRow("unclosed brace") << u"/a/${HOME"_s << u"/a/${HOME"_s;
        QTest::newRow("unknown skipped whole") << u"${ELEVATE_NOPE$HOME}"_s << u"${ELEVATE_NOPE$HOME}"_s;
        QTest::newRow("word stops at punctuation") << u"$HOME.d"_s << home + u".d"_s;
        QTest::newRow("relative") << u"config"_s << u"config"_s;
    }
    void expandPathLikePython()
    {
        QFETCH(QString, path);
        QFETCH(QString, expanded);
        QCOMPARE(AwsFiles::expandPath(path), expanded);
    }

    void homeWithoutHome()
    {
        // No $HOME: the password database; an empty $HOME: "/" + the rest, as Python.
        const QByteArray saved = qgetenv("HOME");
        qunsetenv("HOME");
        const QString fromPasswd = QString::fromLocal8Bit(::getpwuid(::getuid())->pw_dir);
        QCOMPARE(AwsFiles::expandPath(u"~/.aws/config"_s),
                 (fromPasswd.endsWith(u'/') ? fromPasswd.chopped(1) : fromPasswd) + u"/.aws/config"_s);
        qputenv("HOME", "");
        QCOMPARE(AwsFiles::expandPath(u"~/.aws/config"_s), u"/.aws/config"_s);
        QCOMPARE(AwsFiles::expandPath(u"~"_s), u"/"_s);
        qputenv("HOME", "/home/x/");
        QCOMPARE(AwsFiles::expandPath(u"~/c"_s), u"/home/x/c"_s);
        qputenv("HOME", saved);
    }

    void profileOfHeader_data()
    {
        QTest::addColumn<QString>("header");
        QTest::addColumn<QString>("profile"); // null: not a profile
        QTest::newRow("plain") << u"profile x"_s << u"x"_s;
        QTest::newRow("default") << u"default"_s << u"default"_s;
        QTest::newRow("profile default") << u"profile default"_s << u"default"_s;
        QTest::newRow("double quotes") << u"profile \"x\""_s << u"x"_s;
        QTest::newRow("single quotes") << u"profile 'x'"_s << u"x"_s;
        QTest::newRow("quoted blank") << u"profile \"a b\""_s << u"a b"_s;
        QTest::newRow("tab") << u"profile\tx"_s << u"x"_s;
        QTest::newRow("spaces") << u"profile   x  "_s << u"x"_s;
        QTest::newRow("any word starting with profile") << u"profiles x"_s << u"x"_s;
        QTest::newRow("escaped") << u"profile e\\-x"_s << u"e-x"_s;
        QTest::newRow("escaped in double quotes") << u"profile \"a\\b\\\"\""_s << u"a\\b\""_s;
        QTest::newRow("no escape in single quotes") << u"profile 'a\\b'"_s << u"a\\b"_s;
        QTest::newRow("empty quoted") << u"profile ''"_s << u""_s;
        QTest::newRow("joined quotes") << u"profile x\"y\"'z'"_s << u"xyz"_s;
        QTest::newRow("padded") << u" profile x "_s << QString();
        QTest::newRow("three words") << u"profile a b"_s << QString();
        QTest::newRow("no name") << u"profile"_s << QString();
        QTest::newRow("quote glued to profile") << u"profile\"x\""_s << QString();
        QTest::newRow("unclosed quote") << u"profile \"x"_s << QString();
        QTest::newRow("trailing backslash") << u"profile x\\"_s << QString();
        QTest::newRow("no-break space is not a separator") << u"profile\u00a0x"_s << QString();
        QTest::newRow("a plain name") << u"x"_s << QString();
        QTest::newRow("default padded") << u"default "_s << QString();
        QTest::newRow("DEFAULT") << u"DEFAULT"_s << QString();
        QTest::newRow("sso-session") << u"sso-session x"_s << QString();
    }
    void profileOfHeader()
    {
        QFETCH(QString, header);
        QFETCH(QString, profile);
        const auto name = AwsFiles::profileOfHeader(header);
        QCOMPARE(name.has_value(), !profile.isNull());
        if (name)
            QCOMPARE(*name, profile);
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

    void refusesTheUsersSectionInAnySpelling_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::newRow("double quotes") << "[profile \"elevate-dev\"]"_ba;
        QTest::newRow("single quotes") << "[profile 'elevate-dev']"_ba;
        QTest::newRow("tab") << "[profile\televate-dev]"_ba;
        QTest::newRow("two spaces") << "[profile  elevate-dev]"_ba;
        QTest::newRow("trailing blanks inside") << "[profile elevate-dev  ]"_ba;
        QTest::newRow("profiles") << "[profiles elevate-dev]"_ba;
        QTest::newRow("escaped") << "[profile elevate\\-dev]"_ba;
    }
    void refusesTheUsersSectionInAnySpelling()
    {
        // Before Elevate's own section (Elevate's would shadow it) and after it (it would shadow
        // Elevate's): a conflict either way, the file as it was.
        QFETCH(QByteArray, header);
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        const QByteArray users = header + "\nregion = us-east-1\n"_ba;
        const QByteArray ours = "[profile elevate-dev]\n# Managed by Elevate: old\nregion = a\n"_ba;
        for (const QByteArray &before :
             QList<QByteArray> {users, ours + "\n"_ba + users, users + "\n"_ba + ours}) {
            writeAll(config, before);
            const auto written = files.writeProfile(devProfile(), kNote);
            QVERIFY(!written.ok());
            QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
            QVERIFY2(written.error().message.contains(config), qPrintable(written.error().message));
            const int line = before.startsWith(header) ? 1 : 5;
            QVERIFY2(written.error().message.contains(u"line %1:"_s.arg(line)),
                     qPrintable(written.error().message));
            QVERIFY2(written.error().message.contains(u"elevate-dev"_s), qPrintable(written.error().message));
            QCOMPARE(readAll(config), before);
        }
        // Removing takes only Elevate's own section.
        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QCOMPARE(readAll(config), users);
        QVERIFY(!files.removeProfile(u"elevate-dev"_s).value());
    }

    void sectionsThatAreNotTheProfile()
    {
        // botocore does not read these as the profile elevate-dev: no conflict, and they stay.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before
            = "[ profile elevate-dev ]\nregion = a\n\n[elevate-dev]\nregion = b\n\n"
              "[profile elevate-dev x]\nregion = c\n\n[profile \"elevate-dev]\nregion = d\n\n"
              "[sso-session elevate-dev]\nsso_region = e\n"_ba;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(config), before + "\n"_ba + kDevSection);
        QCOMPARE(files.managedProfiles()->size(), 1);
        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QCOMPARE(readAll(config), before);
    }

    void collapsesItsOwnSpellings()
    {
        // Elevate's own section in another spelling (written by hand or an older version) goes;
        // one [profile NAME] remains.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        writeAll(config,
                 "[default]\nregion = x\n\n[profile \"elevate-dev\"]\n# Managed by Elevate\nregion = a\n\n"
                 "[profile elevate-dev]\n# Managed by Elevate\nregion = b\n"_ba);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(config), "[default]\nregion = x\n\n"_ba + kDevSection);
        QCOMPARE(files.managedProfiles()->size(), 1);
        QCOMPARE(files.managedProfiles()->first().name, u"elevate-dev"_s);
    }

    void managedProfileInAnotherSpellingIsFound()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = "[default]\nregion = x\n"_ba;
        writeAll(config,
                 before + "\n[profile\t'elevate-dev']\n# Managed by Elevate for 1/R: x\nregion = a\n"_ba);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        const auto profiles = files.managedProfiles();
        VERIFY_OK(profiles);
        QCOMPARE(profiles->size(), 1);
        QCOMPARE(profiles->first().name, u"elevate-dev"_s);
        QCOMPARE(profiles->first().roleName, u"R"_s);
        QVERIFY(files.removeProfile(u"elevate-dev"_s).value());
        QCOMPARE(readAll(config), before);
    }

    void refusesDuplicatesTheCliRefuses()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before
            = "[profile elevate-dev]\n# Managed by Elevate\nregion = a\n\n[profile elevate-dev]\nregion = b\n"_ba;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::Parse);
        QVERIFY2(written.error().message.startsWith(config + u", line 5: a second section"_s),
                 qPrintable(written.error().message));
        QVERIFY2(written.error().message.contains(u"AWS CLI cannot read"_s),
                 qPrintable(written.error().message));
        QCOMPARE(files.removeProfile(u"elevate-dev"_s).error().kind, Error::Kind::Parse);
        QCOMPARE(readAll(config), before);
    }

    void credentialsFileSectionIsAConflict()
    {
        // The CLI reads [elevate-dev] in the credentials file before credential_process and lets its
        // keys override the config's: the user's one there blocks the name too.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QString credentials = dir.filePath(u"credentials"_s);
        const QByteArray users
            = "[default]\naws_access_key_id = AKIA\naws_secret_access_key = x\n\n"
              "[elevate-dev]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = y\n"_ba;
        writeAll(credentials, users);
        AwsFiles files(config, credentials);
        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY2(written.error().message.contains(credentials + u", line 5:"_s),
                 qPrintable(written.error().message));
        QVERIFY(!written.error().message.contains(u"AKIAOTHER"_s));
        QVERIFY(!QFileInfo::exists(config));
        QCOMPARE(readAll(credentials), users);

        // Only the exact name counts there: [profile elevate-dev] and [ elevate-dev ] are other profiles.
        const QByteArray others = "[profile elevate-dev]\nregion = a\n[ elevate-dev ]\nregion = b\n"_ba;
        writeAll(credentials, others);
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(credentials), others);

        // Elevate's own plain credentials under that name are no conflict.
        QFile::remove(credentials);
        VERIFY_OK(files.writeCredentials(u"elevate-dev"_s, u"ASIA"_s, u"s"_s, u"t"_s, {}));
        VERIFY_OK(files.writeProfile(devProfile(), u"another note"_s));
    }

    void unreadableCredentialsFileRefusesTheProfile()
    {
        // The CLI fails for every profile while it cannot read the credentials file.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QString credentials = dir.filePath(u"credentials"_s);
        const QByteArray broken = "[default]\naws_access_key_id = a\nAWS_ACCESS_KEY_ID = b\n"_ba;
        writeAll(credentials, broken);
        const QByteArray before = sample(u"config-comments.ini"_s);
        writeAll(config, before);
        AwsFiles files(config, credentials);
        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::Parse);
        QVERIFY2(written.error().message.contains(credentials), qPrintable(written.error().message));
        QVERIFY2(written.error().message.contains(u"line 3"_s), qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);
        QCOMPARE(readAll(credentials), broken);
    }

    void defaultKeysThatTakeOverTheProfile_data()
    {
        QTest::addColumn<QByteArray>("defaults");
        QTest::addColumn<bool>("process"); // the profile has Elevate's credential_process
        QTest::addColumn<bool>("refused");
        QTest::newRow("role_arn") << "role_arn = arn:aws:iam::1:role/x\n"_ba << true << true;
        QTest::newRow("ROLE_ARN, lower-cased by the CLI")
            << "ROLE_ARN = arn:aws:iam::1:role/x\n"_ba << true << true;
        QTest::newRow("source_profile") << "source_profile = other\n"_ba << true << true;
        QTest::newRow("credential_source") << "credential_source = Environment\n"_ba << true << true;
        QTest::newRow("web_identity_token_file") << "web_identity_token_file = /t\n"_ba << true << true;
        QTest::newRow("sso_account_id") << "sso_account_id = 1\n"_ba << true << true;
        QTest::newRow("sso_session") << "sso_session = corp\n"_ba << true << true;
        QTest::newRow("region") << "region = eu-west-1\noutput = json\n"_ba << true << false;
        QTest::newRow("credential_process, Elevate's own wins")
            << "credential_process = /bin/other\n"_ba << true << false;
        QTest::newRow("static keys, after credential_process")
            << "aws_access_key_id = AKIA\naws_secret_access_key = x\n"_ba << true << false;
        QTest::newRow("credential_process, plain profile")
            << "credential_process = /bin/other\n"_ba << false << true;
        QTest::newRow("static keys, plain profile") << "aws_access_key_id = AKIA\n"_ba << false << true;
        QTest::newRow("region, plain profile") << "region = eu-west-1\n"_ba << false << false;
    }
    void defaultKeysThatTakeOverTheProfile()
    {
        QFETCH(QByteArray, defaults);
        QFETCH(bool, process);
        QFETCH(bool, refused);
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = "[profile mine]\nregion = a\n\n# for all\n[DEFAULT]\n"_ba + defaults;
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        ManagedProfile profile = devProfile();
        if (!process)
            profile.keys = {{u"region"_s, u"eu-west-1"_s}};
        const auto written = files.writeProfile(profile, kNote);
        QCOMPARE(written.ok(), !refused);
        if (refused) {
            QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
            QVERIFY2(written.error().message.contains(config + u", line 6:"_s),
                     qPrintable(written.error().message));
            QVERIFY2(written.error().message.contains(u"[DEFAULT]"_s), qPrintable(written.error().message));
            QVERIFY(!written.error().message.contains(u"AKIA"_s));
            QCOMPARE(readAll(config), before);
            QVERIFY(files.managedProfiles()->isEmpty());
        } else {
            QCOMPARE(files.managedProfiles()->size(), 1);
        }
    }

    void defaultKeySetByTheProfileItselfDoesNotCount()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        writeAll(config, "[DEFAULT]\nsso_region = eu-west-1\n"_ba);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        ManagedProfile profile = devProfile();
        profile.keys.append({u"sso_region"_s, u"us-east-1"_s});
        VERIFY_OK(files.writeProfile(profile, kNote));
    }

    void credentialsDefaultThatTakesOverPlainCredentials()
    {
        // aws_security_token comes before aws_session_token for the CLI: from [DEFAULT] it would
        // replace Elevate's session token.
        QTemporaryDir dir;
        const QString credentials = dir.filePath(u"credentials"_s);
        const QByteArray before = "[DEFAULT]\naws_security_token = old\n"_ba;
        writeAll(credentials, before);
        AwsFiles files(dir.filePath(u"config"_s), credentials);
        const auto written = files.writeCredentials(u"elevate-dev"_s, u"ASIA"_s, u"s"_s, u"t"_s, {});
        QVERIFY(!written.ok());
        QVERIFY2(written.error().message.contains(credentials + u", line 2:"_s),
                 qPrintable(written.error().message));
        QCOMPARE(readAll(credentials), before);

        // The plain-credentials profile is refused up front, so it is never there without its keys.
        ManagedProfile plain = devProfile();
        plain.keys = {{u"region"_s, u"eu-west-1"_s}};
        const auto profile = files.writeProfile(plain, kNote);
        QVERIFY(!profile.ok());
        QVERIFY2(profile.error().message.contains(credentials + u", line 2:"_s),
                 qPrintable(profile.error().message));
        QVERIFY(!QFileInfo::exists(dir.filePath(u"config"_s)));
        // With credential_process, the keys do not go there: the credentials [DEFAULT] does not matter.
        VERIFY_OK(files.writeProfile(devProfile(), kNote));
        QCOMPARE(readAll(credentials), before);
    }

    void refusesAnEditTheCliCouldNotRead()
    {
        // A nested [DEFAULT] value without '=' is harmless until a section inherits it.
        QTemporaryDir dir;
        const QString config = dir.filePath(u"config"_s);
        const QByteArray before = sample(u"default-only-nested.ini"_s);
        writeAll(config, before);
        AwsFiles files(config, dir.filePath(u"credentials"_s));
        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QVERIFY2(written.error().message.contains(config), qPrintable(written.error().message));
        QVERIFY2(written.error().message.contains(u"AWS CLI"_s), qPrintable(written.error().message));
        QVERIFY2(written.error().message.contains(u", line 3: "_s), qPrintable(written.error().message));
        QVERIFY2(!written.error().message.contains(u"either"_s), qPrintable(written.error().message));
        QCOMPARE(readAll(config), before);
    }

    void emptyVariableMeansNoFile()
    {
        // AWS_CONFIG_FILE="" makes the CLI read no config file: nothing Elevate writes would count.
        QTemporaryDir dir;
        const QString credentials = dir.filePath(u"credentials"_s);
        const QString cwdConfig = QDir::current().filePath(u"config"_s);
        const bool cwdHadConfig = QFileInfo::exists(cwdConfig);
        AwsFiles files(QString(), credentials);
        const auto written = files.writeProfile(devProfile(), kNote);
        QVERIFY(!written.ok());
        QCOMPARE(written.error().kind, Error::Kind::InvalidInput);
        QVERIFY2(written.error().message.contains(u"AWS_CONFIG_FILE"_s), qPrintable(written.error().message));
        QVERIFY(files.managedProfiles()->isEmpty());
        QVERIFY(!files.removeProfile(u"elevate-dev"_s).value());
        QVERIFY(QDir(dir.path()).isEmpty());
        QCOMPARE(QFileInfo::exists(cwdConfig), cwdHadConfig);

        // No credentials file: nothing there can conflict; plain credentials have nowhere to go.
        const QString config = dir.filePath(u"config"_s);
        AwsFiles noCredentials(config, QString());
        VERIFY_OK(noCredentials.writeProfile(devProfile(), kNote));
        const auto plain = noCredentials.writeCredentials(u"elevate-dev"_s, u"A"_s, u"B"_s, u"C"_s, {});
        QVERIFY(!plain.ok());
        QVERIFY2(plain.error().message.contains(u"AWS_SHARED_CREDENTIALS_FILE"_s),
                 qPrintable(plain.error().message));
        QVERIFY(!noCredentials.removeCredentials(u"elevate-dev"_s).value());
        // A profile for plain credentials would have no keys at all: not written either.
        ManagedProfile plainProfile = devProfile();
        plainProfile.name = u"elevate-plain"_s;
        plainProfile.keys = {{u"region"_s, u"eu-west-1"_s}};
        const auto plainWritten = noCredentials.writeProfile(plainProfile, kNote);
        QVERIFY(!plainWritten.ok());
        QVERIFY2(plainWritten.error().message.contains(u"AWS_SHARED_CREDENTIALS_FILE"_s),
                 qPrintable(plainWritten.error().message));
        QCOMPARE(noCredentials.managedProfiles()->size(), 1);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::NoDotAndDotDot), QStringList {u"config"_s});
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

// SPDX-License-Identifier: GPL-3.0-or-later
// IniDocument: awkward real-world files come back byte for byte; parse errors say the line; editing
// one section leaves every other byte alone; appending and then removing gives back the original.

#include "aws/inifile.h"

#include <QDir>
#include <QFile>
#include <QTest>

using namespace Elevate::Aws;
using namespace Qt::StringLiterals;

namespace {

QString dataDir()
{
    return QStringLiteral(ELEVATE_TEST_DATA "/aws");
}

QByteArray sample(const QString &name)
{
    QFile file(dataDir() + u'/' + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test data %s", qPrintable(file.fileName()));
    return file.readAll();
}

QStringList sampleNames()
{
    return QDir(dataDir()).entryList({u"*.ini"_s}, QDir::Files, QDir::Name);
}

IniDocument parsed(const QByteArray &bytes)
{
    auto document = IniDocument::parse(bytes);
    if (!document.ok())
        qFatal("unexpected parse error: %s", qPrintable(document.error().message));
    return document.value();
}

bool endsWithTerminator(const QByteArray &bytes)
{
    return bytes.endsWith('\n') || bytes.endsWith('\r');
}

/// CRLF when more lines end in CRLF than in a bare LF.
QByteArray dominantTerminator(const QByteArray &bytes)
{
    const qsizetype crlf = bytes.count("\r\n");
    return crlf > bytes.count('\n') - crlf ? "\r\n"_ba : "\n"_ba;
}

const IniKeyValues kElevateKeys {
    {u"credential_process"_s, u"/usr/bin/elevate credential-process --account 111122223333"_s},
    {u"region"_s, u"eu-west-1"_s},
};
const QStringList kElevateComments {u"Managed by Elevate: test"_s, u"Grant ends 2026-11-30 14:00 UTC"_s};

} // namespace

class TestIniFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void samplesArePresent()
    {
        // The data-driven tests below iterate over the directory; an empty one would pass silently.
        QVERIFY2(sampleNames().size() >= 14, qPrintable(sampleNames().join(u", "_s)));
    }

    void identity_data()
    {
        QTest::addColumn<QString>("file");
        for (const QString &name : sampleNames())
            QTest::newRow(qPrintable(name)) << name;
    }
    void identity()
    {
        QFETCH(QString, file);
        const QByteArray bytes = sample(file);
        const auto document = IniDocument::parse(bytes);
        QVERIFY2(document.ok(), qPrintable(document.ok() ? QString() : document.error().message));
        QCOMPARE(document->serialise(), bytes);
    }

    void sectionNames()
    {
        QCOMPARE(parsed(sample(u"config-comments.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile work"_s, u"sso-session corp"_s}));
        QCOMPARE(parsed(sample(u"config-duplicates.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile dup"_s, u"profile other"_s, u"profile dup"_s}));
        QCOMPARE(parsed(sample(u"config-nospaces.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile tight"_s, u"profile  spaced"_s}));
        QCOMPARE(parsed(sample(u"config-unicode.ini"_s)).sectionNames(),
                 (QStringList {u"profile müller"_s, u"profile 日本"_s}));
        QCOMPARE(parsed(sample(u"config-mixed-endings.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile a"_s, u"profile old-mac"_s, u"profile b"_s}));
        QCOMPARE(parsed(sample(u"config-bom.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile notepad"_s}));
        QVERIFY(parsed(sample(u"empty.ini"_s)).sectionNames().isEmpty());
        QVERIFY(parsed(sample(u"comments-only.ini"_s)).sectionNames().isEmpty());

        const IniDocument duplicates = parsed(sample(u"config-duplicates.ini"_s));
        QVERIFY(duplicates.hasSection(u"profile dup"_s));
        QVERIFY(!duplicates.hasSection(u"dup"_s));
        QCOMPARE(duplicates.sectionCount(u"profile dup"_s), 2);
        QCOMPARE(duplicates.sectionCount(u"profile missing"_s), 0);
    }

    void sectionValues()
    {
        // Expected values are what Python's configparser (the AWS CLI's parser) reports.
        const IniDocument subkeys = parsed(sample(u"config-subkeys.ini"_s));
        QCOMPARE(subkeys.section(u"default"_s).value(),
                 (IniKeyValues {{u"region"_s, u"us-east-1"_s},
                                {u"s3"_s,
                                 u"\nmax_concurrent_requests = 20\nmax_queue_size = 10000\n\n"
                                 "multipart_threshold = 64MB\nmultipart_chunksize = 16MB"_s},
                                {u"cli_pager"_s, QString()}}));
        QCOMPARE(subkeys.section(u"profile nested"_s).value(),
                 (IniKeyValues {{u"indented_key"_s, u"1"_s},
                                {u"another"_s, u"2"_s},
                                {u"ec2"_s, u"\nendpoint_url = http://localhost:4566"_s}}));

        const IniDocument comments = parsed(sample(u"config-comments.ini"_s));
        QCOMPARE(comments.section(u"default"_s).value(),
                 (IniKeyValues {{u"region"_s, u"eu-west-1"_s}, {u"output"_s, u"json"_s}}));
        QCOMPARE(
            comments.section(u"profile work"_s)->last(),
            (QPair<QString, QString> {u"region"_s, u"eu-central-1 # not an inline comment for the CLI"_s}));

        const IniDocument nospaces = parsed(sample(u"config-nospaces.ini"_s));
        QCOMPARE(nospaces.section(u"default"_s).value(),
                 (IniKeyValues {{u"region"_s, u"us-east-1"_s},
                                {u"output"_s, u"json"_s},
                                {u"cli_timestamp_format"_s, u"iso8601"_s}}));
        QCOMPARE(nospaces.section(u"profile tight"_s)->first().second,
                 u"arn:aws:iam::123456789012:role/Admin"_s);
        QCOMPARE(nospaces.section(u"profile  spaced"_s).value(),
                 (IniKeyValues {{u"region"_s, u"sa-east-1"_s}}));

        const IniDocument unicode = parsed(sample(u"config-unicode.ini"_s));
        QCOMPARE(unicode.section(u"profile müller"_s)->last().second, u"Zugriff für Jürgen 🚀"_s);
        QCOMPARE(unicode.section(u"profile 日本"_s)->last().second, u"東京リージョン"_s);

        const IniDocument duplicates = parsed(sample(u"config-duplicates.ini"_s));
        QCOMPARE(duplicates.section(u"profile dup"_s).value(),
                 (IniKeyValues {{u"region"_s, u"eu-west-1"_s}}));
        QCOMPARE(duplicates.section(u"profile dup"_s, 1).value(), (IniKeyValues {{u"output"_s, u"json"_s}}));
        QVERIFY(!duplicates.section(u"profile dup"_s, 2));
        QVERIFY(!duplicates.section(u"profile missing"_s));

        const IniDocument mixed = parsed(sample(u"config-mixed-endings.ini"_s));
        QCOMPARE(mixed.section(u"profile old-mac"_s).value(),
                 (IniKeyValues {{u"region"_s, u"ap-south-1"_s}}));

        const IniDocument bom = parsed(sample(u"config-bom.ini"_s));
        QCOMPARE(bom.section(u"default"_s).value(), (IniKeyValues {{u"region"_s, u"eu-north-1"_s}}));
    }

    void commentLines()
    {
        const IniDocument document = parsed(sample(u"config-comments.ini"_s));
        // Comments after the last key (down to the next header) are the tail: not default's own.
        QCOMPARE(document.commentLines(u"default"_s).value(), QStringList {u"output = text"_s});
        QCOMPARE(document.commentLines(u"profile work"_s).value(), QStringList());
        QVERIFY(!document.commentLines(u"profile missing"_s));

        const IniDocument marked
            = parsed("[profile x]\n# Managed by Elevate\n;second\n\n# for the next one\n[profile y]\n"_ba);
        QCOMPARE(marked.commentLines(u"profile x"_s).value(),
                 (QStringList {u"Managed by Elevate"_s, u"second"_s}));
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("what");
        QTest::newRow("key before any header") << "region = x\n[default]\n"_ba << 1 << u"before the first"_s;
        QTest::newRow("indented key before any header")
            << "# c\n\n  key = v\n[default]\n"_ba << 3 << u"before the first"_s;
        QTest::newRow("text before any header") << "hello\n"_ba << 1 << u"before the first"_s;
        QTest::newRow("key after a BOM") << "\xEF\xBB\xBFkey=v\n"_ba << 1 << u"before the first"_s;
        QTest::newRow("no delimiter") << "[default]\nregion = x\njust some words\n"_ba << 3 << u"neither"_s;
        QTest::newRow("no closing bracket")
            << "[default]\r\nregion = x\r\n\r\n[profile broken\r\n"_ba << 4 << u"closing ']'"_s;
        QTest::newRow("no closing bracket first") << "[default\nregion = x\n"_ba << 1 << u"closing ']'"_s;
        QTest::newRow("empty key") << "[default]\n= value\n"_ba << 2 << u"without a key"_s;
        QTest::newRow("empty header") << "[default]\nk = v\n[]\n"_ba << 3 << u"without a name"_s;
        QTest::newRow("lone CR lines") << "[a]\rk = v\rbad\r"_ba << 3 << u"neither"_s;
        QTest::newRow("mixed lines") << "[a]\r\nk = v\n\rbad"_ba << 4 << u"neither"_s;
    }
    void parseErrors()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, line);
        QFETCH(QString, what);
        const auto document = IniDocument::parse(bytes);
        QVERIFY(!document.ok());
        QCOMPARE(document.error().kind, Elevate::Core::Error::Kind::Parse);
        QVERIFY2(document.error().message.startsWith(u"line %1:"_s.arg(line)),
                 qPrintable(document.error().message));
        QVERIFY2(document.error().message.contains(what), qPrintable(document.error().message));
    }

    void parseErrorDoesNotQuoteTheLine()
    {
        const auto document = IniDocument::parse("[default]\naws_secret_access_key wJalrXUtnFEMI\n"_ba);
        QVERIFY(!document.ok());
        QVERIFY(!document.error().message.contains(u"wJalr"_s));
    }

    void notErrors_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QStringList>("names");
        QTest::newRow("continuation") << "[a]\nk =\n  x y z\n"_ba << QStringList {u"a"_s};
        QTest::newRow("continuation across blank and comment")
            << "[a]\nk = 1\n\n# c\n  not a key\n"_ba << QStringList {u"a"_s};
        QTest::newRow("indented header after a key is a continuation")
            << "[a]\nk = v\n  [b]\n"_ba << QStringList {u"a"_s};
        QTest::newRow("indented header after a header") << "[a]\n  [b]\n"_ba << QStringList {u"a"_s, u"b"_s};
        QTest::newRow("indented key after header") << "[a]\n  k = v\n  k2 = v\n"_ba << QStringList {u"a"_s};
        QTest::newRow("invalid utf-8") << "[a]\nk = \xff\xfe\xe9\n"_ba << QStringList {u"a"_s};
        QTest::newRow("text after the bracket") << "[a] trailing\n"_ba << QStringList {u"a"_s};
        QTest::newRow("header with a bracket inside") << "[a]b]\n"_ba << QStringList {u"a]b"_s};
        QTest::newRow("colon delimiter") << "[a]\nk: v\n"_ba << QStringList {u"a"_s};
        QTest::newRow("only a BOM") << "\xEF\xBB\xBF"_ba << QStringList();
        QTest::newRow("whitespace only") << " \t\n\n"_ba << QStringList();
    }
    void notErrors()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QStringList, names);
        const auto document = IniDocument::parse(bytes);
        QVERIFY2(document.ok(), qPrintable(document.ok() ? QString() : document.error().message));
        QCOMPARE(document->sectionNames(), names);
        QCOMPARE(document->serialise(), bytes);
    }

    void continuationValues()
    {
        const IniDocument document = parsed("[a]\nk = 1\n\n# c\n  more\nj:2\n  [b]\n"_ba);
        QCOMPARE(document.section(u"a"_s).value(),
                 (IniKeyValues {{u"k"_s, u"1\n\nmore"_s}, {u"j"_s, u"2\n[b]"_s}}));
    }

    void setSectionReplacesInPlace()
    {
        const QByteArray before = sample(u"config-comments.ini"_s);
        IniDocument document = parsed(before);
        QVERIFY(document.setSection(u"profile work"_s, {{u"region"_s, u"us-east-1"_s}}, {u"Managed"_s}));
        QByteArray expected = before;
        const QByteArray oldBody
            = "sso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
              "region = eu-central-1 # not an inline comment for the CLI\n"_ba;
        QVERIFY(expected.contains(oldBody));
        expected.replace(oldBody, "# Managed\nregion = us-east-1\n"_ba);
        QCOMPARE(document.serialise(), expected);
        // The header's trailing blanks are the user's bytes; the comment above the next header stays.
        QVERIFY(document.serialise().contains("[profile work]   \n# Managed\n"_ba));
        QVERIFY(document.serialise().contains("region = us-east-1\n\n# describes the session below\n"_ba));
    }

    void setSectionReplacesCrlfAndBom()
    {
        const QByteArray before = sample(u"config-bom.ini"_s);
        IniDocument document = parsed(before);
        QVERIFY(document.setSection(u"default"_s, {{u"region"_s, u"us-east-2"_s}, {u"output"_s, u"json"_s}}));
        QCOMPARE(document.serialise(),
                 "\xEF\xBB\xBF[default]\r\nregion = us-east-2\r\noutput = json\r\n\r\n"
                 "[profile notepad]\r\nregion = eu-west-3\r\n"_ba);
    }

    void setSectionIsIdempotent()
    {
        for (const QString &name : sampleNames()) {
            IniDocument document = parsed(sample(name));
            QVERIFY(document.setSection(u"profile elevate"_s, kElevateKeys, kElevateComments));
            const QByteArray once = document.serialise();
            QVERIFY(document.setSection(u"profile elevate"_s, kElevateKeys, kElevateComments));
            QCOMPARE(document.serialise(), once);
            QCOMPARE(parsed(once).serialise(), once);
            QCOMPARE(parsed(once).section(u"profile elevate"_s).value(), kElevateKeys);
            QCOMPARE(parsed(once).commentLines(u"profile elevate"_s).value(), kElevateComments);
        }
    }

    void setSectionHeaderWithoutTerminator()
    {
        IniDocument document = parsed("[a]"_ba);
        QVERIFY(document.setSection(u"a"_s, {{u"k"_s, u"v"_s}}));
        QCOMPARE(document.serialise(), "[a]\nk = v\n"_ba);

        IniDocument crlf = parsed("[z]\r\nk = 1\r\n[a]"_ba);
        QVERIFY(crlf.setSection(u"a"_s, {{u"k"_s, u"v"_s}}));
        QCOMPARE(crlf.serialise(), "[z]\r\nk = 1\r\n[a]\r\nk = v\r\n"_ba);
    }

    void append_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("eol");
        QTest::newRow("LF") << u"config-comments.ini"_s << "\n"_ba;
        QTest::newRow("CRLF") << u"config-crlf.ini"_s << "\r\n"_ba;
        QTest::newRow("mixed, mostly LF") << u"config-mixed-endings.ini"_s << "\n"_ba;
        QTest::newRow("BOM and CRLF") << u"config-bom.ini"_s << "\r\n"_ba;
        QTest::newRow("no trailing newline") << u"config-no-trailing-newline.ini"_s << "\n"_ba;
        QTest::newRow("CRLF, no trailing newline") << u"crlf-no-trailing-newline.ini"_s << "\r\n"_ba;
        QTest::newRow("comments only") << u"comments-only.ini"_s << "\n"_ba;
        QTest::newRow("empty") << u"empty.ini"_s << "\n"_ba;
        QTest::newRow("unicode") << u"config-unicode.ini"_s << "\n"_ba;
    }
    void append()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, eol);
        const QByteArray before = sample(file);
        IniDocument document = parsed(before);
        QVERIFY(document.setSection(u"profile new"_s,
                                    {{u"region"_s, u"eu-west-1"_s}, {u"output"_s, QString()}},
                                    {u"Managed by Elevate"_s}));
        QByteArray expected = before;
        if (!before.isEmpty()) {
            if (!endsWithTerminator(before))
                expected += eol;
            expected += eol;
        }
        expected += "[profile new]"_ba + eol + "# Managed by Elevate"_ba + eol + "region = eu-west-1"_ba + eol
            + "output ="_ba + eol;
        QCOMPARE(document.serialise(), expected);
    }

    void appendToLoneCrFile()
    {
        // Only CR and CRLF are counted for the dominant terminator; a lone-CR file gets LF lines.
        IniDocument document = parsed("[a]\rk = v\r"_ba);
        QVERIFY(document.setSection(u"b"_s, {{u"k"_s, u"v"_s}}));
        QCOMPARE(document.serialise(), "[a]\rk = v\r\n[b]\nk = v\n"_ba);
    }

    void duplicatesCollapsed()
    {
        IniDocument document = parsed(sample(u"config-duplicates.ini"_s));
        QVERIFY(document.setSection(u"profile dup"_s, {{u"region"_s, u"us-west-1"_s}}, {u"managed"_s}));
        QCOMPARE(document.serialise(),
                 "[default]\nregion = us-east-1\n\n[profile dup]\n# managed\nregion = us-west-1\n\n"
                 "[profile other]\nregion = eu-west-2\n"_ba);
        QCOMPARE(document.sectionCount(u"profile dup"_s), 1);
    }

    void multiLineValues()
    {
        IniDocument document;
        QVERIFY(
            document.setSection(u"default"_s,
                                {{u"s3"_s, u"\nmax_concurrent_requests = 20\n\nmultipart_threshold = 64MB"_s},
                                 {u"region"_s, u"eu-west-1"_s}}));
        QCOMPARE(document.serialise(),
                 "[default]\ns3 =\n  max_concurrent_requests = 20\n\n  multipart_threshold = 64MB\n"
                 "region = eu-west-1\n"_ba);
        QCOMPARE(parsed(document.serialise()).section(u"default"_s)->first().second,
                 u"\nmax_concurrent_requests = 20\n\nmultipart_threshold = 64MB"_s);
    }

    void setSectionRefusesWhatCannotBeWritten_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::newRow("bracket in name") << u"profile x]"_s << u"k"_s << u"v"_s;
        QTest::newRow("newline in name") << u"profile\nx"_s << u"k"_s << u"v"_s;
        QTest::newRow("empty name") << QString() << u"k"_s << u"v"_s;
        QTest::newRow("padded name") << u" x"_s << u"k"_s << u"v"_s;
        QTest::newRow("= in key") << u"x"_s << u"a=b"_s << u"v"_s;
        QTest::newRow(": in key") << u"x"_s << u"a:b"_s << u"v"_s;
        QTest::newRow("comment key") << u"x"_s << u"#k"_s << u"v"_s;
        QTest::newRow("header key") << u"x"_s << u"[k"_s << u"v"_s;
        QTest::newRow("empty key") << u"x"_s << QString() << u"v"_s;
        QTest::newRow("CR in value") << u"x"_s << u"k"_s << u"a\rb"_s;
        QTest::newRow("comment continuation") << u"x"_s << u"k"_s << u"a\n# b"_s;
    }
    void setSectionRefusesWhatCannotBeWritten()
    {
        QFETCH(QString, name);
        QFETCH(QString, key);
        QFETCH(QString, value);
        const QByteArray before = sample(u"config-comments.ini"_s);
        IniDocument document = parsed(before);
        QVERIFY(!document.setSection(name, {{key, value}}));
        QCOMPARE(document.serialise(), before);
    }

    void appendThenRemoveGivesBackTheOriginal_data()
    {
        QTest::addColumn<QString>("file");
        for (const QString &name : sampleNames())
            QTest::newRow(qPrintable(name)) << name;
    }
    void appendThenRemoveGivesBackTheOriginal()
    {
        QFETCH(QString, file);
        const QByteArray before = sample(file);
        IniDocument document = parsed(before);
        QVERIFY(document.setSection(u"profile elevate-roundtrip"_s, kElevateKeys, kElevateComments));
        QVERIFY(document.serialise() != before);
        QVERIFY(document.removeSection(u"profile elevate-roundtrip"_s));

        // A last line without a terminator got one when the section was appended; it stays.
        QByteArray expected = before;
        if (!before.isEmpty() && !endsWithTerminator(before))
            expected += dominantTerminator(before);
        QCOMPARE(document.serialise(), expected);
        QVERIFY(!document.removeSection(u"profile elevate-roundtrip"_s));
    }

    void roundtripWithoutTrailingNewlineKeepsTheTerminator()
    {
        IniDocument document = parsed("[default]\nregion = us-west-2\n\n[profile last]\noutput = text"_ba);
        QVERIFY(document.setSection(u"profile e"_s, {{u"k"_s, u"v"_s}}));
        QCOMPARE(document.serialise(),
                 "[default]\nregion = us-west-2\n\n[profile last]\noutput = text\n\n[profile e]\nk = v\n"_ba);
        QVERIFY(document.removeSection(u"profile e"_s));
        QCOMPARE(document.serialise(), "[default]\nregion = us-west-2\n\n[profile last]\noutput = text\n"_ba);
    }

    void remove_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<QByteArray>("after");
        QTest::newRow("middle: one separator stays") << "[a]\nk = 1\n\n[x]\nk = 2\n\n[b]\nk = 3\n"_ba
                                                     << "[a]\nk = 1\n\n[b]\nk = 3\n"_ba;
        QTest::newRow("middle, CRLF") << "[a]\r\nk = 1\r\n\r\n[x]\r\nk = 2\r\n\r\n[b]\r\nk = 3\r\n"_ba
                                      << "[a]\r\nk = 1\r\n\r\n[b]\r\nk = 3\r\n"_ba;
        QTest::newRow("comment above the next header stays")
            << "[a]\nk = 1\n\n[x]\nk = 2\n# about b\n[b]\nk = 3\n"_ba
            << "[a]\nk = 1\n\n# about b\n[b]\nk = 3\n"_ba;
        QTest::newRow("comment above its own header stays") << "[a]\nk = 1\n\n# about x\n[x]\nk = 2\n"_ba
                                                            << "[a]\nk = 1\n\n# about x\n"_ba;
        QTest::newRow("trailing comment at the end of the file stays")
            << "[a]\nk = 1\n\n[x]\nk = 2\n# end\n"_ba
            << "[a]\nk = 1\n\n# end\n"_ba;
        QTest::newRow("first section: its separator goes") << "[x]\nk = 2\n\n[b]\nk = 3\n"_ba
                                                           << "[b]\nk = 3\n"_ba;
        QTest::newRow("after the preamble") << "# top\n\n[x]\nk = 2\n\n[b]\nk = 3\n"_ba
                                            << "# top\n\n[b]\nk = 3\n"_ba;
        QTest::newRow("own comments and continuation lines go")
            << "[x]\n# mine\nk = 1\n# between\ns3 =\n  max = 2\n\n[b]\n"_ba
            << "[b]\n"_ba;
        QTest::newRow("only section") << "[x]\n# Managed by Elevate\nk = 1\n"_ba
                                      << ""_ba;
        QTest::newRow("comments-only body") << "[a]\n\n[x]\n# Managed\n# note\n\n[b]\n"_ba
                                            << "[a]\n\n[b]\n"_ba;
        QTest::newRow("directly after a header") << "[a]\n[x]\nk = 1\n\n[b]\n"_ba
                                                 << "[a]\n\n[b]\n"_ba;
        QTest::newRow("duplicates all go")
            << sample(u"config-duplicates.ini"_s)
            << "[default]\nregion = us-east-1\n\n[profile other]\nregion = eu-west-2\n"_ba;
        QTest::newRow("last line without terminator") << "[a]\nk = 1\n\n[x]\nk = 2"_ba
                                                      << "[a]\nk = 1\n"_ba;
        QTest::newRow("BOM only remains") << "\xEF\xBB\xBF[x]\r\nk = 1\r\n"_ba
                                          << "\xEF\xBB\xBF"_ba;
    }
    void remove()
    {
        QFETCH(QByteArray, before);
        QFETCH(QByteArray, after);
        IniDocument document = parsed(before);
        const QString name = document.hasSection(u"x"_s) ? u"x"_s : u"profile dup"_s;
        QVERIFY(document.removeSection(name));
        QCOMPARE(document.serialise(), after);
        QVERIFY(!document.hasSection(name));
        QCOMPARE(parsed(document.serialise()).serialise(), after);
    }

    void removeMissingChangesNothing()
    {
        const QByteArray before = sample(u"config-comments.ini"_s);
        IniDocument document = parsed(before);
        QVERIFY(!document.removeSection(u"profile missing"_s));
        QVERIFY(!document.removeSection(u"work"_s));
        QCOMPARE(document.serialise(), before);
    }
};

QTEST_GUILESS_MAIN(TestIniFile)
#include "tst_inifile.moc"

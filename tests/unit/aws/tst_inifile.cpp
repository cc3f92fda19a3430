// SPDX-License-Identifier: GPL-3.0-or-later
// IniDocument: awkward real-world files come back byte for byte; what the AWS CLI refuses (the
// files under data/aws/rejected, each checked against the real CLI by cli_awsfiles) is refused with
// the line; editing one section leaves every other byte alone; appending and then removing gives
// back the original.

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

QStringList rejectedNames()
{
    return QDir(dataDir() + u"/rejected"_s).entryList({u"*.ini"_s}, QDir::Files, QDir::Name);
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
        QVERIFY2(sampleNames().size() >= 15, qPrintable(sampleNames().join(u", "_s)));
        QVERIFY2(rejectedNames().size() >= 15, qPrintable(rejectedNames().join(u", "_s)));
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
        QCOMPARE(parsed(sample(u"config-nospaces.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile tight"_s, u"profile  spaced "_s}));
        // Untrimmed, as configparser names them; text after the last ']' is not part of the name.
        QCOMPARE(parsed(sample(u"config-header-spellings.ini"_s)).sectionNames(),
                 (QStringList {u"profile \"quoted\""_s, u"profile\ttabbed"_s, u"profile   spaced"_s,
                               u" profile padded "_s, u"profiles plural"_s, u"profile a b"_s,
                               u"profile e\\\\scaped"_s, u"default "_s, u"profile x"_s}));
        QCOMPARE(parsed(sample(u"config-unicode.ini"_s)).sectionNames(),
                 (QStringList {u"profile müller"_s, u"profile 日本"_s}));
        QCOMPARE(parsed(sample(u"config-mixed-endings.ini"_s)).sectionNames(),
                 (QStringList {u"default"_s, u"profile a"_s, u"profile old-mac"_s, u"profile b"_s}));
        QVERIFY(parsed(sample(u"empty.ini"_s)).sectionNames().isEmpty());
        QVERIFY(parsed(sample(u"comments-only.ini"_s)).sectionNames().isEmpty());

        // [DEFAULT] is the one header configparser allows twice.
        const IniDocument defaults = parsed(sample(u"config-default-section.ini"_s));
        QCOMPARE(defaults.sectionNames(), (QStringList {u"DEFAULT"_s, u"profile inherits"_s, u"DEFAULT"_s}));
        QVERIFY(defaults.hasSection(u"DEFAULT"_s));
        QVERIFY(!defaults.hasSection(u"inherits"_s));
        QCOMPARE(defaults.sectionCount(u"DEFAULT"_s), 2);
        QCOMPARE(defaults.sectionCount(u"profile missing"_s), 0);
    }

    void lineNumbers()
    {
        const IniDocument defaults = parsed(sample(u"config-default-section.ini"_s));
        QCOMPARE(defaults.sectionLine(u"DEFAULT"_s), 2);
        QCOMPARE(defaults.sectionLine(u"profile inherits"_s), 5);
        QCOMPARE(defaults.sectionLine(u"DEFAULT"_s, 1), 8);
        QCOMPARE(defaults.sectionLine(u"DEFAULT"_s, 2), 0);
        QCOMPARE(defaults.sectionLine(u"profile missing"_s), 0);
        QCOMPARE(defaults.keyLine(u"DEFAULT"_s, u"region"_s), 3);
        QCOMPARE(defaults.keyLine(u"DEFAULT"_s, u"S3"_s, 1), 10); // compared lower-cased, as the CLI does
        QCOMPARE(defaults.keyLine(u"DEFAULT"_s, u"region"_s, 1), 0);
        QCOMPARE(defaults.keyLine(u"profile inherits"_s, u"output"_s), 6);
        QCOMPARE(defaults.keyLine(u"profile inherits"_s, u"region"_s), 0); // inherited, not its own

        // After an edit, the numbers are those of the edited text.
        IniDocument edited = defaults;
        QVERIFY(edited.setSection(u"profile inherits"_s, {{u"a"_s, u"1"_s}, {u"b"_s, u"2"_s}}, {u"note"_s}));
        QCOMPARE(edited.keyLine(u"profile inherits"_s, u"b"_s), 8);
        QCOMPARE(edited.sectionLine(u"DEFAULT"_s, 1), 10);
        QCOMPARE(parsed(edited.serialise()).sectionLine(u"DEFAULT"_s, 1), 10);
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
        QCOMPARE(nospaces.section(u"profile  spaced "_s).value(),
                 (IniKeyValues {{u"region"_s, u"sa-east-1"_s}}));

        const IniDocument unicode = parsed(sample(u"config-unicode.ini"_s));
        QCOMPARE(unicode.section(u"profile müller"_s)->last().second, u"Zugriff für Jürgen 🚀"_s);
        QCOMPARE(unicode.section(u"profile 日本"_s)->last().second, u"東京リージョン"_s);

        const IniDocument defaults = parsed(sample(u"config-default-section.ini"_s));
        QCOMPARE(defaults.section(u"DEFAULT"_s).value(), (IniKeyValues {{u"region"_s, u"us-east-1"_s}}));
        QCOMPARE(defaults.section(u"DEFAULT"_s, 1).value(),
                 (IniKeyValues {{u"cli_pager"_s, QString()}, {u"s3"_s, u"\naddressing_style = path"_s}}));
        QVERIFY(!defaults.section(u"DEFAULT"_s, 2));
        QVERIFY(!defaults.section(u"profile missing"_s));

        // Python's whitespace, not Qt's: U+001C indents a line, so it continues the value above,
        // and a no-break space is stripped (the real CLI reads region as "us-east-1\noutput = json").
        const IniDocument python = parsed(sample(u"config-python-whitespace.ini"_s));
        QCOMPARE(python.section(u"default"_s).value(),
                 (IniKeyValues {{u"region"_s, u"us-east-1\noutput = json"_s}, {u"["_s, u"odd key"_s}}));

        const IniDocument mixed = parsed(sample(u"config-mixed-endings.ini"_s));
        QCOMPARE(mixed.section(u"profile old-mac"_s).value(),
                 (IniKeyValues {{u"region"_s, u"ap-south-1"_s}}));
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
        QTest::newRow("key after a BOM") << "\xEF\xBB\xBFkey=v\n"_ba << 1 << u"byte order mark"_s;
        QTest::newRow("header after a BOM")
            << "\xEF\xBB\xBF[default]\r\nk=v\r\n"_ba << 1 << u"byte order mark"_s;
        QTest::newRow("only a BOM") << "\xEF\xBB\xBF"_ba << 1 << u"byte order mark"_s;
        QTest::newRow("invalid utf-8") << "[a]\nk = 1\nj = \xff\xfe\xe9\n"_ba << 3 << u"UTF-8"_s;
        QTest::newRow("truncated utf-8 at the end") << "[a]\nk = \xc3"_ba << 2 << u"UTF-8"_s;
        QTest::newRow("utf-8 surrogate") << "[a]\n# \xed\xa0\x80\n"_ba << 2 << u"UTF-8"_s;
        QTest::newRow("overlong utf-8") << "[a]\r\n\r\n# \xe0\x80\xaf\r\n"_ba << 3 << u"UTF-8"_s;
        QTest::newRow("above U+10FFFF") << "[a]\n# \xf4\x90\x80\x80\n"_ba << 2 << u"UTF-8"_s;
        QTest::newRow("duplicate section") << "[a]\nk = 1\n\n[b]\n[a]\n"_ba << 5 << u"line 1"_s;
        QTest::newRow("duplicate section, same spelling only")
            << "[profile x]\n[profile x]\n"_ba << 2 << u"header of line 1"_s;
        QTest::newRow("duplicate key") << "[a]\nk = 1\nk = 1\n"_ba << 3 << u"line 2"_s;
        QTest::newRow("duplicate key, other case")
            << "[a]\nRegion = x\n# c\nregion: y\n"_ba << 4 << u"line 2"_s;
        QTest::newRow("duplicate key across [DEFAULT]s")
            << "[DEFAULT]\nregion = x\n[a]\nk = 1\n[DEFAULT]\nREGION = y\n"_ba << 6 << u"line 2"_s;
        QTest::newRow("nested line without =")
            << "[a]\ns3 =\n  max = 1\n\n  max_queue: 2\n"_ba << 5 << u"nested value"_s;
        QTest::newRow("nested, no = at all") << "[a]\nk =\n  x y z\n"_ba << 3 << u"nested value"_s;
        QTest::newRow("nested line split by a form feed")
            << "[a]\ns3 =\n  max = 1\x0c other\n"_ba << 3 << u"nested value"_s;
        QTest::newRow("nested [DEFAULT] line inherited by a section")
            << "[DEFAULT]\ns3 =\n  bad\n[a]\nk = v\n"_ba << 3 << u"nested value"_s;
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
        QVERIFY2(document.error().message.contains(u"the AWS CLI cannot read the file either"_s),
                 qPrintable(document.error().message));
    }

    void rejectedSamples_data()
    {
        QTest::addColumn<QString>("file");
        for (const QString &name : rejectedNames())
            QTest::newRow(qPrintable(name)) << name;
    }
    void rejectedSamples()
    {
        QFETCH(QString, file);
        const auto document = IniDocument::parse(sample(u"rejected/"_s + file));
        QVERIFY(!document.ok());
        QCOMPARE(document.error().kind, Elevate::Core::Error::Kind::Parse);
        QVERIFY2(document.error().message.startsWith(u"line "_s), qPrintable(document.error().message));
        QVERIFY2(document.error().message.contains(u"AWS CLI"_s), qPrintable(document.error().message));
        QVERIFY2(!document.error().message.contains(u"wJalr"_s), qPrintable(document.error().message));
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
        QTest::newRow("continuation") << "[a]\nk = w\n  x y z\n"_ba << QStringList {u"a"_s};
        QTest::newRow("continuation across blank and comment")
            << "[a]\nk = 1\n\n# c\n  not a key\n"_ba << QStringList {u"a"_s};
        QTest::newRow("indented header after a key is a continuation")
            << "[a]\nk = v\n  [b]\n"_ba << QStringList {u"a"_s};
        QTest::newRow("indented header after a header") << "[a]\n  [b]\n"_ba << QStringList {u"a"_s, u"b"_s};
        QTest::newRow("indented key after header") << "[a]\n  k = v\n  k2 = v\n"_ba << QStringList {u"a"_s};
        QTest::newRow("valid utf-8") << "[a]\nk = \xc3\xa9 \xf0\x9f\x9a\x80\n"_ba << QStringList {u"a"_s};
        QTest::newRow("text after the bracket") << "[a] trailing\n"_ba << QStringList {u"a"_s};
        QTest::newRow("header with a bracket inside") << "[a]b]\n"_ba << QStringList {u"a]b"_s};
        QTest::newRow("colon delimiter") << "[a]\nk: v\n"_ba << QStringList {u"a"_s};
        QTest::newRow("[ without ] is a key") << "[a]\n[=x\n"_ba << QStringList {u"a"_s};
        QTest::newRow("padded header") << "[ a ]\n"_ba << QStringList {u" a "_s};
        QTest::newRow("unclosed quote in a header") << "[profile \"x]\n"_ba << QStringList {u"profile \"x"_s};
        QTest::newRow("[DEFAULT] twice")
            << "[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n"_ba << QStringList {u"DEFAULT"_s, u"DEFAULT"_s};
        QTest::newRow("[default] and [DEFAULT] differ")
            << "[default]\na = 1\n[DEFAULT]\na = 2\n"_ba << QStringList {u"default"_s, u"DEFAULT"_s};
        QTest::newRow("same key in two sections")
            << "[a]\nk = 1\n[b]\nk = 1\n"_ba << QStringList {u"a"_s, u"b"_s};
        QTest::newRow("nested [DEFAULT] value without sections")
            << "[DEFAULT]\ns3 =\n  bad\n"_ba << QStringList {u"DEFAULT"_s};
        QTest::newRow("nested [DEFAULT] value overridden")
            << "[DEFAULT]\ns3 =\n  bad\n[a]\ns3 = v\n"_ba << QStringList {u"DEFAULT"_s, u"a"_s};
        QTest::newRow("value continued, not nested")
            << "[a]\ns3 = x\n  no equals\n"_ba << QStringList {u"a"_s};
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

    void setSectionReplacesCrlf()
    {
        IniDocument document = parsed(
            "[default]\r\nregion = eu-north-1\r\n\r\n[profile notepad]\r\nregion = eu-west-3\r\n"_ba);
        QVERIFY(document.setSection(u"default"_s, {{u"region"_s, u"us-east-2"_s}, {u"output"_s, u"json"_s}}));
        QCOMPARE(document.serialise(),
                 "[default]\r\nregion = us-east-2\r\noutput = json\r\n\r\n"
                 "[profile notepad]\r\nregion = eu-west-3\r\n"_ba);
    }

    void setSectionIsIdempotent()
    {
        for (const QString &name : sampleNames()) {
            IniDocument document = parsed(sample(name));
            if (name == u"default-only-nested.ini"_s) { // see setSectionRefusesWhatTheCliCouldNotRead
                QVERIFY(!document.setSection(u"profile elevate"_s, kElevateKeys, kElevateComments));
                continue;
            }
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
        QTest::newRow("nested line without =") << u"x"_s << u"s3"_s << u"\nmax = 1\nmax_queue"_s;
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

    void setSectionRefusesWhatTheCliCouldNotRead()
    {
        // A nested [DEFAULT] value without '=' is harmless while no section inherits it; the first
        // section makes botocore refuse the whole file (checked against the real CLI).
        const QByteArray before = sample(u"default-only-nested.ini"_s);
        IniDocument document = parsed(before);
        QVERIFY(!document.setSection(u"profile e"_s, {{u"k"_s, u"v"_s}}));
        QCOMPARE(document.serialise(), before);
        QVERIFY(!document.hasSection(u"profile e"_s));
    }

    void setSectionRefusesKeysTheCliReadsAsOne()
    {
        const QByteArray before = sample(u"config-comments.ini"_s);
        IniDocument document = parsed(before);
        QVERIFY(!document.setSection(u"profile x"_s, {{u"region"_s, u"a"_s}, {u"Region"_s, u"b"_s}}));
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
        if (file == u"default-only-nested.ini"_s)
            QSKIP("no section can be added to it (setSectionRefusesWhatTheCliCouldNotRead)");
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
        QTest::newRow("last line without terminator") << "[a]\nk = 1\n\n[x]\nk = 2"_ba
                                                      << "[a]\nk = 1\n"_ba;
    }
    void remove()
    {
        QFETCH(QByteArray, before);
        QFETCH(QByteArray, after);
        IniDocument document = parsed(before);
        const QString name = u"x"_s;
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

// SPDX-License-Identifier: GPL-3.0-or-later
// IniDocument against the AWS CLI's own parser: thousands of generated files (a fixed seed, lines
// drawn from the shapes that trip parsers up: padded and odd headers, [DEFAULT], continuations,
// nested values, Python's extra whitespace, duplicate keys in two cases, CR/LF/CRLF, a BOM, bytes
// that are not UTF-8) go through botocore's raw_config_parse, loaded from Debian's awscli install,
// and through IniDocument. Both must accept the same files, and for an accepted one see the same
// sections with the same keys (lower-cased, [DEFAULT]'s inherited) and values. The same for the
// profile a header names (botocore's build_profile_map, shell-style splitting) and for the
// expansion of $AWS_CONFIG_FILE (os.path.expandvars and expanduser). Skips where that AWS CLI is
// not installed.

#include "aws/awsfiles.h"
#include "aws/inifile.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace Elevate::Aws;
using namespace Qt::StringLiterals;

namespace {

const QString kPython = u"/usr/bin/python3"_s; // the interpreter /usr/bin/aws runs on

// One line per file: "ERR" when the CLI refuses it, else its sections as JSON.
const char *const kScript = R"PY(
import json, sys
import awscli  # noqa: F401  makes `botocore` the CLI's own vendored copy
from botocore import configloader
for path in sys.stdin.read().split("\n"):
    if not path:
        continue
    try:
        configloader.raw_config_parse(path)
        sections = configloader.raw_config_parse(path, parse_subsections=False)
    except Exception:
        print("ERR")
        continue
    print(json.dumps(sections))
)PY";

// One line per input line: the profile a header names (null for none), then the expanded path.
const char *const kNamesScript = R"PY(
import json, os, sys
import awscli  # noqa: F401
from botocore import configloader
for line in sys.stdin.read().split("\n")[:-1]:
    header, path = json.loads(line)
    profiles = configloader.build_profile_map({header: {}})["profiles"]
    print(json.dumps([next(iter(profiles)) if profiles else None,
                      os.path.expanduser(os.path.expandvars(path))]))
)PY";

/// What IniDocument says the CLI sees, in raw_config_parse's shape.
QByteArray viewOf(const QByteArray &bytes)
{
    const auto document = IniDocument::parse(bytes);
    if (!document.ok())
        return "ERR"_ba;
    const QString defaultName = u"DEFAULT"_s;
    QJsonObject defaults;
    for (int i = 0; i < document->sectionCount(defaultName); ++i) {
        const IniKeyValues keys = document->section(defaultName, i).value();
        for (const auto &[key, value] : keys)
            defaults.insert(key.toLower(), value);
    }
    QJsonObject sections;
    for (const QString &name : document->sectionNames()) {
        if (name == defaultName)
            continue;
        QJsonObject section = defaults;
        const IniKeyValues keys = document->section(name).value();
        for (const auto &[key, value] : keys)
            section.insert(key.toLower(), value);
        sections.insert(name, section);
    }
    return QJsonDocument(sections).toJson(QJsonDocument::Compact);
}

QByteArray generated(QRandomGenerator &random)
{
    static const QStringList pieces {u"[a]"_s,
                                     u"[b]"_s,
                                     u"[ a ]"_s,
                                     u"[DEFAULT]"_s,
                                     u"[default]"_s,
                                     u"[a]x"_s,
                                     u"[]"_s,
                                     u"["_s,
                                     u"[a]]"_s,
                                     u"[=x"_s,
                                     u"k = v"_s,
                                     u"K: v"_s,
                                     u"k=v"_s,
                                     u" k = v"_s,
                                     u"  k2 = w"_s,
                                     u"\tcont"_s,
                                     u"  cont"_s,
                                     u"  x = 1"_s,
                                     u"  bad"_s,
                                     u"#c"_s,
                                     u";c"_s,
                                     u"  #c"_s,
                                     QString(),
                                     u" "_s,
                                     u"\t"_s,
                                     u"=v"_s,
                                     u"k"_s,
                                     u"s3 ="_s,
                                     u"s3="_s,
                                     u"k = v # not a comment"_s,
                                     u"\u00a0k = v"_s,
                                     u"\u001ck = v"_s,
                                     u"k\u00a0= v\u00a0"_s,
                                     u"k = a\u000cb"_s,
                                     u"  a=1\u000cb"_s,
                                     u"Region = x"_s,
                                     u"region: y"_s,
                                     u"\u2028"_s,
                                     u"k\u000b= v"_s,
                                     u"[profile x]"_s,
                                     u"[profile  x]"_s,
                                     u"  [a]"_s,
                                     u"  [DEFAULT]"_s,
                                     u"[DEFAULT ]"_s,
                                     u"    deeper"_s,
                                     u"[a] # c"_s,
                                     u"k = \\"_s,
                                     u":v"_s,
                                     u"k:=v"_s,
                                     u"\u00e9 = \u00fc"_s,
                                     u"k = \U0001F680"_s};
    static const QList<QByteArray> ends {"\n"_ba, "\r\n"_ba, "\r"_ba};
    QStringList lines;
    const int count = random.bounded(9);
    for (int i = 0; i < count; ++i)
        lines.append(pieces.at(random.bounded(int(pieces.size()))));
    if (random.bounded(10) < 6 && (lines.isEmpty() || !lines.first().startsWith(u'[')))
        lines.prepend(QStringList {u"[a]"_s, u"[DEFAULT]"_s, u"[b]"_s}.at(random.bounded(3)));
    QByteArray bytes;
    for (const QString &line : std::as_const(lines))
        bytes += line.toUtf8() + ends.at(random.bounded(int(ends.size())));
    if (!bytes.isEmpty() && random.bounded(10) < 3)
        bytes.chop(1); // no final line break (or half a CRLF)
    const int odd = random.bounded(100);
    if (odd < 3)
        bytes.prepend("\xEF\xBB\xBF");
    else if (odd < 6)
        bytes.append('\xFF');
    return bytes;
}

} // namespace

class TestIniFileBotocore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QProcess probe;
        probe.start(kPython, {u"-c"_s, u"import awscli"_s});
        if (!probe.waitForFinished(30'000) || probe.exitStatus() != QProcess::NormalExit
            || probe.exitCode() != 0)
            QSKIP("Debian's AWS CLI (python3-awscli under /usr/bin/python3) is not installed");
    }

    void headersAndPathsAsTheAwsCli()
    {
        qputenv("ELEVATE_T", "/srv/t");
        qputenv("ELEVATE_TILDE", "~/x");
        qputenv("ELEVATE_DOLLAR", "$HOME");
        static const QStringList headerPieces {u"profile"_s, u"profiles"_s, u" "_s,           u"  "_s,
                                               u"\t"_s,      u"x"_s,        u"elevate-1-R"_s, u"\""_s,
                                               u"'"_s,       u"\\"_s,       u"default"_s,     u"a b"_s,
                                               u"\u00a0"_s,  u"#"_s,        u"\u00e9"_s,      u"\r"_s};
        static const QStringList pathPieces {u"~"_s,
                                             u"/"_s,
                                             u"$"_s,
                                             u"{"_s,
                                             u"}"_s,
                                             u"HOME"_s,
                                             u"ELEVATE_T"_s,
                                             u"ELEVATE_TILDE"_s,
                                             u"ELEVATE_DOLLAR"_s,
                                             u"ELEVATE_NOPE"_s,
                                             u"root"_s,
                                             u"nobody-here"_s,
                                             u"."_s,
                                             u"_"_s,
                                             u"1"_s,
                                             u"\u00e9"_s};
        QRandomGenerator random(11);
        QList<QPair<QString, QString>> inputs;
        QByteArray lines;
        for (int i = 0; i < 3000; ++i) {
            QString header = i % 2 == 0 ? u"profile "_s : QString();
            QString path = i % 3 == 0 ? u"~"_s : QString();
            for (int n = random.bounded(6); n >= 0; --n)
                header += headerPieces.at(random.bounded(int(headerPieces.size())));
            for (int n = random.bounded(6); n >= 0; --n)
                path += pathPieces.at(random.bounded(int(pathPieces.size())));
            inputs.append({header, path});
            lines += QJsonDocument(QJsonArray {header, path}).toJson(QJsonDocument::Compact) + '\n';
        }
        QProcess python;
        python.start(kPython, {u"-c"_s, QString::fromUtf8(kNamesScript)});
        QVERIFY(python.waitForStarted());
        python.write(lines);
        python.closeWriteChannel();
        QVERIFY(python.waitForFinished(60'000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const QList<QByteArray> theirs = python.readAllStandardOutput().split('\n');
        QVERIFY(theirs.size() >= inputs.size());
        int profiles = 0;
        for (qsizetype i = 0; i < inputs.size(); ++i) {
            const QJsonArray answer = QJsonDocument::fromJson(theirs.at(i)).array();
            const auto name = AwsFiles::profileOfHeader(inputs.at(i).first);
            const QString wanted = answer.at(0).toString();
            QVERIFY2(name.has_value() == !answer.at(0).isNull() && (!name || *name == wanted),
                     qPrintable(u"[%1]: botocore %2, Elevate %3"_s.arg(
                         inputs.at(i).first, QString::fromUtf8(theirs.at(i)), name ? *name : u"none"_s)));
            profiles += name ? 1 : 0;
            QCOMPARE(AwsFiles::expandPath(inputs.at(i).second), answer.at(1).toString());
        }
        QVERIFY2(profiles > 300 && profiles < 2700, qPrintable(QString::number(profiles)));
        qunsetenv("ELEVATE_T");
        qunsetenv("ELEVATE_TILDE");
        qunsetenv("ELEVATE_DOLLAR");
    }

    void sameAsTheAwsCli()
    {

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QRandomGenerator random(20261203);
        QList<QByteArray> files;
        QByteArray paths;
        for (int i = 0; i < 3000; ++i) {
            files.append(generated(random));
            const QString path = dir.filePath(u"%1.ini"_s.arg(i));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            QCOMPARE(file.write(files.last()), files.last().size());
            paths += QFile::encodeName(path) + '\n';
        }

        QProcess python;
        python.start(kPython, {u"-c"_s, QString::fromUtf8(kScript)});
        QVERIFY(python.waitForStarted());
        python.write(paths);
        python.closeWriteChannel();
        QVERIFY(python.waitForFinished(120'000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const QList<QByteArray> theirs = python.readAllStandardOutput().split('\n');
        QVERIFY(theirs.size() >= files.size());

        int accepted = 0;
        for (qsizetype i = 0; i < files.size(); ++i) {
            const QByteArray mine = viewOf(files.at(i));
            const bool cliAccepts = theirs.at(i) != "ERR";
            QVERIFY2((mine != "ERR") == cliAccepts,
                     qPrintable(u"file %1 %2: the AWS CLI %3 it, IniDocument %4"_s.arg(i).arg(
                         QString::fromLatin1(files.at(i).toPercentEncoding()),
                         cliAccepts ? u"reads"_s : u"refuses"_s, cliAccepts ? u"refuses"_s : u"reads"_s)));
            if (!cliAccepts)
                continue;
            ++accepted;
            QVERIFY2(QJsonDocument::fromJson(mine).object() == QJsonDocument::fromJson(theirs.at(i)).object(),
                     qPrintable(u"file %1 %2: IniDocument sees %3, the AWS CLI %4"_s.arg(i).arg(
                         QString::fromLatin1(files.at(i).toPercentEncoding()), QString::fromUtf8(mine),
                         QString::fromUtf8(theirs.at(i)))));
        }
        // Both kinds in numbers, or the comparison says little.
        QVERIFY2(accepted > 500 && accepted < 2500, qPrintable(QString::number(accepted)));
    }
};

QTEST_GUILESS_MAIN(TestIniFileBotocore)
#include "tst_inifile_botocore.moc"

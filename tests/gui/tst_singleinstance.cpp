// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/tray/singleinstance.h"

#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using Elevate::App::SingleInstance;

namespace {

/// Sets an environment variable for one scope; the old value (or its absence) comes back after.
class ScopedEnv
{
public:
    ScopedEnv(const char *name, const QByteArray &value, bool unset = false)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
        , m_old(qgetenv(name))
    {
        if (unset)
            qunsetenv(name);
        else
            qputenv(name, value);
    }
    ~ScopedEnv()
    {
        if (m_had)
            qputenv(m_name, m_old);
        else
            qunsetenv(m_name);
    }

private:
    const char *m_name;
    bool m_had;
    QByteArray m_old;
};

bool isSocket(const QString &path)
{
    struct stat st
    { };
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISSOCK(st.st_mode);
}

const QRegularExpression fallbackWarning(QStringLiteral("shared temporary directory"));

} // namespace

class TestSingleInstance : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void secondInstanceActivatesTheFirst()
    {
        QTemporaryDir dir;
        QTemporaryDir runtime; // 0700, ours
        QVERIFY(
            QFile::setPermissions(runtime.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        const ScopedEnv env("XDG_RUNTIME_DIR", QFile::encodeName(runtime.path()));
        const QString key = dir.path() + QStringLiteral("/config.json");
        auto *first = new SingleInstance(key, dir.path());
        QVERIFY(first->claim());
        QSignalSpy activated(first, &SingleInstance::activationRequested);

        // Issue 12, item 7a: the socket is a file in the private runtime directory, not a name in /tmp.
        const QString socket = first->socketName();
        QVERIFY2(socket.startsWith(runtime.path() + QStringLiteral("/elevate/")), qPrintable(socket));
        QVERIFY2(isSocket(socket), qPrintable(socket));
        QCOMPARE(QFile::permissions(runtime.path() + QStringLiteral("/elevate")),
                 QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadUser | QFile::WriteUser
                     | QFile::ExeUser);

        SingleInstance second(key, dir.path());
        QVERIFY(!second.claim());
        QCOMPARE(second.socketName(), socket);
        QTRY_COMPARE(activated.count(), 1);

        // Another configuration is another instance.
        SingleInstance other(dir.path() + QStringLiteral("/other.json"), dir.path());
        QVERIFY(other.claim());
        QVERIFY(other.socketName() != socket);

        // Once the first is gone, a new one may start.
        delete first;
        SingleInstance third(key, dir.path());
        QVERIFY(third.claim());
        QSignalSpy activatedThird(&third, &SingleInstance::activationRequested);
        SingleInstance fourth(key, dir.path());
        QVERIFY(!fourth.claim());
        QTRY_COMPARE(activatedThird.count(), 1);
    }

    // Without a usable runtime directory: Qt's default place, said in a warning, still one instance.
    void fallsBackWithAWarning_data()
    {
        QTest::addColumn<QString>("setup"); // unset | shared | relative | file
        QTest::addColumn<QString>("why");
        QTest::newRow("unset") << QStringLiteral("unset") << QStringLiteral("XDG_RUNTIME_DIR is not set");
        QTest::newRow("readable by others") << QStringLiteral("shared") << QStringLiteral("not private");
        QTest::newRow("relative") << QStringLiteral("relative") << QStringLiteral("not an absolute path");
        QTest::newRow("a file") << QStringLiteral("file") << QStringLiteral("not a directory");
    }
    void fallsBackWithAWarning()
    {
        QFETCH(QString, setup);
        QFETCH(QString, why);
        QTemporaryDir dir;
        QTemporaryDir runtime;
        QByteArray value = QFile::encodeName(runtime.path());
        if (setup == u"shared") {
            QVERIFY(QFile::setPermissions(runtime.path(),
                                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner
                                              | QFile::ReadOther | QFile::ExeOther));
        } else if (setup == u"relative") {
            value = "run/user";
        } else if (setup == u"file") {
            QFile f(runtime.filePath(QStringLiteral("plain")));
            QVERIFY(f.open(QIODevice::WriteOnly));
            value = QFile::encodeName(f.fileName());
        }
        const ScopedEnv env("XDG_RUNTIME_DIR", value, setup == u"unset");

        const QString key = dir.path() + QStringLiteral("/config.json");
        SingleInstance first(key, dir.path());
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(fallbackWarning.pattern() + QStringLiteral(".*")
                                                + QRegularExpression::escape(why)));
        QVERIFY(first.claim());
        QVERIFY(!first.socketName().contains(u'/'));
        QVERIFY(!QFileInfo::exists(runtime.filePath(QStringLiteral("elevate"))));
        QSignalSpy activated(&first, &SingleInstance::activationRequested);

        SingleInstance second(key, dir.path());
        QTest::ignoreMessage(QtWarningMsg, fallbackWarning);
        QVERIFY(!second.claim());
        QTRY_COMPARE(activated.count(), 1);
    }
};

QTEST_GUILESS_MAIN(TestSingleInstance)
#include "tst_singleinstance.moc"

// SPDX-License-Identifier: GPL-3.0-or-later
// The real OS keychain through qtkeychain: a round trip when a Secret Service is there, and a clear
// Keychain error (never a plaintext fallback) when none is.

#include "auth/keychainsecretstore.h"

#include <QDir>
#include <QProcess>
#include <QTest>

using namespace Elevate;

class TestKeychainSecretStore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip()
    {
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
            QSKIP("no D-Bus session: run inside scripts/desktop-session (scripts/test does)");
        Auth::KeychainSecretStore store(
            QStringLiteral("Elevate unit test %1").arg(QCoreApplication::applicationPid()));
        const QString key = QStringLiteral("entra:test");
        std::optional<Core::Result<void>> written;
        store.write(key, "secret-value", this, [&](Core::Result<void> r) { written = r; });
        QTRY_VERIFY_WITH_TIMEOUT(written.has_value(), 10'000);
        QVERIFY2(written->ok(), qPrintable(written->ok() ? QString() : written->error().message));
        std::optional<Core::Result<std::optional<QByteArray>>> read;
        store.read(key, this, [&](Core::Result<std::optional<QByteArray>> r) { read = r; });
        QTRY_VERIFY_WITH_TIMEOUT(read.has_value(), 10'000);
        QVERIFY(read->ok());
        QCOMPARE(read->value().value_or(QByteArray()), QByteArray("secret-value"));
        std::optional<Core::Result<void>> removed;
        store.remove(key, this, [&](Core::Result<void> r) { removed = r; });
        QTRY_VERIFY_WITH_TIMEOUT(removed.has_value(), 10'000);
        QVERIFY(removed->ok());
        read.reset();
        store.read(key, this, [&](Core::Result<std::optional<QByteArray>> r) { read = r; });
        QTRY_VERIFY_WITH_TIMEOUT(read.has_value(), 10'000);
        QVERIFY(read->ok());
        QVERIFY(!read->value().has_value());
        // Removing what is not there succeeds.
        removed.reset();
        store.remove(key, this, [&](Core::Result<void> r) { removed = r; });
        QTRY_VERIFY_WITH_TIMEOUT(removed.has_value(), 10'000);
        QVERIFY(removed->ok());
    }

    void noKeychainIsAClearError()
    {
        // Run this same binary without a session bus: the write must fail with a Keychain error.
        if (qEnvironmentVariableIsSet("ELEVATE_CHILD_NO_KEYCHAIN")) {
            Auth::KeychainSecretStore store(QStringLiteral("Elevate unit test"));
            std::optional<Core::Result<void>> written;
            store.write(QStringLiteral("k"), "v", this, [&](Core::Result<void> r) { written = r; });
            QTRY_VERIFY_WITH_TIMEOUT(written.has_value(), 15'000);
            QVERIFY(!written->ok());
            QCOMPARE(written->error().kind, Core::Error::Kind::Keychain);
            QVERIFY(written->error().message.contains(QStringLiteral("keychain")));
            return;
        }
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=/nonexistent/bus"));
        env.insert(QStringLiteral("ELEVATE_CHILD_NO_KEYCHAIN"), QStringLiteral("1"));
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {QStringLiteral("noKeychainIsAClearError")});
        QVERIFY(child.waitForFinished(30'000));
        const QByteArray output = child.readAllStandardOutput();
        QVERIFY2(child.exitCode() == 0, output.constData());
        // And nothing was written in plain text under HOME by the attempt.
        QVERIFY(!output.contains("secret"));
    }
};

QTEST_GUILESS_MAIN(TestKeychainSecretStore)
#include "tst_keychainsecretstore.moc"

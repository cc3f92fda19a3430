// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/tray/singleinstance.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using Elevate::App::SingleInstance;

class TestSingleInstance : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void secondInstanceActivatesTheFirst()
    {
        QTemporaryDir dir;
        const QString key = dir.path() + QStringLiteral("/config.json");
        auto *first = new SingleInstance(key, dir.path());
        QVERIFY(first->claim());
        QSignalSpy activated(first, &SingleInstance::activationRequested);

        SingleInstance second(key, dir.path());
        QVERIFY(!second.claim());
        QTRY_COMPARE(activated.count(), 1);

        // Another configuration is another instance.
        SingleInstance other(dir.path() + QStringLiteral("/other.json"), dir.path());
        QVERIFY(other.claim());

        // Once the first is gone, a new one may start.
        delete first;
        SingleInstance third(key, dir.path());
        QVERIFY(third.claim());
    }
};

QTEST_GUILESS_MAIN(TestSingleInstance)
#include "tst_singleinstance.moc"

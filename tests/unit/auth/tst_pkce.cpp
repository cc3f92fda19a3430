// SPDX-License-Identifier: GPL-3.0-or-later
#include "auth/pkce.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace Elevate::Auth;

class TestPkce : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rfc7636AppendixB()
    {
        QCOMPARE(Pkce::challengeFor("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                 QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
    void generatedPairs()
    {
        static const QRegularExpression alphabet(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
        QSet<QByteArray> seen;
        for (int i = 0; i < 200; ++i) {
            const Pkce p = Pkce::generate();
            QVERIFY(alphabet.match(QString::fromLatin1(p.verifier)).hasMatch());
            QCOMPARE(p.challenge, Pkce::challengeFor(p.verifier));
            QCOMPARE(p.challenge.size(), 43);
            QVERIFY(!seen.contains(p.verifier));
            seen.insert(p.verifier);
        }
    }
    void randomUrlSafeLength()
    {
        QCOMPARE(randomUrlSafe(16).size(), 22);
        QVERIFY(randomUrlSafe(32) != randomUrlSafe(32));
    }
};

QTEST_GUILESS_MAIN(TestPkce)
#include "tst_pkce.moc"

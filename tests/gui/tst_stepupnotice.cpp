// SPDX-License-Identifier: GPL-3.0-or-later
// The request form says before sending that a stronger sign-in will be asked for, when the group's
// policy needs MFA or an authentication context, and says nothing of the kind otherwise.

#include "support/manualclock.h"
#include "support/testsupport.h"
#include "ui/requestdialog.h"

#include <QLabel>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
Core::Target target()
{
    Core::Eligibility e;
    e.id = u"e1"_s;
    e.groupId = u"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"_s;
    e.groupDisplayName = u"AWS-123456789012-DatabaseAdministrator"_s;
    e.access = Core::AccessKind::Member;
    return Core::Target {e, Core::AwsRole {u"123456789012"_s, u"DatabaseAdministrator"_s, u"Production"_s}};
}

QString policyText(const Core::ActivationPolicy &policy)
{
    Test::ManualClock clock;
    Elevate::Ui::RequestDialog d(target(), &clock);
    d.setPolicy(policy);
    return d.findChild<QLabel *>(u"policyLabel"_s)->text();
}
} // namespace

class TestStepUpNotice : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void saidBeforeSending()
    {
        Core::ActivationPolicy plain;
        plain.maximumDurationSecs = 3600;
        QVERIFY(!policyText(plain).contains(u"browser"_s));

        Core::ActivationPolicy mfa = plain;
        mfa.mfaRequired = true;
        const QString mfaText = policyText(mfa);
        QVERIFY2(mfaText.contains(u"multi-factor"_s) && mfaText.contains(u"browser will open once"_s),
                 qPrintable(mfaText));

        Core::ActivationPolicy context = plain;
        context.authenticationContext = u"c1"_s;
        const QString contextText = policyText(context);
        QVERIFY2(contextText.contains(u"authentication context"_s) && contextText.contains(u"once"_s),
                 qPrintable(contextText));

        // Both: one sentence, not two browser promises.
        Core::ActivationPolicy both = context;
        both.mfaRequired = true;
        QCOMPARE(policyText(both).count(u"browser"_s), 1);
    }

    void screenshot()
    {
        Core::ActivationPolicy mfa;
        mfa.maximumDurationSecs = 3600;
        mfa.mfaRequired = true;
        Test::ManualClock clock;
        Elevate::Ui::RequestDialog d(target(), &clock);
        d.setPolicy(mfa);
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        QVERIFY(d.grab().save(Test::artifactPath(u"request-dialog-stepup.png"_s)));
    }
};

QTEST_MAIN(TestStepUpNotice)
#include "tst_stepupnotice.moc"

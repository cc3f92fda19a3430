// SPDX-License-Identifier: GPL-3.0-or-later
// The request form: fields follow the group's policy, problems are shown before anything is sent,
// and the full flow (RequestDialog::open) requests through the emulator and closes on success or
// keeps what was typed and says why on failure.

#include "graph/requesttracker.h"
#include "support/emulatorfixture.h"
#include "support/manualclock.h"
#include "support/signedinfixture.h"
#include "ui/requestdialog.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkReply>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

using namespace Elevate;
using namespace Qt::StringLiterals;

namespace {
Core::Target target()
{
    Core::Eligibility e;
    e.id = u"e1"_s;
    e.groupId = u"0f8a9b1c-2d3e-4f50-8a6b-7c8d9e0f1a2b"_s;
    e.groupDisplayName = u"AWS-123456789012-AdministratorAccess"_s;
    e.access = Core::AccessKind::Member;
    return Core::Target {e, Core::AwsRole {u"123456789012"_s, u"AdministratorAccess"_s, u"Production"_s}};
}
template<typename T> T *child(QWidget *w, const char *name)
{
    T *c = w->findChild<T *>(QString::fromLatin1(name));
    if (!c)
        qFatal("no child %s", name);
    return c;
}
QPushButton *okButton(QWidget *w)
{
    return child<QDialogButtonBox>(w, "buttonBox")->button(QDialogButtonBox::Ok);
}
} // namespace

class TestRequestDialog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void nothingCanBeSentBeforeThePolicyIsKnown()
    {
        Test::ManualClock clock;
        Elevate::Ui::RequestDialog d(target(), &clock);
        QVERIFY(!okButton(&d)->isEnabled());
        QSignalSpy sent(&d, &Elevate::Ui::RequestDialog::submitted);
        d.accept();
        QCOMPARE(sent.count(), 0);
        d.setPolicyError(u"Reading the policy failed: offline"_s);
        QCOMPARE(child<QLabel>(&d, "policyLabel")->text(), u"Reading the policy failed: offline"_s);
        QVERIFY(!okButton(&d)->isEnabled());
    }

    void fieldsFollowThePolicy()
    {
        Test::ManualClock clock;
        Elevate::Ui::RequestDialog d(target(), &clock);
        d.setDefaults(8 * 60, {u"Incident INC-1"_s}, {u"Jira"_s});
        Core::ActivationPolicy p;
        p.maximumDurationSecs = 4 * 3600;
        p.justificationRequired = true;
        p.ticketRequired = true;
        p.approvalRequired = true;
        p.approvers = {u"Megan Bowen"_s};
        d.setPolicy(p);
        // The configured default (8 h) is above the group's maximum: the form starts at the maximum.
        QCOMPARE(child<QSpinBox>(&d, "durationHoursSpinBox")->value(), 4);
        QCOMPARE(child<QSpinBox>(&d, "durationHoursSpinBox")->maximum(), 4);
        QCOMPARE(child<QLabel>(&d, "durationMaxLabel")->text(), u"at most 4 h"_s);
        QVERIFY(child<QLabel>(&d, "policyLabel")->text().contains(u"approver must approve"_s));
        QVERIFY(child<QLabel>(&d, "policyLabel")->text().contains(u"Megan Bowen"_s));
        QVERIFY(child<QLabel>(&d, "justificationLabel")->text().contains(u"required"_s));
        QVERIFY(child<QLabel>(&d, "ticketLabel")->text().contains(u"required"_s));
        QCOMPARE(okButton(&d)->text(), u"&Request approval"_s);
        QVERIFY(okButton(&d)->isEnabled());
        // Recent entries are offered; the justification starts empty, the last ticket system is picked.
        QCOMPARE(child<QComboBox>(&d, "justificationComboBox")->itemText(0), u"Incident INC-1"_s);
        QCOMPARE(child<QComboBox>(&d, "justificationComboBox")->currentText(), QString());
        QCOMPARE(child<QComboBox>(&d, "ticketSystemComboBox")->currentText(), u"Jira"_s);

        Core::ActivationPolicy lenient;
        lenient.maximumDurationSecs = 8 * 3600;
        d.setPolicy(lenient);
        QVERIFY(child<QLabel>(&d, "policyLabel")->text().contains(u"No approval needed"_s));
        QVERIFY(!child<QLabel>(&d, "justificationLabel")->text().contains(u"required"_s));
        QCOMPARE(okButton(&d)->text(), u"&Request"_s);
    }

    void problemsAreShownAndNothingIsSent()
    {
        Test::ManualClock clock;
        Elevate::Ui::RequestDialog d(target(), &clock);
        d.setDefaults(60, {}, {});
        Core::ActivationPolicy p;
        p.maximumDurationSecs = 2 * 3600;
        p.justificationRequired = true;
        p.ticketRequired = true;
        d.setPolicy(p);
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        QSignalSpy sent(&d, &Elevate::Ui::RequestDialog::submitted);
        child<QComboBox>(&d, "ticketSystemComboBox")->setCurrentText(QString());
        QTest::mouseClick(okButton(&d), Qt::LeftButton);
        QCOMPARE(sent.count(), 0);
        auto *problems = child<QLabel>(&d, "problemsLabel");
        QVERIFY(problems->isVisible());
        QVERIFY2(problems->text().contains(u"requires a justification"_s), qPrintable(problems->text()));
        QVERIFY(problems->text().contains(u"requires a ticket number"_s));
        QVERIFY(problems->text().contains(u"ticket system"_s));
        QVERIFY(child<QComboBox>(&d, "justificationComboBox")->hasFocus());
        QVERIFY(d.grab().save(Test::artifactPath(u"request-dialog-problems.png"_s)));

        // Fixing the fields clears the messages as the user types.
        QTest::keyClicks(child<QComboBox>(&d, "justificationComboBox")->lineEdit(), u"Rotate keys"_s);
        child<QComboBox>(&d, "ticketSystemComboBox")->setCurrentText(u"Jira"_s);
        QTest::keyClicks(child<QLineEdit>(&d, "ticketNumberEdit"), u"OPS-1"_s);
        QVERIFY(!problems->isVisible());
        // A start in the past is refused too.
        child<QRadioButton>(&d, "startAtRadioButton")->setChecked(true);
        child<QDateTimeEdit>(&d, "startDateTimeEdit")->setDateTime(clock.now().addSecs(-7200).toLocalTime());
        QVERIFY(problems->isVisible());
        QVERIFY(problems->text().contains(u"in the past"_s));
        child<QRadioButton>(&d, "startNowRadioButton")->setChecked(true);

        QTest::mouseClick(okButton(&d), Qt::LeftButton);
        QCOMPARE(sent.count(), 1);
        const auto draft = sent.first().first().value<Core::ActivationDraft>();
        QCOMPARE(draft.durationSecs, 3600);
        QCOMPARE(draft.justification, u"Rotate keys"_s);
        QCOMPARE(draft.ticketNumber, u"OPS-1"_s);
        QVERIFY(!draft.start.isValid());
        // Busy while it is sent: a second click sends nothing.
        QVERIFY(!okButton(&d)->isEnabled());
        d.accept();
        QCOMPARE(sent.count(), 1);
        d.showError(u"The request failed: PIM said no."_s);
        QVERIFY(okButton(&d)->isEnabled());
        QCOMPARE(problems->text(), u"The request failed: PIM said no."_s);
        QCOMPARE(child<QComboBox>(&d, "justificationComboBox")->currentText(), u"Rotate keys"_s);
    }

    void renewalSaysWhatItMeans()
    {
        Test::ManualClock clock;
        Elevate::Ui::RequestDialog d(target(), &clock);
        Core::ActivationPolicy p;
        p.approvalRequired = true;
        d.setPolicy(p);
        Core::Grant g;
        g.id = u"g"_s;
        g.start = clock.now().addSecs(-3000);
        g.end = clock.now().addSecs(600);
        d.setRenewal(g);
        QVERIFY(d.isRenewal());
        const QString text = child<QLabel>(&d, "renewLabel")->text();
        QVERIFY2(text.contains(u"cannot extend"_s) && text.contains(u"10 min left"_s), qPrintable(text));
        QVERIFY(text.contains(u"no access"_s));
        QCOMPARE(okButton(&d)->text(), u"&Renew"_s);
    }

    void fullFlowAgainstTheEmulator()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        QVERIFY(f.signIn());
        const auto t = f.pim->target(u"210987654321/PowerUserAccess"_s);
        QVERIFY(t);
        QPointer<Elevate::Ui::RequestDialog> d = Elevate::Ui::RequestDialog::open(f.pim.get(), *t, 60);
        QTRY_VERIFY(okButton(d)->isEnabled()); // the policy arrived
        QVERIFY(child<QLabel>(d, "justificationLabel")->text().contains(u"required"_s));
        QVERIFY(QTest::qWaitForWindowExposed(d));
        QVERIFY(d->grab().save(Test::artifactPath(u"request-dialog.png"_s)));
        QTest::keyClicks(child<QComboBox>(d, "justificationComboBox")->lineEdit(), u"Deploy hotfix 4.2"_s);
        child<QSpinBox>(d, "durationHoursSpinBox")->setValue(2);
        QTest::mouseClick(okButton(d), Qt::LeftButton);
        QTRY_VERIFY(d.isNull()); // closed (and deleted) on success
        QTRY_VERIFY(
            f.pim->requests()->grantFor(t->eligibility.groupId, Core::AccessKind::Member).has_value());
        const auto g = *f.pim->requests()->grantFor(t->eligibility.groupId, Core::AccessKind::Member);
        QCOMPARE(g.start.secsTo(g.end), 2 * 3600);

        // A second request for the same target: PIM refuses; the form stays open and says why.
        d = Elevate::Ui::RequestDialog::open(f.pim.get(), *t, 60);
        QTRY_VERIFY(okButton(d)->isEnabled());
        QTest::keyClicks(child<QComboBox>(d, "justificationComboBox")->lineEdit(), u"Again"_s);
        QTest::mouseClick(okButton(d), Qt::LeftButton);
        QTRY_VERIFY(child<QLabel>(d, "problemsLabel")->text().contains(u"already active"_s));
        QVERIFY(!d.isNull());
        QVERIFY(d->grab().save(Test::artifactPath(u"request-dialog-refused.png"_s)));
        d->close();
    }

    void signOutWhileSendingLeavesSending()
    {
        Test::SignedInFixture f;
        QVERIFY(f.setUp());
        QVERIFY(f.signIn());
        const auto t = f.pim->target(u"123456789012/ReadOnlyAccess"_s);
        QVERIFY(t);
        // PIM is slow to answer: the sign-out comes while the form says "Sending…".
        QVERIFY(Test::injectFault(
            f.emulator,
            R"({"path": "/assignmentScheduleRequests", "method": "POST", "delayMs": 3000, "count": 1})"));
        QPointer<Elevate::Ui::RequestDialog> d = Elevate::Ui::RequestDialog::open(f.pim.get(), *t, 60);
        QTRY_VERIFY(okButton(d)->isEnabled());
        QTest::mouseClick(okButton(d), Qt::LeftButton);
        QCOMPARE(okButton(d)->text(), u"Sending…"_s);
        f.pim->signOut();
        QTRY_VERIFY_WITH_TIMEOUT(okButton(d)->text() != u"Sending…"_s, 2000); // before PIM answers
        QVERIFY(!d.isNull());
        QVERIFY(!child<QLabel>(d, "problemsLabel")->text().isEmpty());
        d->close();
    }
};

QTEST_MAIN(TestRequestDialog)
#include "tst_requestdialog.moc"

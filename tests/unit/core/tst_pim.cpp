// SPDX-License-Identifier: GPL-3.0-or-later
// Policy validation, status classification and duration formats of the request side.

#include "core/pim.h"

#include <QTest>

using namespace Elevate::Core;
using namespace Qt::StringLiterals;

class TestPim : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void validate_data()
    {
        QTest::addColumn<qint64>("duration");
        QTest::addColumn<QString>("justification");
        QTest::addColumn<QString>("system");
        QTest::addColumn<QString>("number");
        QTest::addColumn<int>("startOffsetSecs"); // 0 = now
        QTest::addColumn<QList<DraftProblem>>("expected");
        QTest::newRow("fine") << qint64(3600) << u"Rotate keys"_s << u"Jira"_s << u"OPS-1"_s << 0
                              << QList<DraftProblem> {};
        QTest::newRow("exactly the maximum")
            << qint64(4 * 3600) << u"x"_s << u"Jira"_s << u"OPS-1"_s << 0 << QList<DraftProblem> {};
        QTest::newRow("one second over") << qint64(4 * 3600 + 1) << u"x"_s << u"Jira"_s << u"OPS-1"_s << 0
                                         << QList<DraftProblem> {DraftProblem::DurationTooLong};
        QTest::newRow("zero duration") << qint64(0) << u"x"_s << u"Jira"_s << u"OPS-1"_s << 0
                                       << QList<DraftProblem> {DraftProblem::DurationNotPositive};
        QTest::newRow("blank justification") << qint64(60) << u"   "_s << u"Jira"_s << u"OPS-1"_s << 0
                                             << QList<DraftProblem> {DraftProblem::JustificationMissing};
        QTest::newRow("no ticket at all")
            << qint64(60) << u"x"_s << QString() << QString() << 0
            << QList<DraftProblem> {DraftProblem::TicketNumberMissing, DraftProblem::TicketSystemMissing};
        QTest::newRow("number without system") << qint64(60) << u"x"_s << QString() << u"OPS-1"_s << 0
                                               << QList<DraftProblem> {DraftProblem::TicketSystemMissing};
        QTest::newRow("start in the past") << qint64(60) << u"x"_s << u"Jira"_s << u"OPS-1"_s << -3600
                                           << QList<DraftProblem> {DraftProblem::StartInPast};
        QTest::newRow("start half a minute ago is now")
            << qint64(60) << u"x"_s << u"Jira"_s << u"OPS-1"_s << -30 << QList<DraftProblem> {};
        QTest::newRow("everything wrong")
            << qint64(5 * 3600) << QString() << QString() << QString() << -7200
            << QList<DraftProblem> {DraftProblem::DurationTooLong, DraftProblem::JustificationMissing,
                                    DraftProblem::TicketNumberMissing, DraftProblem::TicketSystemMissing,
                                    DraftProblem::StartInPast};
    }
    void validate()
    {
        QFETCH(qint64, duration);
        QFETCH(QString, justification);
        QFETCH(QString, system);
        QFETCH(QString, number);
        QFETCH(int, startOffsetSecs);
        QFETCH(QList<DraftProblem>, expected);
        ActivationPolicy policy;
        policy.maximumDurationSecs = 4 * 3600;
        policy.justificationRequired = true;
        policy.ticketRequired = true;
        const QDateTime now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        ActivationDraft d;
        d.durationSecs = duration;
        d.justification = justification;
        d.ticketSystem = system;
        d.ticketNumber = number;
        if (startOffsetSecs != 0)
            d.start = now.addSecs(startOffsetSecs);
        QCOMPARE(validateDraft(d, policy, now), expected);
    }

    void lenientPolicyNeedsNothing()
    {
        ActivationPolicy policy; // no justification, no ticket
        ActivationDraft d;
        d.durationSecs = 1800;
        QVERIFY(validateDraft(d, policy, QDateTime::currentDateTimeUtc()).isEmpty());
    }

    void classify_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("action");
        QTest::addColumn<RequestPhase>("phase");
        QTest::newRow("provisioned") << u"Provisioned"_s << u"selfActivate"_s << RequestPhase::Active;
        QTest::newRow("lower case") << u"provisioned"_s << u"selfActivate"_s << RequestPhase::Active;
        QTest::newRow("pending approval")
            << u"PendingApproval"_s << u"selfActivate"_s << RequestPhase::AwaitingApproval;
        QTest::newRow("beta variant")
            << u"PendingApprovalProvisioning"_s << u"selfActivate"_s << RequestPhase::AwaitingApproval;
        QTest::newRow("granted (scheduled)") << u"Granted"_s << u"selfActivate"_s << RequestPhase::InProgress;
        QTest::newRow("revoked activation") << u"Revoked"_s << u"selfActivate"_s << RequestPhase::Failed;
        QTest::newRow("revoked deactivation") << u"Revoked"_s << u"selfDeactivate"_s << RequestPhase::Active;
        QTest::newRow("denied") << u"Denied"_s << u"selfActivate"_s << RequestPhase::Denied;
        QTest::newRow("admin denied") << u"AdminDenied"_s << u"selfActivate"_s << RequestPhase::Denied;
        QTest::newRow("canceled") << u"Canceled"_s << u"selfActivate"_s << RequestPhase::Canceled;
        QTest::newRow("timed out") << u"TimedOut"_s << u"selfActivate"_s << RequestPhase::Failed;
        // Every open status of graph-pim.md §6.5, as the docs print them and in camelCase.
        const QList<std::pair<QString, RequestPhase>> open = {
            {u"PendingApproval"_s, RequestPhase::AwaitingApproval},
            {u"PendingApprovalProvisioning"_s, RequestPhase::AwaitingApproval},
            {u"PendingAdminDecision"_s, RequestPhase::AwaitingApproval},
            {u"PendingScheduleCreation"_s, RequestPhase::InProgress},
            {u"ScheduleCreated"_s, RequestPhase::InProgress},
            {u"Accepted"_s, RequestPhase::InProgress},
            {u"PendingProvisioning"_s, RequestPhase::InProgress},
            {u"Granted"_s, RequestPhase::InProgress},
        };
        for (const auto &[name, expected] : open) {
            QTest::addRow("open %s", qPrintable(name)) << name << u"SelfActivate"_s << expected;
            QTest::addRow("open %s camel", qPrintable(name))
                << QString(name.at(0).toLower() + name.mid(1)) << u"selfActivate"_s << expected;
        }
        QTest::newRow("unknown") << u"SomethingNew"_s << u"selfActivate"_s << RequestPhase::Unknown;
        QTest::newRow("unknown, near a known one")
            << u"PendingApprovalLater"_s << u"selfActivate"_s << RequestPhase::Unknown;
        QTest::newRow("revoked, PascalCase deactivation")
            << u"Revoked"_s << u"SelfDeactivate"_s << RequestPhase::Active;
        QTest::newRow("empty") << QString() << u"selfActivate"_s << RequestPhase::Unknown;
    }
    void classify()
    {
        QFETCH(QString, status);
        QFETCH(QString, action);
        QFETCH(RequestPhase, phase);
        QCOMPARE(classifyStatus(status, action), phase);
        QCOMPARE(isTerminal(phase),
                 phase != RequestPhase::InProgress && phase != RequestPhase::AwaitingApproval
                     && phase != RequestPhase::Unknown);
    }

    void isoDuration()
    {
        QCOMPARE(formatIsoDuration(3600), u"PT1H"_s);
        QCOMPARE(formatIsoDuration(5400), u"PT1H30M"_s);
        QCOMPARE(formatIsoDuration(45 * 60), u"PT45M"_s);
        QCOMPARE(formatIsoDuration(3661), u"PT1H1M1S"_s);
        QCOMPARE(formatIsoDuration(24 * 3600), u"PT24H"_s);
        QCOMPARE(formatIsoDuration(0), u"PT0S"_s);
    }

    void humanDuration_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("secs");
        QTest::newRow("1h30m") << u"1h30m"_s << qint64(5400);
        QTest::newRow("2h") << u"2h"_s << qint64(7200);
        QTest::newRow("45m") << u"45m"_s << qint64(2700);
        QTest::newRow("90min") << u"90min"_s << qint64(5400);
        QTest::newRow("spaces and case") << u" 1H 15M "_s << qint64(4500);
        QTest::newRow("clock") << u"1:30"_s << qint64(5400);
        QTest::newRow("iso") << u"PT2H"_s << qint64(7200);
        QTest::newRow("iso lower") << u"pt30m"_s << qint64(1800);
        QTest::newRow("empty") << QString() << qint64(-1);
        QTest::newRow("number only") << u"90"_s << qint64(-1);
        QTest::newRow("zero") << u"0h"_s << qint64(-1);
        QTest::newRow("negative") << u"-1h"_s << qint64(-1);
        QTest::newRow("garbage") << u"soon"_s << qint64(-1);
        QTest::newRow("bad clock") << u"1:75"_s << qint64(-1);
    }
    void humanDuration()
    {
        QFETCH(QString, text);
        QFETCH(qint64, secs);
        QCOMPARE(parseHumanDuration(text), secs);
    }

    void grantSecondsLeft()
    {
        const QDateTime now = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        Grant g;
        g.end = now.addSecs(90);
        QCOMPARE(g.secondsLeft(now), 90);
        QCOMPARE(g.secondsLeft(now.addSecs(200)), 0); // never negative
        g.end = {};
        QVERIFY(g.isPermanent());
        QCOMPARE(g.secondsLeft(now), -1);
    }

    void grantIsActivation_data()
    {
        QTest::addColumn<QString>("assignmentType");
        QTest::addColumn<QString>("memberType");
        QTest::addColumn<bool>("hasEnd");
        QTest::addColumn<bool>("activation");
        QTest::newRow("activated, direct") << u"activated"_s << u"direct"_s << true << true;
        QTest::newRow("assigned, time-bound") << u"assigned"_s << u"direct"_s << true << false;
        QTest::newRow("assigned, permanent") << u"assigned"_s << u"direct"_s << false << false;
        QTest::newRow("activated through a group") << u"activated"_s << u"group"_s << true << false;
        QTest::newRow("assigned through a group") << u"assigned"_s << u"group"_s << false << false;
        QTest::newRow("no properties, with an end") << QString() << QString() << true << true;
        QTest::newRow("no properties, permanent") << QString() << QString() << false << false;
        QTest::newRow("unknown type") << u"unknownfuturevalue"_s << u"direct"_s << true << false;
    }
    void grantIsActivation()
    {
        QFETCH(QString, assignmentType);
        QFETCH(QString, memberType);
        QFETCH(bool, hasEnd);
        QFETCH(bool, activation);
        Grant g;
        g.assignmentType = assignmentType;
        g.memberType = memberType;
        g.start = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        if (hasEnd)
            g.end = g.start.addSecs(3600);
        QCOMPARE(g.isActivation(), activation);
    }

    void approvalStages_data()
    {
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("review");
        QTest::addColumn<bool>("open");
        QTest::addColumn<bool>("opening");
        QTest::addColumn<bool>("decided");
        QTest::newRow("in progress") << u"InProgress"_s << u"NotReviewed"_s << true << false << false;
        QTest::newRow("in progress, camel") << u"inProgress"_s << u"notReviewed"_s << true << false << false;
        QTest::newRow("initializing") << u"Initializing"_s << u"NotReviewed"_s << false << true << false;
        QTest::newRow("initializing, camel")
            << u"initializing"_s << u"notReviewed"_s << false << true << false;
        QTest::newRow("not started") << u"NotStarted"_s << u"NotReviewed"_s << false << true << false;
        QTest::newRow("completed, approved") << u"Completed"_s << u"Approved"_s << false << false << true;
        QTest::newRow("completed, denied, camel") << u"completed"_s << u"denied"_s << false << false << true;
        QTest::newRow("expired") << u"Expired"_s << u"NotReviewed"_s << false << false << false;
        QTest::newRow("unknown") << u"Whatever"_s << u"NotReviewed"_s << false << false << false;
    }
    void approvalStages()
    {
        QFETCH(QString, status);
        QFETCH(QString, review);
        QFETCH(bool, open);
        QFETCH(bool, opening);
        QFETCH(bool, decided);
        ApprovalStage s;
        s.id = u"s1"_s;
        s.status = status;
        s.reviewResult = review;
        s.assignedToMe = true;
        QCOMPARE(s.isOpen(), open);
        QCOMPARE(s.isOpening(), opening);
        QCOMPARE(s.isDecided(), decided);
        Approval a;
        a.id = u"a1"_s;
        a.stages << s;
        QCOMPARE(a.stageForMe() != nullptr, open); // an opening stage is not for deciding yet
        QCOMPARE(a.isOpening(), opening);
        QCOMPARE(a.decidedStage() != nullptr, decided);
    }

    void approvalWithADecisionIsNotOpening()
    {
        // Two stages: the first decided, the second still setting up: decided, not "opening".
        ApprovalStage first;
        first.id = u"1"_s;
        first.status = u"Completed"_s;
        first.reviewResult = u"Denied"_s;
        ApprovalStage second;
        second.id = u"2"_s;
        second.status = u"Initializing"_s;
        second.reviewResult = u"NotReviewed"_s;
        Approval a;
        a.stages = {first, second};
        QVERIFY(!a.isOpening());
        QCOMPARE(a.decidedStage()->id, u"1"_s);
    }

    void plannedEnd()
    {
        AccessRequest r;
        r.start = QDateTime::fromSecsSinceEpoch(1'800'000'000, Qt::UTC);
        r.durationSecs = 3600;
        QCOMPARE(r.plannedEnd(), r.start.addSecs(3600));
        r.end = r.start.addSecs(60);
        QCOMPARE(r.plannedEnd(), r.end);
    }
};

QTEST_GUILESS_MAIN(TestPim)
#include "tst_pim.moc"

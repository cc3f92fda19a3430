// SPDX-License-Identifier: GPL-3.0-or-later
#include "pim.h"

#include "isotime.h"

#include <QRegularExpression>

namespace Elevate::Core {

using namespace Qt::StringLiterals;

QList<DraftProblem> validateDraft(const ActivationDraft &draft, const ActivationPolicy &policy,
                                  const QDateTime &now)
{
    QList<DraftProblem> problems;
    if (draft.durationSecs <= 0)
        problems << DraftProblem::DurationNotPositive;
    else if (draft.durationSecs > policy.maximumDurationSecs)
        problems << DraftProblem::DurationTooLong;
    if (policy.justificationRequired && draft.justification.trimmed().isEmpty())
        problems << DraftProblem::JustificationMissing;
    const bool hasNumber = !draft.ticketNumber.trimmed().isEmpty();
    const bool hasSystem = !draft.ticketSystem.trimmed().isEmpty();
    if (policy.ticketRequired && !hasNumber)
        problems << DraftProblem::TicketNumberMissing;
    if ((policy.ticketRequired || hasNumber) && !hasSystem)
        problems << DraftProblem::TicketSystemMissing;
    // A minute of slack: a form opened a little while ago still means "about now".
    if (draft.start.isValid() && draft.start < now.addSecs(-60))
        problems << DraftProblem::StartInPast;
    return problems;
}

RequestPhase classifyStatus(const QString &status, const QString &action)
{
    const QString s = status.toLower();
    const bool deactivation = action.compare(u"selfDeactivate", Qt::CaseInsensitive) == 0
        || action.compare(u"adminRemove", Qt::CaseInsensitive) == 0;
    if (s == u"provisioned")
        return RequestPhase::Active;
    if (s == u"revoked")
        return deactivation ? RequestPhase::Active : RequestPhase::Failed;
    static const QStringList inProgress = {u"granted"_s,
                                           u"accepted"_s,
                                           u"pendingevaluation"_s,
                                           u"pendingprovisioning"_s,
                                           u"provisioningstarted"_s,
                                           u"pendingschedulecreation"_s,
                                           u"schedulecreated"_s,
                                           u"pendingexternalprovisioning"_s,
                                           u"adminapproved"_s,
                                           u"pendingrevocation"_s};
    if (inProgress.contains(s))
        return RequestPhase::InProgress;
    if (s == u"pendingapproval" || s == u"pendingapprovalprovisioning" || s == u"pendingadmindecision")
        return RequestPhase::AwaitingApproval;
    if (s == u"denied" || s == u"admindenied")
        return RequestPhase::Denied;
    if (s == u"canceled" || s == u"cancelled")
        return RequestPhase::Canceled;
    if (s == u"failed" || s == u"failedasresourceislocked" || s == u"timedout" || s == u"invalid")
        return RequestPhase::Failed;
    return RequestPhase::Unknown;
}

bool isTerminal(RequestPhase phase)
{
    switch (phase) {
    case RequestPhase::Active:
    case RequestPhase::Denied:
    case RequestPhase::Canceled:
    case RequestPhase::Failed:
        return true;
    case RequestPhase::InProgress:
    case RequestPhase::AwaitingApproval:
    case RequestPhase::Unknown:
        return false;
    }
    return false;
}

QDateTime AccessRequest::plannedEnd() const
{
    if (end.isValid())
        return end;
    if (start.isValid() && durationSecs > 0)
        return start.addSecs(durationSecs);
    return {};
}

const ApprovalStage *Approval::stageForMe() const
{
    for (const auto &s : stages)
        if (s.assignedToMe && s.isOpen())
            return &s;
    return nullptr;
}

const ApprovalStage *Approval::decidedStage() const
{
    for (const auto &s : stages)
        if (s.isDecided())
            return &s;
    return nullptr;
}

bool Approval::isOpening() const
{
    if (decidedStage())
        return false;
    for (const auto &s : stages)
        if (s.isOpening())
            return true;
    return false;
}

bool Grant::isActivation() const
{
    if (memberType == u"group")
        return false;
    if (assignmentType.isEmpty())
        return !isPermanent();
    return assignmentType == u"activated";
}

qint64 Grant::secondsLeft(const QDateTime &now) const
{
    if (isPermanent())
        return -1;
    return qMax<qint64>(0, now.secsTo(end));
}

QString formatIsoDuration(qint64 secs)
{
    if (secs <= 0)
        return QStringLiteral("PT0S");
    QString out = QStringLiteral("PT");
    if (secs >= 3600)
        out += QString::number(secs / 3600) + u'H';
    if ((secs % 3600) / 60)
        out += QString::number((secs % 3600) / 60) + u'M';
    if (secs % 60)
        out += QString::number(secs % 60) + u'S';
    return out;
}

qint64 parseHumanDuration(const QString &input)
{
    const QString text = input.trimmed().toLower();
    if (text.isEmpty())
        return -1;
    if (text.startsWith(u'p')) {
        const auto ms = parseIsoDurationMs(text.toUpper());
        return ms && *ms > 0 ? *ms / 1000 : -1;
    }
    static const QRegularExpression clock(QStringLiteral(R"(^(\d{1,2}):([0-5]\d)$)"));
    if (const auto m = clock.match(text); m.hasMatch())
        return m.captured(1).toLongLong() * 3600 + m.captured(2).toLongLong() * 60;
    static const QRegularExpression units(QStringLiteral(R"(^(?:(\d{1,3})h)?\s*(?:(\d{1,5})m(?:in)?)?$)"));
    const auto m = units.match(text);
    if (!m.hasMatch() || (m.captured(1).isEmpty() && m.captured(2).isEmpty()))
        return -1;
    const qint64 secs = m.captured(1).toLongLong() * 3600 + m.captured(2).toLongLong() * 60;
    return secs > 0 ? secs : -1;
}

} // namespace Elevate::Core

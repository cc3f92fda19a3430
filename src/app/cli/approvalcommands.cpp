// SPDX-License-Identifier: GPL-3.0-or-later
#include "approvalcommands.h"

#include "auth/entrasession.h"
#include "cli.h"
#include "cliio.h"
#include "core/isotime.h"
#include "graph/approvalservice.h"
#include "graph/graphclient.h"
#include "graph/pimwording.h"
#include "graph/requesttracker.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

namespace Elevate::Cli {

using Core::Error;

ApprovalCommands::ApprovalCommands(CliApp &app)
    : QObject(&app)
    , m_app(app)
{ }

void ApprovalCommands::approvals()
{
    m_app.withAccess([this] {
        auto *service = new Graph::ApprovalService(m_app.graph(), m_app.history(), &m_app.clock(), this);
        service->setPrincipalId(m_app.session()->account() ? m_app.session()->account()->objectId
                                                           : QString());
        service->refresh(this, [this, service](Core::Result<void> r) {
            if (!r.ok())
                return m_app.fail(r.error(), tr("listing requests waiting for your approval"));
            const QDateTime now = m_app.clock().now();
            if (m_app.json()) {
                QJsonArray a;
                for (const auto &req : service->pending()) {
                    QJsonObject o = m_app.requestJson(req);
                    o.insert(QStringLiteral("requester"), req.principalDisplayName);
                    o.insert(QStringLiteral("requesterUpn"), req.principalUpn);
                    o.insert(QStringLiteral("requesterId"), req.principalId);
                    const QDateTime deadline = req.created.addSecs(Core::kApprovalWindowSecs);
                    o.insert(QStringLiteral("decideBy"),
                             req.created.isValid() ? QJsonValue(Core::formatGraphDateTime(deadline))
                                                   : QJsonValue());
                    o.insert(QStringLiteral("secondsLeftToDecide"),
                             req.created.isValid() ? QJsonValue(double(qMax<qint64>(0, now.secsTo(deadline))))
                                                   : QJsonValue());
                    a.append(o);
                }
                out() << QJsonDocument(a).toJson(QJsonDocument::Indented);
                return m_app.finish(ExitOk);
            }
            if (service->pending().isEmpty())
                out() << tr("Nothing is waiting for your approval.") << Qt::endl;
            for (const auto &req : service->pending()) {
                const QDateTime deadline = req.created.addSecs(Core::kApprovalWindowSecs);
                out() << req.id << "  "
                      << (req.principalDisplayName.isEmpty() ? req.principalUpn : req.principalDisplayName)
                      << " <" << req.principalUpn << ">  "
                      << m_app.requests()->targetKey(req.groupId, req.groupDisplayName, req.access) << "  "
                      << Graph::PimWording::duration(req.durationSecs) << '\n';
                if (!req.justification.isEmpty())
                    out() << "    " << tr("Justification: %1").arg(req.justification) << '\n';
                if (!req.ticketNumber.isEmpty())
                    out() << "    " << tr("Ticket: %1 %2").arg(req.ticketSystem, req.ticketNumber) << '\n';
                out() << "    "
                      << tr("Asked %1 ago; %2 left to decide")
                             .arg(Graph::PimWording::duration(
                                      req.created.isValid() ? qMax<qint64>(0, req.created.secsTo(now)) : 0),
                                  Graph::PimWording::duration(qMax<qint64>(0, now.secsTo(deadline))))
                      << '\n';
            }
            out().flush();
            m_app.finish(ExitOk);
        });
    });
}

void ApprovalCommands::decide(const QString &requestId, bool approve, const QString &justification)
{
    if (justification.trimmed().isEmpty())
        return m_app.fail(Error::make(Error::Kind::InvalidInput,
                                      tr("a decision needs --justification TEXT (the requester sees it)")),
                          approve ? tr("approve") : tr("deny"));
    m_app.withAccess([this, requestId, approve, justification] {
        auto *service = new Graph::ApprovalService(m_app.graph(), m_app.history(), &m_app.clock(), this);
        service->setPrincipalId(m_app.session()->account() ? m_app.session()->account()->objectId
                                                           : QString());
        service->decide({requestId}, approve, justification, this,
                        [this, requestId, approve](QList<Graph::ApprovalService::Outcome> outcomes) {
                            const auto &result = outcomes.first().result;
                            if (!result.ok()) {
                                Error e = result.error();
                                if (e.httpStatus == 404)
                                    e.message = tr("no request %1 waits for your decision").arg(requestId);
                                return m_app.fail(e, approve ? tr("approve") : tr("deny"));
                            }
                            m_app.tellOthers();
                            if (m_app.json())
                                out() << QJsonDocument(QJsonObject {{QStringLiteral("id"), requestId},
                                                                    {QStringLiteral("decision"),
                                                                     approve ? QStringLiteral("Approved")
                                                                             : QStringLiteral("Denied")}})
                                             .toJson(QJsonDocument::Compact)
                                      << Qt::endl;
                            else
                                out() << (approve ? tr("Approved %1.") : tr("Denied %1.")).arg(requestId)
                                      << Qt::endl;
                            m_app.finish(ExitOk);
                        });
    });
}

} // namespace Elevate::Cli

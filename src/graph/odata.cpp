// SPDX-License-Identifier: GPL-3.0-or-later
#include "odata.h"

#include "core/isotime.h"

namespace Elevate::Graph {

using Core::Error;

namespace {
Error notTheContract(const QString &what)
{
    return Error::make(Error::Kind::Parse,
                       QStringLiteral("Graph sent %1 that does not follow its contract").arg(what));
}
} // namespace

Core::Result<EligibilityPage> parseEligibilityPage(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &j = parsed.value();
    if (!j.is_object() || !j.contains("value") || !j["value"].is_array())
        return notTheContract(QStringLiteral("a collection without \"value\""));
    EligibilityPage page;
    for (const Net::Json &item : j["value"]) {
        if (!item.is_object())
            return notTheContract(QStringLiteral("an eligibility that is not an object"));
        Core::Eligibility e;
        e.id = Net::jsonString(item, "id");
        e.groupId = Net::jsonString(item, "groupId");
        e.accessId = Net::jsonString(item, "accessId").toLower();
        e.memberType = Net::jsonString(item, "memberType").toLower();
        e.start = Core::parseGraphDateTime(Net::jsonString(item, "startDateTime"));
        e.end = Core::parseGraphDateTime(Net::jsonString(item, "endDateTime"));
        if (item.contains("group") && item["group"].is_object()) {
            e.groupDisplayName = Net::jsonString(item["group"], "displayName");
            e.groupDescription = Net::jsonString(item["group"], "description");
            if (e.groupId.isEmpty())
                e.groupId = Net::jsonString(item["group"], "id");
        }
        if (e.id.isEmpty() || e.groupId.isEmpty())
            return notTheContract(QStringLiteral("an eligibility without id or groupId"));
        if (e.accessId.isEmpty())
            e.accessId = QStringLiteral("member");
        page.items.append(e);
    }
    page.nextLink = Net::jsonString(j, "@odata.nextLink");
    return page;
}

Core::Result<GraphUser> parseUser(const QByteArray &body)
{
    const auto parsed = Net::parseJson(body);
    if (!parsed.ok())
        return parsed.error();
    const Net::Json &j = parsed.value();
    GraphUser u {Net::jsonString(j, "id"), Net::jsonString(j, "displayName"),
                 Net::jsonString(j, "userPrincipalName"), Net::jsonString(j, "mail")};
    if (u.id.isEmpty())
        return notTheContract(QStringLiteral("a user without id"));
    return u;
}

Error graphError(const Net::HttpResponse &response)
{
    if (!response.hasStatus())
        return response.transportError;
    const auto parsed = Net::parseJson(response.body);
    if (!parsed.ok() || !parsed.value().is_object() || !parsed.value().contains("error")
        || !parsed.value()["error"].is_object()) {
        return Error::make(Error::Kind::Http,
                           QStringLiteral("Microsoft Graph answered HTTP %1").arg(response.status),
                           response.status);
    }
    const Net::Json &err = parsed.value()["error"];
    QString code = Net::jsonString(err, "code");
    QString message = Net::jsonString(err, "message");
    // PIM: outer UnknownError, the real error as JSON inside the message.
    const auto inner = Net::parseJson(message.toUtf8());
    if (inner.ok() && inner.value().is_object()) {
        QString innerCode = Net::jsonString(inner.value(), "errorCode");
        if (innerCode.isEmpty())
            innerCode = Net::jsonString(inner.value(), "ErrorCode");
        if (!innerCode.isEmpty()) {
            code = innerCode;
            message = Net::jsonString(inner.value(), "message");
            if (message.isEmpty())
                message = Net::jsonString(inner.value(), "Message");
        }
    }
    if (code.isEmpty())
        code = QStringLiteral("HTTP%1").arg(response.status);
    if (message.isEmpty())
        message = QStringLiteral("Microsoft Graph answered HTTP %1").arg(response.status);
    return Error::make(Error::Kind::Service, message, response.status, code);
}

} // namespace Elevate::Graph

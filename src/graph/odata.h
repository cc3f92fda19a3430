// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Parsing of Microsoft Graph payloads (graph-pim.md §2, §3, §4, §10): tolerant of @odata.*
// annotations, unknown properties, null-or-missing, enum casing and 0-7 fractional digits.

#include "core/model.h"
#include "core/result.h"
#include "graphclient.h"
#include "net/httpclient.h"
#include "net/json.h"

namespace Elevate::Graph {

struct EligibilityPage
{
    QList<Core::Eligibility> items;
    QString nextLink; // empty on the last page
};

Core::Result<EligibilityPage> parseEligibilityPage(const QByteArray &body);
Core::Result<GraphUser> parseUser(const QByteArray &body);

/**
 * The error of a failed Graph response: the envelope's code as serviceCode (the inner errorCode
 * when PIM wraps it as JSON in `message`), the HTTP status kept, a developer-safe message. Bodies
 * that are not the envelope become Http (or the transport error when nothing arrived).
 */
Core::Error graphError(const Net::HttpResponse &response);

} // namespace Elevate::Graph

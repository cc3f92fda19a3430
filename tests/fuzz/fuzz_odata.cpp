// SPDX-License-Identifier: GPL-3.0-or-later
// What Microsoft Graph and the Identity Center portal send back, as the OData/PIM models and the
// portal client read it: no crash, hang or sanitizer report on any bytes, and what a parser accepts
// keeps the promises its callers rely on (ids present, enum values lower-cased, times valid and
// readable again once written, durations not negative, error kinds as documented).
//
// The first byte picks the parser ('a' + n, see kParsers); the rest is the body, or for the
// functions that read a whole response the response in the form fuzzhttp.h describes.
#include "aws/portalclient.h"
#include "core/isotime.h"
#include "fuzzhttp.h"
#include "graph/odata.h"

using namespace Elevate;
using Core::Error;
using ElevateFuzz::check;
using ElevateFuzz::now;

namespace {

bool isLower(const QString &s)
{
    return s == s.toLower();
}

/// A parsed time is UTC and, written as Graph writes times, reads back as itself (to the second).
/// Years at the edges of what the format holds (an offset can carry 9999-12-31 into year 10000 or
/// 0002-01-01 into the "unset" year 1) are only required to be valid.
void checkTime(const QDateTime &t)
{
    if (!t.isValid())
        return;
    check(t.timeSpec() == Qt::UTC);
    if (t.date().year() < 2 || t.date().year() > 9999)
        return;
    const QDateTime again = Core::parseGraphDateTime(Core::formatGraphDateTime(t));
    check(again == t.addMSecs(-t.time().msec()));
}

void eligibilityPage(const QByteArray &body)
{
    const auto page = Graph::parseEligibilityPage(body);
    if (!page)
        return;
    for (const Core::Eligibility &e : page->items) {
        check(!e.id.isEmpty() && !e.groupId.isEmpty());
        check(isLower(e.memberType));
        checkTime(e.start);
        checkTime(e.end);
    }
}

void user(const QByteArray &body)
{
    const auto u = Graph::parseUser(body);
    if (u)
        check(!u->id.isEmpty());
}

void policy(const QByteArray &body)
{
    const auto p = Graph::parsePolicyAssignments(body);
    if (!p)
        return;
    check(p->maximumDurationSecs >= 0);
    for (qsizetype i = 0; i < p->approvers.size(); ++i) {
        check(!p->approvers.at(i).isEmpty());
        check(p->approvers.indexOf(p->approvers.at(i)) == i); // no duplicates
    }
}

void checkRequest(const Core::AccessRequest &r)
{
    check(!r.id.isEmpty() && !r.status.isEmpty());
    check(r.durationSecs >= 0);
    checkTime(r.created);
    checkTime(r.completed);
    checkTime(r.start);
    checkTime(r.end);
    (void)r.phase();
    (void)r.plannedEnd();
}

void requestBody(const QByteArray &body)
{
    const auto r = Graph::parseRequestBody(body);
    if (r)
        checkRequest(r.value());
}

void requestPage(const QByteArray &body)
{
    const auto page = Graph::parseRequestPage(body);
    if (!page)
        return;
    for (const auto &r : page->items)
        checkRequest(r);
}

void grantPage(const QByteArray &body)
{
    const auto page = Graph::parseGrantPage(body);
    if (!page)
        return;
    for (const Core::Grant &g : page->items) {
        check(!g.id.isEmpty() && !g.groupId.isEmpty());
        check(isLower(g.assignmentType) && isLower(g.memberType));
        checkTime(g.start);
        checkTime(g.end);
        (void)g.isActivation();
        const qint64 left = g.secondsLeft(now());
        check(g.isPermanent() ? left == -1 : left >= 0);
    }
}

void approval(const QByteArray &body)
{
    const auto a = Graph::parseApproval(body);
    if (!a)
        return;
    check(!a->id.isEmpty());
    for (const auto &s : a->stages) {
        check(!s.id.isEmpty());
        checkTime(s.reviewedAt);
    }
    (void)a->stageForMe();
    (void)a->decidedStage();
    (void)a->isOpening();
}

/// First line the service code, the rest the message.
void policyRules(const QByteArray &bytes)
{
    const auto f = ElevateFuzz::fields(bytes, 2);
    const Error e = Error::make(Error::Kind::Service, QString::fromUtf8(f[1]), 400, QString::fromUtf8(f[0]));
    const QStringList rules = Graph::failedPolicyRules(e);
    if (!e.serviceCode.endsWith(u"PolicyValidationFailed"))
        check(rules.isEmpty());
}

void graphError(const QByteArray &bytes)
{
    const Net::HttpResponse r = ElevateFuzz::responseFrom(bytes);
    const Error e = Graph::graphError(r);
    if (!r.hasStatus()) {
        check(e.kind == r.transportError.kind);
        return;
    }
    check(e.source == Error::Source::Graph && e.httpStatus == r.status && !e.message.isEmpty());
    check(e.kind == Error::Kind::Service || e.kind == Error::Kind::Http);
    if (e.kind == Error::Kind::Service)
        check(!e.serviceCode.isEmpty());
}

void syncJob(const QByteArray &body)
{
    const auto id = Graph::parseFirstSyncJobId(body);
    if (id)
        check(!id->isEmpty());
}

void syncRule(const QByteArray &body)
{
    const auto id = Graph::parseSyncRuleId(body);
    if (id)
        check(!id->isEmpty());
}

void provisionOnDemand(const QByteArray &body)
{
    const auto result = Graph::parseProvisionOnDemand(body);
    if (result)
        check(!result->isEmpty());
}

void roleCredentials(const QByteArray &body)
{
    const auto c = Aws::PortalClient::parseRoleCredentials(body);
    if (!c)
        return;
    check(c->isValid() && !c->sessionToken.isEmpty());
    check(c->expiration.timeSpec() == Qt::UTC);
}

void portalError(const QByteArray &bytes)
{
    // errorFor reads the code through errorCode (each parses the body): one call checks both.
    const Net::HttpResponse r = ElevateFuzz::responseFrom(bytes);
    const Error e = Aws::PortalClient::errorFor(r);
    check(e.source == Error::Source::Portal);
    if (!r.hasStatus()) {
        check(e.kind == r.transportError.kind);
        return;
    }
    check(e.httpStatus == r.status);
    if (e.kind == Error::Kind::Service)
        check(!e.serviceCode.isEmpty() && !e.serviceCode.contains(u'#'));
    else
        check(e.kind == Error::Kind::Http && e.serviceCode.isEmpty());
    (void)Aws::PortalClient::isNotAssigned(e);
}

using Parser = void (*)(const QByteArray &);
constexpr Parser kParsers[] = {
    eligibilityPage, // a
    user, // b
    policy, // c
    requestBody, // d
    requestPage, // e
    grantPage, // f
    approval, // g
    policyRules, // h
    graphError, // i
    syncJob, // j
    syncRule, // k
    provisionOnDemand, // l
    roleCredentials, // m
    portalError, // n
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t pick = uint8_t(data[0] - 'a') % std::size(kParsers);
    kParsers[pick](ElevateFuzz::bytesOf(data + 1, size - 1));
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// What Microsoft Graph sends elevate-bridge (issue 13), as the bridge's Graph parsers read it: no
// crash, hang or sanitizer report on any bytes, and what a parser accepts keeps the promises the
// cycle relies on (ids present, enums lower-case, times valid and readable again once written, a job
// called active only when it is, RedundantExport only for that reason, the one-user parser agreeing),
// and a provisionOnDemand body made from any ids reads back as those ids.
//
// The first byte picks the parser ('a' + n, see kParsers); the rest is the body, or for the body
// builder three fields (rule id, group id, member ids one a line) as fuzzhttp.h's fields() splits them.
#include "core/isotime.h"
#include "fuzzhttp.h"
#include "graph/odata.h"

using namespace Elevate;
using ElevateFuzz::check;

namespace {

bool isLower(const QString &s)
{
    return s == s.toLower();
}

void checkTime(const QDateTime &t)
{
    if (!t.isValid())
        return;
    check(t.timeSpec() == Qt::UTC);
    if (t.date().year() < 2 || t.date().year() > 9999)
        return;
    check(Core::parseGraphDateTime(Core::formatGraphDateTime(t)) == t.addMSecs(-t.time().msec()));
}

void assignments(const QByteArray &body)
{
    const auto page = Graph::parseGroupAssignmentPage(body);
    // The JSON overload agrees with the bytes one.
    const auto json = Net::parseJson(body);
    check(page.ok() == (json.ok() && Graph::parseGroupAssignmentPage(json.value()).ok()));
    if (!page)
        return;
    for (const auto &a : page->items) {
        check(!a.id.isEmpty() && !a.groupId.isEmpty() && !a.principalId.isEmpty());
        check(isLower(a.assignmentType));
        checkTime(a.start);
        checkTime(a.end);
    }
}

void groups(const QByteArray &body)
{
    const auto page = Graph::parseGroupPage(body);
    if (!page)
        return;
    for (const auto &g : page->items)
        check(!g.id.isEmpty());
}

void syncJob(const QByteArray &body)
{
    const auto job = Graph::parseSyncJob(body);
    const auto id = Graph::parseFirstSyncJobId(body);
    check(job.ok() == id.ok());
    if (!job)
        return;
    check(job->id == id.value() && !job->id.isEmpty());
    check(job->ruleId.isEmpty()); // the rule comes from the schema
    if (job->isActive())
        check(job->scheduleState.compare(u"Active", Qt::CaseInsensitive) == 0
              && job->quarantineReason.isEmpty()
              && job->statusCode.compare(u"Quarantine", Qt::CaseInsensitive) != 0);
}

void outcome(const QByteArray &body)
{
    const auto o = Graph::parseProvisionOutcome(body);
    const auto legacy = Graph::parseProvisionOnDemand(body);
    check(o.ok() == legacy.ok());
    if (!o)
        return;
    check(!o->result.isEmpty());
    if (o->result == u"RedundantExport")
        check(o->reason == u"RedundantExport"
              && legacy.value().compare(u"Skipped", Qt::CaseInsensitive) == 0);
    else
        check(o->result == legacy.value());
}

void body(const QByteArray &bytes)
{
    const QList<QByteArray> f = ElevateFuzz::fields(bytes, 3);
    const QString rule = QString::fromUtf8(f.at(0)), group = QString::fromUtf8(f.at(1));
    QStringList members;
    for (const QByteArray &m : f.at(2).split('\n'))
        members << QString::fromUtf8(m);
    const auto json = Net::parseJson(Graph::provisionBody(rule, group, members));
    check(json.ok());
    const Net::Json &p = json.value()["parameters"];
    check(p.is_array() && p.size() == 1);
    check(Net::jsonString(p[0], "ruleId") == rule);
    const Net::Json &subjects = p[0]["subjects"];
    check(subjects.is_array() && subjects.size() == 1);
    check(Net::jsonString(subjects[0], "objectId") == group);
    check(Net::jsonString(subjects[0], "objectTypeName") == u"Group");
    const Net::Json &links = subjects[0]["links"]["members"];
    check(links.is_array() && links.size() == size_t(members.size()));
    for (qsizetype i = 0; i < members.size(); ++i) {
        check(Net::jsonString(links[size_t(i)], "objectId") == members.at(i));
        check(Net::jsonString(links[size_t(i)], "objectTypeName") == u"User");
    }
}

using Parser = void (*)(const QByteArray &);
constexpr Parser kParsers[] = {
    assignments, // a
    groups, // b
    syncJob, // c
    outcome, // d
    body, // e
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

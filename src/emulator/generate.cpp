// SPDX-License-Identifier: GPL-3.0-or-later
// Scenarios of any size from a short spec (generate.h): the demo's tenant and first user, with as many
// accounts, mapped groups, eligibilities, policies, approvers, requesters and direct assignments as
// the spec asks for. Everything is derived from the spec alone, so two runs give the same bytes.

#include "generate.h"

#include "emulator.h"

#include <QHash>
#include <QStringList>
#include <QUuid>

#include <nlohmann/json.hpp>

#include <array>
#include <optional>

namespace Elevate::Emulator {

namespace {
using OJson = nlohmann::ordered_json; // keys in the order written, as in demo.json

struct SpecKey
{
    const char *name;
    int min;
    int max;
    bool required;
    int fallback;
    const char *what;
};

// The order here is the order of the normalised spec in the scenario's comment.
constexpr std::array<SpecKey, 7> kKeys {{
    {"eligibilities", 1, 20000, true, 0, "eligibilities of the first user"},
    {"accounts", 1, 5000, true, 0, "AWS accounts"},
    {"approvers", 0, 100, false, 2, "approver users"},
    {"users", 1, 1000, false, 1, "requesters, the first user included"},
    {"assignments", 0, 20000, false, 0, "direct Identity Center assignments of the first user"},
    {"pageSize", 1, 999, false, -1, "settings.graphPageSize"},
    {"portalRate", 1, 100000, false, -1, "portal requests per second"},
}};

// AWS managed policies that are commonly used as permission sets (job functions and the broad ones).
constexpr std::array<const char *, 10> kPermissionSets {
    "AdministratorAccess",  "PowerUserAccess", "ReadOnlyAccess",
    "ViewOnlyAccess",       "Billing",         "DatabaseAdministrator",
    "NetworkAdministrator", "SecurityAudit",   "SystemAdministrator",
    "DataScientist"};
constexpr std::array<const char *, 5> kSessionDurations {"PT1H", "PT2H", "PT4H", "PT8H", "PT12H"};
constexpr std::array<const char *, 5> kMaximumDurations {"PT1H", "PT2H", "PT4H", "PT8H", "PT3H"};
constexpr int kPerRequester = 3; // eligibilities of every requester but the first

QString range(const SpecKey &k)
{
    return QStringLiteral("%1 is %2 to %3 (%4)")
        .arg(QLatin1String(k.name))
        .arg(k.min)
        .arg(k.max)
        .arg(QLatin1String(k.what));
}

QString keyList()
{
    QStringList names;
    for (const auto &k : kKeys)
        names << QLatin1String(k.name);
    return names.join(QStringLiteral(", "));
}

/// The spec's values by key (defaults filled in, -1 for an optional key not given), or an error.
std::optional<QHash<QString, int>> parseSpec(const QString &spec, QString *error)
{
    if (spec.trimmed().isEmpty()) {
        *error = QStringLiteral("the scenario spec is empty; it needs eligibilities=N and accounts=M, e.g. "
                                "eligibilities=1000,accounts=100");
        return std::nullopt;
    }
    QHash<QString, int> values;
    for (const QString &rawItem : spec.split(u',')) {
        const QString item = rawItem.trimmed();
        const qsizetype eq = item.indexOf(u'=');
        if (item.isEmpty()) {
            *error = QStringLiteral("the scenario spec has an empty item (two commas in a row, or one at an "
                                    "end); it is key=value,key=value");
            return std::nullopt;
        }
        if (eq <= 0) {
            *error = QStringLiteral("'%1' in the scenario spec is not key=value (keys: %2)")
                         .arg(item, keyList());
            return std::nullopt;
        }
        const QString name = item.left(eq).trimmed();
        const QString value = item.mid(eq + 1).trimmed();
        const SpecKey *key = nullptr;
        for (const auto &k : kKeys)
            if (name == QLatin1String(k.name))
                key = &k;
        if (!key) {
            *error = QStringLiteral("unknown key '%1' in the scenario spec; the keys are %2")
                         .arg(name, keyList());
            return std::nullopt;
        }
        if (values.contains(name)) {
            *error = QStringLiteral("%1 is given twice in the scenario spec").arg(name);
            return std::nullopt;
        }
        bool digits = !value.isEmpty();
        for (const QChar c : value)
            digits = digits && c >= u'0' && c <= u'9';
        if (!digits) {
            *error = QStringLiteral("%1=%2 is not a whole number; %3").arg(name, value, range(*key));
            return std::nullopt;
        }
        bool ok = false;
        const qlonglong n = value.size() <= 9 ? value.toLongLong(&ok) : -1;
        if (!ok || n < key->min || n > key->max) {
            *error = QStringLiteral("%1=%2 is out of range; %3").arg(name, value, range(*key));
            return std::nullopt;
        }
        values.insert(name, int(n));
    }
    for (const auto &k : kKeys) {
        const QString name = QLatin1String(k.name);
        if (values.contains(name))
            continue;
        if (k.required) {
            *error = QStringLiteral("%1 is required in the scenario spec; %2").arg(name, range(k));
            return std::nullopt;
        }
        values.insert(name, k.fallback);
    }
    const int n = values.value(QStringLiteral("eligibilities"));
    const int m = values.value(QStringLiteral("accounts"));
    const int perAccount = int(kPermissionSets.size());
    if (n > m * perAccount) {
        *error = QStringLiteral("eligibilities=%1 needs accounts=%2 or more: an account has one eligibility "
                                "per permission set (%3), so accounts=%4 allows at most eligibilities=%5")
                     .arg(n)
                     .arg((n + perAccount - 1) / perAccount)
                     .arg(perAccount)
                     .arg(m)
                     .arg(m * perAccount);
        return std::nullopt;
    }
    const int a = values.value(QStringLiteral("assignments"));
    if (a > m) {
        *error = QStringLiteral("assignments=%1 is more than accounts=%2; assignments is 0 to accounts (one "
                                "direct assignment per account, in the first ones)")
                     .arg(a)
                     .arg(m);
        return std::nullopt;
    }
    return values;
}

std::string uuidFor(const QString &name)
{
    // Name-based (v5) in a namespace of its own: stable across runs and machines.
    static const QUuid ns(QStringLiteral("{7e3a51c2-4b9d-4f08-a6e1-2c5d8b0f9a34}"));
    return QUuid::createUuidV5(ns, name).toString(QUuid::WithoutBraces).toStdString();
}

/// demo.json's layout: top-level members and aws's on a line each, list items one per line.
void write(std::string &out, const OJson &value, bool expand, const std::string &indent)
{
    if (value.is_array() && !value.empty()) {
        out += "[\n";
        for (std::size_t i = 0; i < value.size(); ++i) {
            out += indent + "  " + value[i].dump();
            out += i + 1 < value.size() ? ",\n" : "\n";
        }
        out += indent + ']';
        return;
    }
    if (!expand || !value.is_object()) {
        out += value.dump();
        return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (auto it = value.begin(); it != value.end(); ++it, ++i) {
        out += indent + "  " + OJson(it.key()).dump() + ": ";
        write(out, it.value(), it.key() == "aws", indent + "  ");
        out += i + 1 < value.size() ? ",\n" : "\n";
    }
    out += indent + '}';
}
} // namespace

GeneratedScenario generateScenario(const QString &spec)
{
    GeneratedScenario result;
    const std::optional<QHash<QString, int>> values = parseSpec(spec, &result.error);
    if (!values)
        return result;
    const QByteArray demoText = Emulator::builtInScenario();
    const OJson demo = OJson::parse(demoText.constBegin(), demoText.constEnd(), nullptr, false);
    if (demo.is_discarded() || !demo.contains("users") || demo["users"].empty()) {
        result.error = QStringLiteral("the built-in scenario cannot be read");
        return result;
    }
    const int eligibilityCount = values->value(QStringLiteral("eligibilities"));
    const int accountCount = values->value(QStringLiteral("accounts"));
    const int approverCount = values->value(QStringLiteral("approvers"));
    const int requesterCount = values->value(QStringLiteral("users"));
    const int assignmentCount = values->value(QStringLiteral("assignments"));
    const int pageSize = values->value(QStringLiteral("pageSize"));
    const int portalRate = values->value(QStringLiteral("portalRate"));
    QStringList normalised;
    for (const auto &k : kKeys)
        if (values->value(QLatin1String(k.name)) >= 0)
            normalised << QStringLiteral("%1=%2")
                              .arg(QLatin1String(k.name))
                              .arg(values->value(QLatin1String(k.name)));
    const std::string domain = demo["tenant"].value("domain", std::string("contoso.example"));
    const OJson &firstUser = demo["users"][0];
    const std::string firstUpn = firstUser.value("userPrincipalName", std::string());

    OJson out;
    out["_comment"]
        = QStringLiteral("Generated by elevate-emulator --generate-scenario %1. The built-in demo's tenant, "
                         "app, applications, first user, SCIM job and settings; accounts \"Generated "
                         "NNNN\"; one group AWS-<account>-<permission set> per eligibility of the first "
                         "user, each with a policy: every third needs approval by one or two approvers "
                         "(approver001 is an Application Administrator), the others a justification "
                         "and/or a ticket. Requesters userNNNN share the first user's groups.")
              .arg(normalised.join(u','))
              .toStdString();
    out["tenant"] = demo["tenant"];
    out["app"] = demo["app"];
    if (demo.contains("applications"))
        out["applications"] = demo["applications"];

    OJson users = OJson::array({firstUser});
    std::vector<std::string> approvers;
    for (int q = 0; q < approverCount; ++q) {
        const QString number = QStringLiteral("%1").arg(q + 1, 3, 10, QLatin1Char('0'));
        const std::string upn = "approver" + number.toStdString() + '@' + domain;
        OJson u = {{"id", uuidFor(QStringLiteral("user:") + QString::fromStdString(upn))},
                   {"userPrincipalName", upn},
                   {"displayName", "Approver " + number.toStdString()},
                   {"mail", upn}};
        if (q == 0)
            u["roles"] = OJson::array({"Application Administrator"}); // may provision on demand
        users.push_back(u);
        approvers.push_back(upn);
    }
    std::vector<std::string> requesters;
    for (int r = 1; r < requesterCount; ++r) {
        const QString number = QStringLiteral("%1").arg(r, 4, 10, QLatin1Char('0'));
        const std::string upn = "user" + number.toStdString() + '@' + domain;
        users.push_back({{"id", uuidFor(QStringLiteral("user:") + QString::fromStdString(upn))},
                         {"userPrincipalName", upn},
                         {"displayName", "Requester " + number.toStdString()}});
        requesters.push_back(upn);
    }
    out["users"] = users;

    std::vector<std::string> accountIds;
    OJson accounts = OJson::array();
    for (int i = 0; i < accountCount; ++i) {
        // 12 digits, distinct (a linear step), not in a run a reader would take for a counter.
        const std::string id = QString::number(200'000'000'000LL + qint64(i) * 7'919'003LL).toStdString();
        const QString number = QStringLiteral("%1").arg(i + 1, 4, 10, QLatin1Char('0'));
        accounts.push_back({{"id", id},
                            {"name", "Generated " + number.toStdString()},
                            {"emailAddress", "aws-generated-" + number.toStdString() + '@' + domain}});
        accountIds.push_back(id);
    }
    out["awsAccounts"] = accounts;

    // Eligibility i of the first user: account i mod M, and there the permission sets in turn from a
    // different one per account, so every account and every set shows up and no pair repeats.
    const int setCount = int(kPermissionSets.size());
    std::vector<std::string> groupNames;
    OJson groups = OJson::array();
    for (int i = 0; i < eligibilityCount; ++i) {
        const int account = i % accountCount;
        const int set = (i / accountCount + account) % setCount;
        const std::string name
            = "AWS-" + accountIds[std::size_t(account)] + '-' + kPermissionSets[std::size_t(set)];
        groups.push_back({{"id", uuidFor(QStringLiteral("group:") + QString::fromStdString(name))},
                          {"displayName", name}});
        groupNames.push_back(name);
    }
    out["groups"] = groups;

    OJson eligibilities = OJson::array();
    for (int i = 0; i < eligibilityCount; ++i) {
        OJson e = {
            {"user", firstUpn}, {"group", groupNames[std::size_t(i)]}, {"startDaysFromNow", -(1 + i % 120)}};
        if (i % 4 == 0)
            e["end"] = nullptr; // permanent
        else
            e["endDaysFromNow"] = 30 + (i % 11) * 30;
        eligibilities.push_back(e);
    }
    const int perRequester = qMin(kPerRequester, eligibilityCount);
    for (std::size_t r = 0; r < requesters.size(); ++r)
        for (int t = 0; t < perRequester; ++t)
            eligibilities.push_back(
                {{"user", requesters[r]},
                 {"group", groupNames[std::size_t((int(r) * kPerRequester + t) % eligibilityCount)]},
                 {"startDaysFromNow", -30},
                 {"endDaysFromNow", 180}});
    out["eligibilities"] = eligibilities;

    OJson policies = OJson::array();
    for (int k = 0; k < eligibilityCount; ++k) {
        OJson p = {{"group", groupNames[std::size_t(k)]},
                   {"maximumDuration", kMaximumDurations[std::size_t(k % int(kMaximumDurations.size()))]}};
        const int round = k / 3;
        if (k % 3 == 0 && approverCount > 0) {
            OJson who = OJson::array({approvers[std::size_t(round % approverCount)]});
            if (approverCount > 1 && round % 2 == 1)
                who.push_back(approvers[std::size_t((round + 1) % approverCount)]);
            p["justification"] = true;
            p["ticket"] = round % 2 == 1;
            p["approval"] = true;
            p["approvers"] = who;
        } else if (k % 3 == 2) {
            p["justification"] = round % 2 == 1; // a ticket alone, or both
            p["ticket"] = true;
            p["approval"] = false;
        } else {
            p["justification"] = true;
            p["ticket"] = false;
            p["approval"] = false;
        }
        policies.push_back(p);
    }
    out["policies"] = policies;

    const OJson demoAws = demo.value("aws", OJson::object());
    OJson aws = OJson::object();
    aws["scimDelaySeconds"] = demoAws.value("scimDelaySeconds", 90);
    aws["sessionDuration"] = demoAws.value("sessionDuration", std::string("PT8H"));
    OJson sets = OJson::array();
    for (std::size_t s = 0; s < kPermissionSets.size(); ++s)
        sets.push_back({{"name", kPermissionSets[s]},
                        {"sessionDuration", kSessionDurations[s % kSessionDurations.size()]}});
    aws["permissionSets"] = sets;
    // A direct assignment takes the set account a's PIM groups would use last, so the two overlap only
    // when an account has every set through PIM.
    OJson assignments = OJson::array();
    for (int a = 0; a < assignmentCount; ++a)
        assignments.push_back({{"user", firstUpn},
                               {"accountId", accountIds[std::size_t(a)]},
                               {"roleName", kPermissionSets[std::size_t((a + setCount - 1) % setCount)]}});
    aws["assignments"] = assignments;
    aws["portalRateLimit"] = portalRate > 0
        ? OJson({{"requests", portalRate}, {"perSeconds", 1}})
        : demoAws.value("portalRateLimit", OJson({{"requests", 1000}, {"perSeconds", 1}}));
    if (demoAws.contains("scim"))
        aws["scim"] = demoAws["scim"];
    out["aws"] = aws;

    OJson settings = demo.value("settings", OJson::object());
    if (pageSize > 0)
        settings["graphPageSize"] = pageSize;
    out["settings"] = settings;

    std::string text;
    text.reserve(std::size_t(eligibilityCount) * 400 + 8192);
    write(text, out, true, std::string());
    text += '\n';
    result.json = QByteArray::fromStdString(text);
    return result;
}

} // namespace Elevate::Emulator

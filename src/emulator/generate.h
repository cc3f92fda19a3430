// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

namespace Elevate::Emulator {

/// A scenario made by generateScenario(), or why its spec was refused. Exactly one of the two is set.
struct GeneratedScenario
{
    QByteArray json; ///< the scenario (demo.json's format, loadable by Emulator::loadScenario())
    QString error; ///< one sentence naming the bad key and what it allows; empty on success

    bool ok() const { return error.isEmpty(); }
};

/**
 * Builds a scenario of any size from a spec `key=value,key=value`, for load tests, benchmarks and
 * demos of a large tenant. Keys (whole numbers):
 *   eligibilities=N  required, 1..20000: the first user's eligibilities, spread over the accounts;
 *                    at most 10 per account (one per permission set)
 *   accounts=M       required, 1..5000: AWS accounts, ids and names ("Generated 0001") fixed by M
 *   approvers=K      default 2, 0..100: approver users; every third policy needs one or two of them
 *   users=U          default 1, 1..1000: requesters, the first one included; the others get three
 *                    eligibilities each (fewer when N is smaller)
 *   assignments=A    default 0, 0..accounts: direct Identity Center assignments of the first user,
 *                    one role in each of the first A accounts (more than accounts is refused)
 *   pageSize=P       optional, 1..999: settings.graphPageSize (else the demo's)
 *   portalRate=R     optional, 1..100000: aws.portalRateLimit R requests per second (else the demo's)
 *
 * The tenant, the app, the applications, the first user (alex), the SCIM job and the settings are the
 * built-in demo's, so a configuration written for the demo works with any generated scenario. Groups
 * are the (account, permission set) pairs the first user is eligible for, named AWS-<account>-<set>,
 * each with a policy. The same spec always gives the same bytes: nothing random, no clock.
 */
GeneratedScenario generateScenario(const QString &spec);

} // namespace Elevate::Emulator

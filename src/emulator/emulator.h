// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <memory>

namespace Elevate::Emulator {

/**
 * A local stand-in for Entra ID v2 (discovery, authorize, token, device code), Microsoft Graph
 * PIM for Groups (me, groups, eligibilities, policies, assignment requests and instances), AWS IAM
 * Identity Center (SSO OIDC, the access portal API, console federation) and the SCIM sync between
 * them, driven by a scenario (JSON) and controlled through admin endpoints under /_emulator/. It
 * follows the documented contracts, quirks included; it is not Microsoft or AWS and never pretends to
 * be more than a test bed. Owns its HTTP server and all state; single-threaded (lives on the thread
 * that created it).
 *
 *   browser ─GET /{tenant}/oauth2/v2.0/authorize─▶ sign-in page (or auto sign-in) ─302─▶ loopback
 *   client  ─POST /{tenant}/oauth2/v2.0/token───▶ tokens (PKCE checked, RT rotated)
 *   client  ─GET  /graph/v1.0/...──────────────▶ Graph envelope, paged with @odata.nextLink
 *   client  ─POST /graph/v1.0/.../assignmentScheduleRequests─▶ PIM request lifecycle (pim.cpp)
 *   approver─GET|PATCH /graph/{v1.0,beta}/.../assignmentApprovals/{id}[/stages|steps/{id}]─▶ decisions
 *   admin   ─GET  /graph/v1.0/servicePrincipals/{sp}/synchronization/jobs[/{job}/schema]
 *           ─POST .../jobs/{job}/provisionOnDemand─▶ the user's group membership reaches AWS now (aws.cpp)
 *   IdC at the root (the AWS CLI's endpoint rule set points at the bare base URL):
 *   client  ─POST /client/register, /device_authorization, /token; GET /authorize─▶ SSO OIDC
 *   browser ─GET|POST /aws/device (verification page), /aws/signin; GET /aws/start (access portal)
 *   client  ─GET  /assignment/accounts|roles, /federation/credentials; POST /logout─▶ portal
 *           (header x-amz-sso_bearer_token)
 *   browser ─GET  /federation?Action=getSigninToken|login─▶ console federation
 *   bridge  ─POST /{tenant}/oauth2/v2.0/token grant_type=client_credentials─▶ app-only token (bridge.cpp)
 *           ─GET  /graph/v1.0/.../assignmentScheduleInstances?$filter=groupId eq '…', /groups, the SCIM job
 *   tests   ─/_emulator/{state,clock/advance,auto-sign-in,decide,settings,faults,applications,scim/job}
 *           DELETE /_emulator/groups/{id}
 *
 * Routing: each service file has a route table (routes.h): method, path pattern ({tenant}, OData keys
 * and functions as `filterByCurrentUser(on='{on}')`, a trailing **), handler and error shape. The
 * root's tables (emulator.cpp, graph.cpp, aws.cpp, entra.cpp) are looked up in that order; below
 * /graph/{version}/, once the bearer token is checked, pim.cpp's and graph.cpp's tables, or bridge.cpp's
 * for an app-only token. A route's error shape (Graph, Entra OAuth, AWS OIDC or portal) is what an
 * injected fault answers in; a wrong method is that service's 405 (on a page the lookup goes on).
 *
 * SCIM: a user holds role R in account A in Identity Center while a PIM activation of a group mapped to
 * A/R (scenario field `aws` of the group, else its name AWS-<12 digits>-<R>) is live, shifted by
 * scimDelaySeconds: it appears that long after the activation starts and goes that long after it ends.
 * Provision on demand syncs a group's members at once. Scenario `aws.assignments` are permanent.
 *
 * Approvals: a request that needs one has an approval (id = approvalId = request id) with one stage
 * (v1.0 `stages`, beta `steps`, id = approval id) that the group's approvers, never the requester, decide
 * with PATCH; POST /_emulator/decide takes the same path for tests. See pim.cpp for the status codes.
 *
 * Time is the emulator's clock (system UTC + an offset moved by advanceClock()); activations expire,
 * scheduled activations start and pending approvals lapse (24 h) on it, and every answer carries a
 * Date header from it.
 *
 * Authentication context: an authorize request (or code redemption) whose `claims` parameter asks for
 * access_token.acrs gets an access token carrying that `acrs`; a refresh_token grant asking for acrs
 * is refused (AADSTS50076, suberror basic_action) so the client must sign in interactively.
 *
 * Faults (POST /_emulator/faults) apply to any path but /_emulator/, first match first, one use per
 * matching request until `count` is used up:
 *  - with `status` or `drop` the fault replaces the answer: `when: "before"` (default) answers without
 *    processing the request; `when: "after"` processes it first, so the server acted but the client
 *    never sees the real answer. `drop` closes the connection without a status line. Note that
 *    QNetworkAccessManager silently re-sends a request once when a reused keep-alive connection closes
 *    before any byte of an answer (a fresh connection is not retried), so a QNAM client may need
 *    `count: 2` to see one failure, and a re-sent POST reaches the server again. `partial: true` (implies
 *    drop) is deterministic: it sends the status line, the headers and half the body, then closes
 *    before Content-Length is reached, which no client re-sends.
 *  - without them it decorates the real answer (the request is processed): `body` replaces the body,
 *  - in both cases `malformed` truncates the body (invalid JSON, consistent Content-Length),
 *    `retryAfter` adds a Retry-After header and `delayMs` answers that much later.
 *  - `headers` adds response headers (a list value repeats the header, e.g. two WWW-Authenticate lines).
 * Default bodies for a replaced status are Graph's (429 TooManyRequests, 503 serviceNotAvailable, ...),
 * on the Entra token and device-code endpoints OAuth's (`error`, AADSTS code, `claims`; `oauthError`).
 *
 * Two faces: the friendly one answers at once and prints what it stored. The realistic one
 * (ELEVATE_EMULATOR_PROFILE=realistic, read at construction, or setProfile()) is as awkward as the real
 * services are documented or reported to be; each behaviour is a setting (scenario `settings`, POST
 * /_emulator/settings; both override the profile):
 *  - replicationLagSeconds: readers see the state of that long ago (a request, its decision, a new or
 *    ended instance); writes act on the truth, so a POST's 201 is immediate and a re-activation right
 *    after an end is RoleAssignmentExists. Kept as the time of each change, not as timers.
 *  - enumCasing "pascal": enums and the misspelt createdDateTIme as the docs' examples print them.
 *  - filterOr false: `or` in a filterByCurrentUser $filter is a 400.
 *  - approvalInitializingSeconds: a new approval's stage is Initializing that long (no decision yet).
 *  - missingGroupInstances "empty" | "notFound" (realistic): an app's instance list for a missing group.
 * Lag and initializing run on the emulator's clock; /_emulator/state always shows the truth.
 */
class Emulator : public QObject
{
    Q_OBJECT
public:
    explicit Emulator(QObject *parent = nullptr);
    ~Emulator() override;

    /// Replaces all state with the scenario. On failure the previous state stays and `error` says why.
    bool loadScenario(const QByteArray &json, QString *error = nullptr);
    /// The built-in demo scenario (a requester, an approver, eligibilities over three accounts).
    bool loadBuiltInScenario();
    static QByteArray builtInScenario();

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0,
                QString *error = nullptr);
    /// http://HOST:PORT without a trailing slash; empty before listen().
    QUrl baseUrl() const;

    /// Signs the user with this UPN in without a page (the request's login_hint wins if it names a
    /// scenario user); empty shows the sign-in page again. The same for Identity Center's /authorize, and
    /// its device verification page approves for this user.
    void setAutoSignIn(const QString &user);
    /// Graph server-side page size (overrides the scenario's).
    void setPageSize(int n);
    /// Seconds from a PIM activation (or its end) to the assignment in Identity Center (or its end).
    void setScimDelay(qint64 seconds);
    /// "realistic" or "friendly" (see the class comment); applies the profile's settings now and at
    /// every loadScenario() (whose own settings win). False for another name.
    bool setProfile(const QString &profile);

    /// Writes the AWS CLI's endpoint rule sets for `sso` and `sso-oidc` (aws-sso.md §6.2) under `dir`
    /// (DIR/sso/2019-06-10/endpoint-rule-set-1.json and DIR/sso-oidc/...), pointing at `endpoint`, so that
    /// `AWS_DATA_PATH=DIR /usr/bin/aws ...` (CLI 2.9) talks to it.
    static bool writeAwsCliEndpointRulesFor(const QUrl &endpoint, const QString &dir,
                                            QString *error = nullptr);
    /// The same for this emulator's base URL; false before listen().
    bool writeAwsCliEndpointRules(const QString &dir, QString *error = nullptr) const;

    /// An Elevate configuration pointing at this emulator.
    QByteArray configJson() const;
    /// Writes an elevate-bridge configuration for this emulator to `file` (0600): the app's
    /// configuration with the scenario's first application (`applications`) as entra.clientId and a
    /// "bridge" object: clientSecretFile DIR/BASE.secret (written 0600, the application's secret),
    /// pollSeconds 10, statePath DIR/BASE.sqlite. Existing files are replaced. False before listen() or
    /// without an application.
    bool writeBridgeConfig(const QString &file, QString *error = nullptr) const;
    /// The clientId of the scenario's first application (the bridge's); empty without one.
    QString bridgeClientId() const;
    QString tenantId() const;
    QString clientId() const;

    /// Users, eligibilities, grants (live activations), PIM requests, the HTTP requests served, every
    /// Entra token issued (so tests can look for leaks), Identity Center (`aws`: assignments, SCIM,
    /// credentials and sign-in tokens without secrets) and its secrets apart (`awsSecrets`); the same
    /// JSON as GET /_emulator/state.
    QJsonObject state() const;
    void advanceClock(qint64 seconds);
    QDateTime now() const;

    struct Private;

private:
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Emulator

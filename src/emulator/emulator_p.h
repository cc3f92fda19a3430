// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal state of the emulator, shared by its Entra, Graph, PIM, IAM Identity Center and admin parts.

#include "emulator.h"
#include "routes.h"

#include <QHash>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QList>
#include <QUrlQuery>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <vector>

namespace Elevate::Emulator {

using Json = nlohmann::json;

struct User
{
    QString id, upn, displayName, mail;
    QStringList roles; // directory roles, e.g. "Application Administrator"
};

struct Group
{
    QString id, displayName, description;
    // The Identity Center account and permission set the group is assigned to (scenario field "aws");
    // empty: the display name decides (AWS-<12 digits>-<permission set>).
    QString awsAccountId, awsRoleName;
};

struct EligibilityRecord
{
    QString id, userId, groupId, accessId, memberType;
    QString viaGroupId; // memberType "group": the group through whose membership the user is eligible
    QDateTime start, end; // end invalid = permanent
};

struct AuthCode
{
    QString userId, clientId, redirectUri, challenge, challengeMethod, nonce, tenantPath;
    QStringList scopes;
    QStringList acrs; // authentication context class references asked for with `claims`
    bool mfa = false;
    QDateTime expires;
    bool used = false;
};

struct RefreshToken
{
    QString userId, clientId;
    QStringList scopes;
    QDateTime lastUsed;
    bool revoked = false;
    bool mfa = false; // the sign-in it came from was multi-factor: so are the tokens it refreshes
};

struct AccessToken
{
    QString userId;
    QStringList scopes; // short names, e.g. "User.Read"
    QDateTime expires;
    QStringList acrs; // the token's `acrs` claim: satisfied authentication contexts, e.g. "c1"
    bool mfa = false; // `amr` contains "mfa"
    // App-only tokens (client credentials, bridge.cpp): no user; `appId` is the application's clientId
    // and `roles` its application permissions. Every Graph route tells the two apart by `app`.
    bool app = false;
    QString appId;
    QStringList roles;
};

/// A confidential application registration (scenario `applications`, POST /_emulator/applications):
/// the bridge signs in as one with the client-credentials grant (bridge.cpp).
struct Application
{
    QString clientId, displayName;
    QString secret; // never logged; generated at load when the scenario gives none
    bool secretExpired = false;
    struct Certificate
    {
        QString x5tS256, x5t; // base64url SHA-256 / SHA-1 of the DER certificate; x5t may be empty
    };
    QList<Certificate> certificates;
    QStringList roles; // application permissions granted (admin-consented)
    QStringList ownerOf; // service principal ids this app's service principal owns
    QString servicePrincipalId; // stable from the clientId
};

/// The PIM policy of one group role (member or owner): the four EndUser Assignment rules.
struct Policy
{
    QString groupId;
    QString accessId = QStringLiteral("member");
    QString maximumDuration = QStringLiteral("PT8H"); // as the scenario wrote it
    qint64 maximumSecs = 8 * 3600;
    bool justification = true, ticket = false, mfa = false, approval = false;
    bool approverJustification = true; // isApproverJustificationRequired: a decision needs a reason
    QString authContext; // claim value, e.g. "c1"; empty: no authentication context
    QStringList approverIds;
};

/// A privilegedAccessGroupAssignmentScheduleRequest and what became of it.
struct PimRequest
{
    QString id, action, accessId, groupId, principalId, createdBy, status;
    QDateTime created, completed; // completed invalid: null
    QString justification; // empty: null
    bool hasJustification = false;
    QString ticketNumber, ticketSystem;
    bool hasTicketNumber = false, hasTicketSystem = false;
    // Activations: the schedule as requested and the window it grants.
    QString expirationType, duration;
    QDateTime requestedStart, requestedEnd;
    QDateTime start; // normalised start (server time for immediate activations)
    qint64 durationSecs = 0; // afterDuration
    bool fixedEnd = false; // afterDateTime: requestedEnd is the end
    bool approvalRequired = false;
    bool validationOnly = false;
    // The approval (id = approvalId = request id) and its one stage (id = approval id): InProgress while
    // pending, Completed once decided (or canceled by the requester), Expired when the 24 h lapse.
    QString stageStatus;
    // The approver's decision (PATCH .../stages/{id}, .../steps/{id} or POST /_emulator/decide):
    // reviewResult is Approved or Denied, empty while not reviewed.
    QString reviewerId, reviewResult, reviewJustification;
    QDateTime reviewed;
    /// What the grant is doing, for /_emulator/state: scheduled, active, expired, revoked or empty.
    QString grantState;
    bool seeded = false; // from the scenario's `requests`: it stays in its status until decided or canceled
    // Replication lag: when this version came to be (created, then each change), and the version before
    // it, so a reader can be shown the request as it was `replicationLagSeconds` ago.
    QDateTime changed;
    std::shared_ptr<const PimRequest> previous;
    QString targetScheduleId() const;
};

/// A live privilegedAccessGroupAssignmentScheduleInstance: an activation, or a permanent assignment from
/// the scenario's `assignments` (assignmentType "assigned", no request, no end).
struct AssignmentInstance
{
    QString id, requestId, userId, groupId, accessId;
    QDateTime start, end;
    QString memberType = QStringLiteral("direct"), assignmentType = QStringLiteral("activated");
    QString principalId; // empty: userId; memberType "group": the group the user is a member of
    QDateTime appeared, ended; // when it became live and (in endedInstances) when it ended, for the lag
};

/// One injected fault (POST /_emulator/faults); see Emulator's class comment.
struct Fault
{
    QString path, method; // path: substring of the request path; method empty: any
    QString query; // substring of the decoded query string (e.g. "account_id=1234…"); empty: any
    int status = 0; // 0: keep the real answer's status
    QByteArray retryAfter;
    int delayMs = 0;
    std::optional<QByteArray> body;
    bool malformed = false, drop = false, partial = false, after = false;
    int count = 1;
    QList<QPair<QByteArray, QByteArray>> headers; // added to the answer, a name may repeat
    QString oauthError, claims; // the Entra token endpoint's OAuth body: `error` and `claims`
    Json toJson() const;
};

/// One request the server answered, for /_emulator/state (tests count POSTs with it).
struct LogEntry
{
    QString method, path;
    int status = 0;
    bool processed = true;
    QString fault; // "", "before" or "after"
    QDateTime at;
};

struct DeviceCode
{
    QString userCode, clientId;
    QStringList scopes;
    QDateTime expires, lastPoll;
    int interval = 5;
    enum class Status { Pending, Approved, Declined } status = Status::Pending;
    QString userId;
};

// IAM Identity Center (aws.cpp) -------------------------------------------------------------------

/// A RegisterClient registration (SSO OIDC), keyed by clientId.
struct AwsClient
{
    QString secret, name, issuerUrl;
    QStringList scopes, grantTypes, redirectUris;
    QDateTime issued, expires;
};

/// A StartDeviceAuthorization, keyed by deviceCode; the verification page approves or denies it.
struct AwsDeviceAuth
{
    QString clientId, userCode, userId;
    QDateTime expires, lastPoll;
    int interval = 1;
    enum class Status { Pending, Approved, Denied } status = Status::Pending;
};

/// An authorization code of GET /authorize (PKCE S256), keyed by the code.
struct AwsAuthCode
{
    QString clientId, redirectUri, challenge, userId;
    QDateTime expires;
    bool used = false;
};

/// One sign-in to Identity Center (a device or code flow). Its tokens die with it: POST /logout or the
/// end of the session (aws.sessionDuration after the sign-in).
struct AwsSession
{
    QString userId, clientId;
    QDateTime start, end;
    bool loggedOut = false;
    /// "account/role" of the user's group-based assignments at sign-in (settings
    /// portalMembershipSnapshot): refreshes keep it, the portal shows no role added after it.
    QStringList snapshot;
};

struct AwsAccessToken
{
    QString sessionId;
    QDateTime expires;
};

struct AwsRefreshToken
{
    QString sessionId, clientId;
    bool used = false; // rotated: each use gives a new one and kills this one
};

/// Role credentials handed out by GetRoleCredentials (they stay valid until they expire, logout or not).
struct AwsRoleCredentials
{
    QString accessKeyId, secretAccessKey, sessionToken, accountId, roleName, userId;
    QDateTime issued, expiration;
};

/// A console sign-in token of GET /federation?Action=getSigninToken: single use, 15 minutes.
struct AwsSigninToken
{
    QString accountId, roleName, userId, accessKeyId;
    QDateTime issued, expires, sessionEnd;
    bool used = false;
};

/// One PIM activation as the SCIM emulation saw it: the user's Entra membership of a group, from start
/// to end. Identity Center learns of it scimDelaySeconds later, or at a provision on demand.
struct ScimMembership
{
    QString instanceId, userId, groupId, accessId;
    QDateTime start, end; // end: when it ended or will end; invalid: open
    QDateTime syncedIn, syncedOut; // when a provision on demand pushed the start, the end
    bool gone = false; // the activation is over (expired or deactivated)
};

/// A user's role in an Identity Center account (a permission set assigned through a group or directly).
struct AwsAssignment
{
    QString userId, accountId, roleName;
    QDateTime since; // invalid: a permanent scenario assignment
};

/// What comes in, already split up: method, decoded path segments, query, headers, body.
struct Request
{
    QHttpServerRequest::Method method;
    QString path; // decoded
    QStringList segments;
    QUrlQuery query;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray header(const char *name) const;
    /// The query value for `name`, accepting `$name`, `%24name` and `name`.
    QString odata(const QString &name) const;
};

struct Reply
{
    int status = 200;
    QByteArray contentType = "application/json; charset=utf-8";
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    static Reply json(const Json &j, int status = 200);
    static Reply html(const QString &html, int status = 200);
    static Reply redirect(const QString &to);
};

/// The routes at the root: a handler gets the path's params.
using Routes = RouteTable<Emulator::Private, RouteParams>;

/// What a Graph handler gets: the params of its path below /graph/{version}, the caller's token and user,
/// the service root for @odata.context and next links, the path itself ("/me") and the version.
struct GraphCall
{
    RouteParams params;
    const AccessToken &at;
    const User *user; // nullptr for an app-only token
    std::string root;
    QString path;
    bool beta = false;
};
/// The routes below /graph/{version}/, once the bearer token is checked.
using GraphRoutes = RouteTable<Emulator::Private, GraphCall>;

struct Emulator::Private
{
    Emulator *q = nullptr;
    QHttpServer server;
    QUrl base;
    qint64 clockOffsetSecs = 0;
    QByteArray signingKey;

    // scenario
    QString tenantId, tenantName, tenantDomain;
    QString clientId;
    QStringList redirectUris;
    bool allowPublicClientFlows = true;
    // app.consentedScopes: the Graph scopes (short names) the tenant consented to for the app; asking for
    // another is AADSTS65001, and `.default` gets these. Empty (no list): every scope is consented.
    QStringList consentedScopes;
    QList<User> users;
    QList<Group> groups;
    QList<EligibilityRecord> eligibilities;
    QList<QPair<QString, QString>> awsAccounts; // id, name
    int pageSize = 3;
    int deviceCodeInterval = 5;
    qint64 refreshTokenInactivitySecs = 90LL * 24 * 3600;
    QString autoSignInUpn;
    QList<Policy> policies;
    bool pimErrorsWrapped = true; // settings.pimErrorShape
    QString approvalTimeoutStatus = QStringLiteral("TimedOut"); // settings.approvalTimeoutStatus
    // The real services' awkward behaviour (settings; the realistic profile turns the first four on).
    bool realisticProfile = false; // ELEVATE_EMULATOR_PROFILE=realistic or setProfile()
    qint64 replicationLagMs = 0; // replicationLagSeconds
    bool pascalEnums = false; // enumCasing "pascal"
    bool filterOr = true; // filterOr
    qint64 approvalInitializingMs = 0; // approvalInitializingSeconds
    QStringList policyReadForbidden; // group ids whose policy read answers 403
    QStringList groupExpandNull; // group ids whose `group` is null in any $expand

    // PIM state
    QList<PimRequest> pimRequests;
    QList<AssignmentInstance> instances;
    QList<AssignmentInstance> endedInstances; // gone, but still listed for replicationLagSeconds
    QList<Fault> faults;
    QList<LogEntry> httpLog;
    // Confidential applications and app-only state (bridge.cpp)
    QList<Application> applications;
    QHash<QString, QDateTime> usedAssertionIds; // client assertion jti -> its exp (replays are refused)
    QString scimScheduleState = QStringLiteral("Active"); // POST /_emulator/scim/job
    QString scimStatusCode = QStringLiteral("Active");
    QString scimQuarantineReason;
    QDateTime scimStoppedAt; // when the job stopped running (invalid: it runs)
    bool missingGroupNotFound = false; // settings.missingGroupInstances "notFound" (else "empty")
    QHash<QString, qint64> callCounts; // non-admin requests per service (state "calls")

    // issued
    QHash<QString, AuthCode> codes;
    QHash<QString, RefreshToken> refreshTokens;
    QHash<QString, AccessToken> accessTokens;
    QStringList idTokens;
    QHash<QString, DeviceCode> deviceCodes; // by device_code
    QHash<QString, QUrlQuery> pendingSignIns; // sign-in page id -> authorize parameters

    // IAM Identity Center: scenario (aws.*)
    QHash<QString, QString> awsAccountEmails; // account id -> emailAddress
    QHash<QString, qint64> permissionSetSecs; // permission set -> session duration
    QList<AwsAssignment> awsFixedAssignments; // aws.assignments: roles without PIM
    qint64 scimDelaySecs = 0;
    qint64 awsSessionSecs = 8 * 3600;
    int portalRateRequests = 1000, portalRatePerSecs = 1;
    bool federationRefusesSessionDuration = false; // settings.federationRefusesSessionDuration
    QString scimSpId, scimJobId, scimRuleId, scimInterval;
    bool portalMembershipSnapshot = false; // settings.portalMembershipSnapshot
    qint64 portalCredentialsLagSecs = 0; // settings.portalCredentialsLagSeconds
    QList<QStringList> awsAuthorizeParams; // the parameter names of each GET /authorize, for tests
    // IAM Identity Center: issued and observed
    QHash<QString, AwsClient> awsClients;
    QHash<QString, AwsDeviceAuth> awsDeviceAuths;
    QHash<QString, AwsAuthCode> awsCodes;
    QHash<QString, AwsSession> awsSessions;
    QHash<QString, AwsAccessToken> awsAccessTokens;
    QHash<QString, AwsRefreshToken> awsRefreshTokens;
    QList<AwsRoleCredentials> awsCredentials;
    QHash<QString, AwsSigninToken> awsSigninTokens;
    QHash<QString, QUrlQuery> awsPendingSignIns; // sign-in page id -> /authorize parameters
    QHash<QString, QList<qint64>> portalHits; // bearer token -> request times (ms, real clock)
    QList<qint64> podHits; // provisionOnDemand times (ms, real clock)
    QList<ScimMembership> scimMemberships;
    std::vector<Json> podCalls; // provisionOnDemand calls, for /_emulator/state

    QDateTime now() const { return QDateTime::currentDateTimeUtc().addSecs(clockOffsetSecs); }
    const User *userByUpn(const QString &upn) const;
    const User *userById(const QString &id) const;
    const Group *groupById(const QString &id) const;
    bool parseScenario(const Json &j, QString *error);
    /// app.consentedScopes (entra.cpp); absent: no scope is refused.
    bool parseAppConsent(const Json &app, QString *error);
    /// The requested Graph scopes the app has no consent for (OIDC scopes and `.default` never count).
    QStringList unconsentedScopes(const QStringList &scopes) const;
    bool parsePolicies(const Json &list, QString *error);

    void serve(const QHttpServerRequest &req, QHttpServerResponder &&responder);
    // Routing: one table per service file, built once, looked up in this order; the first route whose
    // pattern fits decides (see RouteTable). A wrong method on an AWS OIDC or portal route is a 405 in
    // AWS's shape; on any other route the lookup goes on (and ends in the 404 page).
    static const Routes &rootRoutes(); // emulator.cpp: the home page, /_emulator/...
    static const Routes &graphRoutes(); // graph.cpp: /graph/{v1.0,beta}/..., servicePrincipals apart
    static const Routes &awsRoutes(); // aws.cpp: IAM Identity Center at the root and under /aws/
    static const Routes &entraRoutes(); // entra.cpp: /{tenant}/oauth2/v2.0/..., sign-in pages
    static const GraphRoutes &graphResourceRoutes(); // graph.cpp: $batch, /me, groups, eligibilities
    static const GraphRoutes &pimRoutes(); // pim.cpp: policies, requests, approvals, instances
    static const GraphRoutes &appRoutes(); // bridge.cpp: what an app-only token may call
    /// The route for `r` (route nullptr: none, the 404 page); methodAllowed false: a 405 in its shape.
    static Routes::Match findRoute(const Request &r);
    Reply dispatch(const Request &r, const Routes::Match &route);
    Reply route(const Request &r, const Routes::Match &route);
    Reply route(const Request &r) { return route(r, findRoute(r)); }
    /// An injected fault's answer for a route of this shape, when the fault gives a status but no body.
    Reply faultReply(const Request &r, const Fault &f, ErrorShape shape);
    Reply admin(const Request &r);
    Json stateJson();
    Reply faultsAdmin(const Request &r, const Json &body);
    Reply decide(const Json &body); // POST /_emulator/decide
    Reply settingsAdmin(const Json &body);
    /// The realism settings in `j` (a scenario's settings or a POST): checked, and applied only if all
    /// are valid and `apply`; the error says what is wrong.
    std::optional<QString> realismSettings(const Json &j, bool apply);
    Json realismSettingsJson() const;
    void applyProfile();
    /// The emulator's clock minus replicationLagSeconds: what readers are shown is the state of then.
    QDateTime visibleAsOf() const { return now().addMSecs(-replicationLagMs); }
    /// The version of `p` a reader sees now (replication lag); nullptr: not visible yet.
    const PimRequest *visible(const PimRequest &p) const;
    /// Keeps the version of `p` before a change that happens at `at` (call before changing it).
    void touch(PimRequest &p, const QDateTime &at);
    /// An enum value as this emulator prints it: the docs' PascalCase with enumCasing "pascal".
    std::string enumText(const QString &camel) const;
    /// Whether an $expand of `group` shows this group (settings.groupExpandNull: null instead).
    bool expandsGroup(const QString &groupId) const { return !groupExpandNull.contains(groupId); }
    /// The approval stage's status now: InProgress is Initializing for approvalInitializingSeconds.
    QString stageStatusNow(const PimRequest &p) const;
    /// Ends a live instance at `at`: it leaves `instances` and stays listed through the lag.
    QList<AssignmentInstance>::iterator endInstance(QList<AssignmentInstance>::iterator it,
                                                    const QDateTime &at);
    // Entra
    Reply discovery(const QString &tenant);
    Reply authorize(const Request &r, const QString &tenant);
    Reply signInPost(const Request &r);
    Reply completeSignIn(const QUrlQuery &params, const User &user);
    Reply token(const Request &r, const QString &tenant);
    // The token endpoint's grants, once the client, the scopes and their consent are checked.
    Reply redeemCode(const Request &r, const QUrlQuery &form, const QStringList &scopes, bool clientInfo);
    Reply redeemRefreshToken(const Request &r, const QUrlQuery &form, const QStringList &scopes,
                             bool clientInfo);
    Reply redeemDeviceCode(const Request &r, const QUrlQuery &form, bool clientInfo);
    Reply deviceCode(const Request &r, const QString &tenant);
    Reply deviceLogin(const Request &r);
    Reply issueTokens(const QString &userId, const QString &clientId, const QStringList &scopes,
                      const QString &nonce, bool clientInfo, const QStringList &acrs = {}, bool mfa = false);
    Reply entraError(const Request &r, const QString &error, int code, const QString &description,
                     int status = 400, const QString &suberror = {});
    bool tenantMatches(const QString &tenant) const;
    bool redirectUriRegistered(const QString &uri) const;
    QString makeJwt(const Json &payload) const;
    // Graph
    Reply graph(const Request &r, const QStringList &rest);
    // App-only (bridge.cpp): applications, the client-credentials grant, Graph for app tokens
    bool parseApplications(const Json &scenario, QString *error);
    std::optional<Application> parseApplication(const Json &j, QString *error) const;
    const Application *applicationById(const QString &clientId) const;
    Reply clientCredentials(const Request &r, const QUrlQuery &form);
    /// A client_assertion (a JWT signed with one of the app's certificates) checked: the refusal, or nullopt.
    std::optional<Reply> checkClientAssertion(const Request &r, const QUrlQuery &form,
                                              const Application &app);
    /// What an app-only token gets for a path appRoutes() does not have.
    Reply appGraphNotFound(const Request &r, const QStringList &rest);
    /// Whether an app token may read (write: also change) the SCIM job of scimSpId.
    bool appMaySync(const AccessToken &at, bool write) const;
    /// The job's state as the jobs list shows it, and whether its regular cycle runs.
    bool scimJobRuns() const { return scimScheduleState == u"Active" && scimStatusCode == u"Active"; }
    std::optional<Reply> bridgeAdmin(const Request &r, const QString &what, const Json &body);
    Json applicationsStateJson() const;
    Reply graphError(const Request &r, int status, const QString &code, const QString &message,
                     const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    Reply pimError(const Request &r, int status, const QString &code, const QString &message);
    Json eligibilityJson(const EligibilityRecord &e, int index, bool expandGroup) const;
    Json groupJson(const QString &groupId) const;
    /// One page of `items` (pageSize, or `top` when above 0), with an @odata.nextLink to the next.
    Reply pagedCollection(const Request &r, const std::string &root, const QString &path,
                          const std::string &entitySet, const std::vector<Json> &items, int top = 0);
    /// POST /{version}/$batch (batch.cpp): up to 20 steps answered one by one; batchStep runs one.
    Reply batch(const Request &r, const QString &version);
    Reply batchStep(const Request &sub);

    // PIM for Groups: policies and the assignment request lifecycle (pim.cpp)
    Reply policyAssignments(const Request &r, const AccessToken &at, const std::string &root);
    Reply createRequest(const Request &r, const AccessToken &at, const User &user, const std::string &root);
    /// selfDeactivate: ends the caller's activation `p` names (201), or says why not.
    Reply deactivateRequest(const Request &r, PimRequest p, const User &user, const std::string &root);
    Reply listRequests(const Request &r, const QString &on, const User &user, const std::string &root,
                       const QString &path);
    Reply cancelRequest(const Request &r, const QString &id, const User &user);
    /// user nullptr: an app-only caller, who sees every principal's instances (bridge.cpp checks its filter).
    Reply listInstances(const Request &r, const User *user, const std::string &root, const QString &path);
    Policy policyFor(const QString &groupId, const QString &accessId) const;
    Json policyAssignmentJson(const Policy &p, bool expandPolicy, bool expandRules) const;
    /// groupSelect: the properties of an expanded group (`group($select=id,displayName)`); empty: all.
    Json requestJson(const PimRequest &p, bool inCollection, bool expandGroup, bool expandPrincipal,
                     const QStringList &groupSelect = {}) const;
    Json instanceJson(const AssignmentInstance &i, bool expandGroup) const;
    PimRequest *findRequest(const QString &id);

    // Approvals of requests that need one (pim.cpp): GET, the approver's list, PATCH of the stage.
    Reply reviewStage(const Request &r, const QString &approvalId, const QString &stageId, const User &user);
    /// The policy's approvers but not the requester: who may decide (whatever the stage's status).
    bool mayDecide(const PimRequest &p, const QString &userId) const;
    /// The requester and the group's approvers see an approval; nobody else does.
    bool maySeeApproval(const PimRequest &p, const QString &userId) const;
    /// Records a decision on the pending request's stage and moves the request on (Provisioned, or
    /// Granted ahead of a future start; Denied). The caller has checked who decides and the status.
    void recordDecision(PimRequest &p, const QString &approverId, bool approve, const QString &justification);
    Json approvalJson(const PimRequest &p, const User &caller, bool beta) const;
    Json stageJson(const PimRequest &p, const User &caller, bool beta) const;
    /// Clock-driven transitions: scheduled grants start, activations expire, approvals lapse.
    void advanceState();
    void provision(PimRequest &p, const QDateTime &from);
    bool isEligible(const QString &userId, const QString &groupId, const QString &accessId) const;
    bool parseAssignmentsAndRequests(const Json &scenario, QString *error);
    /// An entraError for a fault on the token or device-code endpoint (entra-auth.md §4.1).
    Reply entraFault(const Request &r, const Fault &f);

    // IAM Identity Center (aws.cpp): OIDC, portal, console federation, SCIM sync, provision on demand
    bool parseAws(const Json &scenario, QString *error);
    /// /graph/{v1.0,beta}/servicePrincipals/...: the SCIM job, its schema, provisionOnDemand.
    Reply synchronization(const Request &r, const QStringList &rest);
    /// The SCIM job as Graph lists it, and its schema (one rule) under the jobs' @odata.context.
    Json scimJobJson() const;
    Json scimSchemaJson(const std::string &spContext) const;
    /// The AWS-shaped answer of an injected fault (shape AwsOidc or AwsPortal).
    Reply awsFault(ErrorShape shape, int status);
    /// The 405 of an AWS OIDC or portal route for a method it does not take.
    Reply awsMethodNotAllowed(ErrorShape shape, const Request &r);
    std::optional<Reply> awsSettings(const Json &body); // nullopt: applied (or nothing to apply)
    /// portalMembershipSnapshot and portalCredentialsLagSeconds in `j` (scenario settings or a POST):
    /// checked, applied only if valid and `apply`; the error says what is wrong.
    std::optional<QString> awsPortalSettings(const Json &j, bool apply);
    /// The realistic profile's Identity Center settings (called by applyProfile()).
    void applyAwsProfile();
    /// What the portal shows a session: awsAssignments(), less what its sign-in snapshot lacks.
    /// `accountId`: only that account's (a portal call about one account among thousands).
    QList<AwsAssignment> awsSessionAssignments(const AwsSession &session,
                                               const QString &accountId = {}) const;
    Json awsSettingsJson() const;
    Json awsStateJson();
    Json awsSecretsJson() const;
    /// Notes PIM activations as they come and go (instances), so SCIM can follow them with its delay.
    void observeMemberships();
    /// The user's Identity Center assignments now; empty userId: everybody's.
    QList<AwsAssignment> awsAssignments(const QString &userId = {}, const QString &accountId = {}) const;
    std::optional<std::pair<QString, QString>> awsTargetOf(const QString &groupId) const;
    QString awsAccountName(const QString &accountId) const;
    QStringList awsKnownAccounts() const;
    // (the handlers)
    Reply oidcRegister(const Request &r);
    Reply oidcDeviceAuthorization(const Request &r);
    Reply oidcToken(const Request &r);
    Reply oidcAuthorize(const Request &r);
    Reply awsSignInPost(const Request &r);
    Reply awsCompleteSignIn(const QUrlQuery &params, const User &user);
    Reply awsDevicePage(const Request &r);
    Reply awsIssueTokens(const QString &sessionId, const AwsClient &client);
    QString awsNewSession(const QString &userId, const QString &clientId);
    /// The access portal's checks before any operation (a live bearer token of a live session, the
    /// rate limit): the refusal, or nullopt and the caller's session.
    std::optional<Reply> portalCaller(const Request &r, QString *sessionId);
    Reply portalLogout(const Request &r);
    Reply portalRoleCredentials(const Request &r);
    Reply portalAccounts(const Request &r);
    Reply portalRoles(const Request &r);
    /// ListAccounts (accounts) or ListAccountRoles, paged alike.
    Reply portalList(const Request &r, bool accounts);
    bool awsAccountKnown(const QString &accountId) const;
    Reply federation(const Request &r);
    Reply awsStartPage();
    Reply provisionOnDemand(const Request &r, const QString &caller);
};

QString randomToken(int bytes);
QString newGuid();
QString formatTime(const QDateTime &t, int fractionDigits);
/// RFC 7231 IMF-fixdate, e.g. "Tue, 02 Jun 2025 09:15:03 GMT".
QByteArray httpDate(const QDateTime &t);
/// ISO 8601 duration (PnDTnHnMnS, fractions allowed) in seconds; -1 if it is not one.
qint64 parseIsoDuration(const QString &s);
QString methodName(QHttpServerRequest::Method m);

} // namespace Elevate::Emulator

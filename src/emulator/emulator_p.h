// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal state of the emulator, shared by its Entra, Graph and admin parts.

#include "emulator.h"

#include <QHash>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QList>
#include <QUrlQuery>

#include <nlohmann/json.hpp>

#include <optional>

namespace Elevate::Emulator {

using Json = nlohmann::json;

struct User
{
    QString id, upn, displayName, mail;
};

struct Group
{
    QString id, displayName, description;
};

struct EligibilityRecord
{
    QString id, userId, groupId, accessId, memberType;
    QDateTime start, end; // end invalid = permanent
};

struct AuthCode
{
    QString userId, clientId, redirectUri, challenge, challengeMethod, nonce, tenantPath;
    QStringList scopes;
    QDateTime expires;
    bool used = false;
};

struct RefreshToken
{
    QString userId, clientId;
    QStringList scopes;
    QDateTime lastUsed;
    bool revoked = false;
};

struct AccessToken
{
    QString userId;
    QStringList scopes; // short names, e.g. "User.Read"
    QDateTime expires;
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
    QList<User> users;
    QList<Group> groups;
    QList<EligibilityRecord> eligibilities;
    QList<QPair<QString, QString>> awsAccounts; // id, name
    int pageSize = 3;
    int deviceCodeInterval = 5;
    qint64 refreshTokenInactivitySecs = 90LL * 24 * 3600;
    QString autoSignInUpn;

    // issued
    QHash<QString, AuthCode> codes;
    QHash<QString, RefreshToken> refreshTokens;
    QHash<QString, AccessToken> accessTokens;
    QStringList idTokens;
    QHash<QString, DeviceCode> deviceCodes; // by device_code
    QHash<QString, QUrlQuery> pendingSignIns; // sign-in page id -> authorize parameters

    QDateTime now() const { return QDateTime::currentDateTimeUtc().addSecs(clockOffsetSecs); }
    const User *userByUpn(const QString &upn) const;
    const User *userById(const QString &id) const;
    const Group *groupById(const QString &id) const;
    bool parseScenario(const Json &j, QString *error);

    Reply dispatch(const Request &r);
    Reply admin(const Request &r);
    // Entra
    Reply discovery(const QString &tenant);
    Reply authorize(const Request &r, const QString &tenant);
    Reply signInPost(const Request &r);
    Reply completeSignIn(const QUrlQuery &params, const User &user);
    Reply token(const Request &r, const QString &tenant);
    Reply deviceCode(const Request &r, const QString &tenant);
    Reply deviceLogin(const Request &r);
    Reply issueTokens(const QString &userId, const QString &clientId, const QStringList &scopes,
                      const QString &nonce, bool clientInfo);
    Reply entraError(const Request &r, const QString &error, int code, const QString &description,
                     int status = 400, const QString &suberror = {});
    bool tenantMatches(const QString &tenant) const;
    bool redirectUriRegistered(const QString &uri) const;
    QString makeJwt(const Json &payload) const;
    // Graph
    Reply graph(const Request &r, const QStringList &rest);
    Reply graphError(const Request &r, int status, const QString &code, const QString &message,
                     const QList<QPair<QByteArray, QByteArray>> &extraHeaders = {});
    Reply pimError(const Request &r, int status, const QString &code, const QString &message);
    Json eligibilityJson(const EligibilityRecord &e, int index, bool expandGroup) const;
};

QString randomToken(int bytes);
QString newGuid();
QString formatTime(const QDateTime &t, int fractionDigits);

} // namespace Elevate::Emulator

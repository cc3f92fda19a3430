// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QObject>

#include <functional>

namespace Elevate::Core {

/**
 * How service clients (graph, aws) get bearer tokens without knowing about sign-in. Implemented by
 * the auth layer. The callback runs exactly once, on the caller's thread, and not at all if
 * `context` is destroyed first.
 */
class AccessTokenProvider
{
public:
    using Callback = std::function<void(Result<QString>)>;
    virtual ~AccessTokenProvider() = default;

    /// A token for `resource` (e.g. "https://graph.microsoft.com"), from memory or a silent refresh.
    virtual void requestAccessToken(const QString &resource, QObject *context, Callback callback) = 0;

    /// The service rejected `token` (HTTP 401): forget it, so the next request refreshes.
    virtual void invalidateAccessToken(const QString &resource, const QString &token) = 0;

    /**
     * A claims challenge (MFA / authentication context step-up, CAE): a new token for `resource`
     * whose sign-in satisfied `claims` (JSON), silently if the session allows it, else through one
     * interactive sign-in. The result replaces the cached token. Default: not supported.
     */
    virtual void requestStepUpToken(const QString &resource, const QString &claims, QObject *context,
                                    Callback callback)
    {
        Q_UNUSED(resource)
        Q_UNUSED(claims)
        Q_UNUSED(context)
        callback(Error::make(Error::Kind::InteractionRequired,
                             QStringLiteral("this sign-in cannot answer a claims challenge")));
    }
};

} // namespace Elevate::Core

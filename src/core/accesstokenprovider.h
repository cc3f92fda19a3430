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
};

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "result.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>
#include <optional>

namespace Elevate::Core {

/**
 * Where secrets (refresh tokens) live. Asynchronous because OS keychains are. Every callback runs
 * exactly once, on the caller's thread, and not at all if `context` is destroyed first.
 * Errors are Kind::Keychain with a sentence-ready message; there is never a plaintext fallback.
 */
class SecretStore
{
public:
    using ReadCallback = std::function<void(Result<std::optional<QByteArray>>)>; // nullopt = no entry
    using WriteCallback = std::function<void(Result<void>)>;
    virtual ~SecretStore() = default;
    virtual void read(const QString &key, QObject *context, ReadCallback callback) = 0;
    virtual void write(const QString &key, const QByteArray &value, QObject *context, WriteCallback callback)
        = 0;
    /// Removing an entry that does not exist succeeds.
    virtual void remove(const QString &key, QObject *context, WriteCallback callback) = 0;
};

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/secretstore.h"

#include <QHash>

namespace Elevate::Auth {

using Core::SecretStore;

/// SecretStore on the OS keychain through qtkeychain (Secret Service, Keychain, Credential Manager).
/// All entries live under one service name. Insecure fallback is never enabled.
class KeychainSecretStore final : public SecretStore
{
public:
    explicit KeychainSecretStore(QString service);
    void read(const QString &key, QObject *context, ReadCallback callback) override;
    void write(const QString &key, const QByteArray &value, QObject *context,
               WriteCallback callback) override;
    void remove(const QString &key, QObject *context, WriteCallback callback) override;

private:
    QString m_service;
};

/// SecretStore in memory, for tests of code that needs one; optionally failing like a locked keychain.
class InMemorySecretStore final : public SecretStore
{
public:
    void read(const QString &key, QObject *context, ReadCallback callback) override;
    void write(const QString &key, const QByteArray &value, QObject *context,
               WriteCallback callback) override;
    void remove(const QString &key, QObject *context, WriteCallback callback) override;
    void setFailing(bool failing) { m_failing = failing; }
    QHash<QString, QByteArray> entries() const { return m_entries; }

private:
    QHash<QString, QByteArray> m_entries;
    bool m_failing = false;
};

} // namespace Elevate::Auth

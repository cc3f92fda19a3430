// SPDX-License-Identifier: GPL-3.0-or-later
#include "keychainsecretstore.h"

#include "logging.h"

#include <QPointer>
#include <QTimer>
#include <qt6keychain/keychain.h>

namespace Elevate::Auth {

using Core::Error;

namespace {

Error keychainError(QKeychain::Error code, const QString &detail)
{
    switch (code) {
    case QKeychain::NoBackendAvailable:
        return Error::make(
            Error::Kind::Keychain,
            QStringLiteral("No OS keychain is available (is a Secret Service such as gnome-keyring "
                           "running and unlocked?)"));
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        return Error::make(Error::Kind::Keychain,
                           QStringLiteral("The OS keychain is locked or refused access"));
    default:
        return Error::make(Error::Kind::Keychain, QStringLiteral("The OS keychain failed: %1").arg(detail));
    }
}

/// Runs a qtkeychain job; retries once after a short delay when no backend answers yet (the tray
/// may autostart before the keyring is unlocked).
template<typename MakeJob, typename Done>
void runJob(MakeJob makeJob, QObject *context, Done done, bool retried = false)
{
    QKeychain::Job *job = makeJob();
    job->setAutoDelete(true);
    QObject::connect(job, &QKeychain::Job::finished, context,
                     [makeJob, context, done, retried](QKeychain::Job *j) {
                         if (j->error() == QKeychain::NoBackendAvailable && !retried) {
                             QPointer<QObject> guard(context);
                             QTimer::singleShot(1500, context, [makeJob, guard, done] {
                                 if (guard)
                                     runJob(makeJob, guard.data(), done, true);
                             });
                             return;
                         }
                         done(j);
                     });
    job->start();
}

} // namespace

KeychainSecretStore::KeychainSecretStore(QString service)
    : m_service(std::move(service))
{ }

void KeychainSecretStore::read(const QString &key, QObject *context, ReadCallback callback)
{
    const QString service = m_service;
    runJob(
        [service, key] {
            auto *job = new QKeychain::ReadPasswordJob(service);
            job->setInsecureFallback(false);
            job->setKey(key);
            return static_cast<QKeychain::Job *>(job);
        },
        context,
        [callback](QKeychain::Job *j) {
            if (j->error() == QKeychain::EntryNotFound)
                return callback(std::optional<QByteArray>());
            if (j->error() != QKeychain::NoError)
                return callback(keychainError(j->error(), j->errorString()));
            callback(std::optional<QByteArray>(static_cast<QKeychain::ReadPasswordJob *>(j)->binaryData()));
        });
}

void KeychainSecretStore::write(const QString &key, const QByteArray &value, QObject *context,
                                WriteCallback callback)
{
    const QString service = m_service;
    runJob(
        [service, key, value] {
            auto *job = new QKeychain::WritePasswordJob(service);
            job->setInsecureFallback(false);
            job->setKey(key);
            job->setBinaryData(value);
            return static_cast<QKeychain::Job *>(job);
        },
        context,
        [callback](QKeychain::Job *j) {
            if (j->error() != QKeychain::NoError)
                return callback(keychainError(j->error(), j->errorString()));
            callback(Core::Result<void>());
        });
}

void KeychainSecretStore::remove(const QString &key, QObject *context, WriteCallback callback)
{
    const QString service = m_service;
    runJob(
        [service, key] {
            auto *job = new QKeychain::DeletePasswordJob(service);
            job->setInsecureFallback(false);
            job->setKey(key);
            return static_cast<QKeychain::Job *>(job);
        },
        context,
        [callback](QKeychain::Job *j) {
            if (j->error() != QKeychain::NoError && j->error() != QKeychain::EntryNotFound)
                return callback(keychainError(j->error(), j->errorString()));
            callback(Core::Result<void>());
        });
}

namespace {
Error lockedError()
{
    return Error::make(Error::Kind::Keychain, QStringLiteral("The OS keychain is locked or refused access"));
}
} // namespace

void InMemorySecretStore::read(const QString &key, QObject *context, ReadCallback callback)
{
    const bool failing = m_failing;
    const auto value
        = m_entries.contains(key) ? std::optional<QByteArray>(m_entries.value(key)) : std::nullopt;
    QTimer::singleShot(0, context, [callback, failing, value] {
        if (failing)
            callback(lockedError());
        else
            callback(value);
    });
}

void InMemorySecretStore::write(const QString &key, const QByteArray &value, QObject *context,
                                WriteCallback callback)
{
    if (!m_failing)
        m_entries.insert(key, value);
    const bool failing = m_failing;
    QTimer::singleShot(0, context, [callback, failing] {
        callback(failing ? Core::Result<void>(lockedError()) : Core::Result<void>());
    });
}

void InMemorySecretStore::remove(const QString &key, QObject *context, WriteCallback callback)
{
    if (!m_failing)
        m_entries.remove(key);
    const bool failing = m_failing;
    QTimer::singleShot(0, context, [callback, failing] {
        callback(failing ? Core::Result<void>(lockedError()) : Core::Result<void>());
    });
}

} // namespace Elevate::Auth

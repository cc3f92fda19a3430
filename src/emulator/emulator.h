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
 * A local stand-in for Entra ID v2 (discovery, authorize, token, device code) and Microsoft Graph
 * PIM for Groups (me, eligibilities), driven by a scenario (JSON) and controlled through admin
 * endpoints under /_emulator/. It follows the documented contracts, quirks included; it is not
 * Microsoft and never pretends to be more than a test bed. Owns its HTTP server and all state;
 * single-threaded (lives on the thread that created it).
 *
 *   browser ─GET /{tenant}/oauth2/v2.0/authorize─▶ sign-in page (or auto sign-in) ─302─▶ loopback
 *   client  ─POST /{tenant}/oauth2/v2.0/token───▶ tokens (PKCE checked, RT rotated)
 *   client  ─GET  /graph/v1.0/...──────────────▶ Graph envelope, paged with @odata.nextLink
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
    /// scenario user); empty shows the sign-in page again.
    void setAutoSignIn(const QString &user);
    /// Graph server-side page size (overrides the scenario's).
    void setPageSize(int n);

    /// An Elevate configuration pointing at this emulator.
    QByteArray configJson() const;
    QString tenantId() const;
    QString clientId() const;

    /// Users, eligibilities, grants and every token issued (so tests can look for leaks).
    QJsonObject state() const;
    void advanceClock(qint64 seconds);
    QDateTime now() const;

    struct Private;

private:
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Emulator

// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/emulatorfixture.h"

#include "emulator/emulator.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTest>

namespace Elevate::Test {

std::optional<Core::AppConfig> startEmulator(Emulator::Emulator &emulator, const QByteArray &scenario,
                                             const QString &autoSignIn)
{
    QString error;
    const bool loaded
        = scenario.isEmpty() ? emulator.loadBuiltInScenario() : emulator.loadScenario(scenario, &error);
    if (!loaded) {
        qWarning("emulator: the scenario does not load: %s", qPrintable(error));
        return std::nullopt;
    }
    if (!emulator.listen()) {
        qWarning("emulator: cannot listen on loopback");
        return std::nullopt;
    }
    if (!autoSignIn.isEmpty())
        emulator.setAutoSignIn(autoSignIn);
    auto config = Core::AppConfig::fromJson(emulator.configJson());
    if (!config.ok()) {
        qWarning("emulator: its configuration does not load: %s", qPrintable(config.error().message));
        return std::nullopt;
    }
    return config.value();
}

AdminReply emulatorAdmin(const Emulator::Emulator &emulator, const QByteArray &method, const QString &path,
                         const QByteArray &body)
{
    QNetworkAccessManager nam;
    QNetworkRequest req(QUrl(emulator.baseUrl().toString() + QStringLiteral("/_emulator/") + path));
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = nam.sendCustomRequest(req, method, body);
    AdminReply out;
    if (QTest::qWaitFor([reply] { return reply->isFinished(); }, 20'000)) {
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out.body = reply->readAll();
    }
    delete reply;
    return out;
}

bool emulatorSettings(const Emulator::Emulator &emulator, const QJsonObject &settings)
{
    return emulatorAdmin(emulator, "POST", QStringLiteral("settings"),
                         QJsonDocument(settings).toJson(QJsonDocument::Compact))
               .status
        == 200;
}

bool injectFault(const Emulator::Emulator &emulator, const QByteArray &json)
{
    return emulatorAdmin(emulator, "POST", QStringLiteral("faults"), json).status == 201;
}

bool clearFaults(const Emulator::Emulator &emulator)
{
    return emulatorAdmin(emulator, "DELETE", QStringLiteral("faults")).status == 200;
}

} // namespace Elevate::Test

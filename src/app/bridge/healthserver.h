// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QJsonObject>
#include <QObject>

#include <functional>
#include <memory>

namespace Elevate::Bridge {

class Metrics;

/**
 * GET /healthz and GET /metrics over QtHttpServer on one address. /healthz answers 200 with
 * `health()`'s object when its "status" is "ok", else 503 with the same object; /metrics answers
 * Metrics::prometheusText() as text/plain; version=0.0.4. Everything else: 404; other methods: 405.
 */
class HealthServer : public QObject
{
    Q_OBJECT
public:
    HealthServer(const Metrics *metrics, std::function<QJsonObject()> health, QObject *parent = nullptr);
    ~HealthServer() override;
    /// "host:port" (port 0: any free port). Returns the port it listens on.
    Core::Result<quint16> listen(const QString &hostAndPort);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace Elevate::Bridge

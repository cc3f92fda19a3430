// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <nlohmann/json.hpp>

#include <optional>

namespace Elevate::Net {

using Json = nlohmann::json;

/// Parses a body; malformed or truncated JSON becomes Error::Kind::Parse (never an exception).
Core::Result<Json> parseJson(const QByteArray &body);

/// The string at `key`, or empty when missing, null or not a string (missing and null mean the same).
QString jsonString(const Json &object, const char *key);
/// An integer at `key` that may also arrive as a numeric string (v1 token endpoints do that).
std::optional<qint64> jsonInt(const Json &object, const char *key);

/**
 * Retry-After in milliseconds: delta-seconds, also fractional ("2.128"), or an HTTP-date relative to
 * `now`. Clamped to [0, maxMs]. nullopt when absent or unparseable.
 */
std::optional<qint64> parseRetryAfterMs(const QByteArray &value, const QDateTime &now,
                                        qint64 maxMs = 300'000);

} // namespace Elevate::Net

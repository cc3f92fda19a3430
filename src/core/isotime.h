// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace Elevate::Core {

/**
 * Parses the timestamps Graph sends: ISO 8601 with 0-7 fractional-second digits, `Z` or an offset,
 * or no zone at all (then UTC, as in `innerError.date`). The sentinel `0001-01-01T…` means "unset"
 * and yields an invalid QDateTime; so do null, empty and malformed input (the caller decides
 * whether that is an error).
 */
QDateTime parseGraphDateTime(const QString &text);

/// Formats as `yyyy-MM-ddThh:mm:ssZ` (UTC, whole seconds), the form Graph accepts in request bodies.
QString formatGraphDateTime(const QDateTime &t);

/**
 * Parses an ISO 8601 duration (`PT2H`, `P1DT30M`, `PT5.5S`, `P10675199DT2H48M5.4775807S`) into
 * milliseconds. Returns nullopt for malformed input. Years/months are rejected (not fixed lengths).
 */
std::optional<qint64> parseIsoDurationMs(const QString &text);

} // namespace Elevate::Core

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The in-process emulator as the tests start it, and its admin API (/_emulator/...): settings, faults.

#include "core/config.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace Elevate::Emulator {
class Emulator;
}

namespace Elevate::Test {

/// Loads `scenario` (the built-in one when empty) into `emulator`, listens on loopback and signs in
/// `autoSignIn` without a page (when given). The app's configuration for it, or nothing (and a warning
/// saying why) when any step fails.
std::optional<Core::AppConfig> startEmulator(Emulator::Emulator &emulator, const QByteArray &scenario = {},
                                             const QString &autoSignIn = {});

/// The answer to an admin call; status 0 when none came in time.
struct AdminReply
{
    int status = 0;
    QByteArray body;
};

/// `method` /_emulator/<path> with a JSON body (none when empty), waited for.
AdminReply emulatorAdmin(const Emulator::Emulator &emulator, const QByteArray &method, const QString &path,
                         const QByteArray &body = {});

/// POST /_emulator/settings; true when the emulator took them (200).
bool emulatorSettings(const Emulator::Emulator &emulator, const QJsonObject &settings);

/// POST /_emulator/faults (one fault object, or an array of them); true when added (201).
bool injectFault(const Emulator::Emulator &emulator, const QByteArray &json);

/// DELETE /_emulator/faults; true when the list is empty again (200).
bool clearFaults(const Emulator::Emulator &emulator);

} // namespace Elevate::Test

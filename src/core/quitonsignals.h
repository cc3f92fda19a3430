// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <functional>

class QCoreApplication;

namespace Elevate::Core {

/// Makes SIGINT and SIGTERM end the application normally, so destructors run (temporary directories
/// are removed): `quit` runs on the event loop (default: QCoreApplication::quit). Call once, from main.
void quitOnTerminationSignals(QCoreApplication *app, std::function<void()> quit = {});

} // namespace Elevate::Core

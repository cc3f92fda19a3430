// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QUrl>

namespace Elevate::Ui {

/**
 * Opens a URL in the system browser, or in the command named by ELEVATE_BROWSER (the URL becomes
 * its last argument; meant for scripted sign-in). Returns false if nothing could be started, so
 * the caller can show the URL for copy and paste.
 */
bool openInBrowser(const QUrl &url);

} // namespace Elevate::Ui

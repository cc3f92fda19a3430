// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QIcon>
#include <QString>

namespace Elevate::Ui {

/// The tray icon's states; each has a light-panel and a dark-panel SVG under :/icons/.
enum class TrayState { SignedOut, Idle, Busy, Pending, Active, Expiring, Error };

/**
 * Picks the tray icon for a state. The variant follows the panel: the light variant (dark glyph)
 * when the palette's window colour is light, the dark variant otherwise; ELEVATE_TRAY_THEME=light|dark
 * overrides for panels whose colour differs from the application palette.
 */
/// `badge` > 0 draws that count (requests waiting for the user's decision) onto the icon.
QIcon trayIcon(TrayState state, int badge = 0);
QString trayIconPath(TrayState state, bool darkPanel);
bool panelIsDark();

} // namespace Elevate::Ui

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHash>
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

/**
 * The tray's icons, each made once. Qt's pixmap cache keeps an icon's renderings under that QIcon's
 * engine: a new QIcon for a state shown before renders again under new keys, and the old renderings
 * stay until the cache's limit (10 MB by default) pushes them out, so a tray that made a new icon
 * at each change of state grew by a few kB per grant for hours (issue 14, tray_growth_mb). At most
 * one icon per state, drawn count (1-9, 9+) and panel variant: 7 x 11 x 2.
 */
class TrayIconCache
{
public:
    /// The icon trayIcon(state, badge) draws, made on first use; a badge above 9 is drawn "9+".
    QIcon icon(TrayState state, int badge = 0);
    qsizetype size() const { return m_icons.size(); }

private:
    QHash<int, QIcon> m_icons; // by state, drawn count and panel variant
};

} // namespace Elevate::Ui

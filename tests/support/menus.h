// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Looking things up in the tray's menus.

#include <QStringList>

class QAction;
class QMenu;

namespace Elevate::Test {

/// The action of `menu` (not of its submenus) with this object name; null when none, or no menu.
QAction *byName(const QMenu *menu, const QString &name);

/// The texts of `menu`'s actions in order, "---" for a separator.
QStringList texts(const QMenu *menu);

} // namespace Elevate::Test

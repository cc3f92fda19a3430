// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/menus.h"

#include <QMenu>

namespace Elevate::Test {

QAction *byName(const QMenu *menu, const QString &name)
{
    if (!menu)
        return nullptr;
    for (QAction *a : menu->actions())
        if (a->objectName() == name)
            return a;
    return nullptr;
}

QStringList texts(const QMenu *menu)
{
    QStringList out;
    for (const QAction *a : menu->actions())
        out << (a->isSeparator() ? QStringLiteral("---") : a->text());
    return out;
}

} // namespace Elevate::Test

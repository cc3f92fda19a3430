// SPDX-License-Identifier: GPL-3.0-or-later
#include "trayicons.h"

#include <QFont>
#include <QGuiApplication>
#include <QPainter>
#include <QPalette>
#include <QPixmap>

#include <algorithm>

namespace Elevate::Ui {

namespace {
QString stateName(TrayState state)
{
    switch (state) {
    case TrayState::SignedOut:
        return QStringLiteral("signedout");
    case TrayState::Idle:
        return QStringLiteral("idle");
    case TrayState::Busy:
        return QStringLiteral("busy");
    case TrayState::Pending:
        return QStringLiteral("pending");
    case TrayState::Active:
        return QStringLiteral("active");
    case TrayState::Expiring:
        return QStringLiteral("expiring");
    case TrayState::Error:
        return QStringLiteral("error");
    }
    return QStringLiteral("idle");
}
} // namespace

bool panelIsDark()
{
    const QString forced = qEnvironmentVariable("ELEVATE_TRAY_THEME");
    if (forced == u"dark")
        return true;
    if (forced == u"light")
        return false;
    return QGuiApplication::palette().color(QPalette::Window).lightness() < 128;
}

QString trayIconPath(TrayState state, bool darkPanel)
{
    return QStringLiteral(":/icons/tray-%1-%2.svg")
        .arg(stateName(state), darkPanel ? QStringLiteral("dark") : QStringLiteral("light"));
}

QIcon trayIcon(TrayState state, int badge)
{
    QIcon base(trayIconPath(state, panelIsDark()));
    if (badge <= 0)
        return base;
    // The count of requests waiting for this user's decision, in a red disc at the top right,
    // drawn at each size a panel may ask for.
    QIcon out;
    const QString text = badge > 9 ? QStringLiteral("9+") : QString::number(badge);
    for (int size : {16, 22, 24, 32, 48, 64}) {
        QPixmap pm = base.pixmap(size, size);
        if (pm.isNull())
            continue;
        QPainter p(&pm);
        p.setRenderHint(QPainter::Antialiasing);
        const qreal d = size * 0.62;
        const QRectF disc(size - d, 0, d, d);
        p.setPen(QPen(Qt::white, qMax(1.0, size / 24.0)));
        p.setBrush(QColor(0xd0, 0x1c, 0x1c));
        p.drawEllipse(disc.adjusted(0.5, 0.5, -0.5, -0.5));
        QFont f = p.font();
        f.setBold(true);
        f.setPixelSize(int(d * (text.size() > 1 ? 0.5 : 0.68)));
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(disc, Qt::AlignCenter, text);
        p.end();
        out.addPixmap(pm);
    }
    return out;
}

QIcon TrayIconCache::icon(TrayState state, int badge)
{
    const int drawn = std::clamp(badge, 0, 10); // everything above 9 reads "9+"
    const bool dark = panelIsDark();
    const int key = (int(state) * 11 + drawn) * 2 + (dark ? 1 : 0);
    const auto it = m_icons.constFind(key);
    if (it != m_icons.cend())
        return *it;
    return *m_icons.insert(key, trayIcon(state, drawn));
}

} // namespace Elevate::Ui

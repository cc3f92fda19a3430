// SPDX-License-Identifier: GPL-3.0-or-later
// The baseline scripts/bench measures beside the tray: the smallest Qt Widgets tray program (an icon,
// a menu of ten items, an event loop, nothing else). It prints the same start-up marks the tray prints
// with QT_LOGGING_RULES=elevate.startup.debug=true: "startup: <mark> <CLOCK_MONOTONIC ms>" on stderr.

#include <QApplication>
#include <QMenu>
#include <QPainter>
#include <QPixmap>
#include <QSystemTrayIcon>
#include <QTextStream>

#include <time.h>

namespace {
// CLOCK_MONOTONIC in milliseconds, the clock scripts/bench reads before it starts the process.
void mark(const char *what)
{
    timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const qint64 ms = qint64(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
    QTextStream(stderr) << "startup: " << what << ' ' << ms << '\n';
}
} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setQuitOnLastWindowClosed(false);
    mark("main");
    QPixmap pixmap(22, 22);
    pixmap.fill(Qt::transparent);
    {
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        p.setBrush(QColor(0x2e, 0x7d, 0x32));
        p.drawEllipse(2, 2, 18, 18);
    }
    QMenu menu;
    for (int i = 0; i < 10; ++i)
        menu.addAction(QStringLiteral("Item %1").arg(i + 1));
    menu.addSeparator();
    menu.addAction(QStringLiteral("Quit"), &app, &QApplication::quit);
    QSystemTrayIcon tray {QIcon(pixmap)};
    tray.setContextMenu(&menu);
    tray.show();
    mark("icon");
    // The baseline's menu is complete as soon as it exists.
    mark("menu");
    return app.exec();
}

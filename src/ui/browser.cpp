// SPDX-License-Identifier: GPL-3.0-or-later
#include "browser.h"

#include <QDesktopServices>
#include <QProcess>

namespace Elevate::Ui {

bool openInBrowser(const QUrl &url)
{
    const QString command = qEnvironmentVariable("ELEVATE_BROWSER");
    if (command.trimmed().isEmpty())
        return QDesktopServices::openUrl(url);
    QStringList args = QProcess::splitCommand(command);
    if (args.isEmpty())
        return false;
    const QString program = args.takeFirst();
    args << url.toString(QUrl::FullyEncoded);
    return QProcess::startDetached(program, args);
}

} // namespace Elevate::Ui

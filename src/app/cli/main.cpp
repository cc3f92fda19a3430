// SPDX-License-Identifier: GPL-3.0-or-later
// elevate: the command line. Every capability of the tray, scriptable.

#include "cli.h"
#include "commandline.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QTextStream>
#include <QTimer>

using namespace Elevate;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // stderr is for the one line that says what went wrong; progress logging only when asked for
    // (QT_LOGGING_RULES="elevate.*.info=true").
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("elevate.*.info=false"));
    QCoreApplication::setApplicationName(QStringLiteral("Elevate"));
    QCoreApplication::setOrganizationName(QStringLiteral("Elevate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ELEVATE_VERSION));

    const Cli::ParseResult parsed = Cli::parseCommandLine(QCoreApplication::arguments());
    switch (parsed.action) {
    case Cli::ParseResult::Action::Usage:
        QTextStream(stderr) << "elevate: " << parsed.error << '\n';
        return Cli::ExitUsage;
    case Cli::ParseResult::Action::Help:
        QTextStream(stdout) << Cli::helpText();
        return Cli::ExitOk;
    case Cli::ParseResult::Action::Version:
        QTextStream(stdout) << QCoreApplication::applicationName() << ' '
                            << QCoreApplication::applicationVersion() << '\n';
        return Cli::ExitOk;
    case Cli::ParseResult::Action::Run:
        break;
    }
    const Cli::Invocation &invocation = parsed.invocation;
    const Cli::CommandSpec *command = Cli::findCommand(invocation.command);
    if (command->runLocal)
        return command->runLocal(invocation);

    const auto config = Core::AppConfig::load(invocation.effectiveConfigPath());
    if (!config.ok()) {
        QTextStream(stderr)
            << "elevate: "
            << QCoreApplication::translate("elevate", "configuration error: %1").arg(config.error().message)
            << '\n';
        return Cli::ExitConfig;
    }

    Cli::CliApp cli(config.value(), invocation.json);
    QTimer::singleShot(0, &cli, [&] { command->run(cli, invocation); });
    return app.exec();
}

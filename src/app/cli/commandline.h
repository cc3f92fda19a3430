// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The command line of `elevate` as one table: every command with its argument, the options that
// apply to it, its help and its handler, and every option once. Parsing, --help (and what else
// describes the command line) are generated from it, so a command is added in one place.

#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <vector>

namespace Elevate::Cli {

class CliApp;

/// One option of the command line. The texts are untranslated (QT_TRANSLATE_NOOP, context "elevate").
struct OptionSpec
{
    const char *name; ///< without the dashes
    const char *valueName; ///< nullptr: a switch; else the value's name in the help
    const char *help;
};

/// A parsed command line: the command's argument and the options given.
struct Invocation
{
    QString command;
    QString argument; ///< the command's one argument, when it takes one
    QHash<QString, QString> values; ///< options with a value
    QSet<QString> flags; ///< switches and options given (with or without a value)
    QString configPath; ///< --config, empty when not given
    bool json = false;

    /// The configuration file to read: --config, else $ELEVATE_CONFIG, else the default path.
    QString effectiveConfigPath() const;
    bool isSet(const QString &option) const { return flags.contains(option); }
    bool isSet(const char *option) const { return isSet(QString::fromLatin1(option)); }
    QString value(const QString &option) const { return values.value(option); }
    QString value(const char *option) const { return value(QString::fromLatin1(option)); }
};

/// One command: `elevate <name> [argument] [options]`.
struct CommandSpec
{
    const char *name;
    const char *argument; ///< nullptr: none; else its name in the help, e.g. "target"
    std::vector<const char *> options; ///< the options that apply (besides the global ones)
    std::vector<const char *> required; ///< those of `options` that must be given
    const char *help; ///< one or two sentences, untranslated
    /// Runs the command on the composition root (it ends the event loop with the exit code).
    void (*run)(CliApp &app, const Invocation &invocation);
    /// Instead of `run`: a command that needs no configuration, no network and no event loop (the
    /// shell completion, the man page); returns the exit code.
    int (*runLocal)(const Invocation &invocation) = nullptr;
    bool hidden = false; ///< used by the generated scripts and the build, not listed in --help
};

/// The options every command takes: config, json (and help, version).
const std::vector<OptionSpec> &globalOptions();
/// The options of the commands, each once.
const std::vector<OptionSpec> &commandOptions();
const std::vector<CommandSpec> &commands();
const CommandSpec *findCommand(const QString &name);
const OptionSpec *findOption(const QString &name);

/// What parseCommandLine() found.
struct ParseResult
{
    enum class Action { Run, Help, Version, Usage };
    Action action = Action::Usage;
    Invocation invocation; ///< with Run
    QString error; ///< with Usage: one line, translated, without the "elevate: " prefix
};

/// Parses `arguments` (arguments.first() is the program) against the table.
ParseResult parseCommandLine(const QStringList &arguments);

/// The text of `elevate --help`.
QString helpText();

/// The synopsis of one command, e.g. "request <target> [--duration <duration>] ...".
QString synopsis(const CommandSpec &command);

} // namespace Elevate::Cli

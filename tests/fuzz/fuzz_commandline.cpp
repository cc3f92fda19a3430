// SPDX-License-Identifier: GPL-3.0-or-later
// parseCommandLine reads `elevate`'s arguments, which scripts build from whatever they were given
// (target names, justifications, ticket numbers), and completionValues reads what a shell passes while
// the user types. Neither may crash, and what the parser accepts keeps the table's promises (checked
// here against the table, not with the parser's helpers): a known command; its argument exactly when
// it takes one; only options that apply to it, a value for each option that takes one; every
// required option given. A refusal is one non-empty line.
//
// Input: the arguments after the program name, separated by NUL bytes. The first byte picks what else
// runs: completion of that kind of value against a history file that does not exist (nothing offered
// but the shells, nothing created).
#include "commandline.h"
#include "completion.h"

#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace Elevate::Cli;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

bool listed(const std::vector<const char *> &names, const QString &name)
{
    for (const char *n : names)
        if (name == QLatin1String(n))
            return true;
    return false;
}

const OptionSpec *option(const QString &name)
{
    for (const OptionSpec &o : commandOptions())
        if (name == QLatin1String(o.name))
            return &o;
    return nullptr;
}

void checkInvocation(const Invocation &inv)
{
    const CommandSpec *command = nullptr;
    for (const CommandSpec &c : commands())
        if (inv.command == QLatin1String(c.name))
            command = &c;
    check(command != nullptr);
    if (!command->argument)
        check(inv.argument.isEmpty());
    for (const QString &flag : inv.flags) {
        check(listed(command->options, flag));
        const OptionSpec *o = option(flag);
        check(o != nullptr);
        check((o->valueName != nullptr) == inv.values.contains(flag));
    }
    for (auto it = inv.values.cbegin(); it != inv.values.cend(); ++it)
        check(inv.flags.contains(it.key()));
    for (const char *required : command->required)
        check(inv.isSet(QLatin1String(required)));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    QStringList arguments {QStringLiteral("elevate")};
    for (const QByteArray &part : bytes.split('\0')) {
        if (arguments.size() > 64)
            break;
        arguments << QString::fromUtf8(part);
    }
    const ParseResult parsed = parseCommandLine(arguments);
    switch (parsed.action) {
    case ParseResult::Action::Run:
        checkInvocation(parsed.invocation);
        break;
    case ParseResult::Action::Usage:
        check(!parsed.error.isEmpty() && !parsed.error.contains(u'\n'));
        break;
    case ParseResult::Action::Help:
    case ParseResult::Action::Version:
        break;
    }

    if (data[0] & 1) {
        static QTemporaryDir dir;
        const QString history = dir.filePath(QStringLiteral("history.sqlite"));
        const QString kind = arguments.value(1);
        const QStringList values = completionValues(kind, history);
        check(kind == u"shell" ? values.size() == 3 : values.isEmpty());
        check(!QFileInfo::exists(history));
    }
    return 0;
}

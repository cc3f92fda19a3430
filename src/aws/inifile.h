// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace Elevate::Aws {

/// The keys and values of one INI section, in file order.
using IniKeyValues = QList<QPair<QString, QString>>;

/**
 * An AWS CLI INI file (~/.aws/config, ~/.aws/credentials) kept as the exact lines it was read from,
 * so that editing one section leaves every other byte as it was. Owns those lines: a preamble
 * (blank and comment lines before the first header) and the sections, each a header line and its
 * body lines, every line with its own terminator (LF, CRLF or a lone CR, as found). serialise()
 * concatenates them, so an unedited document gives back its input byte for byte.
 *
 * Read exactly as the AWS CLI reads it: botocore's raw_config_parse over Python's strict
 * configparser (`#` and `;` full-line comments, `=` and `:` as delimiters, no inline comments,
 * blank lines inside values, Python's idea of whitespace). A header is `[` up to the line's last
 * `]`, untrimmed, so `[ profile x ]` is the section " profile x " (anything after that `]` is
 * ignored, as the CLI does). A line indented deeper than the key line above it continues that key's
 * value (the nested `s3 =` form), even across blank and comment lines. `[DEFAULT]` (exact case) is
 * configparser's defaults section: it may appear more than once (its keys are one set) and every
 * other section inherits its keys; it is kept as a section here and callers decide what that means.
 *
 * parse() refuses every file the AWS CLI refuses, so Elevate never edits a file the CLI cannot read
 * (and never makes one readable by accident): a UTF-8 byte order mark (the CLI decodes without
 * `-sig`, so the first header is unreadable), bytes that are not UTF-8 (the CLI decodes UTF-8 under
 * the C, POSIX and UTF-8 locales Debian has; under a legacy 8-bit locale it would accept them, and
 * Elevate is then stricter than the CLI), a duplicate section, a key twice in one section (keys are
 * compared lower-cased, as configparser's optionxform does, so `Region` repeats `region`), and a
 * nested value line without `=` (botocore's _parse_nested).
 *
 * A section's body is split into its own lines and its tail. The tail is the run of blank and
 * comment lines at the end of the body, after the last key; it usually introduces what follows
 * (a blank separator, a comment describing the next section) and stays when the section is
 * replaced or removed. Comment lines directly under the header (before any key or blank line)
 * always belong to the section, so a body of comments only has no tail but its trailing blanks.
 */
class IniDocument
{
public:
    /// An empty document (serialises to nothing).
    IniDocument() = default;

    /// Refuses (Kind::Parse, "line N: …; the AWS CLI cannot read the file either", never quoting
    /// the line, which may hold a secret) exactly what the AWS CLI refuses: a BOM, invalid UTF-8,
    /// text or a key before the first header, a line that is neither a header nor `key = value` /
    /// `key: value`, a key without a name, a duplicate section or key, a nested value line
    /// without `=`. The line named is the first problem in the file.
    static Core::Result<IniDocument> parse(const QByteArray &bytes);
    QByteArray serialise() const;

    /// Header texts exactly as the AWS CLI reads them (between `[` and the last `]`, untrimmed),
    /// in file order; only "DEFAULT" can occur more than once.
    QStringList sectionNames() const;
    bool hasSection(const QString &name) const;
    /// How many sections carry this name (only [DEFAULT] can have more than one).
    int sectionCount(const QString &name) const;
    /// The 1-based line number of the `occurrence`-th header with this name, 0 if there is none.
    int sectionLine(const QString &name, int occurrence = 0) const;
    /// The 1-based line number of `key` (compared lower-cased, as the CLI does) in the
    /// `occurrence`-th section of this name, 0 if it has no such key.
    int keyLine(const QString &name, const QString &key, int occurrence = 0) const;

    /// Keys (as written, trimmed; the CLI lower-cases them) and values (trimmed) of the
    /// `occurrence`-th section with this name, without inherited [DEFAULT] keys. A value with
    /// continuation lines is what the CLI sees: the parts joined by '\n' with trailing blank parts
    /// dropped, so `s3 =` + `  max_concurrent_requests = 20` gives "\nmax_concurrent_requests = 20".
    std::optional<IniKeyValues> section(const QString &name, int occurrence = 0) const;
    /// Comment lines of the section's own lines (not its tail), without the `#`/`;` and trimmed.
    std::optional<QStringList> commentLines(const QString &name, int occurrence = 0) const;

    /**
     * Makes the section `name` hold `comments` (written as `# text`) and then `keys` (written as
     * `key = value`; a '\n' in a value becomes an indented continuation line).
     *
     * If the name exists, the first such section's own lines are replaced in place: its header
     * line and its tail stay byte-exact, and the other sections of that name are removed (as by
     * removeSection). Otherwise the section is appended: a terminator is added to a last line that
     * has none, then one blank line unless the document is empty, then the section. New lines use
     * the dominant terminator (CRLF if more lines end in CRLF than in LF, else LF).
     *
     * Returns false and changes nothing when the input cannot be written as INI the CLI reads back
     * the same (see isValid…; also two keys that differ only in case, and a nested value, one
     * starting with '\n', with a line that has no `=`), or when the CLI could not read the result
     * (a new section inherits a nested [DEFAULT] value botocore refuses).
     */
    bool setSection(const QString &name, const IniKeyValues &keys, const QStringList &comments = {});
    /// setSection() that says why it changed nothing: Kind::InvalidInput for input it cannot
    /// write, Kind::Parse ("line N: …", as parse()) when the CLI could not read the result.
    Core::Result<void> trySetSection(const QString &name, const IniKeyValues &keys,
                                     const QStringList &comments = {});
    /// What parse() appends to each of its messages.
    static QString cliCannotReadSuffix();

    /**
     * Removes every section called `name`: its header and own lines; its tail stays. Then, to stay
     * tidy without eating anything the user wrote:
     *  - if the removed lines were followed by the end of the file or a blank line, and preceded
     *    by a blank line, that preceding blank line goes too (it is the separator setSection adds
     *    when appending, so appending and then removing gives back the original bytes, except
     *    that a terminator added to a last line that had none stays);
     *  - otherwise, if nothing preceded them and a blank line follows, that blank line goes.
     * Comment lines above the header belong to what came before and are kept.
     * Returns whether anything was removed.
     */
    bool removeSection(const QString &name);

    /// A name setSection can write: non-empty, no surrounding blanks, no `]`, no line breaks.
    static bool isValidSectionName(const QString &name);
    /// A key setSection can write: non-empty, no surrounding blanks, no `=`, `:` or line breaks,
    /// not starting with `[`, `#` or `;`.
    static bool isValidKey(const QString &key);

private:
    enum class LineKind { Blank, Comment, Header, Key, Continuation };
    struct Key
    {
        QString name; // as written, trimmed
        QString value; // what the CLI sees
        QList<QPair<int, QString>>
            parts; // line number and stripped text of the key line and its continuations
    };
    struct Line
    {
        QByteArray raw; // the exact bytes, terminator included
        LineKind kind;
    };
    struct Section
    {
        QString name;
        Line header;
        QList<Line> body;
    };

    bool applySection(const QString &name, const IniKeyValues &keys, const QStringList &comments);
    static QList<Key> keysOf(const Section &section, int headerLine);
    int headerLineAt(int index) const;
    QList<int> indicesOf(const QString &name) const;
    const Section *find(const QString &name, int occurrence) const;
    static qsizetype ownLineCount(const Section &section);
    QByteArray lineTerminator() const;
    QList<Line> renderBody(const IniKeyValues &keys, const QStringList &comments,
                           const QByteArray &eol) const;
    void removeSectionAt(int index);

    QList<Line> m_preamble;
    QList<Section> m_sections;
};

} // namespace Elevate::Aws

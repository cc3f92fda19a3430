// SPDX-License-Identifier: GPL-3.0-or-later
#include "inifile.h"

#include <QHash>
#include <QSet>

using namespace Qt::StringLiterals;

namespace Elevate::Aws {

namespace {

const QByteArray kBom = QByteArrayLiteral("\xEF\xBB\xBF");

/// The line terminator at the end of `raw` ("\r\n", "\n", "\r"), or nothing for a last line without one.
QByteArray terminatorOf(const QByteArray &raw)
{
    if (raw.endsWith("\r\n"))
        return QByteArrayLiteral("\r\n");
    if (raw.endsWith('\n'))
        return QByteArrayLiteral("\n");
    if (raw.endsWith('\r'))
        return QByteArrayLiteral("\r");
    return {};
}

QString textOf(const QByteArray &raw)
{
    return QString::fromUtf8(raw.chopped(terminatorOf(raw).size()));
}

/// Python's str.isspace(), which configparser's strip() and its `\S` indentation search use: wider
/// than QChar::isSpace() (it includes the separators U+001C to U+001F). All are in the BMP.
bool isPySpace(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= 0x09 && u <= 0x0D) || (u >= 0x1C && u <= 0x20) || u == 0x85 || u == 0xA0 || u == 0x1680
        || (u >= 0x2000 && u <= 0x200A) || u == 0x2028 || u == 0x2029 || u == 0x202F || u == 0x205F
        || u == 0x3000;
}

/// Python's str.rstrip(): configparser drops trailing blank parts of a multi-line value that way.
QString rstripped(const QString &s)
{
    qsizetype end = s.size();
    while (end > 0 && isPySpace(s.at(end - 1)))
        --end;
    return s.left(end);
}

/// Python's str.strip().
QString stripped(const QString &s)
{
    qsizetype begin = 0;
    while (begin < s.size() && isPySpace(s.at(begin)))
        ++begin;
    return rstripped(s.mid(begin));
}

qsizetype indentOf(const QString &text)
{
    qsizetype i = 0;
    while (i < text.size() && isPySpace(text.at(i)))
        ++i;
    return i;
}

bool isCommentText(const QString &strippedText)
{
    return strippedText.startsWith(u'#') || strippedText.startsWith(u';');
}

qsizetype delimiterOf(const QString &strippedText)
{
    const qsizetype eq = strippedText.indexOf(u'=');
    const qsizetype colon = strippedText.indexOf(u':');
    if (eq < 0)
        return colon;
    if (colon < 0)
        return eq;
    return std::min(eq, colon);
}

/// configparser's SECTCRE (`\[(?P<header>.+)\]` matched at the start of the stripped line): the
/// header runs from after `[` to the last `]` that leaves it at least one character.
std::optional<QString> headerOf(const QString &strippedText)
{
    if (!strippedText.startsWith(u'['))
        return std::nullopt;
    const qsizetype close = strippedText.lastIndexOf(u']');
    if (close < 2)
        return std::nullopt;
    return strippedText.mid(1, close - 1);
}

/// The key name of a key line (configparser: the text before the first delimiter, right-stripped).
QString keyNameOf(const QString &strippedText)
{
    return rstripped(strippedText.left(delimiterOf(strippedText)));
}

/// What Python's str.lower() gives for a key: configparser's optionxform.
QString folded(const QString &key)
{
    return key.toLower();
}

/// Strict UTF-8 as Python decodes it: no overlong forms, no surrogates, nothing above U+10FFFF.
bool isStrictUtf8(const QByteArray &bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.constData());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0)
                low = 0xA0; // overlong
            else if (c == 0xED)
                high = 0x9F; // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0)
                low = 0x90; // overlong
            else if (c == 0xF4)
                high = 0x8F; // above U+10FFFF
        } else {
            return false;
        }
        if (i + extra >= n)
            return false;
        for (int k = 1; k <= extra; ++k) {
            const unsigned char d = p[i + k];
            if (k == 1 ? (d < low || d > high) : (d < 0x80 || d > 0xBF))
                return false;
        }
        i += 1 + extra;
    }
    return true;
}

/// Python's str.splitlines() boundaries, which botocore's _parse_nested splits a nested value on.
bool isPyLineBreak(QChar c)
{
    const char16_t u = c.unicode();
    return u == u'\n' || u == u'\r' || u == 0x0B || u == 0x0C || u == 0x1C || u == 0x1D || u == 0x1E
        || u == 0x85 || u == 0x2028 || u == 0x2029;
}

/// botocore's _parse_nested: every non-blank line of a nested value must hold a `=`.
bool isNestedPartReadable(const QString &part)
{
    qsizetype start = 0;
    for (qsizetype i = 0; i <= part.size(); ++i) {
        if (i == part.size() || isPyLineBreak(part.at(i))) {
            const QString piece = stripped(part.mid(start, i - start));
            if (!piece.isEmpty() && !piece.contains(u'='))
                return false;
            start = i + 1;
        }
    }
    return true;
}

const QString kDefaultSection = u"DEFAULT"_s;

} // namespace

Core::Result<IniDocument> IniDocument::parse(const QByteArray &bytes)
{
    IniDocument doc;
    qsizetype pos = 0;
    int lineNumber = 0;
    const auto fail = [&lineNumber](const QString &what) {
        return Core::Error::make(Core::Error::Kind::Parse,
                                 u"line %1: %2"_s.arg(lineNumber).arg(what) + cliCannotReadSuffix());
    };
    if (bytes.startsWith(kBom)) {
        lineNumber = 1;
        return fail(u"the file starts with a UTF-8 byte order mark (BOM), which the AWS CLI reads as text "
                    "before the first [section] header; save the file as UTF-8 without a BOM"_s);
    }

    // configparser's state: whether a key is open for continuation lines, and the indentation of
    // the last header or key line (a continuation must be indented deeper).
    bool keyOpen = false;
    qsizetype indentLevel = 0;
    QHash<QString, int> sectionLines; // header → line, for duplicates ([DEFAULT] may repeat)
    QHash<QString, int> keyLines; // section '\n' folded key → line

    while (pos < bytes.size()) {
        qsizetype end = pos;
        while (end < bytes.size() && bytes.at(end) != '\n' && bytes.at(end) != '\r')
            ++end;
        if (end < bytes.size())
            end += (bytes.at(end) == '\r' && end + 1 < bytes.size() && bytes.at(end + 1) == '\n') ? 2 : 1;
        Line line {bytes.mid(pos, end - pos), LineKind::Blank};
        pos = end;
        ++lineNumber;

        if (!isStrictUtf8(line.raw))
            return fail(u"text that is not valid UTF-8"_s);
        const QString text = textOf(line.raw);
        const QString strippedText = stripped(text);
        if (isCommentText(strippedText)) {
            line.kind = LineKind::Comment;
        } else if (strippedText.isEmpty()) {
            line.kind = LineKind::Blank;
        } else {
            const qsizetype indent = indentOf(text);
            if (!doc.m_sections.isEmpty() && keyOpen && indent > indentLevel) {
                line.kind = LineKind::Continuation;
            } else {
                indentLevel = indent;
                if (const auto header = headerOf(strippedText)) {
                    if (*header != kDefaultSection) {
                        if (const auto seen = sectionLines.constFind(*header); seen != sectionLines.cend())
                            return fail(u"a second section with the header of line %1"_s.arg(*seen));
                        sectionLines.insert(*header, lineNumber);
                    }
                    line.kind = LineKind::Header;
                    doc.m_sections.append(Section {*header, line, {}});
                    keyOpen = false;
                    continue;
                }
                const qsizetype delimiter = delimiterOf(strippedText);
                if (delimiter < 0 && strippedText.startsWith(u'['))
                    return fail(strippedText.contains(u']') ? u"a section header without a name"_s
                                                            : u"a section header without a closing ']'"_s);
                if (doc.m_sections.isEmpty())
                    return fail(u"text before the first [section] header"_s);
                if (delimiter < 0)
                    return fail(u"neither a [section] header nor a 'key = value' line"_s);
                const QString key = keyNameOf(strippedText);
                if (key.isEmpty())
                    return fail(u"a value without a key"_s);
                const QString id = doc.m_sections.constLast().name + u'\n' + folded(key);
                if (const auto seen = keyLines.constFind(id); seen != keyLines.cend())
                    return fail(u"a key that line %1 already sets in this section (the AWS CLI does not "
                                "tell upper from lower case in keys)"_s.arg(*seen));
                keyLines.insert(id, lineNumber);
                line.kind = LineKind::Key;
                keyOpen = true;
            }
        }
        if (doc.m_sections.isEmpty())
            doc.m_preamble.append(line);
        else
            doc.m_sections.last().body.append(line);
    }

    // botocore reads every value of every section, [DEFAULT]'s inherited ones included, and refuses
    // the file when a nested value (one starting with a line break) has a line without '='.
    QHash<QString, Key> defaults;
    for (int i = 0; i < doc.m_sections.size(); ++i) {
        if (doc.m_sections.at(i).name == kDefaultSection)
            for (const Key &key : keysOf(doc.m_sections.at(i), doc.headerLineAt(i)))
                defaults.insert(folded(key.name), key);
    }
    int firstBad = 0;
    const auto check = [&firstBad](const Key &key) {
        if (!key.value.startsWith(u'\n'))
            return;
        for (qsizetype p = 1; p < key.parts.size(); ++p) {
            if (!isNestedPartReadable(key.parts.at(p).second)) {
                if (firstBad == 0 || key.parts.at(p).first < firstBad)
                    firstBad = key.parts.at(p).first;
                return;
            }
        }
    };
    for (int i = 0; i < doc.m_sections.size(); ++i) {
        if (doc.m_sections.at(i).name == kDefaultSection)
            continue;
        QSet<QString> own;
        for (const Key &key : keysOf(doc.m_sections.at(i), doc.headerLineAt(i))) {
            own.insert(folded(key.name));
            check(key);
        }
        for (auto it = defaults.cbegin(); it != defaults.cend(); ++it)
            if (!own.contains(it.key()))
                check(it.value());
    }
    if (firstBad != 0) {
        lineNumber = firstBad;
        return fail(u"a line of a nested value (the indented lines under a key such as 's3 =') "
                    "without '='"_s);
    }
    return doc;
}

QByteArray IniDocument::serialise() const
{
    QByteArray out;
    for (const Line &line : m_preamble)
        out += line.raw;
    for (const Section &section : m_sections) {
        out += section.header.raw;
        for (const Line &line : section.body)
            out += line.raw;
    }
    return out;
}

QStringList IniDocument::sectionNames() const
{
    QStringList names;
    names.reserve(m_sections.size());
    for (const Section &section : m_sections)
        names.append(section.name);
    return names;
}

bool IniDocument::hasSection(const QString &name) const
{
    return find(name, 0) != nullptr;
}

int IniDocument::sectionCount(const QString &name) const
{
    return int(indicesOf(name).size());
}

std::optional<IniKeyValues> IniDocument::section(const QString &name, int occurrence) const
{
    const Section *section = find(name, occurrence);
    if (!section)
        return std::nullopt;
    IniKeyValues keys;
    for (const Key &key : keysOf(*section, 0))
        keys.append({key.name, key.value});
    return keys;
}

int IniDocument::sectionLine(const QString &name, int occurrence) const
{
    const QList<int> indices = indicesOf(name);
    if (occurrence < 0 || occurrence >= indices.size())
        return 0;
    return headerLineAt(indices.at(occurrence));
}

int IniDocument::keyLine(const QString &name, const QString &key, int occurrence) const
{
    const QList<int> indices = indicesOf(name);
    if (occurrence < 0 || occurrence >= indices.size())
        return 0;
    const int index = indices.at(occurrence);
    for (const Key &k : keysOf(m_sections.at(index), headerLineAt(index)))
        if (folded(k.name) == folded(key))
            return k.parts.first().first;
    return 0;
}

QList<IniDocument::Key> IniDocument::keysOf(const Section &section, int headerLine)
{
    QList<Key> keys;
    Key key;
    bool open = false;
    const auto flush = [&] {
        if (open) {
            QStringList texts;
            for (const auto &part : std::as_const(key.parts))
                texts.append(part.second);
            key.value = rstripped(texts.join(u'\n'));
            keys.append(key);
        }
        key = Key();
        open = false;
    };
    int lineNumber = headerLine;
    for (const Line &line : section.body) {
        ++lineNumber;
        switch (line.kind) {
        case LineKind::Key: {
            flush();
            const QString text = stripped(textOf(line.raw));
            const qsizetype delimiter = delimiterOf(text);
            key.name = keyNameOf(text);
            key.parts.append({lineNumber, stripped(text.mid(delimiter + 1))});
            open = true;
            break;
        }
        case LineKind::Continuation:
            key.parts.append({lineNumber, stripped(textOf(line.raw))});
            break;
        case LineKind::Blank: // blank lines count as parts of a value, comment lines do not
            if (open)
                key.parts.append({lineNumber, QString()});
            break;
        case LineKind::Comment:
        case LineKind::Header:
            break;
        }
    }
    flush();
    return keys;
}

int IniDocument::headerLineAt(int index) const
{
    int line = int(m_preamble.size()) + 1;
    for (int i = 0; i < index; ++i)
        line += 1 + int(m_sections.at(i).body.size());
    return line;
}

std::optional<QStringList> IniDocument::commentLines(const QString &name, int occurrence) const
{
    const Section *section = find(name, occurrence);
    if (!section)
        return std::nullopt;
    QStringList comments;
    const qsizetype own = ownLineCount(*section);
    for (qsizetype i = 0; i < own; ++i) {
        const Line &line = section->body.at(i);
        if (line.kind == LineKind::Comment)
            comments.append(stripped(stripped(textOf(line.raw)).mid(1)));
    }
    return comments;
}

bool IniDocument::setSection(const QString &name, const IniKeyValues &keys, const QStringList &comments)
{
    return trySetSection(name, keys, comments).ok();
}

Core::Result<void> IniDocument::trySetSection(const QString &name, const IniKeyValues &keys,
                                              const QStringList &comments)
{
    // The CLI must read the result back: appending a section can be what makes an inherited
    // [DEFAULT] value count (botocore checks nested values per section).
    const IniDocument before = *this;
    if (!applySection(name, keys, comments))
        return Core::Error::make(Core::Error::Kind::InvalidInput,
                                 u"the section or one of its keys or values cannot be written as INI"_s);
    if (auto readBack = parse(serialise()); !readBack.ok()) {
        *this = before;
        return readBack.error();
    }
    return {};
}

QString IniDocument::cliCannotReadSuffix()
{
    return u"; the AWS CLI cannot read the file either"_s;
}

bool IniDocument::applySection(const QString &name, const IniKeyValues &keys, const QStringList &comments)
{
    if (!isValidSectionName(name))
        return false;
    QSet<QString> seen;
    for (const auto &[key, value] : keys) {
        if (!isValidKey(key) || value.contains(u'\r') || seen.contains(folded(key)))
            return false;
        seen.insert(folded(key));
        const QStringList parts = rstripped(value).split(u'\n');
        for (qsizetype i = 1; i < parts.size(); ++i) {
            if (isCommentText(stripped(parts.at(i))))
                return false; // would be read back as a comment, not as part of the value
            if (stripped(parts.first()).isEmpty() && !isNestedPartReadable(parts.at(i)))
                return false; // botocore would refuse the nested value
        }
    }

    const QByteArray eol = lineTerminator();
    const QList<Line> body = renderBody(keys, comments, eol);
    const QList<int> existing = indicesOf(name);

    if (existing.isEmpty()) {
        if (!m_preamble.isEmpty() || !m_sections.isEmpty()) {
            QList<Line> &last = m_sections.isEmpty() ? m_preamble : m_sections.last().body;
            Line &lastLine = last.isEmpty() ? m_sections.last().header : last.last();
            if (terminatorOf(lastLine.raw).isEmpty())
                lastLine.raw += eol;
            last.append(Line {eol, LineKind::Blank});
        }
        const QByteArray header = '[' + name.toUtf8() + ']' + eol;
        m_sections.append(Section {name, Line {header, LineKind::Header}, body});
        return true;
    }

    for (qsizetype i = existing.size() - 1; i > 0; --i)
        removeSectionAt(existing.at(i));

    Section &section = m_sections[existing.first()];
    const QList<Line> tail = section.body.mid(ownLineCount(section));
    section.body = body + tail;
    if (!section.body.isEmpty() && terminatorOf(section.header.raw).isEmpty())
        section.header.raw += eol; // the header was the file's last line
    return true;
}

bool IniDocument::removeSection(const QString &name)
{
    const QList<int> existing = indicesOf(name);
    for (qsizetype i = existing.size() - 1; i >= 0; --i)
        removeSectionAt(existing.at(i));
    return !existing.isEmpty();
}

bool IniDocument::isValidSectionName(const QString &name)
{
    return !name.isEmpty() && name == stripped(name) && !name.contains(u']') && !name.contains(u'\n')
        && !name.contains(u'\r');
}

bool IniDocument::isValidKey(const QString &key)
{
    return !key.isEmpty() && key == stripped(key) && !key.contains(u'=') && !key.contains(u':')
        && !key.contains(u'\n') && !key.contains(u'\r') && !key.startsWith(u'[') && !isCommentText(key);
}

QList<int> IniDocument::indicesOf(const QString &name) const
{
    QList<int> indices;
    for (int i = 0; i < m_sections.size(); ++i) {
        if (m_sections.at(i).name == name)
            indices.append(i);
    }
    return indices;
}

const IniDocument::Section *IniDocument::find(const QString &name, int occurrence) const
{
    const QList<int> indices = indicesOf(name);
    if (occurrence < 0 || occurrence >= indices.size())
        return nullptr;
    return &m_sections.at(indices.at(occurrence));
}

qsizetype IniDocument::ownLineCount(const Section &section)
{
    const QList<Line> &body = section.body;
    qsizetype leadingComments = 0;
    while (leadingComments < body.size() && body.at(leadingComments).kind == LineKind::Comment)
        ++leadingComments;
    qsizetype end = body.size();
    while (end > leadingComments
           && (body.at(end - 1).kind == LineKind::Blank || body.at(end - 1).kind == LineKind::Comment))
        --end;
    return end;
}

QByteArray IniDocument::lineTerminator() const
{
    qsizetype crlf = 0;
    qsizetype lf = 0;
    const auto count = [&](const Line &line) {
        const QByteArray eol = terminatorOf(line.raw);
        if (eol == "\r\n")
            ++crlf;
        else if (eol == "\n")
            ++lf;
    };
    for (const Line &line : m_preamble)
        count(line);
    for (const Section &section : m_sections) {
        count(section.header);
        for (const Line &line : section.body)
            count(line);
    }
    return crlf > lf ? QByteArrayLiteral("\r\n") : QByteArrayLiteral("\n");
}

QList<IniDocument::Line> IniDocument::renderBody(const IniKeyValues &keys, const QStringList &comments,
                                                 const QByteArray &eol) const
{
    QList<Line> lines;
    for (QString comment : comments) {
        comment.replace(u'\r', u' ').replace(u'\n', u' ');
        comment = comment.trimmed();
        lines.append(
            Line {(comment.isEmpty() ? u"#"_s : u"# "_s + comment).toUtf8() + eol, LineKind::Comment});
    }
    for (const auto &[key, value] : keys) {
        const QStringList parts = rstripped(value).split(u'\n');
        const QString first = stripped(parts.first());
        lines.append(
            Line {(key + (first.isEmpty() ? u" ="_s : u" = "_s + first)).toUtf8() + eol, LineKind::Key});
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QString part = stripped(parts.at(i));
            if (part.isEmpty())
                lines.append(Line {eol, LineKind::Blank});
            else
                lines.append(Line {(u"  "_s + part).toUtf8() + eol, LineKind::Continuation});
        }
    }
    return lines;
}

void IniDocument::removeSectionAt(int index)
{
    const Section removed = m_sections.takeAt(index);
    QList<Line> tail = removed.body.mid(ownLineCount(removed));
    // Whatever precedes the removed header: the previous section's body (or its header, when the
    // body is empty, which is never blank) or the preamble.
    QList<Line> &before = index == 0 ? m_preamble : m_sections[index - 1].body;
    const bool nothingBefore = index == 0 && m_preamble.isEmpty();
    const bool followedByEndOrBlank
        = tail.isEmpty() ? index == m_sections.size() : tail.first().kind == LineKind::Blank;

    if (followedByEndOrBlank && !before.isEmpty() && before.last().kind == LineKind::Blank)
        before.removeLast();
    else if (nothingBefore && !tail.isEmpty() && tail.first().kind == LineKind::Blank)
        tail.removeFirst();
    before.append(tail);
}

} // namespace Elevate::Aws

// SPDX-License-Identifier: GPL-3.0-or-later
#include "inifile.h"

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

qsizetype indentOf(const QString &text)
{
    qsizetype i = 0;
    while (i < text.size() && text.at(i).isSpace())
        ++i;
    return i;
}

bool isCommentText(const QString &stripped)
{
    return stripped.startsWith(u'#') || stripped.startsWith(u';');
}

/// Python's str.rstrip(): configparser drops trailing blank parts of a multi-line value that way.
QString rstripped(const QString &s)
{
    qsizetype end = s.size();
    while (end > 0 && s.at(end - 1).isSpace())
        --end;
    return s.left(end);
}

qsizetype delimiterOf(const QString &stripped)
{
    const qsizetype eq = stripped.indexOf(u'=');
    const qsizetype colon = stripped.indexOf(u':');
    if (eq < 0)
        return colon;
    if (colon < 0)
        return eq;
    return std::min(eq, colon);
}

} // namespace

Core::Result<IniDocument> IniDocument::parse(const QByteArray &bytes)
{
    IniDocument doc;
    qsizetype pos = 0;
    if (bytes.startsWith(kBom)) {
        doc.m_bom = kBom;
        pos = kBom.size();
    }

    // configparser's state: whether a key is open for continuation lines, and the indentation of
    // the last header or key line (a continuation must be indented deeper).
    bool keyOpen = false;
    qsizetype indentLevel = 0;
    int lineNumber = 0;
    const auto fail = [&lineNumber](const QString &what) {
        return Core::Error::make(Core::Error::Kind::Parse, u"line %1: %2"_s.arg(lineNumber).arg(what));
    };

    while (pos < bytes.size()) {
        qsizetype end = pos;
        while (end < bytes.size() && bytes.at(end) != '\n' && bytes.at(end) != '\r')
            ++end;
        if (end < bytes.size())
            end += (bytes.at(end) == '\r' && end + 1 < bytes.size() && bytes.at(end + 1) == '\n') ? 2 : 1;
        Line line {bytes.mid(pos, end - pos), LineKind::Blank};
        pos = end;
        ++lineNumber;

        const QString text = textOf(line.raw);
        const QString stripped = text.trimmed();
        if (isCommentText(stripped)) {
            line.kind = LineKind::Comment;
        } else if (stripped.isEmpty()) {
            line.kind = LineKind::Blank;
        } else {
            const qsizetype indent = indentOf(text);
            if (!doc.m_sections.isEmpty() && keyOpen && indent > indentLevel) {
                line.kind = LineKind::Continuation;
            } else {
                indentLevel = indent;
                if (stripped.startsWith(u'[')) {
                    const qsizetype close = stripped.lastIndexOf(u']');
                    if (close < 0)
                        return fail(u"a section header without a closing ']'"_s);
                    const QString name = stripped.mid(1, close - 1).trimmed();
                    if (name.isEmpty())
                        return fail(u"a section header without a name"_s);
                    line.kind = LineKind::Header;
                    doc.m_sections.append(Section {name, line, {}});
                    keyOpen = false;
                    continue;
                }
                if (doc.m_sections.isEmpty())
                    return fail(u"text before the first [section] header"_s);
                const qsizetype delimiter = delimiterOf(stripped);
                if (delimiter < 0)
                    return fail(u"neither a [section] header nor a 'key = value' line"_s);
                if (stripped.left(delimiter).trimmed().isEmpty())
                    return fail(u"a value without a key"_s);
                line.kind = LineKind::Key;
                keyOpen = true;
            }
        }
        if (doc.m_sections.isEmpty())
            doc.m_preamble.append(line);
        else
            doc.m_sections.last().body.append(line);
    }
    return doc;
}

QByteArray IniDocument::serialise() const
{
    QByteArray out = m_bom;
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
    QString key;
    QStringList parts; // of the open key's value; blank lines count, comment lines do not
    const auto flush = [&] {
        if (!key.isNull())
            keys.append({key, rstripped(parts.join(u'\n'))});
        key = QString();
        parts.clear();
    };
    for (const Line &line : section->body) {
        switch (line.kind) {
        case LineKind::Key: {
            flush();
            const QString stripped = textOf(line.raw).trimmed();
            const qsizetype delimiter = delimiterOf(stripped);
            key = stripped.left(delimiter).trimmed();
            parts.append(stripped.mid(delimiter + 1).trimmed());
            break;
        }
        case LineKind::Continuation:
            parts.append(textOf(line.raw).trimmed());
            break;
        case LineKind::Blank:
            if (!key.isNull())
                parts.append(QString());
            break;
        case LineKind::Comment:
        case LineKind::Header:
            break;
        }
    }
    flush();
    return keys;
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
            comments.append(textOf(line.raw).trimmed().mid(1).trimmed());
    }
    return comments;
}

bool IniDocument::setSection(const QString &name, const IniKeyValues &keys, const QStringList &comments)
{
    if (!isValidSectionName(name))
        return false;
    for (const auto &[key, value] : keys) {
        if (!isValidKey(key) || value.contains(u'\r'))
            return false;
        const QStringList parts = rstripped(value).split(u'\n');
        for (qsizetype i = 1; i < parts.size(); ++i) {
            if (isCommentText(parts.at(i).trimmed()))
                return false; // would be read back as a comment, not as part of the value
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
    return !name.isEmpty() && name == name.trimmed() && !name.contains(u']') && !name.contains(u'\n')
        && !name.contains(u'\r');
}

bool IniDocument::isValidKey(const QString &key)
{
    return !key.isEmpty() && key == key.trimmed() && !key.contains(u'=') && !key.contains(u':')
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
        const QString first = parts.first().trimmed();
        lines.append(
            Line {(key + (first.isEmpty() ? u" ="_s : u" = "_s + first)).toUtf8() + eol, LineKind::Key});
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QString part = parts.at(i).trimmed();
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

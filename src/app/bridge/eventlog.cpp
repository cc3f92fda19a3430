// SPDX-License-Identifier: GPL-3.0-or-later
#include "eventlog.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Elevate::Bridge {

namespace {

/// One JSON string, escaped as QJsonDocument escapes it (quotes, backslashes, control characters).
QByteArray jsonString(const QString &s)
{
    const QByteArray array = QJsonDocument(QJsonArray {s}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2); // ["..."] without the brackets
}

} // namespace

EventLog::EventLog(const Core::Clock *clock, std::FILE *out)
    : m_clock(clock)
    , m_out(out)
{ }

void EventLog::info(const QString &event, const QJsonObject &fields)
{
    write("info", event, fields);
}

void EventLog::warning(const QString &event, const QJsonObject &fields)
{
    write("warning", event, fields);
}

void EventLog::error(const QString &event, const QJsonObject &fields)
{
    write("error", event, fields);
}

void EventLog::write(const char *level, const QString &event, const QJsonObject &fields)
{
    if (!m_out)
        return;
    // QJsonObject keeps its keys sorted, so the three leading keys are written by hand and the
    // caller's fields spliced in after them. A field named like one of them would make a second key
    // of that name in the line (which readers resolve differently): it is written as "field.<name>".
    QJsonObject rest = fields;
    for (const QString &reserved :
         {QStringLiteral("time"), QStringLiteral("level"), QStringLiteral("event")}) {
        const auto it = rest.constFind(reserved);
        if (it != rest.constEnd()) {
            const QJsonValue v = it.value();
            rest.remove(reserved);
            rest.insert(QStringLiteral("field.") + reserved, v);
        }
    }
    const QDateTime now = m_clock ? m_clock->now() : QDateTime();
    QByteArray line;
    line.reserve(128);
    line += "{\"time\":";
    line += jsonString(now.isValid() ? now.toUTC().toString(Qt::ISODateWithMs) : QString());
    line += ",\"level\":";
    line += jsonString(QString::fromLatin1(level));
    line += ",\"event\":";
    line += jsonString(event);
    if (rest.isEmpty()) {
        line += '}';
    } else {
        line += ',';
        line += QJsonDocument(rest).toJson(QJsonDocument::Compact).mid(1); // without its '{'
    }
    line += '\n';
    // One write per line, then flush: a reader (journald, a pipe) sees whole lines at once.
    std::fwrite(line.constData(), 1, static_cast<size_t>(line.size()), m_out);
    std::fflush(m_out);
}

} // namespace Elevate::Bridge

// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The emulator's route tables: each service file lists its endpoints, one line each, with the handler
// and the shape its errors take (an injected fault answers in that shape).

#include <QHash>
#include <QHttpServerRequest>
#include <QList>
#include <QRegularExpression>
#include <QStringList>

#include <functional>
#include <optional>

namespace Elevate::Emulator {

struct Request;
struct Reply;

/// The family an endpoint's error bodies belong to: what an injected fault's default body looks like,
/// and for AwsOidc and AwsPortal the 405 a wrong method gets.
enum class ErrorShape {
    Graph, // Graph's {"error": {code, message, innerError}}; a 401 challenges (and any unknown path)
    EntraOAuth, // Entra's token and device-code endpoints: OAuth error, AADSTS code (entra-auth.md §4.1)
    AwsOidc, // SSO OIDC: {"error", "error_description"} and x-amzn-ErrorType
    AwsPortal, // the access portal API: {"message"} and x-amzn-ErrorType
    Page, // pages and redirects (sign-in, discovery, console federation): faults answer as Graph does
    Admin, // /_emulator/: never faulted, not counted
};

/// What a route matched in the path: the `{name}` placeholders and, for a trailing `**`, the rest.
struct RouteParams
{
    QHash<QString, QString> named;
    QStringList rest;
    QString value(const QString &name) const { return named.value(name); }
};

/// nullopt: any method (the handler tells them apart).
using RouteMethod = std::optional<QHttpServerRequest::Method>;
inline constexpr RouteMethod AnyMethod = std::nullopt;

/**
 * An ordered list of routes. A pattern is a path of segments separated by '/': a literal segment
 * (`client/register`), a placeholder for one whole segment (`{tenant}`), a placeholder constrained by a
 * regular expression (`{version:v1\.0|beta}`), placeholders inside a segment (OData keys and functions,
 * `filterByCurrentUser(on='{on:[A-Za-z]+}')`), and a last `**` that takes zero or more further segments.
 * Several routes with the same pattern are one resource, one method each.
 *
 * match(): the first resource (in the order added) whose pattern fits the path decides; among its
 * routes the method picks one. If none takes the method, the match says so (methodAllowed false) and
 * the caller answers 405 the way its service does, or looks further (match from the next index).
 * `Call` is what a handler gets besides the request: the params, and for Graph the caller's token.
 */
template<typename Owner, typename Call> class RouteTable
{
public:
    using Handler = std::function<Reply(Owner &, const Request &, const Call &)>;

    struct Route
    {
        RouteMethod method;
        QString pattern;
        struct Segment
        {
            QString literal; // the segment as is, when it has no placeholder
            QRegularExpression re; // else the segment, anchored, one capture per name
            QStringList names;
        };
        QList<Segment> segments;
        bool rest = false; // a last `**`
        Handler handler;
        ErrorShape shape = ErrorShape::Graph;
    };

    struct Match
    {
        const Route *route = nullptr; // nullptr: no pattern fits
        bool methodAllowed = false; // false: the path is a resource here, but not for this method
        qsizetype index = -1; // the first route of the resource, to look further from
        RouteParams params;
    };

    RouteTable &add(RouteMethod method, const QString &pattern, Handler handler,
                    ErrorShape shape = ErrorShape::Graph)
    {
        Route route;
        route.method = method;
        route.pattern = pattern;
        route.handler = std::move(handler);
        route.shape = shape;
        const QStringList parts = pattern.split(u'/', Qt::SkipEmptyParts);
        for (qsizetype i = 0; i < parts.size(); ++i) {
            if (parts.at(i) == u"**") {
                Q_ASSERT(i == parts.size() - 1);
                route.rest = true;
                break;
            }
            route.segments << compile(parts.at(i));
        }
        m_routes << route;
        return *this;
    }
    /// A member function taking the request and the call.
    RouteTable &add(RouteMethod method, const QString &pattern,
                    Reply (Owner::*handler)(const Request &, const Call &),
                    ErrorShape shape = ErrorShape::Graph)
    {
        return add(method, pattern, Handler([handler](Owner &o, const Request &r, const Call &c) {
                       return (o.*handler)(r, c);
                   }),
                   shape);
    }
    /// A member function taking the request alone.
    RouteTable &add(RouteMethod method, const QString &pattern, Reply (Owner::*handler)(const Request &),
                    ErrorShape shape = ErrorShape::Graph)
    {
        return add(method, pattern,
                   Handler([handler](Owner &o, const Request &r, const Call &) { return (o.*handler)(r); }),
                   shape);
    }

    Match match(const QStringList &path, QHttpServerRequest::Method method, qsizetype from = 0) const
    {
        Match m;
        for (qsizetype i = from; i < m_routes.size(); ++i) {
            RouteParams params;
            if (!fits(m_routes.at(i), path, &params))
                continue;
            m.index = i;
            m.params = params;
            m.route = &m_routes.at(i);
            // The resource's routes: the same pattern, wherever it was added.
            for (qsizetype j = i; j < m_routes.size(); ++j) {
                const Route &other = m_routes.at(j);
                if (other.pattern == m_routes.at(i).pattern && (!other.method || *other.method == method)) {
                    m.route = &other;
                    m.methodAllowed = true;
                    break;
                }
            }
            return m;
        }
        return m;
    }

private:
    static typename Route::Segment compile(const QString &text)
    {
        typename Route::Segment s;
        if (!text.contains(u'{')) {
            s.literal = text;
            return s;
        }
        QString re = QStringLiteral("^");
        qsizetype at = 0;
        while (at < text.size()) {
            const qsizetype open = text.indexOf(u'{', at);
            if (open < 0) {
                re += QRegularExpression::escape(text.mid(at));
                break;
            }
            const qsizetype close = text.indexOf(u'}', open);
            Q_ASSERT(close > open);
            re += QRegularExpression::escape(text.mid(at, open - at));
            const QString inner = text.mid(open + 1, close - open - 1);
            const qsizetype colon = inner.indexOf(u':');
            s.names << (colon < 0 ? inner : inner.left(colon));
            // A constraint goes in a group of its own (it must not capture), so captures follow names.
            re += colon < 0 ? QStringLiteral("(.+)") : QStringLiteral("((?:%1))").arg(inner.mid(colon + 1));
            at = close + 1;
        }
        s.re = QRegularExpression(re + u'$');
        return s;
    }

    static bool fits(const Route &route, const QStringList &path, RouteParams *params)
    {
        if (path.size() < route.segments.size() || (!route.rest && path.size() != route.segments.size()))
            return false;
        for (qsizetype i = 0; i < route.segments.size(); ++i) {
            const auto &seg = route.segments.at(i);
            if (seg.names.isEmpty()) {
                if (path.at(i) != seg.literal)
                    return false;
                continue;
            }
            const QRegularExpressionMatch m = seg.re.match(path.at(i));
            if (!m.hasMatch())
                return false;
            for (qsizetype n = 0; n < seg.names.size(); ++n)
                params->named.insert(seg.names.at(n), m.captured(int(n) + 1));
        }
        params->rest = path.mid(route.segments.size());
        return true;
    }

    QList<Route> m_routes;
};

} // namespace Elevate::Emulator

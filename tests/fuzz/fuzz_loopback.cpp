// SPDX-License-Identifier: GPL-3.0-or-later
// The bytes a local process or a browser sends to the sign-in's loopback listener, as
// parseRedirectRequest and matchAuthorizationResponse read them: no crash or hang on any bytes;
// nothing is decided before the head is complete (fed in pieces, the first answer is the answer
// to the whole head, and bytes after the head change nothing); 431 exactly past the size limit;
// a 200 only for a GET of the redirect path, with parameters that all come from its query (the
// first pair of each name, decoded) and none that do not; and a response is accepted only with
// the attempt's state, never without one.
#include "auth/loopbackreceiver.h"

#include <cstdint>
#include <cstdlib>

using Elevate::Auth::AuthorizationResponse;
using Elevate::Auth::LoopbackReceiver;
using Elevate::Auth::matchAuthorizationResponse;
using Elevate::Auth::parseRedirectRequest;
using Elevate::Auth::RedirectMatch;
using Elevate::Auth::RedirectRequest;

namespace {

void check(bool ok)
{
    if (!ok)
        std::abort();
}

bool same(const RedirectRequest &a, const RedirectRequest &b)
{
    return a.status == b.status && a.parameters == b.parameters;
}

/// The query of the request line, as a browser wrote it (a trailing '#' dropped).
QByteArray queryOf(const QByteArray &bytes)
{
    const QByteArray line = bytes.left(bytes.indexOf("\r\n"));
    const QByteArray target = line.mid(line.indexOf(' ') + 1, line.lastIndexOf(' ') - line.indexOf(' ') - 1);
    const qsizetype q = target.indexOf('?');
    QByteArray query = q < 0 ? QByteArray() : target.mid(q + 1);
    if (query.endsWith('#'))
        query.chop(1);
    return query;
}

/// The raw value of the first "name=" pair in `query`, or a null array.
QByteArray firstRawValue(const QByteArray &query, const QByteArray &name)
{
    const QByteArray amped = QByteArray(1, '&') + query;
    const qsizetype at = amped.indexOf(QByteArray(QByteArray(1, '&') + name + '='));
    if (at < 0)
        return {};
    const qsizetype from = at + name.size() + 2;
    const qsizetype end = amped.indexOf('&', from);
    return amped.mid(from, end < 0 ? -1 : end - from);
}

void checkParameters(const QByteArray &bytes, const RedirectRequest &r)
{
    check(bytes.startsWith("GET "));
    const QByteArray query = queryOf(bytes);
    for (auto it = r.parameters.cbegin(); it != r.parameters.cend(); ++it) {
        check(!it.key().isEmpty() && !it.key().contains('&') && !it.key().contains('='));
        const QByteArray raw = firstRawValue(query, it.key());
        check(!raw.isNull()); // from the query, nowhere else
        if (!raw.contains('%') && !raw.contains('+'))
            check(it.value() == QString::fromUtf8(raw)); // nothing to decode: as sent
        if (!raw.contains('%'))
            check(!it.value().contains(u'+')); // a '+' alone is a space
    }
    // And every named pair of the query is there.
    for (const QByteArray &pair : query.split('&')) {
        const qsizetype eq = pair.indexOf('=');
        if (eq > 0)
            check(r.parameters.contains(pair.left(eq)));
    }
}

void checkMatch(const RedirectRequest &r)
{
    AuthorizationResponse out;
    const QString state = r.parameters.value("state");
    // Never without a state, whatever the attempt expects.
    if (state.isEmpty())
        check(matchAuthorizationResponse(r.parameters, QByteArray(), &out) == RedirectMatch::WrongState);
    // Some other attempt's state never matches.
    check(matchAuthorizationResponse(r.parameters, QByteArray(state.toUtf8() + 'x'), &out)
          == RedirectMatch::WrongState);
    const RedirectMatch m = matchAuthorizationResponse(r.parameters, "st4te", &out);
    if (state != u"st4te") {
        check(m == RedirectMatch::WrongState);
        return;
    }
    const QString code = r.parameters.value("code");
    const QString error = r.parameters.value("error");
    check(m == (code.isEmpty() && error.isEmpty() ? RedirectMatch::Incomplete : RedirectMatch::Accepted));
    if (m == RedirectMatch::Accepted) {
        check(out.code == code && out.error == error);
        check(out.clientInfo == r.parameters.value("client_info"));
        check(out.errorDescription == r.parameters.value("error_description"));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    // The first byte picks the redirect path and where the bytes are cut into two reads.
    const uint8_t control = data[0];
    const QByteArray bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const QString path = control & 1 ? QStringLiteral("/callback") : QStringLiteral("/");

    const RedirectRequest whole = parseRedirectRequest(bytes, path);
    check(same(whole, parseRedirectRequest(bytes, path))); // no state between calls
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    const bool tooLarge = bytes.size() > LoopbackReceiver::MaxHeadBytes;
    switch (whole.status) {
    case 0:
        check(!tooLarge && end < 0);
        break;
    case 431:
        check(tooLarge);
        break;
    case 400:
    case 404:
        check(!tooLarge && end >= 0 && whole.parameters.isEmpty());
        break;
    case 200:
        check(!tooLarge && end >= 0);
        checkParameters(bytes, whole);
        checkMatch(whole);
        break;
    default:
        check(false);
    }
    if (tooLarge || end < 0)
        return 0;

    // Read in pieces, as the listener does: before the end of the head nothing is decided; from
    // there on the answer is that of the head alone.
    const RedirectRequest head = parseRedirectRequest(bytes.left(end + 4), path);
    check(same(head, whole));
    check(parseRedirectRequest(bytes.left(end + 3), path).status == 0);
    const qsizetype cut = qsizetype(control >> 1) * bytes.size() / 128;
    const RedirectRequest first = parseRedirectRequest(bytes.left(cut), path);
    check(cut < end + 4 ? first.status == 0 : same(first, whole));
    return 0;
}

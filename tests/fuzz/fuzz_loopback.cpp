// SPDX-License-Identifier: GPL-3.0-or-later
// The bytes a local process or a browser sends to Elevate's loopback listeners, and the kernel's
// socket tables the listeners read to tell who connected. No crash or hang on any bytes, and:
// - the request head (Net::parseRequestHead, both listeners): nothing is decided before the head is
//   complete (fed in pieces, the first answer is the answer to the whole head, and bytes after the
//   head change nothing); 431 exactly when the head, or what came without its end, is past the
//   limit; a request line is read back as exactly the bytes sent;
// - the sign-in redirect (parseRedirectRequest, matchAuthorizationResponse): a 200 only for a GET
//   of the redirect path, with parameters that all come from its query (the first pair of each
//   name, decoded) and none that do not; a response is accepted only with the attempt's state,
//   never without one;
// - the console hand-off (OneShotRedirect::answerFor): a 302 exactly for "GET <path> HTTP/1.x",
//   404 for every other complete head, and the two listeners agree on what is not a request at all;
// - the socket owner (LoopbackHttpServer::socketOwner over any /proc/net/tcp or tcp6 text): the same
//   answer as an independent reading, a line of ours appended is found unless an earlier one was,
//   a TIME_WAIT line never is; procNetTcpEndpoint's text reads back as the address and port.
//
// Input: byte 0 picks the mode (bits 0-1), the path (bit 2) and the head limit (bits 3-7: 32 to
// 992 bytes, or at 31 the listeners' own 16 KB), so the limit is reached with small inputs; byte 1
// is where the bytes are cut into two reads; the rest are the bytes.
#include "auth/loopbackreceiver.h"
#include "net/loopbackhttpserver.h"
#include "net/oneshotredirect.h"

#include <QtEndian>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

using Elevate::Auth::AuthorizationResponse;
using Elevate::Auth::matchAuthorizationResponse;
using Elevate::Auth::parseRedirectRequest;
using Elevate::Auth::RedirectMatch;
using Elevate::Auth::RedirectRequest;
using Elevate::Net::LoopbackHttpServer;
using Elevate::Net::OneShotRedirect;
using Elevate::Net::parseRequestHead;
using Elevate::Net::RequestHead;

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

bool same(const RequestHead &a, const RequestHead &b)
{
    return a.status == b.status && a.method == b.method && a.target == b.target && a.path == b.path
        && a.query == b.query && a.size == b.size;
}

/// 431 by the rule, found without parseRequestHead.
bool tooLarge(const QByteArray &bytes, qsizetype limit)
{
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    return end < 0 ? bytes.size() > limit : end + 4 > limit;
}

// --- the head, both listeners ---------------------------------------------------------------

void checkHead(const QByteArray &bytes, qsizetype limit, uint8_t cutByte)
{
    const RequestHead whole = parseRequestHead(bytes, limit);
    check(same(whole, parseRequestHead(bytes, limit))); // no state between calls
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    const bool large = tooLarge(bytes, limit);
    switch (whole.status) {
    case 0:
        check(!large && end < 0);
        break;
    case 431:
        check(large);
        break;
    case 400:
        check(!large && end >= 0 && whole.method.isEmpty() && whole.target.isEmpty());
        break;
    case 200: {
        check(!large && end >= 0 && whole.size == end + 4);
        // The request line is exactly what was sent: METHOD SP TARGET SP HTTP/1.x.
        const QByteArray line = bytes.left(bytes.indexOf("\r\n"));
        check(!whole.method.contains(' ') && !whole.target.contains(' '));
        check(line.startsWith(QByteArray(whole.method + ' ' + whole.target + " HTTP/1.")));
        check(line.indexOf(' ', whole.method.size() + whole.target.size() + 2) < 0);
        const qsizetype q = whole.target.indexOf('?');
        check(whole.path == (q < 0 ? whole.target : whole.target.left(q)));
        if (q < 0) {
            check(whole.query.isEmpty());
        } else {
            const QByteArray sent = whole.target.mid(q + 1);
            check(whole.query == sent || whole.query + '#' == sent);
            check(!whole.query.endsWith('#') || sent.endsWith("##"));
        }
        break;
    }
    default:
        check(false);
    }
    if (large || end < 0)
        return;
    // Read in pieces, as the listener does: before the end of the head nothing is decided (unless
    // too large); from there on the answer is that of the head alone.
    check(same(parseRequestHead(bytes.left(end + 4), limit), whole));
    check(parseRequestHead(bytes.left(end + 3), limit).status == 0);
    const qsizetype cut = qsizetype(cutByte) * bytes.size() / 256;
    const RequestHead first = parseRequestHead(bytes.left(cut), limit);
    check(cut < end + 4 ? first.status == 0 : same(first, whole));
}

// --- the sign-in redirect ---------------------------------------------------------------------

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

void checkSignIn(const QByteArray &bytes, const QString &path, qsizetype limit, uint8_t cutByte)
{
    const RedirectRequest whole = parseRedirectRequest(bytes, path, limit);
    check(same(whole, parseRedirectRequest(bytes, path, limit)));
    const RequestHead head = parseRequestHead(bytes, limit);
    check(same(whole, Elevate::Auth::redirectRequest(head, path)));
    switch (whole.status) {
    case 0:
    case 431:
    case 400:
        check(head.status == whole.status && whole.parameters.isEmpty());
        break;
    case 404:
        check(head.status == 200 && whole.parameters.isEmpty());
        break;
    case 200:
        check(head.status == 200);
        checkParameters(bytes, whole);
        checkMatch(whole);
        break;
    default:
        check(false);
    }
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    if (head.status == 0 || head.status == 431)
        return;
    check(same(parseRedirectRequest(bytes.left(end + 4), path, limit), whole));
    const qsizetype cut = qsizetype(cutByte) * bytes.size() / 256;
    const RedirectRequest first = parseRedirectRequest(bytes.left(cut), path, limit);
    check(cut < end + 4 ? first.status == 0 : same(first, whole));
}

// --- the console hand-off ---------------------------------------------------------------------

void checkHandoff(const QByteArray &bytes, const QByteArray &path, qsizetype limit)
{
    const RequestHead head = parseRequestHead(bytes, limit);
    const int answer = OneShotRedirect::answerFor(head, path);
    const QByteArray line = bytes.left(bytes.indexOf("\r\n"));
    const bool exactly = line.startsWith(QByteArray("GET " + path + " HTTP/1.")) && line.count(' ') == 2;
    switch (answer) {
    case 0:
    case 431:
    case 400:
        check(head.status == answer);
        break;
    case 404:
        check(head.status == 200 && !exactly);
        break;
    case 302:
        check(head.status == 200 && exactly);
        break;
    default:
        check(false);
    }
    if (head.status == 200 && exactly)
        check(answer == 302);
    // Another path of the same length, or the path with anything after it, is no 302.
    if (answer == 302 && !path.isEmpty()) {
        QByteArray other = path;
        other[other.size() - 1] = other.back() == 'x' ? 'y' : 'x';
        check(OneShotRedirect::answerFor(head, other) == 404);
        check(OneShotRedirect::answerFor(head, path + '?') == 404);
    }
}

/// Both listeners on the same bytes: they agree on what is not a request at all, and a GET of "/"
/// is the sign-in's redirect path as much as the hand-off's.
void checkBoth(const QByteArray &bytes, qsizetype limit)
{
    const RequestHead head = parseRequestHead(bytes, limit);
    const int handoff = OneShotRedirect::answerFor(head, "/");
    const RedirectRequest signIn = Elevate::Auth::redirectRequest(head, QStringLiteral("/"));
    if (head.status != 200)
        check(handoff == head.status && signIn.status == head.status);
    else
        check((handoff == 302 || handoff == 404) && (signIn.status == 200 || signIn.status == 404));
    if (handoff == 302)
        check(signIn.status == 200);
}

// --- the socket tables ------------------------------------------------------------------------

/// An independent reading of /proc/net/tcp(6), the plain way: lines, then simplified fields.
std::optional<uint> referenceOwner(const QByteArray &table, const QByteArray &local, const QByteArray &remote)
{
    for (const QByteArray &text : table.split('\n')) {
        const QList<QByteArray> f = text.simplified().split(' ');
        if (f.size() < 8 || !f[0].endsWith(':') || f[1].toLower() != local.toLower()
            || f[2].toLower() != remote.toLower() || f[3] == "06")
            continue;
        bool ok = false;
        const uint uid = f[7].toUInt(&ok);
        if (ok)
            return uid;
    }
    return std::nullopt;
}

QByteArray line(const QByteArray &local, const QByteArray &remote, const char *state, uint uid)
{
    return "  42: " + local + ' ' + remote + ' ' + state + " 00000000:00000000 00:00000000 00000000 "
        + QByteArray::number(uid) + "        0 4242 1 0000000000000000 20 4 30 10 -1";
}

/// procNetTcpEndpoint's text read back: the address bytes and the port.
void checkEndpoint(const QByteArray &endpoint, const QByteArray &addressBytes, quint16 port)
{
    const qsizetype words = addressBytes.size() / 4;
    check(endpoint.size() == words * 8 + 5 && endpoint[words * 8] == ':');
    for (const char c : endpoint)
        check((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || c == ':');
    bool ok = false;
    check(endpoint.mid(words * 8 + 1).toUInt(&ok, 16) == port && ok);
    for (qsizetype w = 0; w < words; ++w) {
        const quint32 word = endpoint.mid(w * 8, 8).toUInt(&ok, 16);
        check(ok);
        char back[4];
        std::memcpy(back, &word, 4);
        check(QByteArray(back, 4) == addressBytes.mid(w * 4, 4));
    }
}

void checkSocketOwner(const QByteArray &bytes)
{
    // The first line names the two endpoints to look up, the rest is the table.
    const qsizetype nl = bytes.indexOf('\n');
    const QList<QByteArray> names = bytes.left(nl < 0 ? bytes.size() : nl).simplified().split(' ');
    const QByteArray table = nl < 0 ? QByteArray() : bytes.mid(nl + 1);
    const QByteArray local = names.value(0);
    const QByteArray remote = names.value(1);
    const std::optional<uint> owner = LoopbackHttpServer::socketOwner(table, local, remote);
    check(owner == referenceOwner(table, local, remote));
    if (!local.isEmpty() && !remote.isEmpty()) {
        // Lines of ours after the table, in another case: a TIME_WAIT one is never the answer, the
        // next one is unless an earlier line was.
        const uint uid = uint(bytes.size()) * 7919u;
        const QByteArray more = table + '\n' + line(local.toLower(), remote.toUpper(), "06", 0) + '\n'
            + line(local.toUpper(), remote.toLower(), "01", uid);
        check(LoopbackHttpServer::socketOwner(more, local, remote)
              == (owner ? owner : std::optional<uint>(uid)));
    }

    // procNetTcpEndpoint of addresses and a port from the bytes, and the lookup of its own line.
    if (bytes.size() < 18)
        return;
    const QByteArray raw = bytes.left(16);
    const quint16 port = quint16((uint8_t(bytes[16]) << 8) | uint8_t(bytes[17]));
    Q_IPV6ADDR six;
    std::memcpy(six.c, raw.constData(), 16);
    const QHostAddress v6(six);
    quint32 v4NetworkOrder = 0;
    std::memcpy(&v4NetworkOrder, raw.constData(), 4);
    const QHostAddress v4(qFromBigEndian(v4NetworkOrder));
    const QByteArray e6 = LoopbackHttpServer::procNetTcpEndpoint(v6, port);
    const QByteArray e4 = LoopbackHttpServer::procNetTcpEndpoint(v4, port);
    checkEndpoint(e6, raw, port);
    checkEndpoint(e4, raw.left(4), port);
    check(LoopbackHttpServer::socketOwner(line(e4, e6, "01", 1000), e4, e6) == std::optional<uint>(1000));
    check(LoopbackHttpServer::socketOwner(line(e4, e6, "01", 1000), e6, e4) == std::nullopt);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t control = data[0];
    const uint8_t cut = data[1];
    const QByteArray bytes(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));
    const int mode = control & 3;
    const bool otherPath = control & 4;
    const int limitIndex = control >> 3;
    const qsizetype limit = limitIndex == 31 ? LoopbackHttpServer::MaxHeadBytes : 32 * (limitIndex + 1);

    switch (mode) {
    case 0:
        checkHead(bytes, limit, cut);
        checkSignIn(bytes, otherPath ? QStringLiteral("/callback") : QStringLiteral("/"), limit, cut);
        break;
    case 1:
        checkHead(bytes, limit, cut);
        // The real path has 43 random characters; a short one lets the fuzzer find it sooner.
        checkHandoff(
            bytes, otherPath ? QByteArray("/Tm90LWEtc2VjcmV0LCBvbmx5IHRoZSBmdXp6ZXIhISE") : QByteArray("/p"),
            limit);
        break;
    case 2:
        checkSocketOwner(bytes);
        break;
    default:
        checkBoth(bytes, limit);
        break;
    }
    return 0;
}

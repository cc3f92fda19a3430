// SPDX-License-Identifier: GPL-3.0-or-later
// Entra ID's token endpoint answers and ID tokens as entraprotocol reads them: no crash, hang or
// sanitizer report on any bytes, and the documented outcomes hold (entra-auth.md §4, §5, §7).
//
// The first byte picks what is fuzzed:
//   'a'  a token-endpoint response (fuzzhttp.h) through tokenError, oauthErrorCode and
//        isTransientTokenError; 'e' through parseTokenResponse; 'f' through parseDeviceCodeResponse;
//   'b'  accountFromIdToken with the fields as typed: id_token\nclient_info\nclient id\nnonce;
//   'c'  the same with the ID token's payload and client_info given as JSON, encoded by the target
//        (so the fuzzer works on the claims, not on base64): payload\nclient_info\nclient id\nnonce;
//   'd'  a claims request: splitClaimsRequest and mergeClientCapabilities.
#include "auth/entraprotocol.h"
#include "fuzzhttp.h"
#include "net/json.h"

using namespace Elevate;
using Core::Error;
using ElevateFuzz::check;

namespace {

void tokenError(const Net::HttpResponse &r, const Error &e)
{
    check(e.source == Error::Source::Entra);
    if (!r.hasStatus())
        check(e.kind == r.transportError.kind);
    else
        check(e.httpStatus == r.status && e.kind != Error::Kind::None);
    if (e.kind == Error::Kind::InteractionRequired || e.kind == Error::Kind::Service)
        check(!e.serviceCode.isEmpty());
}

void errorCodes(const QByteArray &bytes)
{
    const Net::HttpResponse r = ElevateFuzz::responseFrom(bytes);
    tokenError(r, Auth::tokenError(r));
    const QString code = Auth::oauthErrorCode(r);
    const bool transient = Auth::isTransientTokenError(r);
    if (r.hasStatus() && !r.isSuccess() && (r.status == 429 || r.status >= 500))
        check(transient);
    if (r.isSuccess())
        check(!transient);
    if (r.hasStatus() && !r.isSuccess() && (code == u"temporarily_unavailable" || code == u"server_error"))
        check(transient);
}

void tokenResponse(const QByteArray &bytes)
{
    const Net::HttpResponse r = ElevateFuzz::responseFrom(bytes);
    const auto token = Auth::parseTokenResponse(r);
    if (token) {
        check(r.isSuccess() && !token->accessToken.isEmpty() && token->expiresIn > 0);
        return;
    }
    check(token.error().source == Error::Source::Entra);
    if (!r.isSuccess()) {
        const Error e = Auth::tokenError(r);
        tokenError(r, e);
        check(token.error().kind == e.kind && token.error().serviceCode == e.serviceCode);
    }
}

void deviceCodeResponse(const QByteArray &bytes)
{
    const Net::HttpResponse r = ElevateFuzz::responseFrom(bytes);
    const auto device = Auth::parseDeviceCodeResponse(r);
    if (device) {
        check(r.isSuccess() && !device->userCode.isEmpty() && !device->deviceCode.isEmpty());
        check(device->verificationUri.isValid());
        check(device->interval >= 1 && device->interval <= 60);
    } else if (!r.isSuccess()) {
        check(device.error().kind == Auth::tokenError(r).kind);
    }
}

/// The account, if accepted, is complete.
Core::Result<Core::Account> account(const QString &idToken, const QString &clientInfo,
                                    const QString &clientId, const QByteArray &nonce)
{
    auto a = Auth::accountFromIdToken(idToken, clientInfo, clientId, nonce);
    if (a) {
        check(a->isValid() && !a->homeAccountId.isEmpty());
        check(idToken.count(u'.') == 2);
    }
    return a;
}

void rawIdToken(const QByteArray &bytes)
{
    const auto f = ElevateFuzz::fields(bytes, 4);
    (void)account(QString::fromUtf8(f[0]), QString::fromUtf8(f[1]), QString::fromUtf8(f[2]), f[3]);
}

void encodedIdToken(const QByteArray &bytes)
{
    const auto f = ElevateFuzz::fields(bytes, 4);
    const auto enc = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    const QString idToken = QStringLiteral("eyJhbGciOiJSUzI1NiJ9.") + QString::fromLatin1(f[0].toBase64(enc))
        + QStringLiteral(".c2ln");
    const QString clientInfo = f[1].isEmpty() ? QString() : QString::fromLatin1(f[1].toBase64(enc));
    const QString clientId = QString::fromUtf8(f[2]);
    if (!account(idToken, clientInfo, clientId, f[3]))
        return;

    // What the checks promise: an accepted token names our client as audience and carries the nonce.
    const auto payload = Net::parseJson(f[0]);
    check(payload.ok() && payload.value().is_object());
    const Net::Json &p = payload.value();
    bool audOk = Net::jsonString(p, "aud") == clientId;
    if (!audOk && p.contains("aud") && p["aud"].is_array())
        for (const auto &aud : p["aud"])
            audOk = audOk || (aud.is_string() && QString::fromStdString(aud.get<std::string>()) == clientId);
    check(audOk);
    if (!f[3].isEmpty())
        check(Net::jsonString(p, "nonce") == QString::fromLatin1(f[3]));
}

void claimsRequest(const QByteArray &bytes)
{
    const QString claims = QString::fromUtf8(bytes);
    const Auth::ClaimsRequest once = Auth::splitClaimsRequest(claims);
    if (once.claims != claims) {
        // amr was taken out: what is left has none to take.
        const Auth::ClaimsRequest twice = Auth::splitClaimsRequest(once.claims);
        check(twice.amrValues.isEmpty() && twice.claims == once.claims);
    }
    // Merging again changes nothing. That also proves the capability is in: the text re-merged is the
    // same only when it already was a JSON object with access_token.xms_cc {"values":["cp1"]}.
    const QString merged = Auth::mergeClientCapabilities(claims);
    check(Auth::mergeClientCapabilities(merged) == merged);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray rest = ElevateFuzz::bytesOf(data + 1, size - 1);
    switch (uint8_t(data[0] - 'a') % 6) {
    case 0:
        errorCodes(rest);
        break;
    case 1:
        rawIdToken(rest);
        break;
    case 2:
        encodedIdToken(rest);
        break;
    case 3:
        claimsRequest(rest);
        break;
    case 4:
        tokenResponse(rest);
        break;
    default:
        deviceCodeResponse(rest);
        break;
    }
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// IAM Identity Center's OIDC answers as idcprotocol reads them (aws-sso.md §1.2, §2): no crash,
// hang or sanitizer report on any bytes, and the documented outcomes hold. The first byte picks the
// parser ('a' oidcError alone, 'b' parseRegistration for the authorization-code flow, 'c' for the
// device flow, 'd' parseDeviceAuthorization, 'e' parseTokenResponse); the rest is one response
// (fuzzhttp.h), whose oidcError is always checked too.
#include "auth/idcprotocol.h"
#include "fuzzhttp.h"

using namespace Elevate;
using namespace Elevate::Auth;
using Core::Error;
using ElevateFuzz::check;
using ElevateFuzz::now;

namespace {

void registration(const Net::HttpResponse &r, Idc::Flow flow, const Error &error)
{
    const auto reg = Idc::parseRegistration(r, flow);
    if (!reg) {
        check(reg.error().source == Error::Source::IdentityCenter);
        if (!r.isSuccess())
            check(reg.error().kind == error.kind && reg.error().serviceCode == error.serviceCode);
        return;
    }
    check(r.isSuccess() && reg->isValid());
    check(reg->grantTypes == Idc::grantTypesFor(flow));
    check(reg->expiresAt.timeSpec() == Qt::UTC);
    const bool usable = Idc::isUsableFor(reg.value(), flow, now());
    check(usable == (now().secsTo(reg->expiresAt) >= Idc::RegistrationRenewSecs));
    const Idc::Flow other
        = flow == Idc::Flow::DeviceCode ? Idc::Flow::AuthorizationCode : Idc::Flow::DeviceCode;
    check(!Idc::isUsableFor(reg.value(), other, now()));
}

void checkError(const Net::HttpResponse &r, const Error &e)
{
    check(e.source == Error::Source::IdentityCenter);
    if (!r.hasStatus()) {
        check(e.kind == r.transportError.kind);
    } else {
        check(e.httpStatus == r.status && !e.message.isEmpty());
        if (r.status >= 500)
            check(e.kind == Error::Kind::Http);
        else if (e.serviceCode == u"invalid_grant")
            check(e.kind == Error::Kind::InteractionRequired);
        else if (e.serviceCode == u"access_denied")
            check(e.kind == Error::Kind::Cancelled);
        else if (!e.serviceCode.isEmpty())
            check(e.kind == Error::Kind::Service);
        else
            check(e.kind == Error::Kind::Parse || e.kind == Error::Kind::Http);
    }
    if (Idc::refusesTheRegistration(e.serviceCode))
        check(Idc::isFinalRefusal(e.serviceCode));
}

void deviceAuthorization(const Net::HttpResponse &r, const Error &e)
{
    const auto device = Idc::parseDeviceAuthorization(r);
    if (device) {
        check(r.isSuccess() && !device->deviceCode.isEmpty() && !device->userCode.isEmpty());
        check(device->verificationUri.isValid() && !device->verificationUri.isRelative());
        check(!device->verificationUriComplete.isValid() || !device->verificationUriComplete.isRelative());
        check(device->expiresIn > 0 && device->interval >= 1 && device->interval <= 60);
    } else if (!r.isSuccess()) {
        check(device.error().kind == e.kind && device.error().serviceCode == e.serviceCode);
    }
}

void token(const Net::HttpResponse &r, const Error &e)
{
    const auto token = Idc::parseTokenResponse(r);
    if (token)
        check(r.isSuccess() && !token->accessToken.isEmpty() && token->expiresIn > 0);
    else if (!r.isSuccess())
        check(token.error().kind == e.kind && token.error().serviceCode == e.serviceCode);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const Net::HttpResponse r = ElevateFuzz::responseFrom(ElevateFuzz::bytesOf(data + 1, size - 1));
    const Error e = Idc::oidcError(r);
    checkError(r, e);
    switch (uint8_t(data[0] - 'a') % 5) {
    case 0:
        break; // the error alone
    case 1:
        registration(r, Idc::Flow::AuthorizationCode, e);
        break;
    case 2:
        registration(r, Idc::Flow::DeviceCode, e);
        break;
    case 3:
        deviceAuthorization(r, e);
        break;
    default:
        token(r, e);
        break;
    }
    return 0;
}

// SPDX-License-Identifier: GPL-3.0-or-later
// The claims challenge (entra-auth.md §5): from a Graph 401's `WWW-Authenticate` (Bearer auth-params,
// error="insufficient_claims", claims= base64) or from a 400 …AcrsValidationFailed message. No crash,
// hang or sanitizer report on any header or body, and a challenge found is always a JSON object
// (what the step-up sign-in sends on) that the response really asked for.
//
// The input is one response (fuzzhttp.h) with any number of header lines. It is read three ways: as
// given; with its WWW-Authenticate lines folded into one value joined by ", " (what Qt's network
// reply hands over for a repeated header); and as a 400 whose body is the message of an
// AcrsValidationFailed error.
#include "fuzzhttp.h"
#include "graph/odata.h"
#include "net/json.h"

using namespace Elevate;
using Core::Error;
using ElevateFuzz::check;

namespace {

void checkChallenge(const Net::HttpResponse &r, const Error &error)
{
    const QString claims = Graph::claimsChallenge(r, error);
    if (claims.isEmpty())
        return;
    const auto j = Net::parseJson(claims.toUtf8());
    check(j.ok() && j.value().is_object());
    if (r.hasStatus() && r.status == 401)
        check(r.header("WWW-Authenticate").contains("insufficient_claims"));
    else
        check(error.serviceCode.endsWith(u"AcrsValidationFailed"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const Net::HttpResponse r = ElevateFuzz::responseFrom(ElevateFuzz::bytesOf(data, size));
    checkChallenge(r, Graph::graphError(r));

    Net::HttpResponse folded = r;
    folded.headers.clear();
    QByteArray challenges;
    int count = 0;
    for (const auto &[name, value] : r.headers) {
        if (name.compare("www-authenticate", Qt::CaseInsensitive) != 0) {
            folded.headers.append({name, value});
        } else {
            challenges += (count++ ? ", " : "") + value;
        }
    }
    if (count > 1) {
        folded.headers.prepend({"WWW-Authenticate", challenges});
        checkChallenge(folded, Graph::graphError(folded));
    }

    Net::HttpResponse badRequest = r;
    badRequest.status = 400;
    badRequest.transportError = {};
    const Error acrs = Error::make(Error::Kind::Service, QString::fromUtf8(r.body), 400,
                                   QStringLiteral("RoleAssignmentRequestAcrsValidationFailed"));
    checkChallenge(badRequest, acrs);
    return 0;
}

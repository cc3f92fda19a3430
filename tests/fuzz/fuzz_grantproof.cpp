// SPDX-License-Identifier: GPL-3.0-or-later
// GrantProof::fromJson reads a file anyone with access to the state directory could have written:
// it must never crash, hang or throw, and whatever it accepts must survive a round trip through
// toJson() unchanged.
#include "aws/grantproof.h"

#include <cstdint>
#include <cstdlib>

using Elevate::Aws::GrantProof;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto proof = GrantProof::fromJson(bytes);
    if (!proof)
        return 0;
    const auto again = GrantProof::fromJson(proof->toJson());
    if (!again || again->toJson() != proof->toJson())
        std::abort(); // an accepted proof that does not read back as itself
    return 0;
}

// The Raft wire codec on arbitrary bytes: decoding never crashes, a refusal
// says why, and whatever decodes re-encodes to something that decodes to the
// same message (encoding is canonical from then on).
#include <cstdlib>

#include "core/raft/messages.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Bytes input(data, data + size);
    const auto decoded = decode(input);
    if (!decoded.ok()) {
        if (decoded.error.empty()) std::abort();
    } else {
        const Bytes once = encode(*decoded.value);
        const auto again = decode(once);
        if (!again.ok() || encode(*again.value) != once) std::abort();
    }
    const auto membership = decode_membership(input);
    if (membership.ok() && decode_membership(encode_membership(*membership.value)).value != membership.value) std::abort();
    return 0;
}

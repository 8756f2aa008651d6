// Every byte-level decoder of the mesh: frame headers, acks on data, peer
// lists, relay tags, SDP session ids. A frame that decodes must re-encode to the same
// bytes.
#include <cstdlib>

#include "core/mesh/frame.hpp"
#include "core/mesh/peer_link.hpp"
#include "core/mesh/relay_auth.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Bytes input(data, data + size);
    const DecodeResult decoded = decode_frame(input, 1u << 20);
    if (decoded.header) {
        // encode_frame writes the ack trailer (flag_ack) from the header.
        const std::size_t trailer = (decoded.header->flags & flag_ack) != 0 ? kAckTrailerSize : 0;
        const Bytes again = encode_frame(*decoded.header, input.data() + kHeaderSize, input.size() - kHeaderSize - trailer);
        if (again != input) std::abort();  // decoding lost or invented something
        if (decoded.header->type == FrameType::link_state) (void)decode_peer_list(input, kHeaderSize);
    } else if (decoded.error.empty()) {
        std::abort();  // a rejection must say why
    }
    // A tag check on any bytes: false, or true and a frame that tags back to the input.
    const RelayKey key{1, 2, 3};
    Bytes stripped = input;
    if (strip_relay_tag(key, stripped)) {
        Bytes again = stripped;
        append_relay_tag(key, again);
        if (again != input) std::abort();
    }
    (void)sdp_session_id(std::string(input.begin(), input.end()));
    (void)peer_hash(std::string(input.begin(), input.end()));
    return 0;
}

// The session's host wire (session/host_wire.hpp): whatever the records say
// (received frames carry a peer's bytes), an exchange answers with a
// well-formed header whose length is the output's, and the session goes on.
#include <cstdlib>
#include <cstring>

#include "core/session/host_wire.hpp"

using namespace rtcmesh;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mesh::Options options;
    options.id = "a";
    options.peers = {"a", "b", "c"};
    session::Session s(options, 7);
    Bytes out;
    // Two halves, so records that start the links meet records that follow.
    const std::size_t half = size / 2;
    for (const auto& [at, length] : {std::pair{data, half}, std::pair{data + half, size - half}}) {
        session::exchange(s, 0, at, length, length % 2 == 0, out);
        std::uint32_t total = 0;
        if (out.size() < 5 || out[0] != session::kHostWireVersion) std::abort();
        std::memcpy(&total, out.data() + 1, 4);
        if (total != out.size()) std::abort();
    }
    return 0;
}

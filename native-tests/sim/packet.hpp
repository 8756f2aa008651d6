// A message in flight on a simulated network, ordered by delivery time and
// then by send order, so runs are deterministic.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/bytes.hpp"

namespace rtcmesh::sim {

struct Packet {
    Millis at;
    std::uint64_t seq;
    std::string from;
    std::string to;
    Bytes bytes;
    bool operator>(const Packet& other) const { return at != other.at ? at > other.at : seq > other.seq; }
};

}  // namespace rtcmesh::sim

// A message in flight on a simulated network (in a testkit::TimedQueue, by
// delivery time and then by send order, so runs are deterministic).
#pragma once

#include <string>

#include "core/common/bytes.hpp"

namespace rtcmesh::sim {

struct Packet {
    std::string from;
    std::string to;
    Bytes bytes;
};

}  // namespace rtcmesh::sim

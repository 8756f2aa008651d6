// What the attack tests on the simulated WebRTC look for in a node's log:
// a message under a given origin, and the errors that name a sender.
#pragma once

#include <string>

#include "mesh/sim_webrtc.hpp"

namespace rtcmesh::sim {

inline bool received(SimNetwork& net, const std::string& at, const std::string& from, const std::string& text) {
    for (const auto& m : net.log(at).messages)
        if (m.from == from && to_string(m.data) == text) return true;
    return false;
}

// Errors of `code` at `at`; only those naming `peer`, when one is given.
inline int errors_of(SimNetwork& net, const std::string& at, mesh::ErrorCode code, const std::string& peer = {}) {
    int n = 0;
    for (const auto& e : net.log(at).errors) n += e.code == code && (peer.empty() || e.peer == peer);
    return n;
}

inline int forged_reports(SimNetwork& net, const std::string& at, const std::string& naming) {
    return errors_of(net, at, mesh::ErrorCode::forged_frame, naming);
}

}  // namespace rtcmesh::sim

// Tells a host's stall from a peer's silence.
//
// A host (a blocked event loop, a frozen tab, a process under load) may run
// an update long after the wake-up the core asked for. What arrived over that
// time waits in the host's queues behind this very update, so the silence
// is the host's, not the peers'. The mesh and Raft each stop their clocks
// over such a stall (Mesh::forgive_stall, raft::Node::forgive_stall); this
// decides when, the same way for both.
#pragma once

#include "bytes.hpp"

namespace rtcmesh {

class StallGuard {
public:
    // True when an update at `now` came more than `grace` after `due` (the
    // wake-up the last update asked for; negative: none yet) and `allowed`.
    // Never twice in a row: a host late at every update still notices
    // silence, one update later.
    bool forgive(Millis now, Millis due, Millis grace, bool allowed = true) {
        const bool stalled = allowed && due >= 0 && now - due > grace && !forgave_last_;
        forgave_last_ = stalled;
        return stalled;
    }

private:
    bool forgave_last_ = false;
};

}  // namespace rtcmesh

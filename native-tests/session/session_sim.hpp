// The session simulator: the mesh core and the Raft core together, Raft over
// the mesh's system frames, on the simulated WebRTC (mesh/sim_webrtc.hpp).
//
// Members join a room (all at the same instant into an empty room, or one
// after another), each running the room bootstrap rule of the Raft core
// (the oldest member present starts the cluster) and following the mesh's
// membership as the JS host does: a member that arrives is joined by every
// Raft, one that leaves for good is left. Faults: links killed and restored
// (the mesh relays around them), members that vanish without a goodbye and
// come back with their persisted Raft state, members that leave for good and
// rejoin later. A KV workload enters at any member, so followers forward
// proposals and reads to the leader. Checked: Raft's safety properties
// (kit/raft_safety.hpp: Log Matching at the end, the others after every
// step), a commit after the faults stop (liveness), and linearizability of
// the KV history.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::sim {

struct SessionSimOptions {
    std::uint64_t seed = 1;
    int members = 3;
    bool simultaneous_join = false;  // everyone joins the empty room at the same instant
    Millis fault_phase_ms = 8'000;
    // A connection attempt made while its link was dead waits out the mesh's
    // 15 s connect timeout before the next one: liveness allows for that.
    Millis liveness_bound_ms = 30'000;
    bool trace = false;
    bool fault_stale_forwarded_reads = false;  // TEST-ONLY core fault: followers answer forwarded reads
    // The first member is a keeper (raft::Config::keeper): the others may
    // then leave for good in any number; the keeper itself only vanishes
    // and comes back, as a bot restarted from its disk does.
    bool keeper = false;
    // A room with a secret: every two members share a key from their hellos
    // (a new one each visit), each link proves it, and a member joins Raft
    // only once it proved its key (mesh::Options::members_prove_keys).
    bool sealed = false;
};

struct SessionSimResult {
    bool ok = true;
    std::string failure;
    std::vector<std::string> trace;  // with SessionSimOptions::trace (or the tail, on failure)
    std::uint64_t operations = 0;
    std::uint64_t completed = 0;
    std::uint64_t clusters = 0;  // distinct clusters seen (first configuration entries): must be 1
};

SessionSimResult run_session_simulation(const SessionSimOptions& options);

}  // namespace rtcmesh::sim

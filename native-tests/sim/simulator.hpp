// A deterministic fault simulator for the Raft core.
//
// N nodes run in one process on virtual time, everything drawn from one
// seed: message delay, loss, duplication and reordering; symmetric and
// one-way partitions; crashes and restarts (a restart keeps what the node
// persisted, and loses the rest); membership changes; leadership transfers;
// and clocks that stop (a sleeping browser tab). Clients run a key-value
// workload through Raft and record every operation's invoke and return.
//
// After every step the Raft safety properties are checked (Election Safety,
// Leader Append-Only, Log Matching, Leader Completeness, State Machine
// Safety); at the end the faults stop, the network heals, and a leader must
// commit a new proposal within a bounded time (liveness). The KV history is
// then checked for linearizability.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "sim/linearizability.hpp"

namespace rtcmesh::sim {

struct SimOptions {
    std::uint64_t seed = 1;
    int nodes = 5;
    Millis fault_phase_ms = 20'000;  // faults and workload
    Millis liveness_bound_ms = 15'000;
    int clients = 3;
    int keys = 3;
    bool membership_changes = true;
    bool trace = false;  // keep a readable trace of every step
    // Test-only core faults, to prove the checks catch real bugs.
    bool fault_commit_old_term = false;
    bool fault_two_votes = false;
};

struct SimResult {
    bool ok = true;
    std::string failure;              // the first property broken, and how
    std::vector<std::string> trace;   // with SimOptions::trace (or the tail, on failure)
    std::uint64_t operations = 0;     // client operations invoked
    std::uint64_t completed = 0;      // of which answered
    std::uint64_t committed = 0;      // entries applied on the most advanced node
    std::uint64_t steps = 0;
    std::size_t linearizability_states = 0;
};

SimResult run_simulation(const SimOptions& options);

// The Raft paper's Figure 16: time from a leader's crash (at a random point
// of its heartbeat interval) until a new leader's first heartbeat has reached
// every other node. One trial per seed; returns milliseconds per trial.
struct ElectionTimeOptions {
    int trials = 1000;
    int nodes = 5;
    Millis election_min_timeout = 150;
    Millis election_max_timeout = 300;
    Millis heartbeat_interval = 50;
    Millis broadcast_ms = 15;  // mean one-way message delay
    std::uint64_t first_seed = 1;
};
std::vector<Millis> measure_election_times(const ElectionTimeOptions& options);

}  // namespace rtcmesh::sim

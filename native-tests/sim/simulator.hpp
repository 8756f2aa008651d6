// A deterministic fault simulator for the Raft core.
//
// N nodes run in one process on virtual time, everything drawn from one
// seed. The network delays (sometimes past the election timeout), loses,
// duplicates and reorders messages; messages to a paused node wait for it
// to wake. Faults: symmetric and one-way partitions; crashes and restarts;
// disk writes that finish after the node moved on, and crashes that lose or
// tear the write in flight; paused clocks (a sleeping browser tab);
// membership changes that remove or replace the sitting leader and add
// brand-new nodes; leadership transfers; close(); and hostile messages (out
// of range or malformed) fed to live nodes, which must refuse them and stay
// as they were. Hosts compact their logs, so InstallSnapshot runs too.
// Clients run a key-value workload (writes through the log, reads through
// the log or through ReadIndex), entering at the leader or at any other node,
// which forwards to the leader, and record every operation's invoke and
// return.
//
// After every step the Raft safety properties are checked (Election Safety,
// Leader Append-Only, Leader Completeness, State Machine Safety; Log Matching
// every 20 steps). When the faults stop, the network heals, every removed
// node must learn of its removal, the removed nodes are added back, and a
// leader must commit a new proposal within a bound (liveness). The KV
// history is then checked for linearizability.
//
// Faults are drawn from their own random stream and recorded as a schedule,
// so a failing run can be replayed with fewer faults: `shrink_failure`
// removes faults while the failure persists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "sim/linearizability.hpp"

namespace rtcmesh::sim {

enum class FaultKind : std::uint8_t {
    isolate, cut, heal, crash, restart, pause, wake_all, remove, add_back, add_new, transfer, close, hostile,
};

// One fault at one simulation step. `a` and `b` name nodes (b: the other end
// of a cut, the transfer target, or the node a hostile message claims to be).
struct Fault {
    std::uint64_t step = 0;
    FaultKind kind = FaultKind::heal;
    std::string a;
    std::string b;
    std::uint64_t value = 0;  // pause length, hostile variant
    std::string describe() const;
};

struct SimOptions {
    std::uint64_t seed = 1;
    int nodes = 5;
    Millis fault_phase_ms = 20'000;  // faults and workload
    Millis liveness_bound_ms = 15'000;
    int clients = 3;
    int keys = 3;
    bool membership_changes = true;
    bool trace = false;  // keep a readable trace of every step
    bool keeper = false;  // the first node is a keeper (Config::keeper): it keeps the cluster alone while it leads
    // Replay: apply exactly these faults (and no others) instead of drawing them.
    std::optional<std::vector<Fault>> schedule;
    // Test-only core faults, to prove the checks catch real bugs.
    bool fault_commit_old_term = false;
    bool fault_two_votes = false;
    bool fault_stale_forwarded_reads = false;  // followers answer forwarded reads
};

struct SimResult {
    bool ok = true;
    std::string failure;              // the first property broken, and how
    std::vector<std::string> trace;   // with SimOptions::trace (or the tail, on failure)
    std::vector<Fault> schedule;      // every fault applied, in order
    std::uint64_t operations = 0;     // client operations invoked
    std::uint64_t completed = 0;      // of which answered
    std::uint64_t committed = 0;      // entries applied on the most advanced node
    std::uint64_t steps = 0;
    std::uint64_t snapshots_installed = 0;
    std::uint64_t reads_by_index = 0;   // ReadIndex reads answered
    std::uint64_t hostile_refused = 0;  // hostile messages refused
    std::uint64_t removals_learned = 0; // removed nodes that learned of it
    std::size_t linearizability_states = 0;
    bool linearizability_undecided = false;  // the checker ran out of states: no verdict
};

SimResult run_simulation(const SimOptions& options);

// Replays a failed run's schedule with faults removed while the same kind of
// failure persists (at most `max_runs` replays). Returns the shortest failing
// run found, with its trace.
SimResult shrink_failure(const SimOptions& options, const SimResult& failed, int max_runs = 400);

// The Raft paper's Figure 16: time from a leader's crash (at a random point
// of its heartbeat interval) until a new leader's first heartbeat has reached
// every other node. One trial per seed.
struct ElectionTimeOptions {
    int trials = 1000;
    int nodes = 5;
    Millis election_min_timeout = 150;
    Millis election_max_timeout = 300;
    Millis heartbeat_interval = 50;
    Millis broadcast_ms = 15;  // mean one-way message delay
    bool pre_vote = true;      // the paper ran without it
    std::uint64_t first_seed = 1;
};
struct ElectionTrial {
    Millis ms = 0;   // crash to the last node hearing the new leader
    int rounds = 0;  // election rounds it took (terms raised); more than 1 = a split vote
};
std::vector<ElectionTrial> measure_election_times(const ElectionTimeOptions& options);

}  // namespace rtcmesh::sim

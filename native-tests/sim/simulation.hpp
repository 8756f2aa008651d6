// The Raft fault simulator's inside (simulator.hpp says what it does): one
// run's world, shared by the files that make it up.
//   simulator.cpp          the world: nodes and their hosts, the network, time, the end
//   simulation_faults.cpp  the faults, drawn or replayed, and membership changes
//   simulation_checks.cpp  what is checked: safety, removals, the KV history; reports
// Internal to sim/: nothing else includes it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/common/rng.hpp"
#include "core/raft/node.hpp"
#include "kit/raft_safety.hpp"
#include "kit/timed_queue.hpp"
#include "sim/kv_machine.hpp"
#include "sim/kv_workload.hpp"
#include "sim/packet.hpp"
#include "sim/run_log.hpp"
#include "sim/simulator.hpp"

namespace rtcmesh::sim {

using namespace rtcmesh::raft;  // the simulator's files speak Raft throughout

constexpr Millis kStep = 5;              // virtual time per simulation step
constexpr Millis kRemovalBound = 5'000;  // removed nodes must learn of it within this, once healed

// What one run draws once, from its seed: the kind of network, disk and host.
struct RunShape {
    double loss = 0;
    double duplicate = 0;
    Millis max_delay = 10;
    double long_delay = 0;  // chance of a delay past the election timeout
    Millis max_write_ms = 0;  // a disk write completes 0..this after it starts
    std::size_t max_entries_per_message = 1024;
    std::size_t max_inflight = 64;
    bool churn_leaders = false;  // crash every new leader soon after it wins
    bool crash_on_commit = false;  // ... or right after it commits an entry of an older term
    double compact_chance = 0;
    double read_index_chance = 0;
};

RunShape draw_shape(Rng& rng);

// A disk write in flight: the Ready it persists, and when it completes.
struct PendingWrite {
    Ready ready;
    Millis done_at = 0;
};

struct SimNode {
    std::unique_ptr<Node> node;  // null while crashed
    MemoryStorage storage;
    KvState kv;
    std::optional<PendingWrite> write;
    bool paused = false;
    Millis paused_until = 0;
};

class Simulation {
public:
    explicit Simulation(const SimOptions& options)
        : options_(options), shape_rng_(options.seed), net_rng_(options.seed * 0x9E3779B9 + 1),
          fault_rng_(options.seed * 0x85EBCA6B + 2), shape_(draw_shape(shape_rng_)),
          workload_(options.clients, options.keys, shape_.read_index_chance), log_(options.trace) {
        for (int i = 1; i <= options.nodes; ++i) initial_.push_back("n" + std::to_string(i));
        for (const auto& address : initial_) {
            members_.insert(address);
            start_node(address);
        }
        note("seed " + std::to_string(options.seed) + ": " + std::to_string(options.nodes) + " nodes, loss " +
             std::to_string(static_cast<int>(shape_.loss * 100)) + "%, delay 1-" + std::to_string(shape_.max_delay) +
             " ms, disk 0-" + std::to_string(shape_.max_write_ms) + " ms");
    }

    SimResult run();

private:
    // ---------------------------------------------------------------- nodes

    Config config_for(const std::string& address);
    void start_node(const std::string& address);
    bool running(const std::string& address) const;
    std::vector<std::string> live_nodes() const;
    std::string leader() const;

    // The host contract, with a disk that takes time: take a Ready, write it;
    // when the write completes, send, apply, advance, and take the next one.
    void process(const std::string& address);
    Millis disk_latency();
    void complete_write(const std::string& address, SimNode& n);

    // A leader whose commit index lands on an entry of an older term (only a
    // wrong commit rule does that) crashes in this runs' shape.
    bool crashes_after_old_term_commit(const SimNode& n, const Ready& ready) const;

    // A crash with a write in flight keeps a prefix of it: snapshot, hard
    // state, then entries in order; the item at the cut is torn and lost.
    void crash(const std::string& address, std::uint64_t tear);
    void maybe_compact(SimNode& n);
    void send(const std::string& from, OutgoingMessage message);

    // A paused node's messages wait for it to wake; a crashed node's are lost.
    void deliver_due();

    // ---------------------------------------------------------------- applying and safety

    void apply(const std::string& address, SimNode& n, const Entry& entry);
    void observe(const std::string& address, const Event& event);

    // The nodes that run (paused ones too), as the safety checks see them.
    std::vector<testkit::RaftSafety::View> views() const;
    void check_step_invariants();
    void check_log_matching();
    void check_history();
    KvHost kv_host();

    // ---------------------------------------------------------------- faults

    bool faults_on() const { return !healing_ && now_ < options_.fault_phase_ms; }
    std::string pick(const std::vector<std::string>& from);

    // Draws this step's fault, if any (or takes it from the replayed schedule).
    void inject_faults();
    void record(const Fault& f);
    void apply_fault(const Fault& f);

    // Bad input must be refused and change nothing.
    bool send_hostile(const Fault& f);
    std::size_t min_members() const { return std::max<std::size_t>(1, (initial_.size() + 1) / 2); }
    bool remove_member(const std::string& x);
    bool add_back(const std::string& x);

    // A brand-new node joins; if `replacing` is set, that member then leaves.
    void add_new(const std::string& replacing);

    // ---------------------------------------------------------------- time

    void run_churn();
    void step(bool faults);

    // ---------------------------------------------------------------- the end

    void heal_everything();

    // Once the faults stop, the host restarts what is down (a close() begun
    // before the end finishes after it).
    void restart_downed();

    // Every node a committed configuration removed must learn of it.
    void check_removals_learned();

    // After the faults stop and the removed nodes are added back, a leader
    // must commit a new proposal within the bound.
    void liveness();

    // ---------------------------------------------------------------- reporting

    // Each node's state and, for a leader, its view of the others: for failure reports.
    void describe_nodes();

    // With --trace: what each node says of itself, between the faults.
    void trace_event(const std::string& address, const Event& event);

    void note(const std::string& line) { log_.note(now_, line); }
    void fail(std::string what) { log_.fail(now_, std::move(what)); }

    SimOptions options_;
    Rng shape_rng_;  // the run's shape, drawn once
    Rng net_rng_;    // delays, loss, disk, clients: the world
    Rng fault_rng_;  // faults only, so a schedule can be replayed without them
    RunShape shape_;
    Millis now_ = 0;
    bool healing_ = false;
    std::uint64_t restarts_ = 0;
    std::size_t replay_next_ = 0;
    int spares_ = 0;
    std::map<std::string, Millis> crash_at_;    // churn: planned leader crashes
    std::map<std::string, Millis> restart_at_;  // churn: planned restarts
    std::vector<std::string> initial_;
    std::map<std::string, SimNode> nodes_;
    std::set<std::string> members_;
    std::set<std::string> removed_;
    std::set<std::pair<std::string, std::string>> blocked_;
    testkit::TimedQueue<Packet> network_;
    KvWorkload workload_;
    testkit::RaftSafety safety_;
    RunLog log_;
    SimResult result_;
};

}  // namespace rtcmesh::sim

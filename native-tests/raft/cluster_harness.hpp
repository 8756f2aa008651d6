// A deterministic in-process Raft cluster for tests (and, later, the fault
// simulator): N nodes, each with a MemoryStorage, a virtual clock, and a
// network that delivers, drops or holds messages as the test says.
//
// Each node's Ready is handled exactly as the host contract says
// (kit/ready_loop.hpp): persist, then send, then apply, then advance(). Applied entries are recorded per
// node so tests can compare state machines.
//
// Raft's safety properties (kit/raft_safety.hpp) are checked as it runs:
// every applied entry, and every node after each settle(). A violation
// throws, failing the test with the property's name, unless the test broke
// the core on purpose (inject_test_faults); then safety_violation() says
// what broke.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/raft/node.hpp"
#include "kit/raft_safety.hpp"

namespace rtcmesh::raft::testing {

struct Envelope {
    std::string from;
    std::string to;
    Bytes bytes;
    Message decoded;  // for tests that look at or filter messages
};

struct NodeRecord {
    std::unique_ptr<Node> node;
    MemoryStorage storage;
    std::vector<Entry> applied;      // Normal/Config/NoOp entries in apply order
    std::vector<Event> events;       // every event ever emitted
    std::optional<Snapshot> loaded;  // last snapshot handed for loading
};

class Cluster {
public:
    // Nodes n1..nN, all constructed with initial_members = all of them.
    explicit Cluster(int size, std::uint64_t seed = 1, std::function<void(Config&)> configure = {});

    // Adds (or restarts from its storage) a node with the given config.
    Node& start(Config config, bool keep_storage = false);
    Node& node(const std::string& address) { return *records_.at(address).node; }
    NodeRecord& record(const std::string& address) { return records_.at(address); }
    std::vector<std::string> addresses() const;
    bool running(const std::string& address) const { return records_.count(address) > 0 && records_.at(address).node; }

    // Crash: the node object is gone; its storage stays for a restart.
    void crash(const std::string& address);
    Node& restart(const std::string& address);

    // Network control. Partitions cut both ways; `drop` filters every message.
    void isolate(const std::string& address);
    void heal();
    void cut(const std::string& a, const std::string& b);  // one direction: a -> b
    std::function<bool(const Envelope&)> drop;              // true = lose it
    bool hold = false;                                       // true = queue, do not deliver
    std::deque<Envelope>& in_flight() { return in_flight_; }
    void deliver_all();                                      // what is held, in order
    // The node's host is blocked for `ms` (a busy event loop): no update(),
    // and what arrives for it waits. When the stall ends its timer runs
    // first, then what waited, in order, as in Node's event loop.
    // Every node, now and when (re)started, breaks on purpose (test_faults.hpp).
    void inject_test_faults(const TestFaults& faults);
    void stall(const std::string& address, Millis ms) { stalled_until_[address] = now_ + ms; }

    // Time: advance the clock by `ms`, ticking every node every `step` ms and
    // delivering messages after each tick.
    void run_for(Millis ms, Millis step = 5);
    bool run_until(const std::function<bool()>& done, Millis max_ms, Millis step = 5);
    Millis now() const { return now_; }

    // Process every node's Ready until nothing is left (bounded).
    void settle();

    // Runs until exactly one node leads (or `max_ms` passes), then lets its
    // first heartbeats settle; returns the leader, or "" if none.
    std::string elect(Millis max_ms = 10'000);
    std::vector<std::string> others(const std::string& address) const;  // running nodes but this one

    // Observers.
    std::vector<std::string> leaders() const;  // nodes that think they lead, any term
    std::string leader_of_highest_term() const;
    std::vector<std::string> applied_data(const std::string& address) const;  // Normal entries as strings
    // The first safety property found broken, or "".
    const std::string& safety_violation() const { return violation_; }

private:
    void process_ready(const std::string& address);
    void route(const std::string& from, OutgoingMessage message);
    void deliver(const Envelope& envelope);
    void update(const std::string& address);
    bool blocked(const std::string& from, const std::string& to) const;
    void check_safety();
    void on_violation(std::string what);

    std::uint64_t seed_;
    std::function<void(Config&)> configure_;
    std::map<std::string, NodeRecord> records_;
    std::map<std::string, Config> configs_;
    std::set<std::string> isolated_;
    std::set<std::pair<std::string, std::string>> cut_;
    std::deque<Envelope> in_flight_;
    TestFaults faults_;
    bool faults_injected_ = false;
    testkit::RaftSafety safety_;
    std::string violation_;
    std::map<std::string, Millis> stalled_until_;
    std::map<std::string, std::deque<Envelope>> waiting_;  // for a stalled node, in arrival order
    Millis now_ = 0;
};

std::string to_text(const Bytes& bytes);

}  // namespace rtcmesh::raft::testing

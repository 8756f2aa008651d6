// The clients of a key-value workload over Raft nodes, shared by the Raft
// simulator and the session simulator. Clients enter at the leader or at any
// other live node (which forwards to the leader), write through the log and
// read through the log or through ReadIndex, and record every operation's
// invoke and return for the linearizability check. The host tells the
// workload what each node applied and emitted.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/common/rng.hpp"
#include "core/raft/node.hpp"
#include "sim/kv_machine.hpp"
#include "sim/linearizability.hpp"

namespace rtcmesh::sim {

// What the workload may ask of the host about one node (null / empty: it is down).
struct KvHost {
    std::function<raft::Node*(const std::string&)> node;
    std::function<const KvState*(const std::string&)> state;
    std::function<std::vector<std::string>()> live;  // nodes that take requests now
    std::function<std::string()> leader;              // "" if none
    std::function<void(const std::string&)> process;  // run that node's Ready cycle
};

class KvWorkload {
public:
    KvWorkload(int clients, int keys, double read_index_chance);

    // A node applied a command (with its output) or emitted an event.
    void on_applied(const std::string& node, const Command& command, const std::string& output, Millis now);
    void on_event(const std::string& node, const raft::Event& event);
    // Answers reads that became servable, gives up on late answers, and
    // starts new operations.
    void step(Millis now, Rng& rng, const KvHost& host);

    LinearizabilityResult check() const;
    std::uint64_t operations() const { return operations_; }
    std::uint64_t completed() const { return completed_; }
    std::uint64_t reads_by_index() const { return reads_by_index_; }

private:
    struct Client {
        int id = 0;
        int seq = 0;
        std::optional<std::size_t> pending;  // index into history_
        std::string at_node;
        std::uint64_t request_id = 0;  // of its submit()
        std::string command_id;
        Millis deadline = 0;
        std::optional<std::uint64_t> read_id;  // a ReadIndex read in progress
        std::optional<raft::Index> read_index;  // ... confirmed: answer once applied up to it
        std::string read_key;
    };

    void invoke(Client& client, Millis now, Rng& rng, const KvHost& host);
    void answer_read(Client& client, const KvState& kv, Millis now);
    static void end(Client& client);

    int keys_;
    double read_index_chance_;
    std::vector<Client> clients_;
    std::vector<KvOperation> history_;
    std::set<std::size_t> lost_;  // operations that certainly never happened
    std::uint64_t next_request_ = 0;
    std::uint64_t operations_ = 0;
    std::uint64_t completed_ = 0;
    std::uint64_t reads_by_index_ = 0;
};

}  // namespace rtcmesh::sim

// The Raft paper's Figure 16 on the simulator's virtual time.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "core/common/rng.hpp"
#include "core/raft/node.hpp"
#include "kit/ready_loop.hpp"
#include "kit/timed_queue.hpp"
#include "sim/packet.hpp"
#include "sim/simulator.hpp"

namespace rtcmesh::sim {

using namespace rtcmesh::raft;

namespace {


}  // namespace

// ------------------------------------------------------------------ Figure 16

namespace {

// One trial: elect, let the cluster settle, crash the leader at a random
// point of its heartbeat interval, and time until every other node has heard
// a heartbeat (or append) from a leader of a newer term.
std::optional<ElectionTrial> election_trial(const ElectionTimeOptions& o, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::string> addresses;
    for (int i = 1; i <= o.nodes; ++i) addresses.push_back("n" + std::to_string(i));
    std::map<std::string, std::unique_ptr<Node>> nodes;
    for (const auto& address : addresses) {
        Config config;
        config.address = address;
        config.initial_members = addresses;
        config.election_min_timeout = o.election_min_timeout;
        config.election_max_timeout = o.election_max_timeout;
        config.heartbeat_interval = o.heartbeat_interval;
        config.pre_vote = o.pre_vote;
        config.seed = seed * 7919 + nodes.size();
        nodes[address] = std::make_unique<Node>(config);
    }
    testkit::TimedQueue<Packet> network;
    Millis now = 0;
    std::string crashed;
    Term old_term = 0;
    Millis crash_at = -1;
    std::map<std::string, Millis> heard_new_leader;
    Millis last_heartbeat = 0;
    auto process = [&](const std::string& address) {
        Node& node = *nodes.at(address);
        // No disk and no state machine: only the election is timed.
        testkit::drain_ready(node, 1000, testkit::ignore,
                             [&](OutgoingMessage m) {
                                 // One-way delay around the broadcast time: uniform in [b/2, 3b/2].
                                 const Millis delay = static_cast<Millis>(rng.between(static_cast<std::uint64_t>(o.broadcast_ms / 2),
                                                                                      static_cast<std::uint64_t>(o.broadcast_ms * 3 / 2)));
                                 if (node.role() == Role::Leader) last_heartbeat = now;
                                 network.push(now + delay, Packet{address, m.to, std::move(m.bytes)});
                             },
                             testkit::ignore, testkit::ignore);
    };
    std::optional<Millis> crash_plan;
    for (; now < 60'000; ++now) {
        for (const auto& address : addresses) {
            if (address == crashed) continue;
            nodes.at(address)->update(now);
            process(address);
        }
        while (network.due(now)) {
            const Packet p = network.pop().item;
            if (p.to == crashed || p.from == crashed) continue;
            auto decoded = decode(p.bytes);
            if (crash_at >= 0 && decoded.ok() && decoded.value->term > old_term &&
                (decoded.value->type == MessageType::Heartbeat || decoded.value->type == MessageType::Append)) {
                heard_new_leader.emplace(p.to, now);
            }
            (void)nodes.at(p.to)->receive(p.from, p.bytes);
            process(p.to);
        }
        if (crash_at < 0) {
            std::string leader;
            for (const auto& [address, node] : nodes)
                if (node->role() == Role::Leader) leader = address;
            if (!leader.empty() && now > 2000 && !crash_plan) {
                crash_plan = last_heartbeat + static_cast<Millis>(rng.between(0, static_cast<std::uint64_t>(o.heartbeat_interval - 1)));
            }
            if (crash_plan && now >= *crash_plan && !leader.empty()) {
                crashed = leader;
                old_term = nodes.at(leader)->term();
                crash_at = now;
            }
        } else if (heard_new_leader.size() == addresses.size() - 2) {  // every node but the old and the new leader
            Millis last = 0;
            for (const auto& [address, at] : heard_new_leader) last = std::max(last, at);
            Term new_term = 0;
            for (const auto& [address, node] : nodes)
                if (address != crashed && node->role() == Role::Leader) new_term = std::max(new_term, node->term());
            return ElectionTrial{last - crash_at, static_cast<int>(new_term - old_term)};
        }
    }
    return std::nullopt;
}

}  // namespace

std::vector<ElectionTrial> measure_election_times(const ElectionTimeOptions& options) {
    std::vector<ElectionTrial> times;
    for (int trial = 0; trial < options.trials; ++trial) {
        if (auto t = election_trial(options, options.first_seed + static_cast<std::uint64_t>(trial))) times.push_back(*t);
    }
    return times;
}

}  // namespace rtcmesh::sim

// Options of one Raft node. Names follow the seed's JS `Raft` options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::raft {

struct Config {
    std::string address;  // this node's identity; messages name it in `to`

    Millis election_min_timeout = 150;  // randomized in [min, max] per timer reset
    Millis election_max_timeout = 300;
    Millis heartbeat_interval = 50;

    std::uint64_t seed = 1;  // the only source of randomness (election jitter)

    // Explicit bootstrap configuration. Empty = use this node plus every
    // address passed to join() before the log holds a configuration.
    std::vector<std::string> initial_members;
    // A node started to be added to a running cluster: it never bootstraps a
    // configuration of its own and waits to receive one from a leader.
    bool join_existing_cluster = false;

    // A keeper is a member that stays (a server-side bot with durable
    // storage) while others come and go (browser tabs). While a keeper leads
    // it is the only voter: other members are kept as learners (voters are
    // demoted), so any number of them may leave at once without costing a
    // quorum, and the cluster is available exactly when a keeper is. A
    // leader that is no keeper hands the lead to a caught-up keeper voter.
    // A keeper that closes while it leads leaves the configuration first
    // (promoting a learner if it is the only voter), so the others carry on. Every message carries the flag, so the others learn
    // who keeps the cluster from the keeper itself.
    bool keeper = false;

    bool pre_vote = true;      // §9.6: don't bump terms unless an election could win
    bool check_quorum = true;  // leader steps down without a live quorum; followers keep a lease

    // Flow control (etcd's Progress): batching and pipelining per follower.
    std::size_t max_entries_per_message = 1024;
    std::size_t max_bytes_per_message = 1 << 20;
    std::size_t max_inflight_messages = 64;
    std::size_t max_entries_to_apply = 4096;  // per Ready
    std::size_t max_entry_bytes = 1 << 20;    // bigger proposals are rejected
    // A request forwarded to the leader (submit/read on a follower) fails
    // when no answer came within this long, or no leader was known.
    Millis forward_timeout = 10'000;
    // Test-only faults are not options: see test_faults.hpp.
};

}  // namespace rtcmesh::raft

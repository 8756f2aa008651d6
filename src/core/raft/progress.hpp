// The leader's view of one follower (etcd's Progress), for flow control.
//
// Probe: we don't know where the follower's log matches; send one Append at
// a time and wait for the answer. Replicate: the follower is in sync; send
// optimistically, up to max_inflight_messages unacknowledged Appends.
#pragma once

#include <deque>

#include "core/raft/types.hpp"

namespace rtcmesh::raft {

struct Progress {
    enum class State : std::uint8_t { Probe, Replicate };

    Index match = 0;
    Index next = 1;
    State state = State::Probe;
    bool probe_sent = false;      // Probe: an Append is outstanding, wait for the answer
    std::deque<Index> inflight;   // Replicate: last index of each unacknowledged Append
    bool recent_active = false;   // heard from since the last CheckQuorum round
    int stalled_heartbeats = 0;   // heartbeat answers without match progress (lost Appends)
    std::uint64_t read_seq_acked = 0;

    void become_probe() {
        state = State::Probe;
        next = match + 1;
        probe_sent = false;
        inflight.clear();
        stalled_heartbeats = 0;
    }
    void become_replicate() {
        state = State::Replicate;
        next = match + 1;
        probe_sent = false;
        inflight.clear();
    }
    void free_inflight_up_to(Index index) {
        while (!inflight.empty() && inflight.front() <= index) inflight.pop_front();
    }
};

}  // namespace rtcmesh::raft

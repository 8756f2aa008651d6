// The host's half of Raft's Ready contract (core/raft/node.hpp), written once
// for every harness that drives a Raft node or a session: the unit tests'
// cluster, the Raft and session simulators, the fuzzers and the native bench.
// Each harness says what persisting, sending, applying and observing mean for
// it; the order, which the contract fixes, lives only here:
//   1. persist the hard state, entries and snapshot;
//   2. only then send the messages (a vote or an ack must not outlive a crash
//      that loses what it vouched for);
//   3. apply the committed entries, in order;
//   4. report the events;
// and the caller advances the core after all four.
#pragma once

#include <utility>

#include "core/raft/node.hpp"

namespace rtcmesh::testkit {

template <class Persist, class Send, class Apply, class Observe>
void hand_over(raft::Ready& ready, Persist&& persist, Send&& send, Apply&& apply, Observe&& observe) {
    persist(static_cast<const raft::Ready&>(ready));
    for (auto& message : ready.messages) send(std::move(message));
    for (const auto& entry : ready.committed_entries) apply(entry);
    for (const auto& event : ready.events) observe(event);
}

// Takes and hands over the core's Readys, advancing after each, until it has
// none or `max_rounds` went by (a core that always has one is a bug the
// bound turns into a stopped harness, not a hung one). Returns whether the
// core settled: false if it still has a Ready after `max_rounds`.
template <class Core, class Persist, class Send, class Apply, class Observe>
bool drain_ready(Core& core, int max_rounds, Persist&& persist, Send&& send, Apply&& apply, Observe&& observe) {
    for (int rounds = 0; rounds < max_rounds && core.has_ready(); ++rounds) {
        raft::Ready ready = core.take_ready();
        hand_over(ready, persist, send, apply, observe);
        core.advance();
    }
    return !core.has_ready();
}

// For harnesses without a part: what they skip, named.
inline constexpr auto ignore = [](auto&&...) {};

}  // namespace rtcmesh::testkit

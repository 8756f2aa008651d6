// What a simulated world does next: items ordered by the time they are due,
// then by the order they were queued, so that equal times never leave the
// order to the heap and every run of a seed is the same run. The simulated
// WebRTC's actions, the Raft simulator's packets and Figure 16's all wait here.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::testkit {

template <class Item>
class TimedQueue {
public:
    struct Entry {
        Millis at;
        std::uint64_t seq;  // queueing order: breaks ties between equal times
        Item item;
        bool operator>(const Entry& other) const { return at != other.at ? at > other.at : seq > other.seq; }
    };

    void push(Millis at, Item item) { heap_.push(Entry{at, ++seq_, std::move(item)}); }
    // An entry taken out and put back later (its host was asleep): it keeps
    // its place among the entries queued at its new time.
    void requeue(Entry entry) { heap_.push(std::move(entry)); }

    bool empty() const { return heap_.empty(); }
    Millis next_at() const { return heap_.top().at; }
    bool due(Millis now) const { return !heap_.empty() && heap_.top().at <= now; }

    // The first entry, taken out (the queue must not be empty).
    Entry pop() {
        // The heap orders by `at` and `seq` alone, which a move leaves as they
        // are: moving the item out of the top before pop() is safe.
        Entry entry = std::move(const_cast<Entry&>(heap_.top()));
        heap_.pop();
        return entry;
    }

private:
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
    std::uint64_t seq_ = 0;
};

}  // namespace rtcmesh::testkit

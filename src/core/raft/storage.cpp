#include "core/raft/storage.hpp"

#include <algorithm>

namespace rtcmesh::raft {

void MemoryStorage::save_entries(const std::vector<Entry>& entries) {
    if (entries.empty()) return;
    auto& stored = state_.entries;
    const Index first = entries.front().index;
    // Drop the conflicting (or replaced) suffix, then append. Stored indexes
    // are sorted, so the cut is found by binary search: appends stay O(batch).
    auto keep_end = std::lower_bound(stored.begin(), stored.end(), first,
                                     [](const Entry& e, Index index) { return e.index < index; });
    stored.erase(keep_end, stored.end());
    stored.insert(stored.end(), entries.begin(), entries.end());
}

void MemoryStorage::save_snapshot(const Snapshot& snapshot) {
    if (state_.snapshot && state_.snapshot->index >= snapshot.index) return;
    auto& stored = state_.entries;
    const bool matches = std::any_of(stored.begin(), stored.end(), [&](const Entry& e) {
        return e.index == snapshot.index && e.term == snapshot.term;
    });
    if (matches) {
        stored.erase(std::remove_if(stored.begin(), stored.end(), [&](const Entry& e) { return e.index <= snapshot.index; }),
                     stored.end());
    } else {
        stored.clear();  // the snapshot replaces a log that diverged or was too short
    }
    state_.snapshot = snapshot;
    state_.hard_state.commit = std::max(state_.hard_state.commit, snapshot.index);
}

}  // namespace rtcmesh::raft

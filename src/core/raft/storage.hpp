// Persistence contract between the node and its host.
//
// The node never writes to disk itself. Each Ready (see node.hpp) lists what
// must be made durable BEFORE its messages are sent:
//   1. if ready.snapshot: replace the stored snapshot and drop entries it covers
//      (and load it into the state machine);
//   2. hard_state: store it;
//   3. entries: overwrite any stored entries with index >= entries.front().index,
//      then append them;
// in that order, so a write torn part-way never leaves entries of a term
// newer than the stored term;
// then send ready.messages, apply ready.committed_entries, and call
// node.advance(). MemoryStorage below does 1-3 and is the default host store;
// PersistentState is what a restarted node is constructed from.
#pragma once

#include <optional>
#include <vector>

#include "core/raft/types.hpp"

namespace rtcmesh::raft {

struct PersistentState {
    HardState hard_state;
    std::optional<Snapshot> snapshot;
    std::vector<Entry> entries;  // consecutive, starting after the snapshot
};

// Abstract store a host can implement over IndexedDB, files, ...
class Storage {
public:
    virtual ~Storage() = default;
    virtual void save_hard_state(const HardState& state) = 0;
    virtual void save_entries(const std::vector<Entry>& entries) = 0;  // overwrite-from-first semantics
    virtual void save_snapshot(const Snapshot& snapshot) = 0;          // drops covered entries
    virtual PersistentState load() const = 0;
};

class MemoryStorage final : public Storage {
public:
    void save_hard_state(const HardState& state) override { state_.hard_state = state; }
    void save_entries(const std::vector<Entry>& entries) override;
    void save_snapshot(const Snapshot& snapshot) override;
    PersistentState load() const override { return state_; }
    const PersistentState& state() const { return state_; }

private:
    PersistentState state_;
};

}  // namespace rtcmesh::raft

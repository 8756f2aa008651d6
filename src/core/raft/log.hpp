// The in-memory Raft log: entries after the snapshot boundary.
//
// Indexes 1..snapshot_index() are compacted away (only their last term is
// remembered); entries_ holds snapshot_index()+1 .. last_index().
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "core/raft/types.hpp"

namespace rtcmesh::raft {

class RaftLog {
public:
    Index snapshot_index() const { return snapshot_index_; }
    Term snapshot_term() const { return snapshot_term_; }
    Index first_index() const { return snapshot_index_ + 1; }
    Index last_index() const { return snapshot_index_ + entries_.size(); }
    Term last_term() const { return entries_.empty() ? snapshot_term_ : entries_.back().term; }

    // Term of the entry at `index`; nullopt when compacted or beyond the end.
    std::optional<Term> term_at(Index index) const;
    const Entry& at(Index index) const { return entries_[index - first_index()]; }
    bool matches(Index index, Term term) const { return term_at(index) == term; }

    // §5.4.1: is a log ending at (index, term) at least as up-to-date as ours?
    bool is_up_to_date(Index index, Term term) const {
        return term > last_term() || (term == last_term() && index >= last_index());
    }

    void append(Entry entry) { entries_.push_back(std::move(entry)); }
    // Drops every entry with index >= `index` (a conflicting suffix).
    void truncate_from(Index index);
    // [from, last] bounded by count and bytes (at least one entry), in place:
    // valid until the log next changes.
    std::span<const Entry> view(Index from, std::size_t max_count, std::size_t max_bytes) const;
    // The same entries, copied.
    std::vector<Entry> slice(Index from, std::size_t max_count, std::size_t max_bytes) const {
        const auto entries = view(from, max_count, max_bytes);
        return {entries.begin(), entries.end()};
    }
    // Largest index <= `index` whose term <= `term` (fast backtracking hint).
    Index find_conflict_by_term(Index index, Term term) const;

    // Forgets entries up to `index` (which must be <= last_index() or the
    // whole log is replaced by the snapshot boundary).
    void compact(Index index, Term term);
    void reset_to_snapshot(Index index, Term term);

private:
    Index snapshot_index_ = 0;
    Term snapshot_term_ = 0;
    std::vector<Entry> entries_;
};

}  // namespace rtcmesh::raft

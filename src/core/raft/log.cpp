#include "core/raft/log.hpp"

#include <algorithm>

namespace rtcmesh::raft {

std::optional<Term> RaftLog::term_at(Index index) const {
    if (index == snapshot_index_) return snapshot_term_;
    if (index < snapshot_index_ || index > last_index()) return std::nullopt;
    return at(index).term;
}

void RaftLog::truncate_from(Index index) {
    if (index <= snapshot_index_) {
        entries_.clear();
        return;
    }
    if (index <= last_index()) entries_.resize(index - first_index());
}

std::span<const Entry> RaftLog::view(Index from, std::size_t max_count, std::size_t max_bytes) const {
    if (from < first_index() || from > last_index()) return {};
    // Counted, not added to `from`: max_count may be SIZE_MAX ("everything").
    const std::size_t available = last_index() - from + 1;
    const std::size_t limit = std::min(available, std::max<std::size_t>(max_count, 1));
    const std::span<const Entry> entries(entries_.data() + (from - first_index()), limit);
    std::size_t count = 0;
    std::size_t bytes = 0;
    for (const Entry& e : entries) {
        bytes += e.data.size();
        if (count > 0 && bytes > max_bytes) break;  // always send at least one entry
        ++count;
    }
    return entries.first(count);
}

Index RaftLog::find_conflict_by_term(Index index, Term term) const {
    index = std::min(index, last_index());
    while (index > snapshot_index_) {
        if (at(index).term <= term) return index;
        --index;
    }
    return index;
}

void RaftLog::compact(Index index, Term term) {
    if (index <= snapshot_index_) return;
    if (index >= last_index()) {
        entries_.clear();
    } else {
        entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(index - snapshot_index_));
    }
    snapshot_index_ = index;
    snapshot_term_ = term;
}

void RaftLog::reset_to_snapshot(Index index, Term term) {
    entries_.clear();
    snapshot_index_ = index;
    snapshot_term_ = term;
}

}  // namespace rtcmesh::raft

// The Raft paper's safety properties (Figure 3), watched while a cluster
// runs, written once for every harness that runs one: the unit tests'
// Cluster, the Raft fault simulator and the session simulator.
//   Election Safety: at most one leader per term.
//   Leader Append-Only: a leader never overwrites or deletes its entries.
//   Leader Completeness: a new leader's log holds every committed entry
//     (here: every entry applied anywhere).
//   State Machine Safety: no two nodes apply different entries at one index.
//   Log Matching: two logs with an entry of the same index and term are
//     identical up to it.
// Each check returns the first violation found, as a sentence that starts
// with the property's name, or "" when there is none.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/raft/node.hpp"

namespace rtcmesh::testkit {

class RaftSafety {
public:
    // A running node as the checks see it.
    struct View {
        const std::string& address;
        const raft::Node& node;
        // The term its storage holds. A leadership no storage holds yet is
        // invisible (its messages wait for the write): a crash erases it, and
        // a sole voter (a keeper) may then win the same term again on its own.
        raft::Term persisted_term;
    };

    // State Machine Safety, for an entry `address` applied.
    std::string on_applied(const std::string& address, const raft::Entry& entry) {
        auto [it, fresh] = applied_.emplace(entry.index, std::make_pair(entry.term, entry.data));
        if (fresh || (it->second.first == entry.term && it->second.second == entry.data)) return {};
        return "State Machine Safety: " + address + " applied a different entry at index " + std::to_string(entry.index) +
               " (term " + std::to_string(entry.term) + " vs " + std::to_string(it->second.first) + ")";
    }

    // After a step: Election Safety and Leader Append-Only for every leader,
    // and Leader Completeness for a leader seen for the first time, which
    // `on_new_leader(address, term)` hears of first.
    template <class OnNewLeader>
    std::string after_step(const std::vector<View>& nodes, OnNewLeader&& on_new_leader) {
        for (const View& v : nodes) {
            if (v.node.role() != raft::Role::Leader) continue;
            const raft::Term term = v.node.term();
            if (v.persisted_term < term) continue;
            auto [known, fresh] = leader_of_term_.emplace(term, v.address);
            if (!fresh && known->second != v.address)
                return "Election Safety: both " + known->second + " and " + v.address + " lead term " + std::to_string(term);
            const raft::RaftLog& log = v.node.log();
            if (fresh) {
                on_new_leader(v.address, term);
                if (std::string broken = leader_completeness(v, log); !broken.empty()) return broken;
            }
            auto& seen = leader_log_[{v.address, term}];
            const bool compacted = seen.first <= log.snapshot_index();  // compaction is not rewriting
            if (seen.first > 0 && (log.last_index() < seen.first || (!compacted && log.term_at(seen.first) != seen.second)))
                return "Leader Append-Only: " + v.address + " rewrote its log in term " + std::to_string(term) + " at index " +
                       std::to_string(seen.first) + " (its log now ends at " + std::to_string(log.last_index()) +
                       ", snapshot at " + std::to_string(log.snapshot_index()) + ")";
            seen = {log.last_index(), log.last_term()};
        }
        return {};
    }
    std::string after_step(const std::vector<View>& nodes) {
        return after_step(nodes, [](const std::string&, raft::Term) {});
    }

    // Log Matching over every pair of nodes (quadratic: now and then, not
    // at every step).
    static std::string log_matching(const std::vector<View>& nodes) {
        for (const View& a : nodes) {
            for (const View& b : nodes) {
                if (a.address >= b.address) continue;
                const raft::RaftLog& la = a.node.log();
                const raft::RaftLog& lb = b.node.log();
                const raft::Index end = std::min(la.last_index(), lb.last_index());
                raft::Index first_difference = 0;
                for (raft::Index i = std::max(la.first_index(), lb.first_index()); i <= end; ++i) {
                    const bool same_term = la.at(i).term == lb.at(i).term;
                    if (same_term && (first_difference != 0 || !(la.at(i) == lb.at(i))))
                        return "Log Matching: " + a.address + " and " + b.address + " hold term " +
                               std::to_string(la.at(i).term) + " at index " + std::to_string(i) + " but differ at or before it";
                    if (!same_term && first_difference == 0) first_difference = i;
                }
            }
        }
        return {};
    }

private:
    std::string leader_completeness(const View& v, const raft::RaftLog& log) const {
        for (const auto& [index, entry] : applied_) {
            if (index <= log.snapshot_index()) continue;
            if (log.term_at(index) != entry.first)
                return "Leader Completeness: " + v.address + " leads term " + std::to_string(v.node.term()) +
                       " without committed entry " + std::to_string(index);
        }
        return {};
    }

    std::map<raft::Index, std::pair<raft::Term, Bytes>> applied_;  // index -> what was applied there first
    std::map<raft::Term, std::string> leader_of_term_;
    std::map<std::pair<std::string, raft::Term>, std::pair<raft::Index, raft::Term>> leader_log_;  // last seen (index, term)
};

}  // namespace rtcmesh::testkit

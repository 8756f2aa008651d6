// What the application asks of a node: proposals, leadership transfer
// (dissertation §3.10), linearizable reads by ReadIndex (§6.4) and log
// compaction into snapshots (§5).
#include <algorithm>

#include "core/raft/node.hpp"

namespace rtcmesh::raft {

std::string Node::not_leader_message(const std::string& what) const {
    return what + ": this node is not the leader" +
           (leader_.empty() ? std::string(" (no leader is known yet; retry after an election)")
                            : "; the leader is '" + leader_ + "'");
}

Result<Proposed> Node::propose(Bytes data) {
    if (closed_ || closing_) return Result<Proposed>::failure(ErrorCode::closed, "cannot propose: the node is closing or closed");
    if (role_ != Role::Leader) return Result<Proposed>::failure(ErrorCode::not_leader, not_leader_message("cannot propose"));
    if (!transfer_target_.empty())
        return Result<Proposed>::failure(ErrorCode::busy, "cannot propose: leadership is being transferred to '" + transfer_target_ + "'");
    if (data.size() > config_.max_entry_bytes)
        return Result<Proposed>::failure(ErrorCode::too_large, "cannot propose " + std::to_string(data.size()) + " bytes: the limit is " +
                                         std::to_string(config_.max_entry_bytes) + " bytes per entry");
    if (log_.last_index() >= kMaxWireNumber) return Result<Proposed>::failure(ErrorCode::log_full, "cannot propose: the log reached its largest index");
    append_local(EntryType::Normal, std::move(data));
    return Result<Proposed>::success(Proposed{log_.last_index(), term_});
}

Status Node::transfer_leadership(const std::string& to) {
    if (closed_) return Status::failure(ErrorCode::closed, "cannot transfer leadership: the node is closed");
    if (role_ != Role::Leader) return Status::failure(ErrorCode::not_leader, not_leader_message("cannot transfer leadership"));
    if (to == config_.address) return Status::failure(ErrorCode::bad_argument, "cannot transfer leadership to this node itself");
    if (!membership().is_voter(to)) return Status::failure(ErrorCode::bad_argument, "cannot transfer leadership to '" + to + "': not a voter");
    transfer_target_ = to;
    transfer_deadline_ = now_ + config_.election_min_timeout;
    Progress& pr = progress_[to];
    if (pr.match == log_.last_index()) {
        send(Message{.type = MessageType::TimeoutNow, .to = to});
    } else {
        send_appends_to(to, true);  // catch it up first; TimeoutNow follows in maybe_finish_transfer
    }
    return ok_status();
}

void Node::maybe_finish_transfer(const std::string& peer) {
    if (peer != transfer_target_) return;
    auto it = progress_.find(peer);
    if (it != progress_.end() && it->second.match == log_.last_index()) {
        send(Message{.type = MessageType::TimeoutNow, .to = peer});
    }
}

Status Node::read_index(std::uint64_t request_id) {
    if (closed_ || closing_) return Status::failure(ErrorCode::closed, "cannot read: the node is closing or closed");
    if (role_ != Role::Leader) return Status::failure(ErrorCode::not_leader, not_leader_message("cannot serve a linearizable read"));
    // A new leader does not know the commit index until it has committed an
    // entry of its own term (§6.4 step 1): the read waits for its no-op.
    if (!committed_in_current_term()) {
        reads_waiting_for_commit_.push_back(request_id);
        return ok_status();
    }
    start_read(request_id);
    return ok_status();
}

void Node::start_read(std::uint64_t request_id) {
    pending_reads_.push_back(PendingRead{request_id, commit_, ++read_seq_});
    if (quorum() == 1) {
        confirm_reads();
        return;
    }
    broadcast_heartbeat();  // carries read_seq_: a quorum of answers confirms we still lead
}

// A read is safe once a quorum acknowledged a heartbeat sent after it began.
void Node::confirm_reads() {
    if (pending_reads_.empty()) return;
    std::vector<std::uint64_t> acked;
    for (const auto& voter : membership().voters) {
        if (voter == config_.address) {
            acked.push_back(read_seq_);
            continue;
        }
        auto it = progress_.find(voter);
        acked.push_back(it == progress_.end() ? 0 : it->second.read_seq_acked);
    }
    std::sort(acked.begin(), acked.end(), std::greater<>());
    const std::uint64_t confirmed_seq = acked[quorum() - 1];
    auto done = std::stable_partition(pending_reads_.begin(), pending_reads_.end(),
                                      [&](const PendingRead& r) { return r.seq > confirmed_seq; });
    const std::vector<PendingRead> confirmed(done, pending_reads_.end());
    pending_reads_.erase(done, pending_reads_.end());
    for (const auto& read : confirmed) complete_read(read.request_id, read.index);
}

// A read served for a follower is answered to it; the host's own is an event.
void Node::complete_read(std::uint64_t request_id, Index index) {
    auto forwarded = forwarded_reads_.find(request_id);
    if (forwarded == forwarded_reads_.end()) return emit(ReadReady{request_id, index});
    send(Message{.type = MessageType::ForwardReadReply, .to = forwarded->second.first, .index = index,
                 .request = forwarded->second.second});
    forwarded_reads_.erase(forwarded);
}

void Node::fail_read(std::uint64_t request_id, const std::string& reason, ErrorCode code) {
    auto forwarded = forwarded_reads_.find(request_id);
    if (forwarded == forwarded_reads_.end()) return emit(ReadFailed{request_id, reason, code});
    send(Message{.type = MessageType::ForwardReadReply, .to = forwarded->second.first, .reject = true,
                 .request = forwarded->second.second, .payload = Bytes(reason.begin(), reason.end())});
    forwarded_reads_.erase(forwarded);
}

void Node::release_waiting_reads() {
    if (role_ != Role::Leader || !committed_in_current_term()) return;
    auto waiting = std::move(reads_waiting_for_commit_);
    reads_waiting_for_commit_.clear();
    for (const auto id : waiting) start_read(id);
}

void Node::fail_reads(ErrorCode code, const std::string& reason) {
    const auto pending = std::move(pending_reads_);
    const auto waiting = std::move(reads_waiting_for_commit_);
    pending_reads_.clear();
    reads_waiting_for_commit_.clear();
    for (const auto& read : pending) fail_read(read.request_id, reason, code);
    for (const auto id : waiting) fail_read(id, reason, code);
}

Result<Snapshot> Node::compact(Index index, Bytes state_machine_data) {
    if (index > applied_) return Result<Snapshot>::failure(ErrorCode::bad_argument, "cannot compact past the applied index " + std::to_string(applied_));
    if (index <= log_.snapshot_index()) return Result<Snapshot>::failure(ErrorCode::bad_argument, "index " + std::to_string(index) + " is already compacted");
    Snapshot snapshot{index, *log_.term_at(index), membership_at(index), std::move(state_machine_data)};
    log_.compact(index, snapshot.term);
    // Configurations before the snapshot collapse into the one in force at it.
    auto first_kept = std::find_if(config_history_.begin(), config_history_.end(), [&](const auto& c) { return c.first > index; });
    config_history_.erase(config_history_.begin(), first_kept);
    config_history_.insert(config_history_.begin(), {index, snapshot.membership});
    snapshot_ = snapshot;
    return Result<Snapshot>::success(std::move(snapshot));
}

const Node::ConfigEntry* Node::config_entry_at(Index index) const {
    const ConfigEntry* found = nullptr;
    for (const auto& entry : config_history_) {
        if (entry.first > index) break;  // the history is in log order
        found = &entry;
    }
    return found;
}

const Membership& Node::membership_at(Index index) const {
    const ConfigEntry* entry = config_entry_at(index);
    return entry ? entry->second : bootstrap_;
}

}  // namespace rtcmesh::raft

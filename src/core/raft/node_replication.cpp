// Log replication (§5.3), the commit rule (§5.4.2), heartbeats and
// InstallSnapshot, with etcd-style flow control per follower.
#include <algorithm>

#include "core/raft/node.hpp"

namespace rtcmesh::raft {

void Node::append_local(EntryType type, Bytes data) {
    append_entry(Entry{term_, log_.last_index() + 1, type, std::move(data)});
    pending_broadcast_ = true;  // replicated when the host takes the Ready, so proposals batch up
}

void Node::append_entry(Entry entry) {
    const bool is_config = entry.type == EntryType::Config;
    const Index index = entry.index;
    Bytes config_bytes = is_config ? entry.data : Bytes{};
    log_.append(std::move(entry));
    if (!is_config) return;
    auto decoded = decode_membership(config_bytes);
    if (!decoded.ok()) return;  // validated on receipt; local entries are well-formed
    const Membership before = membership();
    config_history_.emplace_back(index, std::move(*decoded.value));
    on_membership_changed(before);
}

void Node::truncate_log_from(Index index) {
    log_.truncate_from(index);
    unstable_from_ = std::min(unstable_from_, index);
    stable_index_ = std::min(stable_index_, index - 1);
    const Membership before = membership();
    bool popped = false;
    while (!config_history_.empty() && config_history_.back().first >= index) {
        config_history_.pop_back();
        popped = true;
    }
    if (popped) on_membership_changed(before);  // config is whatever the log now says
}

// Returns true if a message was sent.
bool Node::send_append(const std::string& to, bool send_if_empty) {
    auto it = progress_.find(to);
    if (it == progress_.end() || to == config_.address) return false;
    Progress& pr = it->second;
    if (pr.state == Progress::State::Probe && pr.probe_sent) return false;
    if (pr.state == Progress::State::Replicate && pr.inflight.size() >= config_.max_inflight_messages) return false;
    const Index prev = pr.next - 1;
    const auto prev_term = log_.term_at(prev);
    if (!prev_term) {
        send_snapshot(to, pr);
        return true;
    }
    // Encoded straight from the log: the entries are not copied per follower.
    const auto entries = log_.view(pr.next, config_.max_entries_per_message, config_.max_bytes_per_message);
    if (entries.empty() && !send_if_empty) return false;
    if (pr.state == Progress::State::Replicate && !entries.empty()) {
        pr.next = entries.back().index + 1;  // optimistic: pipeline the next batch
        pr.inflight.push_back(entries.back().index);
    } else if (pr.state == Progress::State::Probe) {
        pr.probe_sent = true;
    }
    send(Message{.type = MessageType::Append, .to = to, .log_term = *prev_term, .index = prev, .commit = commit_}, entries);
    return true;
}

// Pipelines batches until the follower's window is full or it is up to date.
void Node::send_appends_to(const std::string& to, bool send_if_empty) {
    for (std::size_t i = 0; i <= config_.max_inflight_messages; ++i) {
        if (!send_append(to, send_if_empty && i == 0)) return;
        const Progress& pr = progress_[to];
        if (pr.state != Progress::State::Replicate || pr.next > log_.last_index()) return;
    }
}

void Node::send_snapshot(const std::string& to, Progress& pr) {
    if (!snapshot_) return;  // cannot happen: the log is only compacted into snapshot_
    send(Message{.type = MessageType::InstallSnapshot, .to = to, .snapshot = snapshot_});
    pr.become_probe();
    pr.next = snapshot_->index + 1;
    pr.probe_sent = true;  // wait for the follower's answer (or a heartbeat) before more
}

void Node::broadcast_append(bool send_if_empty) {
    pending_broadcast_ = false;
    for (const auto& [address, pr] : progress_) {
        if (address != config_.address) send_appends_to(address, send_if_empty);
    }
}

void Node::broadcast_heartbeat() {
    for (const auto& [address, pr] : progress_) {
        if (address == config_.address) continue;
        send(Message{.type = MessageType::Heartbeat,
                     .to = address,
                     .commit = std::min(pr.match, commit_),  // never beyond what the follower matches
                     .read_seq = read_seq_});
    }
}

// Bookkeeping for any message from the leader of our current term.
void Node::follow(const std::string& leader) {
    if (role_ != Role::Follower) become_follower(term_, leader);
    set_leader(leader);
    heard_from_leader_ = true;
    last_leader_contact_ = now_;
    last_led_or_followed_ = now_;
    reset_election_timer();
}

void Node::handle_append(Message& m) {
    follow(m.from);
    if (m.index < commit_) {  // already committed here: tell the leader where we are
        send(Message{.type = MessageType::AppendResponse, .to = m.from, .index = commit_});
        return;
    }
    if (!log_.matches(m.index, m.log_term)) {
        reject_append(m);
        return;
    }
    for (Entry& e : m.entries) {
        if (e.index <= log_.last_index()) {
            if (log_.term_at(e.index) == e.term) continue;  // already have it
            truncate_log_from(e.index);  // §5.3: delete the conflicting entry and all that follow
        }
        append_entry(std::move(e));  // the message is ours (Node::step takes it by value)
    }
    const Index last_new = m.index + m.entries.size();
    set_commit(std::min(m.commit, last_new));
    send(Message{.type = MessageType::AppendResponse, .to = m.from, .index = last_new});
}

// The hint lets the leader skip a whole conflicting term per round trip.
void Node::reject_append(const Message& m) {
    const Index hint_index = log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
    send(Message{.type = MessageType::AppendResponse,
                 .to = m.from,
                 .index = m.index,
                 .reject = true,
                 .hint_index = hint_index,
                 .hint_term = log_.term_at(hint_index).value_or(0)});
}

void Node::handle_append_response(const Message& m) {
    if (role_ != Role::Leader) return;
    auto it = progress_.find(m.from);
    if (it == progress_.end()) return;
    Progress& pr = it->second;
    pr.recent_active = true;
    // A follower cannot hold entries this leader never had: such an answer
    // is corrupt or hostile, and trusting it could commit what nobody stored.
    if (!m.reject && m.index > log_.last_index()) {
        emit(ErrorEvent{"'" + m.from + "' acknowledged index " + std::to_string(m.index) + " beyond the leader's log"});
        return;
    }
    if (m.reject) {
        if (pr.state == Progress::State::Replicate) {
            if (m.index <= pr.match) return;  // stale
            pr.become_probe();
        } else {
            if (m.index != pr.next - 1) return;  // stale answer to an older probe
            const Index conflict = m.hint_term > 0 ? log_.find_conflict_by_term(m.hint_index, m.hint_term) : m.hint_index;
            // The follower refused our entry at m.index, so the next probe must
            // go below it, even when the hint points into our compacted log
            // (then the probe's previous entry is gone and a snapshot is sent).
            const Index below = m.index > 0 ? m.index - 1 : 0;
            pr.next = std::max(pr.match + 1, std::min(conflict, below) + 1);
            pr.probe_sent = false;
        }
        send_append(m.from, true);
        return;
    }
    if (m.index > pr.match) {
        pr.match = m.index;
        pr.stalled_heartbeats = 0;
    }
    if (pr.state == Progress::State::Probe) {
        if (m.index >= pr.match) pr.become_replicate();
    } else {
        pr.free_inflight_up_to(m.index);
    }
    pr.next = std::max(pr.next, pr.match + 1);
    if (maybe_commit()) on_commit_advanced();
    if (role_ != Role::Leader || progress_.count(m.from) == 0) return;
    send_appends_to(m.from, false);
    maybe_finish_transfer(m.from);
    release_departed(m.from);
}

void Node::handle_heartbeat(const Message& m) {
    follow(m.from);
    set_commit(std::min(m.commit, log_.last_index()));
    send(Message{.type = MessageType::HeartbeatResponse, .to = m.from, .read_seq = m.read_seq});
}

void Node::handle_heartbeat_response(const Message& m) {
    if (role_ != Role::Leader) return;
    auto it = progress_.find(m.from);
    if (it == progress_.end()) return;
    Progress& pr = it->second;
    pr.recent_active = true;
    pr.probe_sent = false;
    pr.read_seq_acked = std::max(pr.read_seq_acked, m.read_seq);
    if (pr.match < log_.last_index() && pr.state == Progress::State::Replicate) {
        // No progress over several heartbeats: an Append was probably lost.
        if (++pr.stalled_heartbeats >= 3) pr.become_probe();
        if (pr.inflight.size() >= config_.max_inflight_messages) pr.inflight.pop_front();
    }
    // A follower or learner that is behind is brought up to date by
    // heartbeats alone: probe even with nothing new to carry, or a newcomer
    // whose first (empty) probe was lost would wait for the next proposal.
    if (pr.match < log_.last_index()) send_append(m.from, true);
    confirm_reads();
    release_departed(m.from);
}

void Node::handle_snapshot(const Message& m) {
    follow(m.from);
    const Snapshot& s = *m.snapshot;
    if (s.index <= commit_) {
        send(Message{.type = MessageType::AppendResponse, .to = m.from, .index = commit_});
        return;
    }
    if (log_.matches(s.index, s.term)) {  // we already have it: just learn the commit
        set_commit(s.index);
        send(Message{.type = MessageType::AppendResponse, .to = m.from, .index = s.index});
        return;
    }
    const Membership before = membership();
    log_.reset_to_snapshot(s.index, s.term);
    config_history_.assign(1, {s.index, s.membership});
    on_membership_changed(before);
    set_commit(s.index);
    apply_handed_ = s.index;  // the host loads the snapshot instead of applying entries
    stable_index_ = 0;        // stable again once the Ready carrying the snapshot is acknowledged
    unstable_from_ = s.index + 1;
    snapshot_ = s;
    snapshot_to_restore_ = s;
    emit(SnapshotRestored{s.index, s.term});
    send(Message{.type = MessageType::AppendResponse, .to = m.from, .index = s.index});
}

// §5.3/§5.4.2: commit the highest index stored on a majority of voters, but
// only by counting replicas of an entry from the current term (Figure 8).
bool Node::maybe_commit() {
    const auto& voters = membership().voters;
    if (voters.empty()) return false;
    std::vector<Index> matches;
    matches.reserve(voters.size());
    for (const auto& voter : voters) {
        auto it = progress_.find(voter);
        matches.push_back(it == progress_.end() ? 0 : it->second.match);
    }
    std::sort(matches.begin(), matches.end(), std::greater<>());
    const Index candidate = matches[quorum() - 1];
    if (candidate <= commit_) return false;
    if (!faults_.commit_by_counting_old_term_entries && log_.term_at(candidate) != term_) return false;
    set_commit(candidate);
    return true;
}

void Node::set_commit(Index commit) {
    if (commit <= commit_) return;
    commit_ = commit;
    emit(CommitAdvanced{commit});
    readmit_if_committed();
}

// We believed a Removed over an uncommitted entry of ours that names us
// (handle_removed, with no leader). If a configuration at or after that
// removal, naming us, is committed now, the cluster took us back.
void Node::readmit_if_committed() {
    if (!removed_) return;
    const ConfigEntry* committed = config_entry_at(commit_);
    if (!committed || committed->first < removed_by_ || !committed->second.contains(config_.address)) return;
    removed_ = false;
    emit(MemberJoined{config_.address, committed->second.is_voter(config_.address)});
}

void Node::on_commit_advanced() {
    broadcast_append(true);  // tell followers the new commit index now
    release_departed_all();
    release_waiting_reads();
    const bool removed_self = !membership().is_voter(config_.address);
    if (removed_self && latest_config_index() <= commit_) {
        if (closing_) wake_successor();
        become_follower(term_, std::string());  // our removal is committed: step down
        return;
    }
    run_membership_ops();
}

}  // namespace rtcmesh::raft

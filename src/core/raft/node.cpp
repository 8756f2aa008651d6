// Node lifecycle, timers, message dispatch and the Ready/advance cycle.
#include "core/raft/node.hpp"

#include <algorithm>

namespace rtcmesh::raft {

// The hard state goes before the entries: a write torn part-way must never
// leave entries of a term newer than the stored term (the node could then
// vote in, or lead, a term it already has entries of from another leader).
void Ready::persist_to(Storage& storage) const {
    if (snapshot) storage.save_snapshot(*snapshot);
    if (hard_state) storage.save_hard_state(*hard_state);
    storage.save_entries(entries);
}

Node::Node(Config config, const PersistentState& restored) : config_(std::move(config)), rng_(config_.seed) {
    // Sanitize timing so a bad config cannot produce a zero or inverted range.
    config_.election_min_timeout = std::max<Millis>(config_.election_min_timeout, 1);
    config_.election_max_timeout = std::max(config_.election_max_timeout, config_.election_min_timeout);
    config_.heartbeat_interval = std::clamp<Millis>(config_.heartbeat_interval, 1, config_.election_min_timeout);
    config_.max_inflight_messages = std::max<std::size_t>(config_.max_inflight_messages, 1);
    if (!config_.join_existing_cluster) {
        for (const auto& member : config_.initial_members) bootstrap_.add_voter(member);
        if (bootstrap_.empty()) bootstrap_.add_voter(config_.address);
    }
    restore(restored);
    reset_election_timer();
}

void Node::restore(const PersistentState& restored) {
    term_ = restored.hard_state.term;
    vote_ = restored.hard_state.vote;
    if (restored.snapshot) {
        const Snapshot& s = *restored.snapshot;
        log_.reset_to_snapshot(s.index, s.term);
        config_history_.emplace_back(s.index, s.membership);
        applied_ = apply_handed_ = s.index;
        snapshot_ = s;  // a restarted leader can still send it to followers behind its log
    }
    for (const auto& e : restored.entries) {
        if (e.index <= log_.snapshot_index()) continue;
        if (e.index != log_.last_index() + 1) break;  // a gap: keep the consistent prefix only
        append_entry(e);
    }
    commit_ = std::clamp(restored.hard_state.commit, log_.snapshot_index(), log_.last_index());
    stable_index_ = log_.last_index();
    unstable_from_ = log_.last_index() + 1;
    saved_hard_state_ = HardState{term_, vote_, commit_};
    events_.clear();  // restoring is not news
}

const Membership& Node::membership() const {
    return config_history_.empty() ? bootstrap_ : config_history_.back().second;
}

const Progress* Node::progress_of(const std::string& address) const {
    auto it = progress_.find(address);
    return it == progress_.end() ? nullptr : &it->second;
}

Status Node::fail(ErrorCode code, std::string message) {
    emit(ErrorEvent{message, code});
    return Status::failure(code, std::move(message));
}

// Routed by the host, a member now, or a member of a configuration still in
// the log (a removal not yet committed): its messages are handled as usual.
bool Node::known_peer(const std::string& address) const {
    if (routes_.count(address) > 0 || membership().contains(address) || departing_.count(address) > 0) return true;
    return std::any_of(config_history_.begin(), config_history_.end(),
                       [&](const auto& item) { return item.second.contains(address); });
}

bool Node::leader_only(MessageType type) {
    return type == MessageType::Append || type == MessageType::Heartbeat || type == MessageType::InstallSnapshot ||
           type == MessageType::TimeoutNow;
}

// Raft here tolerates crashes, not lies; still, a peer that is no voter (a
// mesh member that runs no Raft, say) must not take a working cluster over.
// While this node leads, or heard its leader within an election timeout,
// only voters of the latest configuration may lead it, or of the committed
// one (a leader that removes itself leads until the removal commits), or
// the leader it already follows in this term. Without a live leader it
// follows whoever leads, as Raft does: a member that was away while the
// current leader joined and became a voter, or while it was itself removed,
// has no other way to learn of it (the simulator's sweeps find such runs:
// raft-sim seeds 589 at 3 nodes, 947 at 4, 8401 at 5). So a node between
// leaders, or a newcomer, can still be misled: crash faults, not Byzantine.
bool Node::may_lead(const Message& m) const {
    if (faults_.accept_leader_messages_from_anyone) return true;
    if (membership().is_voter(m.from) || membership_at(commit_).is_voter(m.from)) return true;
    if (m.term == term_ && m.from == leader_) return true;
    return now_ - last_led_or_followed_ > config_.election_max_timeout;
}

Status Node::refuse_stranger_leader(const Message& m) {
    std::string message = std::string(message_type_name(m.type)) + " from '" + m.from +
                          "', which is not a voter of this node's configuration; ignored";
    // Once per sender and term: a stale or hostile leader may send many a second.
    if (last_refused_ == std::make_pair(m.from, m.term)) return Status::failure(ErrorCode::bad_message, std::move(message));
    last_refused_ = {m.from, m.term};
    return fail(ErrorCode::bad_message, std::move(message));
}

// Leader stickiness (§4.2.3): while we recently heard from a live leader, a
// (pre)vote request is most likely from a disrupting node, not a real need.
bool Node::in_lease() const {
    if (!config_.check_quorum || leader_.empty()) return false;
    if (leader_ == config_.address) return true;
    return heard_from_leader_ && now_ - last_leader_contact_ < config_.election_min_timeout;
}

void Node::reset_election_timer() {
    randomized_timeout_ = static_cast<Millis>(rng_.between(static_cast<std::uint64_t>(config_.election_min_timeout),
                                                           static_cast<std::uint64_t>(config_.election_max_timeout)));
    election_deadline_ = now_ + randomized_timeout_;
}

// ------------------------------------------------------------------ API

Status Node::join(const std::string& address) {
    if (closed_) return fail(ErrorCode::closed, "node is closed");
    if (address.empty() || address.size() > kMaxAddressBytes) return fail(ErrorCode::bad_argument, "invalid address");
    if (address == config_.address) {
        // Undo a leave(self): forget it here, and on a leader drop the queued removal.
        left_.erase(address);
        removed_ = false;
        membership_ops_.erase(std::remove_if(membership_ops_.begin(), membership_ops_.end(),
                                             [&](const MembershipOp& op) {
                                                 return op.kind == MembershipOp::Kind::Remove && op.address == address;
                                             }),
                              membership_ops_.end());
        return ok_status();
    }
    routes_.insert(address);
    const bool was_let_go = left_.erase(address) + departed_.erase(address) > 0;
    if (was_let_go) rejoined_.insert(address);
    // A leader that had queued its removal (the host's earlier leave) drops it.
    membership_ops_.erase(std::remove_if(membership_ops_.begin(), membership_ops_.end(),
                                         [&](const MembershipOp& op) {
                                             return op.kind == MembershipOp::Kind::Remove && op.address == address;
                                         }),
                          membership_ops_.end());
    if (config_history_.empty() && config_.initial_members.empty() && !config_.join_existing_cluster &&
        !bootstrap_.contains(address)) {
        bootstrap_.add_voter(address);
        emit(MemberJoined{address, true});
    }
    if (role_ == Role::Leader && !membership().contains(address)) {
        queue_membership_op({MembershipOp::Kind::Add, address});
    }
    return ok_status();
}

Status Node::leave(const std::string& address) {
    if (closed_) return fail(ErrorCode::closed, "node is closed");
    if (config_history_.empty() && bootstrap_.contains(address) && config_.initial_members.empty()) {
        bootstrap_.remove(address);
        emit(MemberLeft{address});
    }
    if (address != config_.address) {
        routes_.erase(address);
        rejoined_.erase(address);
        departed_.insert(address);  // the host let it go: tell it so if it speaks again
    }
    if (!membership().contains(address)) return ok_status();
    // Remembered on every node: whichever leads now or later removes it.
    left_.insert(address);
    if (role_ == Role::Leader) queue_membership_op({MembershipOp::Kind::Remove, address});
    return ok_status();
}

Status Node::receive(const std::string& from, const Bytes& bytes) {
    if (closed_) return Status::failure(ErrorCode::closed, "node is closed; message from '" + from + "' ignored");
    auto decoded = decode(bytes);
    if (!decoded.ok()) return fail(ErrorCode::bad_message, "bad message from '" + from + "': " + decoded.error);
    Message& m = *decoded.value;
    if (m.from != from) return fail(ErrorCode::bad_message, "message claims to be from '" + m.from + "' but arrived from '" + from + "'");
    return step(std::move(m));
}

Status Node::receive(const Bytes& bytes) {
    if (closed_) return Status::failure(ErrorCode::closed, "node is closed; message ignored");
    auto decoded = decode(bytes);
    if (!decoded.ok()) return fail(ErrorCode::bad_message, "bad message: " + decoded.error);
    return step(std::move(*decoded.value));
}

Status Node::step(Message m) {
    if (closed_) return Status::failure(ErrorCode::closed, "node is closed");
    if (m.to != config_.address) return fail(ErrorCode::bad_message, "message for '" + m.to + "' delivered to '" + config_.address + "'");
    if (m.from == config_.address) return fail(ErrorCode::bad_message, "message claims to come from this node");
    const bool routed_or_member = routes_.count(m.from) > 0 || membership().contains(m.from);
    if (!routed_or_member && m.type != MessageType::Removed) {
        // A node that missed its own removal is told, quietly: it is no stranger.
        if (auto removal = committed_removal_of(m.from)) {
            send(Message{.type = MessageType::Removed, .to = m.from, .index = *removal});
            // Its leader still reads what a departing node says, to bring its
            // log up to the entry removing it (release_departed). Unread, its
            // AppendResponses left a log that disagreed unrepaired, and, led
            // by that leader, it believed its own newer configuration over
            // every Removed (raft-sim seed 27052 at 3 nodes).
            if (departing_.count(m.from) == 0) return ok_status();
        }
    }
    if (!known_peer(m.from)) return fail(ErrorCode::unknown_peer, "message from unknown peer '" + m.from + "'");
    keeper_flags_[m.from] = m.keeper;
    if (m.type == MessageType::PreVote || m.type == MessageType::Vote) readmit_if_wanted(m.from);
    if (m.type == MessageType::PreVoteResponse) note_room_answer(m);
    if (leader_only(m.type) && !may_lead(m)) return refuse_stranger_leader(m);
    // Before the term rules: these say nothing about terms.
    switch (m.type) {
        case MessageType::Removed: handle_removed(m); return ok_status();
        case MessageType::ForwardPropose:
        case MessageType::ForwardRead: handle_forward_request(m); return ok_status();
        case MessageType::ForwardProposeReply:
        case MessageType::ForwardReadReply: handle_forward_reply(m); return ok_status();
        default: break;
    }
    bool handled = false;
    Status status = step_by_term(m, handled);
    if (handled) return status;
    switch (m.type) {
        case MessageType::PreVote:
        case MessageType::Vote: handle_vote_request(m); break;
        case MessageType::PreVoteResponse:
        case MessageType::VoteResponse: handle_vote_response(m); break;
        case MessageType::Append: handle_append(m); break;
        case MessageType::AppendResponse: handle_append_response(m); break;
        case MessageType::Heartbeat: handle_heartbeat(m); break;
        case MessageType::HeartbeatResponse: handle_heartbeat_response(m); break;
        case MessageType::InstallSnapshot: handle_snapshot(m); break;
        case MessageType::TimeoutNow:
            if (promotable()) campaign(true);
            break;
        case MessageType::Removed:
        case MessageType::ForwardPropose:
        case MessageType::ForwardProposeReply:
        case MessageType::ForwardRead:
        case MessageType::ForwardReadReply: break;  // handled above
    }
    return ok_status();
}

// Term rules common to all messages (§5.1, plus PreVote and the lease).
Status Node::step_by_term(const Message& m, bool& handled) {
    const bool vote_request = m.type == MessageType::PreVote || m.type == MessageType::Vote;
    if (m.term > term_) {
        if (vote_request && !m.transfer && in_lease()) {
            handled = true;  // ignore, don't even learn the term: the leader is alive
            return ok_status();
        }
        if (m.type == MessageType::PreVote) return ok_status();  // a pre-vote never changes our term
        if (m.type == MessageType::PreVoteResponse && !m.reject) return ok_status();  // echoes the future term
        const bool from_leader = m.type == MessageType::Append || m.type == MessageType::Heartbeat ||
                                 m.type == MessageType::InstallSnapshot;
        become_follower(m.term, from_leader ? m.from : std::string());
        return ok_status();
    }
    if (m.term < term_) {
        handled = true;
        if (m.type == MessageType::Append || m.type == MessageType::Heartbeat) {
            // Tell a stale leader about the newer term so it steps down
            // (needed with PreVote/CheckQuorum, where it might never learn).
            send(Message{.type = MessageType::AppendResponse, .to = m.from, .reject = true});
        } else if (m.type == MessageType::PreVote) {
            send(Message{.type = MessageType::PreVoteResponse, .to = m.from, .reject = true});
        }
        return ok_status();
    }
    return ok_status();
}

void Node::update(Millis now) {
    if (closed_) return;
    if (!started_) {
        started_ = true;
        now_ = now;
        reset_election_timer();
        heartbeat_deadline_ = now + config_.heartbeat_interval;
        quorum_check_deadline_ = now + config_.election_min_timeout;
        if (room_probe_ && room_probe_->may_start_alone) room_probe_->alone_after = now + 2 * config_.election_max_timeout;
        // Requests made before the first update took their deadline from a
        // clock at zero; a page's clock is far past that, and they would all
        // expire at once. Their wait starts now.
        for (auto& [id, request] : forwards_) request.deadline = now + config_.forward_timeout;
    } else {
        const Millis due = timer_due();
        const Millis last_update = now_;
        now_ = std::max(now_, now);
        forgive_stall(due, last_update);
    }
    if (role_ == Role::Leader) last_led_or_followed_ = now_;
    maybe_bootstrap_room();
    expire_forwards();
    if (role_ == Role::Leader) {
        tick_leader();
    } else {
        tick_follower();
    }
    if (closing_ && (role_ != Role::Leader || now_ >= close_deadline_)) finish_close();
}

// When this node's own timer is due: a leader's heartbeat or quorum check,
// anyone else's election timeout.
Millis Node::timer_due() const {
    return role_ == Role::Leader ? std::min(heartbeat_deadline_, quorum_check_deadline_) : election_deadline_;
}

// The host woke this node long after its timer was due: its event loop was
// blocked (a long task, a frozen tab, a process under load), and what
// arrived meanwhile (the leader's heartbeats, the followers' answers) waits
// behind this very update, since a host runs its timers first (Node's event
// loop does). The timers stand still over the stall, as the mesh's do
// (Mesh::forgive_stall): a follower does not campaign, nor a leader step
// down, for a silence it has not read yet. Not twice in a row: a host that is
// late at every update still campaigns, one update later. Nor a campaign:
// votes that waited over a stall are stale, and a candidate that won with
// them would lead a term the others may have left (raft-sim found one).
void Node::forgive_stall(Millis due, Millis last_update) {
    const bool campaigning = role_ == Role::Candidate || role_ == Role::PreCandidate;
    if (!stall_.forgive(now_, due, config_.heartbeat_interval, !campaigning)) return;
    const Millis gap = now_ - last_update;
    election_deadline_ += gap;
    quorum_check_deadline_ += gap;
}

Millis Node::next_wakeup() const {
    if (closed_) return now_ + config_.election_max_timeout;
    if (!started_) return now_;
    Millis at = timer_due();
    if (role_ == Role::Leader && !transfer_target_.empty()) at = std::min(at, transfer_deadline_);
    if (closing_) at = std::min(at, role_ == Role::Leader ? close_deadline_ : now_);
    if (room_probe_) {
        at = std::min(at, room_probe_->next_probe);
        if (room_probe_->alone_after) at = std::min(at, *room_probe_->alone_after);
    }
    return std::max(at, now_);
}

void Node::tick_follower() {
    if (now_ < election_deadline_) return;
    reset_election_timer();
    if (promotable()) {
        campaign(false);
    } else if (membership().is_learner(config_.address) && !removed() && term_ < kMaxWireNumber) {
        // A learner that hears from no leader asks the others, without
        // campaigning: one that knows a committed configuration removed it
        // answers Removed. Every member and every node the host routes to:
        // with a keeper, the only voter it knows may be the one that went.
        std::set<std::string> others(routes_.begin(), routes_.end());
        others.insert(membership().voters.begin(), membership().voters.end());
        others.insert(membership().learners.begin(), membership().learners.end());
        ask_without_campaigning(others);
    } else if (removed() && !closing_ && left_.count(config_.address) == 0 && term_ < kMaxWireNumber) {
        // Removed, but its host still runs it in the room: the removal may
        // be older than a host's word to take it back (a member that left
        // and came back, seen by a node that was away meanwhile). The same
        // pre-vote, to the nodes the host routes to, lets a leader whose
        // host routes it readmit it (readmit_if_wanted); a node whose host
        // let it go answers Removed. Without this, both sides waited.
        ask_without_campaigning(routes_);
    }
}

// A pre-vote that starts no campaign (this node's role and term stay): it
// says "I am here and have no leader" to `others`.
void Node::ask_without_campaigning(std::set<std::string> others) {
    others.erase(config_.address);
    for (const auto& other : others)
        send(Message{.type = MessageType::PreVote, .to = other, .term = term_ + 1,
                     .log_term = log_.last_term(), .index = log_.last_index()});
}

void Node::tick_leader() {
    if (now_ >= heartbeat_deadline_) {
        heartbeat_deadline_ = now_ + config_.heartbeat_interval;
        broadcast_heartbeat();
    }
    if (!transfer_target_.empty() && now_ >= transfer_deadline_) transfer_target_.clear();  // abort the transfer
    if (now_ >= quorum_check_deadline_) {
        quorum_check_deadline_ = now_ + config_.election_min_timeout;
        std::size_t active = 0;
        for (auto& [address, pr] : progress_) {
            if (membership().is_voter(address) && (address == config_.address || pr.recent_active)) ++active;
            pr.recent_active = false;
        }
        if (config_.check_quorum && active < quorum()) {
            become_follower(term_, std::string());
            return;
        }
    }
    if (closing_ && transfer_target_.empty()) hand_over_lead();  // a transfer timed out, or a keeper's next step
    hand_lead_to_keeper();
    run_membership_ops();
}

// A closing leader hands the lead on, so the cluster does not wait an
// election timeout for it: to the most up-to-date other voter. A keeper
// instead leaves the configuration before it goes (promoting the most
// up-to-date learner first if it is the only voter): a successor must not
// need its vote once it is gone, and a keeper may be the only durable
// member. False: there is no one to hand it to.
// Of `members`, the one (not this node, nor one told to leave) whose log
// matches the leader's furthest; "" if none.
std::string Node::most_caught_up(const std::vector<std::string>& members) const {
    std::string best;
    Index best_match = 0;
    for (const auto& address : members) {
        auto pr = progress_.find(address);
        if (address == config_.address || pr == progress_.end() || left_.count(address) > 0) continue;
        if (best.empty() || pr->second.match > best_match) best = address, best_match = pr->second.match;
    }
    return best;
}

bool Node::hand_over_lead() {
    const std::string voter = most_caught_up(membership().voters);
    if (!config_.keeper) return !voter.empty() && transfer_leadership(voter).ok();
    if (voter.empty()) {
        const std::string learner = most_caught_up(membership().learners);
        if (learner.empty()) return false;
        queue_membership_op({MembershipOp::Kind::Promote, learner});
        return true;
    }
    if (membership().contains(config_.address)) queue_membership_op({MembershipOp::Kind::Remove, config_.address});
    return true;
}

// Our removal committed while we close: the best remaining voter campaigns
// at once instead of after its election timeout.
void Node::wake_successor() {
    const std::string best = most_caught_up(membership().voters);
    if (!best.empty()) send(Message{.type = MessageType::TimeoutNow, .to = best});
}

Status Node::close() {
    if (closed_) return Status::failure(ErrorCode::closed, "node is already closed");
    if (closing_) return ok_status();
    closing_ = true;
    emit(Closing{});
    close_deadline_ = now_ + config_.election_max_timeout;
    if (role_ == Role::Leader && hand_over_lead()) {
        // Time for a promotion and the removal to commit.
        if (config_.keeper) close_deadline_ = now_ + 3 * config_.election_max_timeout;
        return ok_status();
    }
    finish_close();
    return ok_status();
}

void Node::finish_close() {
    if (closed_) return;
    fail_reads(ErrorCode::closed, "node closed");
    const auto forwards = std::move(forwards_);
    forwards_.clear();
    for (const auto& [id, request] : forwards) fail_forward(request, "node closed", ErrorCode::closed);
    closed_ = true;
    closing_ = false;
    emit(Closed{});
}

// ------------------------------------------------------------------ outputs

void Node::set_role(Role role) {
    if (role_ == role) return;
    role_ = role;
    emit(RoleChanged{role});
}

void Node::set_term(Term term) {
    if (term_ == term) return;
    term_ = term;
    vote_.clear();
    votes_granted_this_term_ = 0;
    emit(TermChanged{term});
}

void Node::set_leader(const std::string& leader) {
    if (leader_ == leader) return;
    leader_ = leader;
    emit(LeaderChanged{leader});
    if (!leader.empty() && leader != config_.address) route_waiting_forwards();  // a new leader: see become_leader for ours
}

void Node::send(Message message, std::span<const Entry> entries) {
    message.from = config_.address;
    message.keeper = config_.keeper && !closing_;  // a closing keeper keeps no more
    if (message.term == 0) message.term = term_;
    messages_.push_back(OutgoingMessage{message.to, entries.empty() ? encode(message) : encode(message, entries)});
}

bool Node::has_ready() const {
    return pending_broadcast_ || !messages_.empty() || !events_.empty() || snapshot_to_restore_ || unstable_from_ <= log_.last_index() ||
           apply_handed_ < std::min(commit_, log_.last_index()) || HardState{term_, vote_, commit_} != saved_hard_state_;
}

Ready Node::take_ready() {
    // Entries proposed since the last Ready go out together: batching.
    if (pending_broadcast_) {
        if (role_ == Role::Leader) broadcast_append(false);
        pending_broadcast_ = false;
    }
    Ready ready;
    const HardState hard{term_, vote_, commit_};
    if (hard != saved_hard_state_) ready.hard_state = saved_hard_state_ = hard;
    if (snapshot_to_restore_) {
        ready.snapshot = std::move(snapshot_to_restore_);
        snapshot_to_restore_.reset();
        pending_stable_index_ = ready.snapshot->index;  // the log after it follows below, if any
        pending_stable_term_ = ready.snapshot->term;
    }
    if (unstable_from_ <= log_.last_index()) {
        ready.entries = log_.slice(unstable_from_, SIZE_MAX, SIZE_MAX);
        pending_stable_index_ = log_.last_index();
        pending_stable_term_ = log_.last_term();
        unstable_from_ = log_.last_index() + 1;
    }
    const Index apply_to = std::min({commit_, log_.last_index(), apply_handed_ + config_.max_entries_to_apply});
    if (apply_handed_ < apply_to) {
        ready.committed_entries = log_.slice(apply_handed_ + 1, apply_to - apply_handed_, SIZE_MAX);
        apply_handed_ = apply_to;
    }
    pending_applied_ = apply_handed_;
    ready.messages = std::move(messages_);
    ready.events = std::move(events_);
    messages_.clear();
    events_.clear();
    return ready;
}

void Node::advance() {
    applied_ = std::max(applied_, pending_applied_);
    if (pending_stable_index_ > stable_index_ && log_.matches(pending_stable_index_, pending_stable_term_)) {
        stable_index_ = pending_stable_index_;
    }
    if (role_ == Role::Leader) {
        // The leader counts itself only for what it has persisted.
        Progress& self = progress_[config_.address];
        self.match = std::max(self.match, stable_index_);
        self.next = self.match + 1;
        if (maybe_commit()) on_commit_advanced();
        run_membership_ops();
    }
}

}  // namespace rtcmesh::raft

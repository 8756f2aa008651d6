// Membership changes through the log, one server at a time (dissertation
// §4.1), with learners that catch up before they vote (§4.2.1) and the 2015
// fix: a leader changes membership only after committing an entry of its own
// term.
#include <algorithm>

#include "core/raft/node.hpp"

namespace rtcmesh::raft {

Index Node::latest_config_index() const { return config_history_.empty() ? 0 : config_history_.back().first; }

bool Node::can_change_membership() const {
    // A closing keeper still promotes the learner it hands the lead to.
    return role_ == Role::Leader && (!closing_ || config_.keeper) && committed_in_current_term() && latest_config_index() <= commit_ &&
           transfer_target_.empty();
}

void Node::queue_membership_op(MembershipOp op) {
    const bool queued = std::any_of(membership_ops_.begin(), membership_ops_.end(), [&](const MembershipOp& o) {
        return o.kind == op.kind && o.address == op.address;
    });
    if (!queued) membership_ops_.push_back(std::move(op));
    run_membership_ops();
}

// A learner is promoted once it has everything the leader has committed,
// unless keepers keep the cluster (Config::keeper).
void Node::queue_learner_promotions() {
    for (const auto& learner : membership().learners) {
        if (left_.count(learner) > 0 || !wants_vote(learner)) continue;
        auto it = progress_.find(learner);
        if (it == progress_.end() || it->second.match < commit_) continue;
        const bool queued = std::any_of(membership_ops_.begin(), membership_ops_.end(), [&](const MembershipOp& o) {
            return o.address == learner;
        });
        if (!queued) membership_ops_.push_back({MembershipOp::Kind::Promote, learner});
    }
}

// ---- keepers (Config::keeper) ----

bool Node::known_keeper(const std::string& address) const {
    auto it = keeper_flags_.find(address);
    return it != keeper_flags_.end() && it->second;
}

// Who may vote: while a keeper leads, or a keeper votes, only keepers.
bool Node::wants_vote(const std::string& learner) const {
    if (known_keeper(learner)) return true;
    if (config_.keeper) return false;
    return std::none_of(membership().voters.begin(), membership().voters.end(),
                        [&](const std::string& voter) { return known_keeper(voter); });
}

// A keeper that leads demotes every voter that said it is no keeper (one
// that has not spoken yet keeps its vote until it does).
void Node::queue_keeper_demotions() {
    if (!config_.keeper || closing_) return;
    for (const auto& voter : membership().voters) {
        auto flag = keeper_flags_.find(voter);
        if (voter == config_.address || flag == keeper_flags_.end() || flag->second) continue;
        const bool queued = std::any_of(membership_ops_.begin(), membership_ops_.end(), [&](const MembershipOp& o) {
            return o.address == voter;
        });
        if (!queued) membership_ops_.push_back({MembershipOp::Kind::Demote, voter});
    }
}

// A leader that is no keeper hands the lead to a keeper voter that has
// caught up; after a try, it waits two election timeouts before the next.
void Node::hand_lead_to_keeper() {
    if (config_.keeper || closing_ || !transfer_target_.empty() || now_ < next_keeper_handoff_) return;
    for (const auto& voter : membership().voters) {
        auto pr = progress_.find(voter);
        if (voter == config_.address || !known_keeper(voter) || pr == progress_.end() || pr->second.match < commit_) continue;
        next_keeper_handoff_ = now_ + 2 * config_.election_max_timeout;
        (void)transfer_leadership(voter);
        return;
    }
}

// Appends at most one configuration entry; the next waits for its commit.
void Node::run_membership_ops() {
    if (role_ != Role::Leader) return;
    queue_learner_promotions();
    queue_keeper_demotions();
    while (can_change_membership() && !membership_ops_.empty()) {
        const MembershipOp op = membership_ops_.front();
        membership_ops_.erase(membership_ops_.begin());
        Membership next = membership();
        switch (op.kind) {
            case MembershipOp::Kind::Add:
                if (next.contains(op.address)) continue;
                next.add_learner(op.address);
                break;
            case MembershipOp::Kind::Promote:
                if (!next.is_learner(op.address)) continue;
                next.add_voter(op.address);
                break;
            case MembershipOp::Kind::Demote:
                if (!next.is_voter(op.address) || op.address == config_.address) continue;
                next.add_learner(op.address);
                break;
            case MembershipOp::Kind::Remove:
                if (!next.contains(op.address)) continue;
                next.remove(op.address);
                if (next.voters.empty()) continue;  // never remove the last voter
                break;
        }
        append_local(EntryType::Config, encode_membership(next));
        return;
    }
}

// A new leader reconciles the configuration with what its host asked for:
// routed nodes that are not members are added, nodes told to leave removed.
// A node a configuration removed stays out until its host joins it again:
// one that removed itself (a closing keeper) must not be voted back in.
void Node::reconcile_membership() {
    for (const auto& address : routes_) {
        if (!membership().contains(address) && left_.count(address) == 0 && departed_.count(address) == 0) {
            membership_ops_.push_back({MembershipOp::Kind::Add, address});
        }
    }
    for (const auto& address : left_) {
        if (membership().contains(address)) membership_ops_.push_back({MembershipOp::Kind::Remove, address});
    }
}

// A node a configuration removed campaigns while the host routes it: it
// missed its removal, and its host (the room) wants it. The removal was
// decided before the host joined it again, or reached this node after the
// join (a node restarted from its storage saw no leave); either way the
// join is the newer word. A closed or crashed node (a keeper that removed
// itself) never campaigns, so it stays out.
void Node::readmit_if_wanted(const std::string& campaigner) {
    if (routes_.count(campaigner) == 0 || membership().contains(campaigner) || departed_.erase(campaigner) == 0) return;
    rejoined_.insert(campaigner);
    if (role_ == Role::Leader) queue_membership_op({MembershipOp::Kind::Add, campaigner});
}

// The leader tracks a Progress for every member, voter or learner.
void Node::sync_progress() {
    const Membership& m = membership();
    for (auto it = progress_.begin(); it != progress_.end();) {
        const bool keep = m.contains(it->first) || departing_.count(it->first) > 0;
        it = keep ? std::next(it) : progress_.erase(it);
    }
    auto track = [&](const std::string& address) {
        if (progress_.count(address) > 0) return;
        Progress pr;
        pr.next = log_.last_index() + 1;
        pr.recent_active = true;  // a newcomer gets one CheckQuorum round of grace
        progress_.emplace(address, pr);
    };
    for (const auto& voter : m.voters) track(voter);
    for (const auto& learner : m.learners) track(learner);
    if (m.contains(config_.address)) progress_[config_.address].match = stable_index_;
}

void Node::on_membership_changed(const Membership& before) {
    const Membership& after = membership();
    for (const auto& voter : after.voters) {
        if (!before.is_voter(voter)) emit(MemberJoined{voter, true});
    }
    for (const auto& learner : after.learners) {
        if (!before.contains(learner)) emit(MemberJoined{learner, false});
    }
    for (const auto& address : before.voters) {
        if (!after.contains(address)) emit(MemberLeft{address});
    }
    for (const auto& address : before.learners) {
        if (!after.contains(address)) emit(MemberLeft{address});
    }
    if (after.contains(config_.address)) removed_ = false;
    for (const auto* list : {&before.voters, &before.learners}) {
        for (const auto& address : *list) {
            if (after.contains(address) || rejoined_.count(address) > 0) continue;
            departed_.insert(address);
            keeper_flags_.erase(address);  // it says again if it comes back
        }
    }
    for (const auto* list : {&after.voters, &after.learners}) {
        for (const auto& address : *list) departed_.erase(address), rejoined_.erase(address);
    }
    if (role_ == Role::Leader) {
        for (const auto& address : after.voters) departing_.erase(address);
        for (const auto& address : after.learners) departing_.erase(address);
        for (const auto& address : before.voters)
            if (!after.contains(address) && address != config_.address) departing_[address] = latest_config_index();
        for (const auto& address : before.learners)
            if (!after.contains(address)) departing_[address] = latest_config_index();
        sync_progress();
        if (!transfer_target_.empty() && !after.is_voter(transfer_target_)) transfer_target_.clear();
    }
}

// A departing member that holds the entry removing it, once that entry is
// committed, gets one last heartbeat carrying the commit and is forgotten.
void Node::release_departed(const std::string& address) {
    auto departing = departing_.find(address);
    auto pr = progress_.find(address);
    if (departing == departing_.end() || pr == progress_.end()) return;
    if (commit_ < departing->second || pr->second.match < departing->second) return;
    send(Message{.type = MessageType::Heartbeat, .to = address, .commit = std::min(pr->second.match, commit_)});
    progress_.erase(pr);
    departing_.erase(departing);
}

void Node::release_departed_all() {
    const auto departing = departing_;
    for (const auto& [address, index] : departing) release_departed(address);
}

// The index of the committed configuration that removed `address`: exact
// when the log since the last snapshot shows the removal; otherwise, for an
// address this node saw removed before compacting or its host let go, the
// newest committed configuration, which excludes it. A stranger gets nothing.
std::optional<Index> Node::committed_removal_of(const std::string& address) const {
    if (config_history_.empty() || membership_at(commit_).contains(address)) return std::nullopt;
    std::optional<Index> removal;
    bool member = false;
    bool seen = false;
    for (const auto& [index, m] : config_history_) {
        if (index > commit_) break;
        if (m.contains(address)) {
            member = seen = true;
            removal.reset();
        } else if (member) {
            member = false;
            removal = index;
        }
    }
    if (seen) return removal;
    if (departed_.count(address) == 0) return std::nullopt;
    const ConfigEntry* newest = config_entry_at(commit_);
    return newest ? newest->first : 0;
}

// A member says a committed configuration removed us. Unless our own log
// re-added us at or after that entry, stop campaigning and say we left.
// An entry of ours past our commit counts only while a leader of our term
// leads us (it will commit it): with none, it may be a deposed leader's
// that the cluster has overwritten since (raft-sim seeds 6338 and 27052 at
// 3 nodes: such a node ignored every Removed for good).
void Node::handle_removed(const Message& m) {
    for (const auto& [index, members] : config_history_)
        if (index >= m.index && members.contains(config_.address) && (index <= commit_ || !leader_.empty())) return;
    if (removed_) return;
    removed_ = true;
    removed_by_ = m.index;
    if (role_ != Role::Follower) become_follower(term_, std::string());
    if (membership().contains(config_.address)) emit(MemberLeft{config_.address});
}

void Node::set_room_position(bool oldest, std::size_t others_present) {
    if (!config_history_.empty() || !config_.initial_members.empty()) return;  // the log (or the host) decides
    if (!oldest) {
        had_older_member_ = true;
        config_.join_existing_cluster = true;  // wait for the leader to add us
        bootstrap_ = Membership{};
        room_probe_.reset();
        return;
    }
    if (others_present == 0) {
        room_probe_.reset();
        if (term_ == 0) bootstrap_alone();  // alone in the room: at once
        return;
    }
    if (!room_probe_) {
        room_probe_.emplace();
        room_probe_->may_start_alone = !had_older_member_;
        // Before the first update() the clock is unknown: the wait starts then.
        if (room_probe_->may_start_alone && started_) room_probe_->alone_after = now_ + 2 * config_.election_max_timeout;
    }
    room_probe_->others_present = others_present;
    maybe_bootstrap_room();
}

// Called on every update and room change while the oldest member asks.
void Node::maybe_bootstrap_room() {
    if (!room_probe_) return;
    if (!config_history_.empty() || term_ > 0) {  // a leader added us, or a cluster answered: wait for it
        room_probe_.reset();
        return;
    }
    std::size_t answered = 0;  // only members still reachable count: one that left may be replaced
    for (const auto& peer : room_probe_->without_cluster) answered += routes_.count(peer);
    const bool waited_enough = room_probe_->alone_after && now_ >= *room_probe_->alone_after;
    if (answered >= room_probe_->others_present || waited_enough) {
        room_probe_.reset();
        bootstrap_alone();
        return;
    }
    if (now_ >= room_probe_->next_probe) probe_room();
}

// A pre-vote probe for the next term, which any cluster member refuses with
// its own (higher) term, and a member with no cluster grants at term 1.
void Node::probe_room() {
    room_probe_->next_probe = now_ + config_.election_max_timeout;
    for (const auto& peer : routes_)
        if (room_probe_->without_cluster.count(peer) == 0)
            send(Message{.type = MessageType::PreVote, .to = peer, .term = term_ + 1, .log_term = 0, .index = 0});
}

void Node::note_room_answer(const Message& m) {
    if (!room_probe_ || term_ != 0 || m.reject || m.term != 1) return;
    room_probe_->without_cluster.insert(m.from);
    maybe_bootstrap_room();
}

void Node::bootstrap_alone() {
    config_.join_existing_cluster = false;
    config_.initial_members = {config_.address};
    bootstrap_ = Membership{};
    bootstrap_.add_voter(config_.address);
}

// Nodes the host routes to that the configuration in force does not name.
std::set<std::string> Node::routed_outsiders() const {
    std::set<std::string> outsiders;
    for (const auto& address : routes_)
        if (!membership().contains(address)) outsiders.insert(address);
    return outsiders;
}

}  // namespace rtcmesh::raft

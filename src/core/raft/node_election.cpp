// Leader election (§5.2) with PreVote (§9.6) and leader stickiness.
#include <algorithm>

#include "core/raft/node.hpp"

namespace rtcmesh::raft {

// A committed-but-unapplied config change might make us a non-member; the
// host has not seen it yet, so we must not disrupt the cluster meanwhile.
bool Node::has_unapplied_config() const {
    return std::any_of(config_history_.begin(), config_history_.end(),
                       [&](const auto& item) { return item.first > applied_ && item.first <= commit_; });
}

// A voter may campaign. So may a node whose own removal is appended but not
// yet known committed (dissertation §4.2.2): it manages the cluster until the
// change commits, without counting its own vote. Otherwise a leader that removed
// itself and lost its quorum would hold the longest log, refuse every vote,
// and never campaign: no one could be elected again.
bool Node::promotable() const {
    if (closed_ || closing_ || removed_) return false;
    if (term_ >= kMaxWireNumber) return false;  // a term never wraps
    if (config_history_.empty() && config_.join_existing_cluster) return false;
    if (has_unapplied_config()) return false;
    if (membership().is_voter(config_.address)) return true;
    // Removed by an entry not known to be committed: campaign like a voter
    // (a learner too), so that a node whose leader crashed before telling it
    // either finishes the change or is told by a member that it is gone.
    return !membership().contains(config_.address) && membership_at(commit_).contains(config_.address);
}

void Node::become_follower(Term term, const std::string& leader) {
    if (role_ == Role::Leader) fail_reads(ErrorCode::not_leader, "leadership lost");
    forwarded_reads_.clear();
    appended_forwards_.clear();
    appended_order_.clear();
    set_term(term);
    set_role(Role::Follower);
    set_leader(leader);
    transfer_target_.clear();
    progress_.clear();
    departing_.clear();
    membership_ops_.clear();
    reset_election_timer();
}

void Node::become_pre_candidate() {
    // Forget the leader: we believe it is gone, and keeping it would make us
    // reject other nodes' pre-votes under the lease (etcd's split-vote bug).
    set_role(Role::PreCandidate);
    set_leader(std::string());
    votes_.clear();
    reset_election_timer();
}

void Node::become_candidate() {
    set_term(term_ + 1);
    vote_ = config_.address;
    set_role(Role::Candidate);
    set_leader(std::string());
    votes_.clear();
    reset_election_timer();
}

void Node::become_leader() {
    set_role(Role::Leader);
    set_leader(config_.address);
    transfer_target_.clear();
    progress_.clear();
    departing_.clear();
    sync_progress();
    progress_[config_.address].match = stable_index_;
    for (auto& [address, pr] : progress_) pr.recent_active = true;  // grace period for CheckQuorum
    heartbeat_deadline_ = now_ + config_.heartbeat_interval;
    quorum_check_deadline_ = now_ + config_.election_min_timeout;
    // Entry 1 of a fresh cluster records the bootstrap configuration; every
    // later term starts with a no-op so it can commit earlier entries (§5.4.2).
    if (log_.last_index() == 0 && config_history_.empty()) {
        append_local(EntryType::Config, encode_membership(bootstrap_));
    } else {
        append_local(EntryType::NoOp, {});
    }
    reconcile_membership();
    route_waiting_forwards();  // requests made while we were a follower are ours now
}

void Node::campaign(bool transfer) {
    if (config_.pre_vote && !transfer) {
        become_pre_candidate();
        request_votes(MessageType::PreVote, term_ + 1, false);
        // The same question to nodes the host routes to that this node's
        // configuration does not name: its configuration may be stale (it
        // was down while the cluster replaced its members), and only such a
        // node may know a committed one that removed it and answer Removed.
        // Their answers count for nothing here.
        if (role_ == Role::PreCandidate) ask_without_campaigning(routed_outsiders());
    } else {
        start_election(transfer);
    }
}

// `transfer` marks a leadership-transfer campaign, which voters let through
// their lease because the current leader asked for it.
void Node::start_election(bool transfer) {
    become_candidate();
    request_votes(MessageType::Vote, term_, transfer);
}

void Node::request_votes(MessageType type, Term term, bool transfer) {
    // Our own vote counts only if we are a voter of the configuration in force.
    if (membership().is_voter(config_.address)) votes_[config_.address] = true;
    if (votes_.size() >= quorum()) {  // a single-voter cluster wins at once
        if (type == MessageType::PreVote) {
            start_election(false);
        } else {
            become_leader();
        }
        return;
    }
    // Where a keeper votes, pre-votes go to learners too (their answers do
    // not count): a removed node's only fellow voter may be a keeper gone
    // for good, and a learner that knows a committed configuration removed
    // it answers Removed. (Not in every cluster: sent everywhere, they
    // changed the simulator's schedules and raft-sim seed 226 at 3 nodes then
    // failed the Removal check; not yet understood.)
    const bool ask_learners = type == MessageType::PreVote &&
                              std::any_of(membership().voters.begin(), membership().voters.end(),
                                          [&](const std::string& voter) { return known_keeper(voter); });
    for (const auto* members : {&membership().voters, &membership().learners}) {
        if (members == &membership().learners && !ask_learners) break;
        for (const auto& member : *members) {
            if (member == config_.address) continue;
            send(Message{.type = type,
                         .to = member,
                         .term = term,
                         .log_term = log_.last_term(),
                         .index = log_.last_index(),
                         .transfer = transfer});
        }
    }
}

void Node::handle_vote_request(const Message& m) {
    const bool pre = m.type == MessageType::PreVote;
    const bool second_vote_fault = faults_.grant_two_votes_per_term && votes_granted_this_term_ < 2 &&
                                   !pre && m.term == term_;
    // A pre-vote is granted for any future term; a real vote only if we have
    // not voted (or voted for this very candidate) and follow no leader.
    const bool can_vote = vote_ == m.from || (vote_.empty() && leader_.empty()) || (pre && m.term > term_) ||
                          second_vote_fault;
    const MessageType response = pre ? MessageType::PreVoteResponse : MessageType::VoteResponse;
    if (!can_vote || !log_.is_up_to_date(m.index, m.log_term)) {
        send(Message{.type = response, .to = m.from, .term = term_, .reject = true});
        return;
    }
    if (!pre) {
        vote_ = m.from;
        ++votes_granted_this_term_;
        reset_election_timer();  // only a real vote resets the timer, never a pre-vote
    }
    send(Message{.type = response, .to = m.from, .term = m.term});
}

void Node::handle_vote_response(const Message& m) {
    const bool pre = m.type == MessageType::PreVoteResponse;
    if ((pre && role_ != Role::PreCandidate) || (!pre && role_ != Role::Candidate)) return;
    if (!membership().is_voter(m.from)) return;
    // A grant counts only for the round we run now: a late grant from an
    // older round (it echoes that round's term) must not be added to this one.
    if (!m.reject && m.term != (pre ? term_ + 1 : term_)) return;
    votes_.emplace(m.from, !m.reject);
    std::size_t granted = 0;
    for (const auto& [voter, yes] : votes_) granted += yes ? 1 : 0;
    const std::size_t rejected = votes_.size() - granted;
    if (granted >= quorum()) {
        if (pre) {
            start_election(false);  // pre-vote won: run the real election
        } else {
            become_leader();
        }
    } else if (rejected >= quorum()) {
        become_follower(term_, std::string());
    }
}

}  // namespace rtcmesh::raft

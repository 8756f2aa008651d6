// A Raft node as a pure state machine (the etcd/raft style).
//
// The host drives it: update(now) with its clock, receive() with bytes from
// peers, propose()/join()/leave()/... from the application. The node never
// does I/O: everything it wants done is collected into a Ready, which the
// host takes, persists (storage.hpp explains the order), sends, applies, and
// then acknowledges with advance(). No public function throws.
//
// BOOTSTRAP RULE. A node whose log and snapshot hold no configuration uses a
// bootstrap configuration: Config::initial_members if given, otherwise
// itself plus every address passed to join() (leave() removes one). The
// first leader writes that configuration as log entry 1, after which only
// the log decides membership. A node campaigns only if it is a voter in its
// configuration. With the seed example (every node constructed with its own
// address and then told to join every other node before its first update()),
// all nodes hold the same set, so every majority intersects and Raft's
// safety holds. GUARANTEE when nodes are told DIFFERENT sets: safety is only
// guaranteed if any two majorities of the sets intersect (e.g. the sets are
// identical); otherwise two leaders may be elected in the same term by
// disjoint majorities. Hosts adding a node to a running cluster should set
// Config::join_existing_cluster so the newcomer never bootstraps and instead
// waits for the leader (which adds it as a learner and promotes it once it
// has caught up).
//
// MEMBERSHIP takes effect when a config entry is appended (dissertation §4.1);
// one change at a time, and only after the leader committed an entry of its
// own term (the 2015 fix). join() registers a route (and, on the leader, adds
// the address as a learner, promoted once caught up); leave() is remembered on
// every node and carried out by whoever leads. Because a removal takes effect
// at append, a leader removing the other node of a 2-node cluster commits
// with its own ack alone. See README.md in this folder.
#pragma once

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "core/common/rng.hpp"
#include "core/common/stall_guard.hpp"
#include "core/raft/config.hpp"
#include "core/raft/log.hpp"
#include "core/raft/messages.hpp"
#include "core/raft/progress.hpp"
#include "core/raft/storage.hpp"
#include "core/raft/test_faults.hpp"
#include "core/raft/types.hpp"

namespace rtcmesh::raft {

struct OutgoingMessage {
    std::string to;
    Bytes bytes;
};

struct Ready {
    std::optional<HardState> hard_state;   // persist if set
    std::vector<Entry> entries;            // persist (overwrite from entries.front().index)
    std::optional<Snapshot> snapshot;      // persist and load into the state machine
    std::vector<OutgoingMessage> messages; // send only AFTER persisting the above
    std::vector<Entry> committed_entries;  // apply in order (after loading `snapshot`)
    std::vector<Event> events;

    bool empty() const {
        return !hard_state && entries.empty() && !snapshot && messages.empty() && committed_entries.empty() &&
               events.empty();
    }
    // Convenience for hosts using a Storage: steps 1-3 of the contract.
    void persist_to(Storage& storage) const;
};

// Node::set_room_position: the oldest member's questions to the others present.
struct RoomProbe {
    std::size_t others_present = 0;
    std::set<std::string> without_cluster;  // who answered that they run none
    Millis next_probe = 0;                  // when to ask the silent ones again
    // Whether to start alone without every answer, two election timeouts
    // after asking began: not once an older member was seen.
    bool may_start_alone = false;
    // When, once known: a probe made before the first update() gets it then
    // (the clock was unknown).
    std::optional<Millis> alone_after;
};

class Node {
public:
    explicit Node(Config config, const PersistentState& restored = {});
    // TEST-ONLY: breaks this node on purpose (see test_faults.hpp).
    void inject_test_faults(const TestFaults& faults) { faults_ = faults; }

    // ---- the seed's JS API ------------------------------------------------
    Status join(const std::string& address);
    Status leave(const std::string& address);
    Status receive(const std::string& from, const Bytes& bytes);  // onRaftMessage, transport knows the sender
    Status receive(const Bytes& bytes);  // the seed's onRaftMessage(data): the sender is named inside
    void update(Millis now);
    Status close();
    const std::string& leader() const { return leader_; }

    // The bootstrap rule over a room, where the signaling server orders
    // members by arrival. A node whose log holds no configuration starts the
    // cluster alone when it is the oldest member present and alone in the
    // room. The oldest with `others_present` other members asks them first,
    // and again every election timeout: one that runs a cluster answers with
    // its term, and then it waits for that leader to add it. It starts alone
    // once every one of them, reachable now, has answered that it runs no
    // cluster; or, if it has been the oldest since it arrived, when no one
    // answered within two election timeouts (a member that cannot connect
    // must not keep a new room from its cluster). One that became the oldest
    // as older members left waits for every answer, however long: an older
    // member may have started a cluster that the ones it cannot reach run
    // (safety over liveness; session-sim seed 36524 at 5 members).
    // Any other member waits to be added by the leader. No effect once the
    // log holds a configuration or when Config::initial_members is set.
    void set_room_position(bool oldest, std::size_t others_present);

    // ---- application --------------------------------------------------------
    Result<Proposed> propose(Bytes data);
    Status transfer_leadership(const std::string& to);
    // Linearizable read: a ReadReady{request_id, index} event follows once it
    // is safe to serve reads reflecting every entry up to index.
    Status read_index(std::uint64_t request_id);
    // Any member, leader or not (etcd's stepFollower): a follower forwards
    // the request to the leader and accepts the answer only from it.
    // submit: emits Submitted{id, index, term} (the entry committed once the
    // entry applied at index has that term) or SubmitFailed{id, reason}.
    // read: emits ReadReady{id, index} or ReadFailed{id, reason}, as read_index.
    Status submit(std::uint64_t request_id, Bytes data);
    Status read(std::uint64_t request_id);
    // Compact the log up to `index` (<= applied) with the host's state image.
    // The returned snapshot should be saved with Storage::save_snapshot.
    Result<Snapshot> compact(Index index, Bytes state_machine_data);

    // ---- Ready / advance ----------------------------------------------------
    bool has_ready() const;
    Ready take_ready();
    void advance();  // the last taken Ready has been persisted, sent and applied

    // Steps an already-decoded message (receive() decodes, then calls this).
    Status step(Message message);  // by value: an Append's entries move into the log

    // ---- observers ------------------------------------------------------------
    const std::string& address() const { return config_.address; }
    Role role() const { return role_; }
    Term term() const { return term_; }
    const std::string& vote() const { return vote_; }
    Index commit_index() const { return commit_; }
    Index applied_index() const { return applied_; }
    const RaftLog& log() const { return log_; }
    const Membership& membership() const;
    bool closed() const { return closed_; }
    bool closing() const { return closing_; }
    // This node knows a committed configuration removed it (from its log, or
    // because a member told it so). It no longer campaigns.
    bool removed() const {
        return removed_ || (!config_history_.empty() && !membership_at(commit_).contains(config_.address));
    }
    Millis randomized_election_timeout() const { return randomized_timeout_; }
    // Milliseconds from the last message of the leader (heartbeats included)
    // to the last tick, or -1 for a leader and a node that never heard one.
    Millis leader_contact_age() const {
        if (role_ == Role::Leader || !heard_from_leader_) return -1;
        return std::max<Millis>(0, now_ - last_leader_contact_);
    }
    // The earliest of this node's timers (heartbeat, election, quorum check,
    // transfer, close, bootstrap): the host may sleep until then. Forward
    // timeouts and membership steps run on the next tick after it, so hosts
    // also tick at least every few hundred ms (session::Session caps it).
    Millis next_wakeup() const;
    Millis election_due_in() const {
        if (role_ == Role::Leader || closed_ || !promotable()) return -1;
        return std::max<Millis>(0, election_deadline_ - now_);
    }
    const std::string& transfer_target() const { return transfer_target_; }
    const Config& config() const { return config_; }
    const Progress* progress_of(const std::string& address) const;

private:
    struct PendingRead {
        std::uint64_t request_id;
        Index index;
        std::uint64_t seq;
    };
    struct MembershipOp {
        enum class Kind : std::uint8_t { Add, Promote, Demote, Remove } kind;
        std::string address;
    };

    // node.cpp: lifecycle, timers, dispatch, outputs
    void restore(const PersistentState& restored);
    bool known_peer(const std::string& address) const;
    bool in_lease() const;
    void reset_election_timer();
    Millis timer_due() const;
    void forgive_stall(Millis due, Millis last_update);
    void tick_follower();
    void tick_leader();
    void set_role(Role role);
    void set_term(Term term);
    void set_leader(const std::string& leader);
    // `entries`: an Append's, as a view of the log (encoded at once, never copied).
    void send(Message message, std::span<const Entry> entries = {});
    void emit(Event event) { events_.push_back(std::move(event)); }
    Status fail(ErrorCode code, std::string message);
    Status step_by_term(const Message& m, bool& handled);
    void finish_close();
    bool hand_over_lead();
    std::string most_caught_up(const std::vector<std::string>& members) const;
    void wake_successor();
    void maybe_bootstrap_room();
    void probe_room();
    void note_room_answer(const Message& m);
    void bootstrap_alone();

    // node_election.cpp
    bool promotable() const;
    bool has_unapplied_config() const;
    void become_follower(Term term, const std::string& leader);
    void follow(const std::string& leader);
    void become_pre_candidate();
    void become_candidate();
    void become_leader();
    void campaign(bool transfer);
    void start_election(bool transfer);
    void request_votes(MessageType type, Term term, bool transfer);
    void handle_vote_request(const Message& m);
    void handle_vote_response(const Message& m);
    std::size_t quorum() const { return membership().voters.size() / 2 + 1; }

    // node_replication.cpp
    void append_local(EntryType type, Bytes data);
    void append_entry(Entry entry);
    void truncate_log_from(Index index);
    bool send_append(const std::string& to, bool send_if_empty);
    void send_appends_to(const std::string& to, bool send_if_empty);
    void send_snapshot(const std::string& to, Progress& pr);
    void broadcast_append(bool send_if_empty);
    void broadcast_heartbeat();
    void handle_append(Message& m);
    void handle_append_response(const Message& m);
    void handle_heartbeat(const Message& m);
    void handle_heartbeat_response(const Message& m);
    void handle_snapshot(const Message& m);
    void handle_removed(const Message& m);
    void reject_append(const Message& m);
    bool maybe_commit();
    void set_commit(Index commit);
    void on_commit_advanced();
    void maybe_finish_transfer(const std::string& peer);
    bool committed_in_current_term() const { return log_.term_at(commit_) == term_; }
    void start_read(std::uint64_t request_id);
    void confirm_reads();
    void release_waiting_reads();
    void fail_reads(ErrorCode code, const std::string& reason);

    // node_membership.cpp
    void on_membership_changed(const Membership& before);
    void sync_progress();
    std::optional<Index> committed_removal_of(const std::string& address) const;
    void release_departed(const std::string& address);
    void release_departed_all();
    void ask_without_campaigning(std::set<std::string> others);
    std::set<std::string> routed_outsiders() const;
    void readmit_if_committed();
    void queue_membership_op(MembershipOp op);
    void run_membership_ops();
    void reconcile_membership();
    void readmit_if_wanted(const std::string& campaigner);
    void queue_learner_promotions();
    void queue_keeper_demotions();
    void hand_lead_to_keeper();
    bool known_keeper(const std::string& address) const;
    bool wants_vote(const std::string& learner) const;
    bool can_change_membership() const;
    Index latest_config_index() const;
    using ConfigEntry = std::pair<Index, Membership>;
    // The newest configuration in the log at or before `index`, or null when
    // the history holds none that early (the bootstrap membership is in force).
    const ConfigEntry* config_entry_at(Index index) const;
    const Membership& membership_at(Index index) const;
    static bool leader_only(MessageType type);
    bool may_lead(const Message& m) const;
    Status refuse_stranger_leader(const Message& m);

    // node_client.cpp
    std::string not_leader_message(const std::string& what) const;
    void complete_read(std::uint64_t request_id, Index index);
    void fail_read(std::uint64_t request_id, const std::string& reason, ErrorCode code);

    // node_forward.cpp
    struct Forward {
        enum class Kind : std::uint8_t { Propose, Read } kind;
        std::uint64_t request_id;
        Bytes data;
        std::string sent_to;  // empty: waiting for a leader to be known
        Millis deadline;
    };
    void forward(Forward request);
    void send_forward(Forward& request);
    void route_waiting_forwards();
    void expire_forwards();
    void fail_forward(const Forward& request, const std::string& reason, ErrorCode code);
    void handle_forward_request(const Message& m);
    void handle_forward_reply(const Message& m);
    std::map<std::pair<std::string, std::uint64_t>, std::pair<Index, Term>>::iterator remember_forward(
        const std::pair<std::string, std::uint64_t>& key, Index index, Term term);

    Config config_;
    Rng rng_;
    RaftLog log_;

    Term term_ = 0;
    std::string vote_;
    std::string leader_;
    Role role_ = Role::Follower;
    Index commit_ = 0;
    Index applied_ = 0;        // acknowledged by the host through advance()
    Index apply_handed_ = 0;   // handed out in a Ready, not yet acknowledged
    Index stable_index_ = 0;   // persisted by the host
    Index unstable_from_ = 1;  // first entry not yet handed out for persistence
    // What the last taken Ready handed out, acknowledged by advance(). Kept
    // apart from the live counters because messages stepped between
    // take_ready() and advance() (a snapshot) move those.
    Index pending_stable_index_ = 0;
    Term pending_stable_term_ = 0;
    Index pending_applied_ = 0;

    // Membership by log position; back() is current. Empty = bootstrap.
    std::vector<ConfigEntry> config_history_;
    Membership bootstrap_;
    std::set<std::string> routes_;  // addresses the host can reach (join)
    std::set<std::string> left_;    // addresses the host asked to remove (leave)
    std::map<std::string, Progress> progress_;
    std::map<std::string, bool> votes_;
    std::vector<MembershipOp> membership_ops_;
    // Leader only: members a configuration removed, with that entry's index.
    // They keep a Progress until they hold the entry and know it committed,
    // so a removed node learns of its removal from the log itself.
    std::map<std::string, Index> departing_;
    bool removed_ = false;  // told (by a Removed message) that a committed configuration removed us
    Index removed_by_ = 0;  // the index of that configuration
    std::set<std::string> departed_;  // addresses a configuration removed or the host let go (kept past compaction)
    // Addresses the host let go and then joined again: a configuration that
    // removes one of them still (decided, elsewhere, before the join arrived
    // there) does not keep it out of the next leader's reconciliation.
    std::set<std::string> rejoined_;
    int votes_granted_this_term_ = 0;
    // Keepers (Config::keeper): what each member's last message said it is,
    // and when a leader that is none may next try to hand the lead to one.
    std::map<std::string, bool> keeper_flags_;
    Millis next_keeper_handoff_ = 0;

    // Time: deadlines on the host's clock, set from the first update().
    bool started_ = false;
    Millis now_ = 0;
    Millis randomized_timeout_ = 0;
    Millis election_deadline_ = 0;
    Millis heartbeat_deadline_ = 0;
    Millis quorum_check_deadline_ = 0;
    StallGuard stall_;  // see forgive_stall()
    TestFaults faults_;  // none, outside tests
    Millis last_leader_contact_ = 0;
    // Last tick as leader or message from the leader, see may_lead(); never, at first.
    Millis last_led_or_followed_ = std::numeric_limits<Millis>::min() / 2;
    std::pair<std::string, Term> last_refused_;  // reported once: see refuse_stranger_leader()
    bool heard_from_leader_ = false;

    std::string transfer_target_;
    Millis transfer_deadline_ = 0;

    std::map<std::uint64_t, Forward> forwards_;  // this node's requests at the leader, by request id
    // Leader: reads forwarded by followers, by the internal id they were started under.
    std::map<std::uint64_t, std::pair<std::string, std::uint64_t>> forwarded_reads_;
    std::uint64_t next_forwarded_read_ = std::uint64_t{1} << 63;  // apart from host ids (< 2^53)
    // Leader: where followers' proposals went, so a duplicated request is
    // answered again instead of appended twice. Bounded; cleared with leadership.
    std::map<std::pair<std::string, std::uint64_t>, std::pair<Index, Term>> appended_forwards_;
    std::deque<std::pair<std::string, std::uint64_t>> appended_order_;

    std::uint64_t read_seq_ = 0;
    std::vector<PendingRead> pending_reads_;
    std::vector<std::uint64_t> reads_waiting_for_commit_;

    std::optional<RoomProbe> room_probe_;  // set_room_position: the oldest member asks the others
    bool had_older_member_ = false;  // set_room_position said "not the oldest" once

    bool closing_ = false;
    bool closed_ = false;
    Millis close_deadline_ = 0;

    // Outputs collected for the next Ready.
    std::vector<OutgoingMessage> messages_;
    std::vector<Event> events_;
    std::optional<Snapshot> snapshot_to_restore_;
    std::optional<Snapshot> snapshot_;  // latest snapshot, sent to followers behind the log
    bool pending_broadcast_ = false;    // new entries to replicate when the Ready is taken
    HardState saved_hard_state_;
};

}  // namespace rtcmesh::raft

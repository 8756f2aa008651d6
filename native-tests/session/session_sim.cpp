#include "session/session_sim.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/mesh/relay_auth.hpp"
#include "core/raft/node.hpp"
#include "kit/raft_safety.hpp"
#include "kit/ready_loop.hpp"
#include "mesh/sim_webrtc.hpp"
#include "sim/kv_machine.hpp"
#include "sim/kv_workload.hpp"
#include "sim/run_log.hpp"

namespace rtcmesh::sim {
namespace {

using namespace rtcmesh::raft;

// A page of the room. Its mesh and Raft node live in the network's
// session::Session (gone while the page is away); what it keeps is here.
struct Member {
    MemoryStorage storage;  // survives: a returning page restores from it
    KvState kv;
    std::optional<Millis> return_at;
};

class SessionSim {
public:
    explicit SessionSim(const SessionSimOptions& options)
        : options_(options), net_(options.seed), rng_(options.seed * 0x2545F491 + 3), workload_(3, 3, 0.5), log_(options.trace) {
        for (int i = 1; i <= options.members; ++i) ids_.push_back("m" + std::to_string(i));
        // Half the runs switch the mesh's relaying off, so a killed link
        // partitions Raft too (deposed leaders that do not know it yet).
        relay_ = rng_.chance(0.5);
        // Half the seeds tick each member only when its session's
        // next_wakeup() is due, as the JS host schedules it.
        net_.config().tick_at_next_wakeup = options.seed % 4 >= 2;
        Millis at = 0;
        for (const auto& id : ids_) {
            join_at_[id] = at;
            if (!options.simultaneous_join) at += static_cast<Millis>(rng_.between(0, 1500));
        }
        note("seed " + std::to_string(options.seed) + ": " + std::to_string(options.members) + " members, " +
             (options.simultaneous_join ? "joining at the same instant" : "joining one after another") +
             (relay_ ? "" : ", no relaying") + (options.sealed ? ", sealed" : ""));
    }

    SessionSimResult run() {
        while (log_.ok() && net_.now() < options_.fault_phase_ms) tick(true);
        if (log_.ok()) liveness();
        if (log_.ok()) check_log_matching();
        if (log_.ok()) check_history();
        result_.operations = workload_.operations();
        result_.completed = workload_.completed();
        result_.ok = log_.ok();
        result_.failure = log_.failure();
        result_.trace = log_.trace();
        return result_;
    }

private:
    // ---------------------------------------------------------------- the room

    bool present(const std::string& id) const { return std::find(room_.begin(), room_.end(), id) != room_.end(); }
    // The member's Raft node, or null while its page is away.
    Node* node(const std::string& id) { return net_.has_node(id) ? net_.session(id).raft() : nullptr; }
    bool up(const std::string& id) { return members_.count(id) && node(id) != nullptr; }

    // As RTCMesh.join and Raft({ mesh }) do: a mesh to everyone present, a
    // Raft restored from its storage, and the room bootstrap rule.
    void enter(const std::string& id) {
        mesh::Options options;
        options.id = id;
        options.peers = room_;
        options.relay = relay_;
        options.members_prove_keys = options_.sealed;
        net_.add_node(options);
        for (const auto& other : room_)  // the session joins it to Raft too
            if (net_.has_node(other)) (void)net_.session(other).add_peer(id);
        share_keys(id);
        start_raft(id);
        room_.push_back(id);
        tell_room_order();
        note("enter " + id);
    }

    void start_raft(const std::string& id) {
        Member& m = members_[id];
        Config config;
        config.address = id;
        config.election_min_timeout = 150;
        config.election_max_timeout = 300;
        config.heartbeat_interval = 50;
        config.join_existing_cluster = true;  // the room rule decides
        config.seed = options_.seed * 977 + std::hash<std::string>{}(id) + ++restarts_;
        config.keeper = options_.keeper && id == ids_.front();
        // The session joins every peer of the mesh to the node.
        (void)net_.session(id).start_raft(config, m.storage.load());
        if (raft::Node* node = net_.session(id).raft())
            node->inject_test_faults({.serve_forwarded_reads_as_follower = options_.fault_stale_forwarded_reads});
        m.kv.clear();  // re-applied from the log
    }

    // As their hellos give them in a sealed room: `id` and each member present
    // share a key, new for this visit of `id`, set on both ends before any
    // link between them opens.
    void share_keys(const std::string& id) {
        if (!options_.sealed) return;
        ++visits_;
        for (const auto& other : room_) {
            if (other == id || !net_.has_node(other)) continue;
            mesh::RelayKey key{};
            for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(rng_.between(0, 255));
            (void)net_.session(id).set_relay_key(other, key.data(), key.size());
            (void)net_.session(other).set_relay_key(id, key.data(), key.size());
        }
        note("keys " + id + " #" + std::to_string(visits_));
    }

    void tell_room_order() {
        for (std::size_t i = 0; i < room_.size(); ++i)
            if (up(room_[i])) net_.session(room_[i]).set_room_position(i == 0, room_.size() - 1);
    }

    // The page is gone for good: the others drop it from mesh and Raft. It
    // may come back later with its stored state, as a reopened tab does.
    void leave(const std::string id) {  // a copy: it erases its own entry of room_
        net_.vanish(id);
        room_.erase(std::find(room_.begin(), room_.end(), id));
        for (const auto& other : room_)  // the session has Raft let it go too
            if (net_.has_node(other)) (void)net_.session(other).remove_peer(id);
        tell_room_order();
        note("leave " + id);
    }

    // The page dies and comes back soon with the same id and its storage.
    void vanish(const std::string& id) {
        net_.vanish(id);
        members_.at(id).return_at = net_.now() + static_cast<Millis>(rng_.between(200, 2000));
        note("vanish " + id);
    }

    void come_back(const std::string& id) {
        mesh::Options options;
        options.id = id;
        options.relay = relay_;
        options.members_prove_keys = options_.sealed;
        for (const auto& other : room_)
            if (other != id) options.peers.push_back(other);
        net_.add_node(options);
        share_keys(id);
        start_raft(id);
        tell_room_order();
        members_.at(id).return_at.reset();
        note("back " + id);
    }

    // ---------------------------------------------------------------- the loop

    void tick(bool faults) {
        net_.run_until([] { return true; }, 10);  // one tick of the simulated WebRTC
        for (const auto& id : ids_) {
            if (join_at_.count(id) && net_.now() >= join_at_.at(id)) {
                join_at_.erase(id);
                enter(id);
            }
            if (members_.count(id) && members_.at(id).return_at && net_.now() >= *members_.at(id).return_at) come_back(id);
        }
        for (const auto& id : room_) pump(id);
        if (faults) {
            inject_fault();
            workload_.step(net_.now(), rng_, kv_host());
        }
        check_safety();
    }

    // The session ticks with the network and routes Raft over the mesh; the
    // host's part is the Ready: persist, apply, then advance (which sends).
    void pump(const std::string& id) { process(id); }

    void process(const std::string& id) {
        if (!up(id)) return;
        Member& m = members_.at(id);
        session::Session& s = net_.session(id);
        testkit::drain_ready(
            s, 64, [&](const Ready& ready) { ready.persist_to(m.storage); },
            testkit::ignore,  // a session's Ready has no messages: they leave through the mesh
            [&](const Entry& entry) { apply(id, m, entry); },
            [&](const Event& event) {
                if (options_.trace)
                    if (const auto* error = std::get_if<ErrorEvent>(&event)) note(id + ": " + error->message);
                workload_.on_event(id, event);
            });
    }

    void apply(const std::string& id, Member& m, const Entry& entry) {
        if (std::string broken = safety_.on_applied(id, entry); !broken.empty())
            return fail(entry.index == 1 ? "One cluster: " + id + " belongs to a second cluster (another first entry)" : broken);
        if (entry.type != EntryType::Normal) return;
        const auto command = decode_command(entry.data);
        if (!command) return;
        workload_.on_applied(id, *command, apply_command(*command, m.kv), net_.now());
    }

    KvHost kv_host() {
        return KvHost{
            [this](const std::string& a) { return up(a) ? node(a) : nullptr; },
            [this](const std::string& a) { return members_.count(a) ? &members_.at(a).kv : nullptr; },
            [this] {
                std::vector<std::string> live;
                for (const auto& id : room_)
                    if (up(id)) live.push_back(id);
                return live;
            },
            [this] { return leader(); },
            [this](const std::string& a) { process(a); },
        };
    }

    std::string leader() {
        for (const auto& id : room_)
            if (up(id) && node(id)->role() == Role::Leader) return id;
        return {};
    }

    // ---------------------------------------------------------------- faults

    void inject_fault() {
        if (!rng_.chance(0.01) || room_.size() < 2) return;
        const std::string a = room_[rng_.between(0, room_.size() - 1)];  // copies: leave() changes room_
        const std::string b = room_[rng_.between(0, room_.size() - 1)];
        switch (rng_.between(0, 6)) {
            case 0:
            case 1:
                if (a != b) net_.kill_link(a, b), note("kill link " + a + " - " + b);
                break;
            case 2: heal_links(); break;
            case 6:
                isolate_leader_with(a);
                break;
            case 3:
                if (up(a)) vanish(a);
                break;
            case 4:
                if (cluster_survives_leave(a)) leave(a);
                break;
            default:
                for (const auto& id : ids_)
                    if (!present(id) && !join_at_.count(id)) {
                        enter(id);  // back in the room, with its persisted state
                        break;
                    }
                break;
        }
    }

    // Only while a leader's committed configuration has three voters or
    // more, so the cluster always keeps a member. A cluster whose every
    // voter left for good is gone; a page returning later with its state
    // would find another cluster in the room, which is not supported.
    bool cluster_survives_leave(const std::string& who) {
        if (options_.keeper) return who != ids_.front();  // the keeper holds the only vote
        const std::string at = leader();
        if (at.empty() || room_.size() <= 2) return false;
        const Node& n = *node(at);
        return n.log().last_index() == n.commit_index() && n.membership().voters.size() >= 3;
    }

    // A partial partition: the leader and one follower keep only their link
    // to each other. The majority elects anew, while the follower still
    // takes the old leader for the leader and forwards to it.
    void isolate_leader_with(const std::string& follower) {
        const std::string at = leader();
        if (at.empty() || at == follower) return;
        for (const auto& other : room_) {
            if (other == at || other == follower) continue;
            net_.kill_link(at, other);
            net_.kill_link(follower, other);
        }
        note("isolate leader " + at + " with " + follower);
    }

    void heal_links() {
        for (const auto& a : ids_)
            for (const auto& b : ids_) net_.restore_link(a, b);
        note("links healed");
    }

    // ---------------------------------------------------------------- checks

    // The members whose page is here, in arrival order, as the checks see them.
    std::vector<testkit::RaftSafety::View> views() {
        std::vector<testkit::RaftSafety::View> out;
        for (const auto& id : room_)
            if (up(id)) out.push_back({id, *node(id), members_.at(id).storage.state().hard_state.term});
        return out;
    }

    // Election Safety, Leader Append-Only and Leader Completeness after every tick.
    void check_safety() {
        std::string broken =
            safety_.after_step(views(), [&](const std::string& id, Term term) { note(id + " leads term " + std::to_string(term)); });
        if (!broken.empty()) fail(std::move(broken));
    }

    void check_log_matching() {
        if (std::string broken = testkit::RaftSafety::log_matching(views()); !broken.empty()) fail(std::move(broken));
    }

    // With a keeper, the cluster settles on it: it leads, with the only vote.
    void check_keeper(const std::string& at) {
        const std::string& keeper = ids_.front();
        const auto settled = [&] {
            return leader() == keeper && node(keeper)->membership().voters == std::vector<std::string>{keeper};
        };
        const Millis deadline = net_.now() + options_.liveness_bound_ms;
        while (log_.ok() && net_.now() < deadline && !settled()) tick(false);
        if (!settled()) fail("Keeper: " + keeper + " does not lead as the only voter (leader " + at + ")");
    }

    // Membership follows the room: every member present is in the leader's
    // configuration (a voter, but where a keeper holds the only vote).
    bool everyone_in_configuration(const std::string& at) {
        const auto& membership = node(at)->membership();
        for (const auto& id : room_)
            if (options_.keeper ? !membership.contains(id) : !membership.is_voter(id)) return false;
        return true;
    }

    // Everyone back, links healed: a proposal made at the leader commits,
    // and every member present is in the leader's configuration.
    void liveness() {
        heal_links();
        for (const auto& id : ids_)
            if (members_.count(id) && members_.at(id).return_at) come_back(id);
        for (const auto& id : ids_)
            if (!present(id)) {
                join_at_.erase(id);
                enter(id);
            }
        note("faults stop");
        const Millis deadline = net_.now() + options_.liveness_bound_ms;
        std::optional<std::pair<std::string, Index>> probe;
        while (log_.ok() && net_.now() < deadline) {
            tick(false);
            const std::string at = leader();
            if (!probe && !at.empty()) {
                auto proposed = node(at)->propose(encode_command(Command{"liveness|0", KvOp::get, "probe", "", ""}));
                if (proposed.ok()) probe = {at, proposed.value->index};
            } else if (probe && up(probe->first) && node(probe->first)->applied_index() >= probe->second &&
                       everyone_in_configuration(probe->first)) {
                note("liveness: committed at index " + std::to_string(probe->second) + ", every member in the configuration");
                if (options_.keeper) check_keeper(probe->first);
                return;
            } else if (probe && (!up(probe->first) || node(probe->first)->role() != Role::Leader)) {
                probe.reset();
            }
        }
        for (const auto& id : room_) {
            if (!up(id)) continue;
            const Node& n = *node(id);
            std::string voters;
            for (const auto& v : n.membership().voters) voters += " " + v;
            note(id + ": " + role_name(n.role()) + " term " + std::to_string(n.term()) + " log " + std::to_string(n.log().last_index()) +
                 " commit " + std::to_string(n.commit_index()) + " applied " + std::to_string(n.applied_index()) + " voters" + voters +
                 (n.removed() ? " (removed)" : "") + ", received " + std::to_string(net_.log(id).messages.size()) +
                 ", mesh errors " + std::to_string(net_.log(id).errors.size()) +
                 (net_.log(id).errors.empty() ? std::string() : " (last: " + net_.log(id).errors.back().text + ")") +
                 ", mesh to others: " + [&] {
                     std::string states;
                     for (const auto& other : room_)
                         if (other != id)
                             states += other + "=" + net_.mesh(id).ready_state(other) + " queued " +
                                       std::to_string(net_.mesh(id).queued_bytes(other)) + " buffered-estimate " +
                                       std::to_string(net_.mesh(id).buffered_estimate(other)) + " sim-buffered " +
                                       std::to_string(net_.buffered(id, other)) + " ";
                     return states;
                 }());
        }
        fail("Liveness: no proposal committed with every member in the configuration within " +
             std::to_string(options_.liveness_bound_ms) + " ms after the faults stopped");
    }

    void check_history() {
        const auto verdict = workload_.check();
        if (!verdict.ok) fail("Linearizability: the history of key '" + verdict.key + "' cannot be linearized");
    }

    void note(const std::string& line) { log_.note(net_.now(), line); }
    void fail(std::string what) { log_.fail(net_.now(), std::move(what)); }

    SessionSimOptions options_;
    SimNetwork net_;
    Rng rng_;  // workload and faults
    KvWorkload workload_;
    std::vector<std::string> ids_;
    std::vector<std::string> room_;  // members present, in arrival order
    std::map<std::string, Millis> join_at_;
    std::map<std::string, Member> members_;
    std::uint64_t restarts_ = 0;
    std::uint64_t visits_ = 0;  // sealed rooms: keys handed out
    bool relay_ = true;
    testkit::RaftSafety safety_;
    RunLog log_;
    SessionSimResult result_;
};

}  // namespace

SessionSimResult run_session_simulation(const SessionSimOptions& options) { return SessionSim(options).run(); }

}  // namespace rtcmesh::sim

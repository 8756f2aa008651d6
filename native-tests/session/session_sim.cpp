#include "session/session_sim.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/raft/node.hpp"
#include "mesh/sim_webrtc.hpp"
#include "sim/kv_machine.hpp"
#include "sim/kv_workload.hpp"
#include "sim/run_log.hpp"

namespace rtcmesh::sim {
namespace {

using namespace rtcmesh::raft;

struct Member {
    std::unique_ptr<Node> raft;  // null while away (vanished, or left the room)
    MemoryStorage storage;       // survives: a returning page restores from it
    KvState kv;
    std::size_t cursor = 0;      // messages of its mesh log already handed to Raft
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
        Millis at = 0;
        for (const auto& id : ids_) {
            join_at_[id] = at;
            if (!options.simultaneous_join) at += static_cast<Millis>(rng_.between(0, 1500));
        }
        note("seed " + std::to_string(options.seed) + ": " + std::to_string(options.members) + " members, " +
             (options.simultaneous_join ? "joining at the same instant" : "joining one after another") +
             (relay_ ? "" : ", no relaying"));
    }

    SessionSimResult run() {
        while (log_.ok() && net_.now() < options_.fault_phase_ms) tick(true);
        if (log_.ok()) liveness();
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
    bool up(const std::string& id) const { return members_.count(id) && members_.at(id).raft && net_.has_node(id); }

    // As RTCMesh.join and Raft({ mesh }) do: a mesh to everyone present, a
    // Raft restored from its storage, and the room bootstrap rule.
    void enter(const std::string& id) {
        mesh::Options options;
        options.id = id;
        options.peers = room_;
        options.relay = relay_;
        net_.add_node(options);
        for (const auto& other : room_)
            if (net_.has_node(other)) (void)net_.mesh(other).add_peer(id);
        start_raft(id);
        for (const auto& other : room_)
            if (up(other)) (void)members_.at(other).raft->join(id);
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
        config.serve_forwarded_reads_as_follower = options_.fault_stale_forwarded_reads;
        m.raft = std::make_unique<Node>(config, m.storage.load());
        m.kv.clear();  // re-applied from the log
        m.cursor = 0;
        for (const auto& other : room_)
            if (other != id) (void)m.raft->join(other);
    }

    void tell_room_order() {
        for (std::size_t i = 0; i < room_.size(); ++i)
            if (up(room_[i])) members_.at(room_[i]).raft->set_room_position(i == 0, room_.size() > 1);
    }

    // The page is gone for good: the others drop it from mesh and Raft. It
    // may come back later with its stored state, as a reopened tab does.
    void leave(const std::string id) {  // a copy: it erases its own entry of room_
        net_.vanish(id);
        members_.at(id).raft.reset();
        room_.erase(std::find(room_.begin(), room_.end(), id));
        for (const auto& other : room_) {
            if (!net_.has_node(other)) continue;
            (void)net_.mesh(other).remove_peer(id);
            if (up(other)) (void)members_.at(other).raft->leave(id);
        }
        tell_room_order();
        note("leave " + id);
    }

    // The page dies and comes back soon with the same id and its storage.
    void vanish(const std::string& id) {
        net_.vanish(id);
        members_.at(id).raft.reset();
        members_.at(id).return_at = net_.now() + static_cast<Millis>(rng_.between(200, 2000));
        note("vanish " + id);
    }

    void come_back(const std::string& id) {
        mesh::Options options;
        options.id = id;
        options.relay = relay_;
        for (const auto& other : room_)
            if (other != id) options.peers.push_back(other);
        net_.add_node(options);
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
        check_election_safety();
    }

    // Raft over the mesh's system frames, and the host contract for its Ready.
    void pump(const std::string& id) {
        if (!up(id)) return;
        Member& m = members_.at(id);
        auto& received = net_.log(id).messages;
        for (; m.cursor < received.size(); ++m.cursor)
            if (received[m.cursor].system) {
                const auto status = m.raft->receive(received[m.cursor].from, received[m.cursor].data);
                if (!status.ok() && options_.trace) note(id + " refused a Raft message: " + status.error);
                ++consumed_[id];
            }
        m.raft->update(net_.now());
        process(id);
    }

    void process(const std::string& id) {
        if (!up(id)) return;
        Member& m = members_.at(id);
        for (int rounds = 0; rounds < 64 && m.raft->has_ready(); ++rounds) {
            Ready ready = m.raft->take_ready();
            ready.persist_to(m.storage);
            for (auto& message : ready.messages) (void)net_.mesh(id).send(message.to, std::move(message.bytes), false, true);
            for (const auto& entry : ready.committed_entries) apply(id, m, entry);
            for (const auto& event : ready.events) workload_.on_event(id, event);
            m.raft->advance();
        }
    }

    void apply(const std::string& id, Member& m, const Entry& entry) {
        auto [it, fresh] = applied_.emplace(entry.index, std::make_pair(entry.term, entry.data));
        if (!fresh && (it->second.first != entry.term || it->second.second != entry.data)) {
            fail(entry.index == 1 ? "One cluster: " + id + " belongs to a second cluster (another first entry)"
                                  : "State Machine Safety: " + id + " applied a different entry at index " + std::to_string(entry.index));
            return;
        }
        if (entry.type != EntryType::Normal) return;
        const auto command = decode_command(entry.data);
        if (!command) return;
        workload_.on_applied(id, *command, apply_command(*command, m.kv), net_.now());
    }

    KvHost kv_host() {
        return KvHost{
            [this](const std::string& a) { return up(a) ? members_.at(a).raft.get() : nullptr; },
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

    std::string leader() const {
        for (const auto& id : room_)
            if (up(id) && members_.at(id).raft->role() == Role::Leader) return id;
        return {};
    }

    // ---------------------------------------------------------------- faults

    void inject_fault() {
        if (!rng_.chance(0.01) || room_.size() < 2) return;
        const std::string a = room_[rng_.between(0, room_.size() - 1)];  // copies: leave() changes room_
        const std::string b = room_[rng_.between(0, room_.size() - 1)];
        switch (rng_.between(0, 5)) {
            case 0:
            case 1:
                if (a != b) net_.kill_link(a, b), note("kill link " + a + " - " + b);
                break;
            case 2: heal_links(); break;
            case 3:
                if (up(a)) vanish(a);
                break;
            case 4:
                if (cluster_survives_leave()) leave(a);
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
    bool cluster_survives_leave() const {
        const std::string at = leader();
        if (at.empty() || room_.size() <= 2) return false;
        const Node& node = *members_.at(at).raft;
        return node.log().last_index() == node.commit_index() && node.membership().voters.size() >= 3;
    }

    void heal_links() {
        for (const auto& a : ids_)
            for (const auto& b : ids_) net_.restore_link(a, b);
        note("links healed");
    }

    // ---------------------------------------------------------------- checks

    void check_election_safety() {
        for (const auto& id : room_) {
            if (!up(id) || members_.at(id).raft->role() != Role::Leader) continue;
            const Term term = members_.at(id).raft->term();
            auto [known, fresh] = leader_of_term_.emplace(term, id);
            if (fresh) note(id + " leads term " + std::to_string(term));
            if (!fresh && known->second != id)
                fail("Election Safety: both " + known->second + " and " + id + " lead term " + std::to_string(term));
        }
    }

    // Everyone back, links healed: a proposal made at the leader commits.
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
                auto proposed = members_.at(at).raft->propose(encode_command(Command{"liveness|0", KvOp::get, "probe", "", ""}));
                if (proposed.ok()) probe = {at, proposed.value->index};
            } else if (probe && up(probe->first) && members_.at(probe->first).raft->applied_index() >= probe->second) {
                note("liveness: committed at index " + std::to_string(probe->second));
                return;
            } else if (probe && (!up(probe->first) || members_.at(probe->first).raft->role() != Role::Leader)) {
                probe.reset();
            }
        }
        for (const auto& id : room_) {
            if (!up(id)) continue;
            const Node& n = *members_.at(id).raft;
            std::string voters;
            for (const auto& v : n.membership().voters) voters += " " + v;
            note(id + ": " + role_name(n.role()) + " term " + std::to_string(n.term()) + " log " + std::to_string(n.log().last_index()) +
                 " commit " + std::to_string(n.commit_index()) + " applied " + std::to_string(n.applied_index()) + " voters" + voters +
                 (n.removed() ? " (removed)" : "") + ", received " + std::to_string(net_.log(id).messages.size()) +
                 ", raft messages consumed " + std::to_string(consumed_[id]) +
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
        fail("Liveness: no proposal committed within " + std::to_string(options_.liveness_bound_ms) + " ms after the faults stopped");
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
    bool relay_ = true;
    std::map<std::string, std::uint64_t> consumed_;
    std::map<Index, std::pair<Term, Bytes>> applied_;
    std::map<Term, std::string> leader_of_term_;
    RunLog log_;
    SessionSimResult result_;
};

}  // namespace

SessionSimResult run_session_simulation(const SessionSimOptions& options) { return SessionSim(options).run(); }

}  // namespace rtcmesh::sim

#include "sim/simulator.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <sstream>

#include "core/common/rng.hpp"
#include "core/raft/node.hpp"

namespace rtcmesh::sim {
namespace {

using namespace rtcmesh::raft;

constexpr Millis kStep = 5;              // virtual time per simulation step
constexpr Millis kClientTimeout = 1500;  // a client gives up on an answer after this
constexpr std::size_t kTraceTail = 60;   // trace lines kept for a failure report

// ------------------------------------------------------------------ network

struct Packet {
    Millis at;
    std::uint64_t seq;  // ties broken by send order: deterministic
    std::string from;
    std::string to;
    Bytes bytes;
    bool operator>(const Packet& other) const { return at != other.at ? at > other.at : seq > other.seq; }
};

struct NetworkFaults {
    double loss = 0;
    double duplicate = 0;
    Millis min_delay = 1;
    Millis max_delay = 10;
};

// ------------------------------------------------------------------ KV state machine

// Entry payload: "client|seq|op|key|value|expected" (op: p, g, c).
struct Command {
    std::string id;  // "client|seq": identifies the client operation
    KvOp op = KvOp::get;
    std::string key;
    std::string value;
    std::string expected;
};

Bytes encode_command(const Command& c) {
    const char op = c.op == KvOp::put ? 'p' : c.op == KvOp::get ? 'g' : 'c';
    const std::string text = c.id + "|" + op + "|" + c.key + "|" + c.value + "|" + c.expected;
    return Bytes(text.begin(), text.end());
}

std::optional<Command> decode_command(const Bytes& bytes) {
    std::vector<std::string> parts;
    std::string part;
    for (const auto byte : bytes) {
        if (byte == '|') {
            parts.push_back(std::move(part));
            part.clear();
        } else {
            part.push_back(static_cast<char>(byte));
        }
    }
    parts.push_back(std::move(part));
    if (parts.size() != 6) return std::nullopt;
    Command c;
    c.id = parts[0] + "|" + parts[1];
    c.op = parts[2] == "p" ? KvOp::put : parts[2] == "g" ? KvOp::get : KvOp::cas;
    c.key = parts[3];
    c.value = parts[4];
    c.expected = parts[5];
    return c;
}

// Applies to `kv`; returns the output a client would see.
std::string apply_command(const Command& c, std::map<std::string, std::string>& kv) {
    switch (c.op) {
        case KvOp::put:
            kv[c.key] = c.value;
            return "ok";
        case KvOp::get: {
            auto it = kv.find(c.key);
            return it == kv.end() ? "" : it->second;
        }
        case KvOp::cas: {
            auto it = kv.find(c.key);
            const std::string current = it == kv.end() ? "" : it->second;
            if (current != c.expected) return "fail";
            kv[c.key] = c.value;
            return "ok";
        }
    }
    return "";
}

// ------------------------------------------------------------------ the simulation

struct SimNode {
    std::unique_ptr<Node> node;  // null while crashed
    MemoryStorage storage;
    std::map<std::string, std::string> kv;
    bool paused = false;
    Millis paused_until = 0;
};

struct Client {
    int id = 0;
    int seq = 0;
    std::optional<std::size_t> pending;  // index into history
    std::string at_node;
    Index index = 0;
    Term term = 0;
    std::string command_id;
    Millis deadline = 0;
};

class Simulation {
public:
    explicit Simulation(const SimOptions& options) : options_(options), rng_(options.seed) {
        for (int i = 1; i <= options.nodes; ++i) addresses_.push_back("n" + std::to_string(i));
        faults_.loss = rng_.chance(0.5) ? static_cast<double>(rng_.between(0, 30)) / 100.0 : 0.0;
        faults_.duplicate = rng_.chance(0.3) ? 0.05 : 0.0;
        faults_.max_delay = static_cast<Millis>(rng_.between(2, 40));
        // Small batches and windows make leaders replicate old entries apart
        // from their own (the Figure 8 situation) far more often.
        const std::size_t batches[] = {1, 2, 4, 1024};
        max_entries_per_message_ = batches[rng_.between(0, 3)];
        max_inflight_ = rng_.chance(0.5) ? 1 : 64;
        // Churning leaders: in some runs every new leader crashes soon after
        // winning and comes back, so terms change with entries half-replicated.
        churn_leaders_ = rng_.chance(0.3);
        for (const auto& address : addresses_) start_node(address);
        for (int c = 0; c < options.clients; ++c) clients_.push_back(Client{c});
        note("seed " + std::to_string(options.seed) + ": " + std::to_string(options.nodes) + " nodes, loss " +
             std::to_string(static_cast<int>(faults_.loss * 100)) + "%, delay 1-" + std::to_string(faults_.max_delay) + " ms");
    }

    SimResult run() {
        while (result_.ok && now_ < options_.fault_phase_ms) {
            step(true);
        }
        if (result_.ok) liveness();
        if (result_.ok) check_log_matching();
        if (result_.ok) check_history();
        result_.committed = 0;
        for (const auto& [address, n] : nodes_)
            if (n.node) result_.committed = std::max<std::uint64_t>(result_.committed, n.node->commit_index());
        if (!options_.trace && result_.ok) trace_.clear();
        result_.trace.assign(trace_.begin(), trace_.end());
        return result_;
    }

private:
    // ---------------------------------------------------------------- nodes

    Config config_for(const std::string& address) {
        Config config;
        config.address = address;
        config.initial_members = addresses_;
        config.election_min_timeout = 150;
        config.election_max_timeout = 300;
        config.heartbeat_interval = 50;
        config.seed = options_.seed * 131 + std::hash<std::string>{}(address) + restarts_;
        config.max_entries_per_message = max_entries_per_message_;
        config.max_inflight_messages = max_inflight_;
        config.commit_by_counting_old_term_entries = options_.fault_commit_old_term;
        config.grant_two_votes_per_term = options_.fault_two_votes;
        return config;
    }

    void start_node(const std::string& address) {
        SimNode& n = nodes_[address];
        n.node = std::make_unique<Node>(config_for(address), n.storage.load());
        n.kv.clear();  // the state machine is rebuilt by re-applying the log
        for (const auto& other : addresses_)
            if (other != address) (void)n.node->join(other);
        for (const auto& gone : removed_) (void)n.node->leave(gone);
        n.node->update(now_);
    }

    bool running(const std::string& address) const {
        auto it = nodes_.find(address);
        return it != nodes_.end() && it->second.node && !it->second.paused;
    }

    // Persist, send, apply, advance: the host contract.
    void process(const std::string& address) {
        SimNode& n = nodes_.at(address);
        for (int rounds = 0; rounds < 64 && n.node && n.node->has_ready(); ++rounds) {
            Ready ready = n.node->take_ready();
            ready.persist_to(n.storage);
            for (auto& message : ready.messages) send(address, std::move(message));
            for (const auto& entry : ready.committed_entries) apply(address, n, entry);
            n.node->advance();
        }
    }

    void send(const std::string& from, OutgoingMessage message) {
        if (blocked_.count({from, message.to}) > 0 || rng_.chance(faults_.loss)) return;
        const int copies = rng_.chance(faults_.duplicate) ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            const Millis delay = static_cast<Millis>(rng_.between(static_cast<std::uint64_t>(faults_.min_delay), static_cast<std::uint64_t>(faults_.max_delay)));
            network_.push(Packet{now_ + delay, ++packet_seq_, from, message.to, message.bytes});
        }
    }

    void deliver_due() {
        while (!network_.empty() && network_.top().at <= now_) {
            Packet p = network_.top();
            network_.pop();
            if (blocked_.count({p.from, p.to}) > 0 || !running(p.to)) continue;
            (void)nodes_.at(p.to).node->receive(p.from, p.bytes);
            process(p.to);
        }
    }

    // ---------------------------------------------------------------- applying and safety

    void apply(const std::string& address, SimNode& n, const Entry& entry) {
        // State Machine Safety: one entry per index, whoever applies it.
        auto [it, fresh] = applied_.emplace(entry.index, std::make_pair(entry.term, entry.data));
        if (!fresh && (it->second.first != entry.term || it->second.second != entry.data)) {
            fail("State Machine Safety: " + address + " applied a different entry at index " + std::to_string(entry.index) +
                 " (term " + std::to_string(entry.term) + " vs " + std::to_string(it->second.first) + ")");
            return;
        }
        if (entry.type != EntryType::Normal) return;
        const auto command = decode_command(entry.data);
        if (!command) return;
        const std::string output = apply_command(*command, n.kv);
        for (auto& client : clients_) {
            if (!client.pending || client.at_node != address || client.index != entry.index) continue;
            KvOperation& op = history_[*client.pending];
            if (client.command_id == command->id && client.term == entry.term) {
                op.ret = now_;
                op.output = output;
                ++result_.completed;
            } else {
                lost_.insert(*client.pending);  // another entry took its place: it never happened
            }
            client.pending.reset();
        }
    }

    void check_step_invariants() {
        for (const auto& [address, n] : nodes_) {
            if (!n.node || n.node->role() != Role::Leader) continue;
            const Term term = n.node->term();
            auto [known, fresh] = leader_of_term_.emplace(term, address);
            if (!fresh && known->second != address) {
                fail("Election Safety: both " + known->second + " and " + address + " lead term " + std::to_string(term));
                return;
            }
            const RaftLog& log = n.node->log();
            if (fresh) {
                note(address + " leads term " + std::to_string(term));
                check_leader_completeness(address, log);
                if (churn_leaders_ && now_ < options_.fault_phase_ms && rng_.chance(0.5))
                    crash_at_[address] = now_ + static_cast<Millis>(rng_.between(0, 80));
            }
            auto& seen = leader_log_[{address, term}];
            if (seen.first > 0 && (log.last_index() < seen.first || log.term_at(seen.first) != seen.second)) {
                fail("Leader Append-Only: " + address + " rewrote its log in term " + std::to_string(term) + " at index " +
                     std::to_string(seen.first));
                return;
            }
            seen = {log.last_index(), log.last_term()};
        }
    }

    // Every entry applied anywhere (committed) must be in a new leader's log.
    void check_leader_completeness(const std::string& address, const RaftLog& log) {
        for (const auto& [index, entry] : applied_) {
            if (index <= log.snapshot_index()) continue;
            if (log.term_at(index) != entry.first) {
                fail("Leader Completeness: " + address + " leads term " + std::to_string(nodes_.at(address).node->term()) +
                     " without committed entry " + std::to_string(index));
                return;
            }
        }
    }

    // If two logs hold an entry with the same index and term, they are
    // identical up to it (§5.3).
    void check_log_matching() {
        for (const auto& [a, na] : nodes_) {
            for (const auto& [b, nb] : nodes_) {
                if (a >= b || !na.node || !nb.node) continue;
                const RaftLog& la = na.node->log();
                const RaftLog& lb = nb.node->log();
                const Index end = std::min(la.last_index(), lb.last_index());
                Index first_difference = 0;
                for (Index i = std::max(la.first_index(), lb.first_index()); i <= end; ++i) {
                    const bool same_term = la.at(i).term == lb.at(i).term;
                    if (same_term && (first_difference != 0 || !(la.at(i) == lb.at(i)))) {
                        fail("Log Matching: " + a + " and " + b + " hold term " + std::to_string(la.at(i).term) + " at index " +
                             std::to_string(i) + " but differ at or before it");
                        return;
                    }
                    if (!same_term && first_difference == 0) first_difference = i;
                }
            }
        }
    }

    void check_history() {
        std::vector<KvOperation> kept;
        for (std::size_t i = 0; i < history_.size(); ++i)
            if (lost_.count(i) == 0) kept.push_back(history_[i]);
        const auto verdict = check_linearizable(kept);
        result_.linearizability_states = verdict.states;
        if (!verdict.ok) fail("Linearizability: the history of key '" + verdict.key + "' cannot be linearized");
    }

    // ---------------------------------------------------------------- clients

    void run_clients() {
        for (auto& client : clients_) {
            if (client.pending && now_ > client.deadline) {
                client.pending.reset();  // no answer: the op stays in the history with no return
            }
            if (client.pending || !rng_.chance(0.2)) continue;
            invoke(client);
        }
    }

    void invoke(Client& client) {
        std::vector<std::string> up;
        for (const auto& address : addresses_)
            if (running(address) && nodes_.at(address).node->role() == Role::Leader) up.push_back(address);
        if (up.empty()) return;
        const std::string& at = up[rng_.between(0, up.size() - 1)];
        Command c;
        c.id = std::to_string(client.id) + "|" + std::to_string(++client.seq);
        c.op = static_cast<KvOp>(rng_.between(0, 2));
        c.key = "k" + std::to_string(rng_.between(0, static_cast<std::uint64_t>(options_.keys - 1)));
        c.value = "v" + std::to_string(rng_.between(0, 9));
        c.expected = "v" + std::to_string(rng_.between(0, 9));
        auto proposed = nodes_.at(at).node->propose(encode_command(c));
        if (!proposed.ok()) return;  // refused outright: it never happened
        KvOperation op{client.id, c.op, c.key, c.op == KvOp::get ? "" : c.value, c.op == KvOp::cas ? c.expected : "", now_, std::nullopt, ""};
        history_.push_back(std::move(op));
        ++result_.operations;
        client.pending = history_.size() - 1;
        client.at_node = at;
        client.index = proposed.value->index;
        client.term = proposed.value->term;
        client.command_id = c.id;
        client.deadline = now_ + kClientTimeout;
        process(at);
    }

    // ---------------------------------------------------------------- faults

    void inject_fault() {
        if (!rng_.chance(0.02)) return;
        const std::string& x = addresses_[rng_.between(0, addresses_.size() - 1)];
        const std::string& y = addresses_[rng_.between(0, addresses_.size() - 1)];
        switch (rng_.between(0, 10)) {
            case 0:  // isolate x both ways
                for (const auto& other : addresses_) blocked_.insert({x, other}), blocked_.insert({other, x});
                note("partition: " + x + " isolated");
                break;
            case 1:
                if (x != y) blocked_.insert({x, y});
                note("one-way cut: " + x + " -> " + y);
                break;
            case 2:
                blocked_.clear();
                note("network healed");
                break;
            case 3:
                if (nodes_.at(x).node) {
                    nodes_.at(x).node.reset();
                    note("crash: " + x);
                }
                break;
            case 4:
                if (!nodes_.at(x).node) {
                    ++restarts_;
                    start_node(x);
                    note("restart: " + x);
                }
                break;
            case 5:
                if (nodes_.at(x).node && !nodes_.at(x).paused) {
                    nodes_.at(x).paused = true;
                    nodes_.at(x).paused_until = now_ + static_cast<Millis>(rng_.between(200, 3000));
                    note("clock paused: " + x);
                }
                break;
            case 6:
                change_membership(x);
                break;
            case 7:
                if (running(x) && nodes_.at(x).node->role() == Role::Leader && x != y) {
                    (void)nodes_.at(x).node->transfer_leadership(y);
                    note("transfer: " + x + " -> " + y);
                }
                break;
            case 8:
                for (auto& [address, n] : nodes_) n.paused = false;
                break;
            default:  // crash whoever leads: leadership changes with entries in flight
                for (auto& [address, n] : nodes_) {
                    if (n.node && n.node->role() == Role::Leader) {
                        n.node.reset();
                        note("crash the leader: " + address);
                        break;
                    }
                }
                break;
        }
    }

    // Removes x (never below three voters) or adds back a removed node.
    void change_membership(const std::string& x) {
        if (!options_.membership_changes) return;
        const bool add_back = !removed_.empty() && (removed_.count(x) > 0 || rng_.chance(0.5));
        if (add_back) {
            const std::string back = removed_.count(x) > 0 ? x : *removed_.begin();
            removed_.erase(back);
            for (auto& [address, n] : nodes_)
                if (n.node && address != back) (void)n.node->join(back);
            note("membership: add " + back);
        } else if (addresses_.size() - removed_.size() > 3) {
            removed_.insert(x);
            for (auto& [address, n] : nodes_)
                if (n.node && address != x) (void)n.node->leave(x);
            note("membership: remove " + x);
        }
    }

    // ---------------------------------------------------------------- time

    void run_churn() {
        for (auto it = crash_at_.begin(); it != crash_at_.end();) {
            if (now_ < it->second) { ++it; continue; }
            if (nodes_.at(it->first).node) {
                nodes_.at(it->first).node.reset();
                note("churn: crash " + it->first);
                restart_at_[it->first] = now_ + static_cast<Millis>(rng_.between(50, 600));
            }
            it = crash_at_.erase(it);
        }
        for (auto it = restart_at_.begin(); it != restart_at_.end();) {
            if (now_ < it->second) { ++it; continue; }
            if (!nodes_.at(it->first).node) {
                ++restarts_;
                start_node(it->first);
                note("churn: restart " + it->first);
            }
            it = restart_at_.erase(it);
        }
    }

    void step(bool faults) {
        ++result_.steps;
        now_ += kStep;
        if (faults) {
            inject_fault();
            run_churn();
        }
        for (auto& [address, n] : nodes_) {
            if (n.paused && now_ >= n.paused_until) n.paused = false;
            if (!n.node || n.paused) continue;
            n.node->update(now_);
            process(address);
        }
        deliver_due();
        if (faults) run_clients();
        check_step_invariants();
        if (result_.ok && result_.steps % 20 == 0) check_log_matching();
    }

    // After the faults stop: heal, restart, re-add; a leader must commit.
    void liveness() {
        blocked_.clear();
        for (auto& [address, n] : nodes_) n.paused = false;
        for (const auto& address : addresses_)
            if (!nodes_.at(address).node) {
                ++restarts_;
                start_node(address);
            }
        for (const auto& back : std::set<std::string>(removed_)) change_membership(back);
        faults_.loss = 0;
        faults_.duplicate = 0;
        note("faults stop");
        const Millis deadline = now_ + options_.liveness_bound_ms;
        std::optional<std::pair<std::string, Index>> probe;
        while (result_.ok && now_ < deadline) {
            step(false);
            if (!probe) {
                for (const auto& address : addresses_) {
                    if (!running(address) || nodes_.at(address).node->role() != Role::Leader) continue;
                    auto proposed = nodes_.at(address).node->propose(encode_command(Command{"liveness|0", KvOp::get, "probe", "", ""}));
                    if (proposed.ok()) probe = {address, proposed.value->index};
                    process(address);
                    break;
                }
            } else if (running(probe->first) && nodes_.at(probe->first).node->applied_index() >= probe->second) {
                note("liveness: committed at index " + std::to_string(probe->second));
                return;
            } else if (!running(probe->first) || nodes_.at(probe->first).node->role() != Role::Leader) {
                probe.reset();  // leadership moved: propose again
            }
        }
        if (result_.ok) fail("Liveness: no proposal committed within " + std::to_string(options_.liveness_bound_ms) + " ms after the faults stopped");
    }

    // ---------------------------------------------------------------- reporting

    void note(std::string line) {
        std::ostringstream out;
        out << "[" << now_ << " ms] " << line;
        trace_.push_back(out.str());
        if (!options_.trace && trace_.size() > kTraceTail) trace_.pop_front();
    }

    void fail(std::string what) {
        if (!result_.ok) return;
        result_.ok = false;
        result_.failure = std::move(what);
        note("VIOLATION: " + result_.failure);
    }

    SimOptions options_;
    Rng rng_;
    Millis now_ = 0;
    std::uint64_t restarts_ = 0;
    std::size_t max_entries_per_message_ = 1024;
    std::size_t max_inflight_ = 64;
    bool churn_leaders_ = false;
    std::map<std::string, Millis> crash_at_;    // churn: planned leader crashes
    std::map<std::string, Millis> restart_at_;  // churn: planned restarts
    std::uint64_t packet_seq_ = 0;
    std::vector<std::string> addresses_;
    std::map<std::string, SimNode> nodes_;
    std::set<std::string> removed_;
    std::set<std::pair<std::string, std::string>> blocked_;
    NetworkFaults faults_;
    std::priority_queue<Packet, std::vector<Packet>, std::greater<Packet>> network_;
    std::vector<Client> clients_;
    std::vector<KvOperation> history_;
    std::set<std::size_t> lost_;
    std::map<Index, std::pair<Term, Bytes>> applied_;
    std::map<Term, std::string> leader_of_term_;
    std::map<std::pair<std::string, Term>, std::pair<Index, Term>> leader_log_;
    std::deque<std::string> trace_;
    SimResult result_;
};

}  // namespace

SimResult run_simulation(const SimOptions& options) { return Simulation(options).run(); }

// ------------------------------------------------------------------ Figure 16

namespace {

// One trial: elect, let the cluster settle, crash the leader at a random
// point of its heartbeat interval, and time until every other node has heard
// a heartbeat (or append) from a leader of a newer term.
std::optional<Millis> election_trial(const ElectionTimeOptions& o, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<std::string> addresses;
    for (int i = 1; i <= o.nodes; ++i) addresses.push_back("n" + std::to_string(i));
    std::map<std::string, std::unique_ptr<Node>> nodes;
    for (const auto& address : addresses) {
        Config config;
        config.address = address;
        config.initial_members = addresses;
        config.election_min_timeout = o.election_min_timeout;
        config.election_max_timeout = o.election_max_timeout;
        config.heartbeat_interval = o.heartbeat_interval;
        config.seed = seed * 7919 + nodes.size();
        nodes[address] = std::make_unique<Node>(config);
    }
    std::priority_queue<Packet, std::vector<Packet>, std::greater<Packet>> network;
    std::uint64_t seq = 0;
    Millis now = 0;
    std::string crashed;
    Term old_term = 0;
    Millis crash_at = -1;
    std::map<std::string, Millis> heard_new_leader;
    Millis last_heartbeat = 0;
    auto process = [&](const std::string& address) {
        Node& node = *nodes.at(address);
        while (node.has_ready()) {
            Ready ready = node.take_ready();
            for (auto& m : ready.messages) {
                // One-way delay around the broadcast time: uniform in [b/2, 3b/2].
                const Millis delay = static_cast<Millis>(rng.between(static_cast<std::uint64_t>(o.broadcast_ms / 2),
                                                                     static_cast<std::uint64_t>(o.broadcast_ms * 3 / 2)));
                if (node.role() == Role::Leader) last_heartbeat = now;
                network.push(Packet{now + delay, ++seq, address, m.to, std::move(m.bytes)});
            }
            node.advance();
        }
    };
    std::optional<Millis> crash_plan;
    for (; now < 60'000; ++now) {
        for (const auto& address : addresses) {
            if (address == crashed) continue;
            nodes.at(address)->update(now);
            process(address);
        }
        while (!network.empty() && network.top().at <= now) {
            Packet p = network.top();
            network.pop();
            if (p.to == crashed || p.from == crashed) continue;
            auto decoded = decode(p.bytes);
            if (crash_at >= 0 && decoded.ok() && decoded.value->term > old_term &&
                (decoded.value->type == MessageType::Heartbeat || decoded.value->type == MessageType::Append)) {
                heard_new_leader.emplace(p.to, now);
            }
            (void)nodes.at(p.to)->receive(p.from, p.bytes);
            process(p.to);
        }
        if (crash_at < 0) {
            std::string leader;
            for (const auto& [address, node] : nodes)
                if (node->role() == Role::Leader) leader = address;
            if (!leader.empty() && now > 2000 && !crash_plan) {
                crash_plan = last_heartbeat + static_cast<Millis>(rng.between(0, static_cast<std::uint64_t>(o.heartbeat_interval - 1)));
            }
            if (crash_plan && now >= *crash_plan && !leader.empty()) {
                crashed = leader;
                old_term = nodes.at(leader)->term();
                crash_at = now;
            }
        } else if (heard_new_leader.size() == addresses.size() - 2) {  // every node but the old and the new leader
            Millis last = 0;
            for (const auto& [address, at] : heard_new_leader) last = std::max(last, at);
            return last - crash_at;
        }
    }
    return std::nullopt;
}

}  // namespace

std::vector<Millis> measure_election_times(const ElectionTimeOptions& options) {
    std::vector<Millis> times;
    for (int trial = 0; trial < options.trials; ++trial) {
        if (auto t = election_trial(options, options.first_seed + static_cast<std::uint64_t>(trial))) times.push_back(*t);
    }
    return times;
}

}  // namespace rtcmesh::sim

#include "sim/simulator.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/common/rng.hpp"
#include "core/raft/node.hpp"
#include "kit/raft_safety.hpp"
#include "kit/ready_loop.hpp"
#include "kit/timed_queue.hpp"
#include "sim/hostile_messages.hpp"
#include "sim/kv_machine.hpp"
#include "sim/kv_workload.hpp"
#include "sim/packet.hpp"
#include "sim/run_log.hpp"

namespace rtcmesh::sim {
namespace {

using namespace rtcmesh::raft;

constexpr Millis kStep = 5;              // virtual time per simulation step
constexpr Millis kRemovalBound = 5'000;  // removed nodes must learn of it within this, once healed


// What one run draws once, from its seed: the kind of network, disk and host.
struct RunShape {
    double loss = 0;
    double duplicate = 0;
    Millis max_delay = 10;
    double long_delay = 0;  // chance of a delay past the election timeout
    Millis max_write_ms = 0;  // a disk write completes 0..this after it starts
    std::size_t max_entries_per_message = 1024;
    std::size_t max_inflight = 64;
    bool churn_leaders = false;  // crash every new leader soon after it wins
    bool crash_on_commit = false;  // ... or right after it commits an entry of an older term
    double compact_chance = 0;
    double read_index_chance = 0;
};

RunShape draw_shape(Rng& rng) {
    RunShape shape;
    shape.loss = rng.chance(0.5) ? static_cast<double>(rng.between(0, 30)) / 100.0 : 0.0;
    shape.duplicate = rng.chance(0.3) ? 0.05 : 0.0;
    shape.max_delay = static_cast<Millis>(rng.between(2, 40));
    shape.long_delay = rng.chance(0.3) ? 0.01 : 0.0;
    shape.max_write_ms = rng.chance(0.5) ? static_cast<Millis>(rng.between(1, 30)) : 0;
    // Small batches and windows make leaders replicate old entries apart
    // from their own (the Figure 8 situation) far more often.
    const std::size_t batches[] = {1, 2, 4, 1024};
    shape.max_entries_per_message = batches[rng.between(0, 3)];
    shape.max_inflight = rng.chance(0.5) ? 1 : 64;
    shape.churn_leaders = rng.chance(0.3);
    shape.crash_on_commit = rng.chance(0.3);
    shape.compact_chance = rng.chance(0.5) ? 0.05 : 0.0;
    shape.read_index_chance = rng.chance(0.5) ? 0.5 : 0.0;
    return shape;
}

const char* kind_name(FaultKind kind) {
    static constexpr const char* names[] = {"isolate", "cut", "heal", "crash", "restart", "pause", "wake-all",
                                            "remove", "add-back", "add-new", "transfer", "close", "hostile"};
    return names[static_cast<int>(kind)];
}

// A disk write in flight: the Ready it persists, and when it completes.
struct PendingWrite {
    Ready ready;
    Millis done_at = 0;
};

struct SimNode {
    std::unique_ptr<Node> node;  // null while crashed
    MemoryStorage storage;
    KvState kv;
    std::optional<PendingWrite> write;
    bool paused = false;
    Millis paused_until = 0;
};

}  // namespace

std::string Fault::describe() const {
    std::string text = std::string(kind_name(kind));
    if (!a.empty()) text += " " + a;
    if (kind == FaultKind::cut || kind == FaultKind::transfer) text += " -> " + b;
    if (kind == FaultKind::hostile) text += " (variant " + std::to_string(value % kHostileVariants) + ", as " + b + ")";
    if (kind == FaultKind::add_new && !b.empty()) text += " replacing " + b;
    return text;
}

namespace {

class Simulation {
public:
    explicit Simulation(const SimOptions& options)
        : options_(options), shape_rng_(options.seed), net_rng_(options.seed * 0x9E3779B9 + 1),
          fault_rng_(options.seed * 0x85EBCA6B + 2), shape_(draw_shape(shape_rng_)),
          workload_(options.clients, options.keys, shape_.read_index_chance), log_(options.trace) {
        for (int i = 1; i <= options.nodes; ++i) initial_.push_back("n" + std::to_string(i));
        for (const auto& address : initial_) {
            members_.insert(address);
            start_node(address);
        }
        note("seed " + std::to_string(options.seed) + ": " + std::to_string(options.nodes) + " nodes, loss " +
             std::to_string(static_cast<int>(shape_.loss * 100)) + "%, delay 1-" + std::to_string(shape_.max_delay) +
             " ms, disk 0-" + std::to_string(shape_.max_write_ms) + " ms");
    }

    SimResult run() {
        while (log_.ok() && now_ < options_.fault_phase_ms) step(true);
        if (log_.ok()) heal_everything();
        if (log_.ok()) check_removals_learned();
        if (log_.ok()) liveness();
        if (log_.ok()) check_log_matching();
        if (log_.ok()) check_history();
        result_.operations = workload_.operations();
        result_.completed = workload_.completed();
        result_.reads_by_index = workload_.reads_by_index();
        result_.committed = 0;
        for (const auto& [address, n] : nodes_)
            if (n.node) result_.committed = std::max<std::uint64_t>(result_.committed, n.node->commit_index());
        result_.ok = log_.ok();
        result_.failure = log_.failure();
        result_.trace = log_.trace();
        return result_;
    }

private:
    // ---------------------------------------------------------------- nodes

    Config config_for(const std::string& address) {
        Config config;
        config.address = address;
        const bool original = std::find(initial_.begin(), initial_.end(), address) != initial_.end();
        if (original) config.initial_members = initial_;
        config.join_existing_cluster = !original;
        config.election_min_timeout = 150;
        config.election_max_timeout = 300;
        config.heartbeat_interval = 50;
        config.seed = options_.seed * 131 + std::hash<std::string>{}(address) + restarts_;
        config.max_entries_per_message = shape_.max_entries_per_message;
        config.max_inflight_messages = shape_.max_inflight;
        config.keeper = options_.keeper && !initial_.empty() && address == initial_.front();
        return config;
    }

    void start_node(const std::string& address) {
        SimNode& n = nodes_[address];
        const PersistentState stored = n.storage.load();
        n.node = std::make_unique<Node>(config_for(address), stored);
        n.node->inject_test_faults({.commit_by_counting_old_term_entries = options_.fault_commit_old_term,
                                    .grant_two_votes_per_term = options_.fault_two_votes,
                                    .serve_forwarded_reads_as_follower = options_.fault_stale_forwarded_reads});
        n.write.reset();
        n.kv = stored.snapshot ? decode_kv(stored.snapshot->data) : KvState{};  // then the log is re-applied
        for (const auto& other : members_)
            if (other != address) (void)n.node->join(other);
        for (const auto& gone : removed_) (void)n.node->leave(gone);
        n.node->update(now_);
    }

    bool running(const std::string& address) const {
        auto it = nodes_.find(address);
        return it != nodes_.end() && it->second.node && !it->second.paused;
    }

    std::vector<std::string> live_nodes() const {
        std::vector<std::string> out;
        for (const auto& [address, n] : nodes_)
            if (running(address)) out.push_back(address);
        return out;
    }

    std::string leader() const {
        for (const auto& [address, n] : nodes_)
            if (running(address) && n.node->role() == Role::Leader) return address;
        return {};
    }

    // The host contract, with a disk that takes time: take a Ready, write it;
    // when the write completes, send, apply, advance, and take the next one.
    void process(const std::string& address) {
        SimNode& n = nodes_.at(address);
        for (int rounds = 0; rounds < 64 && n.node; ++rounds) {
            if (n.write) {
                if (now_ < n.write->done_at) break;
                complete_write(address, n);
                continue;
            }
            if (!n.node->has_ready()) break;
            n.write = PendingWrite{n.node->take_ready(), now_ + disk_latency()};
        }
        if (n.node && n.node->closed() && !n.write) {
            n.node.reset();
            note("closed: " + address);
        }
    }

    Millis disk_latency() {
        return shape_.max_write_ms == 0 ? 0 : static_cast<Millis>(net_rng_.between(0, static_cast<std::uint64_t>(shape_.max_write_ms)));
    }

    void complete_write(const std::string& address, SimNode& n) {
        Ready ready = std::move(n.write->ready);
        n.write.reset();
        const auto persist = [&](const Ready& written) {
            written.persist_to(n.storage);
            if (written.snapshot) {
                n.kv = decode_kv(written.snapshot->data);
                ++result_.snapshots_installed;
            }
        };
        const auto apply_entry = [&](const Entry& entry) { apply(address, n, entry); };
        if (crashes_after_old_term_commit(n, ready)) {
            // The host applies before it sends (allowed: apply needs only the
            // commit), and dies in between: the new leader's next append, which
            // would have made its term's entries reach the others, never leaves.
            // What a wrong commit rule needs to be caught (Figure 8).
            persist(ready);
            for (const auto& entry : ready.committed_entries) apply_entry(entry);
            apply_fault(Fault{result_.steps, FaultKind::crash, address, "", fault_rng_.next()});
            restart_at_[address] = now_ + static_cast<Millis>(fault_rng_.between(50, 600));
            return;
        }
        testkit::hand_over(
            ready, persist, [&](OutgoingMessage message) { send(address, std::move(message)); }, apply_entry,
            [&](const Event& event) { observe(address, event); });
        n.node->advance();
        maybe_compact(n);
    }

    // A leader whose commit index lands on an entry of an older term (only a
    // wrong commit rule does that) crashes in this runs' shape.
    bool crashes_after_old_term_commit(const SimNode& n, const Ready& ready) const {
        if (!shape_.crash_on_commit || !faults_on() || options_.schedule || n.node->role() != Role::Leader) return false;
        return !ready.committed_entries.empty() && ready.committed_entries.back().term < n.node->term();
    }

    // A crash with a write in flight keeps a prefix of it: snapshot, hard
    // state, then entries in order; the item at the cut is torn and lost.
    void crash(const std::string& address, std::uint64_t tear) {
        SimNode& n = nodes_.at(address);
        if (!n.node) return;
        if (n.write) {
            const Ready& r = n.write->ready;
            const std::size_t items = (r.snapshot ? 1 : 0) + (r.hard_state ? 1 : 0) + r.entries.size();
            std::size_t keep = static_cast<std::size_t>(tear % (items + 1));
            if (r.snapshot && keep > 0) n.storage.save_snapshot(*r.snapshot), --keep;
            if (r.hard_state && keep > 0) n.storage.save_hard_state(*r.hard_state), --keep;
            if (keep > 0) n.storage.save_entries(std::vector<Entry>(r.entries.begin(), r.entries.begin() + static_cast<std::ptrdiff_t>(keep)));
            n.write.reset();
        }
        n.node.reset();
    }

    void maybe_compact(SimNode& n) {
        if (shape_.compact_chance == 0 || !net_rng_.chance(shape_.compact_chance)) return;
        const Index applied = n.node->applied_index();
        if (applied < n.node->log().snapshot_index() + 8) return;
        auto snapshot = n.node->compact(applied, encode_kv(n.kv));
        if (snapshot.ok()) n.storage.save_snapshot(*snapshot.value);
    }

    void send(const std::string& from, OutgoingMessage message) {
        if (blocked_.count({from, message.to}) > 0 || net_rng_.chance(shape_.loss)) return;
        const int copies = net_rng_.chance(shape_.duplicate) ? 2 : 1;
        for (int i = 0; i < copies; ++i) {
            Millis delay = static_cast<Millis>(net_rng_.between(1, static_cast<std::uint64_t>(shape_.max_delay)));
            if (net_rng_.chance(shape_.long_delay)) delay = static_cast<Millis>(net_rng_.between(300, 2000));
            network_.push(now_ + delay, Packet{from, message.to, message.bytes});
        }
    }

    // A paused node's messages wait for it to wake; a crashed node's are lost.
    void deliver_due() {
        std::vector<testkit::TimedQueue<Packet>::Entry> for_sleepers;
        while (network_.due(now_)) {
            auto entry = network_.pop();
            const Packet& p = entry.item;
            if (blocked_.count({p.from, p.to}) > 0 || !nodes_.count(p.to) || !nodes_.at(p.to).node) continue;
            if (nodes_.at(p.to).paused) {
                entry.at = nodes_.at(p.to).paused_until;
                for_sleepers.push_back(std::move(entry));
                continue;
            }
            (void)nodes_.at(p.to).node->receive(p.from, p.bytes);
            process(p.to);
        }
        for (auto& entry : for_sleepers) network_.requeue(std::move(entry));
    }

    // ---------------------------------------------------------------- applying and safety

    void apply(const std::string& address, SimNode& n, const Entry& entry) {
        if (std::string broken = safety_.on_applied(address, entry); !broken.empty()) return fail(std::move(broken));
        if (entry.type != EntryType::Normal) return;
        const auto command = decode_command(entry.data);
        if (!command) return;
        const std::string output = apply_command(*command, n.kv);
        workload_.on_applied(address, *command, output, now_);
    }

    void observe(const std::string& address, const Event& event) {
        if (options_.trace) trace_event(address, event);
        workload_.on_event(address, event);
    }

    // The nodes that run (paused ones too), as the safety checks see them.
    std::vector<testkit::RaftSafety::View> views() const {
        std::vector<testkit::RaftSafety::View> out;
        for (const auto& [address, n] : nodes_)
            if (n.node) out.push_back({address, *n.node, n.storage.state().hard_state.term});
        return out;
    }

    void check_step_invariants() {
        std::string broken = safety_.after_step(views(), [&](const std::string& address, Term term) {
            note(address + " leads term " + std::to_string(term));
            if (shape_.churn_leaders && faults_on() && fault_rng_.chance(0.5))
                crash_at_[address] = now_ + static_cast<Millis>(fault_rng_.between(0, 80));
        });
        if (!broken.empty()) fail(std::move(broken));
    }

    void check_log_matching() {
        if (std::string broken = testkit::RaftSafety::log_matching(views()); !broken.empty()) fail(std::move(broken));
    }

    void check_history() {
        const auto verdict = workload_.check();
        result_.linearizability_states = verdict.states;
        result_.linearizability_undecided = verdict.undecided;
        if (!verdict.ok) fail("Linearizability: the history of key '" + verdict.key + "' cannot be linearized");
    }

    KvHost kv_host() {
        return KvHost{
            [this](const std::string& a) { return running(a) ? nodes_.at(a).node.get() : nullptr; },
            [this](const std::string& a) { return nodes_.count(a) ? &nodes_.at(a).kv : nullptr; },
            [this] { return live_nodes(); },
            [this] { return leader(); },
            [this](const std::string& a) { process(a); },
        };
    }

    // ---------------------------------------------------------------- faults

    bool faults_on() const { return !healing_ && now_ < options_.fault_phase_ms; }

    std::string pick(const std::vector<std::string>& from) {
        return from.empty() ? std::string() : from[fault_rng_.between(0, from.size() - 1)];
    }

    // Draws this step's fault, if any (or takes it from the replayed schedule).
    void inject_faults() {
        if (options_.schedule) {
            while (replay_next_ < options_.schedule->size() && (*options_.schedule)[replay_next_].step == result_.steps)
                apply_fault((*options_.schedule)[replay_next_++]);
            return;
        }
        if (!fault_rng_.chance(0.02)) return;
        std::vector<std::string> all;
        for (const auto& [address, n] : nodes_) all.push_back(address);
        Fault f{result_.steps, FaultKind::heal, pick(all), pick(all), fault_rng_.next()};
        switch (fault_rng_.between(0, 13)) {
            case 0: f.kind = FaultKind::isolate; break;
            case 1: f.kind = FaultKind::cut; break;
            case 2: f.kind = FaultKind::heal; break;
            case 3: f.kind = FaultKind::crash; break;
            case 4: f.kind = FaultKind::restart; break;
            case 5: f.kind = FaultKind::pause; break;
            case 6: f.kind = FaultKind::wake_all; break;
            case 7: f.kind = FaultKind::transfer; f.a = leader(); break;
            case 8: f.kind = FaultKind::close; break;
            case 9: f.kind = FaultKind::hostile; break;
            case 10: f.kind = FaultKind::crash; f.a = leader(); break;  // leadership changes with entries in flight
            case 11: f.kind = FaultKind::remove; f.a = fault_rng_.chance(0.5) ? leader() : pick(std::vector<std::string>(members_.begin(), members_.end())); break;
            case 12: f.kind = removed_.empty() ? FaultKind::add_new : FaultKind::add_back; f.a = removed_.empty() ? "" : *removed_.begin(); f.b.clear(); break;
            default: f.kind = FaultKind::add_new; f.a.clear(); f.b = leader(); break;  // replace the leader: a newcomer, then its removal
        }
        if (!options_.membership_changes && (f.kind == FaultKind::remove || f.kind == FaultKind::add_back || f.kind == FaultKind::add_new)) return;
        apply_fault(f);
    }

    void record(const Fault& f) {
        result_.schedule.push_back(f);
        note(f.describe());
    }

    void apply_fault(const Fault& f) {
        const bool exists = nodes_.count(f.a) > 0;
        switch (f.kind) {
            case FaultKind::isolate:
                if (!exists) return;
                for (const auto& [other, n] : nodes_) blocked_.insert({f.a, other}), blocked_.insert({other, f.a});
                break;
            case FaultKind::cut:
                if (!exists || f.a == f.b) return;
                blocked_.insert({f.a, f.b});
                break;
            case FaultKind::heal: blocked_.clear(); break;
            case FaultKind::crash:
                if (!exists || !nodes_.at(f.a).node) return;
                crash(f.a, f.value);
                break;
            case FaultKind::restart:
                if (!exists || nodes_.at(f.a).node) return;
                ++restarts_;
                start_node(f.a);
                break;
            case FaultKind::pause:
                if (!running(f.a)) return;
                nodes_.at(f.a).paused = true;
                nodes_.at(f.a).paused_until = now_ + 200 + static_cast<Millis>(f.value % 2800);
                break;
            case FaultKind::wake_all:
                for (auto& [address, n] : nodes_) n.paused = false;
                break;
            case FaultKind::transfer:
                if (!running(f.a) || f.a == f.b || !nodes_.count(f.b)) return;
                if (!nodes_.at(f.a).node->transfer_leadership(f.b).ok()) return;
                break;
            case FaultKind::close:
                if (!running(f.a) || nodes_.at(f.a).node->closing()) return;
                (void)nodes_.at(f.a).node->close();
                break;
            case FaultKind::hostile:
                if (!running(f.a) || !send_hostile(f)) return;
                break;
            case FaultKind::remove:
                if (!remove_member(f.a)) return;
                break;
            case FaultKind::add_back:
                if (!add_back(f.a)) return;
                break;
            case FaultKind::add_new:
                if (nodes_.size() >= initial_.size() + 4) return;
                add_new(f.b);
                break;
        }
        record(f);
        if (f.a.size() && nodes_.count(f.a)) process(f.a);
    }

    // Bad input must be refused and change nothing.
    bool send_hostile(const Fault& f) {
        Node& node = *nodes_.at(f.a).node;
        const std::string from = f.b.empty() || f.b == f.a ? std::string("intruder") : f.b;
        const auto before = std::make_tuple(node.term(), node.commit_index(), node.log().last_index(), node.role(), node.vote());
        const Status status = node.receive(from, hostile_message(f.value, from, f.a, node.term()));
        const auto after = std::make_tuple(node.term(), node.commit_index(), node.log().last_index(), node.role(), node.vote());
        if (status.ok()) fail("Bad input: " + f.a + " accepted hostile message variant " + std::to_string(f.value % kHostileVariants));
        if (before != after) fail("Bad input: hostile message variant " + std::to_string(f.value % kHostileVariants) + " changed " + f.a);
        ++result_.hostile_refused;
        return true;
    }

    std::size_t min_members() const { return std::max<std::size_t>(1, (initial_.size() + 1) / 2); }

    bool remove_member(const std::string& x) {
        if (x.empty() || members_.count(x) == 0 || members_.size() <= min_members()) return false;
        members_.erase(x);
        removed_.insert(x);
        for (auto& [address, n] : nodes_)
            if (n.node && address != x) (void)n.node->leave(x);
        return true;
    }

    bool add_back(const std::string& x) {
        if (removed_.count(x) == 0) return false;
        removed_.erase(x);
        members_.insert(x);
        for (auto& [address, n] : nodes_) {
            if (!n.node) continue;
            if (address == x) {
                (void)n.node->join(x);
                for (const auto& member : members_) (void)n.node->join(member);
            } else {
                (void)n.node->join(x);
            }
        }
        return true;
    }

    // A brand-new node joins; if `replacing` is set, that member then leaves.
    void add_new(const std::string& replacing) {
        if (nodes_.size() >= initial_.size() + 4) return;  // a few newcomers per run are enough
        const std::string address = "s" + std::to_string(++spares_);
        members_.insert(address);
        for (auto& [other, n] : nodes_)
            if (n.node) (void)n.node->join(address);
        start_node(address);
        if (!replacing.empty()) remove_member(replacing);
    }

    // ---------------------------------------------------------------- time

    void run_churn() {
        for (auto it = crash_at_.begin(); it != crash_at_.end();) {
            if (now_ < it->second) { ++it; continue; }
            if (nodes_.at(it->first).node) {
                apply_fault(Fault{result_.steps, FaultKind::crash, it->first, "", fault_rng_.next()});
                restart_at_[it->first] = now_ + static_cast<Millis>(fault_rng_.between(50, 600));
            }
            it = crash_at_.erase(it);
        }
        for (auto it = restart_at_.begin(); it != restart_at_.end();) {
            if (now_ < it->second) { ++it; continue; }
            apply_fault(Fault{result_.steps, FaultKind::restart, it->first});
            it = restart_at_.erase(it);
        }
    }

    void step(bool faults) {
        ++result_.steps;
        now_ += kStep;
        if (faults) {
            inject_faults();
            if (!options_.schedule) run_churn();
        }
        for (auto& [address, n] : nodes_) {
            if (n.paused && now_ >= n.paused_until) n.paused = false;
            if (!n.node || n.paused) continue;
            n.node->update(now_);
            process(address);
        }
        deliver_due();
        if (faults) workload_.step(now_, net_rng_, kv_host());
        check_step_invariants();
        if (log_.ok() && result_.steps % 20 == 0) check_log_matching();
    }

    // ---------------------------------------------------------------- the end

    void heal_everything() {
        healing_ = true;
        blocked_.clear();
        for (auto& [address, n] : nodes_) n.paused = false;
        restart_downed();
        shape_.loss = 0;
        shape_.duplicate = 0;
        shape_.long_delay = 0;
        note("faults stop");
    }

    // Once the faults stop, the host restarts what is down (a close() begun
    // before the end finishes after it).
    void restart_downed() {
        for (auto& [address, n] : nodes_)
            if (!n.node) {
                ++restarts_;
                start_node(address);
            }
    }

    // Every node a committed configuration removed must learn of it.
    void check_removals_learned() {
        auto unaware = [&] {
            const std::string l = leader();
            if (l.empty()) return std::string("?");  // wait for a leader first
            const Node& node = *nodes_.at(l).node;
            if (node.log().last_index() > node.commit_index()) return std::string("?");
            for (const auto& x : removed_)
                if (node.membership().contains(x)) return std::string("?");  // not carried out yet
            for (const auto& x : removed_) {
                const Node& gone = *nodes_.at(x).node;
                if (gone.membership().empty()) continue;  // a newcomer removed before it was ever added
                if (!gone.removed()) return x;
            }
            return std::string();
        };
        const Millis deadline = now_ + kRemovalBound;
        while (log_.ok() && now_ < deadline && !unaware().empty()) {
            step(false);
            restart_downed();
        }
        const std::string who = unaware();
        if (who == "?") return;  // no settled leader: the liveness check below reports it
        if (!who.empty()) {
            const Node& x = *nodes_.at(who).node;
            std::string voters;
            for (const auto& v : x.membership().voters) voters += v + ",";
            voters += "/";
            for (const auto& v : x.membership().learners) voters += v + ",";
            note("unaware " + who + ": role " + role_name(x.role()) + " term " + std::to_string(x.term()) + " commit " +
                 std::to_string(x.commit_index()) + " last " + std::to_string(x.log().last_index()) + " members " + voters);
            fail("Removal: " + who + " was removed but never learned of it within " + std::to_string(kRemovalBound) + " ms");
            return;
        }
        result_.removals_learned += removed_.size();
    }

    // After the faults stop and the removed nodes are added back, a leader
    // must commit a new proposal within the bound.
    void liveness() {
        for (const auto& back : std::set<std::string>(removed_)) add_back(back);
        const Millis deadline = now_ + options_.liveness_bound_ms;
        std::optional<std::pair<std::string, Index>> probe;
        while (log_.ok() && now_ < deadline) {
            step(false);
            restart_downed();
            if (!probe) {
                const std::string at = leader();
                if (at.empty()) continue;
                auto proposed = nodes_.at(at).node->propose(encode_command(Command{"liveness|0", KvOp::get, "probe", "", ""}));
                if (proposed.ok()) probe = {at, proposed.value->index};
                process(at);
            } else if (running(probe->first) && nodes_.at(probe->first).node->applied_index() >= probe->second) {
                note("liveness: committed at index " + std::to_string(probe->second));
                return;
            } else if (!running(probe->first) || nodes_.at(probe->first).node->role() != Role::Leader) {
                probe.reset();  // leadership moved: propose again
            }
        }
        describe_nodes();
        if (log_.ok()) fail("Liveness: no proposal committed within " + std::to_string(options_.liveness_bound_ms) + " ms after the faults stopped");
    }

    // ---------------------------------------------------------------- reporting

    // Each node's state and, for a leader, its view of the others: for failure reports.
    void describe_nodes() {
        for (const auto& [address, n] : nodes_) {
            if (!n.node) continue;
            const Node& node = *n.node;
            std::string text = address + ": " + role_name(node.role()) + " term " + std::to_string(node.term()) + " log " +
                               std::to_string(node.log().last_index()) + " commit " + std::to_string(node.commit_index()) +
                               " applied " + std::to_string(node.applied_index()) + " voters";
            for (const auto& v : node.membership().voters) text += " " + v;
            if (!node.membership().learners.empty()) text += " learners";
            for (const auto& v : node.membership().learners) text += " " + v;
            if (node.role() == Role::Leader)
                for (const auto& other : nodes_) {
                    if (const Progress* pr = node.progress_of(other.first))
                        text += " | " + other.first + " match " + std::to_string(pr->match) + " next " + std::to_string(pr->next) +
                                (pr->state == Progress::State::Probe ? " probe" : " replicate") + (pr->probe_sent ? " sent" : "");
                }
            note(text);
        }
    }

    // With --trace: what each node says of itself, between the faults.
    void trace_event(const std::string& address, const Event& event) {
        const Node& node = *nodes_.at(address).node;
        const std::string where = address + " (term " + std::to_string(node.term()) + ", log " +
                                  std::to_string(node.log().last_index()) + ", commit " + std::to_string(node.commit_index()) + "): ";
        if (auto role = std::get_if<RoleChanged>(&event)) note(where + "becomes " + role_name(role->role));
        if (auto joined = std::get_if<MemberJoined>(&event)) note(where + joined->address + (joined->voter ? " joins as voter" : " joins as learner"));
        if (auto left = std::get_if<MemberLeft>(&event)) note(where + left->address + " leaves");
        if (auto restored = std::get_if<SnapshotRestored>(&event)) note(where + "restores a snapshot at " + std::to_string(restored->index));
    }

    void note(const std::string& line) { log_.note(now_, line); }
    void fail(std::string what) { log_.fail(now_, std::move(what)); }

    SimOptions options_;
    Rng shape_rng_;  // the run's shape, drawn once
    Rng net_rng_;    // delays, loss, disk, clients: the world
    Rng fault_rng_;  // faults only, so a schedule can be replayed without them
    RunShape shape_;
    Millis now_ = 0;
    bool healing_ = false;
    std::uint64_t restarts_ = 0;
    std::size_t replay_next_ = 0;
    int spares_ = 0;
    std::map<std::string, Millis> crash_at_;    // churn: planned leader crashes
    std::map<std::string, Millis> restart_at_;  // churn: planned restarts
    std::vector<std::string> initial_;
    std::map<std::string, SimNode> nodes_;
    std::set<std::string> members_;
    std::set<std::string> removed_;
    std::set<std::pair<std::string, std::string>> blocked_;
    testkit::TimedQueue<Packet> network_;
    KvWorkload workload_;
    testkit::RaftSafety safety_;
    RunLog log_;
    SimResult result_;
};

// "Liveness: ..." -> "Liveness": shrinking keeps the same kind of failure.
std::string failure_kind(const std::string& failure) { return failure.substr(0, failure.find(':')); }

}  // namespace

SimResult run_simulation(const SimOptions& options) { return Simulation(options).run(); }

SimResult shrink_failure(const SimOptions& options, const SimResult& failed, int max_runs) {
    const std::string kind = failure_kind(failed.failure);
    std::vector<Fault> best = failed.schedule;
    int runs = 0;
    // Remove chunks of faults, halving the chunk size, while the failure persists.
    for (std::size_t chunk = std::max<std::size_t>(best.size() / 2, 1); chunk >= 1 && runs < max_runs; chunk /= 2) {
        for (std::size_t start = 0; start < best.size() && runs < max_runs;) {
            std::vector<Fault> candidate(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(start));
            candidate.insert(candidate.end(), best.begin() + static_cast<std::ptrdiff_t>(std::min(best.size(), start + chunk)), best.end());
            SimOptions replay = options;
            replay.trace = false;
            replay.schedule = candidate;
            ++runs;
            const SimResult result = run_simulation(replay);
            if (!result.ok && failure_kind(result.failure) == kind) {
                best = result.schedule;  // what really applied
            } else {
                start += chunk;
            }
        }
        if (chunk == 1) break;
    }
    SimOptions replay = options;
    replay.trace = true;
    replay.schedule = best;
    SimResult shortest = run_simulation(replay);
    if (shortest.ok) return failed;  // should not happen: the run is deterministic
    return shortest;
}

}  // namespace rtcmesh::sim

// The simulator's world: nodes and their hosts (a disk that takes time, the
// Ready contract), the network, time, and the end of a run.
#include "sim/simulator.hpp"

#include <algorithm>

#include "kit/ready_loop.hpp"
#include "sim/hostile_messages.hpp"
#include "sim/simulation.hpp"

namespace rtcmesh::sim {

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

namespace {

const char* kind_name(FaultKind kind) {
    static constexpr const char* names[] = {"isolate", "cut", "heal", "crash", "restart", "pause", "wake-all",
                                            "remove", "add-back", "add-new", "transfer", "close", "hostile"};
    return names[static_cast<int>(kind)];
}

// "Liveness: ..." -> "Liveness": shrinking keeps the same kind of failure.
std::string failure_kind(const std::string& failure) { return failure.substr(0, failure.find(':')); }

}  // namespace

std::string Fault::describe() const {
    std::string text = std::string(kind_name(kind));
    if (!a.empty()) text += " " + a;
    if (kind == FaultKind::cut || kind == FaultKind::transfer) text += " -> " + b;
    if (kind == FaultKind::hostile) text += " (variant " + std::to_string(value % kHostileVariants) + ", as " + b + ")";
    if (kind == FaultKind::add_new && !b.empty()) text += " replacing " + b;
    return text;
}

SimResult Simulation::run() {
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

Config Simulation::config_for(const std::string& address) {
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

void Simulation::start_node(const std::string& address) {
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

bool Simulation::running(const std::string& address) const {
    auto it = nodes_.find(address);
    return it != nodes_.end() && it->second.node && !it->second.paused;
}

std::vector<std::string> Simulation::live_nodes() const {
    std::vector<std::string> out;
    for (const auto& [address, n] : nodes_)
        if (running(address)) out.push_back(address);
    return out;
}

std::string Simulation::leader() const {
    for (const auto& [address, n] : nodes_)
        if (running(address) && n.node->role() == Role::Leader) return address;
    return {};
}

void Simulation::process(const std::string& address) {
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

Millis Simulation::disk_latency() {
    return shape_.max_write_ms == 0 ? 0 : static_cast<Millis>(net_rng_.between(0, static_cast<std::uint64_t>(shape_.max_write_ms)));
}

void Simulation::complete_write(const std::string& address, SimNode& n) {
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

bool Simulation::crashes_after_old_term_commit(const SimNode& n, const Ready& ready) const {
    if (!shape_.crash_on_commit || !faults_on() || options_.schedule || n.node->role() != Role::Leader) return false;
    return !ready.committed_entries.empty() && ready.committed_entries.back().term < n.node->term();
}

void Simulation::crash(const std::string& address, std::uint64_t tear) {
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

void Simulation::maybe_compact(SimNode& n) {
    if (shape_.compact_chance == 0 || !net_rng_.chance(shape_.compact_chance)) return;
    const Index applied = n.node->applied_index();
    if (applied < n.node->log().snapshot_index() + 8) return;
    auto snapshot = n.node->compact(applied, encode_kv(n.kv));
    if (snapshot.ok()) n.storage.save_snapshot(*snapshot.value);
}

void Simulation::send(const std::string& from, OutgoingMessage message) {
    if (blocked_.count({from, message.to}) > 0 || net_rng_.chance(shape_.loss)) return;
    const int copies = net_rng_.chance(shape_.duplicate) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
        Millis delay = static_cast<Millis>(net_rng_.between(1, static_cast<std::uint64_t>(shape_.max_delay)));
        if (net_rng_.chance(shape_.long_delay)) delay = static_cast<Millis>(net_rng_.between(300, 2000));
        network_.push(now_ + delay, Packet{from, message.to, message.bytes});
    }
}

void Simulation::deliver_due() {
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

KvHost Simulation::kv_host() {
    return KvHost{
        [this](const std::string& a) { return running(a) ? nodes_.at(a).node.get() : nullptr; },
        [this](const std::string& a) { return nodes_.count(a) ? &nodes_.at(a).kv : nullptr; },
        [this] { return live_nodes(); },
        [this] { return leader(); },
        [this](const std::string& a) { process(a); },
    };
}

void Simulation::step(bool faults) {
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

void Simulation::heal_everything() {
    healing_ = true;
    blocked_.clear();
    for (auto& [address, n] : nodes_) n.paused = false;
    restart_downed();
    shape_.loss = 0;
    shape_.duplicate = 0;
    shape_.long_delay = 0;
    note("faults stop");
}

void Simulation::restart_downed() {
    for (auto& [address, n] : nodes_)
        if (!n.node) {
            ++restarts_;
            start_node(address);
        }
}

void Simulation::liveness() {
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

// What the simulator checks (Raft's safety properties through
// kit/raft_safety.hpp, removals learned, the KV history's linearizability),
// and how it reports a failure.
#include "sim/simulation.hpp"

namespace rtcmesh::sim {

void Simulation::apply(const std::string& address, SimNode& n, const Entry& entry) {
    if (std::string broken = safety_.on_applied(address, entry); !broken.empty()) return fail(std::move(broken));
    if (entry.type != EntryType::Normal) return;
    const auto command = decode_command(entry.data);
    if (!command) return;
    const std::string output = apply_command(*command, n.kv);
    workload_.on_applied(address, *command, output, now_);
}

void Simulation::observe(const std::string& address, const Event& event) {
    if (options_.trace) trace_event(address, event);
    workload_.on_event(address, event);
}

std::vector<testkit::RaftSafety::View> Simulation::views() const {
    std::vector<testkit::RaftSafety::View> out;
    for (const auto& [address, n] : nodes_)
        if (n.node) out.push_back({address, *n.node, n.storage.state().hard_state.term});
    return out;
}

void Simulation::check_step_invariants() {
    std::string broken = safety_.after_step(views(), [&](const std::string& address, Term term) {
        note(address + " leads term " + std::to_string(term));
        if (shape_.churn_leaders && faults_on() && fault_rng_.chance(0.5))
            crash_at_[address] = now_ + static_cast<Millis>(fault_rng_.between(0, 80));
    });
    if (!broken.empty()) fail(std::move(broken));
}

void Simulation::check_log_matching() {
    if (std::string broken = testkit::RaftSafety::log_matching(views()); !broken.empty()) fail(std::move(broken));
}

void Simulation::check_history() {
    const auto verdict = workload_.check();
    result_.linearizability_states = verdict.states;
    result_.linearizability_undecided = verdict.undecided;
    if (!verdict.ok) fail("Linearizability: the history of key '" + verdict.key + "' cannot be linearized");
}

void Simulation::check_removals_learned() {
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

void Simulation::describe_nodes() {
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

void Simulation::trace_event(const std::string& address, const Event& event) {
    const Node& node = *nodes_.at(address).node;
    const std::string where = address + " (term " + std::to_string(node.term()) + ", log " +
                              std::to_string(node.log().last_index()) + ", commit " + std::to_string(node.commit_index()) + "): ";
    if (auto role = std::get_if<RoleChanged>(&event)) note(where + "becomes " + role_name(role->role));
    if (auto joined = std::get_if<MemberJoined>(&event)) note(where + joined->address + (joined->voter ? " joins as voter" : " joins as learner"));
    if (auto left = std::get_if<MemberLeft>(&event)) note(where + left->address + " leaves");
    if (auto restored = std::get_if<SnapshotRestored>(&event)) note(where + "restores a snapshot at " + std::to_string(restored->index));
}

}  // namespace rtcmesh::sim

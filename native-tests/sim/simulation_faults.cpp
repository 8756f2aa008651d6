// The simulator's faults: drawn from their own random stream (or replayed
// from a schedule), applied, and recorded; membership changes among them.
#include "sim/hostile_messages.hpp"
#include "sim/simulation.hpp"

namespace rtcmesh::sim {

std::string Simulation::pick(const std::vector<std::string>& from) {
    return from.empty() ? std::string() : from[fault_rng_.between(0, from.size() - 1)];
}

void Simulation::inject_faults() {
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

void Simulation::record(const Fault& f) {
    result_.schedule.push_back(f);
    note(f.describe());
}

void Simulation::apply_fault(const Fault& f) {
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

bool Simulation::send_hostile(const Fault& f) {
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

bool Simulation::remove_member(const std::string& x) {
    if (x.empty() || members_.count(x) == 0 || members_.size() <= min_members()) return false;
    members_.erase(x);
    removed_.insert(x);
    for (auto& [address, n] : nodes_)
        if (n.node && address != x) (void)n.node->leave(x);
    return true;
}

bool Simulation::add_back(const std::string& x) {
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

void Simulation::add_new(const std::string& replacing) {
    if (nodes_.size() >= initial_.size() + 4) return;  // a few newcomers per run are enough
    const std::string address = "s" + std::to_string(++spares_);
    members_.insert(address);
    for (auto& [other, n] : nodes_)
        if (n.node) (void)n.node->join(address);
    start_node(address);
    if (!replacing.empty()) remove_member(replacing);
}

void Simulation::run_churn() {
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

}  // namespace rtcmesh::sim

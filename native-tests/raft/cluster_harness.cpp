#include "cluster_harness.hpp"

#include <algorithm>
#include <stdexcept>

#include "kit/ready_loop.hpp"

namespace rtcmesh::raft::testing {

std::string to_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

Cluster::Cluster(int size, std::uint64_t seed, std::function<void(Config&)> configure)
    : seed_(seed), configure_(std::move(configure)) {
    std::vector<std::string> members;
    for (int i = 1; i <= size; ++i) members.push_back("n" + std::to_string(i));
    for (const auto& address : members) {
        Config config;
        config.address = address;
        config.initial_members = members;
        config.seed = seed_ * 1000 + members.size() + static_cast<std::uint64_t>(records_.size());
        if (configure_) configure_(config);
        start(config);
    }
}

Node& Cluster::start(Config config, bool keep_storage) {
    const std::string address = config.address;
    configs_[address] = config;
    NodeRecord& record = records_[address];
    if (!keep_storage) record = NodeRecord{};
    record.node = std::make_unique<Node>(config, record.storage.load());
    record.node->inject_test_faults(faults_);
    record.node->update(now_);
    return *record.node;
}

void Cluster::inject_test_faults(const TestFaults& faults) {
    faults_ = faults;
    faults_injected_ = true;
    for (auto& [address, record] : records_)
        if (record.node) record.node->inject_test_faults(faults);
}

std::vector<std::string> Cluster::addresses() const {
    std::vector<std::string> out;
    for (const auto& [address, record] : records_)
        if (record.node) out.push_back(address);
    return out;
}

void Cluster::crash(const std::string& address) { records_.at(address).node.reset(); }

Node& Cluster::restart(const std::string& address) {
    Config config = configs_.at(address);
    config.seed += 7919;  // a restarted process draws new timeouts
    return start(config, true);
}

void Cluster::isolate(const std::string& address) { isolated_.insert(address); }

void Cluster::heal() {
    isolated_.clear();
    cut_.clear();
}

void Cluster::cut(const std::string& a, const std::string& b) { cut_.insert({a, b}); }

bool Cluster::blocked(const std::string& from, const std::string& to) const {
    return isolated_.count(from) > 0 || isolated_.count(to) > 0 || cut_.count({from, to}) > 0;
}

void Cluster::process_ready(const std::string& address) {
    NodeRecord& record = records_.at(address);
    if (!record.node) return;
    testkit::drain_ready(
        *record.node, 100,
        [&](const Ready& ready) {
            ready.persist_to(record.storage);
            if (ready.snapshot) record.loaded = ready.snapshot;
        },
        [&](OutgoingMessage message) { route(address, std::move(message)); },
        [&](const Entry& entry) {
            record.applied.push_back(entry);
            on_violation(safety_.on_applied(address, entry));
        },
        [&](const Event& event) { record.events.push_back(event); });
}

void Cluster::route(const std::string& from, OutgoingMessage message) {
    Envelope envelope{from, message.to, std::move(message.bytes), {}};
    auto decoded = decode(envelope.bytes);
    if (!decoded.ok()) throw std::logic_error("the core sent an undecodable message: " + decoded.error);
    envelope.decoded = *decoded.value;
    if (blocked(from, envelope.to) || (drop && drop(envelope))) return;
    in_flight_.push_back(std::move(envelope));
}

void Cluster::deliver(const Envelope& envelope) {
    auto it = records_.find(envelope.to);
    if (it == records_.end() || !it->second.node) return;
    if (stalled_until_.count(envelope.to) > 0) return waiting_[envelope.to].push_back(envelope);
    (void)it->second.node->receive(envelope.from, envelope.bytes);
    process_ready(envelope.to);
}

void Cluster::deliver_all() {
    for (int i = 0; i < 100000 && !in_flight_.empty(); ++i) {
        Envelope envelope = std::move(in_flight_.front());
        in_flight_.pop_front();
        if (blocked(envelope.from, envelope.to)) continue;
        deliver(envelope);
    }
}

void Cluster::settle() {
    for (int round = 0; round < 1000; ++round) {
        for (const auto& address : addresses()) process_ready(address);
        if (hold || in_flight_.empty()) break;
        deliver_all();
    }
    check_safety();
}

void Cluster::check_safety() {
    std::vector<testkit::RaftSafety::View> views;
    for (const auto& [address, record] : records_)
        if (record.node) views.push_back({address, *record.node, record.storage.state().hard_state.term});
    on_violation(safety_.after_step(views));
    on_violation(testkit::RaftSafety::log_matching(views));
}

void Cluster::on_violation(std::string what) {
    if (what.empty() || !violation_.empty()) return;
    violation_ = std::move(what);
    if (!faults_injected_) throw std::logic_error("Raft safety broken: " + violation_);
}

void Cluster::run_for(Millis ms, Millis step) {
    const Millis end = now_ + ms;
    while (now_ < end) {
        now_ = std::min(end, now_ + step);
        for (const auto& address : addresses()) update(address);
        settle();
    }
}

void Cluster::update(const std::string& address) {
    const auto stall = stalled_until_.find(address);
    if (stall == stalled_until_.end()) return records_.at(address).node->update(now_);
    if (now_ < stall->second) return;
    stalled_until_.erase(stall);
    records_.at(address).node->update(now_);
    process_ready(address);
    auto waited = std::move(waiting_[address]);
    waiting_.erase(address);
    for (const auto& envelope : waited) deliver(envelope);
}

bool Cluster::run_until(const std::function<bool()>& done, Millis max_ms, Millis step) {
    settle();
    for (Millis waited = 0; waited <= max_ms; waited += step) {
        if (done()) return true;
        run_for(step, step);
    }
    return done();
}

std::string Cluster::elect(Millis max_ms) {
    if (!run_until([&] { return leaders().size() == 1; }, max_ms)) return {};
    run_for(100);
    return leaders().size() == 1 ? leaders().front() : std::string();
}

std::vector<std::string> Cluster::others(const std::string& address) const {
    std::vector<std::string> out;
    for (const auto& candidate : addresses())
        if (candidate != address) out.push_back(candidate);
    return out;
}

std::vector<std::string> Cluster::leaders() const {
    std::vector<std::string> out;
    for (const auto& [address, record] : records_)
        if (record.node && record.node->role() == Role::Leader) out.push_back(address);
    return out;
}

std::string Cluster::leader_of_highest_term() const {
    std::string best;
    Term term = 0;
    for (const auto& [address, record] : records_) {
        if (record.node && record.node->role() == Role::Leader && record.node->term() >= term) {
            best = address;
            term = record.node->term();
        }
    }
    return best;
}

std::vector<std::string> Cluster::applied_data(const std::string& address) const {
    std::vector<std::string> out;
    for (const auto& entry : records_.at(address).applied)
        if (entry.type == EntryType::Normal) out.push_back(to_text(entry.data));
    return out;
}

}  // namespace rtcmesh::raft::testing

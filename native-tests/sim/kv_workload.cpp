#include "sim/kv_workload.hpp"

namespace rtcmesh::sim {

using namespace rtcmesh::raft;

namespace {
constexpr Millis kClientTimeout = 1500;  // a client gives up on an answer after this
}

KvWorkload::KvWorkload(int clients, int keys, double read_index_chance) : keys_(keys), read_index_chance_(read_index_chance) {
    for (int c = 0; c < clients; ++c) clients_.push_back(Client{c});
}

// The client hears back when the node it asked applies its command; a
// command that never applies there leaves the op without a return.
void KvWorkload::on_applied(const std::string& node, const Command& command, const std::string& output, Millis now) {
    for (auto& client : clients_) {
        if (!client.pending || client.read_id || client.at_node != node || client.command_id != command.id) continue;
        KvOperation& op = history_[*client.pending];
        op.ret = now;
        op.output = output;
        ++completed_;
        end(client);
    }
}

void KvWorkload::on_event(const std::string& node, const Event& event) {
    if (auto ready = std::get_if<ReadReady>(&event)) {
        for (auto& client : clients_)
            if (client.read_id == ready->request_id && client.at_node == node) client.read_index = ready->read_index;
    } else if (auto refused = std::get_if<SubmitFailed>(&event)) {
        for (auto& client : clients_)
            if (client.pending && !client.read_id && client.request_id == refused->request_id && client.at_node == node)
                end(client);  // it may or may not have been appended: no return
    } else if (auto failed = std::get_if<ReadFailed>(&event)) {
        for (auto& client : clients_) {
            if (client.read_id != failed->request_id || client.at_node != node) continue;
            lost_.insert(*client.pending);  // refused: the read never happened
            end(client);
        }
    }
}

void KvWorkload::step(Millis now, Rng& rng, const KvHost& host) {
    for (auto& client : clients_) {
        if (client.pending && client.read_index) {
            const Node* node = host.node(client.at_node);
            if (node != nullptr && node->applied_index() >= *client.read_index) answer_read(client, *host.state(client.at_node), now);
        }
        if (client.pending && now > client.deadline) end(client);  // no answer: the op stays with no return
        if (client.pending || !rng.chance(0.2)) continue;
        invoke(client, now, rng, host);
    }
}

void KvWorkload::answer_read(Client& client, const KvState& kv, Millis now) {
    auto it = kv.find(client.read_key);
    KvOperation& op = history_[*client.pending];
    op.ret = now;
    op.output = it == kv.end() ? "" : it->second;
    ++completed_;
    ++reads_by_index_;
    end(client);
}

void KvWorkload::end(Client& client) {
    client.pending.reset();
    client.read_id.reset();
    client.read_index.reset();
}

// Operations enter at the leader or at any other live node.
void KvWorkload::invoke(Client& client, Millis now, Rng& rng, const KvHost& host) {
    std::string at = host.leader();
    const auto live = host.live();
    if (rng.chance(0.5) && !live.empty()) at = live[rng.between(0, live.size() - 1)];
    Node* node = at.empty() ? nullptr : host.node(at);
    if (node == nullptr) return;
    Command c;
    c.id = std::to_string(client.id) + "|" + std::to_string(++client.seq);
    c.op = static_cast<KvOp>(rng.between(0, 2));
    c.key = "k" + std::to_string(rng.between(0, static_cast<std::uint64_t>(keys_ - 1)));
    c.value = "v" + std::to_string(rng.between(0, 9));
    c.expected = "v" + std::to_string(rng.between(0, 9));
    const bool by_read_index = c.op == KvOp::get && rng.chance(read_index_chance_);
    const std::uint64_t id = ++next_request_;
    if (by_read_index) {
        if (!node->read(id).ok()) return;  // refused outright: it never happened
        client.read_id = id;
        client.read_key = c.key;
    } else {
        if (!node->submit(id, encode_command(c)).ok()) return;
        client.request_id = id;
        client.command_id = c.id;
    }
    history_.push_back(KvOperation{client.id, c.op, c.key, c.op == KvOp::get ? "" : c.value, c.op == KvOp::cas ? c.expected : "", now,
                                   std::nullopt, ""});
    ++operations_;
    client.pending = history_.size() - 1;
    client.at_node = at;
    client.deadline = now + kClientTimeout;
    host.process(at);
}

LinearizabilityResult KvWorkload::check() const {
    std::vector<KvOperation> kept;
    for (std::size_t i = 0; i < history_.size(); ++i)
        if (lost_.count(i) == 0) kept.push_back(history_[i]);
    return check_linearizable(kept);
}

}  // namespace rtcmesh::sim

// Native Raft throughput: committed entries per second for an in-process
// cluster on a perfect network, 100-byte entries, proposals in batches so the
// leader's batching and pipelining carry them. Every node persists to a
// MemoryStorage and applies, as the host contract says, and compacts its log
// every 100,000 entries as a long-running host would.
//
//   raft-bench [nodes=3] [entries=2000000] [batch=1000]
// prints one JSON line: {"nodes":3,"entries":...,"seconds":...,"entries_per_second":...}
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/raft/node.hpp"
#include "kit/ready_loop.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;

namespace {

constexpr Index kCompactEvery = 100000;
constexpr int kMaxReadyRounds = 1 << 20;  // per drain: more means the core never settles

struct Member {
    std::unique_ptr<Node> node;
    MemoryStorage storage;
    std::uint64_t applied = 0;
};

struct Envelope {
    std::string from;
    std::string to;
    Bytes bytes;
};

class Bench {
public:
    explicit Bench(int size) {
        std::vector<std::string> addresses;
        for (int i = 1; i <= size; ++i) addresses.push_back("n" + std::to_string(i));
        for (const auto& address : addresses) {
            Config config;
            config.address = address;
            config.initial_members = addresses;
            config.seed = members_.size() + 1;
            config.max_entries_per_message = 4096;
            config.max_bytes_per_message = 1 << 20;
            members_[address].node = std::make_unique<Node>(config);
        }
    }

    std::string elect() {
        for (Millis now = 0; now < 10000; now += 10) {
            for (auto& [address, m] : members_) m.node->update(now);
            drain();
            for (auto& [address, m] : members_)
                if (m.node->role() == Role::Leader) return address;
        }
        return {};
    }

    // Cleans out the leader's bootstrap entries so only proposals are counted.
    void reset_counts() {
        for (auto& [address, m] : members_) m.applied = 0;
    }

    void drain() {
        for (int rounds = 0; rounds < 1000000; ++rounds) {
            for (auto& [address, m] : members_) process(address, m);
            if (queue_.empty()) return;
            while (!queue_.empty()) {
                Envelope e = std::move(queue_.front());
                queue_.pop_front();
                (void)members_[e.to].node->receive(e.from, e.bytes);
            }
        }
    }

    Member& member(const std::string& address) { return members_[address]; }

    std::uint64_t min_applied() const {
        std::uint64_t least = UINT64_MAX;
        for (const auto& [address, m] : members_) least = std::min(least, m.applied);
        return least;
    }

private:
    void process(const std::string& address, Member& m) {
        const bool settled = testkit::drain_ready(
            *m.node, kMaxReadyRounds, [&](const Ready& ready) { ready.persist_to(m.storage); },
            [&](OutgoingMessage message) { queue_.push_back({address, message.to, std::move(message.bytes)}); },
            [&](const Entry& entry) { m.applied += entry.type == EntryType::Normal ? 1 : 0; }, testkit::ignore);
        if (!settled) {
            std::fprintf(stderr, "raft-bench: %s still has a Ready after %d rounds: it never settles\n", address.c_str(), kMaxReadyRounds);
            std::exit(1);
        }
        // A long-running host compacts: keeps memory (and page faults) bounded.
        if (m.node->applied_index() - m.node->log().snapshot_index() >= kCompactEvery) {
            auto snapshot = m.node->compact(m.node->applied_index(), {});
            if (snapshot.ok()) m.storage.save_snapshot(*snapshot.value);
        }
    }

    std::map<std::string, Member> members_;
    std::deque<Envelope> queue_;
};

}  // namespace

int main(int argc, char** argv) {
    const int nodes = argc > 1 ? std::atoi(argv[1]) : 3;
    const std::uint64_t entries = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000000;
    const std::uint64_t batch = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
    Bench bench(nodes);
    const std::string leader = bench.elect();
    if (leader.empty()) {
        std::fprintf(stderr, "raft-bench: no leader elected\n");
        return 1;
    }
    bench.reset_counts();
    const Bytes payload(100, 0x5a);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t proposed = 0;
    while (proposed < entries) {
        for (std::uint64_t i = 0; i < batch && proposed < entries; ++i, ++proposed) {
            if (!bench.member(leader).node->propose(payload).ok()) {
                std::fprintf(stderr, "raft-bench: propose failed\n");
                return 1;
            }
        }
        bench.drain();
    }
    bench.drain();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::uint64_t committed = bench.min_applied();
    std::printf("{\"nodes\":%d,\"entries\":%llu,\"seconds\":%.3f,\"entries_per_second\":%.0f}\n", nodes,
                static_cast<unsigned long long>(committed), seconds, static_cast<double>(committed) / seconds);
    return committed == entries ? 0 : 1;
}

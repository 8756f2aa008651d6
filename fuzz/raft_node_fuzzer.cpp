// Stateful: one Raft node among three fed an arbitrary mix of plausible and
// hostile messages (through the wire codec, with numbers that are sometimes
// extreme: 2^53 - 1, 2^53, 2^63, 2^64 - 1), ticks, proposals (local and
// forwarded), membership calls, reads, transfers and compactions. Checks the
// node's own invariants after every input: its term never goes back nor past
// 2^53 - 1, commit never goes back or past its log, applied never passes
// commit, and committed entries never change.
#include <cstdlib>
#include <map>

#include "core/raft/node.hpp"
#include "kit/ready_loop.hpp"
#include "fuzz_input.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;

namespace {

const char* const kPeers[] = {"n2", "n3", "n4"};
// A node whose Readys do not run out within this many is stuck: a finding.
constexpr int kMaxReadyRounds = 1000;

// Mostly near `near`, sometimes one of the numbers that wrap or overflow.
std::uint64_t number(fuzz::FuzzInput& in, std::uint64_t near, std::uint32_t spread) {
    constexpr std::uint64_t kExtremes[] = {kMaxWireNumber, kMaxWireNumber + 1, std::uint64_t{1} << 63, ~std::uint64_t{0}};
    if (in.below(16) == 0) return kExtremes[in.below(4)];
    return near + in.below(spread);
}

Message plausible_message(fuzz::FuzzInput& in, const Node& node) {
    Message m;
    m.type = static_cast<MessageType>(1 + in.below(15));
    m.from = kPeers[in.below(3)];
    m.to = "n1";
    m.term = number(in, node.term() - (node.term() > 0 ? in.below(2) : 0), 3);
    m.log_term = number(in, 0, static_cast<std::uint32_t>(node.term() % 1000) + 2);
    m.index = number(in, 0, static_cast<std::uint32_t>(node.log().last_index() % 100000) + 3);
    m.commit = number(in, 0, static_cast<std::uint32_t>(node.log().last_index() % 100000) + 3);
    m.request = in.below(8);
    if (m.type == MessageType::ForwardPropose) m.payload = in.bytes(8);
    m.reject = in.below(2) == 1;
    m.transfer = in.below(4) == 0;
    m.keeper = in.below(4) == 0;  // a keeper asks for the lead; the node may hand it over or demote
    m.hint_index = in.below(8);
    m.hint_term = in.below(4);
    m.read_seq = in.below(4);
    Index next = m.index + 1;
    for (std::uint32_t i = in.below(4); i > 0; --i) {
        Entry e{m.log_term + in.below(2), next++, static_cast<EntryType>(in.below(2) ? 0 : 1), in.bytes(8)};
        m.entries.push_back(std::move(e));
    }
    if (m.type == MessageType::InstallSnapshot) {
        m.snapshot = Snapshot{number(in, 0, 10), in.below(4), Membership{{"n1", "n2", "n3"}, {}}, in.bytes(8)};
    }
    return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    Config config;
    config.address = "n1";
    config.initial_members = {"n1", "n2", "n3"};
    config.seed = in.u32();
    config.keeper = in.below(4) == 0;  // the keeper's demotions and hand-offs, under hostile input too
    Node node(config);
    for (const char* peer : kPeers) (void)node.join(peer);
    Millis now = 0;
    Term last_term = 0;
    Index last_commit = 0;
    std::map<Index, Entry> committed;  // what was handed out to apply: must never change
    for (int steps = 0; steps < 300 && !in.empty(); ++steps) {
        switch (in.below(8)) {
            case 0: (void)node.receive(kPeers[in.below(3)], in.bytes(64)); break;
            case 1:
            case 2: {  // through the codec, as from the network
                const Message m = plausible_message(in, node);
                (void)node.receive(m.from, encode(m));
                break;
            }
            case 3: node.update(now += in.below(400)); break;
            case 4: (void)(in.below(2) ? node.propose(in.bytes(16)).ok() : node.submit(in.u32(), in.bytes(16)).ok()); break;
            case 5: (void)(in.below(2) ? node.join(kPeers[in.below(3)]) : node.leave(kPeers[in.below(3)])); break;
            case 6:
                switch (in.below(3)) {
                    case 0: (void)node.read_index(in.u32()); break;
                    case 1: (void)node.read(in.u32()); break;
                    default: (void)node.transfer_leadership(kPeers[in.below(3)]); break;
                }
                break;
            default: (void)node.compact(node.applied_index(), in.bytes(8)); break;
        }
        // No storage, and what it sends goes nowhere: only what it commits is checked.
        const bool settled = testkit::drain_ready(node, kMaxReadyRounds, testkit::ignore, testkit::ignore,
                                                  [&](const Entry& entry) {
                                                      auto [it, fresh] = committed.emplace(entry.index, entry);
                                                      if (!fresh && !(it->second == entry)) std::abort();  // a committed entry changed
                                                  },
                                                  testkit::ignore);
        if (!settled) std::abort();  // a Ready after every other: the node never settles
        if (node.term() < last_term || node.term() > kMaxWireNumber) std::abort();
        if (node.commit_index() < last_commit || node.commit_index() > node.log().last_index()) std::abort();
        if (node.applied_index() > node.commit_index()) std::abort();
        last_term = node.term();
        last_commit = node.commit_index();
    }
    return 0;
}

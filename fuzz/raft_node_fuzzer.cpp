// Stateful: one Raft node among three fed an arbitrary mix of plausible and
// hostile messages, ticks, proposals, membership calls, reads, transfers and
// compactions. Checks the node's own invariants after every input: its term
// never goes back, commit never goes back or past its log, applied never
// passes commit, and committed entries never change.
#include <cstdlib>
#include <map>

#include "core/raft/node.hpp"
#include "fuzz_input.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;

namespace {

const char* const kPeers[] = {"n2", "n3", "n4"};

Message plausible_message(fuzz::FuzzInput& in, const Node& node) {
    Message m;
    m.type = static_cast<MessageType>(1 + in.below(10));
    m.from = kPeers[in.below(3)];
    m.to = "n1";
    m.term = node.term() + in.below(3) - (node.term() > 0 ? in.below(2) : 0);
    m.log_term = in.below(static_cast<std::uint32_t>(node.term()) + 2);
    m.index = in.below(static_cast<std::uint32_t>(node.log().last_index()) + 3);
    m.commit = in.below(static_cast<std::uint32_t>(node.log().last_index()) + 3);
    m.reject = in.below(2) == 1;
    m.transfer = in.below(4) == 0;
    m.hint_index = in.below(8);
    m.hint_term = in.below(4);
    m.read_seq = in.below(4);
    Index next = m.index + 1;
    for (std::uint32_t i = in.below(4); i > 0; --i) {
        Entry e{m.log_term + in.below(2), next++, static_cast<EntryType>(in.below(2) ? 0 : 1), in.bytes(8)};
        m.entries.push_back(std::move(e));
    }
    if (m.type == MessageType::InstallSnapshot) {
        m.snapshot = Snapshot{in.below(10), in.below(4), Membership{{"n1", "n2", "n3"}, {}}, in.bytes(8)};
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
            case 2: (void)node.step(plausible_message(in, node)); break;
            case 3: node.update(now += in.below(400)); break;
            case 4: (void)node.propose(in.bytes(16)); break;
            case 5: (void)(in.below(2) ? node.join(kPeers[in.below(3)]) : node.leave(kPeers[in.below(3)])); break;
            case 6: (void)(in.below(2) ? node.read_index(in.u32()) : node.transfer_leadership(kPeers[in.below(3)])); break;
            default: (void)node.compact(node.applied_index(), in.bytes(8)); break;
        }
        while (node.has_ready()) {
            Ready ready = node.take_ready();
            for (const auto& entry : ready.committed_entries) {
                auto [it, fresh] = committed.emplace(entry.index, entry);
                if (!fresh && !(it->second == entry)) std::abort();  // a committed entry changed
            }
            node.advance();
        }
        if (node.term() < last_term) std::abort();
        if (node.commit_index() < last_commit || node.commit_index() > node.log().last_index()) std::abort();
        if (node.applied_index() > node.commit_index()) std::abort();
        last_term = node.term();
        last_commit = node.commit_index();
    }
    return 0;
}

// Persisted Raft state read back at start (what IndexedDB hands the core):
// any hard state, snapshot and entries, consistent or not, must give a node
// that runs, with commit <= last index and applied <= commit.
#include <cstdlib>

#include "core/raft/node.hpp"
#include "fuzz_input.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;

namespace {

void check(const Node& node) {
    if (node.commit_index() > node.log().last_index()) std::abort();
    if (node.applied_index() > node.commit_index()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    PersistentState state;
    state.hard_state.term = in.below(8);
    state.hard_state.vote = in.below(2) ? "n" + std::to_string(in.below(4)) : "";
    state.hard_state.commit = in.below(40);
    if (in.below(3) == 0) {
        Snapshot snapshot;
        snapshot.index = in.below(20);
        snapshot.term = in.below(8);
        for (std::uint32_t i = in.below(4); i > 0; --i) snapshot.membership.add_voter("n" + std::to_string(in.below(5)));
        snapshot.data = in.bytes(16);
        state.snapshot = snapshot;
    }
    Index index = in.below(25);
    for (std::uint32_t i = in.below(30); i > 0; --i) {
        Entry entry;
        entry.index = in.below(8) == 0 ? in.below(40) : ++index;  // mostly consecutive, sometimes not
        entry.term = in.below(8);
        entry.type = static_cast<EntryType>(in.below(3));
        entry.data = in.bytes(24);
        state.entries.push_back(std::move(entry));
    }
    Config config;
    config.address = "n1";
    config.seed = in.u32();
    if (in.below(2)) config.initial_members = {"n1", "n2", "n3"};
    Node node(config, state);
    check(node);
    for (Millis now = 0; now < 3000; now += 37) {
        node.update(now);
        if (node.role() == Role::Leader) (void)node.propose(Bytes{1, 2, 3});
        while (node.has_ready()) {
            (void)node.take_ready();
            node.advance();
        }
        check(node);
    }
    return 0;
}

// The versioned wire codec: round trips, and hostile bytes refused with a
// reason, never a crash or a changed node.
#include <catch2/catch.hpp>

#include "cluster_harness.hpp"
#include "core/common/rng.hpp"
#include "core/raft/ready_codec.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using namespace rtcmesh::raft::testing;

namespace {

Message full_append() {
    Message m{.type = MessageType::Append, .from = "node-a", .to = "node-b", .term = 7, .log_term = 6, .index = 41, .commit = 40};
    m.entries.push_back(Entry{6, 42, EntryType::Normal, to_bytes("hello")});
    m.entries.push_back(Entry{7, 43, EntryType::NoOp, {}});
    m.entries.push_back(Entry{7, 44, EntryType::Config, encode_membership(Membership{{"a", "b"}, {"c"}})});
    return m;
}

}  // namespace

TEST_CASE("every message type round-trips through the codec", "[raft][codec]") {
    std::vector<Message> messages{full_append()};
    for (std::uint8_t t = 1; t <= 15; ++t) {
        Message m{.type = static_cast<MessageType>(t), .from = "x", .to = "y", .term = 3, .log_term = 2, .index = 9,
                  .commit = 8, .reject = t % 2 == 0, .transfer = t == 3, .hint_index = 5, .hint_term = 1, .read_seq = 77};
        if (m.type == MessageType::InstallSnapshot) m.snapshot = Snapshot{12, 3, Membership{{"x", "y"}, {}}, to_bytes("image")};
        messages.push_back(m);
    }
    for (const auto& m : messages) {
        const auto decoded = decode(encode(m));
        REQUIRE(decoded.ok());
        const Message& d = *decoded.value;
        CHECK(d.type == m.type);
        CHECK(d.from == m.from);
        CHECK(d.to == m.to);
        CHECK(d.term == m.term);
        CHECK(d.index == m.index);
        CHECK(d.entries == m.entries);
        CHECK(d.snapshot == m.snapshot);
        CHECK(encode(d) == encode(m));
    }
}

TEST_CASE("an Append encoded from a view of the log is the Append with its entries copied", "[raft][codec]") {
    const Message copied = full_append();
    RaftLog log;
    log.reset_to_snapshot(41, 6);
    for (const Entry& e : copied.entries) log.append(e);
    Message bare = copied;
    bare.entries.clear();
    const auto view = log.view(42, SIZE_MAX, SIZE_MAX);
    REQUIRE(view.size() == 3);
    CHECK(encode(bare, view) == encode(copied));
    // The bounds are slice()'s: at least one entry, then count and bytes.
    CHECK(log.view(42, 2, SIZE_MAX).size() == 2);
    CHECK(log.view(42, SIZE_MAX, 0).size() == 1);
    CHECK(log.view(43, SIZE_MAX, SIZE_MAX).front().index == 43);
    CHECK(log.view(45, SIZE_MAX, SIZE_MAX).empty());
    CHECK(log.view(41, SIZE_MAX, SIZE_MAX).empty());
}

TEST_CASE("truncated, extended, wrong-version and random bytes are refused with a reason", "[raft][codec]") {
    const Bytes good = encode(full_append());
    for (std::size_t cut = 0; cut < good.size(); ++cut) {
        const auto decoded = decode(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
        CHECK_FALSE(decoded.ok());
        CHECK_FALSE(decoded.error.empty());
    }
    Bytes longer = good;
    longer.push_back(0);
    CHECK_FALSE(decode(longer).ok());
    Bytes future = good;
    future[0] = kWireVersion + 1;
    CHECK(decode(future).error.find("version") != std::string::npos);
    Rng rng(5);
    int refused = 0;
    for (int i = 0; i < 20000; ++i) {
        Bytes noise(rng.between(0, 64));
        for (auto& b : noise) b = static_cast<std::uint8_t>(rng.next());
        if (!decode(noise).ok()) ++refused;
        Bytes flipped = good;
        flipped[rng.between(0, good.size() - 1)] ^= static_cast<std::uint8_t>(1 + rng.between(0, 254));
        (void)decode(flipped);  // must not crash; may or may not decode
    }
    CHECK(refused > 19000);
}

TEST_CASE("the flags byte carries transfer and keeper, and refuses unknown bits", "[raft][codec]") {
    for (const bool transfer : {false, true}) {
        for (const bool keeper : {false, true}) {
            Message m{.type = MessageType::Vote, .from = "a", .to = "b", .term = 3};
            m.transfer = transfer;
            m.keeper = keeper;
            const auto decoded = decode(encode(m));
            REQUIRE(decoded.ok());
            CHECK(decoded.value->transfer == transfer);
            CHECK(decoded.value->keeper == keeper);
        }
    }
    // version, type, "a", "b", term, log_term, index, commit, reject: the flags byte follows.
    Bytes bytes = encode(Message{.type = MessageType::Vote, .from = "a", .to = "b", .term = 3});
    const std::size_t flags_at = 1 + 1 + 2 + 2 + 1 + 1 + 1 + 1 + 1;
    REQUIRE(bytes[flags_at] == 0);
    bytes[flags_at] = 4;
    const auto refused = decode(bytes);
    CHECK_FALSE(refused.ok());
    CHECK(refused.error.find("flags") != std::string::npos);
}

TEST_CASE("entries that are not consecutive are refused", "[raft][codec]") {
    Message m = full_append();
    m.entries[1].index = 50;
    CHECK_FALSE(decode(encode(m)).ok());
}

TEST_CASE("a node refuses bad messages with an error and stays as it was", "[raft][codec]") {
    Cluster c(3, 60);
    REQUIRE(c.run_until([&] { return c.leaders().size() == 1; }, 5000));
    const std::string leader = c.leaders().front();
    const std::string other = leader == "n1" ? "n2" : "n1";
    Node& l = c.node(leader);
    const Term term = l.term();
    const Index last = l.log().last_index();
    CHECK(l.receive(other, Bytes{1, 2, 3}).error.find("bad message") != std::string::npos);
    Message spoof{.type = MessageType::Append, .from = "n3", .to = leader, .term = term + 9};
    CHECK(l.receive(other, encode(spoof)).error.find("claims to be from") != std::string::npos);
    Message stranger{.type = MessageType::Vote, .from = "mallory", .to = leader, .term = term + 9};
    CHECK(l.receive("mallory", encode(stranger)).error.find("unknown peer") != std::string::npos);
    Message misdelivered{.type = MessageType::Heartbeat, .from = other, .to = "someone-else", .term = term};
    CHECK_FALSE(l.receive(other, encode(misdelivered)).ok());
    CHECK(l.term() == term);
    CHECK(l.role() == Role::Leader);
    CHECK(l.log().last_index() == last);
}

TEST_CASE("a Ready packed for a host without storage leaves out the entries to persist", "[raft][codec]") {
    Ready ready;
    ready.hard_state = HardState{.term = 3, .vote = "a", .commit = 1};
    ready.entries.push_back(Entry{3, 2, EntryType::Normal, to_bytes("to persist")});
    ready.messages.push_back(OutgoingMessage{.to = "b", .bytes = to_bytes("append")});
    ready.committed_entries.push_back(Entry{3, 1, EntryType::Normal, to_bytes("to apply")});

    Bytes with, without;
    pack_ready(ready, with);
    pack_ready(ready, without, false);
    // Header and hard state: 1 + 1 + 8 + 8 + (4 + 1) bytes; then the entries' count.
    constexpr std::size_t kCountAt = 23;
    const std::size_t entry_bytes = 8 + 8 + 1 + 4 + std::string("to persist").size();
    REQUIRE(with.size() == without.size() + entry_bytes);
    CHECK(with[kCountAt] == 1);
    CHECK(without[kCountAt] == 0);
    // The rest (messages, committed entries, events) is the same bytes.
    CHECK(Bytes(with.begin() + kCountAt + 4 + entry_bytes, with.end()) == Bytes(without.begin() + kCountAt + 4, without.end()));
}

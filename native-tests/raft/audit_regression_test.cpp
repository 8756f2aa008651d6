// Regressions for the bugs an audit of the Raft core against the
// dissertation found (issue "Raft: fix what an audit found"). Each test is
// named after the behaviour it pins down, and failed before its fix.
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "test_helpers.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using namespace rtcmesh::raft::testing;

namespace {

bool left_event_for(const NodeRecord& record, const std::string& address) {
    return std::any_of(record.events.begin(), record.events.end(), [&](const Event& e) {
        auto left = std::get_if<MemberLeft>(&e);
        return left && left->address == address;
    });
}

std::size_t error_events(const NodeRecord& record) {
    return static_cast<std::size_t>(std::count_if(record.events.begin(), record.events.end(), [](const Event& e) {
        return std::holds_alternative<ErrorEvent>(e);
    }));
}

Bytes tamper(Message m) { return encode(m); }

}  // namespace

TEST_CASE("regression: a leader that removes itself does not leave the cluster leaderless (2 voters)", "[raft][regression][audit]") {
    Cluster c(2, 101);
    const std::string leader = elect(c);
    const std::string other = c.others(leader).front();
    // The leader's own removal is appended but never reaches the other node.
    c.cut(leader, other);
    REQUIRE(c.node(leader).leave(leader).ok());
    c.run_for(50);
    REQUIRE_FALSE(c.node(leader).membership().is_voter(leader));  // took effect on append
    // CheckQuorum steps it down; then the link comes back.
    REQUIRE(c.run_until([&] { return c.node(leader).role() != Role::Leader; }, 2000, 1));
    c.heal();
    // Someone must lead again, and the removal must end up committed.
    REQUIRE(c.run_until([&] {
        return c.node(other).role() == Role::Leader && c.node(other).membership().voters == std::vector<std::string>{other};
    }, 10'000, 1));
    REQUIRE(c.node(other).propose(to_bytes("after")).ok());
    c.run_for(200);
    CHECK(c.applied_data(other) == std::vector<std::string>{"after"});
}

TEST_CASE("regression: a leader that removes itself does not leave the cluster leaderless (4 voters, one down)", "[raft][regression][audit]") {
    Cluster c(4, 102);
    const std::string leader = elect(c);
    const auto rest = c.others(leader);
    c.crash(rest[0]);
    for (const auto& address : rest) c.cut(leader, address);
    REQUIRE(c.node(leader).leave(leader).ok());
    REQUIRE(c.run_until([&] { return c.node(leader).role() != Role::Leader; }, 2000, 1));
    c.heal();
    REQUIRE(c.run_until([&] {
        for (const auto& address : {rest[1], rest[2]})
            if (c.node(address).role() == Role::Leader && !c.node(address).membership().contains(leader)) return true;
        return false;
    }, 10'000, 1));
}

TEST_CASE("regression: a learner in a quiet cluster catches up through heartbeats alone", "[raft][regression][audit]") {
    Cluster c(3, 103);
    const std::string leader = elect(c);
    for (int i = 0; i < 5; ++i) REQUIRE(c.node(leader).propose(to_bytes("x" + std::to_string(i))).ok());
    c.run_for(100);
    Config newcomer;
    newcomer.address = "n4";
    newcomer.seed = 103;
    newcomer.join_existing_cluster = true;
    Node& n4 = c.start(newcomer);
    // Everything to the newcomer is lost for a second, as while its link connects.
    c.drop = [](const Envelope& e) { return e.to == "n4"; };
    for (const auto& address : c.addresses()) {
        if (address == "n4") continue;
        REQUIRE(c.node(address).join("n4").ok());
        REQUIRE(n4.join(address).ok());
    }
    c.run_for(1000);
    c.drop = nullptr;
    // Nobody writes: heartbeats alone must bring it up to date and promote it.
    REQUIRE(c.run_until([&] { return c.applied_data("n4").size() == 5 && c.node(leader).membership().is_voter("n4"); },
                        3000, 1));
}

TEST_CASE("regression: a stale pre-vote grant from an older round is not counted", "[raft][regression][audit]") {
    Cluster c(5, 104);
    const std::string leader = elect(c);
    const auto rest = c.others(leader);
    const std::string node = rest[0];
    c.crash(leader);
    c.hold = true;  // the test delivers by hand
    Node& n = c.node(node);
    const Term t = n.term();
    // Move the node to term t+1 (a real vote round that went nowhere).
    REQUIRE(n.step(Message{.type = MessageType::Heartbeat, .from = rest[1], .to = node, .term = t + 1}).ok());
    REQUIRE(n.term() == t + 1);
    // Its next pre-vote round is for t+2.
    REQUIRE(c.run_until([&] { return n.role() == Role::PreCandidate; }, 5000, 1));
    c.in_flight().clear();
    // A grant for t+1 (from an older round) arrives late, then two fresh ones.
    REQUIRE(n.step(Message{.type = MessageType::PreVoteResponse, .from = rest[1], .to = node, .term = t + 1}).ok());
    REQUIRE(n.step(Message{.type = MessageType::PreVoteResponse, .from = rest[2], .to = node, .term = t + 2}).ok());
    // Self + one fresh grant = 2 of 5: not a quorum, whatever the stale grant says.
    CHECK(n.role() == Role::PreCandidate);
    REQUIRE(n.step(Message{.type = MessageType::PreVoteResponse, .from = rest[3], .to = node, .term = t + 2}).ok());
    CHECK(n.role() == Role::Candidate);  // 3 fresh of 5
}

TEST_CASE("regression: the codec refuses an empty 'to'", "[raft][regression][audit][codec]") {
    Message m{.type = MessageType::Heartbeat, .from = "a", .to = "", .term = 1};
    CHECK(decode(encode(m)).error.find("'to'") != std::string::npos);
}

TEST_CASE("regression: the codec refuses entry indexes that wrap around 2^64", "[raft][regression][audit][codec]") {
    Message m{.type = MessageType::Append, .from = "a", .to = "b", .term = 3, .log_term = 1,
              .index = std::numeric_limits<Index>::max()};
    m.entries.push_back(Entry{2, 0, EntryType::Normal, to_bytes("wrapped")});
    CHECK_FALSE(decode(encode(m)).ok());
    m.index = kMaxWireNumber - 1;
    m.entries = {Entry{2, kMaxWireNumber, EntryType::Normal, {}}, Entry{2, kMaxWireNumber + 1, EntryType::Normal, {}}};
    CHECK_FALSE(decode(encode(m)).ok());
}

TEST_CASE("regression: terms and indexes past 2^53 are refused, and a term never wraps", "[raft][regression][audit][codec]") {
    for (auto set : std::vector<std::function<void(Message&)>>{
             [](Message& m) { m.term = kMaxWireNumber + 1; },
             [](Message& m) { m.term = std::numeric_limits<Term>::max(); },
             [](Message& m) { m.index = kMaxWireNumber + 1; },
             [](Message& m) { m.commit = std::numeric_limits<Index>::max(); },
             [](Message& m) { m.log_term = kMaxWireNumber + 1; },
             [](Message& m) { m.hint_index = kMaxWireNumber + 1; },
         }) {
        Message m{.type = MessageType::Heartbeat, .from = "a", .to = "b", .term = 1};
        set(m);
        CHECK_FALSE(decode(encode(m)).ok());
    }
    // The largest term allowed, then TimeoutNow: the node must not wrap to 0.
    Cluster c(3, 105);
    const std::string leader = elect(c);
    const std::string other = c.others(leader).front();
    Node& n = c.node(other);
    REQUIRE(n.receive(leader, tamper(Message{.type = MessageType::Heartbeat, .from = leader, .to = other,
                                             .term = kMaxWireNumber})).ok());
    (void)n.receive(leader, tamper(Message{.type = MessageType::TimeoutNow, .from = leader, .to = other,
                                           .term = kMaxWireNumber}));
    CHECK(n.term() == kMaxWireNumber);
    c.settle();
    CHECK(c.record(other).storage.load().hard_state.term == kMaxWireNumber);
}

TEST_CASE("regression: an InstallSnapshot at the largest index does not abort a follower", "[raft][regression][audit]") {
    Cluster c(3, 106);
    const std::string leader = elect(c);
    const std::string other = c.others(leader).front();
    Node& n = c.node(other);
    Message m{.type = MessageType::InstallSnapshot, .from = leader, .to = other, .term = n.term()};
    Membership members;
    members.add_voter(leader);
    members.add_voter(other);
    m.snapshot = Snapshot{std::numeric_limits<Index>::max(), n.term(), members, {}};
    CHECK_FALSE(n.receive(leader, encode(m)).ok());
    m.snapshot->index = kMaxWireNumber;  // the largest allowed index is fine
    const Status status = n.receive(leader, encode(m));
    INFO(status.error);
    CHECK(status.ok());
    c.settle();
    CHECK(n.commit_index() == kMaxWireNumber);
}

TEST_CASE("regression: a removed node is told of its removal, emits leave for itself and stops", "[raft][regression][audit]") {
    Cluster c(3, 107);
    const std::string leader = elect(c);
    const std::string gone = c.others(leader).front();
    for (const auto& address : c.addresses())
        if (address != gone) REQUIRE(c.node(address).leave(gone).ok());
    c.run_for(3000);
    CHECK_FALSE(c.node(leader).membership().contains(gone));
    CHECK_FALSE(c.node(gone).membership().contains(gone));  // it learned the new configuration
    CHECK(left_event_for(c.record(gone), gone));
    CHECK(c.node(gone).role() == Role::Follower);
    const Term term = c.node(gone).term();
    c.run_for(3000);
    CHECK(c.node(gone).term() == term);  // it stopped campaigning
    for (const auto& address : c.others(gone)) CHECK(error_events(c.record(address)) == 0);
}

TEST_CASE("regression: a removed node that missed its removal is told when it speaks", "[raft][regression][audit]") {
    Cluster c(3, 108);
    const std::string leader = elect(c);
    const std::string gone = c.others(leader).front();
    c.isolate(gone);
    for (const auto& address : c.addresses())
        if (address != gone) REQUIRE(c.node(address).leave(gone).ok());
    c.run_for(1000);
    REQUIRE_FALSE(c.node(leader).membership().contains(gone));
    REQUIRE(c.node(gone).membership().contains(gone));  // it never heard
    c.heal();
    REQUIRE(c.run_until([&] { return left_event_for(c.record(gone), gone); }, 5000, 1));
    const Term term = c.node(gone).term();
    c.run_for(3000);
    CHECK(c.node(gone).term() == term);
    CHECK(c.node(gone).role() == Role::Follower);
}

TEST_CASE("regression: leave(self) can be undone by join(self)", "[raft][regression][audit]") {
    Cluster c(3, 109);
    const std::string leader = elect(c);
    const std::string node = c.others(leader).front();
    REQUIRE(c.node(node).leave(node).ok());
    REQUIRE(c.node(node).join(node).ok());  // changed its mind
    // Once it leads, it must not carry out the leave it took back.
    REQUIRE(c.node(leader).transfer_leadership(node).ok());
    REQUIRE(c.run_until([&] { return c.node(node).role() == Role::Leader; }, 2000, 1));
    c.run_for(1000);
    CHECK(c.node(node).membership().is_voter(node));
    CHECK(c.node(node).role() == Role::Leader);
    // And after a removal really happened, join brings it back.
    const std::string now_leader = node;
    const std::string gone = c.others(now_leader).front();
    for (const auto& address : c.addresses()) REQUIRE(c.node(address).leave(gone).ok());
    REQUIRE(c.run_until([&] { return !c.node(now_leader).membership().contains(gone); }, 2000, 1));
    for (const auto& address : c.addresses()) REQUIRE(c.node(address).join(gone).ok());
    REQUIRE(c.run_until([&] { return c.node(now_leader).membership().is_voter(gone); }, 5000, 1));
}

// Found by the simulator once disk writes took time: a snapshot that arrived
// while the previous Ready was being written was counted as applied when
// that earlier Ready was acknowledged, before the host had loaded it, so a
// read at that index was served from the state machine without it.
TEST_CASE("regression: advance() acknowledges only what its own Ready handed out", "[raft][regression][persistence]") {
    Config config;
    config.address = "a";
    config.initial_members = {"a", "b"};
    Node node(config);
    REQUIRE(node.step(Message{.type = MessageType::Heartbeat, .from = "b", .to = "a", .term = 1}).ok());
    Ready first = node.take_ready();  // being written...
    Membership members;
    members.add_voter("a");
    members.add_voter("b");
    Message install{.type = MessageType::InstallSnapshot, .from = "b", .to = "a", .term = 1};
    install.snapshot = Snapshot{10, 1, members, to_bytes("image")};
    REQUIRE(node.step(install).ok());  // ...when the snapshot arrives
    node.advance();                    // the first write completes
    CHECK(node.applied_index() == 0);  // the snapshot is not loaded yet
    Ready second = node.take_ready();
    REQUIRE(second.snapshot);
    node.advance();
    CHECK(node.applied_index() == 10);
}

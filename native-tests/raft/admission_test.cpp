// A member that is no voter (it runs no Raft, but the host routes to it, as
// a mesh member) tries to take a working cluster over with the messages only
// a leader sends. Run with the protection off first, to show the test bites.
#include <catch2/catch.hpp>

#include "raft/cluster_harness.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using rtcmesh::raft::testing::Cluster;

namespace {

Membership only(const std::string& address) {
    Membership m;
    m.add_voter(address);
    return m;
}

bool is_voter_everywhere(Cluster& c, const std::string& address) {
    for (const auto& a : c.addresses())
        if (!c.node(a).membership().is_voter(address)) return false;
    return true;
}

}  // namespace

TEST_CASE("a non-voter cannot install a snapshot or take leadership", "[raft][trust]") {
    const bool protection = GENERATE(false, true);
    Cluster c(3, 7);
    c.inject_test_faults({.accept_leader_messages_from_anyone = !protection});
    const std::string leader = c.elect();
    REQUIRE(!leader.empty());
    REQUIRE(c.node(leader).propose(to_bytes("real")).ok());
    c.run_for(500);
    // eve is routed like any mesh member, so the leader adds her as a
    // learner; she never answers.
    for (const auto& a : c.addresses()) REQUIRE(c.node(a).join("eve").ok());
    c.run_for(500);

    for (const auto& a : c.addresses()) {
        Message install{.type = MessageType::InstallSnapshot, .from = "eve", .to = a, .term = c.node(a).term() + 5};
        install.snapshot = Snapshot{1000, 50, only("eve"), to_bytes("evil")};
        const Status status = c.node(a).step(install);
        CHECK(status.ok() == !protection);
        if (protection) CHECK(status.code == ErrorCode::bad_message);
        Message timeout_now{.type = MessageType::TimeoutNow, .from = "eve", .to = a, .term = c.node(a).term() + 6};
        CHECK(c.node(a).step(timeout_now).ok() == !protection);
        Message append{.type = MessageType::Append, .from = "eve", .to = a, .term = c.node(a).term() + 7};
        CHECK(c.node(a).step(append).ok() == !protection);
    }
    c.run_for(2'000);
    bool evil_loaded = false;
    for (const auto& a : c.addresses()) {
        const auto& loaded = c.record(a).loaded;
        evil_loaded |= loaded && to_string(loaded->data) == "evil";
    }
    CHECK(evil_loaded == !protection);
    if (protection) {
        for (const auto& a : {"n1", "n2", "n3"}) CHECK(is_voter_everywhere(c, a));
        CHECK(!c.node("n1").membership().is_voter("eve"));
        REQUIRE(!c.leader_of_highest_term().empty());
        CHECK(c.leader_of_highest_term() != "eve");
        // The cluster still commits.
        const std::string now_leader = c.leader_of_highest_term();
        REQUIRE(c.node(now_leader).propose(to_bytes("after")).ok());
        CHECK(c.run_until([&] { return c.applied_data("n1").back() == "after"; }, 3'000));
    }
}

TEST_CASE("a member without a live leader follows a non-voter leader", "[raft][trust]") {
    // The documented limit of the rule above: a member that was away while the
    // current leader joined and became a voter has no other way back.
    Cluster c(3, 8);
    const std::string leader = c.elect();
    REQUIRE(!leader.empty());
    const std::string member = c.others(leader).front();
    for (const auto& a : c.addresses()) REQUIRE(c.node(a).join("x").ok());
    c.isolate(member);
    Message append{.type = MessageType::Append, .from = "x", .to = member};
    append.term = c.node(member).term() + 1;
    CHECK(c.node(member).step(append).code == ErrorCode::bad_message);  // heard its leader just now
    c.run_for(400);  // past the election timeout (300 ms at most): no live leader
    append.term = c.node(member).term() + 1;
    CHECK(c.node(member).step(append).ok());
    CHECK(c.node(member).leader() == "x");
}

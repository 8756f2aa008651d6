// Keepers (Config::keeper): a member that stays while the others come and go
// keeps the cluster alone, so every other member may leave at once.
#include <catch2/catch.hpp>

#include "test_helpers.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using namespace rtcmesh::raft::testing;

namespace {

Config member(const std::string& address, std::uint64_t seed, bool keeper, bool join_existing) {
    Config config;
    config.address = address;
    config.seed = seed;
    config.keeper = keeper;
    config.join_existing_cluster = join_existing;
    return config;
}

// Starts `address` as a newcomer that every running node routes to.
Node& add_newcomer(Cluster& c, const std::string& address, std::uint64_t seed, bool keeper) {
    Node& node = c.start(member(address, seed, keeper, true));
    for (const auto& other : c.others(address)) {
        REQUIRE(c.node(other).join(address).ok());
        REQUIRE(node.join(other).ok());
    }
    return node;
}

// A room a bot started (it leads alone) that two tabs then joined, with one
// entry every member applied.
Node& bot_and_two_tabs(Cluster& c, std::uint64_t seed, const std::string& first_entry) {
    Node& keeper = c.start(member("bot", seed, true, false));
    REQUIRE(c.elect() == "bot");
    add_newcomer(c, "tab1", seed + 1, false);
    add_newcomer(c, "tab2", seed + 2, false);
    REQUIRE(keeper.propose(to_bytes(first_entry)).ok());
    REQUIRE(c.run_until([&] { return c.applied_data("tab1").size() == 1 && c.applied_data("tab2").size() == 1; }, 5'000));
    return keeper;
}

bool commits_alone(Cluster& c, const std::string& leader, const std::string& what) {
    if (!c.node(leader).propose(to_bytes(what)).ok()) return false;
    c.run_for(300);
    const auto applied = c.applied_data(leader);
    return !applied.empty() && applied.back() == what;
}

}  // namespace

TEST_CASE("a keeper that leads keeps newcomers as learners, and outlives them all", "[raft][keeper]") {
    Cluster c(0, 70);
    Node& keeper = bot_and_two_tabs(c, 70, "before");
    CHECK(keeper.membership().voters == std::vector<std::string>{"bot"});
    CHECK(keeper.membership().learners == std::vector<std::string>{"tab1", "tab2"});

    // Both tabs go at once: the keeper still commits alone.
    c.crash("tab1");
    c.crash("tab2");
    REQUIRE(keeper.leave("tab1").ok());
    REQUIRE(keeper.leave("tab2").ok());
    CHECK(commits_alone(c, "bot", "after"));
    REQUIRE(c.run_until([&] { return keeper.membership().learners.empty(); }, 5'000));
}

TEST_CASE("without a keeper the same departure loses the quorum (the keeper rule bites)", "[raft][keeper]") {
    Cluster c(0, 73);
    Node& first = c.start(member("bot", 73, false, false));
    REQUIRE(c.elect() == "bot");
    add_newcomer(c, "tab1", 74, false);
    add_newcomer(c, "tab2", 75, false);
    REQUIRE(c.run_until([&] { return first.membership().voters.size() == 3; }, 5'000));
    c.crash("tab1");
    c.crash("tab2");
    CHECK_FALSE(commits_alone(c, "bot", "after"));
}

TEST_CASE("a keeper that joins a cluster of tabs gets the lead and the only vote", "[raft][keeper]") {
    Cluster c(3, 76);
    const std::string first = c.elect();
    REQUIRE_FALSE(first.empty());
    REQUIRE(c.node(first).propose(to_bytes("tabs")).ok());
    c.run_for(200);
    Node& keeper = add_newcomer(c, "bot", 79, true);
    REQUIRE(c.run_until([&] {
        return keeper.role() == Role::Leader && keeper.membership().voters == std::vector<std::string>{"bot"};
    }, 20'000));
    CHECK(keeper.membership().learners == std::vector<std::string>{"n1", "n2", "n3"});
    CHECK(c.applied_data("bot") == std::vector<std::string>{"tabs"});

    for (const auto& tab : {"n1", "n2", "n3"}) {
        c.crash(tab);
        REQUIRE(keeper.leave(tab).ok());
    }
    CHECK(commits_alone(c, "bot", "kept"));
}

TEST_CASE("a keeper that closes while it leads promotes a learner, leaves, and the tabs carry on", "[raft][keeper]") {
    Cluster c(0, 80);
    Node& keeper = bot_and_two_tabs(c, 80, "state");

    REQUIRE(keeper.close().ok());
    REQUIRE(c.run_until([&] { return keeper.closed(); }, 5'000));
    // It removed itself before it went: nothing waits for its vote, and the
    // tabs' hosts, which still route to it, do not vote it back in.
    CHECK_FALSE(keeper.membership().contains("bot"));
    c.crash("bot");
    REQUIRE(c.run_until([&] { return !c.leader_of_highest_term().empty() && c.leader_of_highest_term() != "bot"; }, 2'000));
    const std::string heir = c.leader_of_highest_term();
    REQUIRE((heir == "tab1" || heir == "tab2"));
    CHECK_FALSE(c.node(heir).membership().contains("bot"));
    // The tabs carry on as an ordinary cluster: the other tab gets a vote back.
    REQUIRE(c.run_until([&] { return c.node(heir).membership().voters.size() == 2; }, 10'000));
    CHECK(commits_alone(c, heir, "carried on"));
    const std::string other = heir == "tab1" ? "tab2" : "tab1";
    CHECK(c.applied_data(other) == std::vector<std::string>{"state", "carried on"});
}

TEST_CASE("a closed keeper that crashed while leading leaves its learners without a leader", "[raft][keeper]") {
    // The documented limit: the cluster is available exactly when a keeper is.
    Cluster c(0, 83);
    c.start(member("bot", 83, true, false));
    REQUIRE(c.elect() == "bot");
    add_newcomer(c, "tab1", 84, false);
    c.run_for(1'000);
    c.crash("bot");
    c.run_for(3'000);
    CHECK(c.leaders().empty());
    // It restarts from its storage and leads again alone.
    c.restart("bot");
    REQUIRE(c.run_until([&] { return c.leaders() == std::vector<std::string>{"bot"}; }, 5'000));
    CHECK(commits_alone(c, "bot", "back"));
}


// Paper §5.1-5.2 one rule at a time, plus PreVote and CheckQuorum (§9.6).
#include <catch2/catch.hpp>

#include "test_helpers.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using namespace rtcmesh::raft::testing;

namespace {

Config no_prevote(Config& config) {
    config.pre_vote = false;
    config.check_quorum = false;
    return config;
}

std::string some_follower(Cluster& c, const std::string& leader) { return c.others(leader).front(); }

}  // namespace

TEST_CASE("§5.2 a cluster elects exactly one leader and every node learns it", "[raft][paper]") {
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        Cluster c(5, seed);
        const std::string leader = elect(c);
        for (const auto& address : c.addresses()) {
            CHECK(c.node(address).leader() == leader);
            CHECK(c.node(address).term() == c.node(leader).term());
        }
    }
}

TEST_CASE("§5.2 election timeouts are randomized within [min, max]", "[raft][paper]") {
    Cluster c(5, 3, [](Config& config) {
        config.election_min_timeout = 150;
        config.election_max_timeout = 300;
    });
    std::set<Millis> seen;
    for (const auto& address : c.addresses()) {
        const Millis timeout = c.node(address).randomized_election_timeout();
        CHECK(timeout >= 150);
        CHECK(timeout <= 300);
        seen.insert(timeout);
    }
    CHECK(seen.size() > 1);
}

TEST_CASE("§5.2 a follower that times out becomes candidate, votes for itself and asks everyone", "[raft][paper]") {
    Cluster c(3, 4, [](Config& config) { no_prevote(config); });
    c.hold = true;
    REQUIRE(c.run_until([&] { return c.node("n1").role() == Role::Candidate || c.node("n2").role() == Role::Candidate ||
                                     c.node("n3").role() == Role::Candidate; }, 1000));
    std::string candidate;
    for (const auto& address : c.addresses())
        if (c.node(address).role() == Role::Candidate) candidate = address;
    CHECK(c.node(candidate).term() == 1);
    CHECK(c.node(candidate).vote() == candidate);
    std::set<std::string> asked;
    for (const auto& e : c.in_flight())
        if (e.from == candidate && e.decoded.type == MessageType::Vote) asked.insert(e.to);
    CHECK(asked.size() == 2);
}

TEST_CASE("§5.2 each node grants at most one vote per term, first come first served", "[raft][paper]") {
    Cluster c(3, 5, [](Config& config) { no_prevote(config); });
    c.hold = true;
    Node& voter = c.node("n1");
    const Message from_n2{.type = MessageType::Vote, .from = "n2", .to = "n1", .term = 1};
    const Message from_n3{.type = MessageType::Vote, .from = "n3", .to = "n1", .term = 1};
    REQUIRE(voter.step(from_n2).ok());
    REQUIRE(voter.step(from_n3).ok());
    c.settle();
    std::vector<std::pair<std::string, bool>> answers;
    for (const auto& e : c.in_flight())
        if (e.from == "n1" && e.decoded.type == MessageType::VoteResponse) answers.emplace_back(e.to, !e.decoded.reject);
    REQUIRE(answers.size() == 2);
    CHECK(answers[0] == std::make_pair(std::string("n2"), true));
    CHECK(answers[1] == std::make_pair(std::string("n3"), false));
    CHECK(voter.vote() == "n2");
    CHECK(c.record("n1").storage.state().hard_state.vote == "n2");  // persisted with the answer
}

TEST_CASE("§5.1 a node that sees a higher term adopts it and becomes follower", "[raft][paper]") {
    Cluster c(3, 6);
    const std::string leader = elect(c);
    const Term term = c.node(leader).term();
    const std::string other = some_follower(c, leader);
    REQUIRE(c.node(leader).step(Message{.type = MessageType::Append, .from = other, .to = leader, .term = term + 5}).ok());
    CHECK(c.node(leader).role() == Role::Follower);
    CHECK(c.node(leader).term() == term + 5);
}

TEST_CASE("§5.1 a message from an older term is answered with the newer term and changes nothing", "[raft][paper]") {
    Cluster c(3, 7);
    const std::string leader = elect(c);
    const std::string follower = some_follower(c, leader);
    const Term term = c.node(follower).term();
    c.hold = true;
    c.in_flight().clear();
    REQUIRE(c.node(follower).step(Message{.type = MessageType::Append, .from = leader, .to = follower, .term = term - 1, .commit = 99}).ok());
    c.settle();
    CHECK(c.node(follower).term() == term);
    CHECK(c.node(follower).commit_index() < 99);
    bool answered_with_newer_term = false;
    for (const auto& e : c.in_flight())
        if (e.from == follower && e.decoded.reject && e.decoded.term == term) answered_with_newer_term = true;
    CHECK(answered_with_newer_term);
}

TEST_CASE("§5.2 a candidate that hears from a leader of its own term steps down", "[raft][paper]") {
    Cluster c(3, 8, [](Config& config) { no_prevote(config); });
    c.hold = true;
    REQUIRE(c.run_until([&] { return c.node("n1").role() == Role::Candidate || c.node("n2").role() == Role::Candidate ||
                                     c.node("n3").role() == Role::Candidate; }, 1000));
    std::string candidate;
    std::string other;
    for (const auto& address : c.addresses()) (c.node(address).role() == Role::Candidate ? candidate : other) = address;
    const Term term = c.node(candidate).term();
    REQUIRE(c.node(candidate).step(Message{.type = MessageType::Heartbeat, .from = other, .to = candidate, .term = term}).ok());
    CHECK(c.node(candidate).role() == Role::Follower);
    CHECK(c.node(candidate).leader() == other);
}

TEST_CASE("§5.4.1 a voter refuses a candidate whose log is less up to date", "[raft][paper]") {
    Cluster c(3, 9);
    const std::string leader = elect(c);
    REQUIRE(c.node(leader).propose(to_bytes("x")).ok());
    c.run_for(100);
    const std::string voter = some_follower(c, leader);
    const Term term = c.node(voter).term();
    c.hold = true;
    c.in_flight().clear();
    // A candidate whose last entry is older than the voter's.
    std::string candidate;
    for (const auto& address : c.addresses())
        if (address != voter && address != leader) candidate = address;
    REQUIRE(c.node(voter).step(Message{.type = MessageType::Vote, .from = candidate, .to = voter,
                                       .term = term + 1, .log_term = 0, .index = 0, .transfer = true}).ok());
    c.settle();
    bool refused = false;
    for (const auto& e : c.in_flight())
        if (e.from == voter && e.decoded.type == MessageType::VoteResponse) refused = e.decoded.reject;
    CHECK(refused);
}

TEST_CASE("PreVote: a partitioned node that rejoins does not depose a healthy leader", "[raft][prevote]") {
    Cluster c(5, 10);
    const std::string leader = elect(c);
    const Term term = c.node(leader).term();
    const std::string loner = some_follower(c, leader);
    c.isolate(loner);
    c.run_for(5000);  // many election timeouts alone
    CHECK(c.node(loner).term() == term);  // pre-votes failed, so the term never grew
    c.heal();
    c.run_for(1000);
    CHECK(c.leaders() == std::vector<std::string>{leader});
    CHECK(c.node(leader).term() == term);
}

TEST_CASE("without PreVote the same partition does disrupt the leader (the control)", "[raft][prevote]") {
    Cluster c(5, 10, [](Config& config) { no_prevote(config); });
    const std::string leader = elect(c);
    const Term term = c.node(leader).term();
    const std::string loner = some_follower(c, leader);
    c.isolate(loner);
    c.run_for(5000);
    CHECK(c.node(loner).term() > term);
    c.heal();
    c.run_for(2000);
    CHECK(c.node(c.leaders().front()).term() > term);
}

TEST_CASE("CheckQuorum: a leader that loses its quorum steps down", "[raft][checkquorum]") {
    Cluster c(3, 11);
    const std::string leader = elect(c);
    c.isolate(leader);
    c.run_for(1000);
    CHECK(c.node(leader).role() != Role::Leader);
    CHECK(c.node(leader).leader().empty());
    const auto now_leading = c.leaders();
    REQUIRE(now_leading.size() == 1);  // the majority side elected its own
    CHECK(now_leading.front() != leader);
}

TEST_CASE("regression: a PreVote candidate must forget its leader", "[raft][regression]") {
    // Otherwise, under the leader lease, it rejects its peers' pre-votes
    // while they reject its own: nobody is elected after the leader dies.
    Cluster c(3, 12);
    const std::string leader = elect(c);
    c.crash(leader);
    c.hold = true;  // pre-vote answers wait, so the pre-candidate stays one
    std::string pre_candidate;
    REQUIRE(c.run_until([&] {
        for (const auto& address : c.addresses())
            if (c.node(address).role() == Role::PreCandidate) pre_candidate = address;
        return !pre_candidate.empty();
    }, 2000, 1));
    CHECK(c.node(pre_candidate).leader().empty());
    c.hold = false;
    REQUIRE(c.run_until([&] { return c.leaders().size() == 1; }, 3000));
    CHECK(c.leaders().front() != leader);
}

TEST_CASE("regression: granting a pre-vote does not reset the election timer", "[raft][regression]") {
    // Two identical runs; in one the voter grants a pre-vote. If granting
    // reset its timer it would draw a new timeout and campaign at another time.
    auto campaign_time = [](bool grant_prevote) {
        Cluster c(3, 13, [](Config& config) {
            config.election_min_timeout = 100;
            config.election_max_timeout = 2000;
        });
        const std::string leader = elect(c);
        const std::string voter = leader == "n1" ? "n2" : "n1";
        const std::string asker = leader == "n3" ? "n2" : "n3";
        c.crash(leader);
        c.hold = true;
        c.run_for(150, 1);  // past the leader lease (min timeout) since the last heartbeat
        Node& v = c.node(voter);
        REQUIRE(v.role() == Role::Follower);
        if (grant_prevote) {
            c.in_flight().clear();
            REQUIRE(v.step(Message{.type = MessageType::PreVote, .from = asker, .to = voter, .term = v.term() + 1,
                                   .log_term = v.log().last_term(), .index = v.log().last_index()}).ok());
            c.settle();
            bool granted = false;
            for (const auto& e : c.in_flight())
                if (e.from == voter && e.decoded.type == MessageType::PreVoteResponse) granted = !e.decoded.reject;
            REQUIRE(granted);
        }
        REQUIRE(c.run_until([&] { return v.role() != Role::Follower; }, 5000, 1));
        return c.now();
    };
    CHECK(campaign_time(true) == campaign_time(false));
}

TEST_CASE("leadership transfer: the target skips PreVote and wins at once", "[raft][transfer]") {
    Cluster c(5, 14);
    const std::string leader = elect(c);
    const std::string target = some_follower(c, leader);
    const Term term = c.node(leader).term();
    REQUIRE(c.node(leader).transfer_leadership(target).ok());
    REQUIRE(c.run_until([&] { return c.leaders() == std::vector<std::string>{target}; }, 500, 1));
    CHECK(c.node(target).term() == term + 1);
    CHECK(c.node(leader).role() == Role::Follower);
    CHECK(c.node(leader).transfer_leadership(target).error.find("not the leader") != std::string::npos);
}

TEST_CASE("regression: leadership transfer with PreVote goes through the followers' lease", "[raft][regression]") {
    // With PreVote and CheckQuorum every follower is in its lease; a plain
    // vote request would be ignored. The transfer flag lets it through.
    Cluster c(3, 15);
    const std::string leader = elect(c);
    REQUIRE(c.node(leader).propose(to_bytes("before")).ok());
    c.run_for(50);
    const std::string target = some_follower(c, leader);
    REQUIRE(c.node(leader).transfer_leadership(target).ok());
    REQUIRE(c.run_until([&] { return c.leaders() == std::vector<std::string>{target}; }, 500, 1));
    REQUIRE(c.node(target).propose(to_bytes("after")).ok());
    c.run_for(200);
    for (const auto& address : c.addresses()) CHECK(c.applied_data(address) == std::vector<std::string>{"before", "after"});
}

TEST_CASE("election_due_in counts down to a follower's campaign, restarts on a heartbeat, is -1 for a leader",
          "[raft]") {
    Cluster c(3, 7);
    const std::string leader = elect(c);
    CHECK(c.node(leader).election_due_in() == -1);
    const std::string follower = some_follower(c, leader);
    const Millis max = c.node(follower).config().election_max_timeout;
    const Millis due = c.node(follower).election_due_in();
    REQUIRE(due >= 0);
    REQUIRE(due <= max);
    // Heartbeats keep restarting the countdown: it never runs out.
    for (int i = 0; i < 20; ++i) {
        c.run_for(c.node(leader).config().heartbeat_interval);
        const Millis now_due = c.node(follower).election_due_in();
        CHECK(now_due >= 0);
        CHECK(now_due > c.node(follower).config().election_min_timeout - 2 * c.node(leader).config().heartbeat_interval);
    }
    // Without a leader it runs down to the campaign.
    c.isolate(follower);
    const Millis before = c.node(follower).election_due_in();
    c.run_for(50);
    CHECK(c.node(follower).election_due_in() <= std::max<Millis>(0, before - 50));
}

namespace {

// Role, term and leader changes a node reported from event `from` on.
std::size_t changes_since(NodeRecord& record, std::size_t from) {
    std::size_t changes = 0;
    for (std::size_t i = from; i < record.events.size(); ++i) {
        const Event& e = record.events[i];
        if (std::holds_alternative<RoleChanged>(e) || std::holds_alternative<TermChanged>(e) ||
            std::holds_alternative<LeaderChanged>(e))
            ++changes;
    }
    return changes;
}

void quick_timers(Config& config) {
    config.election_min_timeout = 300;
    config.election_max_timeout = 600;
    config.heartbeat_interval = 50;
}

}  // namespace

// Issue #14's bulk transfer stalled a follower's event loop past its election
// timeout; the timer ran before the heartbeats that had arrived meanwhile,
// and the follower dropped its leader to campaign (a pre-vote its peers
// refused, then the heartbeat put it back): two leader events for nothing.
TEST_CASE("a follower whose host stalled past its election timeout keeps its leader", "[raft][election][stall]") {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        Cluster c(3, seed, quick_timers);
        const std::string leader = c.elect();
        REQUIRE(!leader.empty());
        const Term term = c.node(leader).term();
        for (const auto& follower : c.others(leader)) {
            const std::size_t seen = c.record(follower).events.size();
            c.stall(follower, 2'000);  // over three times the longest timeout
            c.run_for(3'000);
            CHECK(changes_since(c.record(follower), seen) == 0);
            CHECK(c.node(follower).role() == Role::Follower);
            CHECK(c.node(follower).leader() == leader);
        }
        CHECK(c.leaders() == std::vector<std::string>{leader});
        CHECK(c.node(leader).term() == term);
    }
}

// All members in one process (Node, a bulk transfer), or a machine that
// slept: every host stalls at once, and each one's timer runs before what
// its peers sent it meanwhile.
TEST_CASE("when every host stalls at once no node changes its role, term or leader", "[raft][election][stall]") {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        Cluster c(3, seed, quick_timers);
        const std::string leader = c.elect();
        REQUIRE(!leader.empty());
        std::map<std::string, std::size_t> seen;
        for (const auto& address : c.addresses()) {
            seen[address] = c.record(address).events.size();
            c.stall(address, 2'000);
        }
        c.run_for(3'000);
        for (const auto& address : c.addresses()) CHECK(changes_since(c.record(address), seen[address]) == 0);
        CHECK(c.leaders() == std::vector<std::string>{leader});
    }
}

TEST_CASE("a follower whose host is late at every update still campaigns", "[raft][election][stall]") {
    Cluster c(3, 12, quick_timers);
    const std::string leader = c.elect();
    REQUIRE(!leader.empty());
    const std::string follower = c.others(leader).front();
    c.crash(leader);
    c.isolate(c.others(leader).back());
    // Every update comes 2 s after the last, far past each timeout: the
    // first late one is forgiven, the next is not.
    CHECK(c.run_until([&] { return c.node(follower).role() == Role::PreCandidate; }, 4'000, 2'000));
}

TEST_CASE("the test cluster stops a test at a broken safety property", "[raft][harness]") {
    // The cluster checks Raft's safety properties (kit/raft_safety.hpp) as it
    // runs; here the test breaks Election Safety itself, by forging the vote
    // a node would have had to give twice, and the cluster must say so.
    Cluster c(3, 41, [](Config& config) { no_prevote(config); });
    c.hold = true;  // nothing is delivered: the test speaks for the network
    REQUIRE(c.run_until([&] { return c.node("n1").role() == Role::Candidate && c.node("n2").role() == Role::Candidate; }, 1000, 1));
    REQUIRE(c.node("n1").term() == c.node("n2").term());
    const Term term = c.node("n1").term();
    for (const std::string candidate : {"n1", "n2"})
        REQUIRE(c.node(candidate).step(Message{.type = MessageType::VoteResponse, .from = "n3", .to = candidate, .term = term}).ok());
    REQUIRE(c.leaders().size() == 2);
    REQUIRE_THROWS_WITH(c.settle(), Catch::Matchers::Contains("Election Safety: both n1 and n2 lead term " + std::to_string(term)));
    CHECK(c.safety_violation().rfind("Election Safety", 0) == 0);
}

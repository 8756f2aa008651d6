// Proposals and reads made on a follower, forwarded to the leader by the
// core (etcd's stepFollower): answers come only from the node asked, a
// duplicated request is appended once, and nothing waits forever.
#include <catch2/catch.hpp>

#include <algorithm>

#include "test_helpers.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using namespace rtcmesh::raft::testing;

namespace {

template <class E>
const E* find_event(const NodeRecord& record, std::uint64_t id) {
    for (const auto& event : record.events)
        if (auto e = std::get_if<E>(&event); e && e->request_id == id) return e;
    return nullptr;
}

}  // namespace

TEST_CASE("forwarding: a follower's proposal is appended by the leader and applied everywhere", "[raft][forward]") {
    Cluster c(3, 201);
    const std::string leader = elect(c);
    const std::string follower = c.others(leader).front();
    REQUIRE(c.node(follower).submit(7, to_bytes("from a follower")).ok());
    c.run_for(200);
    const auto* submitted = find_event<Submitted>(c.record(follower), 7);
    REQUIRE(submitted);
    CHECK(submitted->term == c.node(leader).term());
    for (const auto& address : c.addresses()) CHECK(c.applied_data(address) == std::vector<std::string>{"from a follower"});
    const auto& applied = c.record(follower).applied;
    auto entry = std::find_if(applied.begin(), applied.end(), [&](const Entry& e) { return e.index == submitted->index; });
    REQUIRE(entry != applied.end());
    CHECK(entry->term == submitted->term);
}

TEST_CASE("forwarding: a follower's read gets a read index from the leader", "[raft][forward]") {
    Cluster c(3, 202);
    const std::string leader = elect(c);
    REQUIRE(c.node(leader).propose(to_bytes("x")).ok());
    c.run_for(100);
    const Index committed = c.node(leader).commit_index();
    const std::string follower = c.others(leader).front();
    REQUIRE(c.node(follower).read(9).ok());
    c.run_for(200);
    const auto* ready = find_event<ReadReady>(c.record(follower), 9);
    REQUIRE(ready);
    CHECK(ready->read_index >= committed);
}

TEST_CASE("forwarding: an answer from a node other than the one asked is refused", "[raft][forward][regression]") {
    Cluster c(3, 203);
    const std::string leader = elect(c);
    const auto rest = c.others(leader);
    Node& f = c.node(rest[0]);
    c.hold = true;  // the request stays in flight
    REQUIRE(f.submit(11, to_bytes("mine")).ok());
    c.settle();
    c.in_flight().clear();
    // The other follower claims to answer it.
    Message forged{.type = MessageType::ForwardProposeReply, .from = rest[1], .to = rest[0], .term = f.term(),
                   .log_term = f.term(), .index = 99, .request = 11};
    REQUIRE(f.receive(rest[1], encode(forged)).ok());
    c.settle();
    CHECK_FALSE(find_event<Submitted>(c.record(rest[0]), 11));
    CHECK(std::any_of(c.record(rest[0]).events.begin(), c.record(rest[0]).events.end(), [](const Event& e) {
        auto error = std::get_if<ErrorEvent>(&e);
        return error && error->message.find("not from") != std::string::npos;
    }));
    // The real leader's answer is taken.
    forged.from = leader;
    REQUIRE(f.receive(leader, encode(forged)).ok());
    c.settle();
    CHECK(find_event<Submitted>(c.record(rest[0]), 11));
}

TEST_CASE("forwarding: a duplicated request is appended once", "[raft][forward]") {
    Cluster c(3, 204);
    const std::string leader = elect(c);
    const std::string follower = c.others(leader).front();
    const Message request{.type = MessageType::ForwardPropose, .from = follower, .to = leader, .term = c.node(leader).term(),
                          .request = 5, .payload = to_bytes("once")};
    REQUIRE(c.node(leader).receive(follower, encode(request)).ok());
    REQUIRE(c.node(leader).receive(follower, encode(request)).ok());
    c.run_for(200);
    CHECK(c.applied_data(leader) == std::vector<std::string>{"once"});
}

TEST_CASE("forwarding: with no leader a request waits, then fails after forward_timeout", "[raft][forward]") {
    Cluster c(3, 205, [](Config& config) { config.forward_timeout = 1000; });
    const std::string leader = elect(c);
    const auto rest = c.others(leader);
    c.crash(leader);
    c.isolate(rest[0]);  // it can neither elect nor reach anyone
    Node& f = c.node(rest[0]);
    REQUIRE(c.run_until([&] { return f.leader().empty(); }, 3000, 1));
    REQUIRE(f.submit(3, to_bytes("nowhere")).ok());
    REQUIRE(f.read(4).ok());
    c.run_for(900);
    CHECK_FALSE(find_event<SubmitFailed>(c.record(rest[0]), 3));
    c.run_for(200);
    CHECK(find_event<SubmitFailed>(c.record(rest[0]), 3));
    CHECK(find_event<ReadFailed>(c.record(rest[0]), 4));
}

TEST_CASE("forwarding: a request made before any leader is known goes to the one elected", "[raft][forward]") {
    Cluster c(3, 206);
    Node& n = c.node("n1");
    REQUIRE(n.submit(21, to_bytes("early")).ok());
    const std::string leader = elect(c);
    c.run_for(300);
    CHECK(find_event<Submitted>(c.record("n1"), 21));
    CHECK(c.applied_data(leader) == std::vector<std::string>{"early"});
}

TEST_CASE("forwarding: a request made before the first update waits from that update, whatever the host's clock reads",
          "[raft][forward][regression]") {
    // A Raft made over a mesh can be asked to read before its host first
    // ticks it, and by then a page's clock is far from zero.
    Config config;
    config.address = "n1";
    config.initial_members = {"n1", "n2", "n3"};
    config.forward_timeout = 1000;
    Node n(config);
    REQUIRE(n.read(4).ok());
    REQUIRE(n.submit(3, to_bytes("early")).ok());
    const auto failed = [&](const Ready& ready) {
        return std::count_if(ready.events.begin(), ready.events.end(), [](const Event& e) {
            return std::holds_alternative<ReadFailed>(e) || std::holds_alternative<SubmitFailed>(e);
        });
    };
    n.update(60'000);
    n.update(60'900);
    CHECK(failed(n.take_ready()) == 0);
    n.advance();
    n.update(61'100);  // no leader was known for forward_timeout: now they fail
    CHECK(failed(n.take_ready()) == 2);
}

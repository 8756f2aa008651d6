// Membership through the log (§6 / dissertation §4): bootstrap by join(),
// learners that catch up before voting, one change at a time after the
// leader committed in its term, removal, and shutdown with close().
#include <catch2/catch.hpp>

#include <algorithm>

#include "test_helpers.hpp"

using namespace rtcmesh;
using namespace rtcmesh::raft;
using namespace rtcmesh::raft::testing;

namespace {

Config plain(const std::string& address, std::uint64_t seed) {
    Config config;
    config.address = address;
    config.seed = seed;
    return config;
}

bool has_event(const NodeRecord& record, const std::function<bool(const Event&)>& match) {
    return std::any_of(record.events.begin(), record.events.end(), match);
}

}  // namespace

TEST_CASE("the seed's example: each node knows only itself, then joins the others", "[raft][membership]") {
    Cluster c(0, 40);
    const std::vector<std::string> all{"a", "b", "c"};
    for (std::uint64_t i = 0; i < all.size(); ++i) {
        Node& node = c.start(plain(all[i], 40 + i));
        for (const auto& other : all)
            if (other != all[i]) REQUIRE(node.join(other).ok());
    }
    const std::string leader = elect(c);
    const Membership& m = c.node(leader).membership();
    CHECK(m.voters == all);
    REQUIRE(c.node(leader).propose(to_bytes("hello")).ok());
    c.run_for(200);
    for (const auto& address : all) {
        CHECK(c.applied_data(address) == std::vector<std::string>{"hello"});
        CHECK(c.node(address).membership().voters == all);  // entry 1 recorded the bootstrap set
    }
    CHECK(has_event(c.record("a"), [](const Event& e) { return std::holds_alternative<MemberJoined>(e); }));
}

TEST_CASE("a new member catches up as a learner, then is promoted to voter", "[raft][membership]") {
    Cluster c(3, 41);
    const std::string leader = elect(c);
    for (int i = 0; i < 20; ++i) REQUIRE(c.node(leader).propose(to_bytes("x" + std::to_string(i))).ok());
    c.run_for(100);
    Config newcomer = plain("n4", 41);
    newcomer.join_existing_cluster = true;
    Node& n4 = c.start(newcomer);
    for (const auto& address : c.addresses()) {
        if (address == "n4") continue;
        REQUIRE(c.node(address).join("n4").ok());
        REQUIRE(n4.join(address).ok());  // routes to the members it will hear from
    }

    bool was_learner = false;
    bool voter_before_caught_up = false;
    REQUIRE(c.run_until([&] {
        const Membership& m = c.node(leader).membership();
        if (m.is_learner("n4")) was_learner = true;
        if (m.is_voter("n4") && c.applied_data("n4").size() < 20) voter_before_caught_up = true;
        return m.is_voter("n4");
    }, 5000, 1));
    CHECK(was_learner);
    CHECK_FALSE(voter_before_caught_up);
    c.run_for(200);
    CHECK(c.applied_data("n4").size() == 20);
    CHECK(c.node("n4").membership().voters.size() == 4);
    CHECK(has_event(c.record(leader), [](const Event& e) {
        auto joined = std::get_if<MemberJoined>(&e);
        return joined && joined->address == "n4" && joined->voter;
    }));
}

TEST_CASE("a node told to join an existing cluster never campaigns on its own", "[raft][membership]") {
    Cluster c(0, 42);
    Config config = plain("lonely", 42);
    config.join_existing_cluster = true;
    c.start(config);
    c.run_for(5000);
    CHECK(c.node("lonely").role() == Role::Follower);
    CHECK(c.node("lonely").term() == 0);
}

TEST_CASE("regression: the 2015 single-server membership bug (config only after a commit of the leader's term)", "[raft][regression]") {
    // Ongaro's fix: a leader whose term has no committed entry yet must not
    // append a configuration change, or two overlapping changes from
    // different terms can each win a different majority.
    Cluster c(3, 43);
    const std::string leader = elect(c);
    c.hold = true;
    // Step the leader into a new term in which nothing has committed yet.
    const Term term = c.node(leader).term();
    std::string other;
    for (const auto& address : c.addresses())
        if (address != leader) { other = address; break; }
    Node& l = c.node(leader);
    REQUIRE(l.step(Message{.type = MessageType::Heartbeat, .from = other, .to = leader, .term = term + 1}).ok());
    REQUIRE(c.run_until([&] { return l.role() == Role::PreCandidate; }, 5000, 1));
    for (const auto& address : c.addresses())
        if (address != leader) (void)l.step(Message{.type = MessageType::PreVoteResponse, .from = address, .to = leader, .term = term + 2});
    for (const auto& address : c.addresses())
        if (address != leader) (void)l.step(Message{.type = MessageType::VoteResponse, .from = address, .to = leader, .term = term + 2});
    REQUIRE(l.role() == Role::Leader);
    c.settle();
    const Index before = l.log().last_index();
    REQUIRE(l.join("n9").ok());  // wants to add n9
    c.settle();
    CHECK(l.log().last_index() == before);  // no config entry: the no-op is not committed yet
    // Once its no-op commits, the change goes in.
    c.hold = false;
    c.deliver_all();
    c.run_for(100);
    CHECK(l.membership().contains("n9"));
}

TEST_CASE("regression: a node never campaigns with a committed but unapplied configuration change", "[raft][regression]") {
    Cluster c(3, 44);
    const std::string leader = elect(c);
    std::string follower;
    for (const auto& address : c.addresses())
        if (address != leader) { follower = address; break; }
    Node& f = c.node(follower);
    // Hand the follower a committed config entry, but keep its Ready untaken
    // (the host has not applied it): then let its timer run out.
    const Membership grown{{"n1", "n2", "n3"}, {"n4"}};
    const Index next = f.log().last_index() + 1;
    Message append{.type = MessageType::Append, .from = leader, .to = follower, .term = f.term(),
                   .log_term = f.log().last_term(), .index = f.log().last_index(), .commit = next};
    append.entries.push_back(Entry{f.term(), next, EntryType::Config, encode_membership(grown)});
    c.crash(leader);
    REQUIRE(f.step(append).ok());
    REQUIRE(f.commit_index() == next);
    REQUIRE(f.applied_index() < next);
    for (Millis t = 1; t <= 5000; t += 10) f.update(c.now() + t);  // no take_ready/advance
    CHECK(f.role() == Role::Follower);
    // Once applied, it may campaign.
    c.settle();
    REQUIRE(f.applied_index() >= next);
    // (Its clock ran 5 s ahead above, so the cluster's must catch up first.)
    REQUIRE(c.run_until([&] { return f.role() != Role::Follower; }, 10'000, 1));
}

TEST_CASE("regression: removing the other node of a 2-node cluster", "[raft][regression]") {
    Cluster c(2, 45);
    const std::string leader = elect(c);
    const std::string other = leader == "n1" ? "n2" : "n1";
    c.crash(other);  // it is gone for good: only the leader's ack can count
    REQUIRE(c.node(leader).leave(other).ok());
    c.run_for(200);
    CHECK(c.node(leader).membership().voters == std::vector<std::string>{leader});
    CHECK(c.node(leader).role() == Role::Leader);
    REQUIRE(c.node(leader).propose(to_bytes("alone")).ok());
    c.run_for(100);
    CHECK(c.applied_data(leader) == std::vector<std::string>{"alone"});
}

TEST_CASE("leave() on any node is carried out by whoever leads", "[raft][membership]") {
    Cluster c(5, 46);
    const std::string leader = elect(c);
    std::string gone;
    for (const auto& address : c.addresses())
        if (address != leader) gone = address;
    c.crash(gone);
    for (const auto& address : c.addresses()) REQUIRE(c.node(address).leave(gone).ok());
    c.run_for(300);
    for (const auto& address : c.addresses()) CHECK_FALSE(c.node(address).membership().contains(gone));
    CHECK(has_event(c.record(leader), [&](const Event& e) {
        auto left = std::get_if<MemberLeft>(&e);
        return left && left->address == gone;
    }));
}

TEST_CASE("close() on the leader hands leadership over first, then closes", "[raft][close]") {
    Cluster c(3, 47);
    const std::string leader = elect(c);
    REQUIRE(c.node(leader).close().ok());
    REQUIRE(c.run_until([&] { return c.node(leader).closed(); }, 2000, 1));
    REQUIRE(c.run_until([&] { return c.leaders().size() == 1; }, 500, 1));
    CHECK(c.leaders().front() != leader);
    const auto& events = c.record(leader).events;
    auto closing = std::find_if(events.begin(), events.end(), [](const Event& e) { return std::holds_alternative<Closing>(e); });
    auto closed = std::find_if(events.begin(), events.end(), [](const Event& e) { return std::holds_alternative<Closed>(e); });
    REQUIRE(closing != events.end());
    REQUIRE(closed != events.end());
    CHECK(closing < closed);
    CHECK_FALSE(c.node(leader).propose(to_bytes("x")).ok());
    CHECK_FALSE(c.node(leader).close().ok());
}

TEST_CASE("ReadIndex: a read confirmed by a quorum; before the first commit of a term it waits", "[raft][read]") {
    Cluster c(3, 48);
    const std::string leader = elect(c);
    Node& l = c.node(leader);
    REQUIRE(l.read_index(7).ok());
    c.run_for(50);
    auto ready_for = [&](std::uint64_t id) {
        for (const auto& e : c.record(leader).events)
            if (auto r = std::get_if<ReadReady>(&e); r && r->request_id == id) return true;
        return false;
    };
    CHECK(ready_for(7));

    // A fresh term: until its no-op commits, the read must wait.
    std::string other;
    for (const auto& address : c.addresses())
        if (address != leader) { other = address; break; }
    REQUIRE(l.transfer_leadership(other).ok());
    REQUIRE(c.run_until([&] { return c.leaders() == std::vector<std::string>{other}; }, 500, 1));
    c.hold = true;
    Node& n = c.node(other);
    c.settle();
    REQUIRE(n.read_index(8).ok());
    c.settle();
    CHECK_FALSE(ready_for(8));
    bool ready_other = false;
    for (const auto& e : c.record(other).events)
        if (auto r = std::get_if<ReadReady>(&e); r && r->request_id == 8) ready_other = true;
    CHECK_FALSE(ready_other);
    c.hold = false;
    c.run_for(100);
    for (const auto& e : c.record(other).events)
        if (auto r = std::get_if<ReadReady>(&e); r && r->request_id == 8) ready_other = r->read_index >= n.log().last_index() - 0;
    CHECK(ready_other);
    CHECK_FALSE(c.node(leader).read_index(9).ok());  // a follower refuses, naming the leader
}

namespace {

// Two members of a room, each knowing only that the other is present, in
// the order the signaling server saw them arrive.
Cluster room_of_two(std::uint64_t seed) {
    Cluster c(0, seed);
    for (const auto& address : {"old", "young"}) {
        Config config = plain(address, seed);
        config.join_existing_cluster = true;  // what a room member starts with: the rule decides
        c.start(config);
    }
    REQUIRE(c.node("old").join("young").ok());
    REQUIRE(c.node("young").join("old").ok());
    return c;
}

// A room of m1..m4 in arrival order: m1 starts the cluster and adds m3 and m4
// while m2, cut off, misses everything; then m1 leaves for good. m2 is still
// cut off and has no configuration.
Cluster m1_left_m2_behind(std::uint64_t seed) {
    const std::vector<std::string> all{"m1", "m2", "m3", "m4"};
    Cluster c(0, seed);
    for (const auto& address : all) {
        Config config = plain(address, ++seed);  // apart, or equal timeouts split every vote
        config.join_existing_cluster = true;
        c.start(config);
    }
    for (const auto& a : all)
        for (const auto& b : all)
            if (a != b) REQUIRE(c.node(a).join(b).ok());
    for (const auto& address : all) c.node(address).set_room_position(address == "m1", all.size() - 1);
    c.isolate("m2");
    REQUIRE(c.run_until([&] {
        return c.node("m1").membership().is_voter("m3") && c.node("m1").membership().is_voter("m4");
    }, 10'000, 1));
    c.crash("m1");
    for (const auto& address : {"m3", "m4"}) REQUIRE(c.node(address).leave("m1").ok());
    return c;
}

}  // namespace

TEST_CASE("room bootstrap: the oldest member starts the cluster and adds the others, whenever each starts", "[raft][membership][bootstrap]") {
    Cluster c = room_of_two(50);
    c.node("young").set_room_position(false, 1);
    c.run_for(2000);  // the younger one alone never starts a cluster
    CHECK(c.node("young").term() == 0);
    c.node("old").set_room_position(true, 1);  // it asks "young" first: no cluster there, so it starts one
    REQUIRE(c.run_until([&] { return c.node("old").role() == Role::Leader && c.node("old").membership().is_voter("young"); }, 5000, 1));
    CHECK(c.node("young").membership().voters == std::vector<std::string>{"old", "young"});
}

TEST_CASE("room bootstrap: a member left alone in the room starts the cluster", "[raft][membership][bootstrap]") {
    Cluster c = room_of_two(51);
    c.node("young").set_room_position(false, 1);
    c.run_for(500);
    CHECK(c.node("young").term() == 0);
    c.crash("old");  // the oldest left before it started anything
    c.node("young").set_room_position(true, 0);
    REQUIRE(c.run_until([&] { return c.node("young").role() == Role::Leader; }, 5000, 1));
    CHECK(c.node("young").membership().voters == std::vector<std::string>{"young"});
}

TEST_CASE("room bootstrap: once the log holds a configuration, the room order changes nothing", "[raft][membership][bootstrap]") {
    Cluster c(2, 52);
    const std::string leader = elect(c);
    const std::string other = c.others(leader).front();
    c.node(other).set_room_position(true, 1);
    c.node(leader).set_room_position(false, 1);
    c.run_for(1000);
    CHECK(c.leaders() == std::vector<std::string>{leader});
    CHECK(c.node(other).membership().voters.size() == 2);
}

TEST_CASE("room bootstrap: a member that becomes the oldest does not start a second cluster beside a running one", "[raft][membership][bootstrap][regression]") {
    // Found by the session simulator: "m1" led a cluster with "m3" and "m4";
    // "m2", second in arrival order, was never added; "m1" left for good, and
    // "m2", now the oldest, started a second cluster.
    Cluster c = m1_left_m2_behind(53);
    c.heal();
    c.cut("m3", "m4");  // the survivors take a while to elect a new leader...
    c.cut("m4", "m3");
    c.node("m2").set_room_position(true, 2);  // ...while m2 is the oldest with no configuration
    c.run_for(1500);
    CHECK_FALSE(c.node("m2").role() == Role::Leader);
    c.heal();
    REQUIRE(c.run_until([&] { return c.node("m2").membership().contains("m3"); }, 10'000, 1));
    CHECK(c.node("m2").log().at(1).term == c.node("m3").log().at(1).term);  // one cluster: the same first entry
    CHECK(c.leaders().size() == 1);
}

TEST_CASE("room bootstrap: a member that became the oldest while cut off from the others never starts a second cluster", "[raft][membership][bootstrap][regression]") {
    // Found by the session simulator (seed 36524 at 5 members, simultaneous
    // joins): "m2" missed everything while "m1" built a cluster, then was
    // cut off with "m1" alone; "m1" left, and "m2", now the oldest, heard no
    // one within two election timeouts and started a second cluster.
    Cluster c = m1_left_m2_behind(540);
    c.node("m2").set_room_position(true, 2);  // the oldest now, and still cut off from m3 and m4
    c.run_for(10'000);                          // many election timeouts
    CHECK(c.node("m2").term() == 0);
    CHECK(c.node("m2").log().last_index() == 0);
    c.heal();
    REQUIRE(c.run_until([&] { return c.node("m2").membership().contains("m3"); }, 10'000, 1));
    CHECK(c.node("m2").log().at(1).term == c.node("m3").log().at(1).term);  // one cluster: the same first entry
}

TEST_CASE("regression: a member let go and joined again is taken back, though its removal reached a node after the join", "[raft][membership][regression]") {
    // Found by the session simulator's check that membership follows the
    // room: a node restarted from storage without the entry removing x was
    // joined to x by its host, then got the entry; leading later, it kept x
    // out for good (departed) while x, which missed its removal, campaigned.
    Cluster c(4, 47);
    const std::string leader = elect(c);
    const auto rest = c.others(leader);
    const std::string x = rest[0], y = rest[1], z = rest[2];
    c.isolate(x);  // x never learns of its removal
    c.isolate(y);  // y misses it for now
    for (const auto& address : {leader, z}) REQUIRE(c.node(address).leave(x).ok());
    REQUIRE(c.run_until([&] { return !c.node(z).membership().contains(x) && c.node(leader).commit_index() >= c.node(leader).log().last_index(); }, 5'000));
    // y comes back from its storage: its host, which sees x in the room, joins it.
    c.crash(y);
    c.restart(y);
    REQUIRE(c.node(y).join(x).ok());
    c.heal();
    c.isolate(x);
    REQUIRE(c.run_until([&] { return !c.node(y).membership().contains(x); }, 5'000));  // the removal reaches y after the join
    // y takes the lead; x, healed, campaigns as the member it thinks it is.
    c.crash(leader);
    REQUIRE(c.run_until([&] { return !c.leaders().empty(); }, 5'000));
    if (c.leaders().front() != y) {
        REQUIRE(c.node(c.leaders().front()).transfer_leadership(y).ok());
        REQUIRE(c.run_until([&] { return c.node(y).role() == Role::Leader; }, 5'000));
    }
    c.heal();
    CHECK(c.run_until([&] { return c.node(y).membership().contains(x); }, 10'000));
    // z's host let x go and never joined it again: that is its word on x
    // while it leads, and y's join is y's host's.
    CHECK(c.node(y).role() == Role::Leader);
}

TEST_CASE("regression: a member that knows it was removed, and whose host still runs it, is taken back by a leader that routes it", "[raft][membership][regression]") {
    // Found by the session simulator (seed 879, 3 members): x left the room
    // and came back at once. A node away meanwhile never saw x leave: its
    // host still routed x when the entry removing x reached it. Leading
    // later, it kept x out (departed), while x, which knew of its removal,
    // neither campaigned nor asked: each waited for the other for good.
    Cluster c(4, 48);
    for (const auto& a : c.addresses())
        for (const auto& b : c.addresses())
            if (a != b) REQUIRE(c.node(a).join(b).ok());  // every host sees the whole room
    const std::string leader = elect(c);
    const auto rest = c.others(leader);
    const std::string x = rest[0], y = rest[1], z = rest[2];
    c.isolate(y);  // y is away while x is let go
    for (const auto& address : {leader, z}) REQUIRE(c.node(address).leave(x).ok());
    REQUIRE(c.run_until([&] { return c.node(x).removed() && !c.node(z).membership().contains(x); }, 5'000));
    c.heal();
    REQUIRE(c.run_until([&] { return !c.node(y).membership().contains(x); }, 5'000));  // y's host still routes x
    c.crash(leader);
    REQUIRE(c.run_until([&] { return !c.leaders().empty(); }, 5'000));
    if (c.leaders().front() != y) {
        REQUIRE(c.node(c.leaders().front()).transfer_leadership(y).ok());
        REQUIRE(c.run_until([&] { return c.node(y).role() == Role::Leader; }, 5'000));
    }
    CHECK(c.run_until([&] { return c.node(y).membership().contains(x); }, 10'000));
    CHECK(c.node(x).membership().contains(x));
}

TEST_CASE("regression: a node that missed its removal and every change after it learns of it from a node its host routes to", "[raft][membership][regression]") {
    // Found by raft-sim (seed 22383, 3 nodes): x was away while the cluster
    // removed it and then replaced every member x knew. x campaigned only to
    // the voters of its stale configuration, gone for good, and no node that
    // knew of its removal ever heard from it.
    Cluster c(3, 49);
    const std::string leader = elect(c);
    const std::string x = c.others(leader)[0], y = c.others(leader)[1];
    c.isolate(x);
    const std::vector<std::string> newcomers{"m1", "m2"};
    for (const auto& name : newcomers) {
        Config config = plain(name, 49);
        config.join_existing_cluster = true;
        c.start(config);
    }
    for (const auto& a : {leader, y, newcomers[0], newcomers[1]})
        for (const auto& b : {leader, y, newcomers[0], newcomers[1]})
            if (a != b) REQUIRE(c.node(a).join(b).ok());
    auto committed_voters = [&](const std::string& at, std::vector<std::string> voters) {
        std::sort(voters.begin(), voters.end());
        const Node& n = c.node(at);
        return n.membership().voters == voters && n.commit_index() == n.log().last_index();
    };
    REQUIRE(c.run_until([&] { return committed_voters(leader, {leader, x, y, "m1", "m2"}); }, 5'000));
    for (const auto& a : {leader, y, newcomers[0], newcomers[1]}) REQUIRE(c.node(a).leave(x).ok());
    REQUIRE(c.run_until([&] { return committed_voters(leader, {leader, y, "m1", "m2"}); }, 5'000));
    // The members x knows leave for good.
    for (const auto& gone : {leader, y})
        for (const auto& a : {leader, y, newcomers[0], newcomers[1]}) REQUIRE(c.node(a).leave(gone).ok());
    REQUIRE(c.run_until([&] { return committed_voters("m1", {"m1", "m2"}) && committed_voters("m2", {"m1", "m2"}); }, 10'000));
    c.crash(leader);
    c.crash(y);
    // x comes back; its host sees m1 and m2 in the room, theirs no longer sees x.
    c.heal();
    for (const auto& name : newcomers) REQUIRE(c.node(x).join(name).ok());
    REQUIRE(c.node(x).membership().is_voter(x));
    CHECK(c.run_until([&] { return c.node(x).removed(); }, 5'000));
    CHECK_FALSE(c.node("m1").membership().contains(x));
}

namespace {

// A cluster whose old leader x, cut off, wrote entries of its own past the
// point where the others removed it, the last of them a configuration that
// names x. Returns x; the others elected a leader and committed x's removal.
std::string remove_a_deposed_leader(Cluster& c) {
    const std::string x = elect(c);
    c.run_for(200);  // x's first entry commits: it may change the configuration
    c.isolate(x);
    for (int i = 0; i < 10; ++i) REQUIRE(c.node(x).propose(to_bytes("lost" + std::to_string(i))).ok());
    REQUIRE(c.node(x).join("newcomer").ok());  // a configuration entry that names x, never committed
    REQUIRE(c.run_until([&] { return c.node(x).membership().contains("newcomer"); }, 1'000));
    const auto rest = c.others(x);
    for (const auto& a : rest) REQUIRE(c.node(a).leave(x).ok());
    REQUIRE(c.run_until([&] {
        return std::all_of(rest.begin(), rest.end(), [&](const std::string& a) {
            const Node& n = c.node(a);
            return !n.membership().contains(x) && n.commit_index() == n.log().last_index();
        });
    }, 5'000));
    REQUIRE(c.node(x).log().last_index() > c.node(rest[0]).commit_index());
    return x;
}

}  // namespace

TEST_CASE("regression: a leader brings a member it removes up to its removal, though that member's log disagrees", "[raft][membership][regression]") {
    // Found by raft-sim (seed 27052, 3 nodes): the leader answered every
    // message of the departing node with Removed, so it never read its
    // AppendResponses and never repaired its log; the departing node,
    // hearing from that leader, believed its own newer configuration.
    Cluster c(3, 50);
    const std::string x = remove_a_deposed_leader(c);
    for (const auto& a : c.others(x)) REQUIRE(c.node(x).join(a).ok());  // x's host still sees the room
    c.heal();
    CHECK(c.run_until([&] { return c.node(x).removed(); }, 5'000));
}

TEST_CASE("regression: a node with no leader believes a committed removal over an uncommitted entry of its own", "[raft][membership][regression]") {
    // Found by raft-sim (seed 6338, 3 nodes): a removed node whose log held a
    // deposed leader's configuration naming it, past the removal's index,
    // ignored every Removed it was sent, and campaigned in vain for good.
    Cluster c(3, 51);
    const std::string x = remove_a_deposed_leader(c);
    // The leader that removed x, and with it the only node that would repair x's log, is gone.
    const std::string remover = c.leaders().front() == x ? c.leaders().back() : c.leaders().front();
    REQUIRE(remover != x);
    c.crash(remover);
    for (const auto& a : c.others(x)) REQUIRE(c.node(x).join(a).ok());
    c.heal();
    CHECK(c.run_until([&] { return c.node(x).removed(); }, 5'000));
}

TEST_CASE("a node that believed a Removed over an entry of its own that names it is a member again once that entry commits", "[raft][membership]") {
    Cluster c(3, 52);
    const std::string leader = elect(c);
    c.run_for(200);
    const std::string x = c.others(leader)[0], y = c.others(leader)[1];
    // The leader adds a learner; x gets the entry, which commits nowhere yet.
    c.cut(x, leader);  // x's acks never arrive
    c.cut(y, leader);
    for (const auto& a : c.addresses()) REQUIRE(c.node(a).join("newcomer").ok());
    REQUIRE(c.run_until([&] { return c.node(x).membership().contains("newcomer"); }, 2'000));
    const Index entry = c.node(x).log().last_index();
    REQUIRE(c.node(x).commit_index() < entry);
    c.crash(leader);
    c.heal();
    c.isolate(x);
    REQUIRE(c.run_until([&] { return c.node(x).role() == Role::PreCandidate; }, 2'000));
    // With no leader, x hears that a committed configuration removed it
    // (a stale word: say, from a node that missed x's return).
    REQUIRE(c.node(x).step(Message{.type = MessageType::Removed, .from = y, .to = x, .index = entry}).ok());
    REQUIRE(c.node(x).removed());
    c.heal();
    // y leads, and commits the entry that names x.
    REQUIRE(c.run_until([&] { return c.node(y).role() == Role::Leader && c.node(x).commit_index() >= entry; }, 5'000));
    CHECK_FALSE(c.node(x).removed());
}

// session::Session, the mesh plus Raft as one state machine: Raft over the
// system lane, persist-then-send, membership that follows the mesh, and
// hostile system frames.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/session/session.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using rtcmesh::sim::SimNetwork;

namespace {

raft::Config raft_config(std::vector<std::string> members, std::uint64_t seed = 1) {
    raft::Config config;
    config.seed = seed;  // each node its own: equal timers would split every vote
    config.initial_members = std::move(members);
    config.election_min_timeout = 150;
    config.election_max_timeout = 300;
    config.heartbeat_interval = 50;
    return config;
}

// The host's part for every member: persist (nothing to keep here), apply, advance.
void serve_readies(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        auto& session = net.session(id);
        for (int round = 0; round < 16 && session.has_ready(); ++round) {
            (void)session.take_ready();
            session.advance();
        }
    }
}

std::string leader_of(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& id : ids)
        if (net.session(id).raft()->role() == raft::Role::Leader) return id;
    return {};
}

bool run_with_raft(SimNetwork& net, const std::vector<std::string>& ids, const std::function<bool()>& done) {
    for (int step = 0; step < 2000; ++step) {  // 20 s of simulated time at most
        net.run_for(10);
        serve_readies(net, ids);
        if (done()) return true;
    }
    return false;
}

// Every member a mesh to all and a Raft over it; true once one leads.
bool start_and_elect(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
    for (const auto& id : ids)
        if (!net.session(id).start_raft(raft_config(ids, static_cast<std::uint64_t>(id[0]))).ok()) return false;
    return run_with_raft(net, ids, [&] { return !leader_of(net, ids).empty(); });
}

}  // namespace

TEST_CASE("Raft runs over the session's mesh; its frames never reach the app, the app's do", "[session]") {
    sim::SimConfig config;
    config.tick_at_next_wakeup = GENERATE(false, true);  // also ticked only when the session asks
    SimNetwork net(11, config);
    const std::vector<std::string> ids{"a", "b", "c"};
    REQUIRE(start_and_elect(net, ids));
    const std::string leader = leader_of(net, ids);
    REQUIRE(net.session(leader).raft()->propose(to_bytes("x")).ok());
    REQUIRE(run_with_raft(net, ids, [&] {
        for (const auto& id : ids)
            if (net.session(id).raft()->applied_index() < 2) return false;
        return true;
    }));
    REQUIRE(net.mesh("a").send("b", to_bytes("app"), true).ok());
    REQUIRE(run_with_raft(net, ids, [&] { return !net.log("b").messages.empty(); }));
    for (const auto& id : ids)
        for (const auto& message : net.log(id).messages) CHECK_FALSE(message.system);
    CHECK(net.log("b").messages.size() == 1);
}

TEST_CASE("a Ready's messages leave only after advance(): persist, then send", "[session]") {
    session::Session session(sim::member_options("a", {"a", "b"}), 3);
    REQUIRE(session.start_raft(raft_config({"a", "b"})).ok());
    session.update(0);
    (void)session.take_commands();  // the link to b being made
    // Ticked as a host does, until the election timeout: a campaigns. (One
    // update a second later would be a stalled host, forgiven once.)
    for (Millis now = 10; now <= 1000 && !session.has_ready(); now += 10) session.update(now);
    REQUIRE(session.has_ready());
    raft::Ready ready = session.take_ready();
    CHECK(ready.messages.empty());  // held by the session
    CHECK(session.mesh().queued_bytes("b") == 0);
    session.advance();              // persisted: the vote request goes to b's queue
    CHECK(session.mesh().queued_bytes("b") > 0);
}

TEST_CASE("a peer removed from the mesh is removed from Raft by the leader", "[session]") {
    SimNetwork net(12);
    const std::vector<std::string> ids{"a", "b", "c"};
    REQUIRE(start_and_elect(net, ids));
    const std::string leader = leader_of(net, ids);
    const std::string gone = leader == "c" ? "b" : "c";
    std::vector<std::string> rest;
    for (const auto& id : ids)
        if (id != gone) rest.push_back(id);
    net.vanish(gone);
    for (const auto& id : rest) REQUIRE(net.session(id).remove_peer(gone).ok());
    REQUIRE(run_with_raft(net, rest, [&] {
        const auto& voters = net.session(leader).raft()->membership().voters;
        return voters.size() == 2 && net.session(leader).raft()->commit_index() == net.session(leader).raft()->log().last_index();
    }));
    CHECK_FALSE(net.session(leader).raft()->membership().contains(gone));
}

TEST_CASE("hostile system frames: an unknown kind is an error event, a bad Raft message the node's error", "[session]") {
    SimNetwork net(13);
    const std::vector<std::string> ids{"a", "b"};
    REQUIRE(start_and_elect(net, ids));
    const raft::Term term = net.session("a").raft()->term();
    REQUIRE(net.mesh("b").send("a", Bytes{7, 1, 2}, false, true).ok());
    REQUIRE(net.mesh("b").send("a", Bytes{0, 0xff, 0xff, 0xff}, false, true).ok());
    bool node_error = false;
    for (int step = 0; step < 200 && !(node_error && !net.log("a").errors.empty()); ++step) {
        net.run_for(10);
        auto& s = net.session("a");
        for (int round = 0; round < 16 && s.has_ready(); ++round) {
            for (const auto& event : s.take_ready().events)
                if (std::holds_alternative<raft::ErrorEvent>(event)) node_error = true;
            s.advance();
        }
        serve_readies(net, {"b"});
    }
    REQUIRE(node_error);
    REQUIRE_FALSE(net.log("a").errors.empty());
    CHECK(net.log("a").errors.front().code == mesh::ErrorCode::malformed_frame);
    CHECK(net.log("a").errors.front().text.find("unknown kind 7") != std::string::npos);
    CHECK(net.session("a").raft()->term() == term);  // nothing changed
    for (const auto& message : net.log("a").messages) CHECK_FALSE(message.system);
}

TEST_CASE("start_raft refuses a second node and an address that is not the mesh's id", "[session]") {
    session::Session session(sim::member_options("a", {"a", "b"}), 4);
    raft::Config wrong = raft_config({"a", "b"});
    wrong.address = std::string(1, 'b');  // not = "b": GCC 12 warns falsely (-Wrestrict) on that
    CHECK(session.start_raft(wrong).code == mesh::ErrorCode::bad_argument);
    REQUIRE(session.start_raft(raft_config({"a", "b"})).ok());
    CHECK(session.raft()->address() == "a");
    CHECK(session.start_raft(raft_config({"a", "b"})).code == mesh::ErrorCode::bad_argument);
}

// The last-resort path (Options::server_path): two members whose link cannot
// form and who share no relay member talk through the signaling server, move
// back to their own link when it forms, and the server cannot speak for them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/mesh/frame.hpp"
#include "core/mesh/mesh.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;
using rtcmesh::sim::SimNetwork;

namespace {

Options with_server_path(const std::string& id, const std::vector<std::string>& ids) {
    Options options = sim::member_options(id, ids);
    options.server_path = true;
    options.timings.connect_timeout_ms = 3000;  // an attempt without a path fails sooner
    return options;
}

std::vector<std::string> texts_from(SimNetwork& net, const std::string& at, const std::string& from) {
    std::vector<std::string> got;
    for (const auto& m : net.log(at).messages)
        if (m.from == from && !m.system) got.emplace_back(m.data.begin(), m.data.end());
    return got;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("two members no link joins talk through the server, then move to their own link", "[mesh][server-path]") {
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        INFO("seed " << seed);
        SimNetwork net(seed);
        const std::vector<std::string> ids{"a", "b"};
        net.kill_link("a", "b");  // their ICE never connects: filtered candidates, a strict firewall
        net.server_path(true);
        for (const auto& id : ids) net.add_node(with_server_path(id, ids));
        // Not while the first attempt still runs: only once it failed.
        net.run_for(2'000);
        CHECK_FALSE(net.mesh("a").relayed("b"));
        REQUIRE(net.run_until([&] { return net.mesh("a").relayed("b"); }, 10'000));  // the route is the server
        std::vector<std::string> sent;
        for (int i = 0; i < 50; ++i) {
            sent.push_back("m" + std::to_string(i));
            REQUIRE(net.mesh("a").send("b", text(sent.back()), true).ok());
            REQUIRE(net.mesh("b").send("a", text("r" + std::to_string(i)), true).ok());
            net.run_for(20);
        }
        REQUIRE(net.run_until([&] { return texts_from(net, "b", "a").size() == sent.size(); }, 10'000));
        CHECK(texts_from(net, "b", "a") == sent);  // in order, exactly once
        CHECK(texts_from(net, "a", "b").size() == 50);
        CHECK(net.server_frames() > 0);
        bool said_so = false;
        for (const auto& e : net.log("a").events) said_so |= e.kind == EventKind::relay_on && e.peer == "b" && e.text.empty();
        CHECK(said_so);  // relay_on with no member: the server

        // The path clears: the link forms (the core keeps retrying), traffic moves to it.
        net.restore_link("a", "b");
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids) && !net.mesh("a").relayed("b"); }, 120'000));
        const std::size_t through_server = net.server_frames();
        for (int i = 50; i < 100; ++i) {
            sent.push_back("m" + std::to_string(i));
            REQUIRE(net.mesh("a").send("b", text(sent.back()), true).ok());
            net.run_for(20);
        }
        REQUIRE(net.run_until([&] { return texts_from(net, "b", "a").size() == sent.size(); }, 10'000));
        CHECK(texts_from(net, "b", "a") == sent);
        CHECK(net.server_frames() - through_server < 10);  // acks in flight at most: the rest went direct
    }
}

TEST_CASE("without the server path (or with the server down) nothing flows, and messages wait", "[mesh][server-path]") {
    SimNetwork net(7);
    const std::vector<std::string> ids{"a", "b"};
    net.kill_link("a", "b");
    for (const auto& id : ids) net.add_node(with_server_path(id, ids));  // the server offers none yet
    net.run_for(2'000);
    REQUIRE(net.mesh("a").send("b", text("waiting"), true).ok());
    net.run_for(8'000);  // the first attempt failed meanwhile
    CHECK(texts_from(net, "b", "a").empty());
    CHECK_FALSE(net.mesh("a").relayed("b"));
    net.server_path(true);  // the server says it relays: the waiting message goes
    REQUIRE(net.run_until([&] { return texts_from(net, "b", "a") == std::vector<std::string>{"waiting"}; }, 10'000));
}

TEST_CASE("the server cannot speak for a member, nor hand over other kinds of frames", "[mesh][server-path]") {
    SimNetwork net(8);
    const std::vector<std::string> ids{"a", "b", "c"};
    net.server_path(true);
    for (const auto& id : ids) net.add_node(with_server_path(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.kill_link("a", "b");
    net.kill_link("b", "c");
    net.kill_link("a", "c");
    net.run_for(15'000);
    // A data frame written by "c" but handed over as from "a".
    FrameHeader h;
    h.type = FrameType::data;
    h.origin = peer_hash("c");
    h.destination = peer_hash("b");
    h.hops_left = kRelayedHops;
    h.message_id = 1;
    h.total_length = 5;
    const Bytes payload = text("forge");
    net.mesh("b").on_server_frame("a", encode_frame(h, payload.data(), payload.size()));
    // A link-state frame, truthfully from "a".
    h.origin = peer_hash("a");
    h.type = FrameType::link_state;
    h.total_length = 0;
    net.mesh("b").on_server_frame("a", encode_frame(h, nullptr, 0));
    net.mesh("b").on_server_frame("a", text("garbage"));
    net.run_for(100);
    int forged = 0, malformed = 0;
    for (const auto& e : net.log("b").errors) {
        forged += e.code == ErrorCode::forged_frame ? 1 : 0;
        malformed += e.code == ErrorCode::malformed_frame ? 1 : 0;
    }
    CHECK(forged == 1);
    CHECK(malformed == 2);
    CHECK(texts_from(net, "b", "c").empty());
}

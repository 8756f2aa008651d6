// Media tracks (mesh/media_tracks.hpp) over the simulated WebRTC: the core
// adds each track on the right connections and renegotiates; the fake SDP
// lists a connection's tracks, so a test reads what each peer receives.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using rtcmesh::sim::SimNetwork;
using Tracks = std::set<std::uint32_t>;

namespace {

void form(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
}

bool receives(SimNetwork& net, const std::string& who, const std::string& from, const Tracks& tracks) {
    return net.tracks_from(who, from) == tracks;
}

}  // namespace

TEST_CASE("tracks reach every peer or only the one they are for, and a later member too", "[mesh][media]") {
    SimNetwork net(51);
    form(net, {"a", "b", "c"});
    REQUIRE(net.mesh("a").add_track(1, "").ok());
    REQUIRE(net.mesh("b").add_track(2, "c").ok());
    REQUIRE(net.run_until([&] {
        return receives(net, "b", "a", {1}) && receives(net, "c", "a", {1}) && receives(net, "c", "b", {2});
    }, 10'000));
    net.run_for(1'000);
    CHECK(receives(net, "a", "b", {}));  // b's track is for c only
    CHECK(receives(net, "b", "c", {}));

    const std::vector<std::string> all{"a", "b", "c", "d"};
    net.add_node(sim::member_options("d", all));
    for (const auto& id : {"a", "b", "c"}) REQUIRE(net.mesh(id).add_peer("d").ok());
    REQUIRE(net.run_until([&] { return net.fully_meshed(all) && receives(net, "d", "a", {1}); }, 20'000));
    CHECK(receives(net, "d", "b", {}));

    REQUIRE(net.mesh("a").remove_track(1).ok());
    REQUIRE(net.run_until([&] {
        return receives(net, "b", "a", {}) && receives(net, "c", "a", {}) && receives(net, "d", "a", {});
    }, 10'000));
    CHECK(receives(net, "c", "b", {2}));
}

TEST_CASE("both ends adding tracks at once settle the glare and each gets the other's", "[mesh][media]") {
    for (std::uint64_t seed = 60; seed < 70; ++seed) {
        SimNetwork net(seed);
        form(net, {"a", "b"});
        REQUIRE(net.mesh("a").add_track(1, "").ok());
        REQUIRE(net.mesh("b").add_track(2, "").ok());
        INFO("seed " << seed);
        REQUIRE(net.run_until([&] { return receives(net, "a", "b", {2}) && receives(net, "b", "a", {1}); }, 10'000));
        CHECK(net.fully_meshed({"a", "b"}));
    }
}

TEST_CASE("tracks stay on through an ICE restart and come back on a re-made connection", "[mesh][media]") {
    SimNetwork net(52);
    form(net, {"a", "b", "c"});
    REQUIRE(net.mesh("a").add_track(1, "").ok());
    REQUIRE(net.run_until([&] { return receives(net, "b", "a", {1}) && receives(net, "c", "a", {1}); }, 10'000));

    net.mesh("a").on_network_change();  // a restarts ICE on its links as the offering side
    net.run_for(2'000);
    CHECK(receives(net, "b", "a", {1}));
    CHECK(net.fully_meshed({"a", "b", "c"}));

    // Long enough for ICE to fail: the connection is re-made, with the track.
    net.kill_link("a", "b");
    REQUIRE(net.run_until([&] { return net.mesh("a").relayed("b"); }, 20'000));
    net.run_for(15'000);
    net.restore_link("a", "b");
    REQUIRE(net.run_until([&] { return net.link_connected("a", "b") && receives(net, "b", "a", {1}); }, 90'000));
}

TEST_CASE("a peer reached only through a relay is reported: media is never relayed", "[mesh][media]") {
    SimNetwork net(53);
    form(net, {"a", "b", "c"});
    REQUIRE(net.mesh("a").add_track(1, "b").ok());
    net.kill_link("a", "b");
    REQUIRE(net.run_until([&] { return net.log("a").count(mesh::EventKind::media_relayed, "b") > 0; }, 20'000));
    CHECK(net.log("a").count(mesh::EventKind::media_relayed, "c") == 0);
    const auto& events = net.log("a").events;
    const auto it = std::find_if(events.begin(), events.end(),
                                 [](const mesh::Event& e) { return e.kind == mesh::EventKind::media_relayed; });
    CHECK(it->text == "c");  // the relay it goes through
}

TEST_CASE("bad track calls are refused with a reason", "[mesh][media]") {
    SimNetwork net(54);
    form(net, {"a", "b"});
    auto& a = net.mesh("a");
    CHECK(a.add_track(0, "").code == mesh::ErrorCode::bad_argument);
    CHECK(a.add_track(1, "nobody").code == mesh::ErrorCode::unknown_peer);
    REQUIRE(a.add_track(1, "").ok());
    CHECK(a.add_track(1, "").code == mesh::ErrorCode::bad_argument);
    CHECK(a.remove_track(2).code == mesh::ErrorCode::bad_argument);
    for (std::uint32_t t = 2; t <= mesh::kMaxTracks; ++t) REQUIRE(a.add_track(t, "").ok());
    const auto refused = a.add_track(1000, "");
    CHECK(refused.code == mesh::ErrorCode::bad_argument);
    CHECK(refused.message.find("64") != std::string::npos);
}

TEST_CASE("a polite peer whose renegotiation offer loses a glare offers again afterwards", "[mesh][media]") {
    // b is polite towards a (the higher id). Driven by hand, so the glare
    // happens for sure: the simulator's fake SDP would let b's track ride
    // a's offer, as a browser does when the kinds happen to match.
    mesh::LinkTimings timings;
    mesh::PeerLink link("b", "a", timings, "rtcmesh", "[]");
    mesh::Outbox out;
    const std::string offer_sdp = "v=0\r\no=- 77 1 IN IP4 0.0.0.0\r\ns=-\r\n";
    const auto local_descriptions = [&] {
        int count = 0;
        for (const auto& c : out.commands) count += c.kind == mesh::CommandKind::set_local_description ? 1 : 0;
        out.commands.clear();
        return count;
    };
    REQUIRE(link.receive_offer(out, 0, offer_sdp).ok());  // the connection, as a's offer makes it
    link.on_remote_description_set(out);
    link.on_local_description(out, mesh::SdpType::answer, "v=0\r\no=- 5 1 IN IP4 0.0.0.0\r\n");
    out.commands.clear();

    link.renegotiate(out);  // b added a track
    REQUIRE(local_descriptions() == 1);
    link.on_local_description(out, mesh::SdpType::offer, "v=0\r\no=- 5 2 IN IP4 0.0.0.0\r\n");
    REQUIRE(link.receive_offer(out, 10, offer_sdp).ok());  // a's offer crosses ours: polite b takes it
    link.on_remote_description_set(out);
    REQUIRE(local_descriptions() == 1);  // the answer
    link.on_local_description(out, mesh::SdpType::answer, "v=0\r\no=- 5 3 IN IP4 0.0.0.0\r\n");
    CHECK(local_descriptions() == 1);  // and b's offer again, for its track
}

TEST_CASE("an offer that arrives while the answer to ours is being applied is taken, not ignored", "[mesh][media]") {
    // a is impolite towards b. b answers a's offer and at once offers its own
    // new track; the signals arrive in order, the offer while a still applies
    // the answer. Ignoring it as a collision would leave b's track unsent.
    mesh::LinkTimings timings;
    mesh::PeerLink link("a", "b", timings, "rtcmesh", "[]");
    mesh::Outbox out;
    const auto count = [&](mesh::CommandKind kind, mesh::SdpType type = mesh::SdpType::offer) {
        int n = 0;
        for (const auto& c : out.commands)
            n += c.kind == kind && (kind != mesh::CommandKind::set_remote_description || c.sdp_type == type) ? 1 : 0;
        return n;
    };
    REQUIRE(link.create_offer(out, 0).ok());
    link.on_local_description(out, mesh::SdpType::offer, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
    REQUIRE(link.receive_answer(out, 5, "v=0\r\no=- 9 1 IN IP4 0.0.0.0\r\n").ok());
    REQUIRE(link.receive_offer(out, 6, "v=0\r\no=- 9 2 IN IP4 0.0.0.0\r\n").ok());  // b's next offer
    out.commands.clear();
    link.on_remote_description_set(out);  // the answer is in
    CHECK(count(mesh::CommandKind::set_remote_description, mesh::SdpType::offer) == 1);
}

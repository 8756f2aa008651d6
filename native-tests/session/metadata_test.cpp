// Member metadata over the session's system lane: every member learns every
// other's, a newcomer too, updates arrive once, and bad sizes are refused.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/session/session.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using rtcmesh::sim::SimNetwork;

namespace {

// The metadata events `id` saw from `peer`, in order.
std::vector<std::string> metadata_events(SimNetwork& net, const std::string& id, const std::string& peer) {
    std::vector<std::string> seen;
    for (const auto& e : net.log(id).events)
        if (e.kind == mesh::EventKind::metadata && e.peer == peer) seen.push_back(e.text);
    return seen;
}

std::string name_of(const std::string& id) { return "{\"name\":\"" + id + "\"}"; }

}  // namespace

TEST_CASE("every member learns every other's metadata, a newcomer too, and an update once", "[session][metadata]") {
    SimNetwork net(31);
    const std::vector<std::string> ids{"a", "b", "c"};
    for (const auto& id : ids) {
        net.add_node(sim::member_options(id, ids));
        REQUIRE(net.session(id).set_metadata(name_of(id)).ok());  // before any link: sent when they open
    }
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'000);
    for (const auto& id : ids)
        for (const auto& other : ids) {
            if (other == id) continue;
            CHECK(metadata_events(net, id, other) == std::vector<std::string>{name_of(other)});
            REQUIRE(net.session(id).metadata_of(other) != nullptr);
            CHECK(*net.session(id).metadata_of(other) == name_of(other));
        }

    REQUIRE(net.session("b").set_metadata("{\"name\":\"bea\"}").ok());
    REQUIRE(net.session("b").set_metadata("{\"name\":\"bea\"}").ok());  // unchanged: no second event
    net.run_for(1'000);
    CHECK(metadata_events(net, "a", "b") == std::vector<std::string>{name_of("b"), "{\"name\":\"bea\"}"});

    const std::vector<std::string> all{"a", "b", "c", "d"};
    net.add_node(sim::member_options("d", all));
    for (const auto& id : ids) REQUIRE(net.session(id).add_peer("d").ok());
    REQUIRE(net.session("d").set_metadata(name_of("d")).ok());
    REQUIRE(net.run_until([&] { return net.fully_meshed(all); }, 20'000));
    net.run_for(1'000);
    CHECK(metadata_events(net, "d", "b") == std::vector<std::string>{"{\"name\":\"bea\"}"});
    CHECK(metadata_events(net, "a", "d") == std::vector<std::string>{name_of("d")});

    // A link that fails and is re-made sends it again; nothing new, no event.
    net.kill_link("a", "c");
    net.run_for(30'000);
    net.restore_link("a", "c");
    REQUIRE(net.run_until([&] { return net.fully_meshed(all); }, 90'000));
    net.run_for(1'000);
    CHECK(metadata_events(net, "a", "c").size() == 1);

    // Gone from the mesh: forgotten.
    REQUIRE(net.session("a").remove_peer("d").ok());
    CHECK(net.session("a").metadata_of("d") == nullptr);
}

TEST_CASE("metadata past the bound is refused when set and dropped when received", "[session][metadata]") {
    SimNetwork net(32);
    const std::vector<std::string> ids{"a", "b"};
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));

    const auto refused = net.session("a").set_metadata(std::string(session::kMaxMetadataBytes + 1, 'x'));
    CHECK(refused.code == mesh::ErrorCode::message_too_large);
    CHECK(refused.message.find("4096") != std::string::npos);
    CHECK(net.session("a").own_metadata().empty());  // nothing changed

    // A hostile peer writes the frame itself, past the bound, and empty.
    for (const std::size_t size : {session::kMaxMetadataBytes + 1, std::size_t{0}}) {
        Bytes frame(size + 1, static_cast<std::uint8_t>('x'));
        frame[0] = static_cast<std::uint8_t>(session::SystemKind::metadata);
        REQUIRE(net.mesh("b").send("a", std::move(frame), false, true).ok());
    }
    net.run_for(1'000);
    CHECK(net.session("a").metadata_of("b") == nullptr);
    int refused_frames = 0;
    for (const auto& e : net.log("a").errors) refused_frames += e.code == mesh::ErrorCode::malformed_frame ? 1 : 0;
    CHECK(refused_frames == 2);
    CHECK(net.fully_meshed(ids));  // nothing else went down
}

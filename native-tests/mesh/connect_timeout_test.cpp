// The connect timeout cuts off attempts that are stuck, not attempts that are
// slow: on a loaded machine every step of a negotiation can take seconds.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;

namespace {

constexpr Millis kTimeoutMs = 2'000;

mesh::Options options_for(const std::string& id, const std::vector<std::string>& peers) {
    mesh::Options options = sim::member_options(id, peers);
    options.timings.connect_timeout_ms = kTimeoutMs;
    return options;
}

// A machine on which every WebRTC operation and every signaling hop is slow.
sim::SimConfig slow_machine(Millis op_ms, Millis hop_ms) {
    sim::SimConfig config;
    config.min_op_delay_ms = op_ms;
    config.max_op_delay_ms = op_ms + op_ms / 4;
    config.description_delay_ms = hop_ms;
    config.candidate_delay_ms = hop_ms;
    return config;
}

int failures(sim::SimNetwork& net, const std::vector<std::string>& ids) {
    int n = 0;
    for (const auto& id : ids) n += net.log(id).count(mesh::EventKind::failed);
    return n;
}

}  // namespace

TEST_CASE("a link whose every step is slow but progressing opens on its first attempt", "[mesh][timeout]") {
    sim::SimNetwork net(4, slow_machine(350, 250));
    const std::vector<std::string> ids{"a", "b"};
    for (const auto& id : ids) net.add_node(options_for(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 60'000));
    CHECK(net.now() > kTimeoutMs);  // the whole negotiation took longer than the timeout
    CHECK(failures(net, ids) == 0);
}

TEST_CASE("on a machine too slow for the timeout, later attempts wait longer and link", "[mesh][timeout]") {
    // The peer is silent for longer than the timeout while it works.
    sim::SimNetwork net(4, slow_machine(1'000, 700));
    const std::vector<std::string> ids{"a", "b"};
    for (const auto& id : ids) net.add_node(options_for(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 120'000));
    CHECK(failures(net, ids) >= 1);  // the first attempt was cut off
    CHECK(failures(net, ids) <= 4);
}

TEST_CASE("a link attempt that hears nothing from its peer still fails at the timeout", "[mesh][timeout]") {
    sim::SimNetwork net(4);
    const std::vector<std::string> ids{"a", "b"};
    net.add_node(options_for("a", ids));  // b never comes: a's offer goes nowhere
    REQUIRE(net.run_until([&] { return net.log("a").count(mesh::EventKind::failed, "b") > 0; }, 10'000));
    CHECK(net.now() >= kTimeoutMs);
    CHECK(net.now() < kTimeoutMs + 1'000);
}

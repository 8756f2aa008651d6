// Acks: one per 16 small messages under a steady stream, not one per tick,
// and never later than ack_delay_ms; a big message is acked at once, so a
// sender that paces on queued_bytes does not wait on the delay.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/mesh/frame.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;
using rtcmesh::sim::SimConfig;
using rtcmesh::sim::SimNetwork;

namespace {

struct Pair {
    SimNetwork net;
    int acks_from_b = 0;  // ack frames b put on its channel to a

    explicit Pair(std::uint64_t seed) : net(seed, as_the_js_host()) {
        const std::vector<std::string> ids{"a", "b"};
        for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
        net.tamper = [this](const std::string& from, const std::string&, Bytes& frame) {
            if (from == "b" && frame.size() > 1 && frame[1] == static_cast<std::uint8_t>(FrameType::ack)) ++acks_from_b;
        };
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
        net.run_for(1'000);
    }

    static SimConfig as_the_js_host() {
        SimConfig config;
        config.tick_at_next_wakeup = true;
        return config;
    }

    std::size_t received_by_b() const {
        std::size_t n = 0;
        for (const auto& m : const_cast<SimNetwork&>(net).log("b").messages) n += m.from == "a";
        return n;
    }
};

}  // namespace

TEST_CASE("a steady stream of small messages gets about one ack per 16 of them", "[mesh][ack]") {
    Pair pair(301);
    const int messages = 160;
    const int before = pair.acks_from_b;
    for (int i = 0; i < messages; ++i) {
        REQUIRE(pair.net.mesh("a").send("b", Bytes(100, 7), false).ok());
        pair.net.run_for(10);  // 100 a second, as the load benchmark sends
    }
    pair.net.run_for(1'000);
    REQUIRE(pair.received_by_b() == static_cast<std::size_t>(messages));
    CHECK(pair.net.mesh("a").queued_bytes("b") == 0);
    const int acks = pair.acks_from_b - before;
    const Options defaults;
    // 10 for every 16th message, and at most a few for the tail; an ack per
    // busy tick (every 25 ms) was about 64.
    CHECK(acks >= messages / static_cast<int>(defaults.ack_every_messages));
    CHECK(acks <= messages / static_cast<int>(defaults.ack_every_messages) + 3);
}

TEST_CASE("a lone message is acked within ack_delay_ms; a big one at once", "[mesh][ack]") {
    Pair pair(302);
    const Options defaults;
    REQUIRE(pair.net.mesh("a").send("b", Bytes(100, 1), false).ok());
    REQUIRE(pair.net.run_until([&] { return pair.received_by_b() == 1; }, 1'000));
    const Millis delivered = pair.net.now();
    REQUIRE(pair.net.run_until([&] { return pair.net.mesh("a").queued_bytes("b") == 0; }, 2'000));
    CHECK(pair.net.now() - delivered <= defaults.ack_delay_ms + Mesh::kBusyTickMs + 50);

    REQUIRE(pair.net.mesh("a").send("b", Bytes(defaults.ack_every_bytes, 2), false).ok());
    REQUIRE(pair.net.run_until([&] { return pair.received_by_b() == 2; }, 2'000));
    const Millis big_delivered = pair.net.now();
    REQUIRE(pair.net.run_until([&] { return pair.net.mesh("a").queued_bytes("b") == 0; }, 2'000));
    CHECK(pair.net.now() - big_delivered < defaults.ack_delay_ms / 2);
}

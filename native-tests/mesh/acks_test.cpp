// Acks: one per 64 small messages under a steady stream, not one per tick,
// and never later than ack_delay_ms; a big message is acked at once, so a
// sender that paces on queued_bytes does not wait on the delay. Under a
// two-way stream they ride on the data (flag_ack) instead.
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
    int acks_from_a = 0;
    int acks_on_data = 0;  // data frames either put on a channel with an ack (flag_ack)

    explicit Pair(std::uint64_t seed) : net(seed, as_the_js_host()) {
        const std::vector<std::string> ids{"a", "b"};
        for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
        net.tamper = [this](const std::string& from, const std::string&, Bytes& frame) {
            if (frame.size() < kHeaderSize) return;
            if (frame[1] == static_cast<std::uint8_t>(FrameType::ack)) ++(from == "b" ? acks_from_b : acks_from_a);
            if (frame[1] == static_cast<std::uint8_t>(FrameType::data) && (frame[2] & flag_ack) != 0) ++acks_on_data;
        };
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
        net.run_for(1'000);
    }

    static SimConfig as_the_js_host() {
        SimConfig config;
        config.tick_at_next_wakeup = true;
        return config;
    }

    std::size_t received_by(const std::string& to, const std::string& from) const {
        std::size_t n = 0;
        for (const auto& m : const_cast<SimNetwork&>(net).log(to).messages) n += m.from == from;
        return n;
    }
    std::size_t received_by_b() const { return received_by("b", "a"); }
};

}  // namespace

TEST_CASE("a steady stream of small messages gets about one ack per 64 of them", "[mesh][ack]") {
    Pair pair(301);
    const Options defaults;
    const int every = static_cast<int>(defaults.ack_every_messages);
    const int messages = 10 * every;
    const int before = pair.acks_from_b;
    for (int i = 0; i < messages; ++i) {
        REQUIRE(pair.net.mesh("a").send("b", Bytes(100, 7), false).ok());
        pair.net.run_for(1);  // 1000 a second: the count, not the delay, sends the acks
    }
    pair.net.run_for(1'000);
    REQUIRE(pair.received_by_b() == static_cast<std::size_t>(messages));
    CHECK(pair.net.mesh("a").queued_bytes("b") == 0);
    const int acks = pair.acks_from_b - before;
    // 10 for every 64th message, and at most a few for the tail; an ack per
    // busy tick (every 25 ms) would be about 26.
    CHECK(acks >= messages / every);
    CHECK(acks <= messages / every + 3);
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

TEST_CASE("a two-way stream carries its acks on the data: almost no ack frames", "[mesh][ack]") {
    Pair pair(302);
    const int messages = 160;
    const int before = pair.acks_from_a + pair.acks_from_b;
    for (int i = 0; i < messages; ++i) {
        REQUIRE(pair.net.mesh("a").send("b", Bytes(100, 7), false).ok());
        REQUIRE(pair.net.mesh("b").send("a", Bytes(100, 8), false).ok());
        pair.net.run_for(10);
    }
    pair.net.run_for(1'000);
    REQUIRE(pair.received_by("b", "a") == static_cast<std::size_t>(messages));
    REQUIRE(pair.received_by("a", "b") == static_cast<std::size_t>(messages));
    // Everything was acknowledged: the senders hold no copies.
    CHECK(pair.net.mesh("a").queued_bytes("b") == 0);
    CHECK(pair.net.mesh("b").queued_bytes("a") == 0);
    // With acks only as frames of their own this took 16 (one per 200 ms
    // each way); here only the tail's (after the last data frame each way).
    CHECK(pair.acks_from_a + pair.acks_from_b - before <= 2);
    CHECK(pair.acks_on_data >= messages / 16);
}

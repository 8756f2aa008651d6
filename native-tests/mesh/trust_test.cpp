// Attacks by a member of the mesh, over the simulated WebRTC: speaking as
// another member, laundering a forged frame through a relay, crafting an id
// that collides on the wire, and starving a peer's reassembly. Where a
// protection has a test-only switch, each attack is run with it off first,
// to show the test bites.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mesh/sim_webrtc.hpp"
#include "mesh/trust_checks.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;
using rtcmesh::sim::SimNetwork;
using rtcmesh::sim::errors_of;
using rtcmesh::sim::forged_reports;
using rtcmesh::sim::received;

namespace {

const std::vector<std::string> kRoom{"alice", "bob", "mallory"};

void form(SimNetwork& net, const std::vector<std::string>& ids, Options base = {}, TestFaults faults = {}) {
    for (const auto& id : ids) {
        Options o = base;
        o.id = id;
        o.peers = ids;
        net.add_node(o, faults);
    }
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'500);  // link state advertised everywhere
}

// A data frame that claims to come from `claimed`, as mallory writes it.
Bytes forged(SimNetwork& net, const std::string& claimed, const std::string& to, const std::string& text,
             std::uint8_t hops, std::uint32_t message_id) {
    FrameHeader h;
    h.flags = flag_text;
    h.hops_left = hops;
    h.origin = peer_hash(claimed);
    h.origin_epoch = net.mesh(claimed).epoch();  // every neighbour sees it in every frame
    h.destination = peer_hash(to);
    h.message_id = message_id;
    h.total_length = static_cast<std::uint32_t>(text.size());
    return encode_frame(h, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

TEST_CASE("a member cannot speak as another on its own link", "[mesh][trust]") {
    const bool protection = GENERATE(false, true);
    const TestFaults faults{.accept_any_origin = !protection};
    SimNetwork net(101);
    form(net, kRoom, {}, faults);
    // Both forms: as if alice wrote it to mallory's link, and as if mallory
    // relayed it for alice (whose own link to bob is up).
    for (const std::uint8_t hops : {kDefaultHops, kRelayedHops}) {
        const std::string text = "pay eve 9999 (hops " + std::to_string(hops) + ")";
        const std::uint32_t id = hops == kDefaultHops ? 1 : 2;
        REQUIRE(net.inject("mallory", "bob", forged(net, "alice", "bob", text, hops, id)));
        net.run_for(200);
        CHECK(received(net, "bob", "alice", text) == !protection);
    }
    if (protection) CHECK(forged_reports(net, "bob", "mallory") == 1);  // the relayed copy is dropped quietly
    // alice's own stream is untouched: her message 1 is still hers to send.
    REQUIRE(net.mesh("alice").send("bob", to_bytes("pay bob 10"), true).ok());
    REQUIRE(net.run_until([&] { return received(net, "bob", "alice", "pay bob 10") || !protection; }, 5'000));
    if (protection) CHECK(received(net, "bob", "alice", "pay bob 10"));
}

TEST_CASE("a relay forwards only frames written by the neighbour that hands them over", "[mesh][trust][relay]") {
    const bool protection = GENERATE(false, true);
    const TestFaults faults{.accept_any_origin = !protection};
    SimNetwork net(102);
    const std::vector<std::string> room{"alice", "bob", "carol", "mallory"};
    form(net, room, {}, faults);
    net.kill_link("alice", "bob");  // bob now hears alice only through relays: a relayed alice frame is plausible
    REQUIRE(net.run_until([&] { return net.mesh("bob").relayed("alice"); }, 10'000));
    // mallory asks carol to carry a frame "from alice" to bob.
    REQUIRE(net.inject("mallory", "carol", forged(net, "alice", "bob", "pay eve 9999", kDefaultHops, 1)));
    net.run_for(500);
    CHECK(received(net, "bob", "alice", "pay eve 9999") == !protection);
    if (protection) CHECK(forged_reports(net, "carol", "mallory") == 1);
    // Real relaying still works: alice's message reaches bob through a relay.
    REQUIRE(net.mesh("alice").send("bob", to_bytes("pay bob 10"), true).ok());
    if (protection) CHECK(net.run_until([&] { return received(net, "bob", "alice", "pay bob 10"); }, 10'000));
}

TEST_CASE("an id crafted to collide on the wire is refused, and the room stays open", "[mesh][trust]") {
    // 12-bit hashes make a collision quick to find; 64-bit ones do not, but
    // crafted FNV collisions exist, so refusing must be harmless either way.
    const TestFaults faults{.id_hash_bits = 12};
    const auto hash12 = [](const std::string& id) {
        const PeerHash h = peer_hash(id) & 0xfff;
        return h == 0 ? PeerHash{1} : h;
    };
    std::string eve;
    for (int i = 0; i < 200'000 && eve.empty(); ++i) {
        const std::string candidate = "eve-" + std::to_string(i);
        if (hash12(candidate) == hash12("alice")) eve = candidate;
    }
    REQUIRE(!eve.empty());
    const std::vector<std::string> members{"alice", "bob", "carol"};
    for (const auto& a : members)
        for (const auto& b : members)
            if (a != b) REQUIRE(hash12(a) != hash12(b));
    REQUIRE(hash12("dave") != hash12("alice"));
    REQUIRE(hash12("dave") != hash12("bob"));
    REQUIRE(hash12("dave") != hash12("carol"));

    SimNetwork net(103);
    form(net, members, {}, faults);
    // eve arrives; every member hears of her, and she hears of them.
    for (const auto& m : members) CHECK(net.mesh(m).add_peer(eve).code == ErrorCode::peer_refused);
    Options eve_options;
    eve_options.id = eve;
    eve_options.peers = {"alice", "bob", "carol", eve};
    Mesh& eve_mesh = net.add_node(eve_options, faults);
    CHECK(eve_mesh.init_status().ok());  // her own room view does not fail either
    // A later member joins a room that lists eve: nothing throws, and dave
    // links with every real member.
    Options dave_options;
    dave_options.id = "dave";
    dave_options.peers = {"alice", "bob", "carol", eve, "dave"};
    for (const auto& m : members) REQUIRE(net.mesh(m).add_peer("dave").ok());
    Mesh& dave = net.add_node(dave_options, faults);
    REQUIRE(dave.init_status().ok());
    REQUIRE(net.run_until([&] { return net.fully_meshed({"alice", "bob", "carol", "dave"}); }, 20'000));
    int refusals = 0;
    for (const auto& e : net.log("dave").errors)
        if (e.code == ErrorCode::peer_refused && e.peer == eve) ++refusals;
    CHECK(refusals == 1);
}

TEST_CASE("one peer's huge reassembly claims do not delay another's messages", "[mesh][trust][data]") {
    SimNetwork net(104);
    Options base;
    form(net, kRoom, base);
    // mallory opens 300 messages, each claiming 64 MiB, and finishes none.
    const Bytes chunk(1000, 0x55);
    for (std::uint32_t id = 1; id <= 300; ++id) {
        FrameHeader h;
        h.origin = peer_hash("mallory");
        h.origin_epoch = net.mesh("mallory").epoch();
        h.destination = peer_hash("bob");
        h.message_id = id;
        h.total_length = base.max_message_bytes;
        REQUIRE(net.inject("mallory", "bob", encode_frame(h, chunk.data(), chunk.size())));
    }
    // alice's big and small messages still go through at once.
    Bytes big(3u << 20);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
    const Millis start = net.now();
    REQUIRE(net.mesh("alice").send("bob", big, false).ok());
    REQUIRE(net.mesh("alice").send("bob", to_bytes("after the big one"), true).ok());
    REQUIRE(net.run_until([&] { return received(net, "bob", "alice", "after the big one"); }, 10'000));
    bool big_arrived = false;
    for (const auto& m : net.log("bob").messages) big_arrived |= m.from == "alice" && m.data == big;
    CHECK(big_arrived);
    CHECK(net.now() - start < 2'000);  // 3 MiB at the sim's 20 MB/s, not a 30 s reassembly timeout
    // Only mallory's own claims were refused, and only past her own budget.
    int limit_errors = 0;
    for (const auto& e : net.log("bob").errors) {
        if (e.code != ErrorCode::reassembly_limit) continue;
        ++limit_errors;
        CHECK(e.peer == "mallory");
    }
    CHECK(limit_errors == 300 - static_cast<int>(base.reassembly.max_messages));
}

// End-to-end MACs on relayed frames (src/core/mesh/relay_auth.hpp), over the
// simulated WebRTC: with alice's link to bob down, mallory is the relay
// between them and runs a modified client that alters, strips or invents
// what she carries. Each attack runs first without a shared key (the
// protection off: it succeeds, so the test bites), then with one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/mesh/relay_auth.hpp"
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

RelayKey key_of(std::uint8_t seed) {
    RelayKey k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + 31 * i);
    return k;
}

// alice, bob and mallory, fully meshed; then alice's link to bob fails, so
// mallory relays between them. With `keys`, alice and bob share a key.
void form_relayed(SimNetwork& net, bool keys) {
    for (const auto& id : kRoom) {
        Options o;
        o.id = id;
        o.peers = kRoom;
        net.add_node(o);
    }
    REQUIRE(net.run_until([&] { return net.fully_meshed(kRoom); }, 20'000));
    if (keys) {
        const RelayKey k = key_of(7);
        REQUIRE(net.mesh("alice").set_relay_key("bob", k.data(), k.size()).ok());
        REQUIRE(net.mesh("bob").set_relay_key("alice", k.data(), k.size()).ok());
    }
    net.run_for(1'500);
    net.kill_link("alice", "bob");
    REQUIRE(net.run_until([&] { return net.mesh("alice").relayed("bob") && net.mesh("bob").relayed("alice"); }, 10'000));
}

bool is_relayed_from(const Bytes& frame, const std::string& origin) {
    const auto decoded = decode_frame(frame, 64u << 20);
    return decoded.header && decoded.header->type == FrameType::data && decoded.header->hops_left == kRelayedHops &&
           decoded.header->origin == peer_hash(origin);
}

// Replaces the first `from` in the frame's bytes with `to` (same length).
void rewrite(Bytes& frame, const std::string& from, const std::string& to) {
    auto at = std::search(frame.begin(), frame.end(), from.begin(), from.end());
    if (at != frame.end()) std::copy(to.begin(), to.end(), at);
}

}  // namespace

TEST_CASE("a relay cannot alter what it carries between members that share a key", "[mesh][trust][relay]") {
    const bool keys = GENERATE(false, true);
    SimNetwork net(201);
    form_relayed(net, keys);
    net.tamper = [](const std::string& from, const std::string& to, Bytes& frame) {
        if (from == "mallory" && to == "bob" && is_relayed_from(frame, "alice")) rewrite(frame, "pay bob 10", "pay eve 99");
    };
    REQUIRE(net.mesh("alice").send("bob", to_bytes("pay bob 10"), true).ok());
    net.run_for(3'000);
    CHECK(received(net, "bob", "alice", "pay eve 99") == !keys);
    if (!keys) return;
    CHECK(forged_reports(net, "bob", "mallory") >= 1);
    // The relay can hold the message back, not change it: once alice's own
    // link is back, the real one arrives.
    net.restore_link("alice", "bob");
    REQUIRE(net.run_until([&] { return received(net, "bob", "alice", "pay bob 10"); }, 20'000));
    CHECK_FALSE(received(net, "bob", "alice", "pay eve 99"));
}

TEST_CASE("a relay cannot strip the tag, or invent a frame, for members that share a key", "[mesh][trust][relay]") {
    const bool keys = GENERATE(false, true);
    SimNetwork net(202);
    form_relayed(net, keys);
    // Stripped: the tag cut off and its flag cleared, the text altered.
    net.tamper = [](const std::string& from, const std::string& to, Bytes& frame) {
        if (from != "mallory" || to != "bob" || !is_relayed_from(frame, "alice")) return;
        if ((frame[2] & flag_relay_tag) != 0) {
            frame.resize(frame.size() - kRelayTagBytes);
            frame[2] &= static_cast<std::uint8_t>(~flag_relay_tag);
        }
        rewrite(frame, "pay bob 10", "pay eve 99");
    };
    REQUIRE(net.mesh("alice").send("bob", to_bytes("pay bob 10"), true).ok());
    net.run_for(3'000);
    CHECK(received(net, "bob", "alice", "pay eve 99") == !keys);
    // Invented: a frame "from alice" that alice never wrote, as relayed by
    // mallory (alice's next message id, alice's epoch: both seen on the wire).
    net.tamper = nullptr;
    FrameHeader h;
    h.flags = flag_text;
    h.hops_left = kRelayedHops;
    h.origin = peer_hash("alice");
    h.origin_epoch = net.mesh("alice").epoch();
    h.destination = peer_hash("bob");
    h.message_id = keys ? 1 : 2;
    const std::string text = "pay eve 9999";
    h.total_length = static_cast<std::uint32_t>(text.size());
    Bytes invented = encode_frame(h, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    if (keys) append_relay_tag(key_of(99), invented);  // mallory's guess at a key
    REQUIRE(net.inject("mallory", "bob", invented));
    net.run_for(500);
    CHECK(received(net, "bob", "alice", text) == !keys);
    if (keys) CHECK(forged_reports(net, "bob", "mallory") == 1);  // the stripped ones were dropped quietly
}

TEST_CASE("members that share a key relay messages, acks and large messages as before", "[mesh][trust][relay]") {
    SimNetwork net(203);
    form_relayed(net, true);
    int tagged = 0;
    net.tamper = [&](const std::string& from, const std::string&, Bytes& frame) {
        if (from == "mallory" && frame.size() > kHeaderSize && (frame[2] & flag_relay_tag) != 0) ++tagged;
    };
    Bytes big(300u << 10);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 13);
    REQUIRE(net.mesh("alice").send("bob", big, false).ok());
    REQUIRE(net.mesh("bob").send("alice", to_bytes("hello alice"), true).ok());
    REQUIRE(net.run_until([&] {
        bool big_arrived = false;
        for (const auto& m : net.log("bob").messages) big_arrived |= m.from == "alice" && m.data == big;
        return big_arrived && received(net, "alice", "bob", "hello alice") && net.mesh("alice").queued_bytes("bob") == 0 &&
               net.mesh("bob").queued_bytes("alice") == 0;  // the acks came back through the relay too
    }, 20'000));
    CHECK(tagged > 4);  // the chunks, the acks, both ways
    CHECK(forged_reports(net, "bob", "mallory") == 0);
    CHECK(forged_reports(net, "alice", "mallory") == 0);
}

TEST_CASE("a relay key is 32 bytes, for a known peer", "[mesh][trust]") {
    SimNetwork net(204);
    Options o;
    o.id = "alice";
    o.peers = {"alice", "bob"};
    Mesh& alice = net.add_node(o);
    const RelayKey k = key_of(1);
    CHECK(alice.set_relay_key("bob", k.data(), 31).code == ErrorCode::bad_argument);
    CHECK(alice.set_relay_key("carol", k.data(), k.size()).code == ErrorCode::unknown_peer);
    CHECK(alice.set_relay_key("bob", k.data(), k.size()).ok());
}

TEST_CASE("a tag is checked over everything but hops_left", "[mesh][trust][frame]") {
    FrameHeader h;
    h.origin = 5;
    h.destination = 6;
    h.message_id = 1;
    h.total_length = 3;
    const Bytes plain = encode_frame(h, reinterpret_cast<const std::uint8_t*>("abc"), 3);
    Bytes tagged = plain;
    append_relay_tag(key_of(3), tagged);
    REQUIRE(tagged.size() == plain.size() + kRelayTagBytes);
    const auto decoded = decode_frame(tagged, 1024);
    REQUIRE(decoded.header);  // the decoder does not count the tag as payload
    Bytes relayed = tagged;
    set_hops_left(relayed, kRelayedHops);
    CHECK(strip_relay_tag(key_of(3), relayed));
    relayed[2] = plain[2];
    relayed[3] = plain[3];
    CHECK(relayed == plain);
    Bytes copy = tagged;
    CHECK_FALSE(strip_relay_tag(key_of(4), copy));  // another key
    for (const std::size_t at : {std::size_t{0}, std::size_t{8}, std::size_t{24}, plain.size() - 1, tagged.size() - 1}) {
        Bytes altered = tagged;
        altered[at] ^= 1;
        CHECK_FALSE(strip_relay_tag(key_of(3), altered));
    }
    Bytes truncated(tagged.begin(), tagged.begin() + kHeaderSize + 4);
    truncated[2] |= flag_relay_tag;
    CHECK_FALSE(decode_frame(truncated, 1024).header);  // shorter than its tag
}

namespace {

// Members of `ids` that share pairwise keys from the start (as a room with a
// secret gives them, before any link opens).
void add_keyed(SimNetwork& net, const std::vector<std::string>& ids, bool keys) {
    for (const auto& id : ids) {
        Options o;
        o.id = id;
        o.peers = ids;
        Mesh& m = net.add_node(o);
        if (!keys) continue;
        for (const auto& peer : ids) {
            if (peer == id) continue;
            const RelayKey k = key_of(static_cast<std::uint8_t>(std::min(id[0], peer[0]) * 3 + std::max(id[0], peer[0])));
            REQUIRE(m.set_relay_key(peer, k.data(), k.size()).ok());
        }
    }
}

}  // namespace

TEST_CASE("members that share a key open each link only after proving the key over it", "[mesh][trust][proof]") {
    SimNetwork net(205);
    int proofs = 0;
    std::map<std::string, int> first_frames;  // "from>to": frames seen before (and including) the proof
    net.tamper = [&](const std::string& from, const std::string& to, Bytes& frame) {
        if (frame.size() > 1 && frame[1] == static_cast<std::uint8_t>(FrameType::link_proof)) ++proofs;
        const std::string pair = from + ">" + to;
        if (first_frames[pair] == 0) first_frames[pair] = frame[1];  // the type of the first frame on the link
    };
    add_keyed(net, kRoom, true);
    REQUIRE(net.run_until([&] { return net.fully_meshed(kRoom); }, 20'000));
    CHECK(proofs == 6);  // one each way on each of the three links
    for (const auto& [pair, type] : first_frames) CHECK(type == static_cast<int>(FrameType::link_proof));
    for (const auto& id : kRoom) CHECK(errors_of(net, id, ErrorCode::bad_link_proof) == 0);
    REQUIRE(net.mesh("alice").send("bob", to_bytes("hi bob"), true).ok());
    CHECK(net.run_until([&] { return received(net, "bob", "alice", "hi bob"); }, 5'000));
}

TEST_CASE("a server in the middle of a link between members that share a key is found out", "[mesh][trust][proof]") {
    // The server answers alice and bob each with a connection of its own: each
    // applies an SDP whose fingerprint is the server's, not the other's.
    const bool keys = GENERATE(false, true);
    SimNetwork net(206);
    net.tamper_sdp = [](const std::string& from, const std::string& to, std::string& sdp) {
        if ((from == "alice" && to == "bob") || (from == "bob" && to == "alice")) {
            const auto at = sdp.find("a=fingerprint:sha-256 ");
            sdp.insert(at + 22, "999");  // the bridge's own certificate
        }
    };
    add_keyed(net, kRoom, keys);
    net.run_for(20'000);
    CHECK((net.mesh("alice").ready_state("bob") == "open") == !keys);  // with keys: failed, being retried
    if (!keys) return;  // the bridged link opened as if direct: the attack works without keys
    CHECK(errors_of(net, "alice", ErrorCode::bad_link_proof) >= 1);
    CHECK(errors_of(net, "bob", ErrorCode::bad_link_proof) >= 1);
    CHECK(net.log("alice").addchannel["bob"] == 0);
    // The room still works around it: alice's message goes through mallory's relay.
    REQUIRE(net.mesh("alice").relayed("bob"));
    REQUIRE(net.mesh("alice").send("bob", to_bytes("around the bridge"), true).ok());
    CHECK(net.run_until([&] { return received(net, "bob", "alice", "around the bridge"); }, 10'000));
    // Without the server in the middle, the next attempt links them.
    net.tamper_sdp = nullptr;
    CHECK(net.run_until([&] { return net.mesh("alice").ready_state("bob") == "open"; }, 60'000));
}

TEST_CASE("a peer that holds another key cannot open a link", "[mesh][trust][proof]") {
    SimNetwork net(207);
    add_keyed(net, {"alice", "bob"}, true);
    const RelayKey other = key_of(200);
    REQUIRE(net.mesh("bob").set_relay_key("alice", other.data(), other.size()).ok());
    net.run_for(20'000);
    CHECK(net.mesh("alice").ready_state("bob") != "open");
    CHECK(net.mesh("bob").ready_state("alice") != "open");
    CHECK(errors_of(net, "alice", ErrorCode::bad_link_proof) >= 1);
}

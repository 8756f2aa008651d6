// Mesh behaviour over the simulated WebRTC: formation, glare, trickle ICE,
// relay + recovery, vanishing peers, large messages, backpressure, fuzzing.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;
using rtcmesh::sim::SimConfig;
using rtcmesh::sim::SimNetwork;

namespace {

std::vector<std::string> make_ids(int n) {
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "p%02d", i);
        ids.emplace_back(buf);
    }
    return ids;
}

Options make_options(const std::string& id, const std::vector<std::string>& peers) {
    Options o;
    o.id = id;
    o.peers = peers;
    return o;
}

void add_all(SimNetwork& net, const std::vector<std::string>& ids, Options base = {}) {
    for (const auto& id : ids) {
        Options o = base;
        o.id = id;
        o.peers = ids;
        net.add_node(o);
    }
}

Bytes pattern(std::size_t size, std::uint32_t seed) {
    Bytes b(size);
    Rng rng(seed);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng.next());
    return b;
}

Bytes numbered(int n) { return to_bytes("msg-" + std::to_string(n)); }

int error_count(const sim::NodeLog& log, ErrorCode code) {
    int n = 0;
    for (const auto& e : log.errors)
        if (e.code == code) ++n;
    return n;
}

}  // namespace

TEST_CASE("meshes of 2, 4, 8 and 16 peers form completely", "[mesh]") {
    for (int n : {2, 4, 8, 16}) {
        DYNAMIC_SECTION("n = " << n) {
            SimNetwork net(1000 + static_cast<std::uint64_t>(n));
            const auto ids = make_ids(n);
            add_all(net, ids);
            REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 30'000));
            net.run_for(2'000);  // nothing half-made appears afterwards
            CHECK(net.fully_meshed(ids));
            for (const auto& a : ids) {
                const auto& log = net.log(a);
                CHECK(log.errors.empty());
                CHECK(log.signaling_errors.empty());
                for (const auto& b : ids) {
                    if (a == b) continue;
                    CHECK(log.addchannel.at(b) == 1);
                    CHECK(log.removechannel.count(b) == 0);
                    CHECK(net.mesh(a).ready_state(b) == "open");
                    CHECK(net.mesh(a).user_channel(b) != 0);
                }
            }
        }
    }
}

TEST_CASE("a broadcast reaches peers whose links are still being made", "[mesh]") {
    SimNetwork net(5);
    const auto ids = make_ids(4);
    add_all(net, ids);
    net.run_for(30);  // offers out, no channel open yet
    REQUIRE_FALSE(net.fully_meshed(ids));
    REQUIRE(net.mesh("p00").broadcast(to_bytes("early"), true).ok());
    REQUIRE(net.run_until([&] {
        for (const auto& id : ids)
            if (id != "p00" && net.log(id).messages.empty()) return false;
        return true;
    }, 20'000));
}

TEST_CASE("glare: both peers offer at once and end with one channel", "[mesh]") {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        SimNetwork net(seed);
        const std::vector<std::string> ids{"alice", "bob"};
        add_all(net, ids);
        REQUIRE(net.mesh("alice").create_offer("bob").ok());
        REQUIRE(net.mesh("bob").create_offer("alice").ok());
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
        net.run_for(1'000);
        CHECK(net.fully_meshed(ids));
        CHECK(net.log("alice").addchannel.at("bob") == 1);
        CHECK(net.log("bob").addchannel.at("alice") == 1);
        CHECK(net.log("alice").count(EventKind::offer) + net.log("bob").count(EventKind::offer) >= 2);
    }
}

TEST_CASE("candidates delivered before the remote description still connect", "[mesh]") {
    SimConfig config;
    config.description_delay_ms = 300;
    config.candidate_delay_ms = 0;
    SimNetwork net(7, config);
    const auto ids = make_ids(4);
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 30'000));
    for (const auto& id : ids) CHECK(net.log(id).signaling_errors.empty());
}

TEST_CASE("killed link: relay carries traffic exactly once in order, ICE restart brings it back", "[mesh][relay]") {
    // Also with each mesh ticked only when its next_wakeup() is due, as the JS host does.
    SimConfig config;
    config.tick_at_next_wakeup = GENERATE(false, true);
    SimNetwork net(42, config);
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'500);  // link state has been advertised

    int sent = 0;
    auto send_some = [&](int count) {
        for (int i = 0; i < count; ++i) {
            REQUIRE(net.mesh("a").send("b", numbered(sent), false).ok());
            REQUIRE(net.mesh("b").send("a", numbered(100000 + sent), true).ok());
            ++sent;
            net.run_for(10);
        }
    };
    send_some(50);
    net.kill_link("a", "b");
    send_some(300);  // 3 s of traffic while the direct link is down
    CHECK(net.mesh("a").relayed("b"));
    CHECK(net.log("a").count(EventKind::relay_on, "b") >= 1);
    CHECK(net.log("a").count(EventKind::disconnected, "b") == 1);

    net.restore_link("a", "b");
    send_some(300);
    REQUIRE(net.run_until([&] { return !net.mesh("a").relayed("b") && !net.mesh("b").relayed("a"); }, 10'000));
    CHECK(net.log("a").count(EventKind::ice_restart, "b") >= 1);
    CHECK(net.log("a").count(EventKind::relay_off, "b") >= 1);
    CHECK(net.log("a").removechannel.count("b") == 0);  // recovered without tearing down
    send_some(50);
    net.run_for(6'000);

    auto check_stream = [&](const std::string& receiver, const std::string& from, int base, bool text) {
        std::vector<std::string> got;
        for (const auto& m : net.log(receiver).messages)
            if (m.from == from) {
                got.push_back(to_string(m.data));
                CHECK(m.is_text == text);
            }
        REQUIRE(got.size() == static_cast<std::size_t>(sent));
        for (int i = 0; i < sent; ++i) CHECK(got[static_cast<std::size_t>(i)] == to_string(numbered(base + i)));
    };
    check_stream("b", "a", 0, false);
    check_stream("a", "b", 100000, true);
    CHECK(net.mesh("a").queued_bytes("b") == 0);  // everything acknowledged
    CHECK(net.fully_meshed(ids));
}

TEST_CASE("switching back from a relay to the direct link stalls nothing: the relay's share is sent again directly",
          "[mesh][relay]") {
    // The receiver drops relayed copies once its own link to the origin is
    // up; with a retransmit timeout of a minute, a message left with the
    // relay would hold its whole stream back far past this test's waits.
    int runs_that_switched = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        INFO("seed " << seed);
        SimNetwork net(seed);
        const std::vector<std::string> ids{"a", "b", "c"};
        Options base;
        base.retransmit_timeout_ms = 60'000;
        add_all(net, ids, base);
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
        net.run_for(1'500);
        int sent = 0;
        auto send_for = [&](Millis ms) {
            for (Millis t = 0; t < ms; t += 10, ++sent) {
                REQUIRE(net.mesh("a").send("b", numbered(sent), false).ok());
                net.run_for(10);
            }
        };
        net.kill_link("a", "b");
        send_for(1'000);
        runs_that_switched += net.mesh("a").relayed("b") ? 1 : 0;
        net.restore_link("a", "b");
        send_for(3'000);
        net.run_for(1'000);
        std::size_t got = 0;
        for (const auto& m : net.log("b").messages) got += m.from == "a" ? 1 : 0;
        CHECK(got == static_cast<std::size_t>(sent));
    }
    CHECK(runs_that_switched == 40);
}

TEST_CASE("system and app messages each keep their order through a relay and arrive flagged", "[mesh][relay]") {
    SimNetwork net(77);
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'500);
    net.kill_link("a", "b");
    for (int i = 0; i < 40; ++i) {
        const bool system = i % 2 == 0;
        REQUIRE(net.mesh("a").send("b", numbered(i), false, system).ok());
        net.run_for(20);
    }
    REQUIRE(net.mesh("a").broadcast(numbered(1000), true, true).ok());
    REQUIRE(net.run_until([&] { return net.log("b").messages.size() == 41 && net.log("c").messages.size() == 1; }, 20'000));
    CHECK(net.mesh("a").relayed("b"));
    // Each lane is in order; the system lane may overtake the app lane.
    std::vector<std::string> system, app;
    for (const auto& m : net.log("b").messages) {
        (m.system ? system : app).push_back(to_string(m.data));
        CHECK(m.is_text == (to_string(m.data) == to_string(numbered(1000))));
    }
    std::vector<std::string> want_system, want_app;
    for (int i = 0; i < 40; ++i) (i % 2 == 0 ? want_system : want_app).push_back(to_string(numbered(i)));
    want_system.push_back(to_string(numbered(1000)));
    CHECK(system == want_system);
    CHECK(app == want_app);
    CHECK(net.log("c").messages[0].system);
    net.run_for(1'000);
    CHECK(net.mesh("a").queued_bytes("b") == 0);  // both lanes acknowledged
}

TEST_CASE("relay can be switched off", "[mesh][relay]") {
    SimNetwork net(5);
    const std::vector<std::string> ids{"a", "b", "c"};
    Options base;
    base.relay = false;
    add_all(net, ids, base);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'500);
    net.kill_link("a", "b");
    net.run_for(1'000);
    REQUIRE(net.mesh("a").send("b", numbered(1), false).ok());
    net.run_for(1'000);
    CHECK_FALSE(net.mesh("a").relayed("b"));
    CHECK(net.log("b").messages.empty());
    net.restore_link("a", "b");
    REQUIRE(net.run_until([&] { return !net.log("b").messages.empty(); }, 15'000));  // delivered after recovery
}

TEST_CASE("a vanished peer is reported once, tried slowly after that, and its return reconnects", "[mesh]") {
  for (std::uint64_t seed = 9; seed < 14; ++seed) {
    INFO("seed " << seed);
    SimNetwork net(seed);
    const auto ids = make_ids(4);
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.vanish("p01");
    net.run_for(400'000);  // long enough for the limit: 8 attempts of up to 15 s + backoff
    std::map<std::string, int> attempts_before;
    for (const auto& id : ids) {
        if (id == "p01") continue;
        CHECK(net.log(id).removechannel.at("p01") == 1);
        CHECK(net.log(id).addchannel.at("p01") == 1);
        CHECK(error_count(net.log(id), ErrorCode::gave_up) == 1);  // said once
        attempts_before[id] = net.log(id).count(EventKind::reconnecting, "p01");
        CHECK(attempts_before[id] > 8);  // the offering side is still trying
    }
    // Past the limit, at most one attempt per 30 s backoff plus its 15-60 s timeout.
    net.run_for(300'000);
    for (const auto& id : ids) {
        if (id == "p01") continue;
        CHECK(net.log(id).count(EventKind::reconnecting, "p01") - attempts_before[id] <= 300 / 15 / 2 + 1);
        CHECK(error_count(net.log(id), ErrorCode::gave_up) == 1);
        CHECK(net.live_connections(id) <= 3);  // at most the one attempt for p01
    }
    net.add_node(make_options("p01", ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 60'000));
    for (const auto& id : ids) {
        if (id == "p01") continue;
        CHECK(net.log(id).addchannel.at("p01") == 2);
        CHECK(net.log(id).removechannel.at("p01") == 1);
    }
  }
}

TEST_CASE("large binary and string messages arrive byte-exact; oversized are refused", "[mesh][data]") {
    SimNetwork net(11);
    const std::vector<std::string> ids{"a", "b"};
    Options base;
    base.max_message_bytes = 8u << 20;
    add_all(net, ids, base);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    const Bytes big = pattern(5u << 20, 1);
    std::string text(1u << 20, 'x');
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
    REQUIRE(net.mesh("a").send("b", big, false).ok());
    REQUIRE(net.mesh("a").send("b", to_bytes(text), true).ok());
    REQUIRE(net.mesh("b").broadcast(Bytes{}, false).ok());  // empty message is fine
    REQUIRE(net.run_until([&] { return net.log("b").messages.size() == 2 && net.log("a").messages.size() == 1; }, 20'000));
    CHECK(net.log("b").messages[0].data == big);
    CHECK_FALSE(net.log("b").messages[0].is_text);
    CHECK(to_string(net.log("b").messages[1].data) == text);
    CHECK(net.log("b").messages[1].is_text);
    CHECK(net.log("a").messages[0].data.empty());

    const Status too_big = net.mesh("a").send("b", Bytes((8u << 20) + 1), false);
    CHECK(too_big.code == ErrorCode::message_too_large);
    CHECK(too_big.message.find("exceeds the limit") != std::string::npos);
}

TEST_CASE("chunks respect the reported max message size", "[mesh][data]") {
    SimConfig config;
    config.max_message_size = 16 * 1024;  // e.g. an old browser
    SimNetwork net(12, config);
    const std::vector<std::string> ids{"a", "b"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    const Bytes payload = pattern(300'000, 2);
    REQUIRE(net.mesh("a").send("b", payload, false).ok());
    REQUIRE(net.run_until([&] { return net.log("b").messages.size() == 1; }, 10'000));
    CHECK(net.log("b").messages[0].data == payload);
    CHECK(net.log("a").errors.empty());
}

TEST_CASE("backpressure: a fast sender to a slow receiver stays bounded and gets queue_full", "[mesh][data]") {
    SimConfig config;
    config.bytes_per_ms = 200;  // 200 KB/s
    SimNetwork net(13, config);
    const std::vector<std::string> ids{"a", "b"};
    Options base;
    base.max_queued_bytes_per_peer = 2u << 20;
    base.high_water_bytes = 256u << 10;
    base.low_water_bytes = 64u << 10;
    add_all(net, ids, base);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    int accepted = 0;
    Status last;
    for (int i = 0; i < 200; ++i) {
        last = net.mesh("a").send("b", pattern(64u << 10, static_cast<std::uint32_t>(i)), false);
        if (!last.ok()) break;
        ++accepted;
        net.run_for(1);
    }
    CHECK(last.code == ErrorCode::queue_full);
    CHECK(accepted >= 30);
    CHECK(accepted < 200);
    CHECK(net.mesh("a").queued_bytes("b") <= base.max_queued_bytes_per_peer);
    // What the host holds never grows past the high-water mark plus one frame.
    CHECK(net.max_buffered_seen() <= base.high_water_bytes + (64u << 10) + kHeaderSize);
    REQUIRE(net.run_until([&] { return net.log("b").messages.size() == static_cast<std::size_t>(accepted); }, 120'000));
    for (int i = 0; i < accepted; ++i)
        CHECK(net.log("b").messages[static_cast<std::size_t>(i)].data == pattern(64u << 10, static_cast<std::uint32_t>(i)));
    net.run_for(1'000);
    CHECK(net.mesh("a").queued_bytes("b") == 0);
    CHECK(net.mesh("a").send("b", Bytes(10), false).ok());  // drained: sending works again
}

TEST_CASE("random and corrupted frames produce errors, never crashes", "[mesh][fuzz]") {
    SimNetwork net(21);
    const std::vector<std::string> ids{"a", "b"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    Rng rng(77);
    FrameHeader h;
    h.origin = peer_hash("a");
    h.destination = peer_hash("b");
    h.message_id = 1;
    const Bytes valid_payload = pattern(100, 3);
    for (int i = 0; i < 3000; ++i) {
        Bytes frame;
        if (rng.chance(0.3)) {
            frame = pattern(static_cast<std::size_t>(rng.between(0, 80)), static_cast<std::uint32_t>(i));
        } else {
            FrameHeader f = h;
            f.message_id = static_cast<std::uint32_t>(rng.between(1000, 5000));  // never collides with real ids
            f.total_length = 100;
            frame = encode_frame(f, valid_payload.data(), valid_payload.size());
            const auto flips = rng.between(1, 4);
            for (std::uint64_t k = 0; k < flips; ++k)
                frame[rng.between(0, kHeaderSize - 1)] ^= static_cast<std::uint8_t>(1u << rng.between(0, 7));
            if (rng.chance(0.2)) frame.resize(static_cast<std::size_t>(rng.between(0, frame.size())));
            // A flip may make a well-formed goodbye, which a's link would honour: this test is about the rest.
            if (frame.size() > 1 && frame[1] == static_cast<std::uint8_t>(FrameType::goodbye)) frame[1] = 0;
        }
        net.inject("a", "b", std::move(frame));
    }
    CHECK(error_count(net.log("b"), ErrorCode::malformed_frame) > 500);
    // The mesh still works afterwards.
    REQUIRE(net.mesh("a").send("b", to_bytes("still alive"), true).ok());
    REQUIRE(net.run_until([&] {
        for (const auto& m : net.log("b").messages)
            if (to_string(m.data) == "still alive") return true;
        return false;
    }, 10'000));
}

TEST_CASE("bad input gets clear errors", "[mesh]") {
    SimNetwork net(31);
    const std::vector<std::string> ids{"a", "b"};
    add_all(net, ids);
    Mesh& a = net.mesh("a");
    CHECK(a.send("nobody", Bytes{1}, false).code == ErrorCode::unknown_peer);
    CHECK(a.add_ice_candidate("nobody", "candidate:1").code == ErrorCode::unknown_peer);
    CHECK(a.create_answer("b", "not an sdp").code == ErrorCode::bad_sdp);
    CHECK(a.add_answer("b", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n").code == ErrorCode::stale_description);
    CHECK(a.add_peer("").code == ErrorCode::bad_argument);
    CHECK(a.add_peer("a").code == ErrorCode::bad_argument);
    CHECK(a.add_peer(std::string(kMaxIdLength + 1, 'p')).code == ErrorCode::bad_argument);
    Mesh long_id(make_options(std::string(kMaxIdLength + 1, 'x'), ids), 1);
    CHECK(long_id.init_status().code == ErrorCode::bad_argument);
    Options bad;
    Mesh invalid(bad, 1);
    CHECK(invalid.init_status().code == ErrorCode::bad_argument);
    CHECK(invalid.send("b", Bytes{}, false).code == ErrorCode::bad_argument);
    Options deaf = make_options("x", ids);
    deaf.keepalive_interval_ms = 2'000;
    deaf.silence_timeout_ms = 2'000;  // would take down every quiet link
    CHECK(Mesh(deaf, 1).init_status().code == ErrorCode::bad_argument);
    Options few = make_options("x", make_ids(5));
    few.max_peers = 2;
    Mesh crowded(few, 1);
    CHECK(crowded.init_status().code == ErrorCode::too_many_peers);
    a.close();
    CHECK(a.send("b", Bytes{1}, false).code == ErrorCode::closed);
    CHECK(a.create_offer("b").code == ErrorCode::closed);
    CHECK(a.ready_state("b") == "closed");
}

TEST_CASE("peers can be added and removed at run time", "[mesh]") {
    SimNetwork net(41);
    net.add_node(make_options("a", {"a", "b"}));
    net.add_node(make_options("b", {"a", "b"}));
    REQUIRE(net.run_until([&] { return net.fully_meshed({"a", "b"}); }, 20'000));
    net.add_node(make_options("c", {"a", "b", "c"}));
    REQUIRE(net.mesh("a").add_peer("c").ok());
    REQUIRE(net.mesh("b").add_peer("c").ok());
    REQUIRE(net.run_until([&] { return net.fully_meshed({"a", "b", "c"}); }, 20'000));
    REQUIRE(net.mesh("a").remove_peer("c").ok());
    net.run_for(100);  // the sim collects events on its next step
    CHECK(net.log("a").removechannel.at("c") == 1);
    CHECK(net.mesh("a").send("c", Bytes{1}, false).code == ErrorCode::unknown_peer);
    net.run_for(2'000);
    CHECK(net.open_channels("a", "c") == 0);
}

TEST_CASE("a peer connection the host refuses is an error naming the cap, and the link forms once it is lifted",
          "[mesh]") {
    SimNetwork net(43);
    net.cap_connections("a", 1);
    add_all(net, {"a", "b", "c"});
    REQUIRE(net.run_until([&] { return error_count(net.log("a"), ErrorCode::connection_refused) > 0; }, 20'000));
    const auto& refused = net.log("a").errors.back();
    CHECK(refused.code == ErrorCode::connection_refused);
    CHECK(refused.text.find("RTCPeerConnection") != std::string::npos);
    CHECK(refused.text.find("500") != std::string::npos);
    CHECK(net.live_connections("a") <= 1);
    net.cap_connections("a", 0);
    REQUIRE(net.run_until([&] { return net.fully_meshed({"a", "b", "c"}); }, 60'000));
}

TEST_CASE("same seed, same run", "[mesh]") {
    auto run = [](std::uint64_t seed) {
        SimNetwork net(seed);
        const auto ids = make_ids(5);
        add_all(net, ids);
        net.run_for(3'000);
        net.mesh("p00").broadcast(to_bytes("hello"), true);
        net.kill_link("p00", "p01");
        net.run_for(3'000);
        std::string trace;
        for (const auto& id : ids)
            for (const auto& e : net.log(id).events) trace += id + ">" + e.peer + ":" + to_string(e.kind) + ";";
        return trace;
    };
    const std::string first = run(99);
    CHECK(first == run(99));
    CHECK(first != run(100));
}

namespace {

// Every message a sent to b (and back) arrives exactly once and in order.
// Order is kept per lane: `system` picks which lane is checked.
void check_exactly_once(SimNetwork& net, const std::string& receiver, const std::string& from,
                        const std::vector<Bytes>& expected, bool system = false) {
    std::vector<const sim::Received*> got;
    for (const auto& m : net.log(receiver).messages)
        if (m.from == from && m.system == system) got.push_back(&m);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) CHECK(got[i]->data == expected[i]);
}

}  // namespace

TEST_CASE("relay survives many seeds and large chunked messages cut mid-flight", "[mesh][relay]") {
    for (std::uint64_t seed = 100; seed < 110; ++seed) {
        SimConfig config;
        config.bytes_per_ms = 2000;  // 2 MB/s: a 300 KB message is in flight for 150 ms
        SimNetwork net(seed, config);
        const std::vector<std::string> ids{"a", "b", "c", "d"};
        add_all(net, ids);
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
        net.run_for(1'500);
        std::vector<Bytes> ab, ba;
        Rng rng(seed);
        for (int i = 0; i < 60; ++i) {
            const std::size_t size = rng.chance(0.3) ? static_cast<std::size_t>(rng.between(70'000, 300'000))
                                                     : static_cast<std::size_t>(rng.between(0, 2'000));
            ab.push_back(pattern(size, static_cast<std::uint32_t>(seed * 1000 + static_cast<std::uint64_t>(i))));
            ba.push_back(pattern(size / 2, static_cast<std::uint32_t>(seed * 2000 + static_cast<std::uint64_t>(i))));
            REQUIRE(net.mesh("a").send("b", ab.back(), false).ok());
            REQUIRE(net.mesh("b").send("a", ba.back(), false).ok());
            if (i == 10) net.kill_link("a", "b");
            if (i == 45) net.restore_link("a", "b");
            net.run_for(static_cast<Millis>(rng.between(5, 120)));
        }
        net.run_for(20'000);
        check_exactly_once(net, "b", "a", ab);
        check_exactly_once(net, "a", "b", ba);
        CHECK(net.log("a").count(EventKind::relay_on, "b") >= 1);
        CHECK(net.fully_meshed(ids));
        CHECK(net.mesh("a").queued_bytes("b") == 0);
        CHECK(net.log("b").errors.empty());
    }
}

TEST_CASE("a link down past the failure timeout is re-created with backoff while relay carries traffic",
          "[mesh][relay]") {
    SimNetwork net(55);
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'500);
    std::vector<Bytes> ab;
    net.kill_link("a", "b");
    for (int i = 0; i < 150; ++i) {  // 15 s: past fail_after (8 s)
        ab.push_back(numbered(i));
        REQUIRE(net.mesh("a").send("b", ab.back(), true).ok());
        net.run_for(100);
    }
    CHECK(net.log("a").count(EventKind::failed, "b") >= 1);
    CHECK(net.log("a").count(EventKind::reconnecting, "b") >= 1);
    CHECK(net.log("a").removechannel.at("b") == 1);
    net.restore_link("a", "b");
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 60'000));
    for (int i = 150; i < 200; ++i) {
        ab.push_back(numbered(i));
        REQUIRE(net.mesh("a").send("b", ab.back(), true).ok());
        net.run_for(20);
    }
    net.run_for(6'000);
    check_exactly_once(net, "b", "a", ab);
    CHECK(net.log("a").addchannel.at("b") == 2);
    CHECK(net.log("a").removechannel.at("b") == 1);
    CHECK_FALSE(net.mesh("a").relayed("b"));
}

TEST_CASE("a restarted peer gets a fresh stream: queued messages reach the new instance once", "[mesh]") {
    SimNetwork net(66);
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    for (int i = 0; i < 5; ++i) REQUIRE(net.mesh("a").send("b", numbered(i), false).ok());
    net.run_for(2'000);
    CHECK(net.log("b").messages.size() == 5);
    net.vanish("b");
    net.run_for(500);
    std::vector<Bytes> later, later_system;
    for (int i = 5; i < 10; ++i) {
        later.push_back(numbered(i));
        REQUIRE(net.mesh("a").send("b", later.back(), false).ok());
        later_system.push_back(numbered(100 + i));  // the system lane restarts too
        REQUIRE(net.mesh("a").send("b", later_system.back(), false, true).ok());
    }
    net.add_node(make_options("b", ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 60'000));
    for (int i = 10; i < 15; ++i) {
        later.push_back(numbered(i));
        REQUIRE(net.mesh("a").send("b", later.back(), false).ok());
    }
    REQUIRE(net.mesh("b").send("a", to_bytes("I am back"), true).ok());
    net.run_for(10'000);
    check_exactly_once(net, "b", "a", later);
    check_exactly_once(net, "b", "a", later_system, true);
    bool greeted = false;
    for (const auto& m : net.log("a").messages) greeted |= m.from == "b" && to_string(m.data) == "I am back";
    CHECK(greeted);
}

TEST_CASE("stale host completions for replaced connections are ignored", "[mesh]") {
    Mesh m(make_options("a", {"a", "b"}), 3);
    m.update(0);
    auto commands = m.take_commands();
    REQUIRE(commands.size() >= 3);
    CHECK(commands[0].kind == CommandKind::create_peer_connection);
    CHECK(commands[1].kind == CommandKind::create_data_channel);
    CHECK(commands[2].kind == CommandKind::set_local_description);
    const Handle pc = commands[0].pc;
    const Handle channel = commands[1].channel;
    // Nothing answers; the attempt times out and a new pc replaces the first.
    for (Millis now = 500; now <= 25'000; now += 500) m.update(now);
    bool replaced = false;
    for (const auto& c : m.take_commands()) replaced |= c.kind == CommandKind::create_peer_connection && c.pc != pc;
    CHECK(replaced);
    m.take_events();
    // Late completions for the old handles change nothing.
    m.on_local_description(pc, SdpType::offer, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
    m.on_connection_state(pc, ConnectionState::connected);
    m.on_channel_open(channel);
    m.on_channel_message(channel, Bytes(40, 1));
    m.on_buffered_amount(channel, 0);
    CHECK(m.take_events().empty());
    CHECK(m.ready_state("b") != "open");
}

TEST_CASE("chaos: random link kills and restores keep every stream exactly-once and ordered", "[mesh][relay][chaos]") {
    int recreated = 0;
    for (std::uint64_t seed = 200; seed < 300; ++seed) {
        SimConfig config;
        config.bytes_per_ms = 5000;
        if (seed % 2 == 1) {  // slow browser and quick ICE failure: connections get re-created
            config.max_op_delay_ms = 40;
            config.fail_after_ms = 2'500;
        }
        config.tick_at_next_wakeup = seed % 4 >= 2;  // half the runs sleep until the core's next wake-up
        SimNetwork net(seed, config);
        const auto ids = make_ids(5);
        add_all(net, ids);
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
        Rng rng(seed);
        std::map<std::pair<std::string, std::string>, std::vector<Bytes>> sent;
        std::set<std::pair<std::string, std::string>> dead;
        for (int step = 0; step < 400; ++step) {
            const auto& from = ids[rng.between(0, ids.size() - 1)];
            const auto& to = ids[rng.between(0, ids.size() - 1)];
            if (from != to) {
                Bytes data = pattern(rng.chance(0.1) ? static_cast<std::size_t>(rng.between(20'000, 150'000))
                                                     : static_cast<std::size_t>(rng.between(0, 500)),
                                     static_cast<std::uint32_t>(seed * 10'000 + static_cast<std::uint64_t>(step)));
                const bool system = step % 3 == 0;  // both lanes through every fault
                // The session takes system frames of its own kinds (metadata is 1);
                // an unknown kind passes on to the log, as the mesh delivered it.
                if (system && !data.empty()) data[0] = 0xFF;
                if (net.mesh(from).send(to, data, false, system).ok())
                    sent[{from, system ? to + "/system" : to}].push_back(std::move(data));
            }
            // At most two links down at a time, so a relay path always exists in a 5-mesh.
            if (rng.chance(0.03)) {
                const auto& a = ids[rng.between(0, ids.size() - 1)];
                const auto& b = ids[rng.between(0, ids.size() - 1)];
                if (a != b && dead.size() < 2 && dead.insert(std::minmax(a, b)).second) net.kill_link(a, b);
            }
            if (!dead.empty() && rng.chance(0.02)) {
                net.restore_link(dead.begin()->first, dead.begin()->second);
                dead.erase(dead.begin());
            }
            net.run_for(static_cast<Millis>(rng.between(1, 40)));
        }
        for (const auto& [a, b] : dead) net.restore_link(a, b);
        net.run_for(40'000);
        for (const auto& [pair, messages] : sent) {
            INFO("seed " << seed << " " << pair.first << " -> " << pair.second);
            const auto slash = pair.second.find('/');
            check_exactly_once(net, pair.second.substr(0, slash), pair.first, messages, slash != std::string::npos);
        }
        INFO("seed " << seed);
        CHECK(net.fully_meshed(ids));
        for (const auto& id : ids) recreated += net.log(id).count(EventKind::reconnecting);
    }
    CHECK(recreated > 0);  // the runs did exercise tear-down and re-creation
}

TEST_CASE("a peer that closes says goodbye: links drop at once and are not redialled until it returns", "[mesh]") {
    SimNetwork net(67);
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(1'000);
    const Millis closed_at = net.now();
    net.mesh("b").close();
    REQUIRE(net.run_until([&] { return net.log("a").removechannel.count("b") == 1 && net.log("c").removechannel.count("b") == 1; }, 1'000));
    CHECK(net.now() - closed_at < 100);  // one link latency, not an ICE timeout
    net.run_for(30'000);
    for (const std::string id : {"a", "c"}) {
        CHECK(net.log(id).count(EventKind::failed, "b") == 0);
        CHECK(net.log(id).count(EventKind::reconnecting, "b") == 0);
        CHECK(net.mesh(id).ready_state("b") == "closed");
        CHECK(net.live_connections(id) == 1);  // only the other member: b is not redialled
    }
    net.add_node(make_options("b", ids));  // b comes back (a reloaded page)
    CHECK(net.run_until([&] { return net.fully_meshed(ids); }, 30'000));
}

TEST_CASE("keep-alives hold idle links open; a peer that vanishes is taken down after the silence timeout", "[mesh]") {
    SimConfig config;
    config.tick_at_next_wakeup = true;  // as the JS host: keep-alives must ask for their own wake-ups
    config.fail_after_ms = 60'000;      // ICE alone would take a minute to give up
    SimNetwork net(68, config);
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(60'000);  // a minute of silence from the app
    for (const auto& id : ids) CHECK(net.log(id).count(EventKind::failed) == 0);
    CHECK(net.fully_meshed(ids));

    const Options defaults;
    const Millis keepalive = net.mesh("a").options().keepalive_interval_ms;
    const Millis vanished_at = net.now();
    net.vanish("b");
    REQUIRE(net.run_until([&] { return net.log("a").removechannel.count("b") == 1 && net.log("c").removechannel.count("b") == 1; },
                          2 * defaults.silence_timeout_ms));
    const Millis noticed = net.now() - vanished_at;
    CHECK(noticed >= defaults.silence_timeout_ms - keepalive);
    CHECK(noticed <= defaults.silence_timeout_ms + Mesh::kIdleTickMs);
    bool said_why = false;
    for (const auto& e : net.log("a").events) said_why |= e.kind == EventKind::failed && e.text.find("nothing heard from b") != std::string::npos;
    CHECK(said_why);
}

TEST_CASE("a network change makes the offering side restart ICE at once, once per grace period", "[mesh]") {
    SimNetwork net(69);
    const std::vector<std::string> ids{"a", "b"};
    add_all(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(500);
    net.mesh("b").on_network_change();  // b answers; a offers
    net.run_for(100);
    CHECK(net.log("b").count(EventKind::ice_restart, "a") == 0);
    net.mesh("a").on_network_change();
    net.mesh("a").on_network_change();  // a flapping network: one restart
    net.run_for(500);
    CHECK(net.log("a").count(EventKind::ice_restart, "b") == 1);
    CHECK(net.log("a").removechannel.count("b") == 0);  // restarted in place, the channel stays open
    REQUIRE(net.mesh("a").send("b", to_bytes("after the restart"), true).ok());
    CHECK(net.run_until([&] {
        for (const auto& m : net.log("b").messages)
            if (to_string(m.data) == "after the restart") return true;
        return false;
    }, 5'000));
}

TEST_CASE("a link that goes disconnected is restarted at once, then with growing delays", "[mesh]") {
    SimConfig config;
    config.fail_after_ms = 60'000;
    SimNetwork net(70, config);
    const std::vector<std::string> ids{"a", "b"};
    Options quiet;
    quiet.silence_timeout_ms = 120'000;  // ICE's path alone
    quiet.keepalive_interval_ms = 1'000;
    add_all(net, ids, quiet);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.kill_link("a", "b");
    REQUIRE(net.run_until([&] { return net.log("a").count(EventKind::disconnected, "b") == 1; }, 5'000));
    const Millis disconnected_at = net.now();
    REQUIRE(net.run_until([&] { return net.log("a").count(EventKind::ice_restart, "b") == 1; }, 1'000));
    CHECK(net.now() - disconnected_at <= 50);  // not after the 2 s grace
    net.run_for(20'000);
    // 2, 4, 8 s apart after the first: 4 restarts in 20 s, not 10.
    CHECK(net.log("a").count(EventKind::ice_restart, "b") == 4);
}

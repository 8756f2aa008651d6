// In a room with a secret (mesh::Options::members_prove_keys) the session lets
// a member into Raft only once it proved the key it shares with us, and drops
// the Raft messages of one that has not. Each case runs with the rule off
// first, to show it bites.
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "core/mesh/relay_auth.hpp"
#include "core/raft/messages.hpp"
#include "core/session/session.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using rtcmesh::sim::SimNetwork;

namespace {

mesh::RelayKey key_of(std::uint8_t seed) {
    mesh::RelayKey k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i * 31);
    return k;
}

// Sealed members of `ids`, each pair with a key of its own, as their hellos give them.
void share_keys(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& a : ids)
        for (const auto& b : ids)
            if (a < b) {
                const mesh::RelayKey key = key_of(static_cast<std::uint8_t>(a[0] + b[0]));
                REQUIRE(net.session(a).set_relay_key(b, key.data(), key.size()).ok());
                REQUIRE(net.session(b).set_relay_key(a, key.data(), key.size()).ok());
            }
}

void set_key(SimNetwork& net, const std::string& id, const std::string& peer, const mesh::RelayKey& key) {
    REQUIRE(net.mesh(id).set_relay_key(peer, key.data(), key.size()).ok());
}

// alice leads a cluster of one; bob is a member of her mesh.
void alice_leads(SimNetwork& net, bool prove_keys) {
    mesh::Options alice = sim::member_options("alice", {"alice", "bob"});
    alice.members_prove_keys = prove_keys;
    net.add_node(alice);
    net.add_node(sim::member_options("bob", {"alice", "bob"}));
    raft::Config config;
    config.seed = 3;
    config.initial_members = {"alice"};
    config.election_min_timeout = 150;
    config.election_max_timeout = 300;
    config.heartbeat_interval = 50;
    REQUIRE(net.session("alice").start_raft(config).ok());
}

// Runs alice's Raft host loop; the node's own error events are collected.
void run(SimNetwork& net, Millis ms, std::vector<std::string>* node_errors = nullptr) {
    for (Millis t = 0; t < ms; t += 10) {
        net.run_for(10);
        auto& s = net.session("alice");
        for (int round = 0; round < 16 && s.has_ready(); ++round) {
            for (const auto& event : s.take_ready().events)
                if (const auto* error = std::get_if<raft::ErrorEvent>(&event); error && node_errors) node_errors->push_back(error->message);
            s.advance();
        }
    }
}

bool in_raft(SimNetwork& net, const std::string& peer) { return net.session("alice").raft()->membership().contains(peer); }

int unproven_drops(SimNetwork& net) {
    int n = 0;
    for (const auto& e : net.log("alice").errors)
        if (e.text.find("has not proved the room's key") != std::string::npos) ++n;
    return n;
}

}  // namespace

TEST_CASE("a member that has not proved its key stays out of Raft until it does", "[session][trust]") {
    const bool protection = GENERATE(false, true);
    SimNetwork net(301);
    alice_leads(net, protection);
    // bob holds another key than alice's for him: his link never proves it.
    set_key(net, "alice", "bob", key_of(1));
    set_key(net, "bob", "alice", key_of(2));
    run(net, 10'000);
    CHECK(net.mesh("alice").ready_state("bob") != "open");
    CHECK_FALSE(net.mesh("alice").key_confirmed("bob"));
    CHECK(in_raft(net, "bob") == !protection);  // without the rule the leader took him in
    if (!protection) return;
    // With the right key, the next attempt proves it, and the leader takes him in.
    set_key(net, "bob", "alice", key_of(1));
    run(net, 60'000);
    CHECK(net.mesh("alice").key_confirmed("bob"));
    CHECK(in_raft(net, "bob"));
}

TEST_CASE("the Raft messages of a member that has not proved its key are dropped", "[session][trust]") {
    const bool protection = GENERATE(false, true);
    SimNetwork net(302);
    alice_leads(net, protection);  // no keys at all: bob's link opens, unproven
    run(net, 3'000);
    REQUIRE(net.mesh("alice").ready_state("bob") == "open");
    const raft::Term term = net.session("alice").raft()->term();
    // bob claims to lead alice, in a later term.
    raft::Message append{.type = raft::MessageType::Append, .from = "bob", .to = "alice", .term = term + 3};
    Bytes frame{static_cast<std::uint8_t>(session::SystemKind::raft)};
    const Bytes bytes = raft::encode(append);
    frame.insert(frame.end(), bytes.begin(), bytes.end());
    REQUIRE(net.mesh("bob").send("alice", std::move(frame), false, true).ok());
    std::vector<std::string> node_errors;
    run(net, 1'000, &node_errors);
    CHECK(unproven_drops(net) == (protection ? 1 : 0));
    // Without the rule the node sees it (and refuses a leader that is no voter).
    CHECK(node_errors.empty() == protection);
    CHECK(net.session("alice").raft()->term() == term);
    CHECK(net.session("alice").raft()->leader() == "alice");
}

TEST_CASE("members reached only through a relay prove their keys in its frames' MACs, and join Raft", "[session][trust]") {
    SimNetwork net(303);
    const std::vector<std::string> ids{"alice", "bob", "cho"};
    net.kill_link("alice", "bob");  // for good: they reach each other through cho
    for (const auto& id : ids) {
        mesh::Options options = sim::member_options(id, ids);
        options.members_prove_keys = true;
        net.add_node(options);
    }
    share_keys(net, ids);
    for (const auto& id : ids) {
        raft::Config config;
        config.seed = static_cast<std::uint64_t>(id[0]);
        config.initial_members = id == "alice" ? std::vector<std::string>{"alice"} : std::vector<std::string>{};
        config.join_existing_cluster = id != "alice";
        config.election_min_timeout = 150;
        config.election_max_timeout = 300;
        config.heartbeat_interval = 50;
        REQUIRE(net.session(id).start_raft(config).ok());
    }
    const auto serve = [&] {
        for (const auto& id : ids) {
            auto& s = net.session(id);
            for (int round = 0; round < 16 && s.has_ready(); ++round) (void)s.take_ready(), s.advance();
        }
    };
    bool all_voters = false;
    for (int step = 0; step < 3000 && !all_voters; ++step) {
        net.run_for(10);
        serve();
        const auto& m = net.session("alice").raft()->membership();
        all_voters = m.is_voter("bob") && m.is_voter("cho");
    }
    CHECK(all_voters);
    CHECK(net.mesh("alice").ready_state("bob") != "open");
    CHECK(net.mesh("alice").key_confirmed("bob"));
    CHECK(net.mesh("bob").key_confirmed("alice"));
}

TEST_CASE("members whose links open in time send no key checks", "[session][trust]") {
    SimNetwork net(304);
    int key_checks = 0;
    net.tamper = [&](const std::string&, const std::string&, Bytes& frame) {
        const bool system_data = frame.size() > mesh::kHeaderSize && frame[1] == static_cast<std::uint8_t>(mesh::FrameType::data) &&
                                 (frame[2] & mesh::flag_system) != 0;
        if (system_data && frame[mesh::kHeaderSize] == static_cast<std::uint8_t>(session::SystemKind::key_check)) ++key_checks;
    };
    const std::vector<std::string> ids{"alice", "bob", "cho"};
    for (const auto& id : ids) {
        mesh::Options options = sim::member_options(id, ids);
        options.members_prove_keys = true;
        net.add_node(options);
    }
    share_keys(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 5'000));
    net.run_for(3'000);
    CHECK(key_checks == 0);
    for (const auto& a : ids)
        for (const auto& b : ids)
            if (a != b) CHECK(net.mesh(a).key_confirmed(b));
}

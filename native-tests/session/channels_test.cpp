// Named channels (Session::open_channel): reliable ordered ones ride the
// mesh's frames (relayed, held until the receiver opens them); unordered or
// unreliable ones get data channels of their own on direct links only.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/session/session.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using rtcmesh::sim::SimNetwork;

namespace {

// What `id` received from `from` on `channel` ("" = plain messages), as text.
std::vector<std::string> received(SimNetwork& net, const std::string& id, const std::string& from,
                                  const std::string& channel) {
    std::vector<std::string> texts;
    for (const auto& m : net.log(id).messages)
        if (m.from == from && m.channel == channel && !m.system) texts.emplace_back(m.data.begin(), m.data.end());
    return texts;
}

mesh::Status send_text(SimNetwork& net, const std::string& from, const std::string& to, const std::string& channel,
                       const std::string& text) {
    return net.session(from).send_on_channel(to, channel, reinterpret_cast<const std::uint8_t*>(text.data()),
                                             text.size(), true);
}

session::ChannelSpec unreliable() {
    session::ChannelSpec spec;
    spec.ordered = false;
    spec.max_retransmits = 0;
    return spec;
}

std::vector<std::string> formed(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    return ids;
}

}  // namespace

TEST_CASE("a named channel's messages reach only that channel, and wait until it is opened", "[session][channels]") {
    SimNetwork net(41);
    formed(net, {"a", "b"});
    for (const auto& id : {"a", "b"}) REQUIRE(net.session(id).open_channel("chat", {}).ok());
    REQUIRE(net.session("a").open_channel("moves", {}).ok());

    REQUIRE(send_text(net, "a", "b", "chat", "hello").ok());
    REQUIRE(send_text(net, "a", "", "moves", "e4").ok());  // b has not opened "moves"
    REQUIRE(net.session("a").mesh().send("b", to_bytes("plain"), true).ok());
    net.run_for(500);
    CHECK(received(net, "b", "a", "chat") == std::vector<std::string>{"hello"});
    CHECK(received(net, "b", "a", "") == std::vector<std::string>{"plain"});
    CHECK(received(net, "b", "a", "moves").empty());

    REQUIRE(send_text(net, "a", "b", "moves", "e5").ok());
    net.run_for(500);
    REQUIRE(net.session("b").open_channel("moves", {}).ok());  // what waited comes now, in order
    net.run_for(10);
    CHECK(received(net, "b", "a", "moves") == std::vector<std::string>{"e4", "e5"});
    CHECK(received(net, "b", "a", "chat") == std::vector<std::string>{"hello"});
}

TEST_CASE("a reliable named channel is relayed around a broken link", "[session][channels]") {
    SimNetwork net(42);
    formed(net, {"a", "b", "c"});
    for (const auto& id : {"a", "b", "c"}) REQUIRE(net.session(id).open_channel("chat", {}).ok());
    net.kill_link("a", "b");
    REQUIRE(net.run_until([&] { return net.session("a").mesh().relayed("b"); }, 20'000));
    REQUIRE(send_text(net, "a", "b", "chat", "around").ok());
    net.run_for(1'000);
    CHECK(received(net, "b", "a", "chat") == std::vector<std::string>{"around"});
}

TEST_CASE("an unreliable channel delivers under loss while the reliable ones deliver everything",
          "[session][channels]") {
    sim::SimConfig config;
    config.unreliable_loss = 0.3;
    SimNetwork net(43, config);
    formed(net, {"a", "b"});
    for (const auto& id : {"a", "b"}) {
        REQUIRE(net.session(id).open_channel("cursor", unreliable()).ok());
        REQUIRE(net.session(id).open_channel("chat", {}).ok());
    }
    net.run_for(100);  // the direct channels open
    const int count = 200;
    for (int i = 0; i < count; ++i) {
        REQUIRE(send_text(net, "a", "b", "cursor", std::to_string(i)).ok());
        REQUIRE(send_text(net, "a", "b", "chat", std::to_string(i)).ok());
        net.run_for(5);
    }
    net.run_for(2'000);
    const auto cursor = received(net, "b", "a", "cursor");
    const auto chat = received(net, "b", "a", "chat");
    CHECK(net.direct_lost() > 0);
    CHECK(cursor.size() == static_cast<std::size_t>(count) - net.direct_lost());
    CHECK(cursor.size() > static_cast<std::size_t>(count) / 2);
    REQUIRE(chat.size() == static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) CHECK(chat[static_cast<std::size_t>(i)] == std::to_string(i));
}

TEST_CASE("a direct channel is never relayed, and comes back on a re-made connection", "[session][channels]") {
    SimNetwork net(44);
    formed(net, {"a", "b", "c"});
    for (const auto& id : {"a", "b", "c"}) REQUIRE(net.session(id).open_channel("state", unreliable()).ok());
    net.run_for(100);
    REQUIRE(send_text(net, "a", "b", "state", "1").ok());
    net.run_for(100);
    CHECK(received(net, "b", "a", "state") == std::vector<std::string>{"1"});

    net.kill_link("a", "b");
    REQUIRE(net.run_until([&] { return net.session("a").mesh().relayed("b"); }, 20'000));
    const auto refused = send_text(net, "a", "b", "state", "2");
    CHECK(refused.code == mesh::ErrorCode::not_connected);
    CHECK(refused.message.find("never relayed") != std::string::npos);
    REQUIRE(send_text(net, "a", "", "state", "to c").ok());  // a broadcast skips b
    net.run_for(100);
    CHECK(received(net, "c", "a", "state") == std::vector<std::string>{"to c"});

    net.restore_link("a", "b");
    REQUIRE(net.run_until([&] { return net.fully_meshed({"a", "b", "c"}) && !net.session("a").mesh().relayed("b"); },
                          90'000));
    net.run_for(100);
    REQUIRE(send_text(net, "a", "b", "state", "3").ok());
    net.run_for(100);
    CHECK(received(net, "b", "a", "state") == std::vector<std::string>{"1", "3"});
}

TEST_CASE("named channels refuse bad names, unknown channels, changed options and oversized messages",
          "[session][channels]") {
    SimNetwork net(45);
    formed(net, {"a", "b"});
    auto& a = net.session("a");
    CHECK(a.open_channel("", {}).code == mesh::ErrorCode::bad_argument);
    CHECK(a.open_channel(std::string(mesh::kMaxChannelNameBytes + 1, 'x'), {}).code == mesh::ErrorCode::bad_argument);
    CHECK(a.open_channel(std::string(mesh::kMaxChannelNameBytes, 'x'), {}).ok());
    const auto unknown = send_text(net, "a", "b", "nope", "x");
    CHECK(unknown.code == mesh::ErrorCode::bad_argument);
    CHECK(unknown.message.find("open it first") != std::string::npos);

    REQUIRE(a.open_channel("state", unreliable()).ok());
    REQUIRE(a.open_channel("state", unreliable()).ok());  // the same again: fine
    CHECK(a.open_channel("state", {}).code == mesh::ErrorCode::bad_argument);
    net.session("b").open_channel("state", unreliable());
    net.run_for(100);
    const std::string big(mesh::kMaxDirectMessageBytes + 1, 'x');
    CHECK(send_text(net, "a", "b", "state", big).code == mesh::ErrorCode::message_too_large);
    CHECK(send_text(net, "a", "b", "state", big.substr(1)).ok());

    a.close_channel("state");
    CHECK(send_text(net, "a", "b", "state", "x").code == mesh::ErrorCode::bad_argument);
}

TEST_CASE("two channel names with one negotiated id are refused with a clear error", "[session][channels]") {
    // Find two names that collide; the id space is small (1023), so a few
    // thousand candidates are enough.
    std::string first, second;
    std::map<std::uint16_t, std::string> seen;
    for (int i = 0; i < 5000 && second.empty(); ++i) {
        const std::string name = "c" + std::to_string(i);
        auto [it, fresh] = seen.emplace(mesh::direct_channel_id(name), name);
        if (!fresh) first = it->second, second = name;
    }
    REQUIRE(!second.empty());
    SimNetwork net(46);
    formed(net, {"a", "b"});
    REQUIRE(net.session("a").open_channel(first, unreliable()).ok());
    const auto refused = net.session("a").open_channel(second, unreliable());
    CHECK(refused.code == mesh::ErrorCode::bad_argument);
    CHECK(refused.message.find("rename") != std::string::npos);
    CHECK(net.session("a").open_channel(second, {}).ok());  // a reliable channel needs no id
}

TEST_CASE("messages for channels never opened are bounded", "[session][channels]") {
    SimNetwork net(47);
    formed(net, {"a", "b"});
    REQUIRE(net.session("a").open_channel("flood", {}).ok());
    for (std::size_t i = 0; i < session::kMaxHeldChannelMessages + 10; ++i)
        REQUIRE(send_text(net, "a", "b", "flood", std::to_string(i)).ok());
    net.run_for(2'000);
    int overflow_errors = 0;
    for (const auto& e : net.log("b").errors) overflow_errors += e.code == mesh::ErrorCode::queue_full ? 1 : 0;
    CHECK(overflow_errors == 1);
    REQUIRE(net.session("b").open_channel("flood", {}).ok());
    net.run_for(10);
    const auto got = received(net, "b", "a", "flood");
    REQUIRE(got.size() == session::kMaxHeldChannelMessages);
    CHECK(got.front() == "10");  // the oldest were dropped
}

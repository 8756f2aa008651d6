// session::exchange, the one wire between a session and its host: records in
// (ticks, sends, frames, buffered amounts, and what the WebRTC objects did),
// one header plus the batch out; and the mesh's buffered_amount_low event,
// which that wire carries.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "core/common/packer.hpp"
#include "core/session/host_wire.hpp"
#include "mesh/sim_webrtc.hpp"
#include "session/host_records.hpp"

using namespace rtcmesh;
using session::HostInput;

namespace {

void put_send(Bytes& in, const std::string& peer, const std::string& payload) {
    Packer p(in);
    p.u8(static_cast<std::uint8_t>(HostInput::send));
    p.str(peer);
    p.u8(1);
    p.str(payload);
}

void put_tick(Bytes& in, double now) {
    Packer p(in);
    p.u8(static_cast<std::uint8_t>(HostInput::tick));
    p.num(static_cast<std::uint64_t>(now));
}

struct Header {
    std::uint8_t version;
    std::uint32_t total;
    double next_wakeup;
    mesh::ErrorCode status;
    std::string message;
    bool sends_waiting;
    std::uint32_t commands;
};

Header read_header(const Bytes& out) {
    Unpacker in(out.data(), out.size());
    Header h{};
    h.version = in.u8();
    h.total = in.u32();
    h.next_wakeup = in.num();
    h.status = static_cast<mesh::ErrorCode>(in.u8());
    h.message = in.str();
    h.sends_waiting = in.u8() == 1;
    h.commands = in.u32();
    REQUIRE(in.ok());
    return h;
}

}  // namespace

TEST_CASE("the host wire applies records in order and answers with the send's status", "[session][wire]") {
    session::Session s(sim::member_options("a", {"a", "b"}), 5);
    Bytes in, out;
    put_tick(in, 100);
    put_send(in, "nobody", "hi");
    session::exchange(s, 0, in.data(), in.size(), true, out);
    Header h = read_header(out);
    CHECK(h.version == session::kHostWireVersion);
    CHECK(h.total == out.size());
    CHECK(h.status == mesh::ErrorCode::unknown_peer);
    CHECK(h.message.find("nobody") != std::string::npos);
    CHECK(h.commands > 0);  // the tick started the link to b
    CHECK(h.next_wakeup > 100);

    in.clear();
    put_send(in, "b", "hello");
    session::exchange(s, 0, in.data(), in.size(), false, out);
    h = read_header(out);
    CHECK(h.status == mesh::ErrorCode::none);
    CHECK(h.commands == 0);                    // not drained: the host is still busy with the last batch
    CHECK(s.mesh().queued_bytes("b") > 0);     // but the send was applied
}

TEST_CASE("malformed host input is refused at the bad record and loses nothing before it", "[session][wire]") {
    session::Session s(sim::member_options("a", {"a", "b"}), 5);
    Bytes out;
    Bytes good;
    put_send(good, "b", "kept");
    session::exchange(s, 0, good.data(), good.size(), true, out);
    const std::size_t one_send = s.mesh().queued_bytes("b");
    REQUIRE(one_send > 0);
    for (const Bytes& bad : {Bytes{9}, Bytes{static_cast<std::uint8_t>(HostInput::send), 200, 0}, Bytes{0, 1, 2}}) {
        Bytes in;
        put_send(in, "b", "kept");
        in.insert(in.end(), bad.begin(), bad.end());
        session::exchange(s, 0, in.data(), in.size(), true, out);
        CHECK(read_header(out).status == mesh::ErrorCode::bad_argument);
    }
    CHECK(s.mesh().queued_bytes("b") == 4 * one_send);  // each good send before a bad record was applied
    Bytes in;
    put_send(in, "b", "after");
    session::exchange(s, 0, in.data(), in.size(), true, out);
    CHECK(read_header(out).status == mesh::ErrorCode::none);
}

TEST_CASE("bufferedamountlow: once per rise above the threshold, when the queue falls back", "[session][wire]") {
    sim::SimNetwork net(21);
    const std::vector<std::string> ids{"a", "b"};
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 10'000));
    net.mesh("a").set_buffered_low_threshold(1000);
    REQUIRE(net.mesh("a").send("b", Bytes(500, 1), false).ok());  // below: no event due
    REQUIRE(net.mesh("a").send("b", Bytes(200'000, 2), false).ok());
    REQUIRE(net.mesh("a").queued_bytes("b") > 1000);
    REQUIRE(net.run_until([&] { return net.log("a").count(mesh::EventKind::buffered_amount_low, "b") > 0; }, 10'000));
    CHECK(net.mesh("a").queued_bytes("b") <= 1000);
    net.run_for(2'000);
    CHECK(net.log("a").count(mesh::EventKind::buffered_amount_low, "b") == 1);
    CHECK(net.log("b").messages.size() == 2);
}

TEST_CASE("an exchange brings a stale session clock up to the host's first", "[session][wire]") {
    session::Session s(sim::member_options("a", {"a", "b"}), 5);
    Bytes out;
    session::exchange(s, 1'000, nullptr, 0, true, out);
    CHECK(s.now() == 1'000);
    session::exchange(s, 1'000 + session::kStaleClockMs, nullptr, 0, true, out);
    CHECK(s.now() == 1'000);  // fresh enough: no update for every message
    session::exchange(s, 1'000 + session::kStaleClockMs + 1, nullptr, 0, true, out);
    CHECK(s.now() == 1'000 + session::kStaleClockMs + 1);
}

TEST_CASE("the host wire opens and closes named channels and sends on them", "[session][wire][channels]") {
    session::Session s(sim::member_options("a", {"a", "b"}), 5);
    Bytes out;
    const auto open = [&](const std::string& name, bool ordered, double retransmits) {
        Bytes in;
        Packer p(in);
        p.u8(static_cast<std::uint8_t>(HostInput::open_channel));
        p.str(name);
        p.u8(ordered ? 1 : 0);
        std::uint8_t raw[8];  // Packer::num takes integers; -1 is a double here
        std::memcpy(raw, &retransmits, 8);
        in.insert(in.end(), raw, raw + 8);
        session::exchange(s, 0, in.data(), in.size(), true, out);
        return read_header(out);
    };
    const auto send_on = [&](const std::string& channel, const std::string& payload) {
        Bytes in;
        Packer p(in);
        p.u8(static_cast<std::uint8_t>(HostInput::send));
        p.str("b");
        p.u8(1 | 4);
        p.str(channel);
        p.str(payload);
        session::exchange(s, 0, in.data(), in.size(), true, out);
        return read_header(out);
    };
    CHECK(send_on("chat", "hi").status == mesh::ErrorCode::bad_argument);  // not open yet
    CHECK(open("chat", true, -1).status == mesh::ErrorCode::none);
    const std::size_t before = s.mesh().queued_bytes("b");
    CHECK(send_on("chat", "hi").status == mesh::ErrorCode::none);
    CHECK(s.mesh().queued_bytes("b") > before);  // rides the mesh's frames
    CHECK(open("", true, -1).status == mesh::ErrorCode::bad_argument);
    CHECK(open("cursor", false, 0).status == mesh::ErrorCode::none);
    CHECK(s.mesh().direct_channel_open("cursor"));
    CHECK(!s.mesh().direct_channel_open("chat"));

    Bytes in;
    Packer p(in);
    p.u8(static_cast<std::uint8_t>(HostInput::close_channel));
    p.str("cursor");
    session::exchange(s, 0, in.data(), in.size(), true, out);
    CHECK(!s.mesh().direct_channel_open("cursor"));
}

namespace {

// Applies `in` without draining, then takes what it produced.
struct Produced {
    std::vector<mesh::Command> commands;
    std::vector<mesh::Event> events;
    mesh::ErrorCode status;
};
Produced apply_records(session::Session& s, const Bytes& in, double now = 100) {
    Bytes out;
    session::exchange(s, now, in.data(), in.size(), false, out);
    return {s.take_commands(), s.take_events(), read_header(out).status};
}

std::vector<mesh::EventKind> kinds_of(const std::vector<mesh::Event>& events) {
    std::vector<mesh::EventKind> kinds;
    for (const auto& e : events) kinds.push_back(e.kind);
    return kinds;
}

const mesh::Command* find_command(const std::vector<mesh::Command>& commands, mesh::CommandKind kind) {
    for (const auto& c : commands)
        if (c.kind == kind) return &c;
    return nullptr;
}

}  // namespace

TEST_CASE("the host wire carries what the WebRTC objects did, in the order it happened", "[session][wire]") {
    // "a" sorts first: it offers to "b".
    session::Session s(sim::member_options("a", {"a", "b"}), 5);
    Bytes in;
    put_tick(in, 100);
    Produced started = apply_records(s, in);
    const mesh::Command* made = find_command(started.commands, mesh::CommandKind::create_peer_connection);
    const mesh::Command* channel = find_command(started.commands, mesh::CommandKind::create_data_channel);
    REQUIRE(made != nullptr);
    REQUIRE(channel != nullptr);
    REQUIRE(find_command(started.commands, mesh::CommandKind::set_local_description) != nullptr);
    const mesh::Handle pc = made->pc;

    SECTION("descriptions, candidates, states and the channel's opening reach the link") {
        const std::string offer = "v=0\r\no=- 7 1 IN IP4 0.0.0.0\r\ns=-\r\na=fingerprint:sha-256 AA\r\n";
        in.clear();
        sim::records::local_description(in, pc, mesh::SdpType::offer, offer);
        sim::records::local_candidate(in, pc, R"({"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"})");
        Produced offered = apply_records(s, in);
        CHECK(offered.status == mesh::ErrorCode::none);
        REQUIRE(kinds_of(offered.events) == std::vector{mesh::EventKind::offer, mesh::EventKind::icecandidate});
        CHECK(offered.events[0].text == offer);

        REQUIRE(s.mesh().add_answer("b", "v=0\r\no=- 8 1 IN IP4 0.0.0.0\r\ns=-\r\na=fingerprint:sha-256 BB\r\n").ok());
        REQUIRE(find_command(s.take_commands(), mesh::CommandKind::set_remote_description) != nullptr);
        in.clear();
        sim::records::remote_description_set(in, pc);
        sim::records::max_message_size(in, pc, 262144);
        sim::records::connection_state(in, pc, mesh::ConnectionState::connected);
        sim::records::channel_open(in, channel->channel);
        Produced opened = apply_records(s, in);
        CHECK(opened.status == mesh::ErrorCode::none);
        CHECK(kinds_of(opened.events) == std::vector{mesh::EventKind::addchannel});
        CHECK(s.mesh().ready_state("b") == "open");

        // A frame that came before the channel's close is applied before it:
        // here a malformed one, whose error comes before removechannel.
        in.clear();
        sim::records::channel_message(in, channel->channel, Bytes{'n', 'o', 't', ' ', 'a', ' ', 'f', 'r', 'a', 'm', 'e'});
        sim::records::channel_closed(in, channel->channel);
        Produced closed = apply_records(s, in);
        REQUIRE(closed.events.size() >= 2);
        CHECK(closed.events[0].kind == mesh::EventKind::error);
        CHECK(closed.events[0].code == mesh::ErrorCode::malformed_frame);
        CHECK(closed.events[1].kind == mesh::EventKind::removechannel);
    }

    SECTION("a failed operation fails the attempt, with the browser's words") {
        in.clear();
        sim::records::operation_failed(in, pc, mesh::CommandKind::set_local_description, "InvalidStateError: closed");
        Produced failed = apply_records(s, in);
        CHECK(failed.status == mesh::ErrorCode::none);
        // An error with the browser's words, then the attempt fails and the next begins.
        REQUIRE(kinds_of(failed.events) ==
                std::vector{mesh::EventKind::error, mesh::EventKind::failed, mesh::EventKind::reconnecting});
        CHECK(failed.events[0].text.find("InvalidStateError: closed") != std::string::npos);
        CHECK(failed.events[0].text.find("set_local_description") != std::string::npos);
        CHECK(find_command(failed.commands, mesh::CommandKind::close_peer_connection) != nullptr);
    }

    SECTION("a truncated report is refused, and reports for unknown handles are ignored") {
        in = {static_cast<std::uint8_t>(HostInput::channel_open), 1, 0};
        CHECK(apply_records(s, in).status == mesh::ErrorCode::bad_argument);
        in.clear();
        sim::records::connection_state(in, pc + 1000, mesh::ConnectionState::failed);
        sim::records::channel_closed(in, channel->channel + 1000);
        Produced ignored = apply_records(s, in);
        CHECK(ignored.status == mesh::ErrorCode::none);
        CHECK(ignored.events.empty());
        CHECK(s.mesh().ready_state("b") == "connecting");
    }
}

// A neighbour channel's backpressure (src/core/mesh/channel_flow.hpp): the
// buffer bound where the host counts its sends, the window where it does not.
#include <catch2/catch.hpp>

#include "core/mesh/channel_flow.hpp"

using rtcmesh::mesh::ChannelFlow;

namespace {

constexpr std::size_t kHighWater = 256 << 10;
constexpr std::size_t kWindow = 128 << 10;
constexpr std::size_t kFrame = 16 << 10;

ChannelFlow make_flow() { return ChannelFlow({kHighWater, kWindow}); }

// Frames handed over while there is room, at most `limit`; how many went.
int send_while_room(ChannelFlow& flow, int limit = 1000) {
    int sent = 0;
    while (flow.has_room() && sent < limit) {
        flow.on_sent(kFrame, true);
        ++sent;
    }
    return sent;
}

}  // namespace

TEST_CASE("a channel takes frames up to the window until its host shows it counts sends", "[mesh][flow]") {
    ChannelFlow flow = make_flow();
    CHECK(send_while_room(flow) == static_cast<int>(kWindow / kFrame));
    // A host that counts what it was just given reports at least that much:
    // from then on its buffer, not the window, bounds the channel.
    flow.on_buffered_amount(kWindow);
    CHECK(send_while_room(flow) == static_cast<int>((kHighWater - kWindow) / kFrame));
    CHECK(flow.buffered() == kHighWater);
    flow.on_buffered_amount(kHighWater / 2);  // bufferedamountlow
    CHECK(send_while_room(flow) == static_cast<int>(kHighWater / 2 / kFrame));
}

TEST_CASE("a host that reports no buffered bytes (wrtc) is bounded by the neighbour's window frames", "[mesh][flow]") {
    ChannelFlow flow = make_flow();
    CHECK(send_while_room(flow) == static_cast<int>(kWindow / kFrame));
    flow.on_buffered_amount(0);  // less than it was just given: blind
    CHECK_FALSE(flow.has_room());
    flow.on_window(2 * kFrame);
    CHECK(send_while_room(flow) == 2);
    flow.on_buffered_amount(0);
    CHECK_FALSE(flow.has_room());
    // A confirmation of more than is outstanding (a frame outside the
    // window, counted by the receiver) cannot make room beyond the window.
    flow.on_window(10 * kWindow);
    CHECK(send_while_room(flow) == static_cast<int>(kWindow / kFrame));
}

TEST_CASE("frames about the channel itself pass the window without using it", "[mesh][flow]") {
    ChannelFlow flow = make_flow();
    for (int i = 0; i < 100; ++i) flow.on_sent(64, false);  // window frames, goodbyes, link proofs
    flow.on_buffered_amount(0);
    CHECK(flow.has_room());
    CHECK(send_while_room(flow) == static_cast<int>(kWindow / kFrame));
}

TEST_CASE("the receiver confirms what arrived a step at a time", "[mesh][flow]") {
    ChannelFlow flow = make_flow();
    const std::size_t step = kWindow / 8;
    flow.on_received(step - 1);
    CHECK_FALSE(flow.take_window_report().has_value());  // a tail is never urgent
    flow.on_received(1);
    CHECK(flow.take_window_report() == step);
    CHECK_FALSE(flow.take_window_report().has_value());  // reported once
    flow.on_received(3 * step + 5);
    CHECK(flow.take_window_report() == 3 * step + 5);  // all that arrived, not just a step
}

TEST_CASE("a lost channel keeps what arrived to confirm; a new one learns its host again", "[mesh][flow]") {
    ChannelFlow flow = make_flow();
    flow.on_received(kWindow);
    send_while_room(flow);
    flow.on_buffered_amount(kWindow);  // counts sends
    flow.on_channel_lost();
    CHECK(flow.buffered() == 0);
    CHECK(flow.has_room());
    CHECK(flow.take_window_report() == kWindow);  // the old channel may live on: its sender counted these
    send_while_room(flow);
    flow.on_new_channel();
    // The new channel's host is not known to count sends: the window applies.
    CHECK(send_while_room(flow) == static_cast<int>(kWindow / kFrame));
    flow.on_buffered_amount(0);
    CHECK_FALSE(flow.has_room());
}

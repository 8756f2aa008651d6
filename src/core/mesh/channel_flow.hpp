// How much one neighbour's channel may take now: the send path's
// backpressure, kept apart from what is sent (the lanes' jobs) and why.
//
// Two bounds, whichever applies:
// - The channel's buffer. The host reports bufferedAmount after every batch
//   of sends and on bufferedamountlow; between reports the estimate grows by
//   each frame handed over. No frame is handed over at or above high water.
// - A window, on a host whose bufferedAmount does not count what it was just
//   given (@roamhq/wrtc always says 0): there the buffer looks empty for
//   ever, so at most `window_bytes` may be unconfirmed by the neighbour's
//   window frames, in which it confirms the bytes it received.
// The receiving side of the same channel counts what arrived and says when a
// window frame is due.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace rtcmesh::mesh {

class ChannelFlow {
public:
    struct Limits {
        std::size_t high_water_bytes;
        std::size_t window_bytes;
    };

    explicit ChannelFlow(Limits limits) : limits_(limits) {}

    // ---- sending ----
    // Whether another frame may be handed to the host now.
    bool has_room() const {
        return buffered_ < limits_.high_water_bytes && (host_counts_sends_ || unconfirmed_ < limits_.window_bytes);
    }
    // A frame of `bytes` was handed to the host. `window_counted`: the
    // neighbour confirms it (every frame but those about the channel itself:
    // window frames, goodbyes and link proofs are outside the window).
    void on_sent(std::size_t bytes, bool window_counted);
    // The host's channel.bufferedAmount, right after it ran our sends or on
    // bufferedamountlow. Less than it was just given means it does not count
    // sends, and the window bounds the channel from then on.
    void on_buffered_amount(std::size_t amount);
    // The neighbour's window frame: it received `confirmed` more bytes.
    void on_window(std::uint32_t confirmed);
    std::size_t buffered() const { return buffered_; }

    // ---- receiving ----
    // A frame that counts in the neighbour's window (any but a window frame)
    // arrived. Counted before anything can drop it: the sender counted it too.
    void on_received(std::size_t bytes) { unreported_ += bytes; }
    // The bytes a window frame should confirm now, once an eighth of a window
    // arrived unconfirmed; they count as reported from then on. A tail below
    // that is never urgent: a sender held at the window has a whole window
    // unconfirmed, so once its frames arrive a step is due at once (and idle
    // rooms send no window frame per keep-alive).
    std::optional<std::uint32_t> take_window_report();

    // ---- the channel changes ----
    // A new channel is up: it starts empty, and whether its host counts sends
    // is learnt again.
    void on_new_channel();
    // The channel went down. What arrived stays to be confirmed: the old
    // channel may live on, and its sender still counts it.
    void on_channel_lost();

private:
    Limits limits_;
    std::size_t buffered_ = 0;          // our estimate of channel.bufferedAmount
    std::size_t unconfirmed_ = 0;       // sent bytes the neighbour's window frames have not confirmed
    std::size_t unreported_sends_ = 0;  // sent since the host last reported bufferedAmount
    bool host_counts_sends_ = false;    // its bufferedAmount includes what was just sent; until then the window applies
    std::size_t unreported_ = 0;        // received bytes not yet confirmed in a window frame
};

}  // namespace rtcmesh::mesh

// Receiving side of one (origin -> me) message stream: chunk reassembly,
// in-order delivery and duplicate suppression.
//
// Message ids are consecutive per stream, so "id < next_expected" is an exact
// duplicate test (relay + retransmission can deliver a message twice) and
// later ids wait in `complete_` until the gap fills (direct and relayed paths
// can overtake each other). Chunks of one message travel one path, and a
// path (data channel) is ordered, so partial messages are keyed by
// (message id, arrival channel): a retransmission on another path assembles
// independently and the first complete copy wins.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/mesh/frame.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

// Per origin: one peer's claims never use up what another's messages need.
// Bytes count what arrived, not what a first chunk declares, so a peer holds
// only memory it really sent.
struct ReassemblyLimits {
    std::size_t max_bytes = 160u << 20;   // partial + out-of-order messages of one origin (both lanes)
    std::size_t max_messages = 256;       // same, by count
    Millis timeout_ms = 30000;            // a partial message older than this is dropped
    std::uint32_t max_reorder = 4096;     // ids further ahead than this are dropped (sender retransmits)
};

// What one origin's streams hold; both lanes of an origin share it.
struct ReassemblyBudget {
    std::size_t bytes = 0;
    std::size_t messages = 0;
};

struct Delivery {
    Bytes data;
    std::uint8_t flags = 0;  // FrameFlag bits of the message
};

class ReceiveStream {
public:
    enum class Outcome { accepted, duplicate, rejected };

    // `frame` is consumed. Appends deliverable messages to `ready` in order.
    Outcome on_data(const FrameHeader& header, Bytes&& frame, Handle via, Millis now, ReassemblyBudget& budget,
                    const ReassemblyLimits& limits, std::vector<Delivery>& ready, std::string& error);

    // Drops partial messages older than the timeout; returns how many.
    std::size_t expire(Millis now, ReassemblyBudget& budget, const ReassemblyLimits& limits);

    // Forget everything (the origin restarted, or was removed).
    void reset(std::uint32_t epoch, ReassemblyBudget& budget);

    std::uint32_t epoch() const { return epoch_; }
    std::uint32_t delivered_upto() const { return next_expected_ - 1; }

private:
    struct Partial {
        Bytes data;
        std::uint32_t next_chunk = 0;
        std::uint32_t total = 0;
        std::uint8_t flags = 0;
        Millis started = 0;
    };

    static bool charge(std::size_t bytes, std::size_t messages, ReassemblyBudget& budget, const ReassemblyLimits& limits,
                       std::string& error);
    static void release(std::size_t bytes, std::size_t messages, ReassemblyBudget& budget);
    static void append_chunk(Bytes& data, std::size_t total, const std::uint8_t* begin, const std::uint8_t* end);
    void complete(std::uint32_t id, Delivery delivery, ReassemblyBudget& budget, std::vector<Delivery>& ready);
    void drop_partials_of(std::uint32_t id, ReassemblyBudget& budget);

    std::uint32_t epoch_ = 0;
    std::uint32_t next_expected_ = 1;
    std::map<std::pair<std::uint32_t, Handle>, Partial> partials_;
    std::map<std::uint32_t, Delivery> complete_;  // out of order, waiting for the gap
};

}  // namespace rtcmesh::mesh

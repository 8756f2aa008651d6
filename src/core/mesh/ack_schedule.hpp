// When the receiving end of one lane acknowledges what it delivered.
//
// Acks are cumulative, and only free the sender's copies (delivery never
// waits for one), so they need not be prompt: one is due once `every_messages`
// or `every_bytes` were delivered since the last (it goes at once), else
// `delay_ms` after the first message it covers. A data frame that goes to the
// sender meanwhile may carry it instead (flag_ack), so a two-way stream sends
// almost no ack frames. A duplicate means the sender missed our ack: one is
// due at once.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

class AckSchedule {
public:
    struct Policy {
        std::uint32_t every_messages;
        std::size_t every_bytes;
        Millis delay_ms;
    };

    // Messages of `bytes` in all were delivered, up to id `delivered_upto`.
    // True when an ack should go at once; else one is due by now + delay.
    bool on_delivered(std::size_t bytes, std::uint32_t delivered_upto, Millis now, const Policy& policy) {
        unacked_bytes_ += bytes;
        due_by(now + policy.delay_ms);
        return delivered_upto - acked_upto_ >= policy.every_messages || unacked_bytes_ >= policy.every_bytes;
    }
    // A message arrived again: the sender did not hear our last ack.
    void on_duplicate(Millis now) { due_by(now); }
    // An ack up to `delivered_upto` goes out now (an ack frame, or flag_ack
    // on a data frame); what it covers is acknowledged.
    std::uint32_t take(std::uint32_t delivered_upto) {
        acked_upto_ = delivered_upto;
        due_ = false;
        unacked_bytes_ = 0;
        return acked_upto_;
    }
    bool due() const { return due_; }
    bool due_now(Millis now) const { return due_ && now >= due_at_; }
    Millis due_at() const { return due_at_; }  // meaningful while due()
    // The sender restarted: its stream starts over.
    void reset() { *this = AckSchedule(); }

private:
    // An earlier due time stands.
    void due_by(Millis at) {
        due_at_ = due_ ? std::min(due_at_, at) : at;
        due_ = true;
    }

    std::uint32_t acked_upto_ = 0;
    bool due_ = false;
    Millis due_at_ = 0;
    std::size_t unacked_bytes_ = 0;  // payload delivered since the last ack
};

}  // namespace rtcmesh::mesh

// Sending side of one lane of a (me -> peer) message stream: consecutive
// message ids, a copy of each message until the peer acknowledges it
// (cumulatively), and the clock that says when one is overdue.
// ReceiveStream is the other end.
//
// Which neighbour carries a message (`via`) is the mesh's routing; the mark
// stays with the message, so a route that fails puts exactly its messages
// back to waiting, and a message is re-sent only after it was.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "core/common/bytes.hpp"
#include "core/mesh/frame.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

struct OutMessage {
    std::uint32_t id = 0;
    std::shared_ptr<const Bytes> payload;  // shared by every peer of a broadcast: no copy
    std::uint8_t flags = 0;  // FrameFlag bits
    PeerHash via = 0;  // hash of the neighbour it was last queued on; 0 = waiting for a route
    bool sent = false;      // every chunk handed to the host
    bool dead = false;      // acknowledged or superseded: jobs queued with it skip it
    Millis sent_at = 0;
};

class SendStream {
public:
    // The next message of the stream, numbered; null when its payload would
    // take what the stream holds past `max_bytes`.
    std::shared_ptr<OutMessage> push(const std::shared_ptr<const Bytes>& payload, std::uint8_t flags, std::size_t max_bytes,
                                     Millis now);
    // The peer acknowledged every message up to `upto`: their copies go.
    void acknowledge(std::uint32_t upto, Millis now);
    // The peer restarted (a new epoch): ids start over at 1. The messages
    // still unacknowledged are renumbered into new copies, to be routed
    // again; the old copies die, so jobs queued with them skip them.
    void restart(Millis now);
    // Messages that last went through `via` wait for a route again; true
    // if there were any.
    bool unroute_via(PeerHash via);
    // Messages that last went through anyone but `direct` wait for a route
    // again (the direct link is back, and relayed copies may arrive late).
    void unroute_relayed(PeerHash direct);
    // Nothing was acknowledged for `timeout` since the oldest message was
    // sent: every sent message waits for a route again (a relay may have
    // dropped it), and the clock starts over. True if that happened.
    bool take_stalled(Millis now, Millis timeout);
    // When take_stalled() would act, or -1 while nothing sent waits for an ack.
    Millis stalled_at(Millis timeout) const;

    // Calls fn(message) for each message waiting for a route, in id order.
    template <typename Fn>
    void for_each_waiting(Fn&& fn) {
        for (auto& m : unacked_)
            if (m->via == 0) fn(m);
    }
    // Some message is not wholly handed to a channel yet.
    bool has_unsent() const { return !unacked_.empty() && !unacked_.back()->sent; }
    // Payload bytes unsent or unacknowledged.
    std::size_t queued_bytes() const { return queued_bytes_; }

private:
    std::uint32_t next_id_ = 1;
    std::deque<std::shared_ptr<OutMessage>> unacked_;
    std::size_t queued_bytes_ = 0;
    Millis last_progress_ = 0;  // the last ack that freed a message, or when the queue became non-empty
};

}  // namespace rtcmesh::mesh

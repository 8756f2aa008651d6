#include "core/mesh/send_stream.hpp"

#include <algorithm>
#include <utility>

namespace rtcmesh::mesh {

std::shared_ptr<OutMessage> SendStream::push(const std::shared_ptr<const Bytes>& payload, std::uint8_t flags,
                                             std::size_t max_bytes, Millis now) {
    if (queued_bytes_ + payload->size() > max_bytes) return nullptr;
    auto m = std::make_shared<OutMessage>();
    m->id = next_id_++;
    m->payload = payload;
    m->flags = flags;
    if (unacked_.empty()) last_progress_ = now;
    unacked_.push_back(m);
    queued_bytes_ += payload->size();
    return m;
}

void SendStream::acknowledge(std::uint32_t upto, Millis now) {
    bool progress = false;
    while (!unacked_.empty() && unacked_.front()->id <= upto) {
        OutMessage& m = *unacked_.front();
        m.dead = true;
        queued_bytes_ -= m.payload->size();
        unacked_.pop_front();
        progress = true;
    }
    if (progress) last_progress_ = now;
}

void SendStream::restart(Millis now) {
    std::deque<std::shared_ptr<OutMessage>> renumbered;
    std::uint32_t next = 1;
    for (auto& old : unacked_) {
        auto m = std::make_shared<OutMessage>(*old);
        old->dead = true;
        m->id = next++;
        m->via = 0;
        m->sent = false;
        m->dead = false;
        renumbered.push_back(std::move(m));
    }
    unacked_ = std::move(renumbered);
    next_id_ = next;
    last_progress_ = now;
}

bool SendStream::unroute_via(PeerHash via) {
    bool any = false;
    for (auto& m : unacked_) {
        if (m->via != via) continue;
        m->via = 0;
        m->sent = false;
        any = true;
    }
    return any;
}

void SendStream::unroute_relayed(PeerHash direct) {
    for (auto& m : unacked_) {
        if (m->via == 0 || m->via == direct) continue;
        m->via = 0;
        m->sent = false;
    }
}

Millis SendStream::stalled_at(Millis timeout) const {
    if (unacked_.empty() || !unacked_.front()->sent) return -1;
    return std::max(unacked_.front()->sent_at, last_progress_) + timeout;
}

bool SendStream::take_stalled(Millis now, Millis timeout) {
    const Millis at = stalled_at(timeout);
    if (at < 0 || now < at) return false;
    for (auto& m : unacked_) {
        if (!m->sent) continue;
        m->via = 0;
        m->sent = false;
    }
    last_progress_ = now;
    return true;
}

}  // namespace rtcmesh::mesh

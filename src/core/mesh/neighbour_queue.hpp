// What waits for one neighbour's channel, in the order it goes: control
// frames (acks and link state: small, never held back by backpressure),
// then the system lane's jobs, then the application's, so a system message
// waits behind at most the chunk being sent. How much goes at a time is
// ChannelFlow's to say.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

#include "core/common/bytes.hpp"
#include "core/mesh/frame.hpp"
#include "core/mesh/send_stream.hpp"

namespace rtcmesh::mesh {

// A message of ours to cut into chunks as they go (so a 64 MiB message never
// exists twice in memory), or a ready frame relayed for someone else.
struct SendJob {
    std::shared_ptr<OutMessage> message;  // null for a relayed frame
    std::uint32_t message_id = 0;  // captured: a restart renumbers into new OutMessages
    PeerHash destination = 0;
    std::uint32_t destination_epoch = 0;
    std::size_t offset = 0;
    std::uint32_t next_chunk = 0;
    Bytes relayed_frame;
};

class NeighbourQueue {
public:
    using Jobs = std::deque<SendJob>;

    void push_control(Bytes frame) { control_.push_back(std::move(frame)); }
    std::optional<Bytes> pop_control();
    void push_job(Lane lane, SendJob job) { jobs_[lane].push_back(std::move(job)); }
    // A frame relayed for someone else, on `lane`, while what this neighbour
    // holds for others stays within `max_bytes`; false when it is dropped
    // (the origin retransmits what is not acknowledged).
    bool push_relayed(Lane lane, Bytes frame, std::size_t max_bytes);
    // The jobs to serve next, system lane first; null when none wait.
    Jobs* next_jobs();
    // Pops the relayed frame at the front of `jobs`.
    Bytes take_relayed(Jobs& jobs);

    bool has_jobs(Lane lane) const { return !jobs_[lane].empty(); }
    bool empty() const { return control_.empty() && jobs_[system_lane].empty() && jobs_[app_lane].empty(); }
    // The channel went down: what waited for it is dropped (its messages are
    // routed again from their streams).
    void clear();

private:
    std::deque<Bytes> control_;
    std::array<Jobs, kLanes> jobs_;  // by Lane
    std::size_t relay_bytes_ = 0;    // relayed frames' bytes waiting in jobs_
};

}  // namespace rtcmesh::mesh

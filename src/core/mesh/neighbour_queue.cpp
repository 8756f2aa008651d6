#include "core/mesh/neighbour_queue.hpp"

#include <utility>

namespace rtcmesh::mesh {

std::optional<Bytes> NeighbourQueue::pop_control() {
    if (control_.empty()) return std::nullopt;
    Bytes frame = std::move(control_.front());
    control_.pop_front();
    return frame;
}

bool NeighbourQueue::push_relayed(Lane lane, Bytes frame, std::size_t max_bytes) {
    if (relay_bytes_ + frame.size() > max_bytes) return false;
    relay_bytes_ += frame.size();
    SendJob job;
    job.relayed_frame = std::move(frame);
    jobs_[lane].push_back(std::move(job));
    return true;
}

NeighbourQueue::Jobs* NeighbourQueue::next_jobs() {
    if (!jobs_[system_lane].empty()) return &jobs_[system_lane];
    if (!jobs_[app_lane].empty()) return &jobs_[app_lane];
    return nullptr;
}

Bytes NeighbourQueue::take_relayed(Jobs& jobs) {
    Bytes frame = std::move(jobs.front().relayed_frame);
    relay_bytes_ -= frame.size();
    jobs.pop_front();
    return frame;
}

void NeighbourQueue::clear() {
    control_.clear();
    for (auto& jobs : jobs_) jobs.clear();
    relay_bytes_ = 0;
}

}  // namespace rtcmesh::mesh

#include "core/mesh/receive_stream.hpp"

namespace rtcmesh::mesh {

bool ReceiveStream::reserve(std::size_t bytes, ReassemblyBudget& budget, const ReassemblyLimits& limits,
                            std::string& error) {
    if (budget.bytes + bytes > limits.max_bytes || budget.messages + 1 > limits.max_messages) {
        error = "reassembly limit reached (" + std::to_string(limits.max_bytes) + " bytes / " +
                std::to_string(limits.max_messages) + " messages buffered); message dropped";
        return false;
    }
    budget.bytes += bytes;
    budget.messages += 1;
    return true;
}

void ReceiveStream::release(std::size_t bytes, ReassemblyBudget& budget) {
    budget.bytes -= bytes;
    budget.messages -= 1;
}

ReceiveStream::Outcome ReceiveStream::on_data(const FrameHeader& h, Bytes&& frame, Handle via, Millis now,
                                              ReassemblyBudget& budget, const ReassemblyLimits& limits,
                                              std::vector<Delivery>& ready, std::string& error) {
    const std::uint32_t id = h.message_id;
    if (id < next_expected_ || complete_.count(id) != 0) return Outcome::duplicate;
    if (id - next_expected_ >= limits.max_reorder) return Outcome::rejected;  // silently: sender retransmits
    const std::size_t payload = frame.size() - kHeaderSize;

    if (h.chunk_index == 0 && payload == h.total_length) {  // the common single-chunk message
        frame.erase(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(kHeaderSize));
        if (id != next_expected_ && !reserve(frame.size(), budget, limits, error)) return Outcome::rejected;
        complete(id, Delivery{std::move(frame), h.flags}, budget, ready);
        return Outcome::accepted;
    }

    const auto key = std::make_pair(id, via);
    auto it = partials_.find(key);
    if (h.chunk_index == 0) {
        if (it != partials_.end()) {  // restarted on the same path: start over
            release(it->second.total, budget);
            partials_.erase(it);
        }
        if (!reserve(h.total_length, budget, limits, error)) return Outcome::rejected;
        Partial p;
        p.total = h.total_length;
        p.flags = h.flags;
        p.started = now;
        p.data.reserve(h.total_length);
        it = partials_.emplace(key, std::move(p)).first;
    } else if (it == partials_.end()) {
        return Outcome::rejected;  // we never saw its start (dropped or expired)
    }
    Partial& p = it->second;
    if (h.chunk_index != p.next_chunk || h.total_length != p.total || p.data.size() + payload > p.total) {
        error = "malformed frame: chunk " + std::to_string(h.chunk_index) + " of message " + std::to_string(id) +
                " does not continue the message";
        release(p.total, budget);
        partials_.erase(it);
        return Outcome::rejected;
    }
    p.data.insert(p.data.end(), frame.begin() + static_cast<std::ptrdiff_t>(kHeaderSize), frame.end());
    ++p.next_chunk;
    if (p.data.size() < p.total) return Outcome::accepted;
    Delivery d{std::move(p.data), p.flags};
    partials_.erase(it);
    // The reservation moves from the partial to the waiting message, or is freed on delivery.
    if (id == next_expected_) release(d.data.size(), budget);
    complete(id, std::move(d), budget, ready);
    return Outcome::accepted;
}

void ReceiveStream::complete(std::uint32_t id, Delivery delivery, ReassemblyBudget& budget,
                             std::vector<Delivery>& ready) {
    drop_partials_of(id, budget);
    if (id != next_expected_) {
        complete_.emplace(id, std::move(delivery));
        return;
    }
    ready.push_back(std::move(delivery));
    ++next_expected_;
    for (auto it = complete_.begin(); it != complete_.end() && it->first == next_expected_;) {
        release(it->second.data.size(), budget);
        drop_partials_of(it->first, budget);
        ready.push_back(std::move(it->second));
        it = complete_.erase(it);
        ++next_expected_;
    }
}

void ReceiveStream::drop_partials_of(std::uint32_t id, ReassemblyBudget& budget) {
    auto it = partials_.lower_bound(std::make_pair(id, Handle{0}));
    while (it != partials_.end() && it->first.first == id) {
        release(it->second.total, budget);
        it = partials_.erase(it);
    }
}

std::size_t ReceiveStream::expire(Millis now, ReassemblyBudget& budget, const ReassemblyLimits& limits) {
    std::size_t dropped = 0;
    for (auto it = partials_.begin(); it != partials_.end();) {
        if (now - it->second.started > limits.timeout_ms) {
            release(it->second.total, budget);
            it = partials_.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

void ReceiveStream::reset(std::uint32_t epoch, ReassemblyBudget& budget) {
    for (auto& [key, p] : partials_) release(p.total, budget);
    for (auto& [id, d] : complete_) release(d.data.size(), budget);
    partials_.clear();
    complete_.clear();
    next_expected_ = 1;
    epoch_ = epoch;
}

}  // namespace rtcmesh::mesh

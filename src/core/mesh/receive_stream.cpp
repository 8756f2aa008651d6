#include "core/mesh/receive_stream.hpp"

#include <algorithm>

namespace rtcmesh::mesh {
namespace {
// A partial message's buffer starts at most this big and doubles as chunks
// arrive (capped at the declared total): a first chunk alone cannot make us
// allocate the 64 MiB it may claim.
constexpr std::size_t kFirstReserve = 256u << 10;
}  // namespace

bool ReceiveStream::charge(std::size_t bytes, std::size_t messages, ReassemblyBudget& budget,
                           const ReassemblyLimits& limits, std::string& error) {
    if (budget.bytes + bytes > limits.max_bytes || budget.messages + messages > limits.max_messages) {
        error = "reassembly limit reached (" + std::to_string(limits.max_bytes) + " bytes / " +
                std::to_string(limits.max_messages) + " messages buffered from this peer); message dropped";
        return false;
    }
    budget.bytes += bytes;
    budget.messages += messages;
    return true;
}

void ReceiveStream::release(std::size_t bytes, std::size_t messages, ReassemblyBudget& budget) {
    budget.bytes -= bytes;
    budget.messages -= messages;
}

void ReceiveStream::append_chunk(Bytes& data, std::size_t total, const std::uint8_t* begin, const std::uint8_t* end) {
    const std::size_t needed = data.size() + static_cast<std::size_t>(end - begin);
    if (needed > data.capacity()) data.reserve(std::min(total, std::max({needed, 2 * data.capacity(), kFirstReserve})));
    data.insert(data.end(), begin, end);
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
        if (id != next_expected_ && !charge(frame.size(), 1, budget, limits, error)) return Outcome::rejected;
        complete(id, Delivery{std::move(frame), h.flags}, budget, ready);
        return Outcome::accepted;
    }

    const auto key = std::make_pair(id, via);
    auto it = partials_.find(key);
    if (h.chunk_index == 0) {
        if (it != partials_.end()) {  // restarted on the same path: start over
            release(it->second.data.size(), 1, budget);
            partials_.erase(it);
        }
        if (!charge(0, 1, budget, limits, error)) return Outcome::rejected;
        Partial p;
        p.total = h.total_length;
        p.flags = h.flags;
        p.started = now;
        it = partials_.emplace(key, std::move(p)).first;
    } else if (it == partials_.end()) {
        return Outcome::rejected;  // we never saw its start (dropped or expired)
    }
    Partial& p = it->second;
    if (h.chunk_index != p.next_chunk || h.total_length != p.total || p.data.size() + payload > p.total) {
        error = "malformed frame: chunk " + std::to_string(h.chunk_index) + " of message " + std::to_string(id) +
                " does not continue the message";
        release(p.data.size(), 1, budget);
        partials_.erase(it);
        return Outcome::rejected;
    }
    if (!charge(payload, 0, budget, limits, error)) {
        release(p.data.size(), 1, budget);
        partials_.erase(it);
        return Outcome::rejected;
    }
    append_chunk(p.data, p.total, frame.data() + kHeaderSize, frame.data() + frame.size());
    ++p.next_chunk;
    if (p.data.size() < p.total) return Outcome::accepted;
    Delivery d{std::move(p.data), p.flags};
    partials_.erase(it);
    // The reservation moves from the partial to the waiting message, or is freed on delivery.
    if (id == next_expected_) release(d.data.size(), 1, budget);
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
        release(it->second.data.size(), 1, budget);
        drop_partials_of(it->first, budget);
        ready.push_back(std::move(it->second));
        it = complete_.erase(it);
        ++next_expected_;
    }
}

void ReceiveStream::drop_partials_of(std::uint32_t id, ReassemblyBudget& budget) {
    auto it = partials_.lower_bound(std::make_pair(id, Handle{0}));
    while (it != partials_.end() && it->first.first == id) {
        release(it->second.data.size(), 1, budget);
        it = partials_.erase(it);
    }
}

std::size_t ReceiveStream::expire(Millis now, ReassemblyBudget& budget, const ReassemblyLimits& limits) {
    std::size_t dropped = 0;
    for (auto it = partials_.begin(); it != partials_.end();) {
        if (now - it->second.started > limits.timeout_ms) {
            release(it->second.data.size(), 1, budget);
            it = partials_.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

void ReceiveStream::reset(std::uint32_t epoch, ReassemblyBudget& budget) {
    for (auto& [key, p] : partials_) release(p.data.size(), 1, budget);
    for (auto& [id, d] : complete_) release(d.data.size(), 1, budget);
    partials_.clear();
    complete_.clear();
    next_expected_ = 1;
    epoch_ = epoch;
}

}  // namespace rtcmesh::mesh

#include "core/mesh/channel_flow.hpp"

#include <algorithm>
#include <cstdint>

namespace rtcmesh::mesh {

void ChannelFlow::on_sent(std::size_t bytes, bool window_counted) {
    buffered_ += bytes;
    unreported_sends_ += bytes;
    if (window_counted) unconfirmed_ += bytes;
}

void ChannelFlow::on_buffered_amount(std::size_t amount) {
    // The spec's bufferedAmount counts every byte sent in the current task,
    // and the host reports right after running our sends.
    if (unreported_sends_ > 0) host_counts_sends_ = amount >= unreported_sends_;
    unreported_sends_ = 0;
    buffered_ = amount;
}

void ChannelFlow::on_window(std::uint32_t confirmed) { unconfirmed_ -= std::min<std::size_t>(unconfirmed_, confirmed); }

std::optional<std::uint32_t> ChannelFlow::take_window_report() {
    const std::size_t step = std::max<std::size_t>(limits_.window_bytes / 8, 1);
    if (unreported_ < step) return std::nullopt;
    const auto bytes = static_cast<std::uint32_t>(std::min<std::size_t>(unreported_, UINT32_MAX));
    unreported_ -= bytes;
    return bytes;
}

void ChannelFlow::on_new_channel() {
    buffered_ = 0;
    unconfirmed_ = 0;
    unreported_sends_ = 0;
    host_counts_sends_ = false;
}

void ChannelFlow::on_channel_lost() {
    buffered_ = 0;
    unconfirmed_ = 0;
}

}  // namespace rtcmesh::mesh

// Named channels (Session::open_channel): the reliable ordered ones ride the
// mesh's frames, the rest get data channels of their own
// (mesh/direct_channels.hpp); messages for a channel not open here wait.
#include <utility>

#include "core/session/session.hpp"

namespace rtcmesh::session {

using mesh::ErrorCode;
using mesh::Event;
using mesh::Status;

Status Session::open_channel(const std::string& name, ChannelSpec spec) {
    if (mesh_.closed()) return Status::fail(ErrorCode::closed, "cannot open a channel: the mesh is closed");
    if (name.empty() || name.size() > mesh::kMaxChannelNameBytes)
        return Status::fail(ErrorCode::bad_argument, "a channel name must be 1 to " +
                                                         std::to_string(mesh::kMaxChannelNameBytes) + " bytes, not " +
                                                         std::to_string(name.size()));
    if (spec.max_retransmits < -1) spec.max_retransmits = -1;
    if (auto it = channels_.find(name); it != channels_.end()) {
        const ChannelSpec& open = it->second;
        if (open.ordered == spec.ordered && open.max_retransmits == spec.max_retransmits) return Status::success();
        return Status::fail(ErrorCode::bad_argument,
                            "channel \"" + name + "\" is open already with other options; close it first");
    }
    if (!spec.rides_mesh()) {
        mesh::DataChannelSpec data_channel;
        data_channel.ordered = spec.ordered;
        data_channel.max_retransmits = spec.max_retransmits;
        if (Status s = mesh_.open_direct_channel(name, data_channel); !s.ok()) return s;
    }
    channels_[name] = spec;
    release_held(name);
    return Status::success();
}

void Session::close_channel(const std::string& name) {
    auto it = channels_.find(name);
    if (it == channels_.end()) return;
    if (!it->second.rides_mesh()) mesh_.close_direct_channel(name);
    channels_.erase(it);
}

Status Session::send_on_channel(const std::string& peer, const std::string& name, const std::uint8_t* data,
                                std::size_t size, bool is_text) {
    auto it = channels_.find(name);
    if (it == channels_.end())
        return Status::fail(ErrorCode::bad_argument, "no channel \"" + name + "\" is open here; open it first");
    return it->second.rides_mesh() ? mesh_.send_on_channel(peer, name, data, size, is_text)
                                   : mesh_.send_direct(peer, name, data, size, is_text);
}

// Peers open their channels when they like: what comes first waits for the
// app to open the channel here, bounded.
bool Session::hold_if_unopened(Event& event) {
    if (event.kind != mesh::EventKind::message || event.channel.empty() || channels_.count(event.channel) != 0)
        return false;
    held_bytes_ += event.data.size();
    held_messages_.push_back(std::move(event));
    bool dropped = false;
    while (held_messages_.size() > kMaxHeldChannelMessages || held_bytes_ > kMaxHeldChannelBytes) {
        held_bytes_ -= held_messages_.front().data.size();
        held_messages_.pop_front();
        dropped = true;
    }
    if (dropped && !held_overflow_reported_) {
        held_overflow_reported_ = true;  // once, until the app opens a channel
        Event error;
        error.kind = mesh::EventKind::error;
        error.code = ErrorCode::queue_full;
        error.text = "messages for channels not open here were dropped: more than " +
                     std::to_string(kMaxHeldChannelMessages) + " messages or " + std::to_string(kMaxHeldChannelBytes) +
                     " bytes waited for them; open channels before peers use them";
        events_.push_back(std::move(error));
    }
    return true;
}

void Session::release_held(const std::string& name) {
    for (auto it = held_messages_.begin(); it != held_messages_.end();) {
        if (it->channel != name) {
            ++it;
            continue;
        }
        held_bytes_ -= it->data.size();
        held_overflow_reported_ = false;
        events_.push_back(std::move(*it));
        it = held_messages_.erase(it);
    }
}

}  // namespace rtcmesh::session

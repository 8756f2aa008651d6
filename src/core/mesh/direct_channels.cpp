#include "core/mesh/direct_channels.hpp"

#include <vector>

namespace rtcmesh::mesh {

std::uint16_t direct_channel_id(const std::string& name) {
    // FNV-1a: stable across builds and platforms, which std::hash is not.
    std::uint32_t hash = 2166136261u;
    for (const unsigned char c : name) hash = (hash ^ c) * 16777619u;
    return static_cast<std::uint16_t>(1 + hash % kMaxDirectChannelId);
}

Status DirectChannels::open(const std::string& name, DataChannelSpec spec, Outbox& out) {
    if (is_open(name)) return Status::success();
    spec.id = direct_channel_id(name);
    for (const auto& [other, other_spec] : registered_) {
        if (other_spec.id == spec.id)
            return Status::fail(ErrorCode::bad_argument, "channel names \"" + name + "\" and \"" + other +
                                                             "\" map to the same data channel id " +
                                                             std::to_string(spec.id) + "; rename one of them");
    }
    registered_[name] = spec;
    for (const auto& [peer, pc] : connections_) create(peer, pc, name, spec, out);
    return Status::success();
}

void DirectChannels::close(const std::string& name, Outbox& out) {
    if (registered_.erase(name) == 0) return;
    for (auto it = channels_.begin(); it != channels_.end();) {
        if (it->second.name != name) {
            ++it;
            continue;
        }
        out.commands.push_back(make_command(CommandKind::close_channel, it->second.pc, it->first));
        it = channels_.erase(it);
    }
}

void DirectChannels::on_connection(const std::string& peer, Handle pc, Outbox& out) {
    auto known = connections_.find(peer);
    const Handle before = known == connections_.end() ? 0 : known->second;
    if (before == pc) return;
    // The old connection's channels went (or go) with it: the link closed it.
    for (auto it = channels_.begin(); it != channels_.end();) {
        it = it->second.peer == peer ? channels_.erase(it) : std::next(it);
    }
    if (pc == 0) {
        connections_.erase(peer);
        return;
    }
    connections_[peer] = pc;
    for (const auto& [name, spec] : registered_) create(peer, pc, name, spec, out);
}

void DirectChannels::create(const std::string& peer, Handle pc, const std::string& name, const DataChannelSpec& spec,
                            Outbox& out) {
    Command c = make_command(CommandKind::create_data_channel, pc, out.allocate());
    c.text = name;
    c.data_channel = spec;
    Channel& channel = channels_[c.channel];
    channel.peer = peer;
    channel.name = name;
    channel.pc = pc;
    out.commands.push_back(std::move(c));
}

void DirectChannels::on_open(Handle channel) {
    if (auto it = channels_.find(channel); it != channels_.end()) it->second.open = true;
}

void DirectChannels::on_closed(Handle channel) {
    if (auto it = channels_.find(channel); it != channels_.end()) it->second.open = false;
}

void DirectChannels::on_buffered_amount(Handle channel, std::size_t amount) {
    if (auto it = channels_.find(channel); it != channels_.end()) it->second.buffered = amount;
}

void DirectChannels::on_message(Handle handle, const Bytes& frame, Outbox& out) {
    auto it = channels_.find(handle);
    if (it == channels_.end()) return;
    const Channel& channel = it->second;
    if (frame.empty() || frame.size() - 1 > kMaxDirectMessageBytes || (frame[0] & ~1u) != 0) {
        out.error(ErrorCode::malformed_frame, channel.peer,
                  "a malformed message of " + std::to_string(frame.size()) + " bytes on channel \"" + channel.name +
                      "\" from " + channel.peer + "; dropped");
        return;
    }
    Event e;
    e.kind = EventKind::message;
    e.peer = channel.peer;
    e.channel = channel.name;
    e.is_text = (frame[0] & 1) != 0;
    e.data.assign(frame.begin() + 1, frame.end());
    out.events.push_back(std::move(e));
}

Handle DirectChannels::channel_to(const std::string& peer, const std::string& name) const {
    for (const auto& [handle, channel] : channels_)
        if (channel.peer == peer && channel.name == name) return handle;
    return 0;
}

Status DirectChannels::send(const std::string& peer, const std::string& name, const std::uint8_t* data,
                            std::size_t size, bool is_text, const std::function<bool(const std::string&)>& usable,
                            Outbox& out) {
    if (!is_open(name))
        return Status::fail(ErrorCode::bad_argument, "no channel \"" + name + "\" is open here; open it first");
    if (size > kMaxDirectMessageBytes)
        return Status::fail(ErrorCode::message_too_large,
                            "a message of " + std::to_string(size) + " bytes on channel \"" + name +
                                "\" is over its limit of " + std::to_string(kMaxDirectMessageBytes) +
                                " bytes (unordered and unreliable channels send each message whole)");
    Bytes frame;
    frame.reserve(size + 1);
    frame.push_back(is_text ? 1 : 0);
    frame.insert(frame.end(), data, data + size);
    if (!peer.empty()) {
        const Handle handle = channel_to(peer, name);
        Channel* channel = handle == 0 ? nullptr : &channels_.at(handle);
        if (channel == nullptr || !channel->open || !usable(peer))
            return Status::fail(ErrorCode::not_connected, "channel \"" + name + "\" is not open to " + peer +
                                                              " (its messages go over direct links only, never relayed)");
        return send_on(handle, *channel, frame, out);
    }
    Status first_error;
    for (auto& [handle, channel] : channels_) {
        if (channel.name != name || !channel.open || !usable(channel.peer)) continue;
        Status s = send_on(handle, channel, frame, out);
        if (!s.ok() && first_error.ok()) first_error = s;
    }
    return first_error;
}

Status DirectChannels::send_on(Handle handle, Channel& channel, const Bytes& frame, Outbox& out) {
    if (channel.buffered + frame.size() > kMaxDirectBufferedBytes)
        return Status::fail(ErrorCode::queue_full, "channel \"" + channel.name + "\" to " + channel.peer + " holds " +
                                                       std::to_string(channel.buffered) +
                                                       " bytes not yet sent; the message was dropped");
    channel.buffered += frame.size();
    Command c = make_command(CommandKind::send, channel.pc, handle);
    c.bytes = frame;
    out.commands.push_back(std::move(c));
    return Status::success();
}

}  // namespace rtcmesh::mesh

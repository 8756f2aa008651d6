// Named channels carried by data channels of their own, beside the mesh's
// channel on each peer connection: for messages that must not wait behind a
// retransmission (unordered or unreliable channels: game state, cursors).
//
// Unlike the mesh's messages they are never relayed, cut into chunks or
// acknowledged: one message is one data channel message of at most
// kMaxDirectMessageBytes, and a peer whose direct link is down does not get
// it (not_connected). Both ends create each channel with the same negotiated
// id, derived from its name, so neither asks the other; a peer that has not
// opened the channel gets nothing on it.
//
// Wire, one data channel message: [u8 flags (1 = text)][application bytes].
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/common/bytes.hpp"
#include "core/mesh/events.hpp"
#include "core/mesh/peer_link.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

inline constexpr std::size_t kMaxDirectMessageBytes = 64 * 1024 - 1;
// Past this many bytes buffered on a direct channel a send is refused
// (queue_full): waiting would defeat the point of such a channel.
inline constexpr std::size_t kMaxDirectBufferedBytes = 1u << 20;
// Negotiated ids 1 to this (0 is the mesh's own channel); SCTP stacks
// commonly offer 1024 streams.
inline constexpr std::uint16_t kMaxDirectChannelId = 1023;

// The negotiated id of the direct channel `name`: the same on every member.
std::uint16_t direct_channel_id(const std::string& name);

class DirectChannels {
public:
    // Registers `name` (ordered / max_retransmits as in RTCDataChannelInit,
    // -1 = reliable) and creates it on every current connection. Fails when
    // another open name has the same id.
    Status open(const std::string& name, DataChannelSpec spec, Outbox& out);
    void close(const std::string& name, Outbox& out);
    bool is_open(const std::string& name) const { return registered_.count(name) != 0; }

    // `peer`'s current peer connection is `pc` (0: none). When it changed,
    // the old one's channels are forgotten (closed with it) and every
    // registered channel is created on the new one.
    void on_connection(const std::string& peer, Handle pc, Outbox& out);

    // Host events for channels this holds (owns()); others are the mesh's.
    bool owns(Handle channel) const { return channels_.count(channel) != 0; }
    const std::string& peer_of(Handle channel) const { return channels_.at(channel).peer; }
    void on_open(Handle channel);
    void on_closed(Handle channel);
    void on_message(Handle channel, const Bytes& frame, Outbox& out);
    void on_buffered_amount(Handle channel, std::size_t amount);

    // To one peer; "" = every peer whose channel `name` is open. Only over
    // links `usable` says are up: a channel of a connection that lost ICE
    // still says open.
    Status send(const std::string& peer, const std::string& name, const std::uint8_t* data, std::size_t size,
                bool is_text, const std::function<bool(const std::string&)>& usable, Outbox& out);

private:
    struct Channel {
        std::string peer;
        std::string name;
        Handle pc = 0;
        bool open = false;
        std::size_t buffered = 0;  // estimate: what we sent since the host last reported
    };
    Handle channel_to(const std::string& peer, const std::string& name) const;
    void create(const std::string& peer, Handle pc, const std::string& name, const DataChannelSpec& spec, Outbox& out);
    Status send_on(Handle handle, Channel& channel, const Bytes& frame, Outbox& out);

    std::map<std::string, DataChannelSpec> registered_;  // by name
    std::map<Handle, Channel> channels_;                 // by channel handle
    std::map<std::string, Handle> connections_;          // peer -> its pc the channels were made on
};

}  // namespace rtcmesh::mesh

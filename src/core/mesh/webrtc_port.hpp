// The boundary between the mesh core and the real (or simulated) WebRTC.
//
// The core never touches RTCPeerConnection. It emits Commands; the host (the
// JS shim in the browser, SimWebRtc in tests) executes them, possibly much
// later and in any interleaving across connections, and reports results back
// by calling the Mesh::on_* methods ("host events").
//
// Design choices:
// * Handles are integers the core allocates and never reuses, so a late
//   completion for a connection that was replaced simply names a handle the
//   core no longer knows and is ignored (the handle is the generation).
// * One data channel per pair, created on both sides with
//   {negotiated: true, id: 0, ordered: true}. No `datachannel` event race, both
//   ends own their handle immediately, and the offer always carries it.
// * There is no separate restart_ice command: set_local_description with
//   ice_restart=true means `pc.restartIce(); pc.setLocalDescription()`. The
//   core serialises negotiation per connection (one pending op at a time), so
//   its view of the signaling state is exact without reading it back.
// * Every `send` carries a binary frame (see frame.hpp); text vs binary is a
//   frame flag, so the shim always calls channel.send(Uint8Array).
// * After running a batch of commands the shim reports channel.bufferedAmount
//   of every channel it sent on (Mesh::on_buffered_amount), and takes the
//   commands again at once while Mesh::sends_waiting(): the core hands out
//   frames only up to its high-water mark.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/bytes.hpp"

namespace rtcmesh::mesh {

using Handle = std::uint32_t;  // 0 = no handle

enum class SdpType : std::uint8_t { offer, answer };

enum class ConnectionState : std::uint8_t { new_, connecting, connected, disconnected, failed, closed };

enum class CommandKind : std::uint8_t {
    create_peer_connection,  // pc, peer, text = iceServers JSON (passed through verbatim)
    create_data_channel,     // pc, channel, text = label, data_channel: negotiated with that id on both ends
    set_local_description,   // pc, ice_restart; host answers with on_local_description
    set_remote_description,  // pc, sdp_type, text = sdp; host answers with on_remote_description_set
    add_ice_candidate,       // pc, text = candidate ("" = end of candidates)
    send,                    // channel, bytes (a binary frame)
    set_buffered_amount_low_threshold,  // channel, number = bytes
    close_channel,           // channel
    close_peer_connection,   // pc (the host forgets the handle afterwards)
    send_via_server,         // peer, bytes: a frame for peer through the signaling server (Options::server_path)
    add_track,               // pc, number = the host's track: pc.addTrack(track, ...its streams)
    remove_track,            // pc, number = the host's track: pc.removeTrack(its sender)
};
// How many kinds there are, for tables of their names: keep it after the last.
inline constexpr int kCommandKindCount = static_cast<int>(CommandKind::remove_track) + 1;

// One flat struct instead of a variant: trivial to pack for the host wire
// and to switch over in JS. Unused fields keep their defaults.
// How a data channel is made (RTCDataChannelInit). Both ends create it with
// the same negotiated id, so no `datachannel` event is involved. The mesh's
// own channel is the default: id 0, ordered and reliable.
struct DataChannelSpec {
    std::uint16_t id = 0;
    bool ordered = true;
    std::int32_t max_retransmits = -1;  // -1: reliable
};

struct Command {
    CommandKind kind = CommandKind::send;
    Handle pc = 0;
    Handle channel = 0;
    std::string peer;
    std::string text;
    SdpType sdp_type = SdpType::offer;
    bool ice_restart = false;
    std::uint64_t number = 0;
    Bytes bytes;
    DataChannelSpec data_channel;
};

// A command for connection `pc` (and `channel`), the other fields to fill.
inline Command make_command(CommandKind kind, Handle pc, Handle channel = 0) {
    Command c;
    c.kind = kind;
    c.pc = pc;
    c.channel = channel;
    return c;
}

const char* to_string(CommandKind kind);
const char* to_string(ConnectionState state);
// A browser's RTCPeerConnection.connectionState (or iceConnectionState) as
// the core's state; an unknown name counts as closed.
ConnectionState connection_state_named(const std::string& name);

}  // namespace rtcmesh::mesh

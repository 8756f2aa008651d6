// The mesh's commands and events packed for a host across a boundary: one
// DataView read per batch, no object per field (the JS shim reads it in
// js/shim/mesh-batch.js). The session's host wire (session/host_wire.hpp)
// puts its header in front.
//
// Little-endian; u32 handles and lengths; str = u32 length + UTF-8; bytes =
// u32 length + raw; num = f64. Kinds are the enums' values (CommandKind,
// EventKind, ErrorCode); their names come from the core (`to_string`).
//   u32 n, n × command: u8 kind, then
//     create_peer_connection  u32 pc, str peer, str iceServers JSON
//     create_data_channel     u32 pc, u32 channel, str label, u32 negotiated id, u8 ordered,
//                             num max retransmits + 1 (0: reliable)
//     set_local_description   u32 pc, u8 ice_restart
//     set_remote_description  u32 pc, u8 sdp_type (0 offer, 1 answer), str sdp
//     add_ice_candidate       u32 pc, str candidate
//     send                    u32 channel, bytes frame
//     set_buffered_amount_low_threshold  u32 channel, num bytes
//     close_channel           u32 channel
//     close_peer_connection   u32 pc
//     send_via_server         str peer, bytes frame
//     add_track, remove_track u32 pc, u32 track (the host's number for it)
//   u32 n, n × event: u8 kind, str peer, then
//     message                 u8 flags (1 text, 2 system, 4 named channel),
//                             [str channel name, when flag 4], bytes data
//     error                   u8 code, str text
//     any other               str text
#pragma once

#include <vector>

#include "core/common/bytes.hpp"
#include "core/mesh/events.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

// Appends `commands` and `events` to `out`.
void pack_commands_and_events(const std::vector<Command>& commands, const std::vector<Event>& events, Bytes& out);

}  // namespace rtcmesh::mesh

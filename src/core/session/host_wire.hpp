// The one wire between a session and its host across a boundary (the JS
// shim and public classes, over wasm): one call takes a packed batch of what
// happened, applies it in order, and packs what the host must do next. A
// send, a received frame or a tick costs one crossing, and no object is made
// per field on either side.
//
// Input, little-endian, a sequence of records `u8 kind` then:
//   tick             num now (the host's clock, ms)
//   send             str peer ("" = broadcast), u8 flags (1 text, 4 named channel),
//                    [str channel name, when flag 4], bytes payload
//   open_channel     str name, u8 ordered, num max retransmits (negative: reliable)
//   close_channel    str name
//   channel_message  u32 channel, bytes frame
//   buffered_amount  u32 channel, num bytes   (channel.bufferedAmount, see Mesh::on_buffered_amount)
//   server_path      u8 up, num max frame bytes, num bytes per second
//   server_frame     str from, bytes frame
// and what the host's WebRTC did, in the order it happened, so that a
// channel's close never overtakes the frames that came before it:
//   local_description       u32 pc, u8 type (0 offer, 1 answer), str sdp
//   remote_description_set  u32 pc
//   local_candidate         u32 pc, str candidate JSON ("" = the end)
//   connection_state        u32 pc, str state (connectionState's name)
//   max_message_size        u32 pc, num bytes (the SCTP transport's)
//   channel_open            u32 channel
//   channel_closed          u32 channel
//   operation_failed        u32 pc, u8 command kind, str error
// str = u32 length + UTF-8, bytes = u32 length + raw, num = f64.
//
// Output: one header, then (when the host asks to drain) the batch of
// mesh/batch_codec.hpp's commands and events:
//   u8 version (3), u32 total length in bytes
//   num next wake-up (when update must run next; 0 when not drained)
//   u8 status code (mesh::ErrorCode of the input's last send or open_channel; 0 = ok), str message
//   u8 flags: 1 = frames wait for channel buffer room, so the host should
//     report bufferedAmount of the channels it sent on now rather than later
//   u32 n, n × command;  u32 n, n × event        (0 and 0 when not drained)
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/common/bytes.hpp"
#include "core/session/session.hpp"

namespace rtcmesh::session {

enum class HostInput : std::uint8_t {
    tick,
    send,
    channel_message,
    buffered_amount,
    server_path,
    server_frame,
    open_channel,
    close_channel,
    local_description,
    remote_description_set,
    local_candidate,
    connection_state,
    max_message_size,
    channel_open,
    channel_closed,
    operation_failed,
};

// 4: the last-resort path's records and command; 5: named channels;
// 6: the host's WebRTC reports.
inline constexpr std::uint8_t kHostWireVersion = 6;

// How old the session's clock may be when an exchange applies what arrived:
// a Raft heartbeat stepped in at a clock 250 ms old (a quiet mesh sleeps
// that long) would leave its follower 250 ms less patience.
inline constexpr Millis kStaleClockMs = 10;

// Applies `input` to `session` and writes the output into `out` (replaced).
// `host_now` is the host's clock in ms (clamped like a tick's): when the
// session's is more than kStaleClockMs behind, it is updated first.
// Without `drain` only the header is written and the session keeps its
// commands and events: a host that is in the middle of handling the last
// batch (a send from an event listener) gets its status, and the next
// drained exchange carries what the send produced, in order.
// Malformed input stops at the bad record with a bad_argument status.
void exchange(Session& session, double host_now, const std::uint8_t* input, std::size_t size, bool drain, Bytes& out);

}  // namespace rtcmesh::session

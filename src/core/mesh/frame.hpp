// Wire format of everything the mesh sends on a data channel.
//
// Fixed 40-byte little-endian header, then payload:
//   0 u8  version (3)         1 u8  type (FrameType)
//   2 u8  flags (FrameFlag)   3 u8  hops_left (decremented by each relay)
//   4 u32 origin_epoch random per Mesh instance: tells a restarted peer apart
//   8 u64 origin      hash of the originating peer id
//  16 u64 destination hash of the final receiver (0 = the direct neighbour)
//  24 u32 message_id  per (origin, destination) stream, 1, 2, 3 ...; for acks:
//                     highest message delivered in order; for window frames:
//                     bytes received on this channel since the last one
//  28 u32 chunk_index
//  32 u32 destination_epoch  epoch of the receiver this was meant for (0 =
//                     unknown yet): a restarted peer drops frames addressed to
//                     its previous incarnation instead of misnumbering them
//  36 u32 total_length (whole message). A message is complete when the
//                     chunks received on one path add up to it.
// Fixed layout so encoding is a few stores and decoding a few loads: no varints
// on the hot path. Control frames (ack, link_state, window) are single-chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::mesh {

// 3: 64-bit id hashes (version 2 had 32-bit ones, whose collisions anyone
// could find in a second). 4: a data frame may carry an ack (flag_ack).
// Frames of other versions are refused.
inline constexpr std::uint8_t kFrameVersion = 4;
inline constexpr std::size_t kHeaderSize = 40;
inline constexpr std::uint8_t kDefaultHops = 2;  // one relay in between is enough for a full mesh
// hops_left of a frame that went through one relay: the only relayed kind.
inline constexpr std::uint8_t kRelayedHops = kDefaultHops - 1;

// A peer id as frames carry it; 0 means "no peer".
using PeerHash = std::uint64_t;

// window: a neighbour's report of how many bytes of frames (all but window
// frames) it received on this channel, so the sender can bound what the link
// holds even where the host's bufferedAmount says nothing (@roamhq/wrtc).
// Never relayed. goodbye: the neighbour is closing its mesh on purpose; its
// link is down at once and not redialled (its offer reopens it). Never relayed.
// link_proof: the first frame on a new channel between members that share a
// key (relay_auth.hpp): a MAC over both ids and both DTLS fingerprints, so a
// party in the middle of the connection is found out. Never relayed.
enum class FrameType : std::uint8_t { data = 1, ack = 2, link_state = 3, window = 4, goodbye = 5, link_proof = 6 };

// flag_system marks messages of rtcmesh's own protocols (Raft over the mesh)
// that share the links with the application's messages but are delivered
// apart from them. flag_channel marks an application message of a named
// channel (Mesh::send_on_channel): its payload starts with the channel's
// name, `[u8 length][name]`, and the application's bytes follow.
// flag_relay_tag: the frame ends in an end-to-end MAC (relay_auth.hpp),
// after the payload; total_length and the payload do not count it.
// flag_ack: a data frame sent straight to its destination ends in a u32 (not
// counted either): the ack of the destination's stream to its sender, on the
// frame's lane, as an ack frame's message_id would say. Acks ride on data
// both ways instead of going as frames of their own: in Chromium a send made
// while messages pour in costs about ten times one made at another moment
// (measured on 2026-11-29), and under two-way load the ack frames were most
// of those sends.
enum FrameFlag : std::uint8_t { flag_text = 1, flag_system = 2, flag_channel = 4, flag_relay_tag = 8, flag_ack = 16 };
inline constexpr std::uint8_t kKnownFlags = flag_text | flag_system | flag_channel | flag_relay_tag | flag_ack;
inline constexpr std::size_t kRelayTagSize = 16;  // == relay_auth.hpp's kRelayTagBytes
inline constexpr std::size_t kAckTrailerSize = 4;

// A channel's name is 1 to this many bytes (UTF-8).
inline constexpr std::size_t kMaxChannelNameBytes = 64;

// flag_system also picks the message's lane. Each lane of a (me -> peer)
// stream has its own message ids, acks (an ack frame's flag_system says which
// lane it acknowledges) and in-order delivery, so a system message never waits
// at the receiver for an application message sent before it; and every link
// sends system frames ahead of application frames.
enum Lane : std::uint8_t { system_lane = 0, app_lane = 1 };
inline constexpr std::size_t kLanes = 2;
inline Lane lane_of(std::uint8_t flags) { return (flags & flag_system) != 0 ? system_lane : app_lane; }

struct FrameHeader {
    FrameType type = FrameType::data;
    std::uint8_t flags = 0;
    std::uint8_t hops_left = kDefaultHops;
    PeerHash origin = 0;
    std::uint32_t origin_epoch = 0;
    PeerHash destination = 0;
    std::uint32_t message_id = 0;
    std::uint32_t chunk_index = 0;
    std::uint32_t destination_epoch = 0;
    std::uint32_t total_length = 0;
    std::uint32_t ack_upto = 0;  // flag_ack: the ack the frame carries
};

// Builds header + payload[offset, offset+length) (+ the ack, with flag_ack)
// in one allocation.
Bytes encode_frame(const FrameHeader& header, const std::uint8_t* payload, std::size_t length);

struct DecodeResult {
    std::optional<FrameHeader> header;  // empty when malformed
    std::string error;                  // why, for the error event
};

// Validates everything that can be checked without stream state:
// version, type, chunk index/count, payload size against total length and
// max_message_bytes. With flag_ack, ack_upto is read from the trailer, which
// the frame still holds (strip_ack_trailer).
DecodeResult decode_frame(const Bytes& frame, std::size_t max_message_bytes);

// Takes a decoded frame's ack trailer off, so that header + payload remain;
// clears flag_ack in `header`.
void strip_ack_trailer(FrameHeader& header, Bytes& frame);

// Rewrites hops_left in place so a relay forwards without copying.
void set_hops_left(Bytes& frame, std::uint8_t hops);

// link_state payload: u32 count, then count u64 peer hashes.
Bytes encode_peer_list(const std::vector<PeerHash>& hashes);
std::optional<std::vector<PeerHash>> decode_peer_list(const Bytes& frame, std::size_t offset);

// FNV-1a 64 of a peer id; never 0. Not collision-resistant against someone
// who crafts ids on purpose: a mesh refuses a peer whose hash it already
// knows (see Mesh::add_peer), so a collision costs the newcomer its link, and
// never the room.
PeerHash peer_hash(const std::string& id);
// A route through the signaling server (Mesh's last-resort path); no peer's
// hash may equal it.
inline constexpr PeerHash kServerRoute = 1;

}  // namespace rtcmesh::mesh

// Application-facing events and call results of the mesh.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "core/common/bytes.hpp"

namespace rtcmesh::mesh {

enum class EventKind : std::uint8_t {
    offer,          // peer, text = sdp: deliver to peer's createAnswer
    answer,         // peer, text = sdp: deliver to peer's addAnswer
    icecandidate,   // peer, text = candidate ("" = end of candidates): deliver to peer's addIceCandidate
    disconnected,   // peer: ICE lost connectivity; the mesh will restart ICE after a grace period
    failed,         // peer: a connection attempt failed; text says why; it will be retried
    addchannel,     // peer: direct channel open
    removechannel,  // peer: a previously open direct channel is gone (once per open)
    message,        // peer = origin, data, is_text, system, channel (a named channel's, or "")
    reconnecting,   // peer, text = attempt number; a new connection is scheduled
    ice_restart,    // peer: an ICE restart offer is being made
    relay_on,       // peer, text = relay peer id: traffic to peer now goes through text
    relay_off,      // peer: traffic to peer is direct again (or has no route)
    error,          // peer (may be empty), code, text = message for humans
    buffered_amount_low,  // peer: its queued bytes fell to Options::buffered_low_threshold after a send took them above
    metadata,             // peer, text = its metadata (a JSON text, session::Session::set_metadata), new or changed
    media_relayed,        // peer, text = relay id ("" = the server): our tracks for it stop, as media is never relayed; relay_off: direct again
};
inline constexpr int kEventKindCount = static_cast<int>(EventKind::media_relayed) + 1;  // keep after the last

enum class ErrorCode : std::uint8_t {
    none,
    bad_argument,
    unknown_peer,
    bad_sdp,
    stale_description,
    message_too_large,
    queue_full,
    malformed_frame,
    reassembly_limit,
    too_many_peers,
    closed,
    gave_up,
    operation_failed,
    connection_refused,  // the host refused a new peer connection (Chromium caps a page at ~500)
    peer_refused,        // a peer whose id hashes like a known one on the wire: skipped
    forged_frame,        // a neighbour sent a frame under another member's origin: dropped
    not_connected,       // a direct channel's message for a peer it is not open to (they are never relayed)
    bad_link_proof,      // a new link's proof of the shared key failed: someone in the middle, or no shared key
};
inline constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::bad_link_proof) + 1;  // keep after the last

struct Event {
    EventKind kind = EventKind::error;
    std::string peer;
    std::string text;
    Bytes data;
    bool is_text = false;
    bool system = false;  // a message of rtcmesh's own protocols, not the app's
    std::string channel;  // a message of a named channel: its name
    ErrorCode code = ErrorCode::none;
};

// Result of a public call. Never thrown; check ok().
struct Status {
    ErrorCode code = ErrorCode::none;
    std::string message;

    bool ok() const { return code == ErrorCode::none; }
    static Status success() { return {}; }
    static Status fail(ErrorCode code, std::string message) { return {code, std::move(message)}; }
};

const char* to_string(EventKind kind);
const char* to_string(ErrorCode code);

}  // namespace rtcmesh::mesh

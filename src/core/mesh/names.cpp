// Human-readable names for the enums of the mesh boundary (logs, JS shim).
#include "core/mesh/events.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

const char* to_string(CommandKind kind) {
    switch (kind) {
        case CommandKind::create_peer_connection: return "create_peer_connection";
        case CommandKind::create_data_channel: return "create_data_channel";
        case CommandKind::set_local_description: return "set_local_description";
        case CommandKind::set_remote_description: return "set_remote_description";
        case CommandKind::add_ice_candidate: return "add_ice_candidate";
        case CommandKind::send: return "send";
        case CommandKind::set_buffered_amount_low_threshold: return "set_buffered_amount_low_threshold";
        case CommandKind::close_channel: return "close_channel";
        case CommandKind::close_peer_connection: return "close_peer_connection";
        case CommandKind::send_via_server: return "send_via_server";
        case CommandKind::add_track: return "add_track";
        case CommandKind::remove_track: return "remove_track";
    }
    return "unknown";
}

const char* to_string(ConnectionState state) {
    switch (state) {
        case ConnectionState::new_: return "new";
        case ConnectionState::connecting: return "connecting";
        case ConnectionState::connected: return "connected";
        case ConnectionState::disconnected: return "disconnected";
        case ConnectionState::failed: return "failed";
        case ConnectionState::closed: return "closed";
    }
    return "unknown";
}

ConnectionState connection_state_named(const std::string& name) {
    if (name == "new") return ConnectionState::new_;
    if (name == "connecting" || name == "checking") return ConnectionState::connecting;
    if (name == "connected" || name == "completed") return ConnectionState::connected;
    if (name == "disconnected") return ConnectionState::disconnected;
    if (name == "failed") return ConnectionState::failed;
    return ConnectionState::closed;
}

const char* to_string(EventKind kind) {
    switch (kind) {
        case EventKind::offer: return "offer";
        case EventKind::answer: return "answer";
        case EventKind::icecandidate: return "icecandidate";
        case EventKind::disconnected: return "disconnected";
        case EventKind::failed: return "failed";
        case EventKind::addchannel: return "addchannel";
        case EventKind::removechannel: return "removechannel";
        case EventKind::message: return "message";
        case EventKind::reconnecting: return "reconnecting";
        case EventKind::ice_restart: return "ice_restart";
        case EventKind::relay_on: return "relay_on";
        case EventKind::relay_off: return "relay_off";
        case EventKind::error: return "error";
        case EventKind::buffered_amount_low: return "buffered_amount_low";
        case EventKind::metadata: return "metadata";
        case EventKind::media_relayed: return "media_relayed";
    }
    return "unknown";
}

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::none: return "none";
        case ErrorCode::bad_argument: return "bad_argument";
        case ErrorCode::unknown_peer: return "unknown_peer";
        case ErrorCode::bad_sdp: return "bad_sdp";
        case ErrorCode::stale_description: return "stale_description";
        case ErrorCode::message_too_large: return "message_too_large";
        case ErrorCode::queue_full: return "queue_full";
        case ErrorCode::malformed_frame: return "malformed_frame";
        case ErrorCode::reassembly_limit: return "reassembly_limit";
        case ErrorCode::too_many_peers: return "too_many_peers";
        case ErrorCode::closed: return "closed";
        case ErrorCode::gave_up: return "gave_up";
        case ErrorCode::operation_failed: return "operation_failed";
        case ErrorCode::connection_refused: return "connection_refused";
        case ErrorCode::peer_refused: return "peer_refused";
        case ErrorCode::forged_frame: return "forged_frame";
        case ErrorCode::not_connected: return "not_connected";
        case ErrorCode::bad_link_proof: return "bad_link_proof";
    }
    return "unknown";
}

}  // namespace rtcmesh::mesh

// Per-peer connection state machine: who offers, perfect negotiation, trickle
// ICE, recovery (grace -> ICE restart, failure -> backoff -> re-create, give up).
//
// Roles (fixed per pair, from id comparison, so both ends agree without
// talking): the lower id is the *initiator* (offers first, restarts ICE) and
// *impolite* (its offers win a glare). The higher id is polite; if no offer
// shows up within answer_fallback_ms it offers itself, so a pair never
// deadlocks even when the initiator has given up or lost its offer.
//
// Negotiation is serialised: at most one description op is outstanding per
// connection, so `signaling` mirrors the browser's signalingState exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/common/rng.hpp"
#include "core/mesh/events.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

struct LinkTimings {
    Millis disconnect_grace_ms = 2000;
    // An attempt fails when its channel has not opened this long after the
    // last sign of progress (the attempt's start, a description or candidate
    // made or applied, an ICE state change): a slow machine's attempt that
    // still progresses is not cut off. After each attempt that failed so
    // although the peer had answered, the next one waits twice as long (up
    // to 4x): a machine too loaded for the timeout still links, on a later
    // attempt, while a peer that is gone is given up as soon as before.
    Millis connect_timeout_ms = 15000;
    Millis answer_fallback_ms = 3000;
    Millis backoff_base_ms = 500;
    Millis backoff_max_ms = 30000;
    int max_reconnect_attempts = 8;
    std::size_t max_pending_candidates = 256;
};

// Shared output of the core: commands for the host, events for the app.
struct Outbox {
    std::vector<Command> commands;
    std::vector<Event> events;
    Handle last_handle = 0;
    Handle allocate() { return ++last_handle; }
    void event(EventKind kind, const std::string& peer, std::string text = {}) {
        Event e;
        e.kind = kind;
        e.peer = peer;
        e.text = std::move(text);
        events.push_back(std::move(e));
    }
    void error(ErrorCode code, const std::string& peer, std::string text) {
        Event e;
        e.kind = EventKind::error;
        e.peer = peer;
        e.code = code;
        e.text = std::move(text);
        events.push_back(std::move(e));
    }
};

// "o=" line session id: stable for one RTCPeerConnection, new for a new one.
// Returns nullopt for text that is not an SDP.
std::optional<std::string> sdp_session_id(const std::string& sdp);
// The first "a=fingerprint:" value (hash name and hex digest, lower case):
// the DTLS certificate the connection that wrote the SDP will present. Empty
// when there is none.
std::string sdp_fingerprint(const std::string& sdp);

class PeerLink {
public:
    PeerLink(std::string self_id, std::string peer_id, const LinkTimings& timings, const std::string& label,
             const std::string& ice_servers);

    const std::string& peer() const { return peer_; }
    Handle pc() const { return pc_; }
    Handle channel() const { return channel_; }
    bool channel_open() const { return channel_open_; }
    // Proof of the link (Mesh::set_relay_key): while required, a channel that
    // opens stays "connecting" (no addchannel, not usable, the connect
    // timeout running) until prove(); refuse_proof() fails the attempt.
    void require_proof(bool required) { proof_required_ = required; }
    bool awaiting_proof() const { return channel_up_ && !channel_open_; }
    void prove(Outbox& out);
    void refuse_proof(Outbox& out, Millis now, Rng& rng, const std::string& why) { fail(out, now, rng, why); }
    // The DTLS fingerprints of this connection's two ends, from the SDP
    // each side wrote (ours) and applied (the peer's).
    const std::string& local_fingerprint() const { return local_fingerprint_; }
    const std::string& remote_fingerprint() const { return remote_fingerprint_; }
    // Open and ICE connected: safe to hand data to this channel.
    bool usable() const { return channel_open_ && state_ == ConnectionState::connected; }
    // An attempt failed since the channel was last open (or ever): the
    // last-resort path may carry the peer's traffic meanwhile.
    bool failed_since_open() const { return attempts_ > 0; }
    std::string ready_state() const;
    // Open, or being made: not "closed" (failed and waiting to retry, given
    // up, or closed by the user).
    bool open_or_connecting() const { return channel_open_ || pc_ != 0 || phase_ == Phase::fresh; }

    // App calls (from signaling).
    Status create_offer(Outbox& out, Millis now);
    Status receive_offer(Outbox& out, Millis now, const std::string& sdp);
    Status receive_answer(Outbox& out, Millis now, const std::string& sdp);
    Status add_remote_candidate(Outbox& out, const std::string& candidate);
    void close_by_user(Outbox& out);

    // Host events for this link's pc / channel.
    void on_local_description(Outbox& out, SdpType type, const std::string& sdp);
    void on_remote_description_set(Outbox& out);
    // A sign of progress in the current attempt: its deadline moves on.
    // `from_peer`: the peer answered (its description or a candidate).
    void note_progress(Millis now, bool from_peer = false) {
        progress_at_ = std::max(progress_at_, now);
        heard_from_peer_ = heard_from_peer_ || from_peer;
    }
    void on_local_candidate(Outbox& out, const std::string& candidate);
    void on_connection_state(Outbox& out, Millis now, Rng& rng, ConnectionState state);
    // The host's network changed (browser `online`, navigator.connection):
    // an open link's offering side restarts ICE at once.
    void on_network_change(Outbox& out, Millis now);
    // The tracks on this connection changed: it makes an offer once stable.
    // An offer of ours that loses a glare is made again after the peer's.
    void renegotiate(Outbox& out);
    // Nothing came over the open channel for too long: the peer is gone, or
    // its side of the link is; the connection is re-made (see fail()).
    void on_silence(Outbox& out, Millis now, Rng& rng, Millis silent_ms) {
        fail(out, now, rng, "nothing heard from " + peer_ + " for " + std::to_string(silent_ms) + " ms");
    }
    void on_channel_open(Outbox& out);
    void on_channel_closed(Outbox& out, Millis now, Rng& rng);
    void on_operation_failed(Outbox& out, Millis now, Rng& rng, CommandKind what, const std::string& error);

    void update(Outbox& out, Millis now, Rng& rng);
    // The host stalled for `stalled` ms (Mesh::forgive_stall): the attempt's
    // progress deadline moves on by as much.
    void forgive_stall(Millis now, Millis stalled) { progress_at_ = std::min(now, progress_at_ + stalled); }
    // When update() has work next (-1: only host events move this link).
    Millis next_deadline(Millis now) const;
    // The peer closed its mesh on purpose (a goodbye frame): the channel is
    // gone now, and the peer is not redialled.
    void remote_left(Outbox& out);
    void shutdown(Outbox& out);  // close everything, no events

private:
    // left: the peer said goodbye: only an offer from it (or create_offer)
    // reopens the link.
    enum class Phase : std::uint8_t { fresh, active, backoff, closed_by_user, left };
    enum class Signaling : std::uint8_t { stable, have_local_offer, have_remote_offer };
    enum class Op : std::uint8_t { none, setting_local, setting_remote_offer, setting_remote_answer };

    void start_connection(Outbox& out, Millis now);
    void close_connection(Outbox& out);
    void open_to_mesh(Outbox& out);
    void pump(Outbox& out);
    void flush_candidates(Outbox& out);
    void fail(Outbox& out, Millis now, Rng& rng, const std::string& why);
    void restart_ice(Outbox& out, Millis now);
    Millis backoff_delay(Rng& rng) const;

    std::string self_;
    std::string peer_;
    LinkTimings timings_;
    std::string label_;
    std::string ice_servers_;
    bool initiator_;  // lower id: offers first, impolite, restarts ICE

    Phase phase_ = Phase::fresh;
    Handle pc_ = 0;
    Handle channel_ = 0;
    ConnectionState state_ = ConnectionState::new_;
    bool channel_open_ = false;  // open to the mesh (proven, when proof is required)
    bool channel_up_ = false;    // the host's channel is open
    bool proof_required_ = false;
    std::string local_fingerprint_;
    std::string remote_fingerprint_;
    Millis progress_at_ = 0;  // the last sign of progress in this attempt (see connect_timeout_ms)
    bool heard_from_peer_ = false;  // in this attempt
    int timeouts_ = 0;  // attempts in a row cut off by the connect timeout after the peer answered
    Millis connect_timeout() const;

    // Perfect negotiation.
    Signaling signaling_ = Signaling::stable;
    Op op_ = Op::none;
    bool making_offer_ = false;
    bool want_offer_ = false;
    bool renegotiate_ = false;  // media changed: until an offer of ours is answered
    bool want_ice_restart_ = false;
    bool remote_description_set_ = false;
    std::optional<std::string> pending_remote_offer_;
    std::string remote_session_;
    std::vector<std::string> pending_candidates_;

    // Recovery.
    Millis disconnected_since_ = -1;
    Millis next_ice_restart_ = -1;
    Millis last_ice_restart_ = -1;
    int ice_restarts_ = 0;  // while disconnected: the backoff of the next one
    Millis retry_at_ = -1;
    Millis fallback_offer_at_ = -1;
    int attempts_ = 0;
};

}  // namespace rtcmesh::mesh

#include "core/mesh/peer_link.hpp"

#include <algorithm>
#include <cctype>

namespace rtcmesh::mesh {

std::optional<std::string> sdp_session_id(const std::string& sdp) {
    if (sdp.rfind("v=0", 0) != 0) return std::nullopt;
    std::size_t line = sdp.find("\no=");
    if (line == std::string::npos) return std::nullopt;
    line += 3;
    const std::size_t end = sdp.find_first_of("\r\n", line);
    const std::string o = sdp.substr(line, end == std::string::npos ? std::string::npos : end - line);
    // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
    const std::size_t first = o.find(' ');
    if (first == std::string::npos) return std::nullopt;
    const std::size_t second = o.find(' ', first + 1);
    if (second == std::string::npos || second == first + 1) return std::nullopt;
    return o.substr(first + 1, second - first - 1);
}

std::string sdp_fingerprint(const std::string& sdp) {
    static const std::string kAttribute = "a=fingerprint:";
    const std::size_t at = sdp.find(kAttribute);
    if (at == std::string::npos) return {};
    const std::size_t start = at + kAttribute.size();
    const std::size_t end = sdp.find_first_of("\r\n", start);
    std::string value = sdp.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    return value;
}

PeerLink::PeerLink(std::string self_id, std::string peer_id, const LinkTimings& timings, const std::string& label,
                   const std::string& ice_servers)
    : self_(std::move(self_id)),
      peer_(std::move(peer_id)),
      timings_(timings),
      label_(label),
      ice_servers_(ice_servers),
      initiator_(self_ < peer_) {}

std::string PeerLink::ready_state() const {
    if (channel_open_) return "open";
    if (pc_ != 0) return "connecting";
    if (phase_ == Phase::fresh) return "new";
    return "closed";
}

void PeerLink::start_connection(Outbox& out, Millis now) {
    close_connection(out);
    pc_ = out.allocate();
    channel_ = out.allocate();
    Command pc = make_command(CommandKind::create_peer_connection, pc_);
    pc.peer = peer_;
    pc.text = ice_servers_;
    out.commands.push_back(std::move(pc));
    Command dc = make_command(CommandKind::create_data_channel, pc_, channel_);
    dc.text = label_;
    out.commands.push_back(std::move(dc));
    phase_ = Phase::active;
    state_ = ConnectionState::new_;
    progress_at_ = now;
    heard_from_peer_ = false;
    fallback_offer_at_ = -1;
    retry_at_ = -1;
}

// Forgets the current connection. Remote candidates queued for a future
// description are kept: with trickle ICE they may belong to the next offer.
void PeerLink::close_connection(Outbox& out) {
    if (pc_ != 0) {
        out.commands.push_back(make_command(CommandKind::close_channel, pc_, channel_));
        out.commands.push_back(make_command(CommandKind::close_peer_connection, pc_));
    }
    pc_ = 0;
    channel_ = 0;
    channel_open_ = false;
    channel_up_ = false;
    local_fingerprint_.clear();
    remote_fingerprint_.clear();
    state_ = ConnectionState::closed;
    signaling_ = Signaling::stable;
    op_ = Op::none;
    making_offer_ = false;
    want_offer_ = false;
    renegotiate_ = false;
    want_ice_restart_ = false;
    remote_description_set_ = false;
    pending_remote_offer_.reset();
    remote_session_.clear();
    disconnected_since_ = -1;
    next_ice_restart_ = -1;
    ice_restarts_ = 0;
    last_ice_restart_ = -1;
}

Status PeerLink::create_offer(Outbox& out, Millis now) {
    if (pc_ == 0) start_connection(out, now);
    want_offer_ = true;
    pump(out);
    return Status::success();
}

// Starts the next negotiation step if none is outstanding.
void PeerLink::pump(Outbox& out) {
    if (pc_ == 0 || op_ != Op::none) return;
    if (pending_remote_offer_) {
        Command c = make_command(CommandKind::set_remote_description, pc_);
        c.sdp_type = SdpType::offer;
        c.text = std::move(*pending_remote_offer_);
        pending_remote_offer_.reset();
        op_ = Op::setting_remote_offer;
        out.commands.push_back(std::move(c));
        return;
    }
    if (want_offer_ && signaling_ == Signaling::stable) {
        Command c = make_command(CommandKind::set_local_description, pc_);
        c.ice_restart = want_ice_restart_;
        want_offer_ = false;
        want_ice_restart_ = false;
        making_offer_ = true;
        op_ = Op::setting_local;
        out.commands.push_back(std::move(c));
    }
}

Status PeerLink::receive_offer(Outbox& out, Millis now, const std::string& sdp) {
    const auto session = sdp_session_id(sdp);
    if (!session) return Status::fail(ErrorCode::bad_sdp, "offer from " + peer_ + " is not an SDP (no v=0/o= line)");
    if (phase_ == Phase::closed_by_user)
        return Status::fail(ErrorCode::closed, "connection to " + peer_ + " was closed locally; call createOffer to reopen");
    if (pc_ != 0 && !remote_session_.empty() && *session != remote_session_) {
        // The remote made a brand-new RTCPeerConnection (page reload, or its
        // recovery): ours can never talk to it again.
        if (channel_open_) out.event(EventKind::removechannel, peer_);
        start_connection(out, now);
    }
    if (pc_ == 0) start_connection(out, now);
    // An offer that arrives while the answer to ours is being applied does not
    // collide with it (perfect negotiation's isSettingRemoteAnswerPending): it
    // is the peer's next negotiation, applied once the answer is in.
    const bool own_offer_pending =
        making_offer_ || (signaling_ == Signaling::have_local_offer && op_ != Op::setting_remote_answer);
    if (own_offer_pending && initiator_) return Status::success();  // impolite: ignore the colliding offer
    if (own_offer_pending && renegotiate_) want_offer_ = true;       // ours is rolled back: again, afterwards
    remote_session_ = *session;
    remote_fingerprint_ = sdp_fingerprint(sdp);  // one remote connection: the same in each of its SDPs
    pending_remote_offer_ = sdp;  // polite: applied after the current op; SRD(offer) rolls ours back
    pump(out);
    return Status::success();
}

Status PeerLink::receive_answer(Outbox& out, Millis now, const std::string& sdp) {
    const auto session = sdp_session_id(sdp);
    if (!session) return Status::fail(ErrorCode::bad_sdp, "answer from " + peer_ + " is not an SDP (no v=0/o= line)");
    if (pc_ == 0 || signaling_ != Signaling::have_local_offer || op_ != Op::none)
        return Status::fail(ErrorCode::stale_description, "answer from " + peer_ + " does not match an outstanding offer");
    if (!remote_session_.empty() && *session != remote_session_) {
        // A new remote instance answered our renegotiation (e.g. an ICE
        // restart after its page reloaded). Browsers cannot switch an
        // existing DTLS transport to it: start a fresh connection instead.
        if (channel_open_) out.event(EventKind::removechannel, peer_);
        start_connection(out, now);
        want_offer_ = true;
        pump(out);
        return Status::success();
    }
    remote_session_ = *session;
    remote_fingerprint_ = sdp_fingerprint(sdp);
    Command c = make_command(CommandKind::set_remote_description, pc_);
    c.sdp_type = SdpType::answer;
    c.text = sdp;
    op_ = Op::setting_remote_answer;
    out.commands.push_back(std::move(c));
    return Status::success();
}

Status PeerLink::add_remote_candidate(Outbox& out, const std::string& candidate) {
    const bool can_apply = pc_ != 0 && remote_description_set_ && op_ != Op::setting_remote_offer &&
                           op_ != Op::setting_remote_answer;
    if (can_apply) {
        Command c = make_command(CommandKind::add_ice_candidate, pc_);
        c.text = candidate;
        out.commands.push_back(std::move(c));
        return Status::success();
    }
    if (pending_candidates_.size() >= timings_.max_pending_candidates)
        return Status::fail(ErrorCode::queue_full, "too many ICE candidates from " + peer_ + " before its description");
    pending_candidates_.push_back(candidate);  // trickle ICE: keep until the description is set
    return Status::success();
}

void PeerLink::flush_candidates(Outbox& out) {
    for (auto& candidate : pending_candidates_) {
        Command c = make_command(CommandKind::add_ice_candidate, pc_);
        c.text = std::move(candidate);
        out.commands.push_back(std::move(c));
    }
    pending_candidates_.clear();
}

void PeerLink::close_by_user(Outbox& out) {
    if (channel_open_) out.event(EventKind::removechannel, peer_);
    close_connection(out);
    pending_candidates_.clear();
    phase_ = Phase::closed_by_user;
}

void PeerLink::remote_left(Outbox& out) {
    if (channel_open_) out.event(EventKind::removechannel, peer_, "left");
    close_connection(out);
    pending_candidates_.clear();
    phase_ = Phase::left;
}

void PeerLink::shutdown(Outbox& out) {
    close_connection(out);
    phase_ = Phase::closed_by_user;
}

void PeerLink::on_local_description(Outbox& out, SdpType type, const std::string& sdp) {
    if (op_ != Op::setting_local) return;  // stale completion
    op_ = Op::none;
    making_offer_ = false;
    local_fingerprint_ = sdp_fingerprint(sdp);
    if (type == SdpType::offer) {
        signaling_ = Signaling::have_local_offer;
        // A polite peer that received an offer meanwhile drops its own: the
        // remote one is applied next (implicit rollback).
        if (!pending_remote_offer_) out.event(EventKind::offer, peer_, sdp);
    } else {
        signaling_ = Signaling::stable;
        out.event(EventKind::answer, peer_, sdp);
    }
    pump(out);
}

void PeerLink::on_remote_description_set(Outbox& out) {
    if (op_ == Op::setting_remote_offer) {
        signaling_ = Signaling::have_remote_offer;
        remote_description_set_ = true;
        flush_candidates(out);
        op_ = Op::setting_local;  // the answer
        out.commands.push_back(make_command(CommandKind::set_local_description, pc_));
    } else if (op_ == Op::setting_remote_answer) {
        signaling_ = Signaling::stable;
        remote_description_set_ = true;
        op_ = Op::none;
        if (!want_offer_) renegotiate_ = false;  // answered; a change since then asked for another offer
        flush_candidates(out);
        pump(out);
    }
}

void PeerLink::on_local_candidate(Outbox& out, const std::string& candidate) {
    out.event(EventKind::icecandidate, peer_, candidate);
}

void PeerLink::on_connection_state(Outbox& out, Millis now, Rng& rng, ConnectionState state) {
    const ConnectionState before = state_;
    state_ = state;
    if (state == ConnectionState::connecting || state == ConnectionState::connected) note_progress(now);
    switch (state) {
        case ConnectionState::connected:
            disconnected_since_ = -1;
            next_ice_restart_ = -1;
            ice_restarts_ = 0;
            break;
        case ConnectionState::disconnected:
            if (before != ConnectionState::disconnected) {
                out.event(EventKind::disconnected, peer_);
                disconnected_since_ = now;
                next_ice_restart_ = now;  // at once: waiting rarely helps, and a restart is cheap
            }
            break;
        case ConnectionState::failed:
        case ConnectionState::closed:
            fail(out, now, rng, "connection " + std::string(to_string(state)));
            break;
        default:
            break;
    }
}

void PeerLink::on_channel_open(Outbox& out) {
    if (channel_up_) return;
    channel_up_ = true;
    if (!proof_required_) open_to_mesh(out);
}

void PeerLink::prove(Outbox& out) {
    if (awaiting_proof()) open_to_mesh(out);
}

void PeerLink::open_to_mesh(Outbox& out) {
    channel_open_ = true;
    attempts_ = 0;
    timeouts_ = 0;
    out.event(EventKind::addchannel, peer_);
}

void PeerLink::on_channel_closed(Outbox& out, Millis now, Rng& rng) {
    fail(out, now, rng, "data channel closed");
}

void PeerLink::on_operation_failed(Outbox& out, Millis now, Rng& rng, CommandKind what, const std::string& error) {
    // A stale candidate (from an ignored offer or a previous ICE generation)
    // is expected to fail: perfect negotiation says ignore it.
    if (what == CommandKind::add_ice_candidate || what == CommandKind::send) return;
    if (what == CommandKind::create_peer_connection)
        // Browsers cap the connections a page may hold (Chromium: about 500,
        // closed ones counted until collected); say so, as the user can act on it.
        out.error(ErrorCode::connection_refused, peer_,
                  "the host refused a new RTCPeerConnection for " + peer_ + " (" + error +
                      "); browsers cap the peer connections of a page (Chromium at about 500): close unused meshes");
    else
        out.error(ErrorCode::operation_failed, peer_, std::string(to_string(what)) + " failed: " + error);
    if (what == CommandKind::set_local_description || what == CommandKind::set_remote_description ||
        what == CommandKind::create_peer_connection || what == CommandKind::create_data_channel)
        fail(out, now, rng, std::string(to_string(what)) + " failed");
}

Millis PeerLink::backoff_delay(Rng& rng) const {
    Millis delay = timings_.backoff_base_ms;
    for (int i = 1; i < attempts_ && delay < timings_.backoff_max_ms; ++i) delay *= 2;
    delay = std::min(delay, timings_.backoff_max_ms);
    // Full jitter on the upper half so both ends of many links do not retry in lockstep.
    return delay / 2 + static_cast<Millis>(rng.between(0, static_cast<std::uint64_t>(delay / 2)));
}

void PeerLink::fail(Outbox& out, Millis now, Rng& rng, const std::string& why) {
    if (pc_ == 0) return;
    if (channel_open_) out.event(EventKind::removechannel, peer_);
    out.event(EventKind::failed, peer_, why);
    close_connection(out);
    ++attempts_;
    // Past the limit, said once: the link keeps trying, at the slowest
    // backoff. A peer still in the room may come back on a path that was
    // dead for minutes (a TURN server restarted); one that is gone for good
    // leaves the room, which removes it.
    if (attempts_ == timings_.max_reconnect_attempts + 1)
        out.error(ErrorCode::gave_up, peer_,
                  "no link to " + peer_ + " after " + std::to_string(timings_.max_reconnect_attempts) +
                      " attempts; trying again every " + std::to_string(timings_.backoff_max_ms / 1000) +
                      " s, and at once on an offer from it or createOffer");
    phase_ = Phase::backoff;
    retry_at_ = now + backoff_delay(rng);
    out.event(EventKind::reconnecting, peer_, std::to_string(attempts_));
}

Millis PeerLink::connect_timeout() const { return timings_.connect_timeout_ms << std::min(timeouts_, 2); }

// Mirrors update(): each timer it checks, as an absolute time.
Millis PeerLink::next_deadline(Millis now) const {
    if (phase_ == Phase::fresh) return now;
    if (phase_ == Phase::backoff) return retry_at_;
    if (phase_ != Phase::active) return -1;
    if (pc_ == 0) return fallback_offer_at_;
    Millis at = -1;
    auto earliest = [&at](Millis t) { at = at < 0 ? t : std::min(at, t); };
    if (!channel_open_) earliest(progress_at_ + connect_timeout() + 1);
    if (disconnected_since_ >= 0 && initiator_) earliest(next_ice_restart_);
    return at;
}

void PeerLink::update(Outbox& out, Millis now, Rng& rng) {
    if (phase_ == Phase::fresh || (phase_ == Phase::backoff && now >= retry_at_)) {
        phase_ = Phase::active;
        if (initiator_) {
            create_offer(out, now);
        } else {
            fallback_offer_at_ = now + timings_.answer_fallback_ms;
        }
    }
    if (phase_ != Phase::active) return;
    if (pc_ == 0) {
        if (fallback_offer_at_ >= 0 && now >= fallback_offer_at_) create_offer(out, now);
        return;
    }
    if (!channel_open_ && now - progress_at_ > connect_timeout()) {
        const Millis waited = connect_timeout();
        if (heard_from_peer_) ++timeouts_;
        fail(out, now, rng, "connection not established: no progress for " + std::to_string(waited) + " ms");
        return;
    }
    if (disconnected_since_ >= 0 && initiator_ && now >= next_ice_restart_) restart_ice(out, now);
}

// The offering side restarts ICE: at once when the link goes disconnected or
// the network changes, then, while it stays disconnected, after
// disconnect_grace_ms, twice that, four times ... up to backoff_max_ms.
void PeerLink::restart_ice(Outbox& out, Millis now) {
    out.event(EventKind::ice_restart, peer_);
    want_offer_ = true;
    want_ice_restart_ = true;
    const Millis delay = std::min(timings_.backoff_max_ms, timings_.disconnect_grace_ms << std::min(ice_restarts_, 8));
    ++ice_restarts_;
    last_ice_restart_ = now;
    next_ice_restart_ = now + delay;
    pump(out);
}

void PeerLink::renegotiate(Outbox& out) {
    if (pc_ == 0) return;  // a new connection is made with its tracks
    renegotiate_ = true;
    want_offer_ = true;
    pump(out);
}

void PeerLink::on_network_change(Outbox& out, Millis now) {
    if (pc_ == 0 || !channel_open_ || !initiator_) return;  // the offering side restarts; others wait for its offer
    // Networks flap: one restart per grace period is enough.
    if (last_ice_restart_ >= 0 && now - last_ice_restart_ < timings_.disconnect_grace_ms) return;
    restart_ice(out, now);
}

}  // namespace rtcmesh::mesh

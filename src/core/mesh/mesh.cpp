#include "core/mesh/mesh.hpp"

#include <algorithm>
#include <utility>

#include "core/mesh/ice_candidates.hpp"
#include "core/mesh/mesh_peer.hpp"

namespace rtcmesh::mesh {

Mesh::Mesh(Options options, std::uint64_t seed, TestFaults faults)
    : options_(std::move(options)), faults_(faults), rng_(seed), self_hash_(hash_of(options_.id)) {
    epoch_ = static_cast<std::uint32_t>(rng_.next());
    if (epoch_ == 0) epoch_ = 1;
    if (options_.keepalive_interval_ms == 0) options_.keepalive_interval_ms = Options::keepalive_for(options_.silence_timeout_ms);
    if (options_.id.empty() || options_.id.size() > kMaxIdLength) {
        init_status_ = Status::fail(ErrorCode::bad_argument,
                                    "options.id must be 1.." + std::to_string(kMaxIdLength) + " characters");
        return;
    }
    if (options_.chunk_bytes < 256 || options_.high_water_bytes < options_.low_water_bytes || options_.window_bytes == 0) {
        init_status_ = Status::fail(ErrorCode::bad_argument,
                                    "chunk_bytes must be >= 256, high_water >= low_water and window_bytes > 0");
        return;
    }
    if (options_.keepalive_interval_ms <= 0 || options_.silence_timeout_ms <= options_.keepalive_interval_ms) {
        init_status_ = Status::fail(ErrorCode::bad_argument,
                                    "the silence timeout must be longer than the keep-alive interval, which must be > 0");
        return;
    }
    for (const auto& peer : options_.peers) {
        if (peer == options_.id || find(peer) != nullptr) continue;
        Status s = add_peer(peer);
        if (s.code == ErrorCode::peer_refused) {
            out_.error(s.code, peer, s.message);  // one odd id does not keep us out of the room
        } else if (!s.ok()) {
            init_status_ = s;
            return;
        }
    }
    // Not a member: no link of its own, never in peers_ (mesh_server_path.cpp).
    if (options_.server_path) server_ = std::make_unique<Peer>(options_.id, std::string(), kServerRoute, options_);
}

Mesh::~Mesh() = default;

// ---------------------------------------------------------------- lookups

Mesh::Peer* Mesh::find(const std::string& id) const {
    auto it = peers_.find(id);
    return it == peers_.end() ? nullptr : it->second.get();
}

// Linear scans: a mesh has at most a few dozen peers, and a scan of that is
// cheaper than keeping handle maps in sync through every reconnect.
Mesh::Peer* Mesh::find_by_pc(Handle pc) const {
    if (pc == 0) return nullptr;
    for (const auto& [id, p] : peers_)
        if (p->link.pc() == pc) return p.get();
    return nullptr;
}

Mesh::Peer* Mesh::find_by_channel(Handle channel) const {
    if (channel == 0) return nullptr;
    for (const auto& [id, p] : peers_)
        if (p->link.channel() == channel) return p.get();
    return nullptr;
}

Mesh::Peer* Mesh::find_by_hash(PeerHash hash) const {
    if (hash == kServerRoute) return server_.get();
    for (const auto& [id, p] : peers_)
        if (p->hash == hash) return p.get();
    return nullptr;
}

PeerHash Mesh::hash_of(const std::string& id) const {
    const unsigned bits = faults_.id_hash_bits;
    if (bits >= 64) return peer_hash(id);
    const PeerHash truncated = peer_hash(id) & ((PeerHash{1} << bits) - 1);
    return truncated == 0 ? 1 : truncated;
}

Status Mesh::check_open() const {
    if (!init_status_.ok()) return init_status_;
    if (closed_) return Status::fail(ErrorCode::closed, "the mesh is closed");
    return Status::success();
}

Status Mesh::check_peer_id(const std::string& id) const {
    if (Status s = check_open(); !s.ok()) return s;
    if (find(id) == nullptr) return Status::fail(ErrorCode::unknown_peer, "unknown peer '" + id + "'");
    return Status::success();
}

// ---------------------------------------------------------------- peers

Status Mesh::add_peer(const std::string& peer) {
    if (closed_) return Status::fail(ErrorCode::closed, "the mesh is closed");
    if (peer.empty() || peer.size() > kMaxIdLength)
        return Status::fail(ErrorCode::bad_argument, "peer id must be 1.." + std::to_string(kMaxIdLength) + " characters");
    if (peer == options_.id) return Status::fail(ErrorCode::bad_argument, "a node cannot peer with itself");
    if (find(peer) != nullptr) return Status::success();
    if (peers_.size() >= options_.max_peers)
        return Status::fail(ErrorCode::too_many_peers, "peer limit of " + std::to_string(options_.max_peers) + " reached");
    const PeerHash hash = hash_of(peer);
    if (hash == kServerRoute)
        return Status::fail(ErrorCode::peer_refused,
                            "peer '" + peer + "' refused: its id hashes like the server path's mark on the wire; it is skipped");
    if (hash == self_hash_ || find_by_hash(hash) != nullptr)
        return Status::fail(ErrorCode::peer_refused,
                            "peer '" + peer + "' refused: its id hashes like " +
                                (hash == self_hash_ ? std::string("this node's") : "member '" + find_by_hash(hash)->id + "'") +
                                " on the wire; it is skipped");
    auto p = std::make_unique<Peer>(options_.id, peer, hash, options_);
    peers_.emplace(peer, std::move(p));
    return Status::success();
}

Status Mesh::set_relay_key(const std::string& peer, const std::uint8_t* key, std::size_t size) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    if (size != kRelayKeyBytes)
        return Status::fail(ErrorCode::bad_argument, "a relay key is " + std::to_string(kRelayKeyBytes) + " bytes, not " +
                                                         std::to_string(size));
    RelayKey k{};
    std::copy(key, key + size, k.begin());
    Peer& p = *find(peer);
    if (p.relay_key != k) p.key_confirmed = false;  // proofs of another key say nothing of this one
    p.relay_key = k;
    p.link.require_proof(true);  // for channels that open from now on
    return Status::success();
}

Status Mesh::remove_peer(const std::string& peer) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    p.link.close_by_user(out_);
    direct_.on_connection(peer, 0, out_);
    media_.forget(peer);
    on_link_down(p);
    p.reset_inbound(0);
    peers_.erase(peer);
    refresh_routes();
    advertise_links();
    return Status::success();
}

void Mesh::close() {
    if (closed_) return;
    for (auto& [id, p] : peers_) {
        if (p->link.channel_open()) {
            say_goodbye(*p);  // ahead of the channel's close, on the same ordered channel
            out_.event(EventKind::removechannel, id);
        }
        p->link.shutdown(out_);
        p->reset_inbound(0);
        direct_.on_connection(id, 0, out_);
    }
    peers_.clear();
    closed_ = true;
}

// ---------------------------------------------------------------- seed API

Status Mesh::create_offer(const std::string& peer) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    Status s;
    with_link(p, [&] { s = p.link.create_offer(out_, now_); });
    return s;
}

Status Mesh::create_answer(const std::string& peer, const std::string& offer_sdp) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    Status s;
    with_link(p, [&] { s = p.link.receive_offer(out_, now_, usable_sdp(offer_sdp)); });
    return s;
}

Status Mesh::add_answer(const std::string& peer, const std::string& answer_sdp) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    Status s;
    with_link(p, [&] { s = p.link.receive_answer(out_, now_, usable_sdp(answer_sdp)); });
    return s;
}

Status Mesh::add_ice_candidate(const std::string& peer, const std::string& candidate) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    p.link.note_progress(now_, true);
    if (!options_.tcp_candidates && is_tcp_candidate(candidate)) return Status::success();
    return p.link.add_remote_candidate(out_, candidate);
}

std::string Mesh::usable_sdp(const std::string& sdp) const {
    return options_.tcp_candidates ? sdp : without_tcp_candidates(sdp);
}

Status Mesh::close_peer(const std::string& peer) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    with_link(p, [&] { p.link.close_by_user(out_); });
    return Status::success();
}

std::string Mesh::ready_state(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr || closed_ ? "closed" : p->link.ready_state();
}

bool Mesh::has_peer(const std::string& peer) const { return find(peer) != nullptr; }

bool Mesh::key_confirmed(const std::string& peer) const {
    const Peer* p = find(peer);
    return p != nullptr && p->key_confirmed;
}

Handle Mesh::user_channel(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr || !p->link.channel_open() ? 0 : p->link.channel();
}

// ---------------------------------------------------------------- links

void Mesh::on_link_up(Peer& peer) {
    peer.last_heard = peer.last_sent = peer.up_since = now_;
    peer.flow.on_new_channel();
    Command c;
    c.kind = CommandKind::set_buffered_amount_low_threshold;
    c.channel = peer.link.channel();
    c.number = options_.low_water_bytes;
    out_.commands.push_back(std::move(c));
    advertise_links();  // first frame on the channel: it carries our epoch
    refresh_routes();
}

// Whatever was queued on or in flight through this neighbour may be lost:
// put those messages back in their stream's "waiting for a route" state.
void Mesh::on_link_down(Peer& peer) {
    peer.usable = false;
    peer.queue.clear();
    peer.flow.on_channel_lost();
    peer.reach.clear();
    for (auto& [id, p] : peers_)
        for (auto& lane : p->out)
            if (lane.unroute_via(peer.hash)) p->needs_routing = true;
    refresh_routes();
    advertise_links();
}

// ---------------------------------------------------------------- host events

void Mesh::on_local_description(Handle pc, SdpType type, const std::string& sdp) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] {
        p->link.note_progress(now_);
        p->link.on_local_description(out_, type, usable_sdp(sdp));
    });
}

void Mesh::on_remote_description_set(Handle pc) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] {
        p->link.note_progress(now_, true);
        p->link.on_remote_description_set(out_);
    });
}

void Mesh::on_local_candidate(Handle pc, const std::string& candidate) {
    if (Peer* p = find_by_pc(pc)) {
        p->link.note_progress(now_);
        if (!options_.tcp_candidates && is_tcp_candidate(candidate)) return;
        p->link.on_local_candidate(out_, candidate);
    }
}

void Mesh::on_connection_state(Handle pc, ConnectionState state) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] { p->link.on_connection_state(out_, now_, rng_, state); });
}

void Mesh::on_channel_open(Handle channel) {
    if (direct_.owns(channel)) return direct_.on_open(channel);
    Peer* p = find_by_channel(channel);
    if (p == nullptr) return;
    with_link(*p, [&] { p->link.on_channel_open(out_); });
    if (p->link.awaiting_proof()) send_link_proof(*p);
}

void Mesh::on_channel_closed(Handle channel) {
    if (direct_.owns(channel)) return direct_.on_closed(channel);
    if (Peer* p = find_by_channel(channel)) with_link(*p, [&] { p->link.on_channel_closed(out_, now_, rng_); });
}

void Mesh::on_channel_message(Handle channel, Bytes frame) {
    if (closed_) return;
    if (direct_.owns(channel)) {
        if (Peer* p = find(direct_.peer_of(channel))) p->last_heard = now_;  // it is alive
        return direct_.on_message(channel, frame, out_);
    }
    Peer* p = find_by_channel(channel);
    if (p == nullptr) return;
    p->last_heard = now_;
    if (frame.size() < 2 || frame[1] != static_cast<std::uint8_t>(FrameType::window)) p->flow.on_received(frame.size());
    handle_frame(*p, std::move(frame));
    pump(*p);  // sends a window frame once enough arrived
}

void Mesh::on_buffered_amount(Handle channel, std::size_t buffered_amount) {
    if (direct_.owns(channel)) return direct_.on_buffered_amount(channel, buffered_amount);
    Peer* p = find_by_channel(channel);
    if (p == nullptr) return;
    p->flow.on_buffered_amount(buffered_amount);
    pump(*p);
}

void Mesh::on_operation_failed(Handle pc, CommandKind what, const std::string& error) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] { p->link.on_operation_failed(out_, now_, rng_, what, error); });
}

void Mesh::on_network_change() {
    if (closed_) return;
    for (auto& entry : peers_) {
        Peer& peer = *entry.second;
        with_link(peer, [&] { peer.link.on_network_change(out_, now_); });
    }
}

void Mesh::on_max_message_size(Handle pc, std::size_t bytes) {
    if (Peer* p = find_by_pc(pc)) p->max_frame = bytes;
}

// ---------------------------------------------------------------- time

void Mesh::update(Millis now) {
    if (!init_status_.ok() || closed_) return;
    const Millis last_tick = now_;
    now_ = std::max(now_, now);
    // The clock stands still over the stall: every timer keeps the distance it had at the last tick.
    if (stall_.forgive(now_, due_by_, kStallGraceMs)) forgive_stall(now_ - last_tick);
    for (auto& [id, p] : peers_) {
        Peer& peer = *p;
        with_link(peer, [&] { peer.link.update(out_, now_, rng_); });
    }
    for (auto& [id, p] : peers_) {
        for (const Lane lane : {system_lane, app_lane}) {
            Peer::Inbound& in = p->in[lane];
            if (in.stream.expire(now_, p->budget, options_.reassembly) > 0)
                out_.error(ErrorCode::reassembly_limit, id, "a partial message from " + id + " timed out and was dropped");
            if (in.acks.due_now(now_)) send_ack(*p, lane);
        }
        if (p->needs_routing) route_pending(*p);
        for (const Lane lane : {system_lane, app_lane}) retransmit_if_stalled(*p, lane);
    }
    refresh_link_states();
    check_liveness();
    if (server_ && server_->usable) {
        // A link that failed without ever being up changes no route by
        // itself: look for peers the server path may carry now.
        for (auto& [id, p] : peers_) {
            if (p->route != 0 || compute_route(*p) == 0) continue;
            refresh_routes();
            break;
        }
        pump(*server_);  // its byte budget refills with time
    }
    due_by_ = next_wakeup();
}

// While the host stalled, frames that had arrived waited in its queues and
// this core could not answer a peer: the silence and the lack of progress
// of that time are the host's, not the peers'. Without this, one blocked
// event loop (a loaded machine: wrtc's calls block while its threads are
// busy) took down every link at the first tick after it, and the new
// connections loaded the machine further.
void Mesh::forgive_stall(Millis stalled) {
    for (auto& [id, p] : peers_) {
        p->last_heard = std::min(now_, p->last_heard + stalled);
        p->link.forgive_stall(now_, stalled);
    }
}

Millis Mesh::next_wakeup() const {
    Millis at = now_ + kIdleTickMs;
    if (!init_status_.ok() || closed_) return at;
    auto earliest = [&at](Millis t) {
        if (t >= 0) at = std::min(at, t);
    };
    for (const auto& [id, p] : peers_) {
        if (p->needs_routing) earliest(now_ + kBusyTickMs);
        // An ack due now waits for a route no sooner than the busy rate.
        for (const auto& in : p->in)
            if (in.acks.due()) earliest(std::max(in.acks.due_at(), now_ + kBusyTickMs));
        earliest(p->link.next_deadline(now_));
        if (p->usable) earliest(std::min(p->last_sent + options_.keepalive_interval_ms, p->last_link_state + options_.link_state_interval_ms));
        if (p->link.channel_open()) earliest(p->last_heard + silence_timeout(*p));
        for (const Lane lane : {system_lane, app_lane}) {
            // Frames waiting for channel room keep the mesh at the busy rate:
            // left to bufferedamountlow alone, a 16 MiB broadcast in Chromium
            // sometimes reached one receiver seconds after the others. A
            // message wholly handed to the channel only waits for its ack.
            if (p->queue.has_jobs(lane) || p->out[lane].has_unsent()) earliest(now_ + kBusyTickMs);
            earliest(p->out[lane].stalled_at(options_.retransmit_timeout_ms));
        }
    }
    return std::max(at, now_);
}

std::vector<Command> Mesh::take_commands() { return std::exchange(out_.commands, {}); }
std::vector<Event> Mesh::take_events() {
    emit_buffered_low();
    return std::exchange(out_.events, {});
}

void Mesh::watch_buffered_low(Peer& to) {
    if (queued_bytes(to.id) > options_.buffered_low_threshold) to.above_low_threshold = true;
}

// Checked whenever events are taken: the queue drains as acks arrive and
// frames go out, and the app hears of it with the rest of the batch.
void Mesh::emit_buffered_low() {
    for (auto& [id, p] : peers_) {
        if (!p->above_low_threshold || queued_bytes(id) > options_.buffered_low_threshold) continue;
        p->above_low_threshold = false;
        Event e;
        e.kind = EventKind::buffered_amount_low;
        e.peer = id;
        out_.events.push_back(std::move(e));
    }
}

bool Mesh::sends_waiting() const {
    for (const auto& [id, p] : peers_)
        if (!p->queue.empty()) return true;
    return false;
}

std::size_t Mesh::queued_bytes(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr ? 0 : p->out[system_lane].queued_bytes() + p->out[app_lane].queued_bytes();
}

std::size_t Mesh::buffered_estimate(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr ? 0 : p->flow.buffered();
}

bool Mesh::relayed(const std::string& peer) const {
    const Peer* p = find(peer);
    return p != nullptr && p->route != 0 && p->route != p->hash;
}

std::vector<std::string> Mesh::peer_ids() const {
    std::vector<std::string> ids;
    for (const auto& [id, p] : peers_) ids.push_back(id);
    return ids;
}

}  // namespace rtcmesh::mesh

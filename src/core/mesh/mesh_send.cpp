// Mesh's send path: queueing messages in their lanes, routing them (direct
// or through a relay), handing frames to each neighbour's channel as it
// takes them (NeighbourQueue, ChannelFlow), acks, link state, window frames
// and retransmission.
#include <algorithm>
#include <utility>

#include "core/mesh/mesh.hpp"
#include "core/mesh/mesh_peer.hpp"
#include "core/mesh/relay_auth.hpp"

namespace rtcmesh::mesh {

namespace {

bool contains(const std::vector<PeerHash>& sorted, PeerHash value) {
    return std::binary_search(sorted.begin(), sorted.end(), value);
}

std::uint8_t message_flags(bool is_text, bool system) {
    return static_cast<std::uint8_t>((is_text ? flag_text : 0) | (system ? flag_system : 0));
}

}  // namespace

Status Mesh::send(const std::string& peer, Bytes data, bool is_text, bool system) {
    return deliver(peer, std::make_shared<const Bytes>(std::move(data)), message_flags(is_text, system));
}

Status Mesh::broadcast(Bytes data, bool is_text, bool system) {
    return deliver("", std::make_shared<const Bytes>(std::move(data)), message_flags(is_text, system));
}

Status Mesh::send_on_channel(const std::string& peer, const std::string& channel, const std::uint8_t* data,
                             std::size_t size, bool is_text) {
    if (channel.empty() || channel.size() > kMaxChannelNameBytes)
        return Status::fail(ErrorCode::bad_argument, "a channel name must be 1 to " +
                                                         std::to_string(kMaxChannelNameBytes) + " bytes, not " +
                                                         std::to_string(channel.size()));
    Bytes payload;
    payload.reserve(1 + channel.size() + size);
    payload.push_back(static_cast<std::uint8_t>(channel.size()));
    payload.insert(payload.end(), channel.begin(), channel.end());
    payload.insert(payload.end(), data, data + size);
    return deliver(peer, std::make_shared<const Bytes>(std::move(payload)),
                   static_cast<std::uint8_t>(message_flags(is_text, false) | flag_channel));
}

// To `peer`, or ("") to every peer reachable now or whose link is being made.
Status Mesh::deliver(const std::string& peer, const std::shared_ptr<const Bytes>& payload, std::uint8_t flags) {
    if (!peer.empty()) {
        if (Status s = check_peer_id(peer); !s.ok()) return s;
        Peer& to = *find(peer);
        Status status = enqueue_message(to, payload, flags);
        if (status.ok()) watch_buffered_low(to);
        return status;
    }
    if (Status s = check_open(); !s.ok()) return s;
    Status first_error;
    for (auto& [id, p] : peers_) {
        // A link being made (or whose channel opened a moment before its
        // connection reported "connected") gets the message once it is up;
        // a peer neither reachable nor being reached is skipped.
        if (p->route == 0 && !p->link.open_or_connecting()) continue;
        Status s = enqueue_message(*p, payload, flags);
        if (s.ok()) watch_buffered_low(*p);
        if (!s.ok() && first_error.ok()) first_error = s;
    }
    return first_error;
}

Status Mesh::open_direct_channel(const std::string& name, DataChannelSpec spec) {
    if (Status s = check_open(); !s.ok()) return s;
    if (name.empty() || name.size() > kMaxChannelNameBytes)
        return Status::fail(ErrorCode::bad_argument, "a channel name must be 1 to " +
                                                         std::to_string(kMaxChannelNameBytes) + " bytes, not " +
                                                         std::to_string(name.size()));
    return direct_.open(name, spec, out_);
}

Status Mesh::send_direct(const std::string& peer, const std::string& channel, const std::uint8_t* data,
                         std::size_t size, bool is_text) {
    if (Status s = check_open(); !s.ok()) return s;
    if (!peer.empty()) {
        if (Status s = check_peer_id(peer); !s.ok()) return s;
    }
    const auto usable = [this](const std::string& id) {
        const Peer* p = find(id);
        return p != nullptr && p->link.usable();
    };
    return direct_.send(peer, channel, data, size, is_text, usable, out_);
}

std::map<std::string, PeerLink*> Mesh::links() {
    std::map<std::string, PeerLink*> all;
    for (auto& [id, p] : peers_) all[id] = &p->link;
    return all;
}

Status Mesh::add_track(std::uint32_t track, const std::string& peer) {
    if (Status s = check_open(); !s.ok()) return s;
    return media_.add(track, peer, links(), out_);
}

Status Mesh::remove_track(std::uint32_t track) {
    if (Status s = check_open(); !s.ok()) return s;
    return media_.remove(track, links(), out_);
}

Status Mesh::enqueue_message(Peer& to, const std::shared_ptr<const Bytes>& payload, std::uint8_t flags) {
    const std::size_t size = payload->size();
    if (size > options_.max_message_bytes)
        return Status::fail(ErrorCode::message_too_large, "message of " + std::to_string(size) + " bytes exceeds the limit of " +
                                                              std::to_string(options_.max_message_bytes) + " bytes");
    SendStream& lane = to.out[lane_of(flags)];
    const auto m = lane.push(payload, flags, options_.max_queued_bytes_per_peer, now_);
    if (!m)
        return Status::fail(ErrorCode::queue_full, "send queue to " + to.id + " is full (" + std::to_string(lane.queued_bytes()) +
                                                       " bytes waiting); retry after it drains");
    if (to.needs_routing || to.route == 0) {
        route_pending(to);  // keep the stream's order behind messages still waiting
    } else {
        queue_on_route(to, m);  // hot path: O(1), no scan of the unacked queue
    }
    return Status::success();
}

// ---------------------------------------------------------------- routing

PeerHash Mesh::compute_route(const Peer& to) const {
    if (to.usable) return to.hash;
    if (options_.relay) {
        for (const auto& [id, via] : peers_)  // ordered by id: every node picks deterministically
            if (via.get() != &to && via->usable && contains(via->reach, to.hash)) return via->hash;
    }
    // The last resort, for a peer whose link failed (not one still being
    // made: a room's joins would all start on the server).
    if (server_ && server_->usable && to.link.failed_since_open()) return kServerRoute;
    return 0;
}

void Mesh::refresh_routes() {
    for (auto& [id, p] : peers_) {
        const PeerHash before = p->route;
        p->route = compute_route(*p);
        if (p->route == before) {
            if (p->needs_routing) route_pending(*p);
            continue;
        }
        const bool was_relay = before != 0 && before != p->hash;
        const bool is_relay = p->route != 0 && p->route != p->hash;
        if (is_relay) {
            out_.event(EventKind::relay_on, id, find_by_hash(p->route)->id);
            if (media_.sends_to(id)) out_.event(EventKind::media_relayed, id, find_by_hash(p->route)->id);
        } else if (was_relay) {
            out_.event(EventKind::relay_off, id);
            if (p->route == p->hash) resend_direct(*p);
        }
        route_pending(*p);
    }
}

// The direct link is back: what the relay still holds is sent again on it.
// With its own link to us up, the peer drops relayed copies that arrive late
// (mesh_receive.cpp), so waiting for them would stall the stream until the
// retransmit timeout; a copy that did arrive is a duplicate it ignores.
void Mesh::resend_direct(Peer& to) {
    for (auto& lane : to.out) lane.unroute_relayed(to.hash);
}

// Queues every message that waits for a route on the current route.
void Mesh::route_pending(Peer& to) {
    to.needs_routing = true;
    if (to.route == 0) return;
    Peer* via = to.route == to.hash ? &to : find_by_hash(to.route);
    if (via == nullptr) return;
    to.needs_routing = false;
    for (auto& lane : to.out) lane.for_each_waiting([&](const std::shared_ptr<OutMessage>& m) { add_job(*via, to, m); });
    pump(*via);
}

void Mesh::add_job(Peer& via, const Peer& to, const std::shared_ptr<OutMessage>& m) {
    m->via = via.hash;
    SendJob job;
    job.message = m;
    job.message_id = m->id;  // captured: a restart renumbers into new OutMessages
    job.destination = to.hash;
    job.destination_epoch = to.remote_epoch;
    via.queue.push_job(lane_of(m->flags), std::move(job));
}

void Mesh::queue_on_route(Peer& to, const std::shared_ptr<OutMessage>& m) {
    Peer* via = to.route == to.hash ? &to : find_by_hash(to.route);
    if (via == nullptr) {
        route_pending(to);
        return;
    }
    add_job(*via, to, m);
    pump(*via);
}

// ---------------------------------------------------------------- sending

std::size_t Mesh::payload_limit(const Peer& neighbour, bool tagged) const {
    std::size_t limit = options_.chunk_bytes;
    const std::size_t overhead = kHeaderSize + (tagged ? kRelayTagSize : kAckTrailerSize);
    if (neighbour.max_frame > overhead) limit = std::min(limit, neighbour.max_frame - overhead);
    return std::max<std::size_t>(limit, 1);
}

// Hands frames to the host while the channel has room (ChannelFlow); a
// bufferedAmount report or a window frame resumes it. One frame at a time, system lane
// first: a system message queued while a big app message is being cut into
// chunks goes out right after the current chunk.
void Mesh::pump(Peer& n) {
    if (&n == server_.get()) return pump_server();
    if (!n.usable) return;
    auto emit = [&](Bytes frame) {
        n.last_sent = now_;
        n.flow.on_sent(frame.size(), true);
        Command c;
        c.kind = CommandKind::send;
        c.channel = n.link.channel();
        c.bytes = std::move(frame);
        out_.commands.push_back(std::move(c));
    };
    report_received(n);
    while (auto frame = n.queue.pop_control()) emit(std::move(*frame));
    // Each turn emits a frame or drops a finished job, so the loop ends.
    while (n.flow.has_room()) {
        NeighbourQueue::Jobs* jobs = n.queue.next_jobs();
        if (jobs == nullptr) break;
        if (auto frame = take_frame(n, *jobs)) emit(std::move(*frame));
    }
}

// The next frame of the job at the front of `queue`, popping the job when it
// is done; nothing when the job was stale.
std::optional<Bytes> Mesh::take_frame(Peer& n, NeighbourQueue::Jobs& queue) {
    SendJob& job = queue.front();
    if (!job.message) return n.queue.take_relayed(queue);
    OutMessage& m = *job.message;
    if (m.dead || m.via != n.hash) {  // acked, superseded, or re-routed meanwhile
        queue.pop_front();
        return std::nullopt;
    }
    const Bytes& payload = *m.payload;
    const RelayKey* tag_key = relay_key_via(n, job.destination);
    const std::size_t length = std::min(payload_limit(n, tag_key != nullptr), payload.size() - job.offset);
    FrameHeader h = header_from_us(FrameType::data, job.destination, job.destination_epoch, job.message_id, payload.size());
    h.flags = m.flags;
    h.chunk_index = job.next_chunk++;
    // An ack due to the destination rides along when the frame goes to it
    // directly and to the instance whose stream it acknowledges.
    const Lane lane = lane_of(m.flags);
    if (job.destination == n.hash && tag_key == nullptr && n.in[lane].acks.due() && n.remote_epoch != 0 &&
        job.destination_epoch == n.remote_epoch) {
        h.flags |= flag_ack;
        h.ack_upto = take_ack(n, lane);
    }
    Bytes frame = encode_frame(h, payload.data() + job.offset, length);
    if (tag_key != nullptr) append_relay_tag(*tag_key, frame);
    job.offset += length;
    if (job.offset >= payload.size()) {
        m.sent = true;
        m.sent_at = now_;
        queue.pop_front();
    }
    return frame;
}

// Confirms what arrived on the neighbour's channel (ChannelFlow::take_window_report).
// Called only while the link is usable (pump), so nothing is counted as
// confirmed while it is down.
void Mesh::report_received(Peer& n) {
    if (const auto bytes = n.flow.take_window_report()) send_now(n, FrameType::window, *bytes);
}

void Mesh::say_goodbye(Peer& n) { send_now(n, FrameType::goodbye, 0); }

// Our side of the link's proof: the first frame on the new channel.
void Mesh::send_link_proof(Peer& n) {
    const LinkProof proof =
        link_proof(*n.relay_key, self_hash_, n.hash, n.link.local_fingerprint(), n.link.remote_fingerprint());
    send_now(n, FrameType::link_proof, 0, Bytes(proof.begin(), proof.end()));
}

// The header of a frame this node writes, to `destination` as it knows it.
FrameHeader Mesh::header_from_us(FrameType type, PeerHash destination, std::uint32_t destination_epoch, std::uint32_t message_id,
                                 std::size_t total_length) const {
    FrameHeader h;
    h.type = type;
    h.origin = self_hash_;
    h.origin_epoch = epoch_;
    h.destination = destination;
    h.destination_epoch = destination_epoch;
    h.message_id = message_id;
    h.total_length = static_cast<std::uint32_t>(total_length);
    return h;
}

// A frame about this channel alone, handed to the host at once, outside the
// lanes and the control queue (window frames, goodbye).
void Mesh::send_now(Peer& n, FrameType type, std::uint32_t message_id, const Bytes& payload) {
    const FrameHeader h = header_from_us(type, n.hash, n.remote_epoch, message_id, payload.size());
    Command c;
    c.kind = CommandKind::send;
    c.channel = n.link.channel();
    c.bytes = encode_frame(h, payload.data(), payload.size());
    n.flow.on_sent(c.bytes.size(), false);  // about the channel itself: outside the window
    n.last_sent = now_;
    out_.commands.push_back(std::move(c));
}

void Mesh::send_control(Peer& to, FrameType type, std::uint8_t flags, const Bytes& payload, std::uint32_t message_id) {
    Peer* via = to.route == to.hash ? &to : find_by_hash(to.route);
    if (via == nullptr || to.route == 0) return;
    FrameHeader h = header_from_us(type, to.hash, to.remote_epoch, message_id, payload.size());
    h.flags = flags;
    Bytes frame = encode_frame(h, payload.data(), payload.size());
    if (const RelayKey* tag_key = relay_key_via(*via, to.hash)) append_relay_tag(*tag_key, frame);
    via->queue.push_control(std::move(frame));
    pump(*via);
}

// The key a frame for `destination` that leaves through `via` is tagged
// with: the one we share with the destination, when `via` is someone else
// (a relay, or the server) and we share one; else null.
const RelayKey* Mesh::relay_key_via(const Peer& via, PeerHash destination) const {
    if (via.hash == destination) return nullptr;  // direct: DTLS carries it
    const Peer* to = find_by_hash(destination);
    return to != nullptr && to->relay_key ? &*to->relay_key : nullptr;
}

void Mesh::send_ack(Peer& origin, Lane lane) {
    if (origin.route == 0) return;
    send_control(origin, FrameType::ack, lane == system_lane ? flag_system : 0, {}, take_ack(origin, lane));
}

// The ack of `origin`'s stream on `lane` as it stands, for a frame that goes
// out now: an ack frame, or a data frame to `origin` (flag_ack).
std::uint32_t Mesh::take_ack(Peer& origin, Lane lane) {
    Peer::Inbound& in = origin.in[lane];
    return in.acks.take(in.stream.delivered_upto());
}

// Tells every direct neighbour which peers we reach directly, so it can
// relay through us. Sent on change, as keep-alives, and as a refresh.
void Mesh::advertise_links() {
    for (auto& [id, p] : peers_)
        if (p->usable) advertise_to(*p);
}

// The refresh (Options::link_state_interval_ms), to the links that had no
// link state for that long: busy links, as an idle link's keep-alives are
// link states already.
void Mesh::refresh_link_states() { advertise_when_due(&Peer::last_link_state, options_.link_state_interval_ms); }

// A link state to each usable link whose `stamp` is `interval` old. Once one
// is due, those past half the interval go along, so a mesh wakes for it once
// per interval, not once per link.
void Mesh::advertise_when_due(Millis Peer::*stamp, Millis interval) {
    const auto older_than = [&](const Peer& p, Millis age) { return p.usable && now_ - p.*stamp >= age; };
    bool due = false;
    for (const auto& [id, p] : peers_) due |= older_than(*p, interval);
    if (!due) return;
    for (auto& [id, p] : peers_)
        if (older_than(*p, interval / 2)) advertise_to(*p);
}

void Mesh::advertise_to(Peer& neighbour) {
    neighbour.last_link_state = now_;
    std::vector<PeerHash> reach;
    for (const auto& [id, p] : peers_)
        if (p->usable) reach.push_back(p->hash);
    std::sort(reach.begin(), reach.end());
    const Bytes payload = encode_peer_list(reach);
    const FrameHeader h = header_from_us(FrameType::link_state, neighbour.hash, neighbour.remote_epoch, 0, payload.size());
    neighbour.queue.push_control(encode_frame(h, payload.data(), payload.size()));
    pump(neighbour);
}

// Down with each link that has been silent past the timeout; then a link
// state (the keep-alive) to each open link that has been quiet, so its
// neighbour does not take our silence for death.
void Mesh::check_liveness() {
    for (auto& [id, p] : peers_) {
        Peer& peer = *p;
        // Also while ICE calls the link disconnected and restarts: the
        // channel is still open, and a vanished peer never answers.
        if (!peer.link.channel_open()) continue;
        if (now_ - peer.last_heard >= silence_timeout(peer)) {
            const Millis silent = now_ - peer.last_heard;
            peer.silences = std::min(peer.silences + 1, 2);
            with_link(peer, [&] { peer.link.on_silence(out_, now_, rng_, silent); });
            continue;
        }
        if (peer.silences > 0 && now_ - peer.up_since >= options_.silence_backoff_reset_ms) peer.silences = 0;
    }
    advertise_when_due(&Peer::last_sent, options_.keepalive_interval_ms);
}

Millis Mesh::silence_timeout(const Peer& peer) const { return options_.silence_timeout_ms << peer.silences; }

// The peer restarted (new epoch): its stream from us starts over at id 1 in
// each lane. Unacked messages are renumbered and re-sent to the new instance.
void Mesh::restart_send_stream(Peer& to) {
    for (auto& lane : to.out) lane.restart(now_);
    route_pending(to);
}

// Retransmission covers what on_link_down cannot see: a relay that dropped
// a frame (its queue was full, or its own link died just then).
void Mesh::retransmit_if_stalled(Peer& to, Lane lane) {
    if (to.out[lane].take_stalled(now_, options_.retransmit_timeout_ms)) route_pending(to);
}

}  // namespace rtcmesh::mesh

#include "core/mesh/mesh.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace rtcmesh::mesh {

// A message in the (me -> peer) stream, kept until acknowledged.
struct Mesh::OutMessage {
    std::uint32_t id = 0;
    std::shared_ptr<const Bytes> payload;  // shared by every peer of a broadcast: no copy
    std::uint8_t flags = 0;  // FrameFlag bits
    std::uint32_t via = 0;  // hash of the neighbour it was last queued on; 0 = waiting for a route
    bool sent = false;      // every chunk handed to the host
    bool dead = false;      // acknowledged or superseded: queued jobs skip it
    Millis sent_at = 0;
};

// Work queued on one neighbour's channel: chunks of a message (built lazily,
// one frame at a time, so a 64 MiB message never exists twice in memory) or a
// ready frame being relayed for someone else.
struct Mesh::SendJob {
    std::shared_ptr<OutMessage> message;
    std::uint32_t message_id = 0;
    std::uint32_t destination = 0;
    std::uint32_t destination_epoch = 0;
    std::size_t offset = 0;
    std::uint32_t next_chunk = 0;
    Bytes relayed_frame;
};

struct Mesh::Peer {
    Peer(const std::string& self, const std::string& id, const Options& o)
        : id(id), hash(peer_hash(id)), link(self, id, o.timings, o.label, o.ice_servers_json) {}

    // One lane of the me -> peer stream.
    struct Outbound {
        std::uint32_t next_message_id = 1;
        std::deque<std::shared_ptr<OutMessage>> unacked;
        std::size_t queued_bytes = 0;
        Millis last_ack_progress = 0;
    };
    // One lane of the peer -> me stream.
    struct Inbound {
        ReceiveStream stream;
        std::uint32_t ack_sent_upto = 0;
        bool ack_due = false;
    };

    std::string id;
    std::uint32_t hash;
    PeerLink link;
    std::uint32_t remote_epoch = 0;  // 0 = not heard from yet
    Handle epoch_channel = 0;        // channel on which remote_epoch was last confirmed

    // me -> peer stream, by Lane
    std::array<Outbound, kLanes> out;
    std::uint32_t route = 0;  // == hash: direct; other hash: relay; 0: none
    bool needs_routing = false;  // some unacked message waits for a route (via == 0)

    // peer -> me stream, by Lane
    std::array<Inbound, kLanes> in;

    // this neighbour's direct channel
    std::deque<Bytes> control;  // acks and link state: small, never held back by backpressure
    std::array<std::deque<SendJob>, kLanes> jobs;  // by Lane: system jobs go first
    std::size_t relay_bytes = 0;
    std::size_t buffered = 0;        // our estimate of channel.bufferedAmount
    std::size_t unconfirmed = 0;     // bytes sent on the channel that its window frames have not confirmed
    std::size_t unreported_sends = 0;  // bytes sent since the host last reported bufferedAmount
    bool host_counts_sends = false;  // its bufferedAmount includes what was just sent; until then the window applies
    std::size_t unreported = 0;      // bytes received on the channel not yet confirmed in a window frame
    bool report_due = false;         // confirm even a small `unreported` on the next pump
    std::size_t max_frame = 0;       // reported max message size; 0 = unknown
    std::vector<std::uint32_t> reach;  // neighbours it advertises, sorted
    bool usable = false;

    void reset_inbound(std::uint32_t epoch, ReassemblyBudget& budget) {
        for (auto& lane : in) {
            lane.stream.reset(epoch, budget);
            lane.ack_sent_upto = 0;
            lane.ack_due = false;
        }
    }
};

namespace {

bool contains(const std::vector<std::uint32_t>& sorted, std::uint32_t value) {
    return std::binary_search(sorted.begin(), sorted.end(), value);
}

}  // namespace

Mesh::Mesh(Options options, std::uint64_t seed)
    : options_(std::move(options)), rng_(seed), self_hash_(peer_hash(options_.id)) {
    epoch_ = static_cast<std::uint32_t>(rng_.next());
    if (epoch_ == 0) epoch_ = 1;
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
    for (const auto& peer : options_.peers) {
        if (peer == options_.id || find(peer) != nullptr) continue;
        Status s = add_peer(peer);
        if (!s.ok()) {
            init_status_ = s;
            return;
        }
    }
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

Mesh::Peer* Mesh::find_by_hash(std::uint32_t hash) const {
    for (const auto& [id, p] : peers_)
        if (p->hash == hash) return p.get();
    return nullptr;
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
    const std::uint32_t hash = peer_hash(peer);
    if (hash == self_hash_ || find_by_hash(hash) != nullptr)
        return Status::fail(ErrorCode::bad_argument, "peer id '" + peer + "' collides with another id on the wire; pick another id");
    auto p = std::make_unique<Peer>(options_.id, peer, options_);
    for (auto& lane : p->out) lane.last_ack_progress = now_;
    peers_.emplace(peer, std::move(p));
    return Status::success();
}

Status Mesh::remove_peer(const std::string& peer) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    p.link.close_by_user(out_);
    on_link_down(p);
    p.reset_inbound(0, budget_);
    peers_.erase(peer);
    refresh_routes();
    advertise_links();
    return Status::success();
}

void Mesh::close() {
    if (closed_) return;
    for (auto& [id, p] : peers_) {
        if (p->link.channel_open()) out_.event(EventKind::removechannel, id);
        p->link.shutdown(out_);
        p->reset_inbound(0, budget_);
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
    with_link(p, [&] { s = p.link.receive_offer(out_, now_, offer_sdp); });
    return s;
}

Status Mesh::add_answer(const std::string& peer, const std::string& answer_sdp) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    Peer& p = *find(peer);
    Status s;
    with_link(p, [&] { s = p.link.receive_answer(out_, now_, answer_sdp); });
    return s;
}

Status Mesh::add_ice_candidate(const std::string& peer, const std::string& candidate) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    return find(peer)->link.add_remote_candidate(out_, candidate);
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

Handle Mesh::user_channel(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr || !p->link.channel_open() ? 0 : p->link.channel();
}

namespace {
std::uint8_t message_flags(bool is_text, bool system) {
    return static_cast<std::uint8_t>((is_text ? flag_text : 0) | (system ? flag_system : 0));
}
}  // namespace

Status Mesh::send(const std::string& peer, Bytes data, bool is_text, bool system) {
    if (Status s = check_peer_id(peer); !s.ok()) return s;
    auto payload = std::make_shared<const Bytes>(std::move(data));
    return enqueue_message(*find(peer), payload, message_flags(is_text, system));
}

Status Mesh::broadcast(Bytes data, bool is_text, bool system) {
    if (Status s = check_open(); !s.ok()) return s;
    auto payload = std::make_shared<const Bytes>(std::move(data));
    Status first_error;
    for (auto& [id, p] : peers_) {
        if (p->route == 0) continue;
        Status s = enqueue_message(*p, payload, message_flags(is_text, system));
        if (!s.ok() && first_error.ok()) first_error = s;
    }
    return first_error;
}

Status Mesh::enqueue_message(Peer& to, const std::shared_ptr<const Bytes>& payload, std::uint8_t flags) {
    const std::size_t size = payload->size();
    if (size > options_.max_message_bytes)
        return Status::fail(ErrorCode::message_too_large, "message of " + std::to_string(size) + " bytes exceeds the limit of " +
                                                              std::to_string(options_.max_message_bytes) + " bytes");
    Peer::Outbound& lane = to.out[lane_of(flags)];
    if (lane.queued_bytes + size > options_.max_queued_bytes_per_peer)
        return Status::fail(ErrorCode::queue_full, "send queue to " + to.id + " is full (" + std::to_string(lane.queued_bytes) +
                                                       " bytes waiting); retry after it drains");
    auto m = std::make_shared<OutMessage>();
    m->id = lane.next_message_id++;
    m->payload = payload;
    m->flags = flags;
    if (lane.unacked.empty()) lane.last_ack_progress = now_;
    lane.unacked.push_back(m);
    lane.queued_bytes += size;
    if (to.needs_routing || to.route == 0) {
        route_pending(to);  // keep the stream's order behind messages still waiting
    } else {
        queue_on_route(to, m);  // hot path: O(1), no scan of the unacked queue
    }
    return Status::success();
}

// ---------------------------------------------------------------- routing

std::uint32_t Mesh::compute_route(const Peer& to) const {
    if (to.usable) return to.hash;
    if (!options_.relay) return 0;
    for (const auto& [id, via] : peers_)  // ordered by id: every node picks deterministically
        if (via.get() != &to && via->usable && contains(via->reach, to.hash)) return via->hash;
    return 0;
}

void Mesh::refresh_routes() {
    for (auto& [id, p] : peers_) {
        const std::uint32_t before = p->route;
        p->route = compute_route(*p);
        if (p->route == before) {
            if (p->needs_routing) route_pending(*p);
            continue;
        }
        const bool was_relay = before != 0 && before != p->hash;
        const bool is_relay = p->route != 0 && p->route != p->hash;
        if (is_relay) {
            out_.event(EventKind::relay_on, id, find_by_hash(p->route)->id);
        } else if (was_relay) {
            out_.event(EventKind::relay_off, id);
        }
        route_pending(*p);
    }
}

// Queues every message that waits for a route on the current route.
void Mesh::route_pending(Peer& to) {
    to.needs_routing = true;
    if (to.route == 0) return;
    Peer* via = to.route == to.hash ? &to : find_by_hash(to.route);
    if (via == nullptr) return;
    to.needs_routing = false;
    for (auto& lane : to.out)
        for (auto& m : lane.unacked)
            if (m->via == 0) add_job(*via, to, m);
    pump(*via);
}

void Mesh::add_job(Peer& via, const Peer& to, const std::shared_ptr<OutMessage>& m) {
    m->via = via.hash;
    SendJob job;
    job.message = m;
    job.message_id = m->id;  // captured: a restart renumbers into new OutMessages
    job.destination = to.hash;
    job.destination_epoch = to.remote_epoch;
    via.jobs[lane_of(m->flags)].push_back(std::move(job));
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

template <typename Fn>
void Mesh::with_link(Peer& peer, Fn&& fn) {
    fn();
    const bool usable = peer.link.usable();
    if (usable == peer.usable) return;
    peer.usable = usable;
    if (usable) {
        on_link_up(peer);
    } else {
        on_link_down(peer);
    }
}

void Mesh::on_link_up(Peer& peer) {
    peer.buffered = 0;
    peer.unconfirmed = 0;
    peer.unreported_sends = 0;
    peer.host_counts_sends = false;
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
    peer.control.clear();
    for (auto& queue : peer.jobs) queue.clear();
    peer.relay_bytes = 0;
    peer.buffered = 0;
    peer.unconfirmed = 0;  // a new channel starts empty; `unreported` is kept: the old one may live on
    peer.reach.clear();
    for (auto& [id, p] : peers_) {
        for (auto& lane : p->out) {
            for (auto& m : lane.unacked) {
                if (m->via != peer.hash) continue;
                m->via = 0;
                m->sent = false;
                p->needs_routing = true;
            }
        }
    }
    refresh_routes();
    advertise_links();
}

std::size_t Mesh::payload_limit(const Peer& neighbour) const {
    std::size_t limit = options_.chunk_bytes;
    if (neighbour.max_frame > kHeaderSize) limit = std::min(limit, neighbour.max_frame - kHeaderSize);
    return std::max<std::size_t>(limit, 1);
}

// Hands frames to the host while the channel's buffer is below the high-water
// mark; on_buffered_amount_low resumes it. One frame at a time, system lane
// first: a system message queued while a big app message is being cut into
// chunks goes out right after the current chunk.
void Mesh::pump(Peer& n) {
    if (!n.usable) return;
    auto emit = [&](Bytes frame) {
        n.buffered += frame.size();
        n.unconfirmed += frame.size();
        n.unreported_sends += frame.size();
        Command c;
        c.kind = CommandKind::send;
        c.channel = n.link.channel();
        c.bytes = std::move(frame);
        out_.commands.push_back(std::move(c));
    };
    report_received(n);
    while (!n.control.empty()) {
        emit(std::move(n.control.front()));
        n.control.pop_front();
    }
    // What the link holds is bounded by what the host says it buffers or,
    // when the host does not count sends, by what the neighbour has not
    // confirmed. Each turn emits a frame or drops a finished job, so the loop
    // ends.
    while (n.buffered < options_.high_water_bytes && (n.host_counts_sends || n.unconfirmed < options_.window_bytes)) {
        auto& queue = n.jobs[system_lane].empty() ? n.jobs[app_lane] : n.jobs[system_lane];
        if (queue.empty()) break;
        if (auto frame = take_frame(n, queue)) emit(std::move(*frame));
    }
}

// The next frame of the job at the front of `queue`, popping the job when it
// is done; nothing when the job was stale.
std::optional<Bytes> Mesh::take_frame(Peer& n, std::deque<SendJob>& queue) {
    SendJob& job = queue.front();
    if (!job.message) {
        n.relay_bytes -= job.relayed_frame.size();
        Bytes frame = std::move(job.relayed_frame);
        queue.pop_front();
        return frame;
    }
    OutMessage& m = *job.message;
    if (m.dead || m.via != n.hash) {  // acked, superseded, or re-routed meanwhile
        queue.pop_front();
        return std::nullopt;
    }
    const Bytes& payload = *m.payload;
    const std::size_t length = std::min(payload_limit(n), payload.size() - job.offset);
    FrameHeader h;
    h.type = FrameType::data;
    h.flags = m.flags;
    h.origin = self_hash_;
    h.origin_epoch = epoch_;
    h.destination = job.destination;
    h.destination_epoch = job.destination_epoch;
    h.message_id = job.message_id;
    h.chunk_index = job.next_chunk++;
    h.total_length = static_cast<std::uint32_t>(payload.size());
    Bytes frame = encode_frame(h, payload.data() + job.offset, length);
    job.offset += length;
    if (job.offset >= payload.size()) {
        m.sent = true;
        m.sent_at = now_;
        queue.pop_front();
    }
    return frame;
}

// Confirms what arrived on the neighbour's channel, once enough has (or when
// update() asks): the count leaves `unreported` only when the frame is sent,
// so nothing is lost while the link is down.
void Mesh::report_received(Peer& n) {
    const std::size_t step = std::max<std::size_t>(options_.window_bytes / 8, 1);
    if (n.unreported == 0 || (!n.report_due && n.unreported < step)) return;
    const std::uint32_t bytes = static_cast<std::uint32_t>(std::min<std::size_t>(n.unreported, UINT32_MAX));
    FrameHeader h;
    h.type = FrameType::window;
    h.origin = self_hash_;
    h.origin_epoch = epoch_;
    h.destination = n.hash;
    h.destination_epoch = n.remote_epoch;
    h.message_id = bytes;
    h.total_length = 0;
    Command c;
    c.kind = CommandKind::send;
    c.channel = n.link.channel();
    c.bytes = encode_frame(h, nullptr, 0);
    n.buffered += c.bytes.size();  // window frames are not counted in `unconfirmed`: they are not confirmed
    n.unreported_sends += c.bytes.size();
    out_.commands.push_back(std::move(c));
    n.unreported -= bytes;
    n.report_due = false;
}

void Mesh::send_control(Peer& to, FrameType type, std::uint8_t flags, const Bytes& payload, std::uint32_t message_id) {
    Peer* via = to.route == to.hash ? &to : find_by_hash(to.route);
    if (via == nullptr || to.route == 0) return;
    FrameHeader h;
    h.type = type;
    h.flags = flags;
    h.origin = self_hash_;
    h.origin_epoch = epoch_;
    h.destination = to.hash;
    h.destination_epoch = to.remote_epoch;
    h.message_id = message_id;
    h.total_length = static_cast<std::uint32_t>(payload.size());
    via->control.push_back(encode_frame(h, payload.data(), payload.size()));
    pump(*via);
}

void Mesh::send_ack(Peer& origin, Lane lane) {
    Peer::Inbound& in = origin.in[lane];
    const std::uint32_t upto = in.stream.delivered_upto();
    if (origin.route == 0) return;
    send_control(origin, FrameType::ack, lane == system_lane ? flag_system : 0, {}, upto);
    in.ack_sent_upto = upto;
    in.ack_due = false;
}

// Tells every direct neighbour which peers we reach directly, so it can
// relay through us. Sent on change and every link_state_interval.
void Mesh::advertise_links() {
    std::vector<std::uint32_t> reach;
    for (const auto& [id, p] : peers_)
        if (p->usable) reach.push_back(p->hash);
    std::sort(reach.begin(), reach.end());
    const Bytes payload = encode_peer_list(reach);
    for (auto& [id, p] : peers_) {
        if (!p->usable) continue;
        FrameHeader h;
        h.type = FrameType::link_state;
        h.origin = self_hash_;
        h.origin_epoch = epoch_;
        h.destination = p->hash;
        h.destination_epoch = p->remote_epoch;
        h.message_id = 0;
        h.total_length = static_cast<std::uint32_t>(payload.size());
        p->control.push_back(encode_frame(h, payload.data(), payload.size()));
        pump(*p);
    }
    next_advertise_ = now_ + options_.link_state_interval_ms;
}

// The peer restarted (new epoch): its stream from us starts over at id 1 in
// each lane. Unacked messages are renumbered and re-sent to the new instance.
void Mesh::restart_send_stream(Peer& to) {
    for (auto& lane : to.out) {
        std::deque<std::shared_ptr<OutMessage>> renumbered;
        std::uint32_t next = 1;
        for (auto& old : lane.unacked) {
            auto m = std::make_shared<OutMessage>(*old);
            old->dead = true;
            m->id = next++;
            m->via = 0;
            m->sent = false;
            m->dead = false;
            renumbered.push_back(std::move(m));
        }
        lane.unacked = std::move(renumbered);
        lane.next_message_id = next;
        lane.last_ack_progress = now_;
    }
    route_pending(to);
}

// Retransmission covers what on_link_down cannot see: a relay that dropped
// a frame (its queue was full, or its own link died just then).
void Mesh::retransmit_if_stalled(Peer& to, Lane lane) {
    Peer::Outbound& out = to.out[lane];
    if (out.unacked.empty()) return;
    const OutMessage& oldest = *out.unacked.front();
    if (!oldest.sent || now_ - oldest.sent_at < options_.retransmit_timeout_ms ||
        now_ - out.last_ack_progress < options_.retransmit_timeout_ms)
        return;
    for (auto& m : out.unacked) {
        if (!m->sent) continue;
        m->via = 0;
        m->sent = false;
    }
    out.last_ack_progress = now_;
    route_pending(to);
}

// ---------------------------------------------------------------- receiving

void Mesh::handle_frame(Peer& from, Bytes frame) {
    DecodeResult decoded = decode_frame(frame, options_.max_message_bytes);
    if (!decoded.header) {
        out_.error(ErrorCode::malformed_frame, from.id, decoded.error);
        return;
    }
    const FrameHeader& h = *decoded.header;
    if (h.type == FrameType::window) {  // about this channel alone: no relaying, no epoch
        from.unconfirmed -= std::min<std::size_t>(from.unconfirmed, h.message_id);
        pump(from);
        return;
    }
    if (h.destination != 0 && h.destination != self_hash_) {
        forward(h, std::move(frame));
        return;
    }
    if (h.destination_epoch != 0 && h.destination_epoch != epoch_) return;  // meant for our previous incarnation
    Peer* origin = find_by_hash(h.origin);
    if (origin == nullptr) {
        out_.error(ErrorCode::malformed_frame, from.id, "frame from an unknown origin relayed by " + from.id);
        return;
    }
    const bool direct = origin == &from;
    std::optional<std::vector<std::uint32_t>> reach;
    if (h.type == FrameType::link_state) {
        if (!direct) return;
        reach = decode_peer_list(frame, kHeaderSize);
        if (!reach) {
            out_.error(ErrorCode::malformed_frame, from.id, "malformed frame: bad link-state list");
            return;
        }
    }
    if (!learn_epoch(*origin, h.origin_epoch, direct, h.type == FrameType::link_state)) return;
    switch (h.type) {
        case FrameType::data:
            handle_data(from, *origin, h, std::move(frame));
            break;
        case FrameType::ack:
            handle_ack(*origin, lane_of(h.flags), h.message_id);
            break;
        case FrameType::link_state:
            std::sort(reach->begin(), reach->end());
            from.reach = std::move(*reach);
            refresh_routes();
            break;
        case FrameType::window:  // handled above
            break;
    }
}

void Mesh::forward(const FrameHeader& h, Bytes frame) {
    Peer* to = find_by_hash(h.destination);
    // Dropping is safe: the origin retransmits what is not acknowledged.
    if (!options_.relay || to == nullptr || !to->usable || h.hops_left <= 1) return;
    if (to->relay_bytes + frame.size() > options_.max_relay_queue_bytes) return;
    set_hops_left(frame, static_cast<std::uint8_t>(h.hops_left - 1));
    to->relay_bytes += frame.size();
    SendJob job;
    job.relayed_frame = std::move(frame);
    // Relayed acks are small and urgent: they ride with the system lane.
    const Lane lane = h.type == FrameType::data ? lane_of(h.flags) : system_lane;
    to->jobs[lane].push_back(std::move(job));
    pump(*to);
}

// Epochs tell a restarted peer from a late frame of its previous instance.
// On a direct channel the epoch is taken from the link-state frame, which a
// node sends first on every new channel, and only once per channel (a new
// instance always comes with a new connection). A peer we only hear through
// relays is believed on first contact.
bool Mesh::learn_epoch(Peer& origin, std::uint32_t epoch, bool direct, bool is_link_state) {
    const Handle channel = origin.link.channel();
    if (epoch == origin.remote_epoch) {
        if (direct && is_link_state) origin.epoch_channel = channel;
        return true;
    }
    if (origin.remote_epoch != 0 && !direct) return false;
    if (direct && !is_link_state) return false;  // link state not seen yet on this channel: the origin retransmits
    if (origin.remote_epoch != 0 && channel == origin.epoch_channel) {
        // A new instance always comes on a new connection; on the same one
        // this is a corrupt or misbehaving peer, not a restart.
        out_.error(ErrorCode::malformed_frame, origin.id, "malformed frame: epoch changed within one connection");
        return false;
    }
    if (direct) origin.epoch_channel = channel;
    const bool restarted = origin.remote_epoch != 0;
    origin.remote_epoch = epoch;
    origin.reset_inbound(epoch, budget_);
    if (restarted) restart_send_stream(origin);
    return true;
}

void Mesh::handle_data(Peer& from, Peer& origin, const FrameHeader& h, Bytes frame) {
    const Lane lane = lane_of(h.flags);
    Peer::Inbound& in = origin.in[lane];
    std::vector<Delivery> ready;
    std::string error;
    const auto outcome =
        in.stream.on_data(h, std::move(frame), from.link.channel(), now_, budget_, options_.reassembly, ready, error);
    if (!error.empty()) {
        const ErrorCode code = error.rfind("malformed", 0) == 0 ? ErrorCode::malformed_frame : ErrorCode::reassembly_limit;
        out_.error(code, origin.id, error);
    }
    if (outcome == ReceiveStream::Outcome::duplicate) in.ack_due = true;  // the sender missed our ack
    for (auto& d : ready) {
        Event e;
        e.kind = EventKind::message;
        e.peer = origin.id;
        e.data = std::move(d.data);
        e.is_text = (d.flags & flag_text) != 0;
        e.system = (d.flags & flag_system) != 0;
        out_.events.push_back(std::move(e));
    }
    if (!ready.empty()) {
        in.ack_due = true;
        if (in.stream.delivered_upto() - in.ack_sent_upto >= options_.ack_every_messages) send_ack(origin, lane);
    }
}

void Mesh::handle_ack(Peer& origin, Lane lane, std::uint32_t acked_upto) {
    Peer::Outbound& out = origin.out[lane];
    bool progress = false;
    while (!out.unacked.empty() && out.unacked.front()->id <= acked_upto) {
        OutMessage& m = *out.unacked.front();
        m.dead = true;
        out.queued_bytes -= m.payload->size();
        out.unacked.pop_front();
        progress = true;
    }
    if (progress) out.last_ack_progress = now_;
}

// ---------------------------------------------------------------- host events

void Mesh::on_local_description(Handle pc, SdpType type, const std::string& sdp) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] { p->link.on_local_description(out_, type, sdp); });
}

void Mesh::on_remote_description_set(Handle pc) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] { p->link.on_remote_description_set(out_); });
}

void Mesh::on_local_candidate(Handle pc, const std::string& candidate) {
    if (Peer* p = find_by_pc(pc)) p->link.on_local_candidate(out_, candidate);
}

void Mesh::on_connection_state(Handle pc, ConnectionState state) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] { p->link.on_connection_state(out_, now_, rng_, state); });
}

void Mesh::on_channel_open(Handle channel) {
    if (Peer* p = find_by_channel(channel)) with_link(*p, [&] { p->link.on_channel_open(out_); });
}

void Mesh::on_channel_closed(Handle channel) {
    if (Peer* p = find_by_channel(channel)) with_link(*p, [&] { p->link.on_channel_closed(out_, now_, rng_); });
}

void Mesh::on_channel_message(Handle channel, Bytes frame) {
    if (closed_) return;
    Peer* p = find_by_channel(channel);
    if (p == nullptr) return;
    // Counted before anything can drop the frame: the sender counted it too.
    if (frame.size() < 2 || frame[1] != static_cast<std::uint8_t>(FrameType::window)) p->unreported += frame.size();
    handle_frame(*p, std::move(frame));
    pump(*p);  // sends a window frame once enough arrived
}

void Mesh::on_buffered_amount(Handle channel, std::size_t buffered_amount) {
    Peer* p = find_by_channel(channel);
    if (p == nullptr) return;
    // The spec's bufferedAmount counts every byte sent in the current task,
    // and the host reports right after running our sends: a lower figure
    // means it does not count them (@roamhq/wrtc says 0), so its
    // backpressure is blind and the window must bound the link.
    if (p->unreported_sends > 0) p->host_counts_sends = buffered_amount >= p->unreported_sends;
    p->unreported_sends = 0;
    p->buffered = buffered_amount;
    pump(*p);
}

void Mesh::on_operation_failed(Handle pc, CommandKind what, const std::string& error) {
    if (Peer* p = find_by_pc(pc)) with_link(*p, [&] { p->link.on_operation_failed(out_, now_, rng_, what, error); });
}

void Mesh::on_max_message_size(Handle pc, std::size_t bytes) {
    if (Peer* p = find_by_pc(pc)) p->max_frame = bytes;
}

// ---------------------------------------------------------------- time

void Mesh::update(Millis now) {
    if (!init_status_.ok() || closed_) return;
    now_ = std::max(now_, now);
    for (auto& [id, p] : peers_) {
        Peer& peer = *p;
        with_link(peer, [&] { peer.link.update(out_, now_, rng_); });
    }
    for (auto& [id, p] : peers_) {
        for (const Lane lane : {system_lane, app_lane}) {
            Peer::Inbound& in = p->in[lane];
            if (in.stream.expire(now_, budget_, options_.reassembly) > 0)
                out_.error(ErrorCode::reassembly_limit, id, "a partial message from " + id + " timed out and was dropped");
            if (in.ack_due) send_ack(*p, lane);
        }
        if (p->needs_routing) route_pending(*p);
        for (const Lane lane : {system_lane, app_lane}) retransmit_if_stalled(*p, lane);
        if (p->unreported > 0) {  // the tail of a transfer, below the reporting step
            p->report_due = true;
            pump(*p);
        }
    }
    if (now_ >= next_advertise_) advertise_links();
}

std::vector<Command> Mesh::take_commands() { return std::exchange(out_.commands, {}); }
std::vector<Event> Mesh::take_events() { return std::exchange(out_.events, {}); }

std::size_t Mesh::queued_bytes(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr ? 0 : p->out[system_lane].queued_bytes + p->out[app_lane].queued_bytes;
}

std::size_t Mesh::buffered_estimate(const std::string& peer) const {
    const Peer* p = find(peer);
    return p == nullptr ? 0 : p->buffered;
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

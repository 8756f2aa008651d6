#include "mesh/sim_webrtc.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "core/session/host_wire.hpp"
#include "session/host_records.hpp"

namespace rtcmesh::sim {

using mesh::Command;
using mesh::CommandKind;
using mesh::ConnectionState;
using mesh::Event;
using mesh::EventKind;
using mesh::Handle;
using mesh::SdpType;

int NodeLog::count(EventKind kind) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; }));
}

int NodeLog::count(EventKind kind, const std::string& peer) const {
    return static_cast<int>(
        std::count_if(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind && e.peer == peer; }));
}

enum class Sig { stable, have_local_offer, have_remote_offer };

struct SimNetwork::Pc {
    Handle handle = 0;
    std::string peer;
    std::uint64_t session = 0;
    int ice_gen = 0;
    Sig sig = Sig::stable;
    bool has_local = false;
    bool has_remote = false;
    std::uint64_t remote_session = 0;
    int remote_ice_gen = -1;
    bool remote_candidate_ok = false;
    ConnectionState state = ConnectionState::new_;
    Handle channel = 0;
    bool channel_open = false;
    // Direct channels (mesh/direct_channels.hpp): by handle, opened with
    // the main channel; matched to the partner's by negotiated id.
    std::map<Handle, mesh::DataChannelSpec> extras;
    // Media: the tracks added to this connection, and the peer's tracks as
    // its last description listed them ("a=tracks:" in the fake SDP).
    std::set<std::uint32_t> sending;
    std::set<std::uint32_t> receiving;
    bool closed = false;
    std::size_t buffered = 0;
    std::size_t threshold = 0;
    Millis link_free_at = 0;
    std::uint64_t disconnect_episode = 0;
    bool connect_scheduled = false;
};

struct SimNetwork::Node {
    std::string id;
    std::uint64_t incarnation = 0;
    // The page's core: a mesh, and Raft over it when a test starts one.
    std::unique_ptr<session::Session> session;
    mesh::Mesh* mesh = nullptr;  // session's
    std::map<Handle, Pc> pcs;
    Millis op_ready = 0;
    Millis stalled_until = 0;  // see stall()
};

namespace {

// One record of the host wire, packed by `write` (a records:: function).
template <typename Write, typename... Args>
Bytes record(Write write, const Args&... args) {
    Bytes out;
    write(out, args...);
    return out;
}

// What the simulated browser did reaches the core as a page's reports do:
// records through the host wire (session/host_wire.hpp), applied at the
// session's own clock (the simulation ticks it).
void report(session::Session& s, const Bytes& in) {
    Bytes out;
    session::exchange(s, static_cast<double>(s.now()), in.data(), in.size(), false, out);
    constexpr std::size_t kStatusAt = 1 + 4 + 8;  // after the version, the length and the wake-up
    if (out.size() <= kStatusAt || out[kStatusAt] != 0) throw std::logic_error("the host wire refused a simulated report");
}

std::string make_sdp(SdpType type, std::uint64_t session, int gen, std::size_t mms, const std::set<std::uint32_t>& tracks) {
    std::string listed;
    for (auto track : tracks) listed += (listed.empty() ? "" : ",") + std::to_string(track);
    return std::string("v=0\r\no=- ") + std::to_string(session) + " 1 IN IP4 0.0.0.0\r\ns=-\r\na=type:" +
           (type == SdpType::offer ? "offer" : "answer") + "\r\na=fingerprint:sha-256 " + std::to_string(session) +
           "\r\na=ice-gen:" + std::to_string(gen) +
           "\r\na=max-message-size:" + std::to_string(mms) + "\r\na=tracks:" + listed + "\r\n";
}

std::set<std::uint32_t> sdp_tracks(const std::string& sdp) {
    std::set<std::uint32_t> tracks;
    const auto at = sdp.find("a=tracks:");
    if (at == std::string::npos) return tracks;
    std::size_t pos = at + 9;
    while (pos < sdp.size() && sdp[pos] != '\r') {
        std::size_t end = pos;
        while (end < sdp.size() && std::isdigit(static_cast<unsigned char>(sdp[end]))) ++end;
        if (end == pos) break;
        tracks.insert(static_cast<std::uint32_t>(std::stoul(sdp.substr(pos, end - pos))));
        pos = sdp[end] == ',' ? end + 1 : end;
    }
    return tracks;
}

// Parses the fields make_sdp wrote; false for anything else.
bool parse_sdp(const std::string& sdp, std::uint64_t& session, int& gen) {
    auto session_id = mesh::sdp_session_id(sdp);
    const auto pos = sdp.find("a=ice-gen:");
    if (!session_id || pos == std::string::npos) return false;
    try {
        session = std::stoull(*session_id);
        gen = std::stoi(sdp.substr(pos + 10));
    } catch (...) {
        return false;
    }
    return true;
}

bool parse_candidate(const std::string& c, std::uint64_t& session, int& gen) {
    unsigned long long s = 0;
    int g = 0, n = 0;
    if (std::sscanf(c.c_str(), "candidate:%llu:%d:%d", &s, &g, &n) != 3) return false;
    session = s;
    gen = g;
    return true;
}

}  // namespace

SimNetwork::SimNetwork(std::uint64_t seed, SimConfig config) : config_(config), rng_(seed) {}
SimNetwork::~SimNetwork() = default;

mesh::Mesh& SimNetwork::add_node(mesh::Options options, mesh::TestFaults faults) {
    auto n = std::make_unique<Node>();
    n->id = options.id;
    n->incarnation = next_incarnation_++;
    n->session = std::make_unique<session::Session>(std::move(options), rng_.next(), faults);
    n->mesh = &n->session->mesh();
    n->op_ready = now_;
    if (server_up_) report(*n->session, record(records::server_path, true, server_max_frame_, server_rate_));
    logs_[n->id] = NodeLog{};
    Node& ref = *n;
    nodes_[n->id] = std::move(n);
    return *ref.mesh;
}

void SimNetwork::vanish(const std::string& id) {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return;
    nodes_.erase(it);
    // Its partners only notice the silence: ICE goes disconnected, later failed.
    for (auto& [other_id, other] : nodes_)
        for (auto& [h, pc] : other->pcs)
            if (pc.peer == id && !pc.closed && pc.state == ConnectionState::connected) go_disconnected(*other, pc);
}

void SimNetwork::stall(const std::string& id, Millis duration) {
    if (Node* n = node(id)) n->stalled_until = now_ + duration;
}

bool SimNetwork::has_node(const std::string& id) const { return nodes_.count(id) != 0; }
mesh::Mesh& SimNetwork::mesh(const std::string& id) { return *nodes_.at(id)->mesh; }
session::Session& SimNetwork::session(const std::string& id) { return *nodes_.at(id)->session; }
NodeLog& SimNetwork::log(const std::string& id) { return logs_[id]; }

SimNetwork::Node* SimNetwork::node(const std::string& id) const {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : it->second.get();
}

bool SimNetwork::link_up(const std::string& a, const std::string& b) const {
    return dead_links_.count(std::minmax(a, b)) == 0 && node(a) != nullptr && node(b) != nullptr;
}

void SimNetwork::kill_link(const std::string& a, const std::string& b) {
    dead_links_.insert(std::minmax(a, b));
    for (const auto& [x, y] : {std::make_pair(a, b), std::make_pair(b, a)}) {
        Node* n = node(x);
        if (n == nullptr) continue;
        for (auto& [h, pc] : n->pcs)
            if (pc.peer == y && !pc.closed && pc.state == ConnectionState::connected) go_disconnected(*n, pc);
    }
}

void SimNetwork::restore_link(const std::string& a, const std::string& b) { dead_links_.erase(std::minmax(a, b)); }

void SimNetwork::schedule(Millis at, std::function<void()> fn) { queue_.push(at, std::move(fn)); }

void SimNetwork::on_node(const std::string& id, std::uint64_t incarnation, const std::function<void(Node&)>& fn, Millis at) {
    schedule(at, [this, id, incarnation, fn] {
        Node* n = node(id);
        if (n == nullptr || n->incarnation != incarnation) return;
        if (now_ < n->stalled_until) return on_node(id, incarnation, fn, n->stalled_until + config_.tick_ms);
        // Like the JS host's exchange (host_wire.cpp): a core that sleeps
        // until its next wake-up has its clock brought up to date first.
        if (config_.tick_at_next_wakeup && now_ > n->session->now() + session::kStaleClockMs) n->session->update(now_);
        fn(*n);
        drain(*n);
    });
}

void SimNetwork::drain(Node& n) {
    // Like the JS shim: run the commands, report bufferedAmount of every
    // channel that was sent on, and repeat while that produced more commands.
    for (int round = 0; round < 10'000; ++round) {
        auto commands = n.session->take_commands();
        if (commands.empty()) break;
        std::set<Handle> sent_on;
        for (auto& c : commands) {
            if (c.kind == CommandKind::send_via_server) {  // a WebSocket frame: the signaling bus's delay
                if (!server_up_ || c.bytes.size() > server_max_frame_) continue;
                ++server_frames_;
                Node* target = node(c.peer);
                if (target == nullptr) continue;
                auto frame = std::make_shared<Bytes>(std::move(c.bytes));
                const std::string from = n.id;
                on_node(c.peer, target->incarnation, [frame, from](Node& t) { report(*t.session, record(records::server_frame, from, *frame)); },
                        now_ + config_.description_delay_ms);
                continue;
            }
            if (c.kind == CommandKind::send) {  // sends are synchronous calls on the channel
                for (auto& [h, p] : n.pcs) {
                    if (p.extras.count(c.channel) != 0) {
                        send_direct(n, p, p.extras.at(c.channel), std::move(c.bytes));
                        break;
                    }
                    if (p.channel == c.channel) {
                        send_frame(n, p, std::move(c.bytes));
                        sent_on.insert(c.channel);
                        break;
                    }
                }
                continue;
            }
            // The browser runs a connection's operations one after another.
            n.op_ready = std::max(n.op_ready, now_ + static_cast<Millis>(rng_.between(
                                                            static_cast<std::uint64_t>(config_.min_op_delay_ms),
                                                            static_cast<std::uint64_t>(config_.max_op_delay_ms))));
            auto shared = std::make_shared<Command>(std::move(c));
            on_node(n.id, n.incarnation, [this, shared](Node& node) { execute(node, std::move(*shared)); }, n.op_ready);
        }
        for (Handle channel : sent_on)
            for (auto& [h, p] : n.pcs)
                if (p.channel == channel && !p.closed)
                    report(*n.session, record(records::buffered_amount, channel, config_.reports_buffered_amount ? p.buffered : 0));
    }
    for (auto& e : n.session->take_events()) route_event(n, std::move(e));
}

void SimNetwork::route_event(Node& n, Event e) {
    NodeLog& log = logs_[n.id];
    switch (e.kind) {
        case EventKind::message:
            log.messages.push_back(Received{e.peer, std::move(e.data), e.is_text, e.system, now_, std::move(e.channel)});
            return;
        case EventKind::offer:
        case EventKind::answer:
        case EventKind::icecandidate: {
            const Millis delay = e.kind == EventKind::icecandidate ? config_.candidate_delay_ms : config_.description_delay_ms;
            const std::string from = n.id;
            Node* target = node(e.peer);
            if (target == nullptr) break;
            auto shared = std::make_shared<Event>(e);
            if (tamper_sdp && e.kind != EventKind::icecandidate) tamper_sdp(from, e.peer, shared->text);
            on_node(e.peer, target->incarnation, [this, from, shared](Node& t) {
                mesh::Status s;
                if (shared->kind == EventKind::offer) s = t.mesh->create_answer(from, shared->text);
                if (shared->kind == EventKind::answer) s = t.mesh->add_answer(from, shared->text);
                if (shared->kind == EventKind::icecandidate) s = t.mesh->add_ice_candidate(from, shared->text);
                if (!s.ok()) logs_[t.id].signaling_errors.push_back(s.message);
            }, now_ + delay);
            break;
        }
        case EventKind::addchannel: log.addchannel[e.peer]++; break;
        case EventKind::removechannel: log.removechannel[e.peer]++; break;
        case EventKind::error: log.errors.push_back(e); break;
        default: break;
    }
    log.events.push_back(std::move(e));
}

void SimNetwork::cap_connections(const std::string& id, std::size_t cap) { connection_caps_[id] = cap; }

void SimNetwork::server_path(bool up, std::size_t max_frame_bytes, std::size_t bytes_per_second) {
    server_up_ = up;
    server_max_frame_ = max_frame_bytes;
    server_rate_ = bytes_per_second;
    for (auto& [id, n] : nodes_) {
        if (!n->mesh) continue;
        report(*n->session, record(records::server_path, up, max_frame_bytes, bytes_per_second));
        drain(*n);
    }
}

void SimNetwork::execute(Node& n, Command c) {
    Pc* pc = nullptr;
    if (c.kind != CommandKind::create_peer_connection) {
        auto it = n.pcs.find(c.pc);
        if (it != n.pcs.end()) pc = &it->second;
        if (c.kind == CommandKind::set_buffered_amount_low_threshold || c.kind == CommandKind::close_channel) {
            for (auto& [h, p] : n.pcs)
                if (p.channel == c.channel) pc = &p;
        }
        if (pc == nullptr || pc->closed) return;  // the browser would throw InvalidStateError; the core ignores
    }
    switch (c.kind) {
        case CommandKind::create_peer_connection: {
            auto cap = connection_caps_.find(n.id);
            if (cap != connection_caps_.end() && cap->second > 0 && live_connections(n.id) >= cap->second) {
                // The browser's constructor throws; the shim reports it at once.
                report(*n.session, record(records::operation_failed, c.pc, c.kind, "OperationError: Cannot create so many PeerConnections"));
                return;
            }
            Pc p;
            p.handle = c.pc;
            p.peer = c.peer;
            p.session = next_session_++;
            n.pcs[c.pc] = p;
            break;
        }
        case CommandKind::create_data_channel:
            if (c.data_channel.id == 0) {
                pc->channel = c.channel;
            } else {
                pc->extras[c.channel] = c.data_channel;
                if (pc->channel_open) report(*n.session, record(records::channel_open, c.channel));  // SCTP is up already
            }
            break;
        case CommandKind::set_local_description: {
            SdpType type;
            if (pc->sig == Sig::have_remote_offer) {
                type = SdpType::answer;
                pc->sig = Sig::stable;
            } else if (pc->sig == Sig::stable) {
                type = SdpType::offer;
                if (c.ice_restart && pc->has_local) pc->ice_gen++;
                pc->sig = Sig::have_local_offer;
            } else {
                report(*n.session, record(records::operation_failed, pc->handle, c.kind, "InvalidStateError: have-local-offer"));
                return;
            }
            pc->has_local = true;
            report(*n.session, record(records::local_description, pc->handle, type, make_sdp(type, pc->session, pc->ice_gen, config_.max_message_size, pc->sending)));
            // Trickle: two candidates and end-of-candidates, a little later.
            const Handle h = pc->handle;
            const std::string cand_base = "candidate:" + std::to_string(pc->session) + ":" + std::to_string(pc->ice_gen) + ":";
            for (int i = 0; i < 3; ++i) {
                const std::string cand = i < 2 ? cand_base + std::to_string(i) : std::string();
                on_node(n.id, n.incarnation, [h, cand](Node& node) {
                    auto it = node.pcs.find(h);
                    if (it != node.pcs.end() && !it->second.closed) report(*node.session, record(records::local_candidate, h, cand));
                }, now_ + 2 + 3 * i);
            }
            try_connect(n, *pc);
            break;
        }
        case CommandKind::set_remote_description: {
            std::uint64_t session = 0;
            int gen = 0;
            if (!parse_sdp(c.text, session, gen)) {
                report(*n.session, record(records::operation_failed, pc->handle, c.kind, "SyntaxError: bad SDP"));
                return;
            }
            if (c.sdp_type == SdpType::offer) {
                if (pc->sig == Sig::have_local_offer) pc->sig = Sig::stable;  // implicit rollback
                if (pc->sig != Sig::stable) {
                    report(*n.session, record(records::operation_failed, pc->handle, c.kind, "InvalidStateError"));
                    return;
                }
                if (pc->has_remote && gen != pc->remote_ice_gen) pc->ice_gen++;  // ICE restart: new local creds too
                pc->sig = Sig::have_remote_offer;
            } else {
                if (pc->sig != Sig::have_local_offer) {
                    report(*n.session, record(records::operation_failed, pc->handle, c.kind, "InvalidStateError: no local offer"));
                    return;
                }
                pc->sig = Sig::stable;
            }
            if (session != pc->remote_session || gen != pc->remote_ice_gen) pc->remote_candidate_ok = false;
            pc->has_remote = true;
            pc->receiving = sdp_tracks(c.text);
            pc->remote_session = session;
            pc->remote_ice_gen = gen;
            report(*n.session, record(records::remote_description_set, pc->handle));
            try_connect(n, *pc);
            break;
        }
        case CommandKind::add_ice_candidate: {
            if (c.text.empty()) break;  // end of candidates
            std::uint64_t session = 0;
            int gen = 0;
            if (!pc->has_remote) {
                report(*n.session, record(records::operation_failed, pc->handle, c.kind, "InvalidStateError: no remote description"));
                return;
            }
            if (!parse_candidate(c.text, session, gen) || session != pc->remote_session || gen != pc->remote_ice_gen) {
                report(*n.session, record(records::operation_failed, pc->handle, c.kind, "OperationError: unknown ufrag"));
                return;
            }
            pc->remote_candidate_ok = true;
            try_connect(n, *pc);
            break;
        }
        case CommandKind::set_buffered_amount_low_threshold: pc->threshold = c.number; break;
        case CommandKind::close_channel:
            if (pc->extras.erase(c.channel) != 0) break;  // a direct channel: its connection stays
            [[fallthrough]];
        case CommandKind::close_peer_connection: {
            if (pc->closed) break;
            pc->closed = true;
            pc->state = ConnectionState::closed;
            pc->channel_open = false;
            // The remote end sees its channel close a moment later, after what
            // was sent before it (a channel closes after its queued data).
            Pc* partner = partner_of(n, *pc);
            if (partner != nullptr && partner->channel_open && link_up(n.id, pc->peer)) {
                Node* other = node(pc->peer);
                const Handle ph = partner->handle;
                on_node(other->id, other->incarnation, [ph](Node& o) {
                    auto it = o.pcs.find(ph);
                    if (it == o.pcs.end() || it->second.closed || !it->second.channel_open) return;
                    it->second.channel_open = false;
                    report(*o.session, record(records::channel_closed, it->second.channel));
                }, std::max(now_, pc->link_free_at) + config_.latency_ms);
            }
            break;
        }
        case CommandKind::add_track: pc->sending.insert(static_cast<std::uint32_t>(c.number)); break;
        case CommandKind::remove_track: pc->sending.erase(static_cast<std::uint32_t>(c.number)); break;
        case CommandKind::send:
        case CommandKind::send_via_server: break;  // handled in drain
    }
}

SimNetwork::Pc* SimNetwork::partner_of(const Node& n, const Pc& pc) const {
    Node* other = node(pc.peer);
    if (other == nullptr || !pc.has_remote) return nullptr;
    for (auto& [h, p] : other->pcs)
        if (p.session == pc.remote_session && p.peer == n.id) return &p;
    return nullptr;
}

void SimNetwork::try_connect(Node& n, Pc& pc) {
    auto ready = [](const Pc& p) {
        return !p.closed && p.has_local && p.has_remote && p.sig == Sig::stable && p.remote_candidate_ok;
    };
    Pc* partner = partner_of(n, pc);
    if (partner == nullptr || !ready(pc) || !ready(*partner)) return;
    if (partner->remote_session != pc.session || partner->remote_ice_gen != pc.ice_gen || pc.remote_ice_gen != partner->ice_gen)
        return;
    if (!link_up(n.id, pc.peer)) return;
    if (pc.state == ConnectionState::connected && partner->state == ConnectionState::connected) return;
    Node* other = node(pc.peer);
    const Handle a = pc.handle, b = partner->handle;
    const std::uint64_t ia = n.incarnation, ib = other->incarnation;
    const std::string ida = n.id, idb = other->id;
    schedule(now_ + config_.latency_ms, [this, a, b, ia, ib, ida, idb] {
        Node* na = node(ida);
        Node* nb = node(idb);
        if (na == nullptr || nb == nullptr || na->incarnation != ia || nb->incarnation != ib || !link_up(ida, idb)) return;
        auto ita = na->pcs.find(a);
        auto itb = nb->pcs.find(b);
        if (ita == na->pcs.end() || itb == nb->pcs.end() || ita->second.closed || itb->second.closed) return;
        const bool open_first = config_.connected_after_open_ms > 0;
        for (auto [nn, p] : {std::make_pair(na, &ita->second), std::make_pair(nb, &itb->second)}) {
            if (p->state != ConnectionState::connected && !open_first) {
                set_state(*nn, *p, ConnectionState::connected);
                report(*nn->session, record(records::max_message_size, p->handle, config_.max_message_size));
            }
            if (!p->channel_open) {
                p->channel_open = true;
                report(*nn->session, record(records::channel_open, p->channel));
                for (const auto& [extra, spec] : p->extras) report(*nn->session, record(records::channel_open, extra));
            }
            if (open_first) {
                const Handle h = p->handle;
                on_node(nn->id, nn->incarnation, [this, h](Node& n) {
                    auto it = n.pcs.find(h);
                    if (it == n.pcs.end() || it->second.closed || it->second.state == ConnectionState::connected) return;
                    set_state(n, it->second, ConnectionState::connected);
                    report(*n.session, record(records::max_message_size, h, config_.max_message_size));
                }, now_ + config_.connected_after_open_ms);
            }
        }
        drain(*na);
        drain(*nb);
    });
}

void SimNetwork::set_state(Node& n, Pc& pc, ConnectionState state) {
    if (pc.state == state) return;
    pc.state = state;
    if (state == ConnectionState::connected) pc.disconnect_episode++;
    report(*n.session, record(records::connection_state, pc.handle, state));
}

void SimNetwork::go_disconnected(Node& n, Pc& pc) {
    const Handle h = pc.handle;
    const std::uint64_t episode = ++pc.disconnect_episode;
    on_node(n.id, n.incarnation, [this, h, episode](Node& node) {
        auto it = node.pcs.find(h);
        if (it == node.pcs.end() || it->second.closed || it->second.disconnect_episode != episode) return;
        set_state(node, it->second, ConnectionState::disconnected);
        on_node(node.id, node.incarnation, [this, h, episode](Node& later) {
            auto jt = later.pcs.find(h);
            if (jt == later.pcs.end() || jt->second.closed || jt->second.disconnect_episode != episode) return;
            if (jt->second.state != ConnectionState::disconnected) return;
            jt->second.channel_open = false;
            set_state(later, jt->second, ConnectionState::failed);
        }, now_ + config_.fail_after_ms);
    }, now_ + config_.disconnect_detect_ms);
}

void SimNetwork::send_frame(Node& n, Pc& pc, Bytes bytes) {
    if (pc.closed || !pc.channel_open) return;
    if (tamper) tamper(n.id, pc.peer, bytes);
    if (bytes.size() > config_.max_message_size) {
        report(*n.session, record(records::operation_failed, pc.handle, CommandKind::send, "OperationError: message too large"));
        return;
    }
    const std::size_t size = bytes.size();
    pc.buffered += size;
    max_buffered_seen_ = std::max(max_buffered_seen_, pc.buffered);
    const Millis start = std::max(now_, pc.link_free_at);
    const Millis done = start + static_cast<Millis>(std::ceil(static_cast<double>(size) / config_.bytes_per_ms));
    pc.link_free_at = done;
    const Handle h = pc.handle;
    const std::string peer = pc.peer;
    const std::uint64_t remote_session = pc.remote_session;
    const bool reports = config_.reports_buffered_amount;
    on_node(n.id, n.incarnation, [size, h, reports](Node& node) {
        auto it = node.pcs.find(h);
        if (it == node.pcs.end()) return;
        Pc& p = it->second;
        const std::size_t before = p.buffered;
        p.buffered -= std::min(p.buffered, size);
        if (reports && !p.closed && before > p.threshold && p.buffered <= p.threshold)
            report(*node.session, record(records::buffered_amount, p.channel, p.buffered));
    }, done);
    const std::string from = n.id;
    auto shared = std::make_shared<Bytes>(std::move(bytes));
    Node* other = node(peer);
    if (other == nullptr) return;
    on_node(peer, other->incarnation, [this, from, remote_session, shared](Node& o) {
        if (!link_up(from, o.id)) return;
        for (auto& [ph, p] : o.pcs) {
            if (p.session != remote_session || p.closed || !p.channel_open || p.state != ConnectionState::connected) continue;
            report(*o.session, record(records::channel_message, p.channel, *shared));
            return;
        }
    }, done + config_.latency_ms);
}

// A direct channel's message: no bandwidth model, and lost with
// config_.unreliable_loss when its channel does not retransmit.
void SimNetwork::send_direct(Node& n, Pc& pc, const mesh::DataChannelSpec& spec, Bytes bytes) {
    if (pc.closed || !pc.channel_open) return;
    if (spec.max_retransmits >= 0 && rng_.chance(config_.unreliable_loss)) {
        ++direct_lost_;
        return;
    }
    Node* other = node(pc.peer);
    if (other == nullptr) return;
    const std::string from = n.id;
    const std::uint64_t remote_session = pc.remote_session;
    const std::uint16_t id = spec.id;
    auto shared = std::make_shared<Bytes>(std::move(bytes));
    on_node(pc.peer, other->incarnation, [this, from, remote_session, id, shared](Node& o) {
        if (!link_up(from, o.id)) return;
        for (auto& [ph, p] : o.pcs) {
            if (p.session != remote_session || p.closed || !p.channel_open) continue;
            for (const auto& [handle, spec] : p.extras)
                if (spec.id == id) return report(*o.session, record(records::channel_message, handle, *shared));
        }
    }, now_ + config_.latency_ms);
}

void SimNetwork::tick() {
    for (auto& [id, n] : nodes_) {
        if (now_ < n->stalled_until) continue;
        if (!config_.tick_at_next_wakeup || now_ >= n->session->next_wakeup()) n->session->update(now_);
        drain(*n);
    }
}

void SimNetwork::run_for(Millis duration) {
    run_until([] { return false; }, duration);
}

bool SimNetwork::run_until(const std::function<bool()>& pred, Millis max_duration) {
    const Millis end = now_ + max_duration;
    std::uint64_t steps = 0;
    while (steps++ < 200'000'000) {
        const Millis next_action = queue_.empty() ? end + 1 : queue_.next_at();
        if (next_action < next_tick_) {
            if (next_action > end) break;
            now_ = std::max(now_, next_action);
            queue_.pop().item();
            continue;
        }
        if (next_tick_ > end) break;
        now_ = std::max(now_, next_tick_);
        next_tick_ += config_.tick_ms;
        tick();
        if (pred()) return true;
    }
    now_ = std::max(now_, end);
    return pred();
}

std::size_t SimNetwork::open_channels(const std::string& a, const std::string& b) const {
    Node* n = node(a);
    if (n == nullptr) return 0;
    std::size_t count = 0;
    for (const auto& [h, pc] : n->pcs)
        if (pc.peer == b && !pc.closed && pc.channel_open) ++count;
    return count;
}

std::set<std::uint32_t> SimNetwork::tracks_from(const std::string& a, const std::string& b) const {
    const Node* n = node(a);
    if (n == nullptr) return {};
    for (const auto& [h, pc] : n->pcs)
        if (pc.peer == b && !pc.closed && pc.state == ConnectionState::connected) return pc.receiving;
    return {};
}

bool SimNetwork::link_connected(const std::string& a, const std::string& b) const {
    Node* n = node(a);
    if (n == nullptr) return false;
    for (const auto& [h, pc] : n->pcs)
        if (pc.peer == b && !pc.closed && pc.channel_open && pc.state == ConnectionState::connected) return true;
    return false;
}

std::size_t SimNetwork::live_connections(const std::string& a) const {
    Node* n = node(a);
    if (n == nullptr) return 0;
    std::size_t count = 0;
    for (const auto& [h, pc] : n->pcs)
        if (!pc.closed) ++count;
    return count;
}

std::size_t SimNetwork::buffered(const std::string& a, const std::string& b) const {
    Node* n = node(a);
    std::size_t total = 0;
    if (n == nullptr) return 0;
    for (const auto& [h, pc] : n->pcs)
        if (pc.peer == b && !pc.closed) total += pc.buffered;
    return total;
}

bool SimNetwork::inject(const std::string& from, const std::string& to, Bytes frame) {
    Node* n = node(to);
    if (n == nullptr) return false;
    for (auto& [h, pc] : n->pcs) {
        if (pc.peer != from || pc.closed || !pc.channel_open) continue;
        report(*n->session, record(records::channel_message, pc.channel, frame));
        drain(*n);
        return true;
    }
    return false;
}

bool SimNetwork::fully_meshed(const std::vector<std::string>& ids) const {
    for (const auto& a : ids) {
        if (live_connections(a) != ids.size() - 1) return false;
        for (const auto& b : ids)
            if (a != b && open_channels(a, b) != 1) return false;
    }
    return true;
}

}  // namespace rtcmesh::sim

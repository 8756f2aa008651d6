// The last-resort path (Options::server_path): a peer that no link and no
// relay member reaches gets its frames through the signaling server.
//
// The server is a pseudo neighbour, `server_`: in no map, named in routes by
// kServerRoute, so messages queue, retransmit and are acknowledged through it
// as through a relay member. Its frames leave as send_via_server commands
// naming their destination, metered by the bytes per second the server
// allows (past them it would drop them). What arrives through it is taken as
// relayed: the server is no member, so a frame must be the own of the member
// the server names, for us, and is dropped when our own link to that member
// is up (the origin then sends it again directly).
#include <algorithm>

#include "core/mesh/mesh.hpp"
#include "core/mesh/mesh_peer.hpp"

namespace rtcmesh::mesh {

void Mesh::on_server_path(bool up, std::size_t max_frame_bytes, std::size_t bytes_per_second) {
    if (!server_ || closed_) return;
    server_->max_frame = max_frame_bytes;
    // A little under the server's rate: past it, it drops frames.
    server_rate_ = 0.9 * static_cast<double>(bytes_per_second);
    up = up && max_frame_bytes > kHeaderSize && bytes_per_second > 0;
    if (up == server_->usable) return;
    server_->usable = up;
    if (up) {
        server_refilled_ = now_;
        server_budget_ = server_rate_;  // one second's worth to start
        refresh_routes();
    } else {
        on_link_down(*server_);  // what it held waits for a route again
    }
}

void Mesh::on_server_frame(const std::string& from, Bytes frame) {
    if (!server_ || closed_) return;
    Peer* origin = find(from);
    if (origin == nullptr) return;  // a member we do not know (any more)
    const DecodeResult decoded = decode_frame(frame, options_.max_message_bytes);
    if (!decoded.header) {
        out_.error(ErrorCode::malformed_frame, from, "through the server: " + decoded.error);
        return;
    }
    const FrameHeader& h = *decoded.header;
    if (h.origin != origin->hash) return refuse_forged(*origin, "sent through the server");
    // Only a member's own messages and acks, for us, travel this way.
    if (h.destination != self_hash_ || (h.type != FrameType::data && h.type != FrameType::ack)) {
        out_.error(ErrorCode::malformed_frame, from, "a frame through the server that is not a message or an ack for us; dropped");
        return;
    }
    handle_frame(*server_, std::move(frame));
}

void Mesh::pump_server() {
    Peer& n = *server_;
    if (!n.usable) return;
    server_budget_ = std::min(server_rate_, server_budget_ + server_rate_ * static_cast<double>(now_ - server_refilled_) / 1000.0);
    server_refilled_ = now_;
    auto emit = [&](Bytes frame) {
        const DecodeResult decoded = decode_frame(frame, options_.max_message_bytes);
        Peer* to = decoded.header ? find_by_hash(decoded.header->destination) : nullptr;
        if (to == nullptr || to == &n) return;  // its destination left meanwhile
        set_hops_left(frame, kRelayedHops);  // the server is the one relay in between
        server_budget_ -= static_cast<double>(frame.size());
        n.last_sent = now_;
        Command c;
        c.kind = CommandKind::send_via_server;
        c.peer = to->id;
        c.bytes = std::move(frame);
        out_.commands.push_back(std::move(c));
    };
    while (server_budget_ > 0) {
        auto frame = n.queue.pop_control();
        if (!frame) break;
        emit(std::move(*frame));
    }
    while (server_budget_ > 0) {
        NeighbourQueue::Jobs* jobs = n.queue.next_jobs();
        if (jobs == nullptr) break;
        if (auto frame = take_frame(n, *jobs)) emit(std::move(*frame));
    }
}

}  // namespace rtcmesh::mesh

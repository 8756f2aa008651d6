// Mesh's receive path: a frame from a neighbour is checked (who may speak
// for whom), relayed, or taken in: epochs, reassembly and delivery, acks.
#include <algorithm>
#include <utility>

#include "core/mesh/mesh.hpp"
#include "core/mesh/mesh_peer.hpp"
#include "core/mesh/relay_auth.hpp"

namespace rtcmesh::mesh {

void Mesh::handle_frame(Peer& from, Bytes frame) {
    DecodeResult decoded = decode_frame(frame, options_.max_message_bytes);
    if (!decoded.header) {
        out_.error(ErrorCode::malformed_frame, from.id, decoded.error);
        return;
    }
    FrameHeader& h = *decoded.header;
    if (h.type == FrameType::link_proof) return handle_link_proof(from, h, frame);
    if (from.link.awaiting_proof()) return;  // nothing counts on a channel before its proof
    if (h.type == FrameType::goodbye) {  // about this channel alone: no relaying, no epoch
        if (h.origin != from.hash) return refuse_forged(from, "sent");
        with_link(from, [&] { from.link.remote_left(out_); });
        return;
    }
    if (h.type == FrameType::window) {  // about this channel alone: no relaying, no epoch
        from.flow.on_window(h.message_id);
        pump(from);
        return;
    }
    if (h.destination != 0 && h.destination != self_hash_) {
        // We relay only what its origin handed us itself, so a frame that
        // reaches its destination through us was written by its origin.
        if (!faults_.accept_any_origin && (h.origin != from.hash || h.hops_left != kDefaultHops))
            return refuse_forged(from, "asked us to relay");
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
    if (!direct && !faults_.accept_any_origin) {
        // A frame from a neighbour speaks for the neighbour, unless it says
        // it went through exactly one relay (the neighbour).
        if (h.hops_left != kRelayedHops) return refuse_forged(from, "sent");
        // Origins use a relay only to reach peers they have no link to. With
        // our own link to the origin up, a relayed copy is late or invented:
        // dropped quietly (if real, the origin sends it again).
        if (origin->usable) return;
    }
    // A relayed frame from an origin we share a key with must carry its
    // origin's tag (relay_auth.hpp), and any tag must be valid. While only
    // one side holds the key (the two learn it one after the other), frames
    // without a tag or with one we cannot check yet are dropped quietly: the
    // origin sends them again.
    const bool tagged = (h.flags & flag_relay_tag) != 0;
    if (tagged || (!direct && origin->relay_key)) {
        if (!tagged || !origin->relay_key) return;
        if (!strip_relay_tag(*origin->relay_key, frame)) return refuse_altered(from, *origin);
        origin->key_confirmed = true;
        h.flags &= static_cast<std::uint8_t>(~flag_relay_tag);
    }
    std::optional<std::vector<PeerHash>> reach;
    if (h.type == FrameType::link_state) {
        if (!direct) return;
        reach = decode_peer_list(frame, kHeaderSize);
        if (!reach) {
            out_.error(ErrorCode::malformed_frame, from.id, "malformed frame: bad link-state list");
            return;
        }
    }
    if (!learn_epoch(*origin, h.origin_epoch, direct, h.type == FrameType::link_state)) return;
    origin->last_heard = now_;  // alive, even if only a relay reaches it now
    switch (h.type) {
        case FrameType::data:
            if ((h.flags & flag_ack) != 0) {
                strip_ack_trailer(h, frame);
                // A neighbour acks on data only for itself.
                if (direct) handle_ack(*origin, lane_of(h.flags), h.ack_upto);
            }
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
        case FrameType::goodbye:
        case FrameType::link_proof:
            break;
    }
}

// No neighbour can speak for anyone else. A relay can speak for an origin it
// relays only where the two ends share no key (refuse_altered).
void Mesh::refuse_forged(Peer& from, const char* what) {
    out_.error(ErrorCode::forged_frame, from.id,
               std::string("peer '") + from.id + "' " + what + " a frame under another member's name; dropped");
}

// The peer's proof that this channel's two ends are it and us (relay_auth.hpp).
void Mesh::handle_link_proof(Peer& from, const FrameHeader& h, const Bytes& frame) {
    if (h.origin != from.hash) return refuse_forged(from, "sent");
    // Not for us (a proof is never relayed), or not asked for here: late, or
    // a key set on one side only.
    if (h.destination != self_hash_ || !from.relay_key || !from.link.awaiting_proof()) return;
    const LinkProof expected =
        link_proof(*from.relay_key, from.hash, self_hash_, from.link.remote_fingerprint(), from.link.local_fingerprint());
    if (link_proof_valid(expected, frame.data() + kHeaderSize, frame.size() - kHeaderSize)) {
        from.key_confirmed = true;
        with_link(from, [&] { from.link.prove(out_); });
        return;
    }
    const std::string why = "the new link to '" + from.id +
                            "' failed its proof of your shared key: someone sits in the middle of it (the DTLS "
                            "fingerprints the two ends see differ), or '" +
                            from.id + "' holds another key; closed, and tried again later";
    out_.error(ErrorCode::bad_link_proof, from.id, why);
    with_link(from, [&] { from.link.refuse_proof(out_, now_, rng_, "link proof failed"); });
}

void Mesh::refuse_altered(Peer& from, const Peer& origin) {
    out_.error(ErrorCode::forged_frame, from.id,
               "peer '" + from.id + "' relayed a frame from '" + origin.id +
                   "' that fails its end-to-end check (altered, or not written by '" + origin.id + "'); dropped");
}

void Mesh::forward(const FrameHeader& h, Bytes frame) {
    Peer* to = find_by_hash(h.destination);
    // Dropping is safe: the origin retransmits what is not acknowledged.
    if (!options_.relay || to == nullptr || !to->usable || h.hops_left <= 1) return;
    set_hops_left(frame, static_cast<std::uint8_t>(h.hops_left - 1));
    // Relayed acks are small and urgent: they ride with the system lane.
    const Lane lane = h.type == FrameType::data ? lane_of(h.flags) : system_lane;
    if (to->queue.push_relayed(lane, std::move(frame), options_.max_relay_queue_bytes)) pump(*to);
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
    origin.reset_inbound(epoch);
    if (restarted) {
        // Our link state on this channel went out addressed to its previous
        // instance, which the new one drops, and it takes none of our frames
        // here before one reaches it: say it again now, ahead of the re-sent
        // stream, rather than at the next advertisement (found with
        // session-sim seed 1046: a returning member heard nothing for 800 ms).
        if (direct) advertise_links();
        restart_send_stream(origin);
    }
    return true;
}

void Mesh::handle_data(Peer& from, Peer& origin, const FrameHeader& h, Bytes frame) {
    const Lane lane = lane_of(h.flags);
    Peer::Inbound& in = origin.in[lane];
    std::vector<Delivery> ready;
    std::string error;
    const auto outcome =
        in.stream.on_data(h, std::move(frame), from.link.channel(), now_, origin.budget, options_.reassembly, ready, error);
    if (!error.empty()) {
        const ErrorCode code = error.rfind("malformed", 0) == 0 ? ErrorCode::malformed_frame : ErrorCode::reassembly_limit;
        out_.error(code, origin.id, error);
    }
    if (outcome == ReceiveStream::Outcome::duplicate) in.acks.on_duplicate(now_);
    std::size_t delivered_bytes = 0;
    for (auto& d : ready) {
        delivered_bytes += d.data.size();
        Event e;
        e.kind = EventKind::message;
        e.peer = origin.id;
        e.data = std::move(d.data);
        e.is_text = (d.flags & flag_text) != 0;
        e.system = (d.flags & flag_system) != 0;
        if ((d.flags & flag_channel) != 0 && !take_channel_name(e)) {
            out_.error(ErrorCode::malformed_frame, origin.id,
                       "a named channel's message from " + origin.id + " without a valid name; dropped");
            continue;
        }
        out_.events.push_back(std::move(e));
    }
    if (ready.empty()) return;
    const AckSchedule::Policy policy{options_.ack_every_messages, options_.ack_every_bytes, options_.ack_delay_ms};
    if (in.acks.on_delivered(delivered_bytes, in.stream.delivered_upto(), now_, policy)) send_ack(origin, lane);
}

// A named channel's message starts with `[u8 length][name]` (flag_channel):
// the name goes to e.channel, the rest stays the message.
bool Mesh::take_channel_name(Event& e) {
    if (e.system || e.data.empty()) return false;
    const std::size_t length = e.data[0];
    if (length == 0 || length > kMaxChannelNameBytes || e.data.size() < 1 + length) return false;
    e.channel.assign(e.data.begin() + 1, e.data.begin() + 1 + static_cast<std::ptrdiff_t>(length));
    e.data.erase(e.data.begin(), e.data.begin() + 1 + static_cast<std::ptrdiff_t>(length));
    return true;
}

void Mesh::handle_ack(Peer& origin, Lane lane, std::uint32_t acked_upto) {
    origin.out[lane].acknowledge(acked_upto, now_);
}

}  // namespace rtcmesh::mesh

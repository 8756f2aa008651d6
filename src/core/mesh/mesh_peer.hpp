// Mesh's private state (its messages, send jobs and per-peer record), shared
// by mesh.cpp (signaling, receiving, time) and mesh_send.cpp (the send path).
// Internal: nothing outside the Mesh class includes it.
#pragma once

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/mesh/ack_schedule.hpp"
#include "core/mesh/channel_flow.hpp"
#include "core/mesh/mesh.hpp"
#include "core/mesh/relay_auth.hpp"

namespace rtcmesh::mesh {

struct Mesh::Peer {
    Peer(const std::string& self, const std::string& id, PeerHash hash, const Options& o)
        : id(id),
          hash(hash),
          link(self, id, o.timings, o.label, o.ice_servers_json),
          flow({o.high_water_bytes, o.window_bytes}) {}

    // One lane of the peer -> me stream.
    struct Inbound {
        ReceiveStream stream;
        AckSchedule acks;
    };

    std::string id;
    PeerHash hash;
    PeerLink link;
    std::optional<RelayKey> relay_key;  // shared with this peer (Mesh::set_relay_key)
    bool key_confirmed = false;         // the peer proved relay_key (Mesh::key_confirmed)
    std::uint32_t remote_epoch = 0;  // 0 = not heard from yet
    Handle epoch_channel = 0;        // channel on which remote_epoch was last confirmed

    // me -> peer stream, by Lane
    std::array<SendStream, kLanes> out;
    PeerHash route = 0;  // == hash: direct; other hash: relay; 0: none
    bool needs_routing = false;  // some unacked message waits for a route (via == 0)

    // peer -> me stream, by Lane
    std::array<Inbound, kLanes> in;
    ReassemblyBudget budget;  // what both lanes hold for reassembly

    // this neighbour's direct channel
    NeighbourQueue queue;            // what waits for the channel
    ChannelFlow flow;                // how much the channel may take now
    std::size_t max_frame = 0;       // reported max message size; 0 = unknown
    std::vector<PeerHash> reach;  // neighbours it advertises, sorted
    bool usable = false;
    bool channel_open = false;  // its link's channel, as with_link last saw it
    Millis last_heard = 0;  // a frame arrived on its channel, or from it through a relay
    Millis last_sent = 0;   // a frame was handed to the channel
    Millis last_link_state = 0;  // a link state was queued for it (Mesh::refresh_link_states)
    Millis up_since = 0;    // its link came up
    // Links to it taken down for silence, in a row (Mesh::silence_timeout):
    // each doubles the time it is given, up to 4x, until a link stays up.
    int silences = 0;
    bool above_low_threshold = false;  // queued past Options::buffered_low_threshold: a buffered_amount_low event is due

    void reset_inbound(std::uint32_t epoch) {
        for (auto& lane : in) {
            lane.stream.reset(epoch, budget);
            lane.acks.reset();
        }
    }
};

// Runs a change to a peer's link, then brings the mesh along when the link
// became usable or stopped being so (routes, link state, queued frames).
template <typename Fn>
void Mesh::with_link(Peer& peer, Fn&& fn) {
    fn();
    direct_.on_connection(peer.id, peer.link.pc(), out_);  // a new connection gets the direct channels
    media_.on_connection(peer.id, peer.link, out_);       // and the tracks
    // Silence counts from the channel's opening: wrtc may open it before the
    // connection says connected, which is when the link is usable.
    if (peer.link.channel_open() && !peer.channel_open) peer.last_heard = now_;
    peer.channel_open = peer.link.channel_open();
    const bool usable = peer.link.usable();
    if (usable == peer.usable) return;
    peer.usable = usable;
    if (usable) {
        on_link_up(peer);
    } else {
        on_link_down(peer);
    }
}

}  // namespace rtcmesh::mesh

// The mesh's exports for the JS shim and the public API.
//
// What happens per message (sends, received frames, buffered amounts, ticks)
// crosses on the one wire (session/host_wire.hpp): JS writes records into
// the inbox in the wasm heap and reads the output there, one call each way.
// The rarer calls (negotiation, peers) are one export each (abi.hpp). The
// core never throws; neither does this file.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "abi.hpp"
#include "core/mesh/mesh.hpp"
#include "core/session/host_wire.hpp"
#include "mesh_binding.hpp"

namespace rtcmesh::bindings {

std::uintptr_t JsMesh::reserve_inbox(double used, double capacity) {
    if (to_size(capacity) < inbox_.size() / 2) {  // a big message's inbox is given back when JS asks for less
        Bytes kept(inbox_.begin(), inbox_.begin() + std::min(inbox_.size(), to_size(used)));
        inbox_.swap(kept);
    }
    inbox_.resize(to_size(capacity));
    return address_of(inbox_);
}

std::uintptr_t JsMesh::exchange(double now, double used, bool drain) {
    session::exchange(*session_, now, inbox_.data(), std::min(inbox_.size(), to_size(used)), drain, output_);
    return address_of(output_);
}

namespace {

// JS gives a silence timeout; the Mesh derives its keep-alive from it.
mesh::Options options_from_records(const std::uint8_t* data, std::uint32_t size) {
    mesh::Options options;
    read_records(data, size, [&](const Record& r) {
        if (r.is("label") && r.is_text()) options.label = r.text();
        else if (r.is("id") && r.is_text()) options.id = r.text();
        else if (r.is("iceServersJson") && r.is_text()) options.ice_servers_json = r.text();
        else if (r.is("relay") && r.is_bool()) options.relay = r.truth();
        else if (r.is("serverPath")) options.server_path = r.truth();
        else if (r.is("membersProveKeys")) options.members_prove_keys = r.truth();
        else if (r.is("tcpCandidates") && r.tag == Tag::no) options.tcp_candidates = false;
        else if (r.is("peers")) options.peers = r.texts;
        else r.number_into("maxPeers", options.max_peers) || r.number_into("maxMessageBytes", options.max_message_bytes) ||
                 r.number_into("chunkBytes", options.chunk_bytes) ||
                 r.number_into("maxQueuedBytesPerPeer", options.max_queued_bytes_per_peer) ||
                 r.number_into("highWaterBytes", options.high_water_bytes) ||
                 r.number_into("lowWaterBytes", options.low_water_bytes) ||
                 r.number_into("disconnectGraceMs", options.timings.disconnect_grace_ms) ||
                 r.number_into("connectTimeoutMs", options.timings.connect_timeout_ms) ||
                 r.number_into("silenceTimeoutMs", options.silence_timeout_ms) ||
                 r.number_into("maxReconnectAttempts", options.timings.max_reconnect_attempts);
    });
    return options;
}

std::uintptr_t reply(JsMesh* m, const mesh::Status& status) {
    return status_reply(status.ok(), status.code, status.message, m->reply);
}

// Track numbers are the JS side's small counters; anything else is refused by the core as track 0.
std::uint32_t track_number(double track) { return track >= 1 && track <= 4294967295.0 ? static_cast<std::uint32_t>(track) : 0u; }

}  // namespace
}  // namespace rtcmesh::bindings

using rtcmesh::bindings::JsMesh;
using rtcmesh::bindings::reply;
using rtcmesh::bindings::text_arg;
using Text = const char*;
using Size = std::uint32_t;

extern "C" {
EMSCRIPTEN_KEEPALIVE JsMesh* rtcmesh_mesh_new(double seed, const std::uint8_t* options, Size size) {
    return new JsMesh(rtcmesh::bindings::options_from_records(options, size), static_cast<std::uint64_t>(seed));
}
EMSCRIPTEN_KEEPALIVE void rtcmesh_mesh_delete(JsMesh* m) { delete m; }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_init_status(JsMesh* m) { return reply(m, m->mesh().init_status()); }

// The wire's two calls: several run per message.
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_exchange(JsMesh* m, double now, double used, int drain) {
    return m->exchange(now, used, drain != 0);
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_reserve_inbox(JsMesh* m, double used, double capacity) {
    return m->reserve_inbox(used, capacity);
}

EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_create_offer(JsMesh* m, Text peer, Size n) {
    return reply(m, m->mesh().create_offer(text_arg(peer, n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_create_answer(JsMesh* m, Text peer, Size n, Text sdp, Size sdp_n) {
    return reply(m, m->mesh().create_answer(text_arg(peer, n), text_arg(sdp, sdp_n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_add_answer(JsMesh* m, Text peer, Size n, Text sdp, Size sdp_n) {
    return reply(m, m->mesh().add_answer(text_arg(peer, n), text_arg(sdp, sdp_n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_add_ice_candidate(JsMesh* m, Text peer, Size n, Text candidate, Size candidate_n) {
    return reply(m, m->mesh().add_ice_candidate(text_arg(peer, n), text_arg(candidate, candidate_n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_close_peer(JsMesh* m, Text peer, Size n) {
    return reply(m, m->mesh().close_peer(text_arg(peer, n)));
}
// Through the session: Raft's members follow the mesh's peers.
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_add_peer(JsMesh* m, Text peer, Size n) {
    return reply(m, m->run().add_peer(text_arg(peer, n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_remove_peer(JsMesh* m, Text peer, Size n) {
    return reply(m, m->run().remove_peer(text_arg(peer, n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_set_relay_key(JsMesh* m, Text peer, Size n, const std::uint8_t* key, Size key_n) {
    return reply(m, m->run().set_relay_key(text_arg(peer, n), key, key_n));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_set_metadata(JsMesh* m, Text json, Size n) {
    return reply(m, m->run().set_metadata(text_arg(json, n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_add_track(JsMesh* m, double track, Text peer, Size n) {
    return reply(m, m->mesh().add_track(rtcmesh::bindings::track_number(track), text_arg(peer, n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_remove_track(JsMesh* m, double track) {
    return reply(m, m->mesh().remove_track(rtcmesh::bindings::track_number(track)));
}

EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_mesh_ready_state(JsMesh* m, Text peer, Size n) {
    return rtcmesh::bindings::text_reply(m->mesh().ready_state(text_arg(peer, n)), m->reply);
}
EMSCRIPTEN_KEEPALIVE double rtcmesh_mesh_user_channel(JsMesh* m, Text peer, Size n) { return m->mesh().user_channel(text_arg(peer, n)); }
EMSCRIPTEN_KEEPALIVE int rtcmesh_mesh_relayed(JsMesh* m, Text peer, Size n) { return m->mesh().relayed(text_arg(peer, n)) ? 1 : 0; }
EMSCRIPTEN_KEEPALIVE double rtcmesh_mesh_queued_bytes(JsMesh* m, Text peer, Size n) {
    return static_cast<double>(m->mesh().queued_bytes(text_arg(peer, n)));
}
EMSCRIPTEN_KEEPALIVE void rtcmesh_mesh_set_buffered_low_threshold(JsMesh* m, double bytes) {
    m->mesh().set_buffered_low_threshold(rtcmesh::bindings::to_size(bytes));
}
EMSCRIPTEN_KEEPALIVE void rtcmesh_mesh_close(JsMesh* m) { m->mesh().close(); }
EMSCRIPTEN_KEEPALIVE void rtcmesh_mesh_network_changed(JsMesh* m) { m->mesh().on_network_change(); }
}

// embind face of rtcmesh::mesh::Mesh for the JS shim and the public API.
//
// What happens per message (sends, received frames, buffered amounts, ticks)
// crosses on the one wire (session/host_wire.hpp): JS writes records into
// the inbox in the wasm heap and reads the output there, one call each way.
// The rarer calls (negotiation, peers) take and return plain JS values;
// statuses are `null` (ok) or `{code, message}`. The core never throws;
// neither does this file.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/session/host_wire.hpp"
#include "core/mesh/mesh.hpp"
#include "mesh_binding.hpp"
#include "js_values.hpp"

namespace rtcmesh::bindings {
namespace {

namespace mesh = rtcmesh::mesh;

val status_to_js(const mesh::Status& status) {
    if (status.ok()) return val::null();
    val error = val::object();
    error.set("code", std::string(mesh::to_string(status.code)));
    error.set("message", status.message);
    return error;
}

mesh::Options options_from_js(const val& js) {
    mesh::Options options;
    if (js["label"].isString()) options.label = js["label"].as<std::string>();
    if (js["id"].isString()) options.id = js["id"].as<std::string>();
    if (js["iceServersJson"].isString()) options.ice_servers_json = js["iceServersJson"].as<std::string>();
    if (js["relay"].isTrue() || js["relay"].isFalse()) options.relay = js["relay"].as<bool>();
    options.server_path = js["serverPath"].isTrue();
    options.members_prove_keys = js["membersProveKeys"].isTrue();
    if (js["tcpCandidates"].isFalse()) options.tcp_candidates = false;
    options.peers = strings_from_js(js["peers"]);
    read_number(js, "maxPeers", options.max_peers);
    read_number(js, "maxMessageBytes", options.max_message_bytes);
    read_number(js, "chunkBytes", options.chunk_bytes);
    read_number(js, "maxQueuedBytesPerPeer", options.max_queued_bytes_per_peer);
    read_number(js, "highWaterBytes", options.high_water_bytes);
    read_number(js, "lowWaterBytes", options.low_water_bytes);
    read_number(js, "disconnectGraceMs", options.timings.disconnect_grace_ms);
    read_number(js, "connectTimeoutMs", options.timings.connect_timeout_ms);
    read_number(js, "silenceTimeoutMs", options.silence_timeout_ms);
    read_number(js, "keepaliveIntervalMs", options.keepalive_interval_ms);
    read_number(js, "maxReconnectAttempts", options.timings.max_reconnect_attempts);
    return options;
}

}  // namespace

JsMesh::JsMesh(const val& options, double seed)
    : session_(std::make_shared<session::Session>(options_from_js(options), static_cast<std::uint64_t>(seed))),
      mesh_(&session_->mesh()) {}

val JsMesh::init_status() const { return status_to_js(mesh_->init_status()); }
val JsMesh::create_offer(const std::string& peer) { return status_to_js(mesh_->create_offer(peer)); }
val JsMesh::create_answer(const std::string& peer, const std::string& sdp) {
    return status_to_js(mesh_->create_answer(peer, sdp));
}
val JsMesh::add_answer(const std::string& peer, const std::string& sdp) {
    return status_to_js(mesh_->add_answer(peer, sdp));
}
val JsMesh::add_ice_candidate(const std::string& peer, const std::string& candidate) {
    return status_to_js(mesh_->add_ice_candidate(peer, candidate));
}
val JsMesh::close_peer(const std::string& peer) { return status_to_js(mesh_->close_peer(peer)); }
// Through the session: Raft's members follow the mesh's peers.
val JsMesh::add_peer(const std::string& peer) { return status_to_js(session_->add_peer(peer)); }
// `key` arrives as a Uint8Array's bytes (embind copies it into the string).
val JsMesh::set_relay_key(const std::string& peer, const std::string& key) {
    return status_to_js(session_->set_relay_key(peer, reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
}
val JsMesh::remove_peer(const std::string& peer) { return status_to_js(session_->remove_peer(peer)); }
std::string JsMesh::ready_state(const std::string& peer) const { return mesh_->ready_state(peer); }
double JsMesh::user_channel(const std::string& peer) const { return mesh_->user_channel(peer); }
bool JsMesh::relayed(const std::string& peer) const { return mesh_->relayed(peer); }
double JsMesh::queued_bytes(const std::string& peer) const { return static_cast<double>(mesh_->queued_bytes(peer)); }
void JsMesh::set_buffered_low_threshold(double bytes) { mesh_->set_buffered_low_threshold(to_size(bytes)); }
void JsMesh::close() { mesh_->close(); }
void JsMesh::network_changed() { mesh_->on_network_change(); }
val JsMesh::set_metadata(const std::string& json) { return status_to_js(session_->set_metadata(json)); }

// Track numbers are the JS side's small counters; anything else is refused by the core as track 0.
val JsMesh::add_track(double track, const std::string& peer) {
    const auto number = track >= 1 && track <= 4294967295.0 ? static_cast<std::uint32_t>(track) : 0u;
    return status_to_js(session_->mesh().add_track(number, peer));
}

val JsMesh::remove_track(double track) {
    const auto number = track >= 1 && track <= 4294967295.0 ? static_cast<std::uint32_t>(track) : 0u;
    return status_to_js(session_->mesh().remove_track(number));
}

double JsMesh::reserve_inbox(double used, double capacity) {
    if (to_size(capacity) < inbox_.size() / 2) {  // a big message's inbox is given back when JS asks for less
        Bytes kept(inbox_.begin(), inbox_.begin() + std::min(inbox_.size(), to_size(used)));
        inbox_.swap(kept);
    }
    inbox_.resize(to_size(capacity));
    return static_cast<double>(reinterpret_cast<std::uintptr_t>(inbox_.data()));
}

double JsMesh::exchange(double now, double used, bool drain) {
    session::exchange(*session_, now, inbox_.data(), std::min(inbox_.size(), to_size(used)), drain, output_);
    return static_cast<double>(reinterpret_cast<std::uintptr_t>(output_.data()));
}

namespace {

// The names of the packed kinds, from the core's own tables: JS reads them
// once, so there is one list of names.
val kind_names() {
    auto list = [](int count, auto name_of) {
        val names = val::array();
        for (int i = 0; i < count; ++i) names.call<void>("push", std::string(name_of(i)));
        return names;
    };
    val names = val::object();
    names.set("commands", list(mesh::kCommandKindCount, [](int i) { return mesh::to_string(static_cast<mesh::CommandKind>(i)); }));
    names.set("events", list(mesh::kEventKindCount, [](int i) { return mesh::to_string(static_cast<mesh::EventKind>(i)); }));
    names.set("errors", list(mesh::kErrorCodeCount, [](int i) { return mesh::to_string(static_cast<mesh::ErrorCode>(i)); }));
    return names;
}

}  // namespace
}  // namespace rtcmesh::bindings

// The wire's two calls as plain wasm exports: several run per message, and
// embind's invoker (generic without eval, see DYNAMIC_EXECUTION) costs more
// than the work. `mesh` is JsMesh::address().
extern "C" {
EMSCRIPTEN_KEEPALIVE double rtcmesh_mesh_exchange(rtcmesh::bindings::JsMesh* mesh, double now, double used, int drain) {
    return mesh->exchange(now, used, drain != 0);
}
EMSCRIPTEN_KEEPALIVE double rtcmesh_mesh_reserve_inbox(rtcmesh::bindings::JsMesh* mesh, double used, double capacity) {
    return mesh->reserve_inbox(used, capacity);
}
}

EMSCRIPTEN_BINDINGS(rtcmesh_mesh) {
    using rtcmesh::bindings::JsMesh;
    emscripten::class_<JsMesh>("Mesh")
        .constructor<const emscripten::val&, double>()
        .function("initStatus", &JsMesh::init_status)
        .function("createOffer", &JsMesh::create_offer)
        .function("createAnswer", &JsMesh::create_answer)
        .function("addAnswer", &JsMesh::add_answer)
        .function("addIceCandidate", &JsMesh::add_ice_candidate)
        .function("closePeer", &JsMesh::close_peer)
        .function("addPeer", &JsMesh::add_peer)
        .function("setRelayKey", &JsMesh::set_relay_key)
        .function("removePeer", &JsMesh::remove_peer)
        .function("readyState", &JsMesh::ready_state)
        .function("userChannel", &JsMesh::user_channel)
        .function("relayed", &JsMesh::relayed)
        .function("queuedBytes", &JsMesh::queued_bytes)
        .function("setBufferedLowThreshold", &JsMesh::set_buffered_low_threshold)
        .function("close", &JsMesh::close)
        .function("networkChanged", &JsMesh::network_changed)
        .function("setMetadata", &JsMesh::set_metadata)
        .function("addTrack", &JsMesh::add_track)
        .function("removeTrack", &JsMesh::remove_track)
        .function("address", &JsMesh::address);
    emscripten::function("meshKindNames", &rtcmesh::bindings::kind_names);
}

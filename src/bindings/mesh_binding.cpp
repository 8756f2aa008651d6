// embind face of rtcmesh::mesh::Mesh for the JS shim and the public API.
//
// Shapes crossing the boundary are plain JS values: commands and events are
// arrays of objects with string kinds, statuses are `null` (ok) or
// `{code, message}`. The core never throws; neither does this file.
//
// Bytes, both ways, go through the wasm heap without element-wise copies:
//  * out (command `bytes`): a Uint8Array *view* of the command kept in
//    `commands_`. It is valid until the next call into this object, which is
//    enough because the shim hands it to RTCDataChannel.send (which copies)
//    right away.
//  * in (received frames, app payloads): JS asks for a staging view of the
//    right size, fills it, then names the call that consumes it.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/mesh/batch_codec.hpp"
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
    options.peers = strings_from_js(js["peers"]);
    read_number(js, "maxPeers", options.max_peers);
    read_number(js, "maxMessageBytes", options.max_message_bytes);
    read_number(js, "chunkBytes", options.chunk_bytes);
    read_number(js, "maxQueuedBytesPerPeer", options.max_queued_bytes_per_peer);
    read_number(js, "highWaterBytes", options.high_water_bytes);
    read_number(js, "lowWaterBytes", options.low_water_bytes);
    read_number(js, "disconnectGraceMs", options.timings.disconnect_grace_ms);
    read_number(js, "connectTimeoutMs", options.timings.connect_timeout_ms);
    read_number(js, "maxReconnectAttempts", options.timings.max_reconnect_attempts);
    return options;
}

mesh::ConnectionState connection_state_from_js(const std::string& state) {
    if (state == "new") return mesh::ConnectionState::new_;
    if (state == "connecting" || state == "checking") return mesh::ConnectionState::connecting;
    if (state == "connected" || state == "completed") return mesh::ConnectionState::connected;
    if (state == "disconnected") return mesh::ConnectionState::disconnected;
    if (state == "failed") return mesh::ConnectionState::failed;
    return mesh::ConnectionState::closed;
}

mesh::CommandKind command_kind_from_js(const std::string& kind) {
    for (auto k : {mesh::CommandKind::create_peer_connection, mesh::CommandKind::create_data_channel,
                   mesh::CommandKind::set_local_description, mesh::CommandKind::set_remote_description,
                   mesh::CommandKind::add_ice_candidate, mesh::CommandKind::send,
                   mesh::CommandKind::set_buffered_amount_low_threshold, mesh::CommandKind::close_channel,
                   mesh::CommandKind::close_peer_connection}) {
        if (kind == mesh::to_string(k)) return k;
    }
    return mesh::CommandKind::send;
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
val JsMesh::remove_peer(const std::string& peer) { return status_to_js(session_->remove_peer(peer)); }
std::string JsMesh::ready_state(const std::string& peer) const { return mesh_->ready_state(peer); }
double JsMesh::user_channel(const std::string& peer) const { return mesh_->user_channel(peer); }
bool JsMesh::relayed(const std::string& peer) const { return mesh_->relayed(peer); }
double JsMesh::queued_bytes(const std::string& peer) const { return static_cast<double>(mesh_->queued_bytes(peer)); }
void JsMesh::close() { mesh_->close(); }
void JsMesh::update(double now) { session_->update(static_cast<Millis>(now)); }

val JsMesh::staging(double size) {
    staging_.assign(to_size(size), 0);
    return bytes_view(staging_);
}

val JsMesh::send_staged(const std::string& peer, bool is_text, bool system) {
    return status_to_js(mesh_->send(peer, std::exchange(staging_, {}), is_text, system));
}

val JsMesh::broadcast_staged(bool is_text, bool system) {
    return status_to_js(mesh_->broadcast(std::exchange(staging_, {}), is_text, system));
}

void JsMesh::on_local_description(double pc, const std::string& type, const std::string& sdp) {
    mesh_->on_local_description(static_cast<mesh::Handle>(pc), type == "offer" ? mesh::SdpType::offer : mesh::SdpType::answer,
                                sdp);
}
void JsMesh::on_remote_description_set(double pc) { mesh_->on_remote_description_set(static_cast<mesh::Handle>(pc)); }
void JsMesh::on_local_candidate(double pc, const std::string& candidate) {
    mesh_->on_local_candidate(static_cast<mesh::Handle>(pc), candidate);
}
void JsMesh::on_connection_state(double pc, const std::string& state) {
    mesh_->on_connection_state(static_cast<mesh::Handle>(pc), connection_state_from_js(state));
}
void JsMesh::on_channel_open(double channel) { mesh_->on_channel_open(static_cast<mesh::Handle>(channel)); }
void JsMesh::on_channel_closed(double channel) { mesh_->on_channel_closed(static_cast<mesh::Handle>(channel)); }
void JsMesh::on_channel_message_staged(double channel) {
    mesh_->on_channel_message(static_cast<mesh::Handle>(channel), std::exchange(staging_, {}));
}
void JsMesh::on_buffered_amount(double channel, double amount) {
    mesh_->on_buffered_amount(static_cast<mesh::Handle>(channel), to_size(amount));
}
void JsMesh::on_operation_failed(double pc, const std::string& kind, const std::string& error) {
    mesh_->on_operation_failed(static_cast<mesh::Handle>(pc), command_kind_from_js(kind), error);
}
void JsMesh::on_max_message_size(double pc, double bytes) {
    mesh_->on_max_message_size(static_cast<mesh::Handle>(pc), to_size(bytes));
}

// Every pending command and event in one packed buffer (batch_codec.hpp); the
// view is valid until the next call into this object.
val JsMesh::take_batch() {
    batch_.clear();
    // Raft's system frames are stepped into its node on the way (session.hpp).
    auto commands = session_->take_commands();
    auto events = session_->take_events();
    mesh::pack_batch(commands, events, session_->next_wakeup(), batch_);
    return bytes_view(batch_);
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
        .function("removePeer", &JsMesh::remove_peer)
        .function("readyState", &JsMesh::ready_state)
        .function("userChannel", &JsMesh::user_channel)
        .function("relayed", &JsMesh::relayed)
        .function("queuedBytes", &JsMesh::queued_bytes)
        .function("close", &JsMesh::close)
        .function("update", &JsMesh::update)
        .function("staging", &JsMesh::staging)
        .function("sendStaged", &JsMesh::send_staged)
        .function("broadcastStaged", &JsMesh::broadcast_staged)
        .function("onLocalDescription", &JsMesh::on_local_description)
        .function("onRemoteDescriptionSet", &JsMesh::on_remote_description_set)
        .function("onLocalCandidate", &JsMesh::on_local_candidate)
        .function("onConnectionState", &JsMesh::on_connection_state)
        .function("onChannelOpen", &JsMesh::on_channel_open)
        .function("onChannelClosed", &JsMesh::on_channel_closed)
        .function("onChannelMessageStaged", &JsMesh::on_channel_message_staged)
        .function("onBufferedAmount", &JsMesh::on_buffered_amount)
        .function("onOperationFailed", &JsMesh::on_operation_failed)
        .function("onMaxMessageSize", &JsMesh::on_max_message_size)
        .function("takeBatch", &JsMesh::take_batch);
    emscripten::function("meshKindNames", &rtcmesh::bindings::kind_names);
}

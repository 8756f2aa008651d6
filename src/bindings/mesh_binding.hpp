// The JS face of a mesh (embind class "Mesh"), declared here because a Raft
// over the mesh (raft_binding.cpp) runs in the same session::Session.
#pragma once

#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/common/bytes.hpp"
#include "core/mesh/mesh.hpp"
#include "core/session/session.hpp"

namespace rtcmesh::bindings {

// The JS-facing wrapper; method names match the JS shim's vocabulary.
class JsMesh {
public:
    JsMesh(const emscripten::val& options, double seed);
    // The session the mesh lives in: a Raft over this mesh runs inside it.
    const std::shared_ptr<session::Session>& session() const { return session_; }

    emscripten::val init_status() const;
    emscripten::val create_offer(const std::string& peer);
    emscripten::val create_answer(const std::string& peer, const std::string& sdp);
    emscripten::val add_answer(const std::string& peer, const std::string& sdp);
    emscripten::val add_ice_candidate(const std::string& peer, const std::string& candidate);
    emscripten::val close_peer(const std::string& peer);
    emscripten::val add_peer(const std::string& peer);
    emscripten::val set_relay_key(const std::string& peer, const std::string& key);
    emscripten::val remove_peer(const std::string& peer);
    std::string ready_state(const std::string& peer) const;
    double user_channel(const std::string& peer) const;
    bool relayed(const std::string& peer) const;
    double queued_bytes(const std::string& peer) const;
    void set_buffered_low_threshold(double bytes);
    void close();
    void network_changed();
    emscripten::val set_metadata(const std::string& json);
    emscripten::val add_track(double track, const std::string& peer);
    emscripten::val remove_track(double track);

    // The one wire (session/host_wire.hpp). JS writes its input records into
    // the inbox at the address reserve_inbox returns (keeping the first
    // `used` bytes), then exchange(used) applies them and returns the address
    // of the output, valid until the next call into this object.
    double reserve_inbox(double used, double capacity);
    double exchange(double now, double used, bool drain);
    // This object's address, for the plain exports below (the hot path skips
    // embind's generic invoker).
    double address() const { return static_cast<double>(reinterpret_cast<std::uintptr_t>(this)); }

private:
    std::shared_ptr<session::Session> session_;  // shared with a Raft over this mesh
    mesh::Mesh* mesh_;                           // session_'s
    Bytes inbox_;   // the host's input records, written by JS
    Bytes output_;  // the last exchange's output, read by JS
};

}  // namespace rtcmesh::bindings

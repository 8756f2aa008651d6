// The JS face of a mesh, declared here because a Raft over the mesh
// (raft_binding.cpp) runs in the same session::Session.
#pragma once

#include <cstdint>
#include <memory>

#include "core/common/bytes.hpp"
#include "core/mesh/mesh.hpp"
#include "core/session/session.hpp"

namespace rtcmesh::bindings {

// A session with a mesh, plus the buffers its exports share with JS.
class JsMesh {
public:
    JsMesh(mesh::Options options, std::uint64_t seed)
        : session_(std::make_shared<session::Session>(std::move(options), seed)) {}
    // The session the mesh lives in: a Raft over this mesh runs inside it.
    const std::shared_ptr<session::Session>& session() const { return session_; }
    session::Session& run() { return *session_; }
    mesh::Mesh& mesh() { return session_->mesh(); }

    // The one wire (session/host_wire.hpp). JS writes its input records into
    // the inbox at the address reserve_inbox returns (keeping the first
    // `used` bytes), then exchange(used) applies them and returns the address
    // of the output, valid until the next call into this object.
    std::uintptr_t reserve_inbox(double used, double capacity);
    std::uintptr_t exchange(double now, double used, bool drain);

    // The last status or text handed to JS (abi.hpp), until the next call.
    Bytes reply;

private:
    std::shared_ptr<session::Session> session_;  // shared with a Raft over this mesh
    Bytes inbox_;   // the host's input records, written by JS
    Bytes output_;  // the last exchange's output, read by JS
};

}  // namespace rtcmesh::bindings

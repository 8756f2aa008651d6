// TEST-ONLY ways to turn a protection of the mesh off, so that the attack
// tests show they bite. They are not part of Options: a host that configures
// a mesh cannot reach them, and the bindings never pass them; only code that
// constructs the Mesh (or its Session) itself can. Never set outside tests.
#pragma once

namespace rtcmesh::mesh {

struct TestFaults {
    bool accept_any_origin = false;  // believe every frame's origin field
    unsigned id_hash_bits = 64;      // fewer: id hashes that collide are easy to find
};

}  // namespace rtcmesh::mesh

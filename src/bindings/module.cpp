// The module's own exports: the only C++, with the other binding files, that
// knows about Emscripten. The core under src/core stays pure.
#include <emscripten/emscripten.h>
#include <malloc.h>

#include <cstdint>
#include <cstdlib>

#include "core/common/rng.hpp"
#include "core/common/version.hpp"
#include "core/mesh/events.hpp"
#include "core/mesh/webrtc_port.hpp"
#include "core/raft/types.hpp"

namespace {

// The tables of names JS reads once (rtcmesh_name), so each list of names
// lives in the core alone.
enum NameTable { kCommands = 0, kEvents = 1, kMeshErrors = 2, kRaftErrors = 3 };

const char* name_in(int table, int index) {
    namespace mesh = rtcmesh::mesh;
    namespace raft = rtcmesh::raft;
    if (index < 0) return nullptr;
    switch (table) {
        case kCommands: return index < mesh::kCommandKindCount ? mesh::to_string(static_cast<mesh::CommandKind>(index)) : nullptr;
        case kEvents: return index < mesh::kEventKindCount ? mesh::to_string(static_cast<mesh::EventKind>(index)) : nullptr;
        case kMeshErrors: return index < mesh::kErrorCodeCount ? mesh::to_string(static_cast<mesh::ErrorCode>(index)) : nullptr;
        case kRaftErrors: return index < raft::kErrorCodeCount ? raft::to_string(static_cast<raft::ErrorCode>(index)) : nullptr;
        default: return nullptr;
    }
}

}  // namespace

extern "C" {
EMSCRIPTEN_KEEPALIVE const char* rtcmesh_version() { return rtcmesh::version(); }
// Name `index` of table `table` (NameTable), or 0 past its end.
EMSCRIPTEN_KEEPALIVE const char* rtcmesh_name(int table, int index) { return name_in(table, index); }

// Heap figures for leak tests and the memory benchmark: the wasm memory's
// size and the bytes malloc has handed out and not taken back.
EMSCRIPTEN_KEEPALIVE double rtcmesh_heap_bytes() { return static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0; }
EMSCRIPTEN_KEEPALIVE double rtcmesh_heap_used() { return static_cast<double>(mallinfo().uordblks); }

// Where JS writes a call's text and records before the call (core-abi.js).
EMSCRIPTEN_KEEPALIVE void* rtcmesh_alloc(std::uint32_t size) { return std::malloc(size ? size : 1); }
EMSCRIPTEN_KEEPALIVE void rtcmesh_free(void* memory) { std::free(memory); }

// The seeded generator the core draws from. JS numbers cannot carry 64 bits
// exactly, so JS gets 32-bit draws; seeds above 2^53 are not expressible
// from JS anyway.
EMSCRIPTEN_KEEPALIVE rtcmesh::Rng* rtcmesh_rng_new(double seed) { return new rtcmesh::Rng(static_cast<std::uint64_t>(seed)); }
EMSCRIPTEN_KEEPALIVE void rtcmesh_rng_delete(rtcmesh::Rng* rng) { delete rng; }
EMSCRIPTEN_KEEPALIVE double rtcmesh_rng_next_u32(rtcmesh::Rng* rng) { return static_cast<double>(rng->next() >> 32); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_rng_between(rtcmesh::Rng* rng, double low, double high) {
    return static_cast<double>(rng->between(static_cast<std::uint64_t>(low), static_cast<std::uint64_t>(high)));
}
}

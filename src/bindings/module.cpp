// embind bindings: the only C++ that knows about Emscripten.
// The core under src/core stays pure; this file maps it onto JS types.
#include <emscripten/bind.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <string>

#include "core/common/rng.hpp"
#include "core/common/version.hpp"

namespace {

std::string core_version() { return rtcmesh::version(); }

// JS numbers cannot carry 64 bits exactly, so the binding hands out 32-bit
// draws; seeds above 2^53 are not expressible from JS anyway.
class JsRng {
public:
    explicit JsRng(double seed) : rng_(static_cast<std::uint64_t>(seed)) {}
    double next_u32() { return static_cast<double>(rng_.next() >> 32); }
    double between(double low, double high) {
        return static_cast<double>(rng_.between(static_cast<std::uint64_t>(low), static_cast<std::uint64_t>(high)));
    }

private:
    rtcmesh::Rng rng_;
};

// Heap figures for leak tests and the memory benchmark: the wasm memory's size
// and the bytes malloc has handed out and not taken back.
emscripten::val heap_stats() {
    const struct mallinfo info = mallinfo();
    emscripten::val stats = emscripten::val::object();
    stats.set("heapBytes", static_cast<double>(__builtin_wasm_memory_size(0)) * 65536.0);
    stats.set("usedBytes", static_cast<double>(info.uordblks));
    return stats;
}

}  // namespace

EMSCRIPTEN_BINDINGS(rtcmesh_core) {
    emscripten::function("version", &core_version);
    emscripten::function("heapStats", &heap_stats);
    emscripten::class_<JsRng>("Rng")
        .constructor<double>()
        .function("nextU32", &JsRng::next_u32)
        .function("between", &JsRng::between);
}

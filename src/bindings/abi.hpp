// What the plain wasm exports share: arguments as JS passes them and the
// replies it reads back (js/api/core-abi.js is the other side).
//
// Every call is a plain export: numbers cross as numbers, text and bytes as
// (address, length) in the wasm heap, and anything richer as records
// (records.hpp). embind is not used: its runtime was a third of the JS glue
// and its generic invoker cost more per call than most calls' work.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/bytes.hpp"
#include "records.hpp"

namespace rtcmesh::bindings {

// A byte count from JS: NaN, infinities and negatives become 0.
inline std::size_t to_size(double value) {
    if (!std::isfinite(value) || value < 0) return 0;
    return static_cast<std::size_t>(value);
}

// Text JS wrote into the heap: (address, length in bytes).
inline std::string text_arg(const char* data, std::uint32_t size) { return size ? std::string(data, size) : std::string(); }

// What an export hands back to JS for a buffer: its address in the heap.
inline std::uintptr_t address_of(const Bytes& bytes) { return reinterpret_cast<std::uintptr_t>(bytes.data()); }

// A status as JS reads it: 0 when ok, else the address of {code, message}
// records, kept in `reply` until the next call on the same object.
template <class Code>
std::uintptr_t status_reply(bool ok, Code code, const std::string& message, Bytes& reply) {
    if (ok) return 0;
    reply = RecordWriter().text("code", to_string(code)).text("message", message).finish();
    return address_of(reply);
}

// One text as a reply: {value}.
inline std::uintptr_t text_reply(std::string_view value, Bytes& reply) {
    reply = RecordWriter().text("value", value).finish();
    return address_of(reply);
}

}  // namespace rtcmesh::bindings

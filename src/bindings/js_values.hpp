// Conversions between JS values and the core's types, shared by the bindings.
#pragma once

#include <emscripten/val.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::bindings {

using emscripten::val;

// A byte count from JS: NaN, infinities and negatives become 0.
inline std::size_t to_size(double value) {
    if (!std::isfinite(value) || value < 0) return 0;
    return static_cast<std::size_t>(value);
}

inline bool is_object(const val& value) { return !value.isNull() && value.typeOf().as<std::string>() == "object"; }

// Reads one optional numeric option; the JS API has validated the types.
template <typename T>
void read_number(const val& options, const char* name, T& field) {
    const val value = options[name];
    if (value.isNumber()) field = static_cast<T>(value.as<double>());
}

// A Uint8Array over the wasm heap: valid until the next call into the module.
inline val bytes_view(const Bytes& bytes) { return val(emscripten::typed_memory_view(bytes.size(), bytes.data())); }

// A copy the application may keep: new Uint8Array(view) copies the bytes.
inline val bytes_copy(const Bytes& bytes) { return val::global("Uint8Array").new_(bytes_view(bytes)); }

inline std::vector<std::string> strings_from_js(const val& list) {
    std::vector<std::string> out;
    if (!list.isArray()) return out;
    const auto count = list["length"].as<unsigned>();
    for (unsigned i = 0; i < count; ++i)
        if (list[i].isString()) out.push_back(list[i].as<std::string>());
    return out;
}

inline val strings_to_js(const std::vector<std::string>& list) {
    val out = val::array();
    for (const auto& item : list) out.call<void>("push", item);
    return out;
}

}  // namespace rtcmesh::bindings

// Byte buffers and time shared by the cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rtcmesh {

using Bytes = std::vector<std::uint8_t>;

// Milliseconds on the host's clock. The core only compares and subtracts
// them, so any monotonic origin works (performance.now(), virtual time).
using Millis = std::int64_t;

inline Bytes to_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }
inline std::string to_string(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace rtcmesh

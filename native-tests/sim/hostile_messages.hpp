// Messages no correct peer sends: numbers past the wire's range, indexes that
// wrap, empty addresses, torn bytes. The simulator feeds them to live nodes,
// which must refuse each one and stay exactly as they were.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/bytes.hpp"

namespace rtcmesh::sim {

inline constexpr std::uint64_t kHostileVariants = 8;

// Variant `variant % kHostileVariants` of a hostile message from `from` to `to`.
Bytes hostile_message(std::uint64_t variant, const std::string& from, const std::string& to, std::uint64_t term);

}  // namespace rtcmesh::sim

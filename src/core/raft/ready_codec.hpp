// A Ready packed into one byte buffer, for hosts across a boundary (the JS
// host reads it with one DataView instead of one object per field).
//
// Little-endian. num = f64 (terms, indexes and ids stay below 2^53, so they
// are exact); len = u32; str = len + UTF-8; bytes = len + raw.
//   u8 version (1)
//   u8 flags: 1 = hard state follows, 2 = the Ready has a snapshot (taken apart)
//   [hard state: num term, num commit, str vote]
//   len n, n × entry      entries to persist (none for a host that keeps no log)
//   len n, n × message    str to, bytes
//   len n, n × entry      committed entries to apply
//   len n, n × event      u8 kind (EventCode) and its fields, below
// entry = num index, num term, u8 type (0 normal, 1 no-op, 2 config), bytes data
#pragma once

#include <cstdint>

#include "core/common/bytes.hpp"
#include "core/raft/node.hpp"

namespace rtcmesh::raft {

inline constexpr std::uint8_t kReadyCodecVersion = 1;

// Event kinds on the packed wire, and the fields after each.
enum class EventCode : std::uint8_t {
    role = 1,           // u8 role (0 follower, 1 pre-candidate, 2 candidate, 3 leader)
    term = 2,           // num term
    leader = 3,         // str leader ("" = none known)
    commit = 4,         // num index
    join = 5,           // str address, u8 voter
    leave = 6,          // str address
    read_ready = 7,     // num id, num index
    read_failed = 8,    // num id, str reason, str code
    submitted = 9,      // num id, num index, num term
    submit_failed = 10, // num id, str reason, str code
    snapshot = 11,      // num index
    closing = 12,
    closed = 13,
    error = 14,         // str message, str code (ErrorCode's name)
};

// Appends `ready` (less its snapshot's contents) to `out`. A host without
// storage has no use for the entries to persist: `persist = false` leaves
// them out (their count is 0) instead of copying each entry's bytes.
void pack_ready(const Ready& ready, Bytes& out, bool persist = true);
// Replaces `out` with the packed `ready`, which it consumes (its entries are
// freed here, in the core); returns the Ready's snapshot, which the packed
// form leaves out.
std::optional<Snapshot> pack_ready_consuming(Ready&& ready, Bytes& out, bool persist = true);

}  // namespace rtcmesh::raft

// The simulator's key-value state machine: the commands clients put in Raft
// entries, how they apply, and the image a snapshot carries.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/common/bytes.hpp"
#include "sim/linearizability.hpp"

namespace rtcmesh::sim {

using KvState = std::map<std::string, std::string>;

// Entry payload: "client|seq|op|key|value|expected" (op: p, g, c).
struct Command {
    std::string id;  // "client|seq": identifies the client operation
    KvOp op = KvOp::get;
    std::string key;
    std::string value;
    std::string expected;
};

Bytes encode_command(const Command& command);
std::optional<Command> decode_command(const Bytes& bytes);

// Applies to `kv`; returns the output a client would see.
std::string apply_command(const Command& command, KvState& kv);

// A snapshot's state-machine image, and back.
Bytes encode_kv(const KvState& kv);
KvState decode_kv(const Bytes& image);

}  // namespace rtcmesh::sim

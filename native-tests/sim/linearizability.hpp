// A linearizability checker for key-value histories (Wing & Gong's search
// with Porcupine's two speed-ups: the history is split by key, and states
// already explored are remembered).
//
// An operation has an invoke time and, if the client heard back, a return
// time and output. An operation without a return (the client timed out) may
// or may not have taken effect: it can be linearized anywhere after its
// invoke, or left out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rtcmesh::sim {

enum class KvOp : std::uint8_t { put, get, cas };

struct KvOperation {
    int client = 0;
    KvOp op = KvOp::get;
    std::string key;
    std::string value;     // put: the value; cas: the new value
    std::string expected;  // cas: the value it must find
    std::int64_t invoke = 0;
    std::optional<std::int64_t> ret;  // empty: no answer (timed out)
    std::string output;               // get: the value read ("" = absent); cas: "ok" or "fail"
};

struct LinearizabilityResult {
    bool ok = true;
    std::string key;      // the first key whose history is not linearizable
    std::size_t states = 0;  // search states explored (cost)
};

// Checks every key's history independently. `max_states` bounds the search
// per key; a search that runs out is reported as not ok with `key` set and
// `states == max_states` (never silently passed).
LinearizabilityResult check_linearizable(const std::vector<KvOperation>& history, std::size_t max_states = 2'000'000);

}  // namespace rtcmesh::sim

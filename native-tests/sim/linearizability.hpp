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
    bool ok = true;          // false only for a proven violation
    bool undecided = false;  // a key's search ran out of states: no verdict either way
    std::string key;         // the first key found not linearizable (or undecided)
    std::size_t states = 0;  // search states explored (cost)
};

// Checks every key's history independently and stops at the first
// violation. Gets that never returned constrain nothing and are dropped
// before the search (exact, and each one would double the states to
// explore). `max_states` bounds the search per key; running out is reported
// as `undecided`, apart from a violation.
LinearizabilityResult check_linearizable(const std::vector<KvOperation>& history, std::size_t max_states = 2'000'000);

}  // namespace rtcmesh::sim

// Raft wire messages and their versioned binary codec.
//
// Encoding choice: a small hand-written format (version byte, type byte,
// LEB128 varints, length-prefixed strings/bytes) instead of MessagePack.
// Raft messages are fixed-shape, so a self-describing format would only add
// size and per-field allocations; the hot path (AppendEntries with batches)
// is a straight copy of entry payloads. Every read is bounds-checked and the
// decoder never throws: bad input comes back as an error string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/raft/types.hpp"

namespace rtcmesh::raft {

inline constexpr std::uint8_t kWireVersion = 3;  // 2: `request` and `payload`, for forwarding; 3: flags carry `keeper`
// Configuration entries have their own version: they are stored in logs.
inline constexpr std::uint8_t kMembershipVersion = 1;
inline constexpr std::size_t kMaxAddressBytes = 256;
inline constexpr std::size_t kMaxMembers = 1024;
inline constexpr std::size_t kMaxEntriesPerMessage = 1 << 16;
inline constexpr std::size_t kMaxMessageBytes = 64u << 20;
// Terms, indexes and counters on the wire stay below 2^53: exact as JS
// numbers, and so far from 2^64 that `+ 1` can never wrap.
inline constexpr std::uint64_t kMaxWireNumber = (std::uint64_t{1} << 53) - 1;

enum class MessageType : std::uint8_t {
    PreVote = 1,
    PreVoteResponse = 2,
    Vote = 3,
    VoteResponse = 4,
    Append = 5,
    AppendResponse = 6,
    Heartbeat = 7,
    HeartbeatResponse = 8,
    InstallSnapshot = 9,
    TimeoutNow = 10,
    // From a member to a node that a committed configuration removed: `index`
    // is that configuration's log index. Lets a node that missed its removal
    // learn of it and stop campaigning.
    Removed = 11,
    // Client requests made on a follower, forwarded to the leader (etcd's
    // stepFollower), and the leader's answers. `request` is the requester's
    // id; an answer is accepted only from the node the request went to.
    ForwardPropose = 12,       // payload = the entry's data
    ForwardProposeReply = 13,  // index/log_term = where it was appended; or reject + payload = why
    ForwardRead = 14,
    ForwardReadReply = 15,     // index = the read index; or reject + payload = why
};
const char* message_type_name(MessageType type);

// One struct for all types (as etcd's raftpb.Message); unused fields stay 0.
//  (Pre)Vote:      term, index/log_term = candidate's last log entry, transfer
//  Append:         index/log_term = previous entry, commit, entries
//  AppendResponse: index = match (or rejected prev index), reject, hint_index/hint_term
//  Heartbeat(Resp):commit, read_seq (ReadIndex confirmation round)
//  InstallSnapshot:snapshot
//  Removed:        index = the committed configuration that removed `to`
struct Message {
    MessageType type = MessageType::Heartbeat;
    std::string from;
    std::string to;
    Term term = 0;
    Term log_term = 0;
    Index index = 0;
    Index commit = 0;
    bool reject = false;
    bool transfer = false;  // vote request from a leadership transfer: ignore the lease
    bool keeper = false;    // the sender is a keeper (Config::keeper); set by Node::send on every message
    Index hint_index = 0;
    Term hint_term = 0;
    std::uint64_t read_seq = 0;
    std::vector<Entry> entries;
    std::optional<Snapshot> snapshot;
    std::uint64_t request = 0;  // Forward*: the requester's id for this request
    Bytes payload;              // ForwardPropose: the data; a refused Forward*Reply: the reason
};

Bytes encode(const Message& message);
// An Append whose entries stay where they are (a view of the leader's log)
// instead of being copied into message.entries, which must be empty.
Bytes encode(const Message& message, std::span<const Entry> entries);
// Strict: rejects unknown versions/types, truncation, trailing bytes, absurd
// sizes and semantically invalid contents (e.g. non-consecutive entries).
Result<Message> decode(const Bytes& bytes);

Bytes encode_membership(const Membership& membership);
Result<Membership> decode_membership(const Bytes& bytes);

}  // namespace rtcmesh::raft

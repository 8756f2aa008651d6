// Plain data shared by every part of the Raft core: log entries, hard state,
// membership, snapshots, results and events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::raft {

using Index = std::uint64_t;
using Term = std::uint64_t;

enum class EntryType : std::uint8_t {
    Normal = 0,  // user data from propose()
    NoOp = 1,    // appended by each new leader so it can commit in its own term
    Config = 2,  // data is an encoded Membership (the whole new configuration)
};

struct Entry {
    Term term = 0;
    Index index = 0;
    EntryType type = EntryType::Normal;
    Bytes data;
    bool operator==(const Entry&) const = default;
};

// What must survive a restart besides the log (Raft Figure 2 "persistent
// state"; commit is kept too so a restarted node need not re-apply blindly).
struct HardState {
    Term term = 0;
    std::string vote;  // empty = voted for nobody in `term`
    Index commit = 0;
    bool operator==(const HardState&) const = default;
};

// Voters decide elections and commits; learners only receive the log.
// Both lists are kept sorted so comparisons and encodings are deterministic.
struct Membership {
    std::vector<std::string> voters;
    std::vector<std::string> learners;

    bool is_voter(const std::string& address) const;
    bool is_learner(const std::string& address) const;
    bool contains(const std::string& address) const { return is_voter(address) || is_learner(address); }
    bool empty() const { return voters.empty() && learners.empty(); }
    void add_voter(const std::string& address);
    void add_learner(const std::string& address);
    void remove(const std::string& address);
    bool operator==(const Membership&) const = default;
};

struct Snapshot {
    Index index = 0;  // last log index covered by the snapshot
    Term term = 0;    // term of that entry
    Membership membership;
    Bytes data;  // the host's state-machine image, opaque to Raft
    bool operator==(const Snapshot&) const = default;
};

// What went wrong, for programs (the message is for people). Hosts show
// them as RaftError.code / error events' `code`: keep names stable.
enum class ErrorCode : std::uint8_t {
    none,
    closed,          // the node is closing or closed
    not_leader,      // only the leader does that; the message names it when known
    bad_argument,    // an address, index or size the call cannot take
    too_large,       // a proposal over max_entry_bytes
    bad_message,     // a message from the network that the codec or the node refuses
    unknown_peer,    // a message from an address this node does not know
    busy,            // a leadership transfer is in progress
    log_full,        // the log reached the largest wire index
    forward_failed,  // a request forwarded to the leader was refused or not answered
};
inline constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::forward_failed) + 1;  // keep after the last
const char* to_string(ErrorCode code);

// Error values: the public API never throws.
template <class T>
struct Result {
    std::optional<T> value;
    std::string error;
    ErrorCode code = ErrorCode::none;

    static Result success(T v) { return Result{std::move(v), {}, ErrorCode::none}; }
    static Result failure(ErrorCode code, std::string message) { return Result{std::nullopt, std::move(message), code}; }
    bool ok() const { return value.has_value(); }
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Status::success(Ok{}); }

struct Proposed {
    Index index = 0;
    Term term = 0;
};

enum class Role : std::uint8_t { Follower, PreCandidate, Candidate, Leader };
const char* role_name(Role role);

// ---- Events: everything a user would watch. Cheap structs in a variant. ----
struct RoleChanged { Role role; };
struct TermChanged { Term term; };
struct LeaderChanged { std::string leader; };  // empty = no known leader
struct CommitAdvanced { Index commit; };
struct MemberJoined { std::string address; bool voter; };
struct MemberLeft { std::string address; };
struct ReadReady { std::uint64_t request_id; Index read_index; };
// A submit() was appended at (index, term), here or at the leader: it is
// committed when the entry applied at `index` has this `term`.
struct Submitted { std::uint64_t request_id; Index index; Term term; };
struct SubmitFailed { std::uint64_t request_id; std::string reason; ErrorCode code = ErrorCode::forward_failed; };
struct ReadFailed { std::uint64_t request_id; std::string reason; ErrorCode code = ErrorCode::forward_failed; };
struct SnapshotRestored { Index index; Term term; };
struct Closing {};
struct Closed {};
struct ErrorEvent { std::string message; ErrorCode code = ErrorCode::bad_message; };

using Event = std::variant<RoleChanged, TermChanged, LeaderChanged, CommitAdvanced, MemberJoined, MemberLeft,
                           ReadReady, ReadFailed, Submitted, SubmitFailed, SnapshotRestored, Closing, Closed, ErrorEvent>;

}  // namespace rtcmesh::raft

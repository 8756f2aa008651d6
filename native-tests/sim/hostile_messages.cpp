#include "sim/hostile_messages.hpp"

#include <limits>

#include "core/raft/messages.hpp"

namespace rtcmesh::sim {

using namespace rtcmesh::raft;

Bytes hostile_message(std::uint64_t variant, const std::string& from, const std::string& to, std::uint64_t term) {
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    Message m{.type = MessageType::Append, .from = from, .to = to, .term = term};
    switch (variant % kHostileVariants) {
        case 0: m.term = kMaxWireNumber + 1; break;                 // a term past 2^53
        case 1: m.type = MessageType::TimeoutNow; m.term = kMax; break;  // would wrap the term
        case 2:                                                     // entry indexes that wrap around 2^64
            m.index = kMax;
            m.entries.push_back(Entry{term, 0, EntryType::Normal, {}});
            break;
        case 3: m.commit = kMax; break;                             // a commit past every index
        case 4:                                                     // a snapshot at the largest index
            m.type = MessageType::InstallSnapshot;
            m.snapshot = Snapshot{kMax, term, Membership{{from}, {}}, {}};
            break;
        case 5: m.to.clear(); break;                                // no addressee
        case 6: {                                                   // torn: the last byte missing
            Bytes bytes = encode(Message{.type = MessageType::Heartbeat, .from = from, .to = to, .term = term});
            bytes.pop_back();
            return bytes;
        }
        default: m.type = MessageType::Heartbeat; m.read_seq = kMax; break;  // a counter past 2^53
    }
    return encode(m);
}

}  // namespace rtcmesh::sim

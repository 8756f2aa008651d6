#include "core/raft/messages.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace rtcmesh::raft {

namespace {

// The flags byte of every message.
constexpr std::uint8_t kFlagTransfer = 1;  // Message::transfer
constexpr std::uint8_t kFlagKeeper = 2;    // Message::keeper

// ---------------------------------------------------------------- writing
class Writer {
public:
    explicit Writer(Bytes& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_.push_back(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        out_.push_back(static_cast<std::uint8_t>(v));
    }
    void bytes(const std::uint8_t* data, std::size_t size) {
        varint(size);
        out_.insert(out_.end(), data, data + size);
    }
    void bytes(const Bytes& b) { bytes(b.data(), b.size()); }
    void text(const std::string& s) { bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

private:
    Bytes& out_;
};

void write_membership(Writer& w, const Membership& m) {
    w.varint(m.voters.size());
    for (const auto& v : m.voters) w.text(v);
    w.varint(m.learners.size());
    for (const auto& l : m.learners) w.text(l);
}

// ---------------------------------------------------------------- reading
// Every accessor checks bounds and latches the first error; callers test
// `failed()` once per logical field group, which keeps the decoder flat.
class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : pos_(data), end_(data + size) {}

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    bool at_end() const { return pos_ == end_; }
    void fail(const std::string& message) {
        if (error_.empty()) error_ = message;
    }

    std::uint8_t u8(const char* field) {
        if (pos_ == end_) return fail_truncated(field), 0;
        return *pos_++;
    }
    std::uint64_t varint(const char* field) {
        std::uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ == end_) return fail_truncated(field), 0;
            const std::uint8_t byte = *pos_++;
            if (shift == 63 && byte > 1) break;
            value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if (!(byte & 0x80)) return value;
        }
        fail(std::string("varint too long in field '") + field + "'");
        return 0;
    }
    bool flag(const char* field) {
        const std::uint8_t v = u8(field);
        if (v > 1) fail(std::string("field '") + field + "' must be 0 or 1");
        return v == 1;
    }
    Bytes bytes(const char* field, std::size_t limit) {
        const std::size_t size = length(field, limit);
        if (failed()) return {};
        Bytes out(pos_, pos_ + size);
        pos_ += size;
        return out;
    }
    std::string text(const char* field) {
        const std::size_t size = length(field, kMaxAddressBytes);
        if (failed()) return {};
        std::string out(reinterpret_cast<const char*>(pos_), size);
        pos_ += size;
        return out;
    }
    // A count of items each at least `min_item_bytes` long: bounded by what
    // is left so hostile counts cannot trigger huge reservations.
    std::size_t count(const char* field, std::size_t limit, std::size_t min_item_bytes) {
        const std::uint64_t n = varint(field);
        if (failed()) return 0;
        if (n > limit || n * min_item_bytes > remaining()) {
            fail(std::string("count in field '") + field + "' is too large");
            return 0;
        }
        return static_cast<std::size_t>(n);
    }

private:
    std::size_t remaining() const { return static_cast<std::size_t>(end_ - pos_); }
    void fail_truncated(const char* field) { fail(std::string("message truncated in field '") + field + "'"); }
    std::size_t length(const char* field, std::size_t limit) {
        const std::uint64_t n = varint(field);
        if (failed()) return 0;
        if (n > limit) {
            fail(std::string("field '") + field + "' is too long");
            return 0;
        }
        if (n > remaining()) {
            fail_truncated(field);
            return 0;
        }
        return static_cast<std::size_t>(n);
    }

    const std::uint8_t* pos_;
    const std::uint8_t* end_;
    std::string error_;
};

bool strictly_sorted(const std::vector<std::string>& list) {
    return std::adjacent_find(list.begin(), list.end(), std::greater_equal<>()) == list.end();
}

std::vector<std::string> read_addresses(Reader& r, const char* field) {
    const std::size_t n = r.count(field, kMaxMembers, 1);
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n && !r.failed(); ++i) {
        out.push_back(r.text(field));
        if (out.back().empty()) r.fail(std::string("empty address in '") + field + "'");
    }
    if (!r.failed() && !strictly_sorted(out)) r.fail(std::string("'") + field + "' must be sorted and unique");
    return out;
}

Membership read_membership(Reader& r) {
    Membership m;
    m.voters = read_addresses(r, "voters");
    m.learners = read_addresses(r, "learners");
    if (r.failed()) return m;
    for (const auto& learner : m.learners) {
        if (m.is_voter(learner)) r.fail("address '" + learner + "' is both voter and learner");
    }
    return m;
}

bool valid_type(std::uint8_t t) { return t >= 1 && t <= 15; }

void write_entries(Writer& w, std::span<const Entry> entries) {
    w.varint(entries.size());
    for (const auto& e : entries) {
        w.varint(e.term);
        w.varint(e.index);
        w.u8(static_cast<std::uint8_t>(e.type));
        w.bytes(e.data);
    }
}

void read_entries(Reader& r, Message& m) {
    const std::size_t n = r.count("entries", kMaxEntriesPerMessage, 4);
    m.entries.resize(n);
    for (std::size_t i = 0; i < n && !r.failed(); ++i) {
        Entry& e = m.entries[i];
        e.term = r.varint("entry.term");
        e.index = r.varint("entry.index");
        const std::uint8_t type = r.u8("entry.type");
        if (type > 2) r.fail("unknown entry type " + std::to_string(type));
        e.type = static_cast<EntryType>(type);
        e.data = r.bytes("entry.data", kMaxMessageBytes);
    }
}

// Names the first number past kMaxWireNumber, or returns "".
std::string out_of_range(const Message& m) {
    const std::pair<const char*, std::uint64_t> fields[] = {
        {"term", m.term},         {"log_term", m.log_term},   {"index", m.index},
        {"commit", m.commit},     {"hint_index", m.hint_index}, {"hint_term", m.hint_term},
        {"read_seq", m.read_seq}, {"request", m.request},
    };
    for (const auto& [name, value] : fields)
        if (value > kMaxWireNumber) return std::string("field '") + name + "' is beyond 2^53 - 1";
    for (const auto& e : m.entries)
        if (e.term > kMaxWireNumber || e.index > kMaxWireNumber) return "an entry's term or index is beyond 2^53 - 1";
    if (m.snapshot && (m.snapshot->index > kMaxWireNumber || m.snapshot->term > kMaxWireNumber))
        return "the snapshot's index or term is beyond 2^53 - 1";
    return {};
}

// Semantic checks that make a decoded message safe to hand to the node.
std::string validate(const Message& m) {
    if (m.from.empty()) return "message has an empty 'from' address";
    if (m.to.empty()) return "message has an empty 'to' address";
    if (auto problem = out_of_range(m); !problem.empty()) return problem;
    Index expected = m.index + 1;
    Term previous_term = m.log_term;
    for (const auto& e : m.entries) {
        if (e.index != expected) return "entries must have consecutive indexes following the previous index";
        if (e.term < previous_term) return "entry terms must not decrease";
        if (e.term > m.term) return "entry term is newer than the message term";
        if (e.type == EntryType::Config && !decode_membership(e.data).ok()) return "config entry has a bad membership";
        ++expected;
        previous_term = e.term;
    }
    if (!m.entries.empty() && m.type != MessageType::Append) return "only Append messages may carry entries";
    const bool forward = m.type >= MessageType::ForwardPropose;
    if (!m.payload.empty() && !forward) return "only forwarded requests and their answers may carry a payload";
    if (m.snapshot && m.type != MessageType::InstallSnapshot) return "only InstallSnapshot may carry a snapshot";
    if (m.type == MessageType::InstallSnapshot) {
        if (!m.snapshot) return "InstallSnapshot without a snapshot";
        if (m.snapshot->index == 0 || m.snapshot->term == 0) return "snapshot index and term must be positive";
        if (m.snapshot->term > m.term) return "snapshot term is newer than the message term";
        if (m.snapshot->membership.voters.empty()) return "snapshot membership has no voters";
    }
    return {};
}

}  // namespace

const char* message_type_name(MessageType type) {
    static constexpr const char* names[] = {"?",          "PreVote",         "PreVoteResponse", "Vote",
                                            "VoteResponse", "Append",        "AppendResponse",  "Heartbeat",
                                            "HeartbeatResponse", "InstallSnapshot", "TimeoutNow", "Removed",
                                            "ForwardPropose", "ForwardProposeReply", "ForwardRead", "ForwardReadReply"};
    const auto i = static_cast<std::size_t>(type);
    return i < std::size(names) ? names[i] : "?";
}

static void encode_into(const Message& m, std::span<const Entry> entries, Bytes& out) {
    Writer w(out);
    w.u8(kWireVersion);
    w.u8(static_cast<std::uint8_t>(m.type));
    w.text(m.from);
    w.text(m.to);
    w.varint(m.term);
    w.varint(m.log_term);
    w.varint(m.index);
    w.varint(m.commit);
    w.u8(m.reject ? 1 : 0);
    w.u8((m.transfer ? kFlagTransfer : 0) | (m.keeper ? kFlagKeeper : 0));
    w.varint(m.hint_index);
    w.varint(m.hint_term);
    w.varint(m.read_seq);
    write_entries(w, entries);
    w.u8(m.snapshot ? 1 : 0);
    if (m.snapshot) {
        w.varint(m.snapshot->index);
        w.varint(m.snapshot->term);
        write_membership(w, m.snapshot->membership);
        w.bytes(m.snapshot->data);
    }
    w.varint(m.request);
    w.bytes(m.payload);
}

Bytes encode(const Message& message) { return encode(message, message.entries); }

Bytes encode(const Message& message, std::span<const Entry> entries) {
    Bytes out;
    std::size_t payload = 64;  // sized up front: an Append's entries in one allocation
    for (const auto& e : entries) payload += e.data.size() + 24;
    if (message.snapshot) payload += message.snapshot->data.size() + 64;
    payload += message.payload.size();
    out.reserve(payload);
    encode_into(message, entries, out);
    return out;
}

Result<Message> decode(const Bytes& bytes) {
    if (bytes.empty()) return Result<Message>::failure(ErrorCode::bad_message, "empty message");
    if (bytes.size() > kMaxMessageBytes) return Result<Message>::failure(ErrorCode::bad_message, "message larger than the 64 MiB limit");
    if (bytes[0] != kWireVersion) {
        return Result<Message>::failure(ErrorCode::bad_message, "unsupported raft wire version " + std::to_string(bytes[0]) + " (expected " +
                                        std::to_string(kWireVersion) + ")");
    }
    Reader r(bytes.data() + 1, bytes.size() - 1);
    Message m;
    const std::uint8_t type = r.u8("type");
    if (!r.failed() && !valid_type(type)) return Result<Message>::failure(ErrorCode::bad_message, "unknown message type " + std::to_string(type));
    m.type = static_cast<MessageType>(type);
    m.from = r.text("from");
    m.to = r.text("to");
    m.term = r.varint("term");
    m.log_term = r.varint("log_term");
    m.index = r.varint("index");
    m.commit = r.varint("commit");
    m.reject = r.flag("reject");
    const std::uint8_t flags = r.u8("flags");
    if (flags & ~(kFlagTransfer | kFlagKeeper)) r.fail("unknown bits in field 'flags'");
    m.transfer = (flags & kFlagTransfer) != 0;
    m.keeper = (flags & kFlagKeeper) != 0;
    m.hint_index = r.varint("hint_index");
    m.hint_term = r.varint("hint_term");
    m.read_seq = r.varint("read_seq");
    read_entries(r, m);
    if (r.flag("has_snapshot") && !r.failed()) {
        Snapshot s;
        s.index = r.varint("snapshot.index");
        s.term = r.varint("snapshot.term");
        s.membership = read_membership(r);
        s.data = r.bytes("snapshot.data", kMaxMessageBytes);
        m.snapshot = std::move(s);
    }
    m.request = r.varint("request");
    m.payload = r.bytes("payload", kMaxMessageBytes);
    if (!r.failed() && !r.at_end()) r.fail("trailing bytes after message");
    if (r.failed()) return Result<Message>::failure(ErrorCode::bad_message, r.error());
    if (auto problem = validate(m); !problem.empty()) return Result<Message>::failure(ErrorCode::bad_message, problem);
    return Result<Message>::success(std::move(m));
}

Bytes encode_membership(const Membership& membership) {
    Bytes out;
    Writer w(out);
    w.u8(kMembershipVersion);
    write_membership(w, membership);
    return out;
}

Result<Membership> decode_membership(const Bytes& bytes) {
    if (bytes.empty() || bytes[0] != kMembershipVersion) return Result<Membership>::failure(ErrorCode::bad_message, "unsupported membership encoding");
    Reader r(bytes.data() + 1, bytes.size() - 1);
    Membership m = read_membership(r);
    if (!r.failed() && !r.at_end()) r.fail("trailing bytes after membership");
    if (r.failed()) return Result<Membership>::failure(ErrorCode::bad_message, r.error());
    return Result<Membership>::success(std::move(m));
}

}  // namespace rtcmesh::raft

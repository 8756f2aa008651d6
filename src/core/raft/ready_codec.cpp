#include "core/raft/ready_codec.hpp"

#include <string>

#include "core/common/packer.hpp"

namespace rtcmesh::raft {
namespace {

void pack_entry(Packer& p, const Entry& e) {
    p.num(e.index);
    p.num(e.term);
    p.u8(static_cast<std::uint8_t>(e.type));
    p.bytes(e.data);
}

struct EventPacker {
    Packer& p;
    void operator()(const RoleChanged& e) const { p.u8(code(EventCode::role)), p.u8(static_cast<std::uint8_t>(e.role)); }
    void operator()(const TermChanged& e) const { p.u8(code(EventCode::term)), p.num(e.term); }
    void operator()(const LeaderChanged& e) const { p.u8(code(EventCode::leader)), p.str(e.leader); }
    void operator()(const CommitAdvanced& e) const { p.u8(code(EventCode::commit)), p.num(e.commit); }
    void operator()(const MemberJoined& e) const { p.u8(code(EventCode::join)), p.str(e.address), p.u8(e.voter ? 1 : 0); }
    void operator()(const MemberLeft& e) const { p.u8(code(EventCode::leave)), p.str(e.address); }
    void operator()(const ReadReady& e) const { p.u8(code(EventCode::read_ready)), p.num(e.request_id), p.num(e.read_index); }
    void operator()(const ReadFailed& e) const {
        p.u8(code(EventCode::read_failed)), p.num(e.request_id), p.str(e.reason), p.str(to_string(e.code));
    }
    void operator()(const Submitted& e) const {
        p.u8(code(EventCode::submitted)), p.num(e.request_id), p.num(e.index), p.num(e.term);
    }
    void operator()(const SubmitFailed& e) const {
        p.u8(code(EventCode::submit_failed)), p.num(e.request_id), p.str(e.reason), p.str(to_string(e.code));
    }
    void operator()(const SnapshotRestored& e) const { p.u8(code(EventCode::snapshot)), p.num(e.index); }
    void operator()(const Closing&) const { p.u8(code(EventCode::closing)); }
    void operator()(const Closed&) const { p.u8(code(EventCode::closed)); }
    void operator()(const ErrorEvent& e) const { p.u8(code(EventCode::error)), p.str(e.message), p.str(to_string(e.code)); }
    static std::uint8_t code(EventCode c) { return static_cast<std::uint8_t>(c); }
};

}  // namespace

void pack_ready(const Ready& ready, Bytes& out, bool persist) {
    Packer p(out);
    p.u8(kReadyCodecVersion);
    p.u8(static_cast<std::uint8_t>((ready.hard_state ? 1 : 0) | (ready.snapshot ? 2 : 0)));
    if (ready.hard_state) {
        p.num(ready.hard_state->term);
        p.num(ready.hard_state->commit);
        p.str(ready.hard_state->vote);
    }
    p.u32(persist ? static_cast<std::uint32_t>(ready.entries.size()) : 0u);
    if (persist)
        for (const auto& e : ready.entries) pack_entry(p, e);
    p.u32(static_cast<std::uint32_t>(ready.messages.size()));
    for (const auto& m : ready.messages) {
        p.str(m.to);
        p.bytes(m.bytes);
    }
    p.u32(static_cast<std::uint32_t>(ready.committed_entries.size()));
    for (const auto& e : ready.committed_entries) pack_entry(p, e);
    p.u32(static_cast<std::uint32_t>(ready.events.size()));
    for (const auto& event : ready.events) std::visit(EventPacker{p}, event);
}

}  // namespace rtcmesh::raft

namespace rtcmesh::raft {

std::optional<Snapshot> pack_ready_consuming(Ready&& taken, Bytes& out, bool persist) {
    const Ready ready = std::move(taken);  // destroyed here, not in the caller
    out.clear();
    pack_ready(ready, out, persist);
    return ready.snapshot;
}

}  // namespace rtcmesh::raft

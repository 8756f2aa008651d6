// Raft's exports for the public JS Raft class.
//
// Statuses cross as replies (abi.hpp); a Ready crosses packed in one buffer
// (core/raft/ready_codec.hpp), read by js/api/raft-ready.js, with its rare
// snapshot as records. Incoming bytes use a staging buffer, as the mesh's
// inbox does.
#include <emscripten/emscripten.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "abi.hpp"
#include "core/raft/node.hpp"
#include "core/raft/ready_codec.hpp"
#include "mesh_binding.hpp"

namespace rtcmesh::bindings {
namespace {

namespace raft = rtcmesh::raft;

raft::Config config_from_records(const std::uint8_t* data, std::uint32_t size) {
    raft::Config config;
    read_records(data, size, [&](const Record& r) {
        if (r.is("address") && r.is_text()) config.address = r.text();
        else if (r.is("members")) config.initial_members = r.texts;
        else if (r.is("joinExisting")) config.join_existing_cluster = r.truth();
        else if (r.is("keeper")) config.keeper = r.truth();
        else if (r.is("preVote") && r.tag == Tag::no) config.pre_vote = false;
        else if (r.is("checkQuorum") && r.tag == Tag::no) config.check_quorum = false;
        else r.number_into("electionMinTimeout", config.election_min_timeout) ||
                 r.number_into("electionMaxTimeout", config.election_max_timeout) ||
                 r.number_into("heartbeatInterval", config.heartbeat_interval) || r.number_into("seed", config.seed) ||
                 r.number_into("maxEntryBytes", config.max_entry_bytes) ||
                 r.number_into("forwardTimeout", config.forward_timeout);
    });
    return config;
}

raft::EntryType entry_type_named(std::string_view name) {
    if (name == "noop") return raft::EntryType::NoOp;
    if (name == "config") return raft::EntryType::Config;
    return raft::EntryType::Normal;
}

// What a durable host saved, back into the node's constructor, flattened by
// js/api/core-abi.js: hard state, snapshot.*, then entry.* per entry (each
// starting at entry.index). Validated in JS (types); the node itself keeps
// only a consistent prefix of the entries.
raft::PersistentState restored_from_records(const std::uint8_t* data, std::uint32_t size) {
    raft::PersistentState state;
    raft::Snapshot snapshot;
    bool has_snapshot = false;
    read_records(data, size, [&](const Record& r) {
        if (r.is("entry.index")) state.entries.emplace_back().index = static_cast<raft::Index>(r.number);
        else if (r.name.starts_with("entry.") && !state.entries.empty()) {
            auto& entry = state.entries.back();
            r.number_into("entry.term", entry.term);
            if (r.is("entry.type")) entry.type = entry_type_named(r.payload);
            if (r.is("entry.data")) entry.data = r.bytes();
        } else if (r.name.starts_with("snapshot.")) {
            has_snapshot = true;
            r.number_into("snapshot.index", snapshot.index) || r.number_into("snapshot.term", snapshot.term);
            if (r.is("snapshot.voters")) for (const auto& voter : r.texts) snapshot.membership.add_voter(voter);
            if (r.is("snapshot.learners")) for (const auto& learner : r.texts) snapshot.membership.add_learner(learner);
            if (r.is("snapshot.data")) snapshot.data = r.bytes();
        } else if (r.is("vote")) state.hard_state.vote = r.text();
        else r.number_into("term", state.hard_state.term) || r.number_into("commit", state.hard_state.commit);
    });
    if (has_snapshot) state.snapshot = std::move(snapshot);
    return state;
}

const Bytes& snapshot_records(const raft::Snapshot& snapshot, Bytes& reply) {
    reply = RecordWriter()
                .number("index", static_cast<double>(snapshot.index))
                .number("term", static_cast<double>(snapshot.term))
                .texts("voters", snapshot.membership.voters)
                .texts("learners", snapshot.membership.learners)
                .bytes("data", snapshot.data)
                .finish();
    return reply;
}

// A node of its own (the seed's form: the host moves its messages), or one
// inside a mesh's session, whose messages travel over the mesh without
// leaving wasm and whose members follow the mesh's peers.
class JsRaft {
public:
    JsRaft(raft::Config config, const raft::PersistentState& restored)
        : own_(std::make_unique<raft::Node>(std::move(config), restored)) {}
    JsRaft(const JsMesh& mesh, raft::Config config, const raft::PersistentState& restored) : session_(mesh.session()) {
        const mesh::Status started = session_->start_raft(std::move(config), restored);
        if (started.ok()) return;
        init_ = started;
        session_.reset();  // not ours: another Raft may run in that session
        own_ = std::make_unique<raft::Node>(raft::Config{.address = "unstarted"});
    }
    ~JsRaft() {
        if (session_) session_->stop_raft();
    }
    JsRaft(const JsRaft&) = delete;
    JsRaft& operator=(const JsRaft&) = delete;

    raft::Node& node() const { return own_ ? *own_ : *session_->raft(); }
    // Why the node could not start over the mesh, if it could not.
    const mesh::Status& init_status() const { return init_; }

    std::uintptr_t staging(double size) {
        staging_.resize(to_size(size));
        return address_of(staging_);
    }
    // from = "" when the sender is only named inside the message (the seed's form).
    raft::Status receive_staged(const std::string& from) {
        const auto status = from.empty() ? node().receive(staging_) : node().receive(from, staging_);
        // Its memory is kept for the next message, unless a large one grew it.
        if (staging_.capacity() > kKeptStagingBytes) Bytes().swap(staging_);
        return status;
    }
    // Any member: a follower forwards to the leader (see Node::submit / read).
    raft::Status submit_staged(double id) { return node().submit(static_cast<std::uint64_t>(id), std::exchange(staging_, {})); }
    std::uintptr_t compact_staged(double index) {
        auto result = node().compact(static_cast<raft::Index>(index), std::exchange(staging_, {}));
        if (!result.ok()) return status_reply(false, result.code, result.error, reply);
        return address_of(snapshot_records(*result.value, reply));
    }

    bool has_ready() { return session_ ? session_->has_ready() : own_->has_ready(); }
    // The Ready packed in one buffer (ready_codec.hpp), valid until the next
    // call into this object; its size from ready_size(), its snapshot, if
    // any, from ready_snapshot(). Without `persist` (no storage) it leaves
    // out the entries to persist.
    std::uintptr_t take_ready_packed(bool persist) {
        ready_snapshot_ = raft::pack_ready_consuming(session_ ? session_->take_ready() : own_->take_ready(), packed_, persist);
        return address_of(packed_);
    }
    double ready_size() const { return static_cast<double>(packed_.size()); }
    std::uintptr_t ready_snapshot() {
        if (!ready_snapshot_) return 0;
        snapshot_records(*ready_snapshot_, reply);
        ready_snapshot_.reset();
        return address_of(reply);
    }
    // Over a mesh, the session sends the Ready's messages now, after the host persisted it.
    void advance() { session_ ? session_->advance() : own_->advance(); }

    // The last status or text handed to JS (abi.hpp), until the next call.
    Bytes reply;

private:
    std::unique_ptr<raft::Node> own_;
    std::shared_ptr<session::Session> session_;
    mesh::Status init_;
    // A staging buffer grown past this by a large message is released after it.
    static constexpr std::size_t kKeptStagingBytes = 64 * 1024;
    // JS writes a message or a proposal here (staging()) before the call
    // that takes it; submits and compactions move it into the core.
    Bytes staging_;
    Bytes packed_;                             // backs the last take_ready_packed()
    std::optional<raft::Snapshot> ready_snapshot_;
};

std::uintptr_t reply(JsRaft* r, const raft::Status& status) { return status_reply(status.ok(), status.code, status.error, r->reply); }

}  // namespace
}  // namespace rtcmesh::bindings

using rtcmesh::bindings::JsRaft;
using rtcmesh::bindings::reply;
using rtcmesh::bindings::text_arg;
using rtcmesh::bindings::text_reply;
using Text = const char*;
using Size = std::uint32_t;
using Records = const std::uint8_t*;

extern "C" {
EMSCRIPTEN_KEEPALIVE JsRaft* rtcmesh_raft_new(Records config, Size config_n, Records restored, Size restored_n) {
    return new JsRaft(rtcmesh::bindings::config_from_records(config, config_n),
                      rtcmesh::bindings::restored_from_records(restored, restored_n));
}
EMSCRIPTEN_KEEPALIVE JsRaft* rtcmesh_raft_new_on_mesh(rtcmesh::bindings::JsMesh* mesh, Records config, Size config_n,
                                                      Records restored, Size restored_n) {
    return new JsRaft(*mesh, rtcmesh::bindings::config_from_records(config, config_n),
                      rtcmesh::bindings::restored_from_records(restored, restored_n));
}
EMSCRIPTEN_KEEPALIVE void rtcmesh_raft_delete(JsRaft* r) { delete r; }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_init_status(JsRaft* r) {
    const auto& status = r->init_status();
    return rtcmesh::bindings::status_reply(status.ok(), status.code, status.message, r->reply);
}

EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_join(JsRaft* r, Text address, Size n) { return reply(r, r->node().join(text_arg(address, n))); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_leave(JsRaft* r, Text address, Size n) { return reply(r, r->node().leave(text_arg(address, n))); }
EMSCRIPTEN_KEEPALIVE void rtcmesh_raft_set_room_position(JsRaft* r, int oldest, int others_present) {
    r->node().set_room_position(oldest != 0, static_cast<std::size_t>(std::max(others_present, 0)));
}
EMSCRIPTEN_KEEPALIVE void rtcmesh_raft_update(JsRaft* r, double now) { r->node().update(static_cast<rtcmesh::Millis>(now)); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_close(JsRaft* r) { return reply(r, r->node().close()); }

EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_staging(JsRaft* r, double size) { return r->staging(size); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_receive_staged(JsRaft* r, Text from, Size n) { return reply(r, r->receive_staged(text_arg(from, n))); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_submit_staged(JsRaft* r, double id) { return reply(r, r->submit_staged(id)); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_read(JsRaft* r, double id) { return reply(r, r->node().read(static_cast<std::uint64_t>(id))); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_read_index(JsRaft* r, double id) {
    return reply(r, r->node().read_index(static_cast<std::uint64_t>(id)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_transfer_leadership(JsRaft* r, Text to, Size n) {
    return reply(r, r->node().transfer_leadership(text_arg(to, n)));
}
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_compact_staged(JsRaft* r, double index) { return r->compact_staged(index); }

EMSCRIPTEN_KEEPALIVE int rtcmesh_raft_has_ready(JsRaft* r) { return r->has_ready() ? 1 : 0; }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_take_ready_packed(JsRaft* r, int persist) { return r->take_ready_packed(persist != 0); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_ready_size(JsRaft* r) { return r->ready_size(); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_ready_snapshot(JsRaft* r) { return r->ready_snapshot(); }
EMSCRIPTEN_KEEPALIVE void rtcmesh_raft_advance(JsRaft* r) { r->advance(); }

EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_address(JsRaft* r) { return text_reply(r->node().address(), r->reply); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_role(JsRaft* r) { return text_reply(rtcmesh::raft::role_name(r->node().role()), r->reply); }
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_leader(JsRaft* r) { return text_reply(r->node().leader(), r->reply); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_term(JsRaft* r) { return static_cast<double>(r->node().term()); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_commit_index(JsRaft* r) { return static_cast<double>(r->node().commit_index()); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_applied_index(JsRaft* r) { return static_cast<double>(r->node().applied_index()); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_election_due_in(JsRaft* r) { return static_cast<double>(r->node().election_due_in()); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_leader_contact_age(JsRaft* r) { return static_cast<double>(r->node().leader_contact_age()); }
EMSCRIPTEN_KEEPALIVE double rtcmesh_raft_last_index(JsRaft* r) { return static_cast<double>(r->node().log().last_index()); }
// {voters, learners} as lists of addresses.
EMSCRIPTEN_KEEPALIVE std::uintptr_t rtcmesh_raft_membership(JsRaft* r) {
    const auto& membership = r->node().membership();
    r->reply = rtcmesh::bindings::RecordWriter().texts("voters", membership.voters).texts("learners", membership.learners).finish();
    return rtcmesh::bindings::address_of(r->reply);
}
EMSCRIPTEN_KEEPALIVE int rtcmesh_raft_closed(JsRaft* r) { return r->node().closed() ? 1 : 0; }
}

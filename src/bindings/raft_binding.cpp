// embind face of rtcmesh::raft::Node for the public JS Raft class.
//
// Statuses cross as `null` (ok) or a string (the error message); a Ready
// crosses packed in one buffer (core/raft/ready_codec.hpp), read by
// js/api/raft-ready.js, with its rare snapshot as an object. Incoming bytes
// use a staging buffer, as in the mesh binding.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/raft/node.hpp"
#include "core/raft/ready_codec.hpp"
#include "js_values.hpp"
#include "mesh_binding.hpp"

namespace rtcmesh::bindings {
namespace {

namespace raft = rtcmesh::raft;

// One error shape across the boundary, as the mesh's: null or {code, message}.
template <class T>
val error_of(const raft::Result<T>& result) {
    val error = val::object();
    error.set("code", std::string(raft::to_string(result.code)));
    error.set("message", result.error);
    return error;
}
val error_or_null(const raft::Status& status) { return status.ok() ? val::null() : error_of(status); }

Bytes bytes_from_js(const val& array) {
    if (array.isUndefined() || array.isNull()) return {};
    return emscripten::convertJSArrayToNumberVector<std::uint8_t>(array);
}

raft::Config config_from_js(const val& js) {
    raft::Config config;
    if (js["address"].isString()) config.address = js["address"].as<std::string>();
    read_number(js, "electionMinTimeout", config.election_min_timeout);
    read_number(js, "electionMaxTimeout", config.election_max_timeout);
    read_number(js, "heartbeatInterval", config.heartbeat_interval);
    read_number(js, "seed", config.seed);
    read_number(js, "maxEntryBytes", config.max_entry_bytes);
    read_number(js, "forwardTimeout", config.forward_timeout);
    config.initial_members = strings_from_js(js["members"]);
    config.join_existing_cluster = js["joinExisting"].isTrue();
    config.keeper = js["keeper"].isTrue();
    if (js["preVote"].isFalse()) config.pre_vote = false;
    if (js["checkQuorum"].isFalse()) config.check_quorum = false;
    return config;
}

raft::EntryType entry_type_from_js(const std::string& name) {
    if (name == "noop") return raft::EntryType::NoOp;
    if (name == "config") return raft::EntryType::Config;
    return raft::EntryType::Normal;
}

raft::Entry entry_from_js(const val& js) {
    raft::Entry entry;
    entry.index = static_cast<raft::Index>(js["index"].as<double>());
    entry.term = static_cast<raft::Term>(js["term"].as<double>());
    entry.type = entry_type_from_js(js["type"].isString() ? js["type"].as<std::string>() : "normal");
    entry.data = bytes_from_js(js["data"]);
    return entry;
}

val snapshot_to_js(const raft::Snapshot& snapshot) {
    val js = val::object();
    js.set("index", static_cast<double>(snapshot.index));
    js.set("term", static_cast<double>(snapshot.term));
    js.set("voters", strings_to_js(snapshot.membership.voters));
    js.set("learners", strings_to_js(snapshot.membership.learners));
    js.set("data", bytes_copy(snapshot.data));
    return js;
}

raft::Snapshot snapshot_from_js(const val& js) {
    raft::Snapshot snapshot;
    snapshot.index = static_cast<raft::Index>(js["index"].as<double>());
    snapshot.term = static_cast<raft::Term>(js["term"].as<double>());
    for (const auto& voter : strings_from_js(js["voters"])) snapshot.membership.add_voter(voter);
    for (const auto& learner : strings_from_js(js["learners"])) snapshot.membership.add_learner(learner);
    snapshot.data = bytes_from_js(js["data"]);
    return snapshot;
}

// What a durable host saved, back into the node's constructor. Validated in
// JS (types); the node itself keeps only a consistent prefix of the entries.
raft::PersistentState restored_from_js(const val& js) {
    raft::PersistentState state;
    if (!is_object(js)) return state;
    const val hard = js["hardState"];
    if (is_object(hard)) {
        state.hard_state.term = static_cast<raft::Term>(hard["term"].as<double>());
        state.hard_state.vote = hard["vote"].isString() ? hard["vote"].as<std::string>() : "";
        state.hard_state.commit = static_cast<raft::Index>(hard["commit"].as<double>());
    }
    if (is_object(js["snapshot"])) state.snapshot = snapshot_from_js(js["snapshot"]);
    const val entries = js["entries"];
    if (entries.isArray()) {
        const auto count = entries["length"].as<unsigned>();
        for (unsigned i = 0; i < count; ++i) state.entries.push_back(entry_from_js(entries[i]));
    }
    return state;
}

// A node of its own (the seed's form: the host moves its messages), or one
// inside a mesh's session, whose messages travel over the mesh without
// leaving wasm and whose members follow the mesh's peers.
class JsRaft {
public:
    JsRaft(const val& options, const val& restored)
        : own_(std::make_unique<raft::Node>(config_from_js(options), restored_from_js(restored))) {}
    JsRaft(const JsMesh& mesh, const val& options, const val& restored) : session_(mesh.session()) {
        const mesh::Status started = session_->start_raft(config_from_js(options), restored_from_js(restored));
        if (started.ok()) return;
        init_ = val::object();
        init_.set("code", std::string(mesh::to_string(started.code)));
        init_.set("message", started.message);
        session_.reset();  // not ours: another Raft may run in that session
        own_ = std::make_unique<raft::Node>(raft::Config{.address = "unstarted"});
    }
    ~JsRaft() {
        if (session_) session_->stop_raft();
    }
    JsRaft(const JsRaft&) = delete;
    JsRaft& operator=(const JsRaft&) = delete;

    // null, or why the node could not start over the mesh ({code, message}).
    val init_status() const { return init_; }

    val join(const std::string& address) { return error_or_null(node().join(address)); }
    val leave(const std::string& address) { return error_or_null(node().leave(address)); }
    void set_room_position(bool oldest, bool others_present) { node().set_room_position(oldest, others_present); }
    void update(double now) { node().update(static_cast<Millis>(now)); }
    val close() { return error_or_null(node().close()); }

    val staging(double size) {
        staging_.resize(to_size(size));
        return val(emscripten::typed_memory_view(staging_.size(), staging_.data()));
    }
    // from = "" when the sender is only named inside the message (the seed's form).
    val receive_staged(const std::string& from) {
        const auto status = from.empty() ? node().receive(staging_) : node().receive(from, staging_);
        // Its memory is kept for the next message, unless a large one grew it.
        if (staging_.capacity() > kKeptStagingBytes) Bytes().swap(staging_);
        return error_or_null(status);
    }
    // Any member: a follower forwards to the leader (see Node::submit / read).
    val submit_staged(double id) { return error_or_null(node().submit(static_cast<std::uint64_t>(id), std::exchange(staging_, {}))); }
    val read(double id) { return error_or_null(node().read(static_cast<std::uint64_t>(id))); }
    val transfer_leadership(const std::string& to) { return error_or_null(node().transfer_leadership(to)); }
    val read_index(double id) { return error_or_null(node().read_index(static_cast<std::uint64_t>(id))); }
    val compact_staged(double index) {
        auto result = node().compact(static_cast<raft::Index>(index), std::exchange(staging_, {}));
        if (!result.ok()) {
            val js = val::object();
            js.set("error", error_of(result));
            return js;
        }
        return snapshot_to_js(*result.value);
    }

    bool has_ready() { return session_ ? session_->has_ready() : own_->has_ready(); }
    // The Ready packed in one buffer (ready_codec.hpp): a view valid until the
    // next call into this object; its snapshot, if any, from ready_snapshot().
    val take_ready_packed() {
        ready_snapshot_ = raft::pack_ready_consuming(session_ ? session_->take_ready() : own_->take_ready(), packed_);
        return val(emscripten::typed_memory_view(packed_.size(), packed_.data()));
    }
    val ready_snapshot() {
        val js = ready_snapshot_ ? snapshot_to_js(*ready_snapshot_) : val::null();
        ready_snapshot_.reset();
        return js;
    }
    // Over a mesh, the session sends the Ready's messages now, after the host persisted it.
    void advance() { session_ ? session_->advance() : own_->advance(); }

    std::string address() const { return node().address(); }
    std::string role() const { return raft::role_name(node().role()); }
    std::string leader() const { return node().leader(); }
    double term() const { return static_cast<double>(node().term()); }
    double commit_index() const { return static_cast<double>(node().commit_index()); }
    double applied_index() const { return static_cast<double>(node().applied_index()); }
    double election_due_in() const { return static_cast<double>(node().election_due_in()); }
    double leader_contact_age() const { return static_cast<double>(node().leader_contact_age()); }
    double last_index() const { return static_cast<double>(node().log().last_index()); }
    val voters() const { return strings_to_js(node().membership().voters); }
    val learners() const { return strings_to_js(node().membership().learners); }
    bool closed() const { return node().closed(); }

private:
    raft::Node& node() const { return own_ ? *own_ : *session_->raft(); }

    std::unique_ptr<raft::Node> own_;
    std::shared_ptr<session::Session> session_;
    val init_ = val::null();
    // A staging buffer grown past this by a large message is released after it.
    static constexpr std::size_t kKeptStagingBytes = 64 * 1024;
    // JS writes a message or a proposal here (staging()) before the call
    // that takes it; submits and compactions move it into the core.
    Bytes staging_;
    Bytes packed_;                             // backs the view of the last take_ready_packed()
    std::optional<raft::Snapshot> ready_snapshot_;
};

// The names of the core's error codes: the tests check each is documented.
val error_names() {
    val names = val::array();
    for (int i = 1; i < raft::kErrorCodeCount; ++i)  // 0 is "none"
        names.call<void>("push", std::string(raft::to_string(static_cast<raft::ErrorCode>(i))));
    return names;
}

}  // namespace
}  // namespace rtcmesh::bindings

EMSCRIPTEN_BINDINGS(rtcmesh_raft) {
    emscripten::function("raftErrorNames", &rtcmesh::bindings::error_names);
    using rtcmesh::bindings::JsRaft;
    emscripten::class_<JsRaft>("RaftNode")
        .constructor<const emscripten::val&, const emscripten::val&>()
        .constructor<const rtcmesh::bindings::JsMesh&, const emscripten::val&, const emscripten::val&>()
        .function("initStatus", &JsRaft::init_status)
        .function("join", &JsRaft::join)
        .function("leave", &JsRaft::leave)
        .function("setRoomPosition", &JsRaft::set_room_position)
        .function("update", &JsRaft::update)
        .function("close", &JsRaft::close)
        .function("staging", &JsRaft::staging)
        .function("receiveStaged", &JsRaft::receive_staged)
        .function("submitStaged", &JsRaft::submit_staged)
        .function("read", &JsRaft::read)
        .function("transferLeadership", &JsRaft::transfer_leadership)
        .function("readIndex", &JsRaft::read_index)
        .function("compactStaged", &JsRaft::compact_staged)
        .function("hasReady", &JsRaft::has_ready)
        .function("takeReadyPacked", &JsRaft::take_ready_packed)
        .function("readySnapshot", &JsRaft::ready_snapshot)
        .function("advance", &JsRaft::advance)
        .function("address", &JsRaft::address)
        .function("role", &JsRaft::role)
        .function("leader", &JsRaft::leader)
        .function("term", &JsRaft::term)
        .function("commitIndex", &JsRaft::commit_index)
        .function("appliedIndex", &JsRaft::applied_index)
        .function("electionDueIn", &JsRaft::election_due_in)
        .function("leaderContactAge", &JsRaft::leader_contact_age)
        .function("lastIndex", &JsRaft::last_index)
        .function("voters", &JsRaft::voters)
        .function("learners", &JsRaft::learners)
        .function("closed", &JsRaft::closed);
}

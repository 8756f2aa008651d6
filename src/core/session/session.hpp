// A mesh plus an optional Raft node as one sans-IO state machine: the part
// of "Raft over a room" that is protocol, so the simulators reach it and the
// JS only moves bytes.
//
// It owns:
// - Raft over the mesh's system lane: each Raft message travels as one
//   system frame `[kind][bytes]`, kind 0 for Raft; received ones are stepped
//   into the node and never reach the app;
// - membership that follows the mesh: a peer added to the mesh joins Raft, a
//   peer removed from the mesh leaves it (the leader then removes it); in a
//   room with a secret (Options::members_prove_keys) a peer joins Raft only
//   once it proved the key it shares with us, and until then its Raft
//   messages are dropped;
// - the room bootstrap rule's input (raft::Node::set_room_position);
// - the persist-then-send rule: a Ready's messages stay here until the host
//   says, with advance(), that it persisted the Ready; only then are they
//   sent. Raft tolerates loss, so a message to a peer whose link failed and
//   that no relay reaches is dropped, not queued behind a link that may never
//   come; a link still being made queues it.
//
// The host drives it like the mesh: mesh host events and update(now) in,
// take_commands() for the WebRTC shim, take_events() for the app, and
// take_ready()/advance() for Raft's persistence and application.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/mesh/mesh.hpp"
#include "core/raft/node.hpp"

namespace rtcmesh::session {

// The first byte of a system frame: which of rtcmesh's protocols it carries.
// key_check: an empty frame a member of a room with a secret sends a peer it
// has a key for (set_relay_key) but no open link to, kKeyCheckDelayMs after
// the key was set: a peer reached only through a relay then sees the key
// proved in the frame's MAC (a link proves it over the channel, so a room
// whose links open in time sends none).
enum class SystemKind : std::uint8_t { raft = 0, metadata = 1, key_check = 2 };

// A member's metadata (a small JSON text the app shares with every member)
// is at most this long, sent and received.
inline constexpr std::size_t kMaxMetadataBytes = 4096;

inline constexpr Millis kKeyCheckDelayMs = 1000;

// Messages that arrive on a named channel this member has not opened (yet)
// wait for it, up to these bounds; past them the oldest are dropped.
inline constexpr std::size_t kMaxHeldChannelMessages = 1024;
inline constexpr std::size_t kMaxHeldChannelBytes = 1u << 20;

// How a named channel delivers (RTCDataChannelInit's terms). Ordered and
// reliable (the default) rides the mesh's own frames: relayed around a
// broken link, any size. Anything else gets a data channel of its own on
// each direct link (mesh/direct_channels.hpp).
struct ChannelSpec {
    bool ordered = true;
    std::int32_t max_retransmits = -1;  // -1: reliable
    bool rides_mesh() const { return ordered && max_retransmits < 0; }
};
class Session {
public:
    // `faults`: tests only (mesh/test_faults.hpp).
    Session(mesh::Options options, std::uint64_t seed, mesh::TestFaults faults = {});

    mesh::Mesh& mesh() { return mesh_; }
    const mesh::Mesh& mesh() const { return mesh_; }

    // ---- Raft over the mesh ----
    // Starts the node (its address is the mesh's id) with every current mesh
    // peer as a known address. Fails if one runs already or the mesh is closed.
    mesh::Status start_raft(raft::Config config, const raft::PersistentState& restored = {});
    raft::Node* raft() { return raft_.get(); }
    const raft::Node* raft() const { return raft_.get(); }
    // From the signaling server's order of the room (see raft::Node).
    void set_room_position(bool oldest, std::size_t others_present);
    bool has_ready();
    // A Ready whose `messages` are empty: the session holds them until advance().
    raft::Ready take_ready();
    // The last taken Ready is persisted and applied: its messages go out now.
    void advance();
    // Stops the node (its mesh stays). Held messages are dropped.
    void stop_raft();

    // ---- member metadata ----
    // Shares `value` (the host checks it is JSON) with every peer, now and
    // whenever a channel to one opens (a new member, a reconnect, a restart);
    // peers report it with a `metadata` event when it is new or changed.
    // Fails past kMaxMetadataBytes or when the mesh is closed.
    mesh::Status set_metadata(const std::string& value);
    const std::string& own_metadata() const { return own_metadata_; }
    // The last metadata `peer` sent, or nullptr.
    const std::string* metadata_of(const std::string& peer) const;

    // ---- named channels ----
    // Messages of a channel reach only that channel's listeners: the app's
    // plain messages and other channels' never mix with them. Opening an
    // open channel again with another spec fails.
    mesh::Status open_channel(const std::string& name, ChannelSpec spec);
    void close_channel(const std::string& name);
    // To `peer`, or every peer for "". Fails for a channel not open here.
    mesh::Status send_on_channel(const std::string& peer, const std::string& name, const std::uint8_t* data,
                                 std::size_t size, bool is_text);

    // ---- membership: the mesh's peers, and Raft's with them ----
    mesh::Status add_peer(const std::string& peer);
    mesh::Status remove_peer(const std::string& peer);
    // mesh::Mesh::set_relay_key; in a room with a secret, a key_check to the
    // peer follows if no link to it opened within kKeyCheckDelayMs.
    mesh::Status set_relay_key(const std::string& peer, const std::uint8_t* key, std::size_t size);

    // ---- driving ----
    void update(Millis now);
    Millis now() const { return now_; }  // of the last update
    // When update() must run next: the mesh's and the node's timers, at most
    // mesh::Mesh::kIdleTickMs away (the node's forward timeouts and
    // membership steps ride on that).
    Millis next_wakeup() const;
    std::vector<mesh::Command> take_commands() { return mesh_.take_commands(); }
    // The mesh's events for the app; while Raft runs, system frames are
    // consumed here (without it they pass through, flagged `system`).
    std::vector<mesh::Event> take_events();

private:
    void route_system_frames();
    void receive_system(const std::string& from, const Bytes& frame);
    void receive_metadata(const std::string& from, const Bytes& frame);
    void send_metadata(const std::string& peer);
    void system_error(const std::string& from, std::string text);
    void send_raft(raft::OutgoingMessage message);
    // A named channel's message for a channel not open here waits for it.
    bool hold_if_unopened(mesh::Event& event);
    void release_held(const std::string& name);
    bool reachable(const std::string& peer) const;
    void admit_proven_peers();
    void send_due_key_checks();

    mesh::Mesh mesh_;
    std::unique_ptr<raft::Node> raft_;
    std::set<std::string> unproven_;  // mesh peers kept out of Raft until they prove their key
    std::map<std::string, Millis> key_checks_due_;  // peer -> when to send it a key_check, unless linked by then
    std::vector<raft::OutgoingMessage> held_;  // of the Ready taken last
    std::vector<mesh::Event> events_;          // for the app, in order
    std::string own_metadata_;                 // empty: none set
    std::map<std::string, std::string> metadata_;  // what each peer sent last
    std::map<std::string, ChannelSpec> channels_;  // named channels open here
    std::deque<mesh::Event> held_messages_;              // for channels not open here yet
    std::size_t held_bytes_ = 0;
    bool held_overflow_reported_ = false;
    Millis now_ = 0;
};

}  // namespace rtcmesh::session

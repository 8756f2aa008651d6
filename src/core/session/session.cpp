#include "core/session/session.hpp"

#include <utility>

namespace rtcmesh::session {

using mesh::ErrorCode;
using mesh::Event;
using mesh::EventKind;
using mesh::Status;

Session::Session(mesh::Options options, std::uint64_t seed, mesh::TestFaults faults)
    : mesh_(std::move(options), seed, faults) {
    if (mesh_.options().members_prove_keys)
        for (const auto& peer : mesh_.peer_ids()) unproven_.insert(peer);
}

Status Session::start_raft(raft::Config config, const raft::PersistentState& restored) {
    if (!mesh_.init_status().ok()) return mesh_.init_status();
    if (raft_) return Status::fail(ErrorCode::bad_argument, "Raft already runs over this mesh");
    if (config.address.empty()) config.address = mesh_.id();
    if (config.address != mesh_.id())
        return Status::fail(ErrorCode::bad_argument,
                            "the Raft address must be the mesh's id '" + mesh_.id() + "', not '" + config.address + "'");
    raft_ = std::make_unique<raft::Node>(std::move(config), restored);
    for (const auto& peer : mesh_.peer_ids())
        if (unproven_.count(peer) == 0) (void)raft_->join(peer);
    return Status::success();
}

void Session::stop_raft() {
    raft_.reset();
    held_.clear();
}

void Session::set_room_position(bool oldest, std::size_t others_present) {
    if (raft_) raft_->set_room_position(oldest, others_present);
}

bool Session::has_ready() {
    route_system_frames();
    return raft_ && raft_->has_ready();
}

raft::Ready Session::take_ready() {
    raft::Ready ready = raft_->take_ready();
    held_ = std::move(ready.messages);
    ready.messages.clear();
    return ready;
}

void Session::advance() {
    if (!raft_) return;
    auto messages = std::exchange(held_, {});
    for (auto& message : messages) send_raft(std::move(message));
    raft_->advance();
}

Status Session::add_peer(const std::string& peer) {
    const bool known = mesh_.has_peer(peer);
    Status status = mesh_.add_peer(peer);
    if (status.ok() && !known && mesh_.options().members_prove_keys && !mesh_.key_confirmed(peer)) {
        unproven_.insert(peer);
    } else if (status.ok() && raft_ && unproven_.count(peer) == 0) {
        (void)raft_->join(peer);
    }
    if (status.ok()) send_metadata(peer);  // queued until a link (or a relay) reaches it
    return status;
}

// A peer gone from the mesh for good leaves Raft too: the leader removes it
// from the configuration, a follower forgets its route.
Status Session::remove_peer(const std::string& peer) {
    Status status = mesh_.remove_peer(peer);
    if (status.ok() && raft_ && unproven_.count(peer) == 0) (void)raft_->leave(peer);
    if (status.ok()) metadata_.erase(peer), unproven_.erase(peer), key_checks_due_.erase(peer);
    return status;
}

Status Session::set_relay_key(const std::string& peer, const std::uint8_t* key, std::size_t size) {
    Status status = mesh_.set_relay_key(peer, key, size);
    if (status.ok() && mesh_.options().members_prove_keys) key_checks_due_[peer] = now_ + kKeyCheckDelayMs;
    return status;
}

// A pair whose link opened proved both keys over it; one that has none yet
// (it may never: a relay carries its traffic) proves them in relayed MACs.
void Session::send_due_key_checks() {
    for (auto it = key_checks_due_.begin(); it != key_checks_due_.end();) {
        if (it->second > now_) {
            ++it;
            continue;
        }
        if (mesh_.ready_state(it->first) != "open")
            (void)mesh_.send(it->first, Bytes{static_cast<std::uint8_t>(SystemKind::key_check)}, false, true);
        it = key_checks_due_.erase(it);
    }
}

void Session::update(Millis now) {
    now_ = now;
    mesh_.update(now);
    send_due_key_checks();
    route_system_frames();
    if (raft_) raft_->update(now);
}

Millis Session::next_wakeup() const {
    Millis at = mesh_.next_wakeup();
    if (raft_ && !raft_->closed()) at = std::min(at, raft_->next_wakeup());
    for (const auto& [peer, due] : key_checks_due_) at = std::min(at, due);
    return at;
}

std::vector<Event> Session::take_events() {
    route_system_frames();
    return std::exchange(events_, {});
}

// Moves the mesh's events into the app's queue, stepping system frames into
// Raft on the way: the app never sees them, and order among the rest is kept.
// Metadata and key checks are always consumed here; without a node, Raft's
// frames pass through, flagged `system`, as the mesh made them.
void Session::route_system_frames() {
    admit_proven_peers();
    for (auto& event : mesh_.take_events()) {
        const bool system = event.kind == EventKind::message && event.system;
        const bool own = system && !event.data.empty() && (event.data[0] == static_cast<std::uint8_t>(SystemKind::metadata) ||
                                                           event.data[0] == static_cast<std::uint8_t>(SystemKind::key_check));
        if (own || (raft_ && system)) {
            receive_system(event.peer, event.data);
            continue;
        }
        if (hold_if_unopened(event)) continue;
        // Every new channel may be a peer that never had our metadata, or a
        // restarted one that lost it: it is small, so it goes again.
        const std::string opened = event.kind == EventKind::addchannel ? event.peer : std::string();
        events_.push_back(std::move(event));
        if (!opened.empty()) send_metadata(opened);
    }
}

// A room with a secret admits a member to Raft once it proved our shared key
// (over a link, or with a relayed frame's tag): before, a party that holds
// the secret but sits in the middle of the link could still be in Raft.
void Session::admit_proven_peers() {
    for (auto it = unproven_.begin(); it != unproven_.end();) {
        if (!mesh_.key_confirmed(*it)) {
            ++it;
            continue;
        }
        if (raft_) (void)raft_->join(*it);
        it = unproven_.erase(it);
    }
}

void Session::system_error(const std::string& from, std::string text) {
    Event error;
    error.kind = EventKind::error;
    error.peer = from;
    error.code = ErrorCode::malformed_frame;
    error.text = std::move(text);
    events_.push_back(std::move(error));
}

void Session::receive_system(const std::string& from, const Bytes& frame) {
    const auto kind = frame.empty() ? std::uint8_t{255} : frame[0];
    if (kind == static_cast<std::uint8_t>(SystemKind::metadata)) return receive_metadata(from, frame);
    if (kind == static_cast<std::uint8_t>(SystemKind::key_check)) return;  // the mesh checked the key on its way in
    if (kind != static_cast<std::uint8_t>(SystemKind::raft)) {
        return system_error(from, "a system frame of unknown kind " + (frame.empty() ? std::string("(empty)") : std::to_string(frame[0])) +
                                      " from " + from + "; dropped");
    }
    if (raft_->closed()) return;  // late: networks deliver after close, and Raft tolerates the loss
    if (unproven_.count(from) != 0) {
        return system_error(from, "a Raft message from " + from +
                                      ", which has not proved the room's key to this member yet; dropped");
    }
    // A refused message comes out as an error event of the node's own.
    (void)raft_->receive(from, Bytes(frame.begin() + 1, frame.end()));
}

// ---------------------------------------------------------------- metadata

mesh::Status Session::set_metadata(const std::string& value) {
    if (mesh_.closed()) return Status::fail(ErrorCode::closed, "cannot set metadata: the mesh is closed");
    if (value.size() > kMaxMetadataBytes)
        return Status::fail(ErrorCode::message_too_large, "metadata of " + std::to_string(value.size()) +
                                                              " bytes is over the limit of " +
                                                              std::to_string(kMaxMetadataBytes));
    own_metadata_ = value;
    for (const auto& peer : mesh_.peer_ids()) send_metadata(peer);
    return Status::success();
}

const std::string* Session::metadata_of(const std::string& peer) const {
    auto it = metadata_.find(peer);
    return it == metadata_.end() ? nullptr : &it->second;
}

void Session::send_metadata(const std::string& peer) {
    if (own_metadata_.empty()) return;
    Bytes frame;
    frame.reserve(own_metadata_.size() + 1);
    frame.push_back(static_cast<std::uint8_t>(SystemKind::metadata));
    frame.insert(frame.end(), own_metadata_.begin(), own_metadata_.end());
    (void)mesh_.send(peer, std::move(frame), false, true);
}

void Session::receive_metadata(const std::string& from, const Bytes& frame) {
    const std::size_t size = frame.size() - 1;
    if (size == 0 || size > kMaxMetadataBytes)
        return system_error(from, "metadata of " + std::to_string(size) + " bytes from " + from + " (1 to " +
                                      std::to_string(kMaxMetadataBytes) + " allowed); dropped");
    std::string value(frame.begin() + 1, frame.end());
    std::string& known = metadata_[from];
    if (known == value) return;  // sent again on a new channel: nothing new
    known = std::move(value);
    Event event;
    event.kind = EventKind::metadata;
    event.peer = from;
    event.text = known;
    events_.push_back(std::move(event));
}

// A link that is being made (new, connecting) will carry what waits for it:
// the bootstrap rule's probes to the members present must reach them, or a
// member that came back would start a second cluster after its wait (found
// by session-sim, seed 3790 with 5 members). A link that failed and waits to
// be remade (closed) with no relay may never come, and Raft tolerates loss.
bool Session::reachable(const std::string& peer) const {
    return mesh_.ready_state(peer) != "closed" || mesh_.relayed(peer);
}

void Session::send_raft(raft::OutgoingMessage message) {
    if (!reachable(message.to)) return;
    Bytes frame;
    frame.reserve(message.bytes.size() + 1);
    frame.push_back(static_cast<std::uint8_t>(SystemKind::raft));
    frame.insert(frame.end(), message.bytes.begin(), message.bytes.end());
    (void)mesh_.send(message.to, std::move(frame), false, true);
}

}  // namespace rtcmesh::session

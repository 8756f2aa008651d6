#include "core/mesh/media_tracks.hpp"

namespace rtcmesh::mesh {

namespace {

Command track_command(CommandKind kind, Handle pc, std::uint32_t track) {
    Command c = make_command(kind, pc);
    c.number = track;
    return c;
}

}  // namespace

Status MediaTracks::add(std::uint32_t track, const std::string& peer, std::map<std::string, PeerLink*> links,
                        Outbox& out) {
    if (track == 0) return Status::fail(ErrorCode::bad_argument, "track number 0 is reserved");
    if (tracks_.count(track) != 0) return Status::fail(ErrorCode::bad_argument, "track " + std::to_string(track) + " is sent already");
    if (tracks_.size() >= kMaxTracks)
        return Status::fail(ErrorCode::bad_argument, "a member sends at most " + std::to_string(kMaxTracks) + " tracks");
    if (!peer.empty() && links.count(peer) == 0) return Status::fail(ErrorCode::unknown_peer, "unknown peer " + peer);
    tracks_[track] = peer;
    for (auto& [id, link] : links) {
        if (!peer.empty() && id != peer) continue;
        Attached& on = attached_[id];
        if (on.pc == 0 || on.pc != link->pc()) continue;  // on_connection attaches it
        attach(track, id, *link, out);
        link->renegotiate(out);
    }
    return Status::success();
}

Status MediaTracks::remove(std::uint32_t track, std::map<std::string, PeerLink*> links, Outbox& out) {
    if (tracks_.erase(track) == 0) return Status::fail(ErrorCode::bad_argument, "track " + std::to_string(track) + " is not sent");
    for (auto& [id, on] : attached_) {
        if (on.tracks.erase(track) == 0) continue;
        auto link = links.find(id);
        if (link == links.end() || link->second->pc() != on.pc) continue;
        out.commands.push_back(track_command(CommandKind::remove_track, on.pc, track));
        link->second->renegotiate(out);
    }
    return Status::success();
}

void MediaTracks::on_connection(const std::string& peer, PeerLink& link, Outbox& out) {
    Attached& on = attached_[peer];
    if (on.pc == link.pc()) return;
    on.pc = link.pc();
    on.tracks.clear();  // they went with the old connection
    if (on.pc == 0) return;
    bool any = false;
    for (const auto& [track, to] : tracks_) {
        if (!to.empty() && to != peer) continue;
        attach(track, peer, link, out);
        any = true;
    }
    if (any) link.renegotiate(out);  // the first offer may have been made before the tracks were added
}

void MediaTracks::attach(std::uint32_t track, const std::string& peer, PeerLink& link, Outbox& out) {
    attached_[peer].tracks.insert(track);
    out.commands.push_back(track_command(CommandKind::add_track, link.pc(), track));
}

bool MediaTracks::sends_to(const std::string& peer) const {
    for (const auto& [track, to] : tracks_)
        if (to.empty() || to == peer) return true;
    return false;
}

}  // namespace rtcmesh::mesh

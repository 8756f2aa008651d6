// Which of the host's media tracks go on which peer connection, and when a
// connection must renegotiate for them. The tracks themselves stay in the
// host (the JS shim holds the MediaStreamTracks); the core names them by
// number, tells the host to add or remove one on a connection, and has the
// link make an offer afterwards (perfect negotiation's roles settle glare).
//
// A track goes to every peer or to one. A connection made later (a newcomer,
// or one re-created after a failure) gets every track meant for its peer;
// an ICE restart keeps the connection, so its tracks stay. Media never
// travels over a relay: while a peer is reached only through one, its
// tracks do not flow, and the mesh says so (EventKind::media_relayed).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "core/mesh/events.hpp"
#include "core/mesh/peer_link.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

inline constexpr std::size_t kMaxTracks = 64;  // tracks a member sends at once

class MediaTracks {
public:
    // `track`: the host's number for it (not 0); `peer` "" = every peer.
    // `links`: peer -> its link, to add it on the current connections.
    Status add(std::uint32_t track, const std::string& peer, std::map<std::string, PeerLink*> links, Outbox& out);
    Status remove(std::uint32_t track, std::map<std::string, PeerLink*> links, Outbox& out);

    // `peer`'s link may have a new connection: every track meant for the
    // peer goes on it, and it renegotiates.
    void on_connection(const std::string& peer, PeerLink& link, Outbox& out);
    void forget(const std::string& peer) { attached_.erase(peer); }

    // Some track of ours is meant for `peer`.
    bool sends_to(const std::string& peer) const;

private:
    void attach(std::uint32_t track, const std::string& peer, PeerLink& link, Outbox& out);

    std::map<std::uint32_t, std::string> tracks_;  // track -> its peer ("" = all)
    struct Attached {
        Handle pc = 0;
        std::set<std::uint32_t> tracks;
    };
    std::map<std::string, Attached> attached_;  // peer -> what its current connection carries
};

}  // namespace rtcmesh::mesh

// What a key shared by two members (Mesh::set_relay_key) proves: end-to-end
// MACs on frames that reach their destination through someone else (a relay
// member, or the signaling server's last-resort path), and the proof that a
// direct link's two ends are the two members (link_proof, at the end).
//
// A frame from a direct neighbour is its own: DTLS carries it, and the core
// takes it as the neighbour's (mesh_receive.cpp). A relayed frame passes
// through a third party that could alter it or invent one. When two members
// share a pairwise key (Mesh::set_relay_key; in a room with a secret both
// derive it by ECDH of the keys in their signed hellos, js/api/room-seal.js),
// the origin appends a 16-byte keyed BLAKE2b tag (libsodium) to every frame
// it sends that way, and the destination drops a relayed frame from that
// origin whose tag is missing or wrong. The relay can still drop frames; the
// origin's retransmits and the relay's own `forged_frame` report follow.
//
// The tag covers the whole frame except hops_left, which each relay
// rewrites. Origin, destination, epochs and message ids are in the header,
// so a tagged frame cannot be turned back on its origin or replayed into a
// later incarnation's stream.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/bytes.hpp"
#include "core/mesh/frame.hpp"

namespace rtcmesh::mesh {

inline constexpr std::size_t kRelayKeyBytes = 32;
inline constexpr std::size_t kRelayTagBytes = kRelayTagSize;
using RelayKey = std::array<std::uint8_t, kRelayKeyBytes>;

// Sets flag_relay_tag in `frame` (an encoded frame, untagged) and appends
// its tag under `key`.
void append_relay_tag(const RelayKey& key, Bytes& frame);

// Whether `frame`, which carries flag_relay_tag, ends in a valid tag under
// `key`; if so the tag is removed and the flag cleared, leaving the frame as
// its origin encoded it.
bool strip_relay_tag(const RelayKey& key, Bytes& frame);

// The proof a member sends first on a new channel to a peer it shares `key`
// with: a MAC over both ids and the DTLS fingerprints of both ends as the
// sender sees them (its own, and the one in the SDP it applied). The peer
// checks it with the same fingerprints as it sees them: they match only if
// both connections really are the two ends of one DTLS session, so a server
// that answered each member with a connection of its own is found out, and
// without the key no one can make a proof.
using LinkProof = std::array<std::uint8_t, kRelayTagBytes>;
LinkProof link_proof(const RelayKey& key, std::uint64_t from_hash, std::uint64_t to_hash,
                     const std::string& from_fingerprint, const std::string& to_fingerprint);
bool link_proof_valid(const LinkProof& expected, const std::uint8_t* received, std::size_t size);

}  // namespace rtcmesh::mesh

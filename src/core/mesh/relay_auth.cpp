#include "core/mesh/relay_auth.hpp"

#include <sodium/crypto_generichash_blake2b.h>
#include <sodium/crypto_verify_16.h>

#include "core/mesh/frame.hpp"

namespace rtcmesh::mesh {
namespace {

constexpr std::size_t kHopsOffset = 3;  // the one header byte relays rewrite
static_assert(kRelayTagBytes >= crypto_generichash_blake2b_BYTES_MIN);
static_assert(kRelayKeyBytes >= crypto_generichash_blake2b_KEYBYTES_MIN &&
              kRelayKeyBytes <= crypto_generichash_blake2b_KEYBYTES_MAX);

// Tag of frame[0, length) without its hops_left byte.
std::array<std::uint8_t, kRelayTagBytes> tag_of(const RelayKey& key, const Bytes& frame, std::size_t length) {
    crypto_generichash_blake2b_state state;
    crypto_generichash_blake2b_init(&state, key.data(), key.size(), kRelayTagBytes);
    crypto_generichash_blake2b_update(&state, frame.data(), kHopsOffset);
    crypto_generichash_blake2b_update(&state, frame.data() + kHopsOffset + 1, length - kHopsOffset - 1);
    std::array<std::uint8_t, kRelayTagBytes> tag{};
    crypto_generichash_blake2b_final(&state, tag.data(), tag.size());
    return tag;
}

}  // namespace

void append_relay_tag(const RelayKey& key, Bytes& frame) {
    frame[2] |= flag_relay_tag;
    const auto tag = tag_of(key, frame, frame.size());
    frame.insert(frame.end(), tag.begin(), tag.end());
}

bool strip_relay_tag(const RelayKey& key, Bytes& frame) {
    if (frame.size() < kHeaderSize + kRelayTagBytes || (frame[2] & flag_relay_tag) == 0) return false;
    const std::size_t length = frame.size() - kRelayTagBytes;
    const auto expected = tag_of(key, frame, length);
    if (crypto_verify_16(frame.data() + length, expected.data()) != 0) return false;
    frame.resize(length);
    frame[2] &= static_cast<std::uint8_t>(~flag_relay_tag);
    return true;
}

namespace {

void hash_u64(crypto_generichash_blake2b_state& state, std::uint64_t value) {
    std::uint8_t bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
    crypto_generichash_blake2b_update(&state, bytes, sizeof bytes);
}

// Length-prefixed, so no two (from, to) pairs of strings hash alike.
void hash_text(crypto_generichash_blake2b_state& state, const std::string& text) {
    hash_u64(state, text.size());
    crypto_generichash_blake2b_update(&state, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace

LinkProof link_proof(const RelayKey& key, std::uint64_t from_hash, std::uint64_t to_hash,
                     const std::string& from_fingerprint, const std::string& to_fingerprint) {
    crypto_generichash_blake2b_state state;
    crypto_generichash_blake2b_init(&state, key.data(), key.size(), kRelayTagBytes);
    hash_text(state, "rtcmesh link proof v1");  // apart from every frame tag
    hash_u64(state, from_hash);
    hash_u64(state, to_hash);
    hash_text(state, from_fingerprint);
    hash_text(state, to_fingerprint);
    LinkProof proof{};
    crypto_generichash_blake2b_final(&state, proof.data(), proof.size());
    return proof;
}

bool link_proof_valid(const LinkProof& expected, const std::uint8_t* received, std::size_t size) {
    return size == expected.size() && crypto_verify_16(received, expected.data()) == 0;
}

}  // namespace rtcmesh::mesh

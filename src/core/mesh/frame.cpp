#include "core/mesh/frame.hpp"

#include <cstring>

namespace rtcmesh::mesh {
namespace {

void put_u32(std::uint8_t* out, std::uint32_t value) {
    out[0] = static_cast<std::uint8_t>(value);
    out[1] = static_cast<std::uint8_t>(value >> 8);
    out[2] = static_cast<std::uint8_t>(value >> 16);
    out[3] = static_cast<std::uint8_t>(value >> 24);
}

std::uint32_t get_u32(const std::uint8_t* in) {
    return static_cast<std::uint32_t>(in[0]) | static_cast<std::uint32_t>(in[1]) << 8 |
           static_cast<std::uint32_t>(in[2]) << 16 | static_cast<std::uint32_t>(in[3]) << 24;
}

void put_u64(std::uint8_t* out, std::uint64_t value) {
    put_u32(out, static_cast<std::uint32_t>(value));
    put_u32(out + 4, static_cast<std::uint32_t>(value >> 32));
}

std::uint64_t get_u64(const std::uint8_t* in) {
    return static_cast<std::uint64_t>(get_u32(in)) | static_cast<std::uint64_t>(get_u32(in + 4)) << 32;
}

bool known_type(std::uint8_t type) {
    return type >= static_cast<std::uint8_t>(FrameType::data) && type <= static_cast<std::uint8_t>(FrameType::link_proof);
}

DecodeResult malformed(std::string why) { return {std::nullopt, "malformed frame: " + std::move(why)}; }

}  // namespace

Bytes encode_frame(const FrameHeader& h, const std::uint8_t* payload, std::size_t length) {
    const std::size_t trailer = (h.flags & flag_ack) != 0 ? kAckTrailerSize : 0;
    Bytes out(kHeaderSize + length + trailer);
    std::uint8_t* p = out.data();
    p[0] = kFrameVersion;
    p[1] = static_cast<std::uint8_t>(h.type);
    p[2] = h.flags;
    p[3] = h.hops_left;
    put_u32(p + 4, h.origin_epoch);
    put_u64(p + 8, h.origin);
    put_u64(p + 16, h.destination);
    put_u32(p + 24, h.message_id);
    put_u32(p + 28, h.chunk_index);
    put_u32(p + 32, h.destination_epoch);
    put_u32(p + 36, h.total_length);
    if (length > 0) std::memcpy(p + kHeaderSize, payload, length);
    if (trailer > 0) put_u32(p + kHeaderSize + length, h.ack_upto);
    return out;
}

DecodeResult decode_frame(const Bytes& frame, std::size_t max_message_bytes) {
    if (frame.size() < kHeaderSize) return malformed("shorter than the " + std::to_string(kHeaderSize) + "-byte header");
    const std::uint8_t* p = frame.data();
    if (p[0] != kFrameVersion) return malformed("unsupported version " + std::to_string(p[0]));
    if (!known_type(p[1])) return malformed("unknown type " + std::to_string(p[1]));
    FrameHeader h;
    h.type = static_cast<FrameType>(p[1]);
    h.flags = p[2];
    h.hops_left = p[3];
    h.origin_epoch = get_u32(p + 4);
    h.origin = get_u64(p + 8);
    h.destination = get_u64(p + 16);
    h.message_id = get_u32(p + 24);
    h.chunk_index = get_u32(p + 28);
    h.destination_epoch = get_u32(p + 32);
    h.total_length = get_u32(p + 36);
    if ((h.flags & ~kKnownFlags) != 0) return malformed("unknown flags");
    const std::size_t tag = (h.flags & flag_relay_tag) != 0 ? kRelayTagSize : 0;
    if (frame.size() < kHeaderSize + tag) return malformed("shorter than its end-to-end tag");
    std::size_t trailer = 0;
    if ((h.flags & flag_ack) != 0) {
        // Only a data frame sent straight to its destination carries one.
        if (h.type != FrameType::data || tag != 0) return malformed("an ack on a frame that cannot carry one");
        if (frame.size() < kHeaderSize + kAckTrailerSize) return malformed("shorter than its ack");
        trailer = kAckTrailerSize;
        h.ack_upto = get_u32(p + frame.size() - kAckTrailerSize);
    }
    const std::size_t payload = frame.size() - kHeaderSize - tag - trailer;
    if (h.origin == 0) return malformed("no origin");
    if (h.total_length > max_message_bytes) return malformed("declared length exceeds the message size limit");
    if (payload > h.total_length) return malformed("payload longer than the declared total");
    if (h.chunk_index > 0 && payload == 0) return malformed("empty continuation chunk");
    if (h.chunk_index >= h.total_length && h.chunk_index > 0) return malformed("chunk index beyond the message");
    if (h.type == FrameType::data && h.message_id == 0) return malformed("message id 0");
    if (h.type != FrameType::data && (h.chunk_index != 0 || payload != h.total_length))
        return malformed("control frame split in chunks");
    return {h, {}};
}

void strip_ack_trailer(FrameHeader& header, Bytes& frame) {
    if ((header.flags & flag_ack) == 0 || frame.size() < kHeaderSize + kAckTrailerSize) return;
    frame.resize(frame.size() - kAckTrailerSize);
    header.flags = static_cast<std::uint8_t>(header.flags & ~flag_ack);
}

void set_hops_left(Bytes& frame, std::uint8_t hops) {
    if (frame.size() >= kHeaderSize) frame[3] = hops;
}

Bytes encode_peer_list(const std::vector<PeerHash>& hashes) {
    Bytes out(4 + 8 * hashes.size());
    put_u32(out.data(), static_cast<std::uint32_t>(hashes.size()));
    for (std::size_t i = 0; i < hashes.size(); ++i) put_u64(out.data() + 4 + 8 * i, hashes[i]);
    return out;
}

std::optional<std::vector<PeerHash>> decode_peer_list(const Bytes& frame, std::size_t offset) {
    if (frame.size() < offset + 4) return std::nullopt;
    const std::uint32_t count = get_u32(frame.data() + offset);
    if (frame.size() - offset - 4 != static_cast<std::size_t>(count) * 8) return std::nullopt;
    std::vector<PeerHash> out(count);
    for (std::uint32_t i = 0; i < count; ++i) out[i] = get_u64(frame.data() + offset + 4 + 8 * i);
    return out;
}

PeerHash peer_hash(const std::string& id) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : id) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h == 0 ? 1 : h;
}

}  // namespace rtcmesh::mesh

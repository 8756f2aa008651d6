// Appends little-endian fields to a byte buffer: the packed formats a host
// reads with one DataView (raft/ready_codec, mesh/batch_codec).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/common/bytes.hpp"

namespace rtcmesh {

class Packer {
public:
    explicit Packer(Bytes& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    // As a double: exact below 2^53, which is where terms, indexes and ids stay.
    void num(std::uint64_t v) {
        const double d = static_cast<double>(v);
        std::uint8_t raw[8];
        std::memcpy(raw, &d, 8);  // wasm and x86 are little-endian, like the DataView reads
        out_.insert(out_.end(), raw, raw + 8);
    }
    void bytes(const std::uint8_t* data, std::size_t size) {
        u32(static_cast<std::uint32_t>(size));
        out_.insert(out_.end(), data, data + size);
    }
    void bytes(const Bytes& b) { bytes(b.data(), b.size()); }
    void str(const std::string& s) { bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

private:
    Bytes& out_;
};

}  // namespace rtcmesh

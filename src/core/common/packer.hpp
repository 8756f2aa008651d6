// Appends little-endian fields to a byte buffer: the packed formats a host
// reads with one DataView (raft/ready_codec, mesh/batch_codec).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "core/common/bytes.hpp"

namespace rtcmesh {

class Packer {
public:
    explicit Packer(Bytes& out) : out_(out) {}
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u32(std::uint32_t v) {
        const std::uint8_t raw[4] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v >> 16),
                                     static_cast<std::uint8_t>(v >> 24)};
        out_.insert(out_.end(), raw, raw + 4);  // one append, not four
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

namespace rtcmesh {

// Reads what a host packed the same way (fixed-width little-endian, u32
// lengths). Every read checks bounds and latches the first failure, so a
// caller checks `ok()` once per record.
class Unpacker {
public:
    Unpacker(const std::uint8_t* data, std::size_t size) : at_(data), end_(data + size) {}

    bool ok() const { return ok_; }
    bool at_end() const { return at_ == end_; }
    std::uint8_t u8() { return take(1) ? at_[-1] : 0; }
    std::uint32_t u32() {
        if (!take(4)) return 0;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(at_[i - 4]) << (8 * i);
        return v;
    }
    double num() {
        if (!take(8)) return 0;
        double d = 0;
        std::memcpy(&d, at_ - 8, 8);
        return d;
    }
    // A view of the next length-prefixed field, valid as long as the input.
    std::pair<const std::uint8_t*, std::size_t> bytes() {
        const std::uint32_t size = u32();
        if (!take(size)) return {nullptr, 0};
        return {at_ - size, size};
    }
    std::string str() {
        auto [data, size] = bytes();
        return data == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(data), size);
    }

private:
    bool take(std::size_t n) {
        if (!ok_ || static_cast<std::size_t>(end_ - at_) < n) return ok_ = false;
        at_ += n;
        return true;
    }
    const std::uint8_t* at_;
    const std::uint8_t* end_;
    bool ok_ = true;
};

}  // namespace rtcmesh

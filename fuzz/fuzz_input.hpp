// Reads a libFuzzer input as a stream of small decisions. Running out of
// bytes yields zeros, so every input is a valid (if short) program.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/common/bytes.hpp"

namespace rtcmesh::fuzz {

class FuzzInput {
public:
    FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    bool empty() const { return offset_ >= size_; }
    std::uint8_t byte() { return offset_ < size_ ? data_[offset_++] : 0; }
    std::uint32_t u32() {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) value = value << 8 | byte();
        return value;
    }
    // A value in [0, bound) (bound > 0).
    std::uint32_t below(std::uint32_t bound) { return u32() % bound; }
    Bytes bytes(std::size_t max) {
        const std::size_t length = std::min<std::size_t>(below(static_cast<std::uint32_t>(max) + 1), size_ - std::min(offset_, size_));
        Bytes out(data_ + offset_, data_ + offset_ + length);
        offset_ += length;
        return out;
    }
    std::string text(std::size_t max) {
        const Bytes raw = bytes(max);
        return std::string(raw.begin(), raw.end());
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t offset_ = 0;
};

}  // namespace rtcmesh::fuzz

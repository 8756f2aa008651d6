// Named values across the JS/wasm boundary, for the calls that are not per
// message: options in, statuses, snapshots and strings out. js/api/core-abi.js
// writes and reads the same layout. (Per-message traffic uses the one wire,
// core/session/host_wire.hpp, and Raft's packed Ready.)
//
// A buffer is a u32 byte count, then records, each:
//   u8 tag, u8 name length, name, payload
// with payloads by tag (all integers little-endian):
//   number  f64          true/false  none
//   text    u32 n, n bytes of UTF-8
//   bytes   u32 n, n bytes
//   texts   u32 count, then count × (u32 n, n bytes)
// The reader stops at the first record that does not fit: the JS side is
// ours, but a short buffer must not read past its end.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::bindings {

enum class Tag : std::uint8_t { number = 1, yes = 2, no = 3, text = 4, bytes = 5, texts = 6 };

struct Record {
    Tag tag{};
    std::string_view name;
    double number = 0;
    std::string_view payload;            // text or bytes
    std::vector<std::string> texts;

    bool is(std::string_view wanted) const { return name == wanted; }
    bool is_number() const { return tag == Tag::number; }
    bool is_bool() const { return tag == Tag::yes || tag == Tag::no; }
    bool truth() const { return tag == Tag::yes; }
    bool is_text() const { return tag == Tag::text; }
    std::string text() const { return std::string(payload); }
    Bytes bytes() const { return Bytes(payload.begin(), payload.end()); }

    // Reads a numeric option into `field`, as the JS API validated it.
    template <typename T>
    bool number_into(std::string_view wanted, T& field) const {
        if (!is(wanted) || !is_number()) return false;
        field = static_cast<T>(number);
        return true;
    }
};

// Calls `visit(const Record&)` for each record of the buffer at `data`.
template <typename Visit>
void read_records(const std::uint8_t* data, std::size_t size, Visit&& visit) {
    std::size_t at = 0;
    auto fits = [&](std::size_t n) { return n <= size - at; };
    auto u32 = [&] {
        std::uint32_t value;
        std::memcpy(&value, data + at, 4);
        at += 4;
        return value;
    };
    auto chunk = [&](std::string_view& out) {
        if (!fits(4)) return false;
        const std::uint32_t n = u32();
        if (!fits(n)) return false;
        out = {reinterpret_cast<const char*>(data + at), n};
        at += n;
        return true;
    };
    while (fits(2)) {
        Record record;
        record.tag = static_cast<Tag>(data[at]);
        const std::size_t name_size = data[at + 1];
        at += 2;
        if (!fits(name_size)) return;
        record.name = {reinterpret_cast<const char*>(data + at), name_size};
        at += name_size;
        switch (record.tag) {
            case Tag::number:
                if (!fits(8)) return;
                std::memcpy(&record.number, data + at, 8);
                at += 8;
                break;
            case Tag::yes:
            case Tag::no:
                break;
            case Tag::text:
            case Tag::bytes:
                if (!chunk(record.payload)) return;
                break;
            case Tag::texts: {
                if (!fits(4)) return;
                const std::uint32_t count = u32();
                for (std::uint32_t i = 0; i < count; ++i) {
                    std::string_view item;
                    if (!chunk(item)) return;
                    record.texts.emplace_back(item);
                }
                break;
            }
            default:
                return;
        }
        visit(static_cast<const Record&>(record));
    }
}

// Builds a buffer of records; data() is what JS reads (count first).
class RecordWriter {
public:
    RecordWriter() { out_.resize(4); }

    RecordWriter& number(std::string_view name, double value) {
        head(Tag::number, name);
        append(&value, 8);
        return *this;
    }
    RecordWriter& boolean(std::string_view name, bool value) {
        head(value ? Tag::yes : Tag::no, name);
        return *this;
    }
    RecordWriter& text(std::string_view name, std::string_view value) {
        head(Tag::text, name);
        chunk(value.data(), value.size());
        return *this;
    }
    RecordWriter& bytes(std::string_view name, const Bytes& value) {
        head(Tag::bytes, name);
        chunk(value.data(), value.size());
        return *this;
    }
    RecordWriter& texts(std::string_view name, const std::vector<std::string>& values) {
        head(Tag::texts, name);
        u32(static_cast<std::uint32_t>(values.size()));
        for (const auto& value : values) chunk(value.data(), value.size());
        return *this;
    }

    // The finished buffer, its byte count written in front.
    const Bytes& finish() {
        const auto size = static_cast<std::uint32_t>(out_.size() - 4);
        std::memcpy(out_.data(), &size, 4);
        return out_;
    }

private:
    void head(Tag tag, std::string_view name) {
        out_.push_back(static_cast<std::uint8_t>(tag));
        out_.push_back(static_cast<std::uint8_t>(name.size()));
        append(name.data(), name.size());
    }
    void u32(std::uint32_t value) { append(&value, 4); }
    void chunk(const void* data, std::size_t size) {
        u32(static_cast<std::uint32_t>(size));
        append(data, size);
    }
    void append(const void* data, std::size_t size) {
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        out_.insert(out_.end(), bytes, bytes + size);
    }

    Bytes out_;
};

}  // namespace rtcmesh::bindings

#include "sim/kv_machine.hpp"

#include <vector>

namespace rtcmesh::sim {
namespace {

std::vector<std::string> split(const Bytes& bytes, char separator) {
    std::vector<std::string> parts(1);
    for (const auto byte : bytes) {
        if (byte == static_cast<std::uint8_t>(separator)) {
            parts.emplace_back();
        } else {
            parts.back().push_back(static_cast<char>(byte));
        }
    }
    return parts;
}

}  // namespace

Bytes encode_command(const Command& c) {
    const char op = c.op == KvOp::put ? 'p' : c.op == KvOp::get ? 'g' : 'c';
    const std::string text = c.id + "|" + op + "|" + c.key + "|" + c.value + "|" + c.expected;
    return Bytes(text.begin(), text.end());
}

std::optional<Command> decode_command(const Bytes& bytes) {
    const auto parts = split(bytes, '|');
    if (parts.size() != 6) return std::nullopt;
    Command c;
    c.id = parts[0] + "|" + parts[1];
    c.op = parts[2] == "p" ? KvOp::put : parts[2] == "g" ? KvOp::get : KvOp::cas;
    c.key = parts[3];
    c.value = parts[4];
    c.expected = parts[5];
    return c;
}

std::string apply_command(const Command& c, KvState& kv) {
    switch (c.op) {
        case KvOp::put:
            kv[c.key] = c.value;
            return "ok";
        case KvOp::get: {
            auto it = kv.find(c.key);
            return it == kv.end() ? "" : it->second;
        }
        case KvOp::cas: {
            auto it = kv.find(c.key);
            const std::string current = it == kv.end() ? "" : it->second;
            if (current != c.expected) return "fail";
            kv[c.key] = c.value;
            return "ok";
        }
    }
    return "";
}

// "key=value;key=value": keys and values are the workload's own ("k1", "v3").
Bytes encode_kv(const KvState& kv) {
    std::string text;
    for (const auto& [key, value] : kv) text += key + "=" + value + ";";
    return Bytes(text.begin(), text.end());
}

KvState decode_kv(const Bytes& image) {
    KvState kv;
    for (const auto& pair : split(image, ';')) {
        const auto equals = pair.find('=');
        if (equals != std::string::npos) kv[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    return kv;
}

}  // namespace rtcmesh::sim

// "A-B" (or "A") as an inclusive range of seeds, for the simulators' commands.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>

namespace rtcmesh::sim {

struct SeedRange {
    std::uint64_t first = 1;
    std::uint64_t last = 100;
};

inline bool parse_seed_range(const std::string& text, SeedRange& range) {
    const auto dash = text.find('-');
    range.first = std::strtoull(text.substr(0, dash).c_str(), nullptr, 10);
    range.last = dash == std::string::npos ? range.first : std::strtoull(text.substr(dash + 1).c_str(), nullptr, 10);
    return !text.empty() && range.first <= range.last;
}

}  // namespace rtcmesh::sim

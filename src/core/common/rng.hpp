// Seeded pseudo-random generator for the deterministic core.
//
// The core never reads a clock or an OS entropy source: the host hands it a
// seed, so every run (and every simulated failure) replays from that seed.
// SplitMix64 is tiny, fast and has no global state.
#pragma once

#include <cstdint>

namespace rtcmesh {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    // Uniform integer in [low, high] (inclusive). Requires low <= high.
    std::uint64_t between(std::uint64_t low, std::uint64_t high) {
        const std::uint64_t span = high - low + 1;
        return span == 0 ? next() : low + next() % span;
    }

    // True with probability `p` (0..1).
    bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }

private:
    std::uint64_t state_;
};

}  // namespace rtcmesh

// The core's only source of randomness must replay exactly from its seed.
#include <catch2/catch.hpp>

#include "core/common/rng.hpp"

#include <set>

using rtcmesh::Rng;

TEST_CASE("Rng replays the same sequence from the same seed", "[common][rng]") {
    Rng first(42);
    Rng second(42);
    for (int i = 0; i < 1000; ++i) REQUIRE(first.next() == second.next());
}

TEST_CASE("Rng sequences from different seeds differ", "[common][rng]") {
    Rng first(1);
    Rng second(2);
    int equal = 0;
    for (int i = 0; i < 100; ++i) equal += first.next() == second.next();
    REQUIRE(equal == 0);
}

TEST_CASE("Rng::between stays inside its inclusive bounds and reaches both ends", "[common][rng]") {
    Rng rng(7);
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 2000; ++i) {
        const auto value = rng.between(150, 155);
        REQUIRE(value >= 150);
        REQUIRE(value <= 155);
        seen.insert(value);
    }
    REQUIRE(seen.size() == 6);
}

TEST_CASE("Rng::chance follows its probability", "[common][rng]") {
    Rng rng(9);
    int hits = 0;
    for (int i = 0; i < 10000; ++i) hits += rng.chance(0.3);
    REQUIRE(hits > 2700);
    REQUIRE(hits < 3300);
    Rng never(9);
    for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(never.chance(0.0));
}

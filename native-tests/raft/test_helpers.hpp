// Small helpers shared by the Raft test files.
#pragma once

#include <catch2/catch.hpp>

#include "cluster_harness.hpp"

namespace rtcmesh::raft::testing {

// Elects a leader or fails the test.
inline std::string elect(Cluster& c) {
    const std::string leader = c.elect();
    REQUIRE_FALSE(leader.empty());
    return leader;
}

inline std::vector<std::string> followers(Cluster& c, const std::string& leader) { return c.others(leader); }

}  // namespace rtcmesh::raft::testing

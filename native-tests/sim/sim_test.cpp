// The fault simulator's own checks: the linearizability checker on
// hand-made histories, determinism by seed, and a short clean sweep.
#include <catch2/catch.hpp>

#include "sim/linearizability.hpp"
#include "sim/simulator.hpp"

using namespace rtcmesh::sim;

namespace {

KvOperation op(int client, KvOp kind, std::string value, std::int64_t invoke, std::optional<std::int64_t> ret,
               std::string output = "ok", std::string expected = "") {
    return KvOperation{client, kind, "k", std::move(value), std::move(expected), invoke, ret, std::move(output)};
}

}  // namespace

TEST_CASE("linearizability: a sequential history and overlapping writes are accepted", "[sim][linearizability]") {
    CHECK(check_linearizable({op(1, KvOp::put, "a", 0, 1), op(2, KvOp::get, "", 2, 3, "a")}).ok);
    // Two overlapping writes, then a read of either one is fine.
    CHECK(check_linearizable({op(1, KvOp::put, "a", 0, 10), op(2, KvOp::put, "b", 1, 9), op(3, KvOp::get, "", 11, 12, "a")}).ok);
    CHECK(check_linearizable({op(1, KvOp::put, "a", 0, 10), op(2, KvOp::put, "b", 1, 9), op(3, KvOp::get, "", 11, 12, "b")}).ok);
    // A write that never answered may have happened...
    CHECK(check_linearizable({op(1, KvOp::put, "a", 0, std::nullopt), op(2, KvOp::get, "", 5, 6, "a")}).ok);
    // ...or not.
    CHECK(check_linearizable({op(1, KvOp::put, "a", 0, std::nullopt), op(2, KvOp::get, "", 5, 6, "")}).ok);
    // Compare-and-set: succeeds against the value in place.
    CHECK(check_linearizable({op(1, KvOp::put, "a", 0, 1), op(2, KvOp::cas, "b", 2, 3, "ok", "a"), op(3, KvOp::get, "", 4, 5, "b")}).ok);
}

TEST_CASE("linearizability: stale reads, lost writes and impossible swaps are refused", "[sim][linearizability]") {
    // A read after a completed write must see it.
    const auto stale = check_linearizable({op(1, KvOp::put, "a", 0, 1), op(2, KvOp::put, "b", 2, 3), op(3, KvOp::get, "", 4, 5, "a")});
    CHECK_FALSE(stale.ok);
    CHECK(stale.key == "k");
    // A value nobody wrote.
    CHECK_FALSE(check_linearizable({op(1, KvOp::put, "a", 0, 1), op(2, KvOp::get, "", 2, 3, "z")}).ok);
    // Two swaps from the same value cannot both succeed.
    CHECK_FALSE(check_linearizable({op(1, KvOp::put, "a", 0, 1), op(2, KvOp::cas, "b", 2, 5, "ok", "a"),
                                    op(3, KvOp::cas, "c", 2, 5, "ok", "a")}).ok);
    // Keys are checked apart: a bad key is named.
    std::vector<KvOperation> two_keys{op(1, KvOp::put, "a", 0, 1), op(2, KvOp::get, "", 2, 3, "a")};
    KvOperation bad = op(3, KvOp::get, "", 2, 3, "nope");
    bad.key = "other";
    two_keys.push_back(bad);
    CHECK(check_linearizable(two_keys).key == "other");
}

TEST_CASE("linearizability: running out of states is undecided, not a violation", "[sim][linearizability]") {
    // Many overlapping writes and one read: a tiny budget cannot decide it.
    std::vector<KvOperation> history;
    for (int i = 0; i < 12; ++i) history.push_back(op(i, KvOp::put, "v" + std::to_string(i), 0, 100));
    history.push_back(op(99, KvOp::get, "", 101, 102, "v3"));
    const auto tight = check_linearizable(history, 5);
    CHECK(tight.ok);
    CHECK(tight.undecided);
    const auto roomy = check_linearizable(history);
    CHECK(roomy.ok);
    CHECK_FALSE(roomy.undecided);
}

TEST_CASE("linearizability: a get that never returned constrains nothing and is dropped", "[sim][linearizability]") {
    // Without the drop, an unanswered get whose (unknown) output is "" would
    // still be searched; with it, the search costs what the answered ops cost.
    std::vector<KvOperation> answered{op(1, KvOp::put, "a", 0, 1), op(2, KvOp::get, "", 2, 3, "a")};
    std::vector<KvOperation> with_pending = answered;
    for (int i = 0; i < 16; ++i) with_pending.push_back(op(10 + i, KvOp::get, "", 0, std::nullopt, ""));
    const auto plain = check_linearizable(answered);
    const auto padded = check_linearizable(with_pending);
    CHECK(padded.ok);
    CHECK(padded.states == plain.states);
}

TEST_CASE("the simulator is deterministic by seed", "[sim]") {
    SimOptions options;
    options.seed = 17;
    options.trace = true;
    const SimResult first = run_simulation(options);
    const SimResult second = run_simulation(options);
    CHECK(first.ok);
    CHECK(first.trace == second.trace);
    CHECK(first.operations == second.operations);
    CHECK(first.schedule.size() == second.schedule.size());
    // Another seed is another run, not just another first line.
    options.seed = 18;
    const auto other = run_simulation(options).trace;
    REQUIRE(first.trace.size() > 1);
    CHECK(std::vector<std::string>(first.trace.begin() + 1, first.trace.end()) != std::vector<std::string>(other.begin() + 1, other.end()));
    // Replaying a run's own schedule reproduces it exactly.
    SimOptions replay = options;
    replay.seed = 17;
    replay.schedule = first.schedule;
    CHECK(run_simulation(replay).trace == first.trace);
}

TEST_CASE("a short sweep passes every check, with faults and a workload", "[sim]") {
    std::uint64_t hostile = 0, snapshots = 0, reads = 0, removals = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        SimOptions options;
        options.seed = seed;
        options.nodes = 2 + static_cast<int>(seed % 6);  // 2 to 7 nodes
        const SimResult result = run_simulation(options);
        INFO("seed " << seed << ": " << result.failure);
        CHECK(result.ok);
        hostile += result.hostile_refused;
        snapshots += result.snapshots_installed;
        reads += result.reads_by_index;
        removals += result.removals_learned;
    }
    // The sweep really exercises what it claims to.
    CHECK(hostile > 0);
    CHECK(snapshots > 0);
    CHECK(reads > 0);
    CHECK(removals > 0);
}

TEST_CASE("a failing run shrinks to a shorter schedule that fails the same way", "[sim]") {
    SimOptions options;
    options.fault_two_votes = true;
    SimResult failed;
    for (std::uint64_t seed = 1; seed <= 50 && failed.ok; ++seed) {
        options.seed = seed;
        failed = run_simulation(options);
    }
    REQUIRE_FALSE(failed.ok);
    const SimResult shortest = shrink_failure(options, failed, 200);
    CHECK_FALSE(shortest.ok);
    CHECK(shortest.failure.rfind("Election Safety", 0) == 0);
    CHECK(shortest.schedule.size() <= failed.schedule.size());
}

TEST_CASE("granting two votes in one term is caught at once", "[sim]") {
    SimOptions options;
    options.fault_two_votes = true;
    bool caught = false;
    for (std::uint64_t seed = 1; seed <= 50 && !caught; ++seed) {
        options.seed = seed;
        const SimResult result = run_simulation(options);
        caught = !result.ok && result.failure.find("Election Safety") != std::string::npos;
    }
    CHECK(caught);
}

TEST_CASE("Figure 16: elections after a leader crash finish within a few timeouts", "[sim]") {
    ElectionTimeOptions options;
    options.trials = 50;
    const auto times = measure_election_times(options);
    REQUIRE(times.size() == 50);
    for (const auto& t : times) {
        CHECK(t.ms >= options.election_min_timeout / 2);  // nobody notices before the lease and a timeout
        CHECK(t.ms < 10 * options.election_max_timeout);
        CHECK(t.rounds >= 1);
    }
}

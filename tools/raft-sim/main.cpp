// raft-sim: sweeps the Raft fault simulator over seeds, replays one seed, or
// measures election times (the Raft paper's Figure 16).
//
//   raft-sim --seeds 1-10000 [--nodes 5] [--fault old-term|two-votes|stale-reads] [--keeper] [--expect-failure]
//   (--keeper: the first node is a keeper, Config::keeper)
//   raft-sim --seed 42 --trace
//   raft-sim --figure16 [--trials 1000] [--no-prevote]
//
// A failing seed is replayed with faults removed while it still fails the
// same way (--no-shrink to skip), and the short trace is printed.
//
// Exit status: 0 when every seed passed (or, with --expect-failure, when at
// least one seed found a violation), 1 otherwise.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sim/seed_range.hpp"
#include "sim/simulator.hpp"

using namespace rtcmesh;
using namespace rtcmesh::sim;

namespace {

struct Args {
    std::uint64_t first = 1;
    std::uint64_t last = 100;
    int nodes = 5;
    bool trace = false;
    bool figure16 = false;
    int trials = 1000;
    bool expect_failure = false;
    bool pre_vote = true;
    bool shrink = true;
    bool keeper = false;
    std::string fault;
};

bool parse(int argc, char** argv, Args& args) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--seeds") {
            SeedRange range;
            if (!parse_seed_range(value(), range)) return false;
            args.first = range.first;
            args.last = range.last;
        } else if (arg == "--seed") {
            args.first = args.last = std::strtoull(value().c_str(), nullptr, 10);
        } else if (arg == "--nodes") {
            args.nodes = std::atoi(value().c_str());
        } else if (arg == "--trace") {
            args.trace = true;
        } else if (arg == "--fault") {
            args.fault = value();
        } else if (arg == "--expect-failure") {
            args.expect_failure = true;
        } else if (arg == "--figure16") {
            args.figure16 = true;
        } else if (arg == "--no-prevote") {
            args.pre_vote = false;
        } else if (arg == "--keeper") {
            args.keeper = true;
        } else if (arg == "--no-shrink") {
            args.shrink = false;
        } else if (arg == "--trials") {
            args.trials = std::atoi(value().c_str());
        } else {
            return false;
        }
    }
    return args.first <= args.last && args.nodes >= 2 && args.nodes <= 7 &&
           (args.fault.empty() || args.fault == "old-term" || args.fault == "two-votes" || args.fault == "stale-reads");
}

int figure16(const Args& args) {
    ElectionTimeOptions options;
    options.trials = args.trials;
    options.nodes = args.nodes;
    options.pre_vote = args.pre_vote;
    const auto trials = measure_election_times(options);
    if (trials.empty()) {
        std::printf("figure16: no trial elected a new leader\n");
        return 1;
    }
    std::vector<Millis> times;
    std::size_t split = 0, split_in_tail = 0, tail = 0;
    for (const auto& t : trials) {
        times.push_back(t.ms);
        split += t.rounds > 1 ? 1 : 0;
        if (t.ms > 513) ++tail, split_in_tail += t.rounds > 1 ? 1 : 0;  // 513 ms: the paper's worst case
    }
    std::sort(times.begin(), times.end());
    auto at = [&](double q) { return times[std::min(times.size() - 1, static_cast<std::size_t>(q * static_cast<double>(times.size())))]; };
    std::printf("figure16%s: %zu of %d trials, %d nodes, timeouts %lld-%lld ms, broadcast ~%lld ms: median %lld ms, p99 %lld ms, max %lld ms; "
                "split votes in %zu trials; %zu trials over 513 ms, %zu of them after a split vote\n",
                args.pre_vote ? " (PreVote)" : " (no PreVote)", times.size(), args.trials, options.nodes,
                static_cast<long long>(options.election_min_timeout), static_cast<long long>(options.election_max_timeout),
                static_cast<long long>(options.broadcast_ms), static_cast<long long>(at(0.5)), static_cast<long long>(at(0.99)),
                static_cast<long long>(times.back()), split, tail, split_in_tail);
    return times.size() == static_cast<std::size_t>(args.trials) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse(argc, argv, args)) {
        std::fprintf(stderr, "usage: raft-sim --seeds A-B [--nodes 2..7] [--fault old-term|two-votes|stale-reads] [--keeper] [--expect-failure]\n"
                             "       raft-sim --seed S --trace\n       raft-sim --figure16 [--trials N] [--no-prevote]\n");
        return 2;
    }
    if (args.figure16) return figure16(args);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t failures = 0;
    std::uint64_t operations = 0;
    std::uint64_t completed = 0;
    std::uint64_t first_failure = 0;
    std::uint64_t seeds = 0;
    std::uint64_t hostile = 0, snapshots = 0, reads = 0, removals = 0, undecided = 0;
    for (std::uint64_t seed = args.first; seed <= args.last; ++seed) {
        ++seeds;
        SimOptions options;
        options.seed = seed;
        options.nodes = args.nodes;
        options.trace = args.trace;
        options.fault_commit_old_term = args.fault == "old-term";
        options.fault_two_votes = args.fault == "two-votes";
        options.fault_stale_forwarded_reads = args.fault == "stale-reads";
        options.keeper = args.keeper;
        const SimResult result = run_simulation(options);
        operations += result.operations;
        completed += result.completed;
        hostile += result.hostile_refused;
        snapshots += result.snapshots_installed;
        reads += result.reads_by_index;
        removals += result.removals_learned;
        undecided += result.linearizability_undecided ? 1 : 0;
        if (args.trace || !result.ok) {
            if (!result.ok) std::printf("FAIL seed %llu: %s\n", static_cast<unsigned long long>(seed), result.failure.c_str());
            const bool shrink = !result.ok && args.shrink && failures == 0;
            const SimResult shown = shrink ? shrink_failure(options, result) : result;
            if (shrink) {
                std::printf("  shrunk from %zu faults to %zu:\n", result.schedule.size(), shown.schedule.size());
                for (const auto& fault : shown.schedule) std::printf("    step %llu: %s\n", static_cast<unsigned long long>(fault.step), fault.describe().c_str());
                std::printf("  trace of the shrunk run (%s):\n", shown.failure.c_str());
            }
            const std::size_t from = shown.trace.size() > 80 && !args.trace ? shown.trace.size() - 80 : 0;
            for (std::size_t i = from; i < shown.trace.size(); ++i) std::printf("  %s\n", shown.trace[i].c_str());
            if (!result.ok) std::printf("  replay: raft-sim --seed %llu --nodes %d%s%s%s --trace\n", static_cast<unsigned long long>(seed), args.nodes,
                                        args.fault.empty() ? "" : " --fault ", args.fault.c_str(), args.keeper ? " --keeper" : "");
        }
        if (!result.ok) {
            if (failures++ == 0) first_failure = seed;
            if (args.expect_failure) break;  // found: that is all this run had to show
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("raft-sim: %llu seeds (from %llu to %llu), %d nodes%s: %llu operations (%llu answered), %llu failed; %.1f s, %.1f seeds/s\n",
                static_cast<unsigned long long>(seeds), static_cast<unsigned long long>(args.first), static_cast<unsigned long long>(args.first + seeds - 1),
                args.nodes, args.fault.empty() ? "" : (", fault " + args.fault).c_str(), static_cast<unsigned long long>(operations),
                static_cast<unsigned long long>(completed), static_cast<unsigned long long>(failures), seconds,
                static_cast<double>(seeds) / seconds);
    std::printf("raft-sim: exercised %llu hostile messages refused, %llu snapshots installed, %llu ReadIndex reads, %llu removals learned; %llu histories undecided\n",
                static_cast<unsigned long long>(hostile), static_cast<unsigned long long>(snapshots), static_cast<unsigned long long>(reads),
                static_cast<unsigned long long>(removals), static_cast<unsigned long long>(undecided));
    if (args.expect_failure) {
        if (failures > 0) std::printf("raft-sim: the checks caught the fault at seed %llu\n", static_cast<unsigned long long>(first_failure));
        return failures > 0 ? 0 : 1;
    }
    return failures == 0 ? 0 : 1;
}

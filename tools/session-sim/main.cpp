// session-sim: sweeps the session simulator (mesh + Raft over the simulated
// WebRTC) over seeds, or replays one seed with its trace.
//
//   session-sim --seeds 1-2000 [--members 3] [--simultaneous] [--fault stale-reads] [--keeper] [--sealed] [--expect-failure]
//   (--keeper: the first member is a Raft keeper; the others may leave in any number)
//   (--sealed: a room with a secret: pairwise keys, links that prove them, Raft after the proof)
//   session-sim --seed 42 --members 3 --trace
//
// Exit status: 0 when every seed passed (or, with --expect-failure, when at
// least one seed found a violation), 1 otherwise.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "session/session_sim.hpp"
#include "sim/seed_range.hpp"

using namespace rtcmesh::sim;

int main(int argc, char** argv) {
    std::uint64_t first = 1, last = 100;
    int members = 3;
    bool trace = false, expect_failure = false, simultaneous = false, stale_reads = false, keeper = false, sealed = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--seeds") {
            SeedRange range;
            if (!parse_seed_range(value(), range)) return 2;
            first = range.first;
            last = range.last;
        } else if (arg == "--seed") {
            first = last = std::strtoull(value().c_str(), nullptr, 10);
        } else if (arg == "--members") {
            members = std::atoi(value().c_str());
        } else if (arg == "--simultaneous") {
            simultaneous = true;
        } else if (arg == "--fault" && value() == "stale-reads") {
            stale_reads = true;
        } else if (arg == "--expect-failure") {
            expect_failure = true;
        } else if (arg == "--trace") {
            trace = true;
        } else if (arg == "--keeper") {
            keeper = true;
        } else if (arg == "--sealed") {
            sealed = true;
        } else {
            std::fprintf(stderr, "usage: session-sim --seeds A-B [--members 2..7] [--simultaneous] [--fault stale-reads] [--keeper] [--sealed] [--expect-failure] [--trace]\n");
            return 2;
        }
    }
    if (first > last || members < 2 || members > 7) return 2;
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t seeds = 0, failures = 0, first_failure = 0, operations = 0, completed = 0;
    for (std::uint64_t seed = first; seed <= last; ++seed) {
        ++seeds;
        SessionSimOptions options;
        options.seed = seed;
        options.members = members;
        options.simultaneous_join = simultaneous;
        options.fault_stale_forwarded_reads = stale_reads;
        options.trace = trace;
        options.keeper = keeper;
        options.sealed = sealed;
        const SessionSimResult result = run_session_simulation(options);
        operations += result.operations;
        completed += result.completed;
        if (!result.ok) std::printf("FAIL seed %llu: %s\n", static_cast<unsigned long long>(seed), result.failure.c_str());
        if (trace || !result.ok) {
            for (const auto& line : result.trace) std::printf("  %s\n", line.c_str());
            if (!result.ok) std::printf("  replay: session-sim --seed %llu --members %d%s --trace\n", static_cast<unsigned long long>(seed), members,
                                        simultaneous ? " --simultaneous" : "");
        }
        if (!result.ok && failures++ == 0) first_failure = seed;
        if (!result.ok && expect_failure) break;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("session-sim: %llu seeds, %d members%s%s: %llu operations (%llu answered), %llu failed; %.1f s, %.1f seeds/s\n",
                static_cast<unsigned long long>(seeds), members, simultaneous ? ", simultaneous joins" : "",
                stale_reads ? ", fault stale-reads" : "", static_cast<unsigned long long>(operations),
                static_cast<unsigned long long>(completed), static_cast<unsigned long long>(failures), seconds,
                static_cast<double>(seeds) / seconds);
    if (expect_failure) {
        if (failures > 0) std::printf("session-sim: the checks caught the fault at seed %llu\n", static_cast<unsigned long long>(first_failure));
        return failures > 0 ? 0 : 1;
    }
    return failures == 0 ? 0 : 1;
}

// TEST-ONLY ways to break Raft on purpose, so that the simulators and unit
// tests prove their checks catch such bugs (and that attack tests bite with
// a protection off). They are not part of Config: a host that configures a
// node cannot reach them; only code holding the Node can, through
// Node::inject_test_faults(). Never call that outside tests.
#pragma once

namespace rtcmesh::raft {

struct TestFaults {
    bool commit_by_counting_old_term_entries = false;  // breaks the Figure 8 rule (§5.4.2)
    bool grant_two_votes_per_term = false;             // breaks Election Safety (§5.2)
    bool serve_forwarded_reads_as_follower = false;    // answers reads without leadership: stale reads
    bool accept_leader_messages_from_anyone = false;   // lets a non-voter install snapshots and take over
};

}  // namespace rtcmesh::raft

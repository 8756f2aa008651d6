// What waits for a neighbour's channel (src/core/mesh/neighbour_queue.hpp):
// control frames first, then the system lane, then the application's; and a
// bounded budget for frames relayed for others.
#include <catch2/catch.hpp>

#include "core/mesh/neighbour_queue.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

namespace {

SendJob job_for(std::uint32_t id) {
    SendJob job;
    job.message = std::make_shared<OutMessage>();
    job.message_id = id;
    return job;
}

}  // namespace

TEST_CASE("a neighbour's queue serves control frames, then the system lane, then the application's", "[mesh][neighbour_queue]") {
    NeighbourQueue queue;
    CHECK(queue.empty());
    CHECK(queue.next_jobs() == nullptr);
    queue.push_job(app_lane, job_for(1));
    queue.push_job(system_lane, job_for(2));
    queue.push_control(Bytes{9});
    CHECK(queue.pop_control() == Bytes{9});
    CHECK_FALSE(queue.pop_control().has_value());
    NeighbourQueue::Jobs* jobs = queue.next_jobs();
    REQUIRE(jobs != nullptr);
    CHECK(jobs->front().message_id == 2);
    jobs->pop_front();
    // A system job queued while the application's waits goes first.
    queue.push_job(system_lane, job_for(3));
    CHECK(queue.next_jobs()->front().message_id == 3);
    queue.next_jobs()->pop_front();
    CHECK(queue.has_jobs(app_lane));
    CHECK_FALSE(queue.has_jobs(system_lane));
    CHECK(queue.next_jobs()->front().message_id == 1);
    queue.next_jobs()->pop_front();
    CHECK(queue.empty());
}

TEST_CASE("frames relayed for others stay within their budget, and free it as they go", "[mesh][neighbour_queue]") {
    NeighbourQueue queue;
    CHECK(queue.push_relayed(app_lane, Bytes(60, 1), 100));
    CHECK_FALSE(queue.push_relayed(app_lane, Bytes(41, 2), 100));  // dropped: the origin retransmits
    CHECK(queue.push_relayed(system_lane, Bytes(40, 3), 100));
    CHECK(queue.take_relayed(*queue.next_jobs()) == Bytes(40, 3));  // the system lane's first
    CHECK(queue.push_relayed(app_lane, Bytes(40, 4), 100));         // room again
    CHECK(queue.take_relayed(*queue.next_jobs()) == Bytes(60, 1));
    CHECK(queue.take_relayed(*queue.next_jobs()) == Bytes(40, 4));
    CHECK(queue.empty());
}

TEST_CASE("a cleared queue holds nothing and has its whole relay budget", "[mesh][neighbour_queue]") {
    NeighbourQueue queue;
    queue.push_control(Bytes{1});
    queue.push_job(system_lane, job_for(1));
    CHECK(queue.push_relayed(app_lane, Bytes(100, 1), 100));
    queue.clear();
    CHECK(queue.empty());
    CHECK_FALSE(queue.pop_control().has_value());
    CHECK(queue.push_relayed(app_lane, Bytes(100, 2), 100));
}

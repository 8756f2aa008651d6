// When a lane's receiver acknowledges (src/core/mesh/ack_schedule.hpp).
#include <catch2/catch.hpp>

#include "core/mesh/ack_schedule.hpp"

using rtcmesh::mesh::AckSchedule;

namespace {
const AckSchedule::Policy kPolicy{4, 1000, 200};
}

TEST_CASE("an ack goes at once after enough messages, else after the delay", "[mesh][acks]") {
    AckSchedule acks;
    CHECK_FALSE(acks.due());
    CHECK_FALSE(acks.on_delivered(10, 1, 100, kPolicy));
    CHECK(acks.due());
    CHECK(acks.due_at() == 300);
    CHECK_FALSE(acks.on_delivered(10, 3, 150, kPolicy));
    CHECK(acks.due_at() == 300);  // the first message it covers sets the time
    CHECK_FALSE(acks.due_now(299));
    CHECK(acks.due_now(300));
    CHECK(acks.on_delivered(10, 4, 160, kPolicy));  // the fourth since the last ack: at once
    CHECK(acks.take(4) == 4);
    CHECK_FALSE(acks.due());
    CHECK_FALSE(acks.on_delivered(10, 7, 170, kPolicy));  // counted from the last ack
    CHECK(acks.on_delivered(10, 8, 170, kPolicy));
}

TEST_CASE("an ack goes at once after enough bytes", "[mesh][acks]") {
    AckSchedule acks;
    CHECK_FALSE(acks.on_delivered(999, 1, 0, kPolicy));
    CHECK(acks.on_delivered(1, 2, 0, kPolicy));
    acks.take(2);
    CHECK_FALSE(acks.on_delivered(999, 3, 0, kPolicy));  // the bytes count from the last ack too
}

TEST_CASE("a duplicate makes an ack due at once; a restart forgets everything", "[mesh][acks]") {
    AckSchedule acks;
    acks.on_delivered(10, 1, 100, kPolicy);
    acks.on_duplicate(120);
    CHECK(acks.due_now(120));  // earlier than the delay's 300
    acks.take(1);
    acks.on_delivered(10, 3, 130, kPolicy);
    acks.reset();
    CHECK_FALSE(acks.due());
    CHECK_FALSE(acks.on_delivered(10, 3, 140, kPolicy));  // ids count from 0 again: 3 < 4
    CHECK(acks.on_delivered(10, 4, 140, kPolicy));
}

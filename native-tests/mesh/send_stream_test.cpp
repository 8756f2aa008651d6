// The sending side of a lane (src/core/mesh/send_stream.hpp): ids, copies
// kept until acknowledged, what a failed route or a restart puts back, and
// when a stalled stream is sent again.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "core/mesh/send_stream.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

namespace {

std::shared_ptr<const Bytes> bytes_of(std::size_t size) { return std::make_shared<const Bytes>(size, std::uint8_t{7}); }

constexpr std::size_t kNoLimit = 1u << 30;
constexpr Millis kTimeout = 4000;

std::vector<std::uint32_t> waiting_ids(SendStream& stream) {
    std::vector<std::uint32_t> ids;
    stream.for_each_waiting([&](const std::shared_ptr<OutMessage>& m) { ids.push_back(m->id); });
    return ids;
}

}  // namespace

TEST_CASE("a send stream numbers its messages and keeps them until acknowledged", "[mesh][send_stream]") {
    SendStream stream;
    const auto first = stream.push(bytes_of(100), 0, kNoLimit, 0);
    const auto second = stream.push(bytes_of(50), 0, kNoLimit, 0);
    const auto third = stream.push(bytes_of(25), 0, kNoLimit, 0);
    CHECK(first->id == 1);
    CHECK(second->id == 2);
    CHECK(third->id == 3);
    CHECK(stream.queued_bytes() == 175);
    stream.acknowledge(2, 10);
    CHECK(first->dead);
    CHECK(second->dead);
    CHECK_FALSE(third->dead);
    CHECK(stream.queued_bytes() == 25);
    CHECK(waiting_ids(stream) == std::vector<std::uint32_t>{3});
}

TEST_CASE("a send stream refuses a message that would pass its byte limit, and keeps the others", "[mesh][send_stream]") {
    SendStream stream;
    REQUIRE(stream.push(bytes_of(60), 0, 100, 0));
    CHECK_FALSE(stream.push(bytes_of(41), 0, 100, 0));
    CHECK(stream.queued_bytes() == 60);
    const auto fits = stream.push(bytes_of(40), 0, 100, 0);
    REQUIRE(fits);
    CHECK(fits->id == 2);  // the refused message took no id
}

TEST_CASE("a failed route puts back only the messages it carried", "[mesh][send_stream]") {
    SendStream stream;
    const PeerHash direct = 11, relay = 22;
    const auto a = stream.push(bytes_of(1), 0, kNoLimit, 0);
    const auto b = stream.push(bytes_of(1), 0, kNoLimit, 0);
    const auto c = stream.push(bytes_of(1), 0, kNoLimit, 0);
    a->via = direct;
    b->via = relay;
    b->sent = true;
    c->via = relay;
    CHECK(waiting_ids(stream).empty());
    CHECK(stream.unroute_via(relay));
    CHECK(waiting_ids(stream) == std::vector<std::uint32_t>{2, 3});
    CHECK_FALSE(b->sent);
    CHECK_FALSE(stream.unroute_via(relay));  // none left on it

    b->via = relay;
    stream.unroute_relayed(direct);  // the direct link is back
    CHECK(waiting_ids(stream) == std::vector<std::uint32_t>{2, 3});
    CHECK(a->via == direct);
}

TEST_CASE("a restarted peer gets the unacknowledged messages again, renumbered from 1", "[mesh][send_stream]") {
    SendStream stream;
    for (int i = 0; i < 4; ++i) stream.push(bytes_of(10), 0, kNoLimit, 0)->via = 5;
    stream.acknowledge(2, 0);
    std::vector<std::shared_ptr<OutMessage>> before;
    stream.for_each_waiting([&](const auto& m) { before.push_back(m); });
    CHECK(before.empty());
    stream.restart(100);
    CHECK(waiting_ids(stream) == std::vector<std::uint32_t>{1, 2});
    CHECK(stream.queued_bytes() == 20);
    CHECK(stream.push(bytes_of(10), 0, kNoLimit, 100)->id == 3);
}

TEST_CASE("the old copies of a restarted stream die, so jobs queued with them skip them", "[mesh][send_stream]") {
    SendStream stream;
    const auto old = stream.push(bytes_of(10), 0, kNoLimit, 0);
    stream.restart(0);
    CHECK(old->dead);
    stream.for_each_waiting([&](const auto& m) { CHECK_FALSE(m->dead); });
}

TEST_CASE("a stream with no ack for the timeout sends its sent messages again", "[mesh][send_stream]") {
    SendStream stream;
    CHECK(stream.stalled_at(kTimeout) == -1);  // nothing sent
    const auto a = stream.push(bytes_of(1), 0, kNoLimit, 0);
    const auto b = stream.push(bytes_of(1), 0, kNoLimit, 0);
    CHECK(stream.stalled_at(kTimeout) == -1);  // not sent yet: nothing to time
    a->via = b->via = 9;
    a->sent = true;
    a->sent_at = 1000;
    CHECK(stream.has_unsent());
    CHECK(stream.stalled_at(kTimeout) == 1000 + kTimeout);
    CHECK_FALSE(stream.take_stalled(1000 + kTimeout - 1, kTimeout));
    CHECK(stream.take_stalled(1000 + kTimeout, kTimeout));
    CHECK(waiting_ids(stream) == std::vector<std::uint32_t>{1});  // b was never sent: still on its route
    CHECK(b->via == 9);

    // An ack that frees a message restarts the clock for the rest.
    a->via = 9;
    a->sent = true;
    b->sent = true;
    b->sent_at = 6000;
    stream.acknowledge(1, 8000);
    CHECK(stream.stalled_at(kTimeout) == 8000 + kTimeout);
    CHECK_FALSE(stream.has_unsent());
}

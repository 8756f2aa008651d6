// Frame codec and receive-stream unit tests.
#include <catch2/catch.hpp>

#include <algorithm>

#include "core/mesh/frame.hpp"
#include "core/mesh/peer_link.hpp"
#include "core/mesh/receive_stream.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

TEST_CASE("frame header round-trips", "[frame]") {
    FrameHeader h;
    h.type = FrameType::data;
    h.flags = flag_text;
    h.hops_left = 2;
    h.origin = 0xdeadbeef;
    h.origin_epoch = 7;
    h.destination = 0x01020304;
    h.destination_epoch = 9;
    h.message_id = 42;
    h.chunk_index = 0;
    h.total_length = 3;
    const std::uint8_t payload[3] = {1, 2, 3};
    const Bytes frame = encode_frame(h, payload, 3);
    REQUIRE(frame.size() == kHeaderSize + 3);
    const auto d = decode_frame(frame, 1024);
    REQUIRE(d.header);
    CHECK(d.header->flags == flag_text);
    CHECK(d.header->origin == 0xdeadbeef);
    CHECK(d.header->origin_epoch == 7);
    CHECK(d.header->destination == 0x01020304);
    CHECK(d.header->destination_epoch == 9);
    CHECK(d.header->message_id == 42);
    CHECK(d.header->total_length == 3);
}

TEST_CASE("a data frame carries an ack after its payload, which stripping leaves out", "[frame][ack]") {
    FrameHeader h;
    h.origin = 5;
    h.message_id = 3;
    h.total_length = 3;
    h.flags = flag_text | flag_ack;
    h.ack_upto = 0x01020304;
    const std::uint8_t payload[3] = {7, 8, 9};
    Bytes frame = encode_frame(h, payload, 3);
    REQUIRE(frame.size() == kHeaderSize + 3 + kAckTrailerSize);
    auto d = decode_frame(frame, 1024);
    REQUIRE(d.header);
    CHECK(d.header->ack_upto == 0x01020304);
    CHECK(d.header->total_length == 3);
    strip_ack_trailer(*d.header, frame);
    CHECK(d.header->flags == flag_text);
    REQUIRE(frame.size() == kHeaderSize + 3);
    CHECK(Bytes(frame.begin() + kHeaderSize, frame.end()) == Bytes{7, 8, 9});

    SECTION("only on a data frame without an end-to-end tag, and whole") {
        FrameHeader ack = h;
        ack.type = FrameType::ack;
        ack.total_length = 0;
        CHECK(decode_frame(encode_frame(ack, nullptr, 0), 1024).error.find("cannot carry") != std::string::npos);
        Bytes tagged = encode_frame(h, payload, 3);
        tagged[2] |= flag_relay_tag;
        tagged.resize(tagged.size() + kRelayTagSize);
        CHECK(decode_frame(tagged, 1024).error.find("cannot carry") != std::string::npos);
        Bytes cut = encode_frame(h, payload, 0);
        cut.resize(kHeaderSize + 2);  // half an ack
        CHECK_FALSE(decode_frame(cut, 1024).header);
    }
}

TEST_CASE("window frames carry their byte count and must be single empty frames", "[frame]") {
    FrameHeader h;
    h.type = FrameType::window;
    h.origin = 5;
    h.message_id = 300'000;  // bytes received since the last window frame
    const Bytes frame = encode_frame(h, nullptr, 0);
    const auto d = decode_frame(frame, 1024);
    REQUIRE(d.header);
    CHECK(d.header->type == FrameType::window);
    CHECK(d.header->message_id == 300'000);
    h.chunk_index = 1;  // control frames are never split
    CHECK_FALSE(decode_frame(encode_frame(h, nullptr, 0), 1024).header);
    Bytes next_type = frame;
    next_type[1] = static_cast<std::uint8_t>(FrameType::link_proof) + 1;  // the last type there is
    CHECK(decode_frame(next_type, 1024).error.find("unknown type") != std::string::npos);
}

TEST_CASE("malformed frames are rejected with a reason", "[frame]") {
    FrameHeader h;
    h.origin = 5;
    h.message_id = 1;
    h.total_length = 4;
    const std::uint8_t payload[4] = {};
    Bytes good = encode_frame(h, payload, 4);
    CHECK(decode_frame(good, 100).header);
    CHECK_FALSE(decode_frame(Bytes(10), 100).header);
    Bytes bad_version = good;
    bad_version[0] = 9;
    CHECK(decode_frame(bad_version, 100).error.find("version") != std::string::npos);
    bad_version[0] = 1;  // before lanes and window frames: not understood
    CHECK(decode_frame(bad_version, 100).error.find("unsupported version 1") != std::string::npos);
    bad_version[0] = 3;  // before acks on data frames: its acks would be read as payload
    CHECK(decode_frame(bad_version, 100).error.find("unsupported version 3") != std::string::npos);
    Bytes bad_type = good;
    bad_type[1] = 77;
    CHECK_FALSE(decode_frame(bad_type, 100).header);
    Bytes known_flags = good;
    known_flags[2] = flag_text | flag_system | flag_channel;
    CHECK(decode_frame(known_flags, 100).header);
    Bytes unknown_flag = good;
    unknown_flag[2] = 32;
    CHECK(decode_frame(unknown_flag, 100).error.find("unknown flags") != std::string::npos);
    CHECK_FALSE(decode_frame(good, 3).header);  // over the size limit
    Bytes longer = good;
    longer.push_back(1);
    CHECK_FALSE(decode_frame(longer, 100).header);
}

TEST_CASE("peer lists and sdp session ids parse strictly", "[frame]") {
    const Bytes list = encode_peer_list({1, 2, 3});
    // A zeroed header followed by the list (assign+copy rather than insert:
    // GCC 12 reports a false -Warray-bounds on vector::insert here).
    Bytes framed(kHeaderSize + list.size(), 0);
    std::copy(list.begin(), list.end(), framed.begin() + kHeaderSize);
    REQUIRE(decode_peer_list(framed, kHeaderSize));
    CHECK(decode_peer_list(framed, kHeaderSize)->size() == 3);
    framed.pop_back();
    CHECK_FALSE(decode_peer_list(framed, kHeaderSize));
    CHECK(sdp_session_id("v=0\r\no=- 123 2 IN IP4 1.2.3.4\r\n") == std::optional<std::string>("123"));
    CHECK_FALSE(sdp_session_id("hello"));
    CHECK_FALSE(sdp_session_id("v=0\r\no=-\r\n"));
    CHECK(peer_hash("") != 0);
}

TEST_CASE("receive stream reorders, dedups and honours limits", "[frame]") {
    ReceiveStream s;
    ReassemblyBudget budget;
    ReassemblyLimits limits;
    limits.max_bytes = 1000;
    std::vector<Delivery> ready;
    std::string error;
    auto frame = [](std::uint32_t id, std::uint32_t index, std::uint32_t total, std::size_t len) {
        FrameHeader h;
        h.origin = 1;
        h.message_id = id;
        h.chunk_index = index;
        h.total_length = total;
        Bytes payload(len, static_cast<std::uint8_t>(id));
        return std::make_pair(h, encode_frame(h, payload.data(), len));
    };
    auto feed = [&](std::uint32_t id, std::uint32_t index, std::uint32_t total, std::size_t len, Handle via = 1) {
        auto [h, f] = frame(id, index, total, len);
        return s.on_data(h, std::move(f), via, 0, budget, limits, ready, error);
    };
    CHECK(feed(2, 0, 3, 3) == ReceiveStream::Outcome::accepted);  // early: waits
    CHECK(ready.empty());
    CHECK(feed(1, 0, 10, 4) == ReceiveStream::Outcome::accepted);  // first chunk of 1
    CHECK(feed(1, 1, 10, 6) == ReceiveStream::Outcome::accepted);  // completes 1, releases 2
    REQUIRE(ready.size() == 2);
    CHECK(ready[0].data.size() == 10);
    CHECK(ready[1].data.size() == 3);
    CHECK(feed(1, 0, 10, 10) == ReceiveStream::Outcome::duplicate);
    CHECK(budget.bytes == 0);
    CHECK(budget.messages == 0);
    // A declared length reserves nothing: only bytes that arrived count.
    CHECK(feed(3, 0, 2000, 10) == ReceiveStream::Outcome::accepted);
    CHECK(budget.bytes == 10);
    CHECK(budget.messages == 1);
    std::uint32_t index = 1;
    auto outcome = ReceiveStream::Outcome::accepted;
    for (; index < 200 && outcome == ReceiveStream::Outcome::accepted; ++index) outcome = feed(3, index, 2000, 10);
    CHECK(outcome == ReceiveStream::Outcome::rejected);  // over the byte budget
    CHECK(index == 101);                                 // the chunk that would hold 1010 bytes
    CHECK(error.find("reassembly limit") != std::string::npos);
    CHECK(budget.bytes == 0);  // the refused message's bytes are given back
    CHECK(budget.messages == 0);
    error.clear();
    CHECK(feed(3, 0, 100, 10) == ReceiveStream::Outcome::accepted);
    CHECK(feed(3, 2, 100, 10) == ReceiveStream::Outcome::rejected);  // skipped a chunk
    CHECK(error.find("malformed") != std::string::npos);
    CHECK(budget.bytes == 0);
}

TEST_CASE("partial messages time out and release their budget", "[frame]") {
    ReceiveStream s;
    ReassemblyBudget budget;
    ReassemblyLimits limits;
    limits.timeout_ms = 1000;
    std::vector<Delivery> ready;
    std::string error;
    FrameHeader h;
    h.origin = 1;
    h.message_id = 1;
    h.total_length = 100;
    const Bytes payload(10, 1);
    CHECK(s.on_data(h, encode_frame(h, payload.data(), payload.size()), 1, 0, budget, limits, ready, error) ==
          ReceiveStream::Outcome::accepted);
    CHECK(budget.bytes == 10);  // what arrived, not the 100 declared
    CHECK(s.expire(500, budget, limits) == 0);
    CHECK(s.expire(1500, budget, limits) == 1);
    CHECK(budget.bytes == 0);
    CHECK(budget.messages == 0);
}

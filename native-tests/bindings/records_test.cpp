// The records that carry options, statuses and snapshots across the wasm
// boundary (src/bindings/records.hpp; js/api/core-abi.js is the JS side).
// The codec is plain C++, so it is tested here rather than only through wasm.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "bindings/records.hpp"

using rtcmesh::Bytes;
using rtcmesh::bindings::Record;
using rtcmesh::bindings::RecordWriter;
using rtcmesh::bindings::Tag;
using rtcmesh::bindings::read_records;

namespace {

// The records of a finished buffer, without its leading byte count.
std::vector<Record> read_all(const Bytes& buffer, std::size_t cut = 0) {
    std::vector<Record> out;
    read_records(buffer.data() + 4, buffer.size() - 4 - cut, [&](const Record& record) { out.push_back(record); });
    return out;
}

}  // namespace

TEST_CASE("records round-trip every tag", "[bindings]") {
    const Bytes data{0, 1, 255};
    const Bytes buffer = RecordWriter()
                             .number("seed", 12345.5)
                             .boolean("relay", true)
                             .boolean("keeper", false)
                             .text("id", "alice")
                             .bytes("data", data)
                             .texts("peers", {"alice", "", "bob"})
                             .finish();
    std::uint32_t size = 0;
    std::memcpy(&size, buffer.data(), 4);
    REQUIRE(size == buffer.size() - 4);

    const auto records = read_all(buffer);
    REQUIRE(records.size() == 6);
    double seed = 0;
    CHECK(records[0].number_into("seed", seed));
    CHECK(seed == 12345.5);
    CHECK(records[1].is_bool());
    CHECK(records[1].truth());
    CHECK(records[2].tag == Tag::no);
    CHECK(records[3].is("id"));
    CHECK(records[3].text() == "alice");
    CHECK(records[4].bytes() == data);
    CHECK(records[5].texts == std::vector<std::string>{"alice", "", "bob"});
    // A number is read only under its own name and only as a number.
    int other = 7;
    CHECK_FALSE(records[0].number_into("maxPeers", other));
    CHECK_FALSE(records[3].number_into("id", other));
    CHECK(other == 7);
}

TEST_CASE("a cut record stops the reader at the last whole one", "[bindings]") {
    const Bytes buffer = RecordWriter().text("label", "mesh").texts("peers", {"alice", "bob"}).finish();
    const std::size_t whole = read_all(buffer).size();
    REQUIRE(whole == 2);
    // Every shorter buffer gives the records that fit, never more, and
    // never reads past its end (ASan in the sanitize build).
    for (std::size_t cut = 1; cut < buffer.size() - 4; ++cut) {
        const auto records = read_all(buffer, cut);
        CHECK(records.size() <= 1);
        if (!records.empty()) CHECK(records[0].text() == "mesh");
    }
}

TEST_CASE("an unknown tag ends the records", "[bindings]") {
    Bytes buffer = RecordWriter().text("a", "x").finish();
    buffer.insert(buffer.end(), {9, 1, 'b', 1, 2, 3});
    buffer.insert(buffer.end(), {1, 1, 'c', 0, 0, 0, 0, 0, 0, 0, 0});
    const auto records = read_all(buffer);
    REQUIRE(records.size() == 1);
    CHECK(records[0].is("a"));
}

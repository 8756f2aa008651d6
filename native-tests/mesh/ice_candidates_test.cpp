// Options::tcp_candidates: ICE-TCP candidates can be left out of a mesh's
// links, in both directions, trickled or inside an SDP.
#include <catch2/catch.hpp>

#include <string>

#include "core/mesh/ice_candidates.hpp"
#include "core/mesh/mesh.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

namespace {

const std::string kUdp = "candidate:3229573512 1 udp 2122194687 192.0.2.2 48984 typ host generation 0 ufrag cVxO network-id 1";
const std::string kTcp = "candidate:2398920056 1 tcp 1518214911 192.0.2.2 54359 typ host tcptype passive generation 0 ufrag cVxO";

std::string as_json(const std::string& candidate) {
    return R"({"candidate":")" + candidate + R"(","sdpMid":"0","sdpMLineIndex":0})";
}

// A mesh of a with peer b, and the handle of the connection it made to b.
Handle start(Mesh& m) {
    m.update(0);
    for (const auto& c : m.take_commands())
        if (c.kind == CommandKind::create_peer_connection) return c.pc;
    return 0;
}

int candidates_sent(Mesh& m) {
    int n = 0;
    for (const auto& e : m.take_events()) n += e.kind == EventKind::icecandidate;
    return n;
}

int candidates_added(Mesh& m) {
    int n = 0;
    for (const auto& c : m.take_commands()) n += c.kind == CommandKind::add_ice_candidate;
    return n;
}

}  // namespace

TEST_CASE("TCP candidates are told from UDP ones, bare, in JSON and in an SDP", "[mesh][ice]") {
    CHECK(is_tcp_candidate(kTcp));
    CHECK(is_tcp_candidate(as_json(kTcp)));
    CHECK(is_tcp_candidate("a=candidate:1 1 TCP 1518214911 ::1 9 typ host tcptype active"));
    CHECK_FALSE(is_tcp_candidate(kUdp));
    CHECK_FALSE(is_tcp_candidate(as_json(kUdp)));
    CHECK_FALSE(is_tcp_candidate(""));  // the end of candidates
    CHECK_FALSE(is_tcp_candidate("candidate:"));
    CHECK_FALSE(is_tcp_candidate("candidate:1 1"));
    CHECK_FALSE(is_tcp_candidate("candidate:1 1 tcpx 1 ::1 9 typ host"));

    const std::string sdp = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=" + kUdp + "\r\na=" + kTcp +
                            "\r\na=fingerprint:sha-256 AB\r\n";
    CHECK(without_tcp_candidates(sdp) ==
          "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=" + kUdp + "\r\na=fingerprint:sha-256 AB\r\n");
    CHECK(without_tcp_candidates("no newline at the end") == "no newline at the end");
}

TEST_CASE("with tcp_candidates off, a mesh neither sends nor uses TCP candidates", "[mesh][ice]") {
    for (const bool tcp : {true, false}) {
        CAPTURE(tcp);
        Options options;
        options.id = "a";
        options.peers = {"a", "b"};
        options.tcp_candidates = tcp;
        Mesh m(options, 1);
        const Handle pc = start(m);
        REQUIRE(pc != 0);
        m.take_events();
        m.on_local_candidate(pc, as_json(kUdp));
        m.on_local_candidate(pc, as_json(kTcp));
        CHECK(candidates_sent(m) == (tcp ? 2 : 1));

        // b's answer, carrying one candidate of each kind, and two trickled.
        m.on_local_description(pc, SdpType::offer, "v=0\r\n");
        m.take_events();
        m.take_commands();
        REQUIRE(m.add_answer("b", "v=0\r\no=- 7 1 IN IP4 0.0.0.0\r\na=" + kUdp + "\r\na=" + kTcp + "\r\n").ok());
        bool tcp_in_answer = false;
        for (const auto& c : m.take_commands())
            if (c.kind == CommandKind::set_remote_description) tcp_in_answer = c.text.find(" tcp ") != std::string::npos;
        CHECK(tcp_in_answer == tcp);
        m.on_remote_description_set(pc);
        m.take_commands();
        REQUIRE(m.add_ice_candidate("b", as_json(kUdp)).ok());
        REQUIRE(m.add_ice_candidate("b", as_json(kTcp)).ok());  // not an error: left out
        CHECK(candidates_added(m) == (tcp ? 2 : 1));
    }
}

// ICE-TCP candidates (RFC 6544), found in a trickled candidate or in an SDP,
// for Options::tcp_candidates.
#pragma once

#include <string>
#include <string_view>

namespace rtcmesh::mesh {

// True when `candidate` (an a=candidate line, or a candidate's JSON whose
// `candidate` field holds one) names the TCP transport.
bool is_tcp_candidate(std::string_view candidate);

// `sdp` without its TCP candidate lines.
std::string without_tcp_candidates(std::string_view sdp);

}  // namespace rtcmesh::mesh

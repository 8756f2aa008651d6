#include "core/mesh/ice_candidates.hpp"

#include <cctype>

namespace rtcmesh::mesh {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

}  // namespace

// candidate:<foundation> <component> <transport> <priority> <address> ...
bool is_tcp_candidate(std::string_view candidate) {
    const auto start = candidate.find("candidate:");
    if (start == std::string_view::npos) return false;
    std::string_view rest = candidate.substr(start + 10);
    for (int field = 0; field < 3; ++field) {
        const auto begin = rest.find_first_not_of(' ');
        if (begin == std::string_view::npos) return false;
        rest = rest.substr(begin);
        const auto end = rest.find_first_of(" \"\r\n");
        const std::string_view token = rest.substr(0, end);
        if (field == 2) return equals_ignoring_case(token, "tcp");
        if (end == std::string_view::npos) return false;
        rest = rest.substr(end);
    }
    return false;
}

std::string without_tcp_candidates(std::string_view sdp) {
    std::string kept;
    kept.reserve(sdp.size());
    while (!sdp.empty()) {
        const auto end = sdp.find('\n');
        const std::string_view line = sdp.substr(0, end == std::string_view::npos ? sdp.size() : end + 1);
        if (!(line.rfind("a=candidate:", 0) == 0 && is_tcp_candidate(line))) kept.append(line);
        sdp.remove_prefix(line.size());
    }
    return kept;
}

}  // namespace rtcmesh::mesh

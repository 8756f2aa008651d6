#include "core/raft/types.hpp"

#include <algorithm>

namespace rtcmesh::raft {

namespace {
bool sorted_contains(const std::vector<std::string>& list, const std::string& value) {
    return std::binary_search(list.begin(), list.end(), value);
}
void sorted_insert(std::vector<std::string>& list, const std::string& value) {
    auto it = std::lower_bound(list.begin(), list.end(), value);
    if (it == list.end() || *it != value) list.insert(it, value);
}
void sorted_erase(std::vector<std::string>& list, const std::string& value) {
    auto it = std::lower_bound(list.begin(), list.end(), value);
    if (it != list.end() && *it == value) list.erase(it);
}
}  // namespace

bool Membership::is_voter(const std::string& address) const { return sorted_contains(voters, address); }
bool Membership::is_learner(const std::string& address) const { return sorted_contains(learners, address); }

void Membership::add_voter(const std::string& address) {
    sorted_erase(learners, address);
    sorted_insert(voters, address);
}

void Membership::add_learner(const std::string& address) {
    sorted_erase(voters, address);
    sorted_insert(learners, address);
}

void Membership::remove(const std::string& address) {
    sorted_erase(voters, address);
    sorted_erase(learners, address);
}

const char* role_name(Role role) {
    switch (role) {
        case Role::Follower: return "follower";
        case Role::PreCandidate: return "pre-candidate";
        case Role::Candidate: return "candidate";
        case Role::Leader: return "leader";
    }
    return "unknown";
}

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::none: return "none";
        case ErrorCode::closed: return "closed";
        case ErrorCode::not_leader: return "not_leader";
        case ErrorCode::bad_argument: return "bad_argument";
        case ErrorCode::too_large: return "too_large";
        case ErrorCode::bad_message: return "bad_message";
        case ErrorCode::unknown_peer: return "unknown_peer";
        case ErrorCode::busy: return "busy";
        case ErrorCode::log_full: return "log_full";
        case ErrorCode::forward_failed: return "forward_failed";
    }
    return "unknown";
}

}  // namespace rtcmesh::raft

// Requests made on any member (etcd's stepFollower): a follower forwards a
// proposal or a linearizable read to the leader it knows, the leader serves
// it as its own and answers the requester, and the requester accepts the
// answer only from the node it asked. Requests wait (until their deadline)
// while no leader is known, and follow the leader when it changes.
#include "core/raft/node.hpp"

namespace rtcmesh::raft {

Status Node::submit(std::uint64_t request_id, Bytes data) {
    if (closed_ || closing_) return Status::failure(ErrorCode::closed, "cannot propose: the node is closing or closed");
    if (data.size() > config_.max_entry_bytes)
        return Status::failure(ErrorCode::too_large, "cannot propose " + std::to_string(data.size()) + " bytes: the limit is " +
                               std::to_string(config_.max_entry_bytes) + " bytes per entry");
    if (role_ == Role::Leader) {
        auto proposed = propose(std::move(data));
        if (!proposed.ok()) return Status::failure(proposed.code, proposed.error);
        emit(Submitted{request_id, proposed.value->index, proposed.value->term});
        return ok_status();
    }
    forward(Forward{Forward::Kind::Propose, request_id, std::move(data), {}, now_ + config_.forward_timeout});
    return ok_status();
}

Status Node::read(std::uint64_t request_id) {
    if (closed_ || closing_) return Status::failure(ErrorCode::closed, "cannot read: the node is closing or closed");
    if (role_ == Role::Leader) return read_index(request_id);
    forward(Forward{Forward::Kind::Read, request_id, {}, {}, now_ + config_.forward_timeout});
    return ok_status();
}

void Node::forward(Forward request) {
    const std::uint64_t id = request.request_id;
    auto [it, fresh] = forwards_.insert_or_assign(id, std::move(request));
    send_forward(it->second);
}

void Node::send_forward(Forward& request) {
    if (leader_.empty() || leader_ == config_.address) return;  // waits for a leader
    request.sent_to = leader_;
    const bool proposal = request.kind == Forward::Kind::Propose;
    send(Message{.type = proposal ? MessageType::ForwardPropose : MessageType::ForwardRead,
                 .to = leader_,
                 .request = request.request_id,
                 .payload = proposal ? request.data : Bytes{}});
}

// The leader changed: requests waiting for one go out now; requests at a
// node that is no longer the leader go to the new one (their answer, if the
// old leader still sends it, is then refused).
void Node::route_waiting_forwards() {
    if (forwards_.empty()) return;
    if (role_ == Role::Leader) {
        auto mine = std::move(forwards_);
        forwards_.clear();
        for (auto& [id, request] : mine) {
            if (request.kind == Forward::Kind::Read) {
                if (auto status = read_index(id); !status.ok()) fail_read(id, status.error, status.code);
            } else if (request.sent_to.empty()) {  // never reached a leader: ours to append
                auto proposed = propose(std::move(request.data));
                if (proposed.ok()) emit(Submitted{id, proposed.value->index, proposed.value->term});
                else emit(SubmitFailed{id, proposed.error, proposed.code});
            } else {  // the old leader may have appended it: do not append it twice
                emit(SubmitFailed{id, "the leader changed before it answered; the entry may or may not be committed",
                                  ErrorCode::forward_failed});
            }
        }
        return;
    }
    for (auto& [id, request] : forwards_)
        if (request.sent_to.empty() || (request.kind == Forward::Kind::Read && request.sent_to != leader_)) send_forward(request);
}

void Node::expire_forwards() {
    for (auto it = forwards_.begin(); it != forwards_.end();) {
        if (now_ < it->second.deadline) {
            ++it;
            continue;
        }
        const std::string reason = it->second.sent_to.empty()
                                       ? "no leader was known within " + std::to_string(config_.forward_timeout) + " ms"
                                       : "the leader '" + it->second.sent_to + "' did not answer within " +
                                             std::to_string(config_.forward_timeout) + " ms";
        const Forward request = std::move(it->second);
        it = forwards_.erase(it);
        fail_forward(request, reason, ErrorCode::forward_failed);
    }
}

void Node::fail_forward(const Forward& request, const std::string& reason, ErrorCode code) {
    if (request.kind == Forward::Kind::Read) {
        emit(ReadFailed{request.request_id, reason, code});
    } else {
        emit(SubmitFailed{request.request_id, reason, code});
    }
}

// At the leader: serve a follower's request as our own, and answer it.
void Node::handle_forward_request(const Message& m) {
    const bool proposal = m.type == MessageType::ForwardPropose;
    const MessageType reply = proposal ? MessageType::ForwardProposeReply : MessageType::ForwardReadReply;
    auto refuse = [&](const std::string& why) {
        send(Message{.type = reply, .to = m.from, .reject = true, .request = m.request, .payload = Bytes(why.begin(), why.end())});
    };
    if (!proposal && role_ != Role::Leader && faults_.serve_forwarded_reads_as_follower) {  // TEST-ONLY fault
        send(Message{.type = reply, .to = m.from, .index = commit_, .request = m.request});
        return;
    }
    if (role_ != Role::Leader) return refuse(not_leader_message(proposal ? "cannot propose" : "cannot read"));
    if (proposal) {
        const auto key = std::make_pair(m.from, m.request);
        auto seen = appended_forwards_.find(key);
        if (seen == appended_forwards_.end()) {
            auto proposed = propose(Bytes(m.payload));
            if (!proposed.ok()) return refuse(proposed.error);
            seen = remember_forward(key, proposed.value->index, proposed.value->term);
        }
        send(Message{.type = reply, .to = m.from, .log_term = seen->second.second, .index = seen->second.first, .request = m.request});
        return;
    }
    const std::uint64_t internal = next_forwarded_read_++;
    forwarded_reads_[internal] = {m.from, m.request};
    if (auto status = read_index(internal); !status.ok()) {
        forwarded_reads_.erase(internal);
        refuse(status.error);
    }
}

std::map<std::pair<std::string, std::uint64_t>, std::pair<Index, Term>>::iterator Node::remember_forward(
    const std::pair<std::string, std::uint64_t>& key, Index index, Term term) {
    constexpr std::size_t kRemembered = 4096;
    appended_order_.push_back(key);
    if (appended_order_.size() > kRemembered) {
        appended_forwards_.erase(appended_order_.front());
        appended_order_.pop_front();
    }
    return appended_forwards_.insert_or_assign(key, std::make_pair(index, term)).first;
}

// At the requester: only the node the request went to may answer it.
void Node::handle_forward_reply(const Message& m) {
    auto it = forwards_.find(m.request);
    if (it == forwards_.end()) return;  // late: already answered, expired or re-sent
    if (it->second.sent_to != m.from) {
        emit(ErrorEvent{"an answer to request " + std::to_string(m.request) + " came from '" + m.from + "', not from '" +
                            it->second.sent_to + "' it was sent to; ignored",
                        ErrorCode::bad_message});
        return;
    }
    const Forward request = std::move(it->second);
    forwards_.erase(it);
    const std::string reason(m.payload.begin(), m.payload.end());
    if (m.reject) return fail_forward(request, "at the leader: " + reason, ErrorCode::forward_failed);
    if (request.kind == Forward::Kind::Propose) {
        emit(Submitted{request.request_id, m.index, m.log_term});
    } else {
        emit(ReadReady{request.request_id, m.index});
    }
}

}  // namespace rtcmesh::raft

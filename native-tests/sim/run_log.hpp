// What a simulated run reports: a trace of notes on virtual time (all of it,
// or only its tail, kept for a failure report) and the first property broken.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"

namespace rtcmesh::sim {

class RunLog {
public:
    explicit RunLog(bool keep_all) : keep_all_(keep_all) {}

    void note(Millis now, const std::string& line) {
        lines_.push_back("[" + std::to_string(now) + " ms] " + line);
        if (!keep_all_ && lines_.size() > kTail) lines_.pop_front();
    }
    // The first violation wins; later ones are consequences.
    void fail(Millis now, std::string what) {
        if (!ok_) return;
        ok_ = false;
        failure_ = std::move(what);
        note(now, "VIOLATION: " + failure_);
    }
    bool ok() const { return ok_; }
    const std::string& failure() const { return failure_; }
    // The trace to report: everything when asked for, the tail on failure.
    std::vector<std::string> trace() const {
        if (!keep_all_ && ok_) return {};
        return {lines_.begin(), lines_.end()};
    }

private:
    static constexpr std::size_t kTail = 60;  // lines kept for a failure report
    bool keep_all_;
    bool ok_ = true;
    std::string failure_;
    std::deque<std::string> lines_;
};

}  // namespace rtcmesh::sim

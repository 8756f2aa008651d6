#include "sim/linearizability.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>

namespace rtcmesh::sim {
namespace {

constexpr std::int64_t kNever = INT64_MAX;

struct Search {
    const std::vector<const KvOperation*>& ops;
    std::size_t max_states;
    std::size_t states = 0;
    std::unordered_set<std::string> seen;  // (done set, value) already explored

    // Applies `op` to `value`; false if its recorded output contradicts it.
    static bool step(const KvOperation& op, std::string& value) {
        const bool answered = op.ret.has_value();
        switch (op.op) {
            case KvOp::put:
                value = op.value;
                return true;
            case KvOp::get:
                return !answered || op.output == value;
            case KvOp::cas: {
                const bool swapped = value == op.expected;
                if (answered && (op.output == "ok") != swapped) return false;
                if (swapped) value = op.value;
                return true;
            }
        }
        return false;
    }

    static std::int64_t return_time(const KvOperation& op) { return op.ret.value_or(kNever); }

    // Depth-first: pick any pending operation that can go first (invoked
    // before every other pending one returned), apply it, recurse.
    bool explore(std::vector<bool>& done, std::size_t remaining_answered, const std::string& value) {
        if (remaining_answered == 0) return true;  // unanswered ones may simply not have happened
        if (++states > max_states) return false;
        std::string key(done.begin(), done.end());
        key.push_back('\0');
        key += value;
        if (!seen.insert(std::move(key)).second) return false;
        std::int64_t earliest_return = kNever;
        for (std::size_t i = 0; i < ops.size(); ++i)
            if (!done[i]) earliest_return = std::min(earliest_return, return_time(*ops[i]));
        for (std::size_t i = 0; i < ops.size(); ++i) {
            if (done[i] || ops[i]->invoke > earliest_return) continue;
            std::string next = value;
            if (!step(*ops[i], next)) continue;
            done[i] = true;
            const bool found = explore(done, remaining_answered - (ops[i]->ret ? 1 : 0), next);
            done[i] = false;
            if (found) return true;
            if (states > max_states) return false;
        }
        return false;
    }
};

}  // namespace

LinearizabilityResult check_linearizable(const std::vector<KvOperation>& history, std::size_t max_states) {
    std::map<std::string, std::vector<const KvOperation*>> by_key;
    for (const auto& op : history)
        if (op.op != KvOp::get || op.ret) by_key[op.key].push_back(&op);
    LinearizabilityResult result;
    for (auto& [key, ops] : by_key) {
        std::sort(ops.begin(), ops.end(), [](const KvOperation* a, const KvOperation* b) { return a->invoke < b->invoke; });
        Search search{ops, max_states};
        std::vector<bool> done(ops.size(), false);
        const std::size_t answered = static_cast<std::size_t>(std::count_if(ops.begin(), ops.end(), [](const KvOperation* op) { return op->ret.has_value(); }));
        const bool ok = search.explore(done, answered, std::string());
        result.states += search.states;
        if (ok) continue;
        if (search.states > max_states) {  // out of budget: no verdict for this key
            if (!result.undecided) result.key = key;
            result.undecided = true;
            continue;
        }
        result.ok = false;
        result.key = key;
        return result;
    }
    return result;
}

}  // namespace rtcmesh::sim

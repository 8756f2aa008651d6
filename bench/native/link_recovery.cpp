// Link recovery in the simulated WebRTC (native-tests/mesh/sim_webrtc.hpp):
// a mesh of N members forms, every member broadcasts a numbered message every
// 100 ms, one direct link (p00 - p01) is cut for a while and restored. The
// core's own recovery runs (src/core/mesh/peer_link.cpp: an ICE restart at
// once on disconnected, then every 2, 4, 8 .. 30 s while disconnected; a
// connection that fails is re-made after a backoff), and this measures, in
// simulated time from the restore:
//   - until the direct link is open again (both ends ICE-connected, channel open);
//   - until messages flow directly again (in each direction, the first message
//     sent over the direct route after the restore has arrived);
// and over the cut: how many of the messages sent between the two ends while
// it was cut arrived before the restore (through a relay), and the longest
// gap between arrivals from one end at the other.
//
//   link-recovery --nodes 3 --cut-ms 5000 --seeds 1-20 [--trace]
// prints one JSON line per seed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using rtcmesh::mesh::EventKind;
using rtcmesh::sim::SimConfig;
using rtcmesh::sim::SimNetwork;

namespace {

constexpr Millis kSendEveryMs = 100;
constexpr Millis kStepMs = 10;
constexpr Millis kRecoveryLimitMs = 300'000;  // after the restore: reported as not recovered past this
constexpr Millis kDrainMs = 15'000;           // quiet time at the end before counting what never arrived

struct Sent {
    Millis at = 0;
    bool direct = false;  // the sender's route to the other end of the cut was the direct link
};

struct Trial {
    int nodes = 0;
    Millis cut_ms = 0;
    std::uint64_t seed = 0;
    Millis link_open_ms = -1;  // from the restore; -1: not within the limit
    Millis direct_ms = -1;
    int sent_in_cut = 0;       // between the two ends, both ways
    int arrived_in_cut = 0;    // of those, arrived before the restore
    Millis longest_gap_ms = 0; // between arrivals over the cut link, either way, from the cut until 1 s after direct flow
    int ice_restarts = 0, failed = 0, reconnecting = 0, relay_on = 0, gave_up = 0;
    int lost = 0, duplicated = 0, sent_total = 0;
};

std::string id_of(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "p%02d", i);
    return buf;
}

// --trace: the two ends' events about each other, and gaps between arrivals, on stderr.
bool trace = false;

Trial run(int nodes, Millis cut_ms, std::uint64_t seed) {
    Trial t;
    t.nodes = nodes;
    t.cut_ms = cut_ms;
    t.seed = seed;
    SimConfig config;
    config.tick_at_next_wakeup = true;  // as the JS host: the core is woken when it asks
    SimNetwork net(seed, config);
    std::vector<std::string> ids;
    for (int i = 0; i < nodes; ++i) ids.push_back(id_of(i));
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
    if (!net.run_until([&] { return net.fully_meshed(ids); }, 30'000)) {
        std::fprintf(stderr, "link-recovery: seed %llu: the mesh did not form\n", static_cast<unsigned long long>(seed));
        std::exit(2);
    }
    net.run_for(2'000);

    const std::string a = ids[0], b = ids[1];
    // sent[origin][counter]
    std::map<std::string, std::vector<Sent>> sent;
    Millis next_send = net.now();
    auto broadcast_due = [&] {
        if (net.now() < next_send) return;
        next_send += kSendEveryMs;
        for (const auto& id : ids) {
            auto& mine = sent[id];
            const std::string body = id + "|" + std::to_string(mine.size());
            const std::string& other = id == a ? b : id == b ? a : std::string();
            Sent s{net.now(), false};
            if (!other.empty())
                s.direct = !net.mesh(id).relayed(other) && net.link_connected(id, other) && net.link_connected(other, id);
            mine.push_back(s);
            net.mesh(id).broadcast(to_bytes(body), true);
        }
    };
    std::size_t traced[2] = {0, 0};
    Millis last_arrival[2] = {-1, -1};
    std::size_t arrivals_seen[2] = {0, 0};
    auto step = [&] {
        broadcast_due();
        net.run_for(kStepMs);
        if (!trace) return;
        for (int k = 0; k < 2; ++k) {
            const std::string& me = k == 0 ? a : b;
            const std::string& other = k == 0 ? b : a;
            const auto& events = net.log(me).events;
            for (; traced[k] < events.size(); ++traced[k])
                if (events[traced[k]].peer == other && events[traced[k]].kind != EventKind::icecandidate)
                    std::fprintf(stderr, "%7lld %s: %s %s %s\n", static_cast<long long>(net.now()), me.c_str(), mesh::to_string(events[traced[k]].kind),
                                 other.c_str(), events[traced[k]].text.substr(0, 60).c_str());
            const auto& messages = net.log(me).messages;
            for (; arrivals_seen[k] < messages.size(); ++arrivals_seen[k]) {
                const auto& m = messages[arrivals_seen[k]];
                if (m.from != other) continue;
                if (last_arrival[k] >= 0 && m.at - last_arrival[k] > 200)
                    std::fprintf(stderr, "%7lld %s: nothing from %s for %lld ms before %s\n", static_cast<long long>(m.at), me.c_str(),
                                 other.c_str(), static_cast<long long>(m.at - last_arrival[k]), to_string(m.data).c_str());
                last_arrival[k] = m.at;
            }
        }
    };

    const Millis traffic_from = net.now();
    while (net.now() < traffic_from + 1'000) step();  // steady traffic before the cut
    net.run_for(kSendEveryMs / 2);        // cut between two broadcasts
    const Millis cut_at = net.now();
    if (trace) std::fprintf(stderr, "%7lld cut %s - %s\n", static_cast<long long>(cut_at), a.c_str(), b.c_str());
    net.kill_link(a, b);
    while (net.now() < cut_at + cut_ms) step();
    const Millis restored_at = net.now();
    if (trace) std::fprintf(stderr, "%7lld restored\n", static_cast<long long>(restored_at));
    net.restore_link(a, b);

    // Arrival of the first message over the direct route after the restore,
    // each way; the logs are scanned from where the last look stopped.
    struct Watch {
        std::string from, to;
        std::size_t scanned = 0;
        Millis at = -1;
    };
    Watch watches[2] = {{a, b}, {b, a}};
    auto first_direct = [&](Watch& w) {
        const auto& messages = net.log(w.to).messages;
        for (; w.at < 0 && w.scanned < messages.size(); ++w.scanned) {
            const auto& m = messages[w.scanned];
            if (m.from != w.from) continue;
            const std::string text = to_string(m.data);
            const Sent& s = sent[w.from][std::stoul(text.substr(text.find('|') + 1))];
            if (s.direct && s.at >= restored_at) w.at = m.at;
        }
        return w.at;
    };
    Millis direct_at = -1;
    while (net.now() < restored_at + kRecoveryLimitMs) {
        step();
        if (t.link_open_ms < 0 && net.link_connected(a, b) && net.link_connected(b, a)) t.link_open_ms = net.now() - restored_at;
        const Millis ab = first_direct(watches[0]), ba = first_direct(watches[1]);
        if (ab >= 0 && ba >= 0) {
            direct_at = std::max(ab, ba);
            t.direct_ms = direct_at - restored_at;
            break;
        }
    }
    const Millis gap_until = (direct_at >= 0 ? direct_at : net.now()) + 1'000;
    while (net.now() < gap_until) step();
    net.run_for(kDrainMs);

    // What arrived: each sent message once at every other member.
    for (const auto& to : ids) {
        std::map<std::string, std::vector<int>> got;
        for (const auto& from : ids)
            if (from != to) got[from].assign(sent[from].size(), 0);
        std::map<std::string, std::vector<Millis>> arrivals;
        for (const auto& m : net.log(to).messages) {
            const std::string text = to_string(m.data);
            const std::size_t n = std::stoul(text.substr(text.find('|') + 1));
            got[m.from][n]++;
            arrivals[m.from].push_back(m.at);
            const bool cut_pair = (m.from == a && to == b) || (m.from == b && to == a);
            const Sent& s = sent[m.from][n];
            if (cut_pair && got[m.from][n] == 1 && s.at >= cut_at && s.at < restored_at && m.at < restored_at) ++t.arrived_in_cut;
        }
        for (auto& [from, counts] : got)
            for (std::size_t n = 0; n < counts.size(); ++n) {
                if (counts[n] == 0) ++t.lost;
                const bool cut_pair = (from == a && to == b) || (from == b && to == a);
                if (cut_pair && sent[from][n].at >= cut_at && sent[from][n].at < restored_at) ++t.sent_in_cut;
                if (counts[n] > 1) t.duplicated += counts[n] - 1;
            }
        if (to == a || to == b) {
            const std::string from = to == a ? b : a;
            Millis last = cut_at;
            for (Millis at : arrivals[from]) {
                if (at < cut_at || at > gap_until) continue;
                t.longest_gap_ms = std::max(t.longest_gap_ms, at - last);
                last = at;
            }
            t.longest_gap_ms = std::max(t.longest_gap_ms, gap_until - last);
        }
    }
    for (const auto& [id, mine] : sent) t.sent_total += static_cast<int>(mine.size());
    const auto& log = net.log(a);
    t.ice_restarts = log.count(EventKind::ice_restart, b);
    t.failed = log.count(EventKind::failed, b);
    t.reconnecting = log.count(EventKind::reconnecting, b);
    t.relay_on = log.count(EventKind::relay_on, b);
    for (const auto& e : log.errors)
        if (e.code == mesh::ErrorCode::gave_up && e.peer == b) ++t.gave_up;
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    int nodes = 3;
    Millis cut_ms = 5'000;
    std::uint64_t first = 1, last = 10;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (arg == "--trace") trace = true;
        else if (arg == "--nodes" && value) nodes = std::atoi(argv[++i]);
        else if (arg == "--cut-ms" && value) cut_ms = std::atoll(argv[++i]);
        else if (arg == "--seeds" && value && std::sscanf(argv[++i], "%llu-%llu", reinterpret_cast<unsigned long long*>(&first),
                                                          reinterpret_cast<unsigned long long*>(&last)) == 2) {
        } else {
            std::fprintf(stderr, "usage: link-recovery [--nodes 3..16] [--cut-ms MS] [--seeds A-B] [--trace]\n");
            return 2;
        }
    }
    if (nodes < 3 || nodes > 16 || cut_ms < 0 || first > last) {
        std::fprintf(stderr, "link-recovery: need 3..16 nodes (a relay needs a third), a cut >= 0 ms, seeds A-B with A <= B\n");
        return 2;
    }
    for (std::uint64_t seed = first; seed <= last; ++seed) {
        const Trial t = run(nodes, cut_ms, seed);
        std::printf(
            "{\"nodes\":%d,\"cut_ms\":%lld,\"seed\":%llu,\"link_open_ms\":%lld,\"direct_ms\":%lld,\"sent_in_cut\":%d,"
            "\"arrived_in_cut\":%d,\"longest_gap_ms\":%lld,\"ice_restarts\":%d,\"failed\":%d,\"reconnecting\":%d,"
            "\"relay_on\":%d,\"gave_up\":%d,\"lost\":%d,\"duplicated\":%d,\"sent_total\":%d}\n",
            t.nodes, static_cast<long long>(t.cut_ms), static_cast<unsigned long long>(t.seed),
            static_cast<long long>(t.link_open_ms), static_cast<long long>(t.direct_ms), t.sent_in_cut, t.arrived_in_cut,
            static_cast<long long>(t.longest_gap_ms), t.ice_restarts, t.failed, t.reconnecting, t.relay_on, t.gave_up, t.lost,
            t.duplicated, t.sent_total);
    }
    return 0;
}

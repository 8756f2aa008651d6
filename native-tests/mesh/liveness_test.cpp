// Liveness under load: a host whose event loop stalls does not blame its
// peers for the silence, and a peer that went silent once is given longer on
// its next link. Without both, a loaded machine re-made its links over and
// over (join-32: 32 members in 8 Node processes on 2 cores).
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;
using rtcmesh::sim::SimConfig;
using rtcmesh::sim::SimNetwork;

namespace {

int silence_failures(SimNetwork& net, const std::string& at, const std::string& peer) {
    int n = 0;
    for (const auto& e : net.log(at).events)
        n += e.kind == EventKind::failed && e.peer == peer && e.text.find("nothing heard") != std::string::npos;
    return n;
}

void add_all_members(SimNetwork& net, const std::vector<std::string>& ids) {
    for (const auto& id : ids) net.add_node(sim::member_options(id, ids));
}

SimConfig as_the_js_host() {
    SimConfig config;
    config.tick_at_next_wakeup = true;
    config.fail_after_ms = 120'000;  // only the mesh's own liveness check takes links down
    return config;
}

}  // namespace

TEST_CASE("a host that stalls keeps its links: the silence was its own", "[mesh][liveness]") {
    SimNetwork net(201, as_the_js_host());
    const std::vector<std::string> ids{"a", "b", "c"};
    for (const auto& id : ids) {
        Options options = sim::member_options(id, ids);
        // b and c wait out a's stall; a keeps the default timeout.
        if (id != "a") options.silence_timeout_ms = 60'000;
        net.add_node(options);
    }
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(3'000);
    const Options defaults;
    net.stall("a", 5 * defaults.silence_timeout_ms);  // b and c keep sending keep-alives, which wait
    net.run_for(5 * defaults.silence_timeout_ms + 2'000);
    CHECK(silence_failures(net, "a", "b") == 0);
    CHECK(silence_failures(net, "a", "c") == 0);
    CHECK(net.log("a").count(EventKind::failed) == 0);
    CHECK(net.fully_meshed(ids));

    // A peer that really went quiet meanwhile is still noticed, in the
    // timeout counted from the end of the stall.
    net.vanish("b");
    net.stall("a", 2'000);
    const Millis vanished_at = net.now();
    REQUIRE(net.run_until([&] { return silence_failures(net, "a", "b") == 1; }, 4 * defaults.silence_timeout_ms));
    CHECK(net.now() - vanished_at <= 2'000 + defaults.silence_timeout_ms + Mesh::kIdleTickMs);
}

TEST_CASE("a peer whose link went down for silence gets twice the time on the next, up to 4x", "[mesh][liveness]") {
    SimNetwork net(202, as_the_js_host());
    const std::vector<std::string> ids{"a", "b"};
    for (const auto& id : ids) {
        Options options = sim::member_options(id, ids);
        if (id == "b") options.silence_timeout_ms = 120'000;  // only a judges
        net.add_node(options);
    }
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    const Options defaults;
    const Millis base = defaults.silence_timeout_ms;
    // a's timeout for b, link after link: base, 2x, 4x, and 4x again. Each
    // time, b stalls first a little less than that (a keeps the link: the
    // last keep-alive may have come up to keepalive_interval_ms before the
    // stall), then a little more (a takes it down).
    const std::vector<Millis> timeouts{base, 2 * base, 4 * base, 4 * base};
    int expected = 0;
    for (const Millis timeout : timeouts) {
        net.stall("b", timeout - net.mesh("b").options().keepalive_interval_ms - 500);
        net.run_for(timeout);
        CHECK(silence_failures(net, "a", "b") == expected);
        net.stall("b", timeout + 1'000);
        REQUIRE(net.run_until([&] { return silence_failures(net, "a", "b") == expected + 1; }, timeout + 2'000));
        ++expected;
        REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 30'000));
        net.run_for(3'000);
    }

    // A link that stays up past silence_backoff_reset_ms brings the default back.
    net.run_for(defaults.silence_backoff_reset_ms);
    net.stall("b", base + 1'000);
    CHECK(net.run_until([&] { return silence_failures(net, "a", "b") == expected + 1; }, base + 3'000));
}

TEST_CASE("a host late at every tick still notices a vanished peer, one tick later", "[mesh][liveness]") {
    SimNetwork net(203, as_the_js_host());
    const std::vector<std::string> ids{"a", "b"};
    add_all_members(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    const Options defaults;
    net.config().tick_at_next_wakeup = false;
    net.config().tick_ms = 3 * Mesh::kIdleTickMs;  // every tick 2 s past the wake-up asked for
    net.vanish("b");
    REQUIRE(net.run_until([&] { return silence_failures(net, "a", "b") == 1; }, 10 * defaults.silence_timeout_ms));
}

TEST_CASE("silence counts from the channel's opening, also when it opens before the connection says connected", "[mesh][liveness]") {
    SimConfig config = as_the_js_host();
    config.connected_after_open_ms = 200;  // as @roamhq/wrtc's events sometimes come
    SimNetwork net(204, config);
    const Options defaults;
    net.run_for(2 * defaults.silence_timeout_ms);  // a process that has been up a while
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all_members(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(2'000);
    for (const auto& id : ids) CHECK(net.log(id).count(EventKind::failed) == 0);
}

namespace {

// Counts the frames `from` puts on its channel to `to`, by frame type.
struct FrameCounter {
    std::map<FrameType, int> by_type;
    int total() const {
        int n = 0;
        for (const auto& [type, count] : by_type) n += count;
        return n;
    }
    void watch(SimNetwork& net, const std::string& from, const std::string& to) {
        net.tamper = [this, from, to](const std::string& f, const std::string& t, Bytes& frame) {
            if (f == from && t == to && frame.size() > 1) ++by_type[static_cast<FrameType>(frame[1])];
        };
    }
};

// Forms the room, lets it settle, then counts the frames `from` sends `to`
// over `idle_ms` in which the app sends nothing.
void count_while_idle(SimNetwork& net, const std::vector<std::string>& ids, FrameCounter& counter, const std::string& from,
                      const std::string& to, Millis idle_ms) {
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    net.run_for(3'000);
    counter.watch(net, from, to);
    net.run_for(idle_ms);
}

}  // namespace

// Each frame on an idle link is a wake-up and a channel message at both
// ends: the keep-alives are the whole cost of an idle room.
TEST_CASE("an idle link carries one link state per keep-alive interval, the periodic refresh included", "[mesh][liveness]") {
    SimNetwork net(91, as_the_js_host());
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all_members(net, ids);
    FrameCounter counter;
    const Millis idle_ms = 60'000;
    count_while_idle(net, ids, counter, "a", "b", idle_ms);
    const Millis keepalive = net.mesh("a").options().keepalive_interval_ms;
    CHECK(counter.total() == counter.by_type[FrameType::link_state]);
    CHECK(counter.total() <= idle_ms / keepalive + 1);
    CHECK(counter.total() >= idle_ms / keepalive - 1);
    for (const auto& id : ids) CHECK(silence_failures(net, id, "a") + silence_failures(net, id, "b") == 0);
}

TEST_CASE("a busy link still gets a link state every refresh interval", "[mesh][liveness]") {
    SimNetwork net(92, as_the_js_host());
    const std::vector<std::string> ids{"a", "b", "c"};
    add_all_members(net, ids);
    REQUIRE(net.run_until([&] { return net.fully_meshed(ids); }, 20'000));
    FrameCounter counter;
    counter.watch(net, "a", "b");
    const Millis busy_ms = 30'000;
    for (Millis t = 0; t < busy_ms; t += 100) {  // never quiet long enough for a keep-alive
        REQUIRE(net.mesh("a").send("b", Bytes(100, 7), false).ok());
        net.run_for(100);
    }
    const Options defaults;
    CHECK(counter.by_type[FrameType::link_state] >= busy_ms / defaults.link_state_interval_ms - 1);
    CHECK(counter.by_type[FrameType::link_state] <= busy_ms / (defaults.link_state_interval_ms / 2) + 1);
}

TEST_CASE("the keep-alive is half the silence timeout, or 2.5 s short of it when that is longer, at most 3 s", "[mesh][liveness]") {
    CHECK(Options::keepalive_for(300) == 150);
    CHECK(Options::keepalive_for(5000) == 2500);
    CHECK(Options::keepalive_for(5500) == 3000);
    CHECK(Options::keepalive_for(20000) == 3000);
    const Mesh by_default(sim::member_options("a", {"a", "b"}), 1);
    CHECK(by_default.options().keepalive_interval_ms == 3000);
    Options slow = sim::member_options("a", {"a", "b"});
    slow.silence_timeout_ms = 1000;
    CHECK(Mesh(slow, 1).options().keepalive_interval_ms == 500);
    Options explicit_interval = sim::member_options("a", {"a", "b"});
    explicit_interval.keepalive_interval_ms = 1000;
    CHECK(Mesh(explicit_interval, 1).options().keepalive_interval_ms == 1000);
}

TEST_CASE("a member that waits longer than its peers is still heard by them in an idle room", "[mesh][liveness]") {
    SimNetwork net(93, as_the_js_host());
    const std::vector<std::string> ids{"a", "b", "c"};
    for (const auto& id : ids) {
        Options options = sim::member_options(id, ids);
        if (id == "b") options.silence_timeout_ms = 60'000;  // its keep-alive interval is derived, as in JS
        net.add_node(options);
    }
    FrameCounter counter;
    const Millis idle_ms = 60'000;
    count_while_idle(net, ids, counter, "b", "a", idle_ms);
    // a keeps the default timeout: b's keep-alives must leave a's 2.5 s of slack.
    CHECK(counter.total() >= idle_ms / 3'000 - 1);
    for (const auto& id : ids) CHECK(silence_failures(net, id, "b") + silence_failures(net, "b", id) == 0);
    CHECK(net.fully_meshed(ids));
}

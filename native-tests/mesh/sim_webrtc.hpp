// Deterministic simulated WebRTC host for mesh tests.
//
// Plays the JS shim's role for many Mesh instances in one virtual-time event
// loop: executes their commands after seeded random delays (in order per
// node, like the browser's operations chain), fakes SDP ("o=" session per
// connection, ICE generation per restart) and candidates, connects two
// connection objects when both have local+remote descriptions and a matching
// remote candidate, and delivers channel frames in order with per-link latency
// and bandwidth (so bufferedAmount and bufferedamountlow behave). A signaling
// bus carries offer/answer/icecandidate events to the right mesh. Tests can
// kill/restore a link (ICE goes disconnected, later failed) and make a node
// vanish or come back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/common/rng.hpp"
#include "core/mesh/mesh.hpp"
#include "core/session/session.hpp"
#include "kit/timed_queue.hpp"

namespace rtcmesh::sim {

struct SimConfig {
    Millis min_op_delay_ms = 0;
    Millis max_op_delay_ms = 4;
    Millis latency_ms = 5;
    double bytes_per_ms = 20000;  // 20 MB/s per connection
    std::size_t max_message_size = 256 * 1024;
    Millis disconnect_detect_ms = 300;
    Millis fail_after_ms = 8000;   // disconnected this long -> failed
    Millis description_delay_ms = 10;  // signaling bus
    Millis candidate_delay_ms = 10;
    Millis tick_ms = 10;
    // false: like @roamhq/wrtc, bufferedAmount always reads 0 and
    // bufferedamountlow never fires, so only the core's own flow control
    // keeps a big message from going to the link all at once.
    bool reports_buffered_amount = true;
    // true: a node's update() runs only once its session's next_wakeup() is
    // due, as the JS host schedules it, instead of on every tick.
    bool tick_at_next_wakeup = false;
    // > 0: a connection's channel opens this long before the connection says
    // connected, as @roamhq/wrtc's events sometimes come.
    Millis connected_after_open_ms = 0;
    // The share of direct channels' messages lost on channels that do not
    // retransmit (max_retransmits >= 0).
    double unreliable_loss = 0;
};

struct Received {
    std::string from;
    Bytes data;
    bool is_text = false;
    bool system = false;
    Millis at = 0;  // simulated time of delivery to the app: tests measure delays with it
    std::string channel;  // a named channel's message: its name
};

struct NodeLog {
    std::vector<mesh::Event> events;  // everything except messages
    std::vector<Received> messages;
    std::map<std::string, int> addchannel;
    std::map<std::string, int> removechannel;
    std::vector<mesh::Event> errors;
    std::vector<std::string> signaling_errors;
    int count(mesh::EventKind kind) const;
    int count(mesh::EventKind kind, const std::string& peer) const;
};

class SimNetwork {
public:
    SimNetwork(std::uint64_t seed, SimConfig config = {});
    ~SimNetwork();

    mesh::Mesh& add_node(mesh::Options options, mesh::TestFaults faults = {});
    void vanish(const std::string& id);  // the page is gone: no goodbye
    // The node's host is blocked for `duration` ms (a busy event loop): no
    // update(), and what arrives for it waits. When the stall ends its timer
    // runs first, then what waited, in order, as in Node's event loop.
    void stall(const std::string& id, Millis duration);
    bool has_node(const std::string& id) const;
    mesh::Mesh& mesh(const std::string& id);
    session::Session& session(const std::string& id);  // the mesh's session: Raft over it
    NodeLog& log(const std::string& id);

    // The host refuses new peer connections while `id` holds `cap` live ones
    // (0: no cap), as Chromium does past about 500 in a page.
    void cap_connections(const std::string& id, std::size_t cap);
    void kill_link(const std::string& a, const std::string& b);
    void restore_link(const std::string& a, const std::string& b);

    void run_for(Millis duration);
    // Runs until pred() holds (checked every tick) or max_duration passes.
    bool run_until(const std::function<bool()>& pred, Millis max_duration);
    Millis now() const { return now_; }
    SimConfig& config() { return config_; }

    // Channel-level inspection.
    std::size_t open_channels(const std::string& a, const std::string& b) const;  // a's open channels to b
    // a holds a connection to b that is ICE-connected with its channel open.
    bool link_connected(const std::string& a, const std::string& b) const;
    std::size_t live_connections(const std::string& a) const;                    // not closed pcs
    // The tracks b's last description to a listed, on a's connected pc to b.
    std::set<std::uint32_t> tracks_from(const std::string& a, const std::string& b) const;
    std::size_t buffered(const std::string& a, const std::string& b) const;
    std::size_t max_buffered_seen() const { return max_buffered_seen_; }
    // The signaling server's last-resort path (mesh::Options::server_path):
    // whether it relays, and with what limits; frames take the signaling
    // bus's delay. Counted, for tests.
    void server_path(bool up, std::size_t max_frame_bytes = 40 * 1024, std::size_t bytes_per_second = 256 * 1024);
    std::size_t server_frames() const { return server_frames_; }
    std::size_t direct_lost() const { return direct_lost_; }  // see SimConfig::unreliable_loss
    // Injects a raw frame as if `from` sent it on its channel to `to`.
    bool inject(const std::string& from, const std::string& to, Bytes frame);
    // A modified client: sees, and may rewrite, every frame a node's host
    // sends on a mesh channel, as (from, to, frame).
    std::function<void(const std::string&, const std::string&, Bytes&)> tamper;
    // A hostile signaling server: sees, and may rewrite, every offer and
    // answer on its way, as (from, to, sdp). The fake SDP's fingerprint is
    // the connection's session id; the sim has no DTLS, so a connection
    // forms whatever fingerprints its SDPs claim (as one bridged by a party
    // in the middle would).
    std::function<void(const std::string&, const std::string&, std::string&)> tamper_sdp;
    bool fully_meshed(const std::vector<std::string>& ids) const;

private:
    struct Pc;
    struct Node;

    void schedule(Millis at, std::function<void()> fn);
    // Runs fn on the node if it still is the same incarnation, then drains it.
    void on_node(const std::string& id, std::uint64_t incarnation, const std::function<void(Node&)>& fn, Millis at);
    void drain(Node& node);
    void execute(Node& node, mesh::Command command);
    void route_event(Node& node, mesh::Event event);
    void try_connect(Node& node, Pc& pc);
    void set_state(Node& node, Pc& pc, mesh::ConnectionState state);
    void go_disconnected(Node& node, Pc& pc);
    Pc* partner_of(const Node& node, const Pc& pc) const;
    Node* node(const std::string& id) const;
    bool link_up(const std::string& a, const std::string& b) const;
    void tick();
    void send_frame(Node& node, Pc& pc, Bytes bytes);
    void send_direct(Node& node, Pc& pc, const mesh::DataChannelSpec& spec, Bytes bytes);

    SimConfig config_;
    Rng rng_;
    Millis now_ = 0;
    Millis next_tick_ = 0;
    std::uint64_t next_session_ = 1000;
    std::uint64_t next_incarnation_ = 1;
    std::size_t max_buffered_seen_ = 0;
    testkit::TimedQueue<std::function<void()>> queue_;  // what the network and the hosts do next
    std::map<std::string, std::unique_ptr<Node>> nodes_;
    std::map<std::string, NodeLog> logs_;
    std::set<std::pair<std::string, std::string>> dead_links_;
    std::map<std::string, std::size_t> connection_caps_;
    bool server_up_ = false;
    std::size_t server_max_frame_ = 0;
    std::size_t server_rate_ = 0;
    std::size_t server_frames_ = 0;
    std::size_t direct_lost_ = 0;
};

// A member's options with the defaults: its id and every member's.
inline mesh::Options member_options(const std::string& id, const std::vector<std::string>& peers) {
    mesh::Options options;
    options.id = id;
    options.peers = peers;
    return options;
}

}  // namespace rtcmesh::sim

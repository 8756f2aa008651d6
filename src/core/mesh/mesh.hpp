// The full-mesh connection manager: the façade the JS binding wraps.
//
// Pure state machine (etcd-raft style): the host calls the app methods
// (seed API), the on_* host-event methods and update(now); the mesh answers
// with take_commands() for the WebRTC host and take_events() for the app.
// No clocks, threads or I/O; randomness only from the seeded Rng.
//
// Data path: every message to a peer gets a consecutive id in its lane of
// the (me -> peer) stream (system or app, see frame.hpp) and stays in an
// unacked queue until the peer acknowledges it (cumulative acks per lane). When the direct channel goes down the
// unacked messages are re-sent through a relay neighbour that advertises a
// direct link to the peer; the receiver drops duplicates by id and delivers
// in id order, so each message arrives exactly once, in order per sender and
// lane. Each channel sends system frames first and cuts big messages into
// chunks, so a system message waits behind at most one application chunk
// (plus what the channel already buffers).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/common/bytes.hpp"
#include "core/common/rng.hpp"
#include "core/common/stall_guard.hpp"
#include "core/mesh/direct_channels.hpp"
#include "core/mesh/relay_auth.hpp"
#include "core/mesh/events.hpp"
#include "core/mesh/frame.hpp"
#include "core/mesh/media_tracks.hpp"
#include "core/mesh/neighbour_queue.hpp"
#include "core/mesh/peer_link.hpp"
#include "core/mesh/receive_stream.hpp"
#include "core/mesh/send_stream.hpp"
#include "core/mesh/test_faults.hpp"
#include "core/mesh/webrtc_port.hpp"

namespace rtcmesh::mesh {

// Ids travel in signaling and user interfaces; longer ones are a mistake.
inline constexpr std::size_t kMaxIdLength = 256;

// Half of a silence timeout, or 2.5 s short of it when that is longer: a
// keep-alive late by up to 2.5 s (a busy page, a throttled timer) is then
// not taken for silence.
constexpr Millis keepalive_within(Millis silence_ms) {
    return std::max(silence_ms / 2, silence_ms - 2500);
}

struct Options {
    std::string label = "rtcmesh";         // data channel label (devtools)
    std::string id;                        // this node's address
    std::vector<std::string> peers;        // may include id itself; it is skipped
    std::string ice_servers_json = "[]";   // passed verbatim to create_peer_connection
    bool relay = true;                     // route around broken links through a common neighbour
    // The last-resort path: a peer that no link and no relay member reaches
    // gets its frames through the signaling server (send_via_server), while
    // the host says the server offers it (on_server_path).
    bool server_path = false;
    // A room with a secret: every member is added with the key it shares
    // with us (set_relay_key), and the session lets a member into Raft only
    // once it proved that key (key_confirmed).
    bool members_prove_keys = false;
    // ICE-TCP candidates (RFC 6544), ours and the peers'. Off, none is sent
    // or used: a Node member holding many links (@roamhq/wrtc) then spends
    // its CPU in the kernel's bind() of their outgoing TCP sockets, so much
    // that 32 members in 8 processes on 2 cores never all link (join-32).
    // A path that only TCP passes is TURN's job (turns:, ?transport=tcp).
    bool tcp_candidates = true;

    std::size_t max_peers = 64;
    std::size_t max_message_bytes = 64u << 20;
    std::size_t chunk_bytes = 64u << 10;   // payload per frame, capped by the reported max message size
    std::size_t max_queued_bytes_per_peer = 128u << 20;  // unsent + unacknowledged payload, per lane:
                                                         // bulk data cannot lock system messages out
    // Stop handing frames to a channel above this buffered amount; resume at
    // low water (its bufferedAmountLowThreshold). Chromium's SCTP moves more,
    // and stalls less often, with little buffered: 256/128 KiB streamed
    // 64 KiB messages at a median 19.6 MB/s against 17.5 with 1 MiB/256 KiB,
    // and sent 16 MiB to 3 peers in 3.5 s against 4.3 (15 runs each,
    // alternating, one page). wrtc reports 0 buffered: window_bytes bounds it.
    std::size_t high_water_bytes = 256u << 10;
    std::size_t low_water_bytes = 128u << 10;
    // The app's bufferedamountlow: a peer whose queued_bytes() went above this
    // after a send gets one buffered_amount_low event when it falls back to it.
    std::size_t buffered_low_threshold = 1u << 20;
    // Bytes a link may hold unconfirmed by the neighbour's window frames, on
    // a host whose bufferedAmount does not count what was sent (@roamhq/wrtc
    // reads 0): there, this bounds how long a system message waits.
    std::size_t window_bytes = 256u << 10;
    std::size_t max_relay_queue_bytes = 4u << 20;  // frames this node forwards for others, per neighbour
    ReassemblyLimits reassembly;
    LinkTimings timings;
    Millis retransmit_timeout_ms = 4000;
    // Link state goes out on every change; this refresh is a safety net for
    // links that had none for so long. An idle link's keep-alives are link
    // states already, so in an idle room it costs nothing.
    Millis link_state_interval_ms = 5000;
    // Liveness: an open link that carried nothing for keepalive_interval_ms
    // gets a link-state frame; the open link of a peer from which nothing
    // arrived for silence_timeout_ms, directly or through a relay, is taken
    // down (removechannel, failed) and re-made.
    // A peer that vanished without a goodbye is noticed in about that time,
    // instead of when ICE gives up.
    static constexpr Millis kDefaultSilenceTimeoutMs = 5500;
    Millis silence_timeout_ms = kDefaultSilenceTimeoutMs;
    // 0: keepalive_for(silence_timeout_ms), resolved when the Mesh is made
    // (3 s for the default timeout).
    Millis keepalive_interval_ms = 0;
    // The keep-alive interval for a silence timeout: keepalive_within(it),
    // but never over the default timeout's interval (3 s). Each keep-alive is
    // a frame and a wake-up at both ends of every link (the whole CPU cost of
    // an idle room), so they are as rare as the timeout allows. The cap: a
    // member that waits longer for its peers must still be heard by peers
    // that keep the default, which do not know its timeout.
    static constexpr Millis kMaxKeepaliveMs = keepalive_within(kDefaultSilenceTimeoutMs);
    static constexpr Millis keepalive_for(Millis silence_ms) {
        return std::min(keepalive_within(silence_ms), kMaxKeepaliveMs);
    }
    // After a link was taken down for silence, the peer gets twice the time
    // on the next (up to 4x), until a link to it has stayed up this long: on
    // a machine too loaded to keep the timeout, links still settle instead of
    // being re-made over and over, which loaded it further.
    Millis silence_backoff_reset_ms = 60000;
    // Acks: cumulative, per lane. One goes out once ack_every_messages or
    // ack_every_bytes were delivered since the last, else ack_delay_ms after
    // the first message it covers. An ack only frees the sender's copy
    // (delivery never waits for one), so under a steady stream of small
    // messages it is sent about once per 64 of them, not at every tick: a
    // frame and a wake-up less per message at both ends. The byte bound keeps
    // a sender that paces on bufferedamountlow (queued_bytes counts
    // unacknowledged payload) from waiting on the delay. A data frame that
    // goes to the peer meanwhile carries the ack instead (flag_ack), so a
    // two-way stream sends almost no ack frames.
    std::uint32_t ack_every_messages = 64;
    std::size_t ack_every_bytes = 128u << 10;
    Millis ack_delay_ms = 200;

};

class Mesh {
public:
    // `faults`: tests only (test_faults.hpp).
    Mesh(Options options, std::uint64_t seed, TestFaults faults = {});
    ~Mesh();
    Mesh(const Mesh&) = delete;
    Mesh& operator=(const Mesh&) = delete;

    // Construction problems (empty id, too many peers, ...) are reported here
    // and every later call returns the same status.
    const Status& init_status() const { return init_status_; }
    const std::string& id() const { return options_.id; }

    // ---- Seed API (app) ----
    Status create_offer(const std::string& peer);
    Status create_answer(const std::string& peer, const std::string& offer_sdp);
    Status add_answer(const std::string& peer, const std::string& answer_sdp);
    Status add_ice_candidate(const std::string& peer, const std::string& candidate);
    Status close_peer(const std::string& peer);  // seed close(peer)
    // `system`: a message of rtcmesh's own protocols (Raft over the mesh); it
    // goes ahead of the app's messages in its own lane (order is kept within
    // each lane, not between them), shares relaying, and arrives flagged.
    Status send(const std::string& peer, Bytes data, bool is_text, bool system = false);
    // To every peer reachable now (direct or relayed) or whose link is being
    // made; not to peers whose link failed and waits to be retried.
    Status broadcast(Bytes data, bool is_text, bool system = false);
    // ---- Named channels ----
    // A message of the named channel `channel` (1 to kMaxChannelNameBytes):
    // delivered like send()'s (reliable, ordered, relayed when needed) and
    // arriving with its name, so the receiver keeps channels apart. "" for
    // `peer` broadcasts.
    Status send_on_channel(const std::string& peer, const std::string& channel, const std::uint8_t* data,
                           std::size_t size, bool is_text);
    // Named channels with a data channel of their own on every direct link
    // (unordered or unreliable ones; see direct_channels.hpp).
    Status open_direct_channel(const std::string& name, DataChannelSpec spec);
    void close_direct_channel(const std::string& name) { direct_.close(name, out_); }
    bool direct_channel_open(const std::string& name) const { return direct_.is_open(name); }
    Status send_direct(const std::string& peer, const std::string& channel, const std::uint8_t* data, std::size_t size,
                       bool is_text);
    // ---- Media (media_tracks.hpp) ----
    // The host's track number `track` goes to `peer` ("" = every peer, now
    // and later): add_track commands on their connections, then offers.
    Status add_track(std::uint32_t track, const std::string& peer);
    Status remove_track(std::uint32_t track);
    std::string ready_state(const std::string& peer) const;  // new|connecting|open|closing|closed
    Handle user_channel(const std::string& peer) const;      // 0 when none
    Status add_peer(const std::string& peer);
    // The key this node and `peer` share (32 bytes; relay_auth.hpp): from
    // then on frames between them that travel through anyone else carry a
    // MAC under it, and a relayed frame from `peer` without a valid one is
    // dropped (with a forged_frame error naming the relay when its tag is
    // wrong; a missing one is dropped quietly, as while `peer` lacks our key).
    // And each channel to `peer` that opens from then on is used only once
    // the peer proved the key over it, bound to both DTLS fingerprints
    // (link_proof); a failed proof is a bad_link_proof error and a new
    // attempt. Both ends must set it.
    Status set_relay_key(const std::string& peer, const std::uint8_t* key, std::size_t size);
    Status remove_peer(const std::string& peer);
    void close();  // closes every connection; later calls fail with ErrorCode::closed
    bool closed() const { return closed_; }
    void set_buffered_low_threshold(std::size_t bytes) { options_.buffered_low_threshold = bytes; }
    void update(Millis now);
    // The time by which update() must be called again: soon (kBusyTickMs)
    // while acks or routing wait for a tick, else the
    // earliest timer, at most kIdleTickMs away. Hosts sleep until then
    // instead of ticking a quiet mesh 40 times a second.
    Millis next_wakeup() const;
    static constexpr Millis kBusyTickMs = 25;
    static constexpr Millis kIdleTickMs = 1000;
    // An update() later than this past the next_wakeup() it followed means
    // the host itself stalled (a blocked event loop, a suspended tab): the
    // time past its wake-up is not counted against peers' silence or links'
    // progress, which could not have been seen meanwhile: the clock stands
    // still from the tick before. Not on two ticks in a row, so that a host
    // late at every tick still notices silence, one tick later.
    static constexpr Millis kStallGraceMs = 1000;

    // ---- Host events ----
    void on_local_description(Handle pc, SdpType type, const std::string& sdp);
    void on_remote_description_set(Handle pc);
    void on_local_candidate(Handle pc, const std::string& candidate);
    void on_connection_state(Handle pc, ConnectionState state);
    void on_channel_open(Handle channel);
    void on_channel_closed(Handle channel);
    void on_channel_message(Handle channel, Bytes frame);
    // channel.bufferedAmount, reported (1) after the host ran a batch of
    // `send` commands on that channel and (2) on `bufferedamountlow`. The
    // core keeps an estimate between reports (+ every frame it sends); (1) is
    // needed because bufferedamountlow only fires when the amount crosses the
    // threshold downwards, so an estimate corrected only by (2) drifts up
    // while the real buffer drains below the threshold, and sending stalls.
    void on_buffered_amount(Handle channel, std::size_t buffered_amount);
    void on_operation_failed(Handle pc, CommandKind what, const std::string& error);
    void on_max_message_size(Handle pc, std::size_t bytes);
    void on_network_change();  // see PeerLink::on_network_change
    // The last-resort path (Options::server_path). The host says whether its
    // signaling server relays frames now, the largest frame it takes and the
    // bytes per second it allows; and hands in what arrived through it, with
    // the sender the server names.
    void on_server_path(bool up, std::size_t max_frame_bytes, std::size_t bytes_per_second);
    void on_server_frame(const std::string& from, Bytes frame);

    std::vector<Command> take_commands();
    std::vector<Event> take_events();

    // ---- Introspection (tests, stats) ----
    std::size_t queued_bytes(const std::string& peer) const;  // both lanes
    std::size_t buffered_estimate(const std::string& peer) const;
    // Some neighbour holds frames it could not hand to its channel yet
    // (backpressure): a fresh bufferedAmount report may release them.
    bool sends_waiting() const;
    bool relayed(const std::string& peer) const;
    // `peer` proved the key set for it: over a link (link_proof), or with a
    // relayed frame whose tag checked out. False without a key.
    bool key_confirmed(const std::string& peer) const;
    bool has_peer(const std::string& peer) const;
    const Options& options() const { return options_; }
    std::vector<std::string> peer_ids() const;
    std::uint32_t epoch() const { return epoch_; }  // in every frame we send: no secret

private:
    struct Peer;

    Peer* find(const std::string& id) const;
    Peer* find_by_pc(Handle pc) const;
    Peer* find_by_channel(Handle channel) const;
    Peer* find_by_hash(PeerHash hash) const;
    PeerHash hash_of(const std::string& id) const;
    Status check_open() const;
    Status check_peer_id(const std::string& id) const;

    template <typename Fn>
    void with_link(Peer& peer, Fn&& fn);
    void on_link_up(Peer& peer);
    void on_link_down(Peer& peer);

    void watch_buffered_low(Peer& to);
    void emit_buffered_low();
    Status deliver(const std::string& peer, const std::shared_ptr<const Bytes>& payload, std::uint8_t flags);
    Status enqueue_message(Peer& to, const std::shared_ptr<const Bytes>& payload, std::uint8_t flags);
    PeerHash compute_route(const Peer& to) const;
    void refresh_routes();
    void route_pending(Peer& to);
    void resend_direct(Peer& to);
    void queue_on_route(Peer& to, const std::shared_ptr<OutMessage>& message);
    void add_job(Peer& via, const Peer& to, const std::shared_ptr<OutMessage>& message);
    void restart_send_stream(Peer& to);
    void retransmit_if_stalled(Peer& to, Lane lane);
    void pump(Peer& neighbour);
    void pump_server();
    std::optional<Bytes> take_frame(Peer& neighbour, NeighbourQueue::Jobs& jobs);
    std::size_t payload_limit(const Peer& neighbour, bool tagged) const;

    void report_received(Peer& neighbour);
    void send_control(Peer& to, FrameType type, std::uint8_t flags, const Bytes& payload, std::uint32_t message_id);
    void send_ack(Peer& origin, Lane lane);
    std::uint32_t take_ack(Peer& origin, Lane lane);
    void advertise_links();
    void refresh_link_states();
    void advertise_when_due(Millis Peer::*stamp, Millis interval);
    void handle_frame(Peer& from, Bytes frame);
    void forward(const FrameHeader& header, Bytes frame);
    void refuse_forged(Peer& from, const char* what);
    void refuse_altered(Peer& from, const Peer& origin);
    void handle_link_proof(Peer& from, const FrameHeader& header, const Bytes& frame);
    void send_link_proof(Peer& neighbour);
    const RelayKey* relay_key_via(const Peer& via, PeerHash destination) const;
    void say_goodbye(Peer& neighbour);
    FrameHeader header_from_us(FrameType type, PeerHash destination, std::uint32_t destination_epoch, std::uint32_t message_id,
                               std::size_t total_length) const;
    void send_now(Peer& neighbour, FrameType type, std::uint32_t message_id, const Bytes& payload = {});
    void advertise_to(Peer& neighbour);
    void check_liveness();
    void forgive_stall(Millis stalled);
    Millis silence_timeout(const Peer& peer) const;
    std::string usable_sdp(const std::string& sdp) const;  // without what Options exclude
    bool learn_epoch(Peer& origin, std::uint32_t epoch, bool direct, bool is_link_state);
    void handle_data(Peer& from, Peer& origin, const FrameHeader& header, Bytes frame);
    void handle_ack(Peer& origin, Lane lane, std::uint32_t acked_upto);
    static bool take_channel_name(Event& e);

    Options options_;
    TestFaults faults_;  // none, outside tests
    Status init_status_;
    Rng rng_;
    Outbox out_;
    DirectChannels direct_;  // follows each peer's connection (with_link)
    MediaTracks media_;      // so do the tracks
    std::map<std::string, PeerLink*> links();
    Millis now_ = 0;
    Millis due_by_ = -1;  // next_wakeup() as the last update() left it: the host ticks by then
    StallGuard stall_;  // see kStallGraceMs
    bool closed_ = false;
    PeerHash self_hash_;
    std::uint32_t epoch_;
    std::map<std::string, std::unique_ptr<Peer>> peers_;  // ordered: deterministic iteration
    // The signaling server as a pseudo neighbour (Options::server_path): in
    // no map, named in routes by kServerRoute; sends metered in bytes.
    std::unique_ptr<Peer> server_;
    double server_budget_ = 0;  // bytes it may take now
    double server_rate_ = 0;    // bytes per second
    Millis server_refilled_ = 0;
};

}  // namespace rtcmesh::mesh

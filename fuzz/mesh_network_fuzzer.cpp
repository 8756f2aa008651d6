// Stateful: three meshes over the simulated WebRTC, driven by the input
// through sends, broadcasts, link kills and heals, peer removal and return,
// hostile frames injected on a link, and hostile signaling. Afterwards the
// network heals and must form again and carry a message; memory stays
// bounded throughout (checked by the queue limit and, for leaks, by ASan).
// The input decides whether the members share relay keys; hostile frames are
// then sometimes tagged with the right key, so the checks past the tag run.
#include <cstdlib>

#include "core/mesh/relay_auth.hpp"
#include "fuzz_input.hpp"
#include "mesh/sim_webrtc.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

namespace {

const std::vector<std::string> kIds{"a", "b", "c"};

Options options_for(const std::string& id) {
    Options options;
    options.id = id;
    options.peers = kIds;
    options.max_queued_bytes_per_peer = 1u << 20;
    return options;
}

// The key members x and y share (the same both ways).
RelayKey pair_key(const std::string& x, const std::string& y) {
    RelayKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(x[0] + y[0] + i);
    return key;
}

// A frame with a plausible header so it passes the codec and reaches the
// stream logic; the fuzzer picks the fields. One that asks for a tag
// sometimes gets the one its origin and `to` share.
Bytes plausible_frame(fuzz::FuzzInput& in, const std::string& to) {
    FrameHeader h;
    const std::string& origin = kIds[in.below(3)];
    h.type = static_cast<FrameType>(1 + in.below(4));  // data, ack, link_state, window
    h.flags = in.byte() & kKnownFlags;
    h.hops_left = static_cast<std::uint8_t>(in.below(4));
    h.origin = peer_hash(origin);
    h.origin_epoch = in.u32();
    h.destination = in.below(2) ? 0 : peer_hash(kIds[in.below(3)]);
    h.message_id = in.below(64);
    h.chunk_index = in.below(3);
    const Bytes payload = in.bytes(512);
    h.total_length = static_cast<std::uint32_t>(payload.size() + in.below(2) * in.below(4096));
    h.destination_epoch = in.u32();
    h.ack_upto = in.below(64);  // with flag_ack: an ack of y's stream, right or wrong
    const bool tag = (h.flags & flag_relay_tag) != 0 && in.below(2) == 1;
    if (tag) h.flags &= static_cast<std::uint8_t>(~flag_relay_tag);
    Bytes frame = encode_frame(h, payload.data(), payload.size());
    if (tag) append_relay_tag(pair_key(origin, to), frame);
    return frame;
}

void step(sim::SimNetwork& net, fuzz::FuzzInput& in) {
    const std::string& x = kIds[in.below(3)];
    const std::string& y = kIds[in.below(3)];
    switch (in.below(9)) {
        case 0: (void)net.mesh(x).send(y, in.bytes(70000), in.below(2) == 1); break;
        case 1: (void)net.mesh(x).broadcast(in.bytes(300), false); break;
        case 2: if (x != y) net.kill_link(x, y); break;
        case 3: if (x != y) net.restore_link(x, y); break;
        case 4: (void)net.inject(x, y, in.bytes(128)); break;
        case 5: (void)net.inject(x, y, plausible_frame(in, y)); break;
        case 6: (void)net.mesh(x).create_answer(y, in.text(200)); break;
        case 7: (void)net.mesh(x).add_ice_candidate(y, in.text(100)); break;
        default: net.run_for(1 + in.below(3000)); break;
    }
    for (const auto& id : kIds)
        for (const auto& peer : kIds)
            if (net.mesh(id).queued_bytes(peer) > (1u << 20)) std::abort();  // the queue limit leaked
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    sim::SimNetwork net(in.u32());
    for (const auto& id : kIds) net.add_node(options_for(id));
    if (!net.run_until([&] { return net.fully_meshed(kIds); }, 20'000)) std::abort();
    if (in.below(2) == 1) {
        for (const auto& x : kIds)
            for (const auto& y : kIds) {
                const RelayKey key = pair_key(x, y);
                if (x != y && !net.mesh(x).set_relay_key(y, key.data(), key.size()).ok()) std::abort();
            }
    }
    for (int steps = 0; steps < 200 && !in.empty(); ++steps) step(net, in);

    for (const auto& x : kIds)
        for (const auto& y : kIds)
            if (x != y) net.restore_link(x, y);
    // Recovery may wait out a reconnect backoff (up to 30 s) before re-forming.
    if (!net.run_until([&] { return net.fully_meshed(kIds); }, 120'000)) std::abort();
    return 0;
}

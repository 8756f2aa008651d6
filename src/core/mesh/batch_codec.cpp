#include "core/mesh/batch_codec.hpp"

#include <string>

#include "core/common/packer.hpp"

namespace rtcmesh::mesh {
namespace {

void pack_command(Packer& p, const Command& c) {
    p.u8(static_cast<std::uint8_t>(c.kind));
    switch (c.kind) {
        case CommandKind::create_peer_connection: p.u32(c.pc), p.str(c.peer), p.str(c.text); break;
        case CommandKind::create_data_channel:
            p.u32(c.pc), p.u32(c.channel), p.str(c.text);
            p.u32(c.data_channel.id), p.u8(c.data_channel.ordered ? 1 : 0);
            p.num(static_cast<std::uint64_t>(c.data_channel.max_retransmits + 1));  // 0: reliable
            break;
        case CommandKind::set_local_description: p.u32(c.pc), p.u8(c.ice_restart ? 1 : 0); break;
        case CommandKind::set_remote_description:
            p.u32(c.pc), p.u8(c.sdp_type == SdpType::offer ? 0 : 1), p.str(c.text);
            break;
        case CommandKind::add_ice_candidate: p.u32(c.pc), p.str(c.text); break;
        case CommandKind::send: p.u32(c.channel), p.bytes(c.bytes); break;
        case CommandKind::set_buffered_amount_low_threshold: p.u32(c.channel), p.num(c.number); break;
        case CommandKind::close_channel: p.u32(c.channel); break;
        case CommandKind::close_peer_connection: p.u32(c.pc); break;
        case CommandKind::send_via_server: p.str(c.peer), p.bytes(c.bytes); break;
        case CommandKind::add_track:
        case CommandKind::remove_track: p.u32(c.pc), p.u32(static_cast<std::uint32_t>(c.number)); break;
    }
}

void pack_event(Packer& p, const Event& e) {
    p.u8(static_cast<std::uint8_t>(e.kind));
    p.str(e.peer);
    if (e.kind == EventKind::message) {
        const bool named = !e.channel.empty();
        p.u8(static_cast<std::uint8_t>((e.is_text ? 1 : 0) | (e.system ? 2 : 0) | (named ? 4 : 0)));
        if (named) p.str(e.channel);
        p.bytes(e.data);
        return;
    }
    if (e.kind == EventKind::error) p.u8(static_cast<std::uint8_t>(e.code));
    p.str(e.text);
}

}  // namespace

void pack_commands_and_events(const std::vector<Command>& commands, const std::vector<Event>& events, Bytes& out) {
    Packer p(out);
    p.u32(static_cast<std::uint32_t>(commands.size()));
    for (const auto& c : commands) pack_command(p, c);
    p.u32(static_cast<std::uint32_t>(events.size()));
    for (const auto& e : events) pack_event(p, e);
}

}  // namespace rtcmesh::mesh

// The host's half of the host wire (src/core/session/host_wire.hpp) for the
// test kit: each function packs one input record as the JS shim's HostInbox
// writes it, so simulated hosts report into a session the way pages do.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/packer.hpp"
#include "core/session/host_wire.hpp"

namespace rtcmesh::sim::records {

using mesh::Handle;
using session::HostInput;

namespace detail {
inline Packer start(Bytes& out, HostInput kind, Handle handle) {
    Packer p(out);
    p.u8(static_cast<std::uint8_t>(kind));
    p.u32(handle);
    return p;
}
}  // namespace detail

inline void local_description(Bytes& out, Handle pc, mesh::SdpType type, const std::string& sdp) {
    Packer p = detail::start(out, HostInput::local_description, pc);
    p.u8(type == mesh::SdpType::answer ? 1 : 0);
    p.str(sdp);
}
inline void remote_description_set(Bytes& out, Handle pc) { detail::start(out, HostInput::remote_description_set, pc); }
inline void local_candidate(Bytes& out, Handle pc, const std::string& candidate) {
    detail::start(out, HostInput::local_candidate, pc).str(candidate);
}
inline void connection_state(Bytes& out, Handle pc, mesh::ConnectionState state) {
    detail::start(out, HostInput::connection_state, pc).str(mesh::to_string(state));
}
inline void max_message_size(Bytes& out, Handle pc, std::size_t bytes) {
    detail::start(out, HostInput::max_message_size, pc).num(bytes);
}
inline void channel_open(Bytes& out, Handle channel) { detail::start(out, HostInput::channel_open, channel); }
inline void channel_closed(Bytes& out, Handle channel) { detail::start(out, HostInput::channel_closed, channel); }
inline void operation_failed(Bytes& out, Handle pc, mesh::CommandKind what, const std::string& error) {
    Packer p = detail::start(out, HostInput::operation_failed, pc);
    p.u8(static_cast<std::uint8_t>(what));
    p.str(error);
}
inline void channel_message(Bytes& out, Handle channel, const Bytes& frame) {
    detail::start(out, HostInput::channel_message, channel).bytes(frame);
}
inline void buffered_amount(Bytes& out, Handle channel, std::size_t bytes) {
    detail::start(out, HostInput::buffered_amount, channel).num(bytes);
}
inline void server_path(Bytes& out, bool up, std::size_t max_frame_bytes, std::size_t bytes_per_second) {
    Packer p(out);
    p.u8(static_cast<std::uint8_t>(HostInput::server_path));
    p.u8(up ? 1 : 0);
    p.num(max_frame_bytes);
    p.num(bytes_per_second);
}
inline void server_frame(Bytes& out, const std::string& from, const Bytes& frame) {
    Packer p(out);
    p.u8(static_cast<std::uint8_t>(HostInput::server_frame));
    p.str(from);
    p.bytes(frame);
}

}  // namespace rtcmesh::sim::records

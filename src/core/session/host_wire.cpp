#include "core/session/host_wire.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/common/packer.hpp"
#include "core/mesh/batch_codec.hpp"

namespace rtcmesh::session {
namespace {

using mesh::ErrorCode;
using mesh::Status;

constexpr double kMaxExact = 9007199254740992.0;  // 2^53: beyond it doubles skip integers

// A host's number of bytes, clamped to what the core holds (NaN: 0).
std::size_t to_size(double value) {
    if (!(value > 0)) return 0;
    if (value >= kMaxExact) return static_cast<std::size_t>(-1);
    return static_cast<std::size_t>(value);
}

// A host's clock reading in ms (NaN or negative: 0).
Millis to_millis(double value) {
    if (!(value > 0)) return 0;
    return static_cast<Millis>(std::floor(std::min(value, kMaxExact)));
}

Status apply_send(Session& session, Unpacker& in) {
    const std::string peer = in.str();
    const std::uint8_t flags = in.u8();
    const std::string channel = (flags & 4) != 0 ? in.str() : std::string();
    auto [data, size] = in.bytes();
    if (!in.ok()) return Status::fail(ErrorCode::bad_argument, "malformed host input: a truncated send");
    const bool is_text = (flags & 1) != 0;
    if ((flags & 4) != 0) return session.send_on_channel(peer, channel, data, size, is_text);
    Bytes payload(data, data + size);
    return peer.empty() ? session.mesh().broadcast(std::move(payload), is_text)
                        : session.mesh().send(peer, std::move(payload), is_text);
}

// A report of what the host's WebRTC did (the records after server_frame);
// false when `kind` is not one. A truncated record leaves `in` failed.
bool apply_report(mesh::Mesh& mesh, HostInput kind, Unpacker& in) {
    switch (kind) {
        case HostInput::local_description: {
            const mesh::Handle pc = in.u32();
            const auto type = in.u8() == 1 ? mesh::SdpType::answer : mesh::SdpType::offer;
            const std::string sdp = in.str();
            if (in.ok()) mesh.on_local_description(pc, type, sdp);
            return true;
        }
        case HostInput::remote_description_set: {
            const mesh::Handle pc = in.u32();
            if (in.ok()) mesh.on_remote_description_set(pc);
            return true;
        }
        case HostInput::local_candidate: {
            const mesh::Handle pc = in.u32();
            const std::string candidate = in.str();
            if (in.ok()) mesh.on_local_candidate(pc, candidate);
            return true;
        }
        case HostInput::connection_state: {
            const mesh::Handle pc = in.u32();
            const std::string state = in.str();
            if (in.ok()) mesh.on_connection_state(pc, mesh::connection_state_named(state));
            return true;
        }
        case HostInput::max_message_size: {
            const mesh::Handle pc = in.u32();
            const double bytes = in.num();
            if (in.ok()) mesh.on_max_message_size(pc, to_size(bytes));
            return true;
        }
        case HostInput::channel_open:
        case HostInput::channel_closed: {
            const mesh::Handle channel = in.u32();
            if (!in.ok()) return true;
            if (kind == HostInput::channel_open) mesh.on_channel_open(channel);
            else mesh.on_channel_closed(channel);
            return true;
        }
        case HostInput::operation_failed: {
            const mesh::Handle pc = in.u32();
            const std::uint8_t what = in.u8();
            const std::string error = in.str();
            // An unknown command kind is reported as a failed send: the
            // connection is retried either way.
            const auto command = what < mesh::kCommandKindCount ? static_cast<mesh::CommandKind>(what) : mesh::CommandKind::send;
            if (in.ok()) mesh.on_operation_failed(pc, command, error);
            return true;
        }
        default: return false;
    }
}

// Applies records in order; returns the last send's status, or the first
// malformed record's.
Status apply_input(Session& session, const std::uint8_t* input, std::size_t size) {
    Unpacker in(input, size);
    Status last_send;
    while (!in.at_end()) {
        const auto kind = static_cast<HostInput>(in.u8());
        switch (kind) {
            case HostInput::tick: {
                const double now = in.num();
                if (in.ok()) session.update(to_millis(now));
                break;
            }
            case HostInput::send: last_send = apply_send(session, in); break;
            case HostInput::open_channel: {
                const std::string name = in.str();
                ChannelSpec spec;
                spec.ordered = in.u8() != 0;
                const double retransmits = in.num();
                if (!in.ok()) break;
                // NaN, negative: reliable; a huge count is as good as reliable.
                spec.max_retransmits = retransmits >= 0 ? static_cast<std::int32_t>(std::min(retransmits, 65535.0)) : -1;
                last_send = session.open_channel(name, spec);
                break;
            }
            case HostInput::close_channel: {
                const std::string name = in.str();
                if (in.ok()) session.close_channel(name);
                break;
            }
            case HostInput::channel_message: {
                const mesh::Handle channel = in.u32();
                auto [data, frame_size] = in.bytes();
                if (in.ok()) session.mesh().on_channel_message(channel, Bytes(data, data + frame_size));
                break;
            }
            case HostInput::buffered_amount: {
                const mesh::Handle channel = in.u32();
                const double amount = in.num();
                if (in.ok()) session.mesh().on_buffered_amount(channel, to_size(amount));
                break;
            }
            case HostInput::server_path: {
                const bool up = in.u8() != 0;
                const double max_frame = in.num();
                const double rate = in.num();
                if (in.ok()) session.mesh().on_server_path(up, to_size(max_frame), to_size(rate));
                break;
            }
            case HostInput::server_frame: {
                const std::string from = in.str();
                auto [data, frame_size] = in.bytes();
                if (in.ok()) session.mesh().on_server_frame(from, Bytes(data, data + frame_size));
                break;
            }
            default:
                if (apply_report(session.mesh(), kind, in)) break;
                return Status::fail(ErrorCode::bad_argument,
                                    "malformed host input: unknown record kind " + std::to_string(static_cast<int>(kind)));
        }
        if (!in.ok()) return Status::fail(ErrorCode::bad_argument, "malformed host input: a truncated record");
    }
    return last_send;
}

}  // namespace

void exchange(Session& session, double host_now, const std::uint8_t* input, std::size_t size, bool drain, Bytes& out) {
    const Millis now = to_millis(host_now);
    if (now > session.now() + kStaleClockMs) session.update(now);
    const Status status = apply_input(session, input, size);
    out.clear();
    Packer p(out);
    p.u8(kHostWireVersion);
    p.u32(0);  // total length, patched below
    p.num(drain ? static_cast<std::uint64_t>(std::max<Millis>(0, session.next_wakeup())) : 0);
    p.u8(static_cast<std::uint8_t>(status.code));
    p.str(status.message);
    p.u8(session.mesh().sends_waiting() ? 1 : 0);
    if (drain) {
        mesh::pack_commands_and_events(session.take_commands(), session.take_events(), out);
    } else {
        p.u32(0);
        p.u32(0);
    }
    const auto total = static_cast<std::uint32_t>(out.size());
    for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<std::uint8_t>(total >> (8 * i));
}

}  // namespace rtcmesh::session

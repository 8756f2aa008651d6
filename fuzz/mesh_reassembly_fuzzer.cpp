// Chunk reassembly and in-order delivery under arbitrary frames: valid
// headers with fuzzed ids, chunk indexes, lengths and paths. Checks that
// delivery stays in order without duplicates and that the shared budget is
// fully returned once the stream is reset.
#include <cstdlib>

#include "core/mesh/receive_stream.hpp"
#include "fuzz_input.hpp"

using namespace rtcmesh;
using namespace rtcmesh::mesh;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::FuzzInput in(data, size);
    ReassemblyLimits limits;
    limits.max_bytes = 1u << 16;
    limits.max_messages = 16;
    limits.max_reorder = 64;
    limits.timeout_ms = 100;
    ReassemblyBudget budget;
    ReceiveStream stream;
    Millis now = 0;
    std::uint32_t last_delivered = 0;
    while (!in.empty()) {
        FrameHeader h;
        h.message_id = 1 + in.below(80);
        h.chunk_index = in.below(4);
        h.total_length = in.below(4096);
        h.flags = in.byte() & kKnownFlags;
        h.ack_upto = in.below(100);
        const Bytes payload = in.bytes(2048);
        Bytes frame = encode_frame(h, payload.data(), payload.size());
        const DecodeResult decoded = decode_frame(frame, limits.max_bytes);
        if (!decoded.header) continue;  // the codec already refuses it
        FrameHeader header = *decoded.header;
        strip_ack_trailer(header, frame);  // as Mesh::handle_frame does
        std::vector<Delivery> ready;
        std::string error;
        const Handle via = 1 + in.below(2);
        (void)stream.on_data(header, std::move(frame), via, now, budget, limits, ready, error);
        if (!ready.empty()) {
            const std::uint32_t first = stream.delivered_upto() - static_cast<std::uint32_t>(ready.size()) + 1;
            if (first != last_delivered + 1) std::abort();  // a gap or a repeat
            last_delivered = stream.delivered_upto();
        }
        if (budget.bytes > limits.max_bytes || budget.messages > limits.max_messages) std::abort();
        now += in.below(50);
        (void)stream.expire(now, budget, limits);
    }
    stream.reset(0, budget);
    if (budget.bytes != 0 || budget.messages != 0) std::abort();  // reservations leaked
    return 0;
}

#include "core/common/bytes.hpp"

namespace rtcmesh {

void resize_bytes(Bytes& bytes, std::size_t size) { bytes.resize(size); }

void release_bytes(Bytes& bytes) { Bytes().swap(bytes); }

}  // namespace rtcmesh

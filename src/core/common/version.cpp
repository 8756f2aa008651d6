#include "core/common/version.hpp"

namespace rtcmesh {

const char* version() { return RTCMESH_VERSION; }

}  // namespace rtcmesh

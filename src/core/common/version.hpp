#pragma once

namespace rtcmesh {

// The library's version, as in package.json. Both the wasm module and the
// JS package report it, so a page can tell a stale cached .wasm apart.
const char* version();

}  // namespace rtcmesh

// rtcmesh public entry point (browsers and bundlers).
//
// The module waits for the WebAssembly core at import (top-level await), so
// `new RTCMesh(...)` and `new Raft(...)` are synchronous, as in the seed's
// examples. A core that cannot load makes the import fail with a message
// that says so. Targets without top-level await use "rtcmesh/async"
// (js/async.js), which exports the same names and loads on ready().
import { ready } from './async.js';

await ready();

export * from './async.js';

// rtcmesh public entry point (browsers and bundlers).
//
// The module waits for the WebAssembly core at import (top-level await), so
// `new RTCMesh(...)` and `new Raft(...)` are synchronous, as in the seed's
// examples. A core that cannot load makes the import fail with a message
// that says so.
import { loadCore } from './api/core-module.js';

await loadCore();

export { loadCore } from './api/core-module.js';
export { RTCMesh, RTCMeshError } from './api/rtc-mesh.js';
export { SignalClient } from './signal/client.js';
export { Raft, RaftError } from './api/raft.js';
export { ReplicatedMap } from './api/replicated-map.js';
export { openIndexedDBStorage, deleteIndexedDBStorage } from './api/indexeddb-storage.js';

// rtcmesh without top-level await ("rtcmesh/async"), for bundlers and
// targets that cannot handle one (Vite 5 and 6 builds, CommonJS require() of
// ES modules). Importing it loads nothing: await ready() before `new RTCMesh()`
// or `new Raft()`, whose constructors otherwise throw an error with code
// "not_ready". RTCMesh.join() and Raft.open() are async and wait for the core
// themselves. This is the one list of exports: js/index.js re-exports it.
export { loadCore, loadCore as ready } from './api/core-module.js';
export { RTCMesh, RTCMeshError } from './api/rtc-mesh.js';
export { MeshChannel } from './api/mesh-channel.js';
export { SignalClient } from './signal/client.js';
export { RoomSeal } from './api/room-seal.js';
export { Raft, RaftError } from './api/raft.js';
export { ReplicatedMap } from './api/replicated-map.js';
export { openIndexedDBStorage, deleteIndexedDBStorage } from './api/indexeddb-storage.js';

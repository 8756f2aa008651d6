// "rtcmesh/async" for Node (the "node" export condition): js/async.js with the
// .wasm read from disk, and no top-level await, so that require() of this ES
// module works where Node supports it (20.19+, 22.12+).
import './wasm-binary.js';

export * from '../async.js';
export * from './node-only.js';

// rtcmesh entry point for Node (the "node" export condition): the same API as
// the browser entry, with the .wasm read from disk. Pass an RTCPeerConnection
// implementation (e.g. @roamhq/wrtc's) in the RTCMesh options.
import './wasm-binary.js';

export * from '../index.js';
export * from './node-only.js';

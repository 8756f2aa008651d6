// Page side of the peer-left benchmark (bench/peer-left.mjs): a node that
// joins a room, over RTCMesh.join or the raw client of load.js, and notes the
// machine-clock time of the first sign that each peer went (rtcmesh:
// `peerremoved`; raw: its channel closed or its connection went
// disconnected, failed or closed).
import { RTCMesh } from '/js/index.js';
import { rawNode } from './load.js';

const now = () => performance.timeOrigin + performance.now();
const gone = {}; // peer -> when it was first seen gone
let node = null;

const noteGone = (peer) => {
  gone[peer] ??= now();
};

export async function join({ kind, url, room, id }) {
  if (kind === 'rtcmesh') {
    const mesh = await RTCMesh.join(url, room, { id });
    mesh.addEventListener('peerremoved', ({ detail }) => noteGone(detail.peer));
    node = { openLinks: () => mesh.peers.filter((peer) => mesh.readyState(peer) === 'open').length, close: () => mesh.close() };
  } else {
    const recorder = { receive() {} };
    node = await rawNode(url, room, id, recorder, { onGone: noteGone });
  }
}

export const openLinks = () => node?.openLinks() ?? 0;
export const goneAt = (peer) => gone[peer] ?? null;
export const clock = () => now();

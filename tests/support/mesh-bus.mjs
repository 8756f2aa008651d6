// An in-process signaling bus for tests: wires every mesh's offer, answer and
// icecandidate events to the named peer, asynchronously (as a server would).
import wrtc from '@roamhq/wrtc';
import { RTCMesh } from 'rtcmesh';

export { withTimeout } from './wait.mjs';

export const { RTCPeerConnection } = wrtc;

/** Resolves with the first event of `type` on `target` for which `match(event)` holds. */
export function nextEvent(target, type, match = () => true) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if (!match(event)) return;
      target.removeEventListener(type, listener);
      resolve(event);
    };
    target.addEventListener(type, listener);
  });
}

export class MeshBus {
  meshes = new Map(); // id -> RTCMesh
  errors = []; // every `error` event, as { at, detail }
  blocked = new Set(); // ids whose signaling is cut
  // (from, to, candidate) => the candidate to deliver (or a promise of it);
  // undefined drops it. Tests put a lossy path between members with it.
  candidates = (from, to, candidate) => candidate;

  /** Creates a mesh for `id`, joined to the bus. */
  add(id, peers, options = {}) {
    const mesh = new RTCMesh({ id, peers, RTCPeerConnection, ...options });
    this.meshes.set(id, mesh);
    // Delivered on a later turn, as a server would; dropped if the target is gone.
    const forward = (to, method, payload) =>
      setImmediate(() => {
        const target = this.meshes.get(to);
        if (target && !target.closed && !this.blocked.has(to)) target[method](id, payload);
      });
    mesh.addEventListener('offer', ({ detail }) => forward(detail.peer, 'createAnswer', detail.sdp));
    mesh.addEventListener('answer', ({ detail }) => forward(detail.peer, 'addAnswer', detail.sdp));
    mesh.addEventListener('icecandidate', async ({ detail }) => {
      const candidate = await this.candidates(id, detail.peer, detail.candidate);
      if (candidate !== undefined) forward(detail.peer, 'addIceCandidate', candidate);
    });
    mesh.addEventListener('error', ({ detail }) => this.errors.push({ at: id, detail }));
    return mesh;
  }

  /** Creates a full network of the given ids. */
  static full(ids, options = {}) {
    const bus = new MeshBus();
    for (const id of ids) bus.add(id, ids, options);
    return bus;
  }

  /** Resolves when every pair of live meshes has an open channel. */
  async formed(timeoutMs = 20000) {
    const allOpen = () => {
      const live = [...this.meshes.values()].filter((mesh) => !mesh.closed);
      return live.every((mesh) => live.every((other) => other === mesh || mesh.readyState(other.id) === 'open'));
    };
    const deadline = Date.now() + timeoutMs;
    while (!allOpen()) {
      if (Date.now() > deadline) throw new Error(`mesh not formed within ${timeoutMs} ms: ${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  describe() {
    const live = [...this.meshes.values()].filter((mesh) => !mesh.closed);
    return live.map((mesh) => `${mesh.id}:[${mesh.peers.map((peer) => `${peer}=${mesh.readyState(peer)}`).join(' ')}]`).join(' ');
  }

  closeAll() {
    for (const mesh of this.meshes.values()) mesh.close();
  }
}

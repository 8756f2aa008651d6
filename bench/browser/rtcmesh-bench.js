// Page-side benchmark bodies for RTCMesh (the wasm path), shaped like the raw
// ones in raw-webrtc.js so the two are measured the same way in one run.
import { RTCMesh } from '/js/index.js';
import { percentiles } from './raw-webrtc.js';

/** N meshes in this page, signaling each other directly; resolves when all pairs are open. */
async function connectMeshes(n, options = {}) {
  const ids = Array.from({ length: n }, (_, i) => `bench-${i}`);
  const meshes = new Map();
  for (const id of ids) {
    const mesh = new RTCMesh({ id, peers: ids, ...options });
    meshes.set(id, mesh);
    const to = (peer) => meshes.get(peer);
    mesh.addEventListener('offer', ({ detail }) => to(detail.peer).createAnswer(id, detail.sdp));
    mesh.addEventListener('answer', ({ detail }) => to(detail.peer).addAnswer(id, detail.sdp));
    mesh.addEventListener('icecandidate', ({ detail }) => to(detail.peer).addIceCandidate(id, detail.candidate));
  }
  const all = [...meshes.values()];
  const formed = () => all.every((mesh) => mesh.peers.every((peer) => mesh.readyState(peer) === 'open'));
  await new Promise((resolve) => {
    const check = () => (formed() ? resolve() : setTimeout(check, 1));
    check();
  });
  return { meshes: all, close: () => all.forEach((mesh) => mesh.close()) };
}

/** Streams to one peer, pausing on bufferedAmount like the raw path does. */
export async function meshThroughput({ messageBytes = 65536, totalBytes = 256 * 1024 * 1024 } = {}) {
  const { meshes: [a, b], close } = await connectMeshes(2);
  const payload = new Uint8Array(messageBytes);
  const messages = Math.ceil(totalBytes / messageBytes);
  const highWater = 4 * 1024 * 1024;
  let received = 0;
  const done = new Promise((resolve) => {
    b.addEventListener('message', ({ data }) => {
      received += data.byteLength;
      if (received >= messages * messageBytes) resolve();
    });
  });
  const start = performance.now();
  for (let sent = 0; sent < messages; sent++) {
    if (a.bufferedAmount(b.id) > highWater) {
      // Bounded: a send window that never drains is a finding, not a hang.
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`RTCMesh send stalled: ${a.bufferedAmount(b.id)} bytes unacknowledged for 30 s after ${sent} messages`)), 30000);
        a.addEventListener('bufferedamountlow', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
    a.send(b.id, payload);
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  close();
  return { bytes: received, seconds, mbPerSecond: received / seconds / 1e6 };
}

export async function meshLatency({ rounds = 10000, size = 100 } = {}) {
  const { meshes: [a, b], close } = await connectMeshes(2);
  b.addEventListener('message', ({ data, origin }) => b.send(origin, data));
  const payload = new Uint8Array(size);
  const samples = new Float64Array(rounds);
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await new Promise((resolve) => {
      a.addEventListener('message', resolve, { once: true });
      a.send(b.id, payload);
    });
    samples[i] = performance.now() - start;
  }
  close();
  return percentiles(samples);
}

export async function meshFormation(n) {
  const start = performance.now();
  const { close } = await connectMeshes(n);
  const ms = performance.now() - start;
  close();
  return { peers: n, channels: (n * (n - 1)) / 2, ms };
}

/**
 * One 16 MiB message to 3 peers by broadcast; resolves when all have it, or
 * after `timeoutMs` with `stalled: true` and how many receivers had it
 * (a broadcast that never completes is a finding, not a hang).
 */
export async function meshLargeMessage({ bytes = 16 * 1024 * 1024, receivers = 3, timeoutMs = 60000 } = {}) {
  const { meshes: [sender, ...others], close } = await connectMeshes(receivers + 1);
  let complete = 0;
  const arrived = Promise.all(others.map((mesh) => new Promise((resolve) => {
    mesh.addEventListener('message', ({ data }) => {
      complete++;
      resolve(data.byteLength);
    }, { once: true });
  })));
  let timer;
  const stalled = new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
  const start = performance.now();
  sender.broadcast(new Uint8Array(bytes));
  const sizes = await Promise.race([arrived, stalled]);
  clearTimeout(timer);
  const ms = performance.now() - start;
  const unacknowledged = others.map((mesh) => sender.bufferedAmount(mesh.id));
  close();
  if (sizes === null) return { bytes, receivers, ms: null, stalled: true, complete, unacknowledged, timeoutMs };
  if (sizes.some((size) => size !== bytes)) throw new Error(`a receiver got ${sizes} bytes`);
  return { bytes, receivers, ms };
}

/** wasm heap and JS heap per connected peer, with 8 meshes (7 peers each) in this page. */
export async function meshMemory(n = 8) {
  const { loadCore } = await import('/js/index.js');
  const core = await loadCore();
  globalThis.gc?.();
  const before = { wasm: core.heapStats().usedBytes, js: performance.memory?.usedJSHeapSize ?? 0 };
  const { close } = await connectMeshes(n);
  await new Promise((resolve) => setTimeout(resolve, 500));
  globalThis.gc?.();
  const after = { wasm: core.heapStats().usedBytes, js: performance.memory?.usedJSHeapSize ?? 0 };
  close();
  const links = n * (n - 1); // each mesh holds n-1 peers
  return {
    meshes: n,
    links,
    wasmBytesPerPeer: (after.wasm - before.wasm) / links,
    jsBytesPerPeer: (after.js - before.js) / links,
    wasmHeapBytes: core.heapStats().heapBytes,
  };
}

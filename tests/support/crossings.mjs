// A test hook that counts JS -> wasm crossings: every call into the module's
// plain `_rtcmesh_*` exports (the only way into the core), per the address of
// the core object they are given. The exports are wrapped where the library
// looks them up, so it runs unchanged.
import { loadCore } from 'rtcmesh';
import { MeshBus, withTimeout } from './mesh-bus.mjs';

export function countCrossings(module) {
  const counts = new Map(); // core object's address -> calls
  const restores = [];
  for (const name of Object.keys(module).filter((key) => key.startsWith('_rtcmesh_'))) {
    let original = module[name];
    const counted = (address, ...args) => {
      counts.set(address, (counts.get(address) ?? 0) + 1);
      const result = original(address, ...args);
      // An export's first call replaces itself on the module with the raw
      // wasm function: take that as the original and stay in place.
      if (module[name] !== counted) [original, module[name]] = [module[name], counted];
      return result;
    };
    module[name] = counted;
    restores.push(() => { module[name] = original; });
  }
  return {
    counts,
    total: () => [...counts.values()].reduce((sum, n) => sum + n, 0),
    reset: () => counts.clear(),
    restore: () => restores.forEach((restore) => restore()),
  };
}

/**
 * Two meshes in Node (wrtc): `messages` sends from a to b in one synchronous
 * loop (nothing else runs meanwhile), then their receipt. Returns the
 * crossings counted for each, and which cores were called while sending.
 */
export async function measureCrossings(messages = 1000) {
  const bus = MeshBus.full(['a', 'b']);
  const crossings = countCrossings(await loadCore());
  try {
    await bus.formed();
    const a = bus.meshes.get('a');
    const b = bus.meshes.get('b');
    let received = 0;
    const arrived = new Promise((resolve) => b.addEventListener('message', () => { if (++received === messages) resolve(); }));
    crossings.reset();
    for (let i = 0; i < messages; i++) a.send('b', `message ${i}`);
    const coresCalledWhileSending = crossings.counts.size;
    const [senderCore, sendCalls] = [...crossings.counts][0];
    crossings.reset();
    const started = performance.now();
    await withTimeout(arrived, 30000, 'every message arrives');
    const receiveMs = performance.now() - started;
    const receiveCalls = [...crossings.counts].filter(([core]) => core !== senderCore).reduce((sum, [, n]) => sum + n, 0);
    return {
      messages, coresCalledWhileSending, sendCalls, receiveCalls, receiveMs,
      perSend: sendCalls / messages, perReceived: receiveCalls / messages, errors: bus.errors,
    };
  } finally {
    crossings.restore();
    bus.closeAll();
  }
}

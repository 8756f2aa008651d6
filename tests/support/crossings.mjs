// A test hook that counts JS -> wasm crossings: every call into a method of
// the core's embind classes (Mesh, RaftNode), per core object, and into the
// module's plain `_rtcmesh_*` exports (the wire's hot path), per the address
// they are given. The functions are wrapped where the library looks them up,
// so it runs unchanged.
import { loadCore } from 'rtcmesh';
import { MeshBus, withTimeout } from './mesh-bus.mjs';

export function countCrossings(module) {
  const counts = new Map(); // core object -> calls
  const restores = [];
  for (const cls of [module.Mesh, module.RaftNode]) {
    const proto = cls.prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const original = Object.getOwnPropertyDescriptor(proto, name).value;
      if (name === 'constructor' || typeof original !== 'function') continue;
      proto[name] = function counted(...args) {
        counts.set(this, (counts.get(this) ?? 0) + 1);
        return original.apply(this, args);
      };
      restores.push(() => { proto[name] = original; });
    }
  }
  for (const name of Object.keys(module).filter((key) => key.startsWith('_rtcmesh_'))) {
    const original = module[name];
    module[name] = function counted(address, ...args) {
      counts.set(address, (counts.get(address) ?? 0) + 1);
      return original(address, ...args);
    };
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

// Crossings from JS into wasm per send and per received message, counted by
// the tests' hook (tests/support/crossings.mjs) on two meshes in Node with
// @roamhq/wrtc. Runnable alone: node bench/crossings.mjs
import { loadCore } from 'rtcmesh';
import { MeshBus, withTimeout } from '../tests/support/mesh-bus.mjs';
import { countCrossings } from '../tests/support/crossings.mjs';

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
    for (let i = 0; i < messages; i++) a.send('b', `message ${i}`); // synchronous: nothing else runs meanwhile
    const [senderCore, sendCalls] = [...crossings.counts][0];
    crossings.reset();
    const started = performance.now();
    await withTimeout(arrived, 30000, 'every message arrives');
    const seconds = (performance.now() - started) / 1000;
    const receiveCalls = [...crossings.counts].filter(([core]) => core !== senderCore).reduce((sum, [, n]) => sum + n, 0);
    return { messages, perSend: sendCalls / messages, perReceived: receiveCalls / messages, receiveSeconds: seconds };
  } finally {
    crossings.restore();
    bus.closeAll();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await measureCrossings());
  process.exit(0);
}

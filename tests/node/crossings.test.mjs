// The one wire: a send, and a received message, each cost one crossing into
// wasm (counted by a hook on the core's methods), not one per field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'rtcmesh';
import { MeshBus, withTimeout } from '../support/mesh-bus.mjs';
import { countCrossings } from '../support/crossings.mjs';

const MESSAGES = 200;

test('one crossing per send and per received message', { timeout: 60000 }, async () => {
  const bus = MeshBus.full(['a', 'b']);
  const crossings = countCrossings(await loadCore());
  try {
    await bus.formed();
    const a = bus.meshes.get('a');
    const b = bus.meshes.get('b');
    let received = 0;
    const allArrived = new Promise((resolve) => b.addEventListener('message', () => { if (++received === MESSAGES) resolve(); }));

    crossings.reset();
    // Synchronous: no timer or channel event of either mesh runs in between.
    for (let i = 0; i < MESSAGES; i++) a.send('b', `message ${i}`);
    assert.equal(crossings.counts.size, 1, 'only the sender was called');
    const [senderCore, sendCalls] = [...crossings.counts][0];
    assert.equal(sendCalls / MESSAGES, 1, `crossings per send: ${sendCalls / MESSAGES}`);

    crossings.reset();
    const started = performance.now();
    await withTimeout(allArrived, 20000, 'every message arrives');
    const elapsed = performance.now() - started;
    const receiverCalls = [...crossings.counts].filter(([core]) => core !== senderCore).reduce((sum, [, n]) => sum + n, 0);
    // Besides one exchange per message, the receiver is ticked every 25 ms.
    const ticks = Math.ceil(elapsed / 25) + 1;
    assert.ok(receiverCalls <= MESSAGES + ticks, `crossings for ${MESSAGES} received messages: ${receiverCalls} (${ticks} ticks allowed)`);
    assert.deepEqual(bus.errors, []);
  } finally {
    crossings.restore();
    bus.closeAll();
  }
});

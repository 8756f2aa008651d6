// No leaks: after many messages and many peers coming and going, the open
// RTCPeerConnections and the wasm heap return to their baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCore } from 'rtcmesh';
import { MeshBus, RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';

/** An RTCPeerConnection that counts how many of its kind are open. */
const live = { connections: 0, created: 0 };
class CountedPeerConnection extends RTCPeerConnection {
  #open = true;
  constructor(...args) {
    super(...args);
    live.connections++;
    live.created++;
  }
  close() {
    if (this.#open) live.connections--;
    this.#open = false;
    super.close();
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

test('10,000 messages and 50 join/leave cycles return to the baseline', { timeout: 120000 }, async () => {
  const core = await loadCore();
  const bus = MeshBus.full(['peer-1', 'peer-2'], { RTCPeerConnection: CountedPeerConnection });
  try {
    await bus.formed();
    const [a, b] = bus.meshes.values();
    await settle();
    const baseline = { connections: live.connections, heap: core.heapStats() };
    assert.equal(baseline.connections, 2);

    // 10,000 messages, in bursts that let the receiver keep up.
    let received = 0;
    b.addEventListener('message', () => received++);
    for (let burst = 0; burst < 100; burst++) {
      for (let i = 0; i < 100; i++) a.send('peer-2', i % 2 ? `message ${burst}-${i}` : new Uint8Array(256));
      const target = (burst + 1) * 100;
      await withTimeout(
        (async () => { while (received < target) await new Promise((resolve) => setTimeout(resolve, 5)); })(),
        10000,
        `message ${target}`,
      );
    }
    assert.equal(received, 10000);

    // 50 times: a third peer joins, forms its links, talks, and leaves.
    for (let cycle = 0; cycle < 50; cycle++) {
      const c = bus.add('peer-3', ['peer-1', 'peer-2', 'peer-3'], { RTCPeerConnection: CountedPeerConnection });
      a.addPeer('peer-3');
      b.addPeer('peer-3');
      await bus.formed();
      c.broadcast('hello');
      c.close();
      bus.meshes.delete('peer-3');
      a.removePeer('peer-3');
      b.removePeer('peer-3');
    }
    await settle();

    assert.equal(live.created, 2 + 50 * 4, 'every cycle made exactly its four connections');
    assert.equal(live.connections, baseline.connections, 'every RTCPeerConnection made was closed');
    assert.equal(a.openPeerConnections, 1);
    const heap = core.heapStats();
    assert.ok(
      heap.usedBytes - baseline.heap.usedBytes < 256 * 1024,
      `the wasm heap in use grew by ${heap.usedBytes - baseline.heap.usedBytes} bytes`,
    );
    assert.equal(heap.heapBytes, baseline.heap.heapBytes, 'the wasm memory did not grow');
  } finally {
    bus.closeAll();
  }
});

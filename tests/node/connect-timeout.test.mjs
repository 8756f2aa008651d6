// options.connectTimeoutMs reaches the mesh core: a link attempt that cannot
// open (its peer never hears from it) fails that long after its last progress
// (here its own offer and candidates, made at once), not after the core's
// default 15 s, and a bad value is refused up front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCMesh } from 'rtcmesh';
import { MeshBus, RTCPeerConnection, nextEvent, withTimeout } from '../support/mesh-bus.mjs';

test('a link attempt that cannot open fails after connectTimeoutMs', { timeout: 20000 }, async () => {
  const bus = new MeshBus();
  try {
    bus.blocked.add('b'); // nothing reaches b: a's offer goes nowhere
    const a = bus.add('a', ['a', 'b'], { connectTimeoutMs: 1000 });
    bus.add('b', ['a', 'b']);
    const started = Date.now();
    const { detail } = await withTimeout(nextEvent(a, 'failed', (event) => event.detail.peer === 'b'), 10000, 'a failed event');
    assert.equal(detail.reason, 'connection not established: no progress for 1000 ms');
    assert.ok(Date.now() - started < 5000, `failed after ${Date.now() - started} ms`);
  } finally {
    bus.closeAll();
  }
});

test('connectTimeoutMs must be a positive integer', () => {
  for (const connectTimeoutMs of [0, -1, 1.5, '1000']) {
    assert.throws(() => new RTCMesh({ id: 'a', RTCPeerConnection, connectTimeoutMs }), TypeError);
  }
});

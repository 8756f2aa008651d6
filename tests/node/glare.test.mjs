// Colliding offers ("glare") on real WebRTC in Node (@roamhq/wrtc). The core
// applies the impolite peer's offer on the polite peer while the polite
// peer's own offer is set, relying on the implicit rollback of
// setRemoteDescription(offer). Browsers do that; wrtc refuses it ("Called in
// wrong state: have-local-offer"), the link failed and was retried, and under
// load (32 members joining at once, where the polite peer's fallback offer
// often crosses a late one) pairs kept failing. The shim rolls back first.
//
// Shown to bite: without the rollback in js/shim/webrtc-host.js the pair was
// not linked after 15 s ("a:[b=closed] b:[a=connecting]").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeshBus } from '../support/mesh-bus.mjs';

test('colliding offers link up at once: the polite peer rolls its own offer back', { timeout: 30000 }, async () => {
  const bus = new MeshBus();
  try {
    bus.add('a', ['a', 'b']); // the initiator: offers on its first tick
    const polite = bus.add('b', ['a', 'b']);
    polite.createOffer('a').catch(() => {}); // and b offers too, as its fallback does when a's offer is late
    await bus.formed(15000);
    assert.deepEqual(bus.errors, []);
  } finally {
    bus.closeAll();
  }
});

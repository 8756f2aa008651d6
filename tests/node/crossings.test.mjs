// The one wire: a send, and a received message, each cost one crossing into
// wasm (counted by a hook on the core's methods), not one per field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureCrossings } from '../support/crossings.mjs';

const MESSAGES = 200;

test('one crossing per send and per received message', { timeout: 60000 }, async () => {
  const result = await measureCrossings(MESSAGES);
  assert.equal(result.coresCalledWhileSending, 1, 'only the sender was called');
  assert.equal(result.sendCalls / MESSAGES, 1, `crossings per send: ${result.sendCalls / MESSAGES}`);
  // At most one exchange per message (frames that arrive together share one), and ticks.
  const ticks = Math.ceil(result.receiveMs / 25) + 1;
  assert.ok(result.receiveCalls <= MESSAGES + ticks, `crossings for ${MESSAGES} received messages: ${result.receiveCalls} (${ticks} ticks allowed)`);
  assert.deepEqual(result.errors, []);
});

test('frames that arrive together cross into the receiving core together', { timeout: 60000 }, async () => {
  // The sender's loop blocks the event loop while wrtc queues what arrives:
  // the receiver takes those frames in one exchange (MeshPump.framesArrived, in Node),
  // not one each, so a loaded page pays the crossing and the core's
  // per-exchange work once per batch.
  const result = await measureCrossings(MESSAGES);
  assert.ok(result.receiveCalls <= MESSAGES / 4, `crossings for ${MESSAGES} received messages sent in one burst: ${result.receiveCalls}`);
  assert.deepEqual(result.errors, []);
});

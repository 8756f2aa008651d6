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
  // Besides one exchange per message, the receiver is ticked every 25 ms.
  const ticks = Math.ceil(result.receiveMs / 25) + 1;
  assert.ok(result.receiveCalls <= MESSAGES + ticks, `crossings for ${MESSAGES} received messages: ${result.receiveCalls} (${ticks} ticks allowed)`);
  assert.deepEqual(result.errors, []);
});

// Property-based fuzzing of the signaling server with fast-check: thousands of
// random frames (valid, nearly valid, deep, huge, binary, garbage) from
// attackers in their own rooms. After each sequence the server is up, a
// room of bystanders still signals, and no handler failed unexpectedly.
//
// Shown to bite: against main's server (RTCMESH_SIGNAL_SERVER) the first deep
// frame fast-check generates takes the process down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecordingClient } from '../support/ws-client.mjs';
import { roundTrip, withServer } from '../support/signal-server.mjs';
import { poll } from '../support/wait.mjs';
import { parseClientFrame, ProtocolError } from '../../js/signal/protocol.js';

const name = fc.oneof(
  fc.stringMatching(/^f[A-Za-z0-9._:-]{0,20}$/), // valid, never the bystanders' room
  fc.constantFrom('', 'calm ', '__proto__', 'constructor', 'a'.repeat(129), 'a/b', '<script>'),
  fc.jsonValue({ maxDepth: 2 }),
);
const deep = fc.tuple(fc.integer({ min: 30, max: 8000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
  const close = open === '[' ? ']' : '}';
  const inner = open === '[' ? '' : '1';
  return `{"type":"signal","to":"fx","data":${open.repeat(depth)}${inner}${close.repeat(depth)}}`;
});
const structured = fc.record({
  type: fc.oneof(fc.constantFrom('join', 'signal', 'leave', 'welcome', 'error', 'toString', '__proto__'), fc.string()),
  room: name,
  peer: name,
  to: fc.oneof(name, fc.constant('fx')),
  token: fc.oneof(fc.string(), fc.base64String({ minLength: 16, maxLength: 40 })),
  data: fc.oneof(fc.jsonValue({ maxDepth: 6 }), fc.constant(undefined)),
}, { requiredKeys: ['type'] }).map((frame) => JSON.stringify(frame));
const frame = fc.oneof(
  { arbitrary: structured, weight: 6 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 2 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
  { arbitrary: fc.constant('{"type":"signal","to":"fx","data":"' + 'x'.repeat(70 * 1024) + '"}'), weight: 1 },
);

test('parseClientFrame: any text gives a frame or a ProtocolError, never another throw', () => {
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), structured, deep), (text) => {
    try {
      parseClientFrame(text);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
  }), { numRuns: 5000 });
});

test('random frame streams leave the server up and other rooms unaffected', { timeout: 90000 }, () => withServer({ limits: { resumeGraceMs: 20, maxSocketsPerIp: 1000, ipJoinBurst: 100000 } }, async ({ server, connect }) => {
  const [calmA, calmB] = [await connect(), await connect()];
  await calmA.join('calm', 'a');
  await calmB.join('calm', 'b');
  let framesSent = 0;
  let round = 0;
  const started = Date.now();
  await fc.assert(fc.asyncProperty(fc.array(frame, { minLength: 20, maxLength: 60 }), async (frames) => {
    const attacker = await RecordingClient.connect(server.url);
    // Half the sequences start joined, so signal and leave frames go deeper.
    if (round++ % 2 === 0) await attacker.join(`froom-${round}`, 'fx');
    for (const each of frames) {
      if (attacker.socket.readyState !== 1) break;
      attacker.socket.send(each); // strings as text frames, Uint8Arrays as binary
      framesSent++;
    }
    attacker.socket.close();
    await attacker.closed;
    const note = `calm-${round}`;
    calmA.send({ type: 'signal', to: 'b', data: note });
    assert.equal((await calmB.next('signal', { where: (f) => f.data === note })).from, 'a');
    assert.equal(server.stats.internalErrors, 0);
  }), { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? 20261126), endOnFailure: true });
  console.log(`signal fuzz: ${framesSent} frames in ${round} sequences, ${Date.now() - started} ms`);
  assert.ok(framesSent >= 2000, `${framesSent} frames`);
  await roundTrip(calmA, 'a');
  await poll(() => server.socketCount === 2, 5000, 'attacker sockets to be gone');
  await poll(() => server.hub.roomCount === 1, 5000, 'attacker rooms to be gone');
  assert.deepEqual(calmA.frames.filter((f) => f.type === 'error'), []);
  assert.deepEqual(calmB.frames.filter((f) => f.type !== 'signal' && f.type !== 'welcome' && f.type !== 'peer-joined'), []);
}));

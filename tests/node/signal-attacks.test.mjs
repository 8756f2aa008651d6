// Attacks on the signaling server, with real WebSocket clients on loopback.
//
// Each test was shown to bite: run against main's server (see
// tests/support/signal-server.mjs, RTCMESH_SIGNAL_SERVER) the deep frame kills
// the process, the slow reader is never dropped, and the flood is cut at a
// fixed window; against this server with the limit lifted (maxDataDepth,
// maxSendQueueBytes, messageBurst set to 1e9) the same assertions fail. The
// full-room burst gets rate-limit errors from main's server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { roundTrip, withServer } from '../support/signal-server.mjs';
import { poll } from '../support/wait.mjs';

function nested(depth, open = '[', close = ']') {
  return `${open.repeat(depth)}${close.repeat(depth)}`;
}

describe('frames built to crash the server', () => {
  test('a signal nested 6,000 deep is refused; the server and other rooms carry on', () => withServer({}, async ({ server, connect }) => {
    const [calmA, calmB] = [await connect(), await connect()];
    await calmA.join('calm', 'a');
    await calmB.join('calm', 'b');
    const attacker = await connect();
    await attacker.join('evil', 'x');
    for (const data of [nested(6000), nested(6000, '{"k":', '}').replace(/\{"k":\}/, '{"k":1}'), nested(100)]) {
      attacker.send(`{"type":"signal","to":"x","data":${data}}`);
      const error = await attacker.next('error');
      assert.equal(error.code, 'too-deep', error.message);
      assert.equal(error.fatal, false);
    }
    attacker.send(`{"type":"join","room":${nested(6000)},"peer":"y"}`);
    assert.equal((await attacker.next('error')).code, 'bad-frame');
    calmA.send({ type: 'signal', to: 'b', data: { sdp: 'v=0' } });
    assert.deepEqual((await calmB.next('signal')).data, { sdp: 'v=0' });
    await roundTrip(attacker, 'x');
    assert.equal(server.stats.internalErrors, 0);
  }));
});

describe('a slow reader', () => {
  test('is dropped with close code 4002 once its queue passes the bound, and server memory stays bounded', { timeout: 60000 },
    () => withServer({ limits: { maxMessageBytes: 64 * 1024, messageBurst: 10000, messagesPerSecond: 10000, resumeGraceMs: 50 } }, async ({ server, connect }) => {
      const reader = await connect();
      await reader.join('r', 'reader');
      reader.socket.pause(); // stops reading from TCP: the kernel buffers fill, then the server's
      const senders = [];
      for (let i = 0; i < 8; i++) {
        senders.push(await connect());
        await senders[i].join('r', `sender-${i}`);
      }
      const chunk = 'x'.repeat(60 * 1024);
      let maxQueued = 0;
      const sample = setInterval(() => {
        const queued = [...server.connections].reduce((sum, connection) => sum + connection.socket.bufferedAmount, 0);
        maxQueued = Math.max(maxQueued, queued);
      }, 5);
      try {
        // 8 senders x 100 frames x 60 KiB = 48 MiB aimed at one reader.
        for (let round = 0; round < 100; round++) {
          for (const sender of senders) sender.send({ type: 'signal', to: 'reader', data: chunk });
        }
        await poll(() => server.stats.slowReaders === 1, 30000, 'the slow reader to be dropped');
      } finally {
        clearInterval(sample);
      }
      reader.socket.resume();
      const closed = await reader.closed;
      // The senders learn it is gone (after the grace period).
      await senders[0].next('peer-left', { timeoutMs: 10000 });
      assert.equal(closed.code, 4002);
      assert.equal(closed.reason, 'slow-reader');
      // One receiver's queue bound, plus at most one frame per socket in flight.
      assert.ok(maxQueued <= server.limits.maxSendQueueBytes + 9 * 70 * 1024, `server queued up to ${maxQueued} bytes`);
      assert.equal(server.stats.slowReaders, 1, 'only the reader was dropped');
    }));
});

describe('the default limits admit a full room joining at once', () => {
  test('64 members join together and each sends 32 frames to each of the 63 others at once: none waits, none is refused', { timeout: 60000 }, () => withServer({ limits: { maxSocketsPerIp: 100 } }, async ({ server }) => {
    const PEERS = server.limits.maxPeersPerRoom;
    const FRAMES_PER_PEER = 32; // measured with wrtc: 25-32 (offer or answer, candidates, end marker)
    const sockets = await Promise.all(Array.from({ length: PEERS }, () => new Promise((resolve, reject) => {
      const socket = new WebSocket(server.url);
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
    })));
    let received = 0;
    const errors = [];
    try {
      const welcomes = sockets.map((socket, i) => new Promise((resolve) => {
        socket.on('message', (text) => {
          const frame = JSON.parse(text);
          if (frame.type === 'welcome') resolve();
          else if (frame.type === 'signal') received++;
          else if (frame.type === 'error') errors.push(frame.code);
        });
        socket.send(JSON.stringify({ type: 'join', room: 'full', peer: `p${i}` }));
      }));
      await Promise.all(welcomes);
      const signal = JSON.stringify({ kind: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.2 40000 typ host', sdpMid: '0' } });
      for (const [i, socket] of sockets.entries()) {
        for (let j = 0; j < PEERS; j++) {
          if (j === i) continue;
          const text = `{"type":"signal","to":"p${j}","data":${signal}}`;
          for (let k = 0; k < FRAMES_PER_PEER; k++) socket.send(text);
        }
      }
      const expected = PEERS * (PEERS - 1) * FRAMES_PER_PEER;
      await poll(() => received === expected || errors.length > 0, 45000, `${expected} signals (have ${received})`);
      assert.deepEqual(errors, []);
      assert.equal(received, expected);
      assert.equal(server.stats.delayedFrames, 0);
      assert.equal(server.stats.refusedFrames, 0);
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  }));
});

describe('message rate: a token bucket', () => {
  const limits = { messageBurst: 50, messagesPerSecond: 100, maxDelayedMessages: 20, maxRefusedMessages: 30 };

  test('a burst past the bucket is delayed, in order, not refused', () => withServer({ limits }, async ({ connect }) => {
    const sender = await connect();
    await sender.join('r', 'sender'); // the join took one token
    const receiver = await connect();
    await receiver.join('r', 'receiver');
    for (let i = 0; i < 65; i++) sender.send({ type: 'signal', to: 'receiver', data: i });
    await poll(() => receiver.frames.filter((f) => f.type === 'signal').length === 65, 5000, 'all 65 signals');
    assert.deepEqual(receiver.frames.filter((f) => f.type === 'signal').map((f) => f.data), Array.from({ length: 65 }, (_, i) => i));
    assert.equal(sender.frames.filter((f) => f.type === 'error').length, 0);
  }));

  test('a flood is refused with errors, then closed with 1013; bystanders in other rooms are not slowed', () => withServer({ limits }, async ({ connect }) => {
    const flooder = await connect();
    await flooder.join('r', 'flooder');
    const victim = await connect();
    await victim.join('r', 'victim');
    const [a, b] = [await connect(), await connect()];
    await a.join('other', 'a');
    await b.join('other', 'b');
    for (let i = 0; i < 400; i++) flooder.send({ type: 'signal', to: 'victim', data: i });
    const closed = await flooder.closed;
    assert.equal(closed.code, 1013);
    assert.equal(closed.reason, 'rate-limit');
    const errors = flooder.frames.filter((f) => f.type === 'error');
    assert.ok(errors.length > 30 && errors.every((e) => e.code === 'rate-limit'), `${errors.length} errors`);
    assert.equal(errors.at(-1).fatal, true);
    // At most the burst plus the delay queue got through; the rest were refused.
    const delivered = victim.frames.filter((f) => f.type === 'signal').length;
    assert.ok(delivered <= 49 + 20 + 1, `${delivered} delivered`);
    const started = Date.now();
    await roundTrip(a, 'a');
    assert.ok(Date.now() - started < 1000);
  }));
});

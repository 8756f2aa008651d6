// The signaling server's last-resort path (`relay`): mesh frames between
// members that no link reaches, opt-in, bounded in size and in bytes per
// second per socket, with errors that do not end the connection; across the
// processes of a cluster too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SignalClient } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { startSignalCluster } from '../../tools/signal-cluster.mjs';
import { haveRedis } from '../../tools/redis.mjs';
import { RecordingClient } from '../support/ws-client.mjs';
import { poll } from '../support/wait.mjs';

const bytes = (n, fill = 7) => new Uint8Array(n).fill(fill);
const base64 = (data) => Buffer.from(data).toString('base64');

async function clients(url, room, ids) {
  const joined = [];
  for (const id of ids) {
    const client = new SignalClient(url, room, id, { WebSocket });
    await client.ready({ timeoutMs: 5000 });
    joined.push(client);
  }
  return joined;
}

test('off unless the server is started with relay: relay() says false, a raw frame gets relay-off', async () => {
  const server = await startSignalServer();
  const raw = await RecordingClient.connect(server.url);
  try {
    const [a] = await clients(server.url, 'r', ['a']);
    assert.equal(a.relayLimits, null);
    assert.equal(a.relay('b', bytes(10)), false);
    a.close();
    await raw.join('r', 'x');
    raw.send({ type: 'relay', to: 'x', data: base64(bytes(4)) });
    const error = await raw.next('error');
    assert.equal(error.code, 'relay-off');
    assert.equal(error.fatal, false);
  } finally {
    raw.socket.terminate();
    await server.close();
  }
});

test('relayed frames arrive byte-exact and named by the server; bad ones are refused without closing', async () => {
  const server = await startSignalServer({ relay: true });
  const raw = await RecordingClient.connect(server.url);
  try {
    const [a, b] = await clients(server.url, 'r', ['a', 'b']);
    assert.deepEqual(a.relayLimits, { maxFrameBytes: 40 * 1024, bytesPerSecond: 256 * 1024 });
    const got = [];
    b.addEventListener('relay', ({ detail }) => got.push(detail));
    const frame = Uint8Array.from({ length: 16424 }, (_, i) => (i * 31) & 0xff);
    assert.equal(a.relay('b', frame), true);
    assert.equal(a.relay('b', bytes(3)), true);
    await poll(() => got.length === 2, 5000, 'both frames at b');
    assert.equal(got[0].from, 'a');
    assert.deepEqual(got[0].bytes, frame);
    assert.deepEqual(got[1].bytes, bytes(3));
    assert.equal(a.relay('b', bytes(40 * 1024 + 1)), false, 'over the size limit: not sent');

    await raw.join('r', 'eve');
    for (const [frameOut, code] of [
      [{ type: 'relay', to: 'b', data: 'not base64!' }, 'bad-frame'],
      [{ type: 'relay', to: 'b', data: base64(bytes(40 * 1024 + 3)) }, 'too-large'],
      [{ type: 'relay', to: 'nobody', data: base64(bytes(4)) }, 'unknown-peer'],
    ]) {
      raw.send(frameOut);
      const error = await raw.next('error');
      assert.equal(error.code, code);
      assert.equal(error.fatal, false);
    }
    raw.send({ type: 'relay', to: 'b', data: base64(bytes(5, 1)) });
    await poll(() => got.length === 3, 5000, 'a good frame after the bad ones');
    assert.equal(got[2].from, 'eve', 'the server names the sender: eve cannot speak as a');
    a.close();
    b.close();
  } finally {
    raw.socket.terminate();
    await server.close();
  }
});

test('past the byte rate frames are dropped with relay-limit, the socket stays, and signals still pass', async () => {
  const limits = { relayBurstBytes: 64 * 1024, relayBytesPerSecond: 16 * 1024 };
  const server = await startSignalServer({ relay: true, limits });
  try {
    const [a, b] = await clients(server.url, 'rate', ['a', 'b']);
    const errors = [];
    a.addEventListener('error', ({ detail }) => errors.push(detail));
    let received = 0;
    b.addEventListener('relay', ({ detail }) => { received += detail.bytes.length; });
    const started = Date.now();
    for (let i = 0; i < 20; i++) a.relay('b', bytes(32 * 1024));
    await poll(() => errors.length + received / (32 * 1024) >= 20, 5000, 'every frame answered or delivered');
    const allowed = limits.relayBurstBytes + ((Date.now() - started) / 1000) * limits.relayBytesPerSecond;
    assert.ok(received > 0 && received <= allowed, `${received} bytes relayed, at most ${allowed} allowed`);
    assert.ok(errors.length >= 10 && errors.every((e) => e.code === 'relay-limit' && !e.fatal && e.peer === 'b'));
    const signals = [];
    b.addEventListener('signal', ({ detail }) => signals.push(detail));
    assert.equal(a.signal('b', { still: 'works' }), true);
    await poll(() => signals.length === 1, 5000, 'a signal after the refusals');
    assert.equal(server.stats.relayRefused, errors.length);
    a.close();
    b.close();
  } finally {
    await server.close();
  }
});

describe('across the processes of a cluster', { skip: haveRedis() ? false : 'redis-server is not installed' }, () => {
  let cluster;
  before(async () => {
    cluster = await startSignalCluster({ count: 2, args: ['--relay'] });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('a frame relayed through one process reaches a member of another', async () => {
    const [a] = await clients(cluster.urls[0], 'x', ['a']);
    const [b] = await clients(cluster.urls[1], 'x', ['b']);
    try {
      const got = [];
      b.addEventListener('relay', ({ detail }) => got.push(detail));
      await poll(() => a.relay('b', bytes(1000, 9)) && true, 1000, 'a relay sent');
      await poll(() => got.length >= 1, 5000, 'the frame on the other process');
      assert.equal(got[0].from, 'a');
      assert.deepEqual(got[0].bytes, bytes(1000, 9));
    } finally {
      a.close();
      b.close();
    }
  });
});

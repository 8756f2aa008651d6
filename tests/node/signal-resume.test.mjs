// Ids that cannot be stolen: resume tokens, the grace period, and the
// client's reconnects with backoff.
//
// Shown to bite: against main's server (RTCMESH_SIGNAL_SERVER) the squatter
// takes "alice" right after the blip, and the owner's reconnect is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SignalClient } from '../../js/signal/client.js';
import { roundTrip, withServer } from '../support/signal-server.mjs';
import { nextEvent } from '../support/mesh-bus.mjs';
import { withTimeout } from '../support/wait.mjs';

const fast = { WebSocket, reconnectMinMs: 20, reconnectMaxMs: 200 };

test('after a blip a squatter is refused, and the owner\'s token takes the id back unnoticed', () => withServer({}, async ({ connect }) => {
  const alice = await connect();
  const { token } = await alice.join('r', 'alice');
  const bob = await connect();
  await bob.join('r', 'bob');
  alice.socket.terminate(); // the network drops alice's socket
  await alice.closed;
  const mallory = await connect();
  for (const attempt of [{}, { token: 'A'.repeat(24) }, { token: token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }]) {
    mallory.send({ type: 'join', room: 'r', peer: 'alice', ...attempt });
    const error = await mallory.next('error');
    assert.equal(error.code, 'id-taken');
    assert.match(error.message, /"alice"/);
  }
  const back = await connect();
  back.send({ type: 'join', room: 'r', peer: 'alice', token });
  const welcome = await back.next('welcome');
  assert.deepEqual([welcome.resumed, welcome.peers, welcome.token], [true, ['bob'], token]);
  bob.send({ type: 'signal', to: 'alice', data: 'for the real alice' });
  assert.equal((await back.next('signal')).data, 'for the real alice');
  await roundTrip(bob, 'bob');
  assert.deepEqual(bob.frames.filter((f) => f.type === 'peer-left' || f.type === 'peer-joined'), [], 'bob saw no churn');
}));

test('while the owner is away, signals to it bounce with peer-away', () => withServer({}, async ({ connect }) => {
  const alice = await connect();
  await alice.join('r', 'alice');
  const bob = await connect();
  await bob.join('r', 'bob');
  alice.socket.terminate();
  await alice.closed;
  await roundTrip(bob, 'bob');
  bob.send({ type: 'signal', to: 'alice', data: 'x' });
  assert.equal((await bob.next('error')).code, 'peer-away');
}));

test('a resume on a new socket replaces a stale one the server still holds', () => withServer({}, async ({ connect }) => {
  const stale = await connect();
  const { token } = await stale.join('r', 'alice');
  const fresh = await connect();
  fresh.send({ type: 'join', room: 'r', peer: 'alice', token });
  assert.equal((await fresh.next('welcome')).resumed, true);
  assert.equal((await stale.next('error')).code, 'replaced');
  assert.deepEqual(await stale.closed, { code: 4004, reason: 'replaced' });
  await roundTrip(fresh, 'alice');
}));

test('after the grace period the id is released and the others are told', () => withServer({ limits: { resumeGraceMs: 100 } }, async ({ server, connect }) => {
  const alice = await connect();
  await alice.join('r', 'alice');
  const bob = await connect();
  await bob.join('r', 'bob');
  alice.socket.terminate();
  assert.equal((await bob.next('peer-left', { timeoutMs: 3000 })).peer, 'alice');
  assert.deepEqual(server.peersIn('r'), ['bob']);
  assert.equal((await (await connect()).join('r', 'alice')).resumed, false);
}));

test('SignalClient: reconnects with backoff and keeps its id while a squatter is refused', () => withServer({}, async ({ server }) => {
  const alice = new SignalClient(server.url, 'r', 'alice', fast);
  const bob = new SignalClient(server.url, 'r', 'bob', fast);
  let squatter;
  try {
    await alice.ready();
    await bob.ready();
    const attempts = [];
    alice.addEventListener('reconnecting', (event) => attempts.push(event.detail));
    const reopened = nextEvent(alice, 'open');
    alice.socket.terminate?.() ?? alice.socket.close();
    squatter = new SignalClient(server.url, 'r', 'alice', fast);
    const refused = await squatter.ready({ timeoutMs: 5000 }).catch((error) => error);
    assert.equal(refused.code, 'id-taken');
    assert.equal(squatter.closed, true, 'a taken id is final: no retry loop');
    assert.deepEqual((await withTimeout(reopened, 5000, 'alice to rejoin')).detail, { peers: ['bob'], resumed: true, iceServers: [] });
    assert.equal(attempts[0].attempt, 1);
    const received = nextEvent(bob, 'signal');
    alice.signal('bob', 'same alice');
    assert.deepEqual((await withTimeout(received, 5000, 'a signal')).detail, { from: 'alice', data: 'same alice' });
  } finally {
    alice.close();
    bob.close();
    squatter?.close();
  }
}));

test('SignalClient: a rate-limit close heals by reconnecting; an error that cannot heal closes it for good', () => withServer({ limits: { messageBurst: 20, messagesPerSecond: 10, maxDelayedMessages: 5, maxRefusedMessages: 5 } }, async ({ server }) => {
  const client = new SignalClient(server.url, 'r', 'noisy', fast);
  try {
    await client.ready();
    const errors = [];
    client.addEventListener('error', (event) => errors.push(event.detail));
    const reconnecting = nextEvent(client, 'reconnecting');
    const reopened = nextEvent(client, 'open');
    for (let i = 0; i < 60; i++) client.signal('noisy', i);
    assert.equal((await withTimeout(reconnecting, 5000, 'a reconnect')).detail.code, 'rate-limit');
    assert.equal((await withTimeout(reopened, 5000, 'the rejoin')).detail.resumed, true);
    assert.ok(errors.some((e) => e.code === 'rate-limit' && e.fatal));
  } finally {
    client.close();
  }
  const full = new SignalClient(server.url, 'r', 'noisy', fast); // the id was released by close()
  const other = new SignalClient(server.url, 'r', 'noisy', fast);
  try {
    await full.ready();
    const closed = nextEvent(other, 'close');
    assert.equal((await other.ready().catch((e) => e)).code, 'id-taken');
    assert.equal((await closed).detail.code, 'id-taken');
  } finally {
    full.close();
    other.close();
  }
}));

test('a deliberate close (1000/1001, as a reloading page sends) leaves at once; a drop or a server close is held', () => withServer({}, async ({ connect }) => {
  const bob = await connect();
  await bob.join('r', 'bob');
  for (const code of [1000, 1001]) {
    const tab = await connect();
    await tab.join('r', `tab-${code}`);
    tab.socket.close(code);
    assert.equal((await bob.next('peer-left', { where: (f) => f.peer === `tab-${code}` })).peer, `tab-${code}`);
    assert.equal((await (await connect()).join('r', `tab-${code}`)).resumed, false, 'the reloaded page gets its id at once');
  }
  const dropped = await connect();
  await dropped.join('r', 'dropped');
  dropped.socket.close(); // a close frame with no code: not a deliberate leave
  await dropped.closed;
  const twin = await connect();
  twin.send({ type: 'join', room: 'r', peer: 'dropped' });
  assert.equal((await twin.next('error')).code, 'id-taken');
}));

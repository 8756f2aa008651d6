// The signaling client against the real server, including reconnects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { SignalClient } from '../../js/signal/client.js';
import { startSignalServer } from '../../js/signal/server.js';
import { withTimeout } from '../support/wait.mjs';

function nextEvent(target, type, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" event within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(type, (event) => { clearTimeout(timer); resolve(event.detail); }, { once: true });
  });
}

const fast = { WebSocket, reconnectMinMs: 20, reconnectMaxMs: 100 };

test('two clients learn of each other and exchange signals', async () => {
  const server = await startSignalServer();
  const alice = new SignalClient(server.url, 'room', 'alice', fast);
  const bob = new SignalClient(server.url, 'room', 'bob', fast);
  try {
    assert.deepEqual(await alice.ready(), []);
    const joined = nextEvent(alice, 'peerjoined');
    assert.deepEqual(await bob.ready(), ['alice']);
    assert.deepEqual(await joined, { peer: 'bob' });
    const received = nextEvent(bob, 'signal');
    assert.equal(alice.signal('bob', { type: 'offer', sdp: 'v=0' }), true);
    assert.deepEqual(await received, { from: 'alice', data: { type: 'offer', sdp: 'v=0' } });
    const left = nextEvent(alice, 'peerleft');
    bob.close();
    assert.deepEqual(await left, { peer: 'bob' });
  } finally {
    alice.close();
    bob.close();
    await server.close();
  }
});

test('a dropped socket reconnects and rejoins without reporting peers that stayed', async () => {
  const server = await startSignalServer();
  const alice = new SignalClient(server.url, 'room', 'alice', fast);
  const bob = new SignalClient(server.url, 'room', 'bob', fast);
  try {
    await alice.ready();
    await bob.ready();
    const departures = [];
    alice.addEventListener('peerleft', (event) => departures.push(event.detail.peer));
    const reconnecting = nextEvent(alice, 'reconnecting');
    const reopened = new Promise((resolve) => alice.addEventListener('open', (e) => resolve(e.detail), { once: true }));
    alice.socket.close(); // the network drops the signaling socket
    assert.equal((await reconnecting).attempt, 1);
    assert.deepEqual(await reopened, { peers: ['bob'], resumed: true, iceServers: [] });
    const received = nextEvent(bob, 'signal');
    assert.equal(alice.signal('bob', 'after reconnect'), true);
    assert.equal((await received).data, 'after reconnect');
    assert.deepEqual(departures, []);
  } finally {
    alice.close();
    bob.close();
    await server.close();
  }
});

test('the server\'s refusals arrive as error events, and signal() says false while not joined', async () => {
  const server = await startSignalServer();
  const client = new SignalClient(server.url, 'room', 'solo', fast);
  try {
    assert.equal(client.signal('anyone', 'too early'), false);
    await client.ready();
    const error = nextEvent(client, 'error');
    client.signal('ghost', 'hello');
    assert.equal((await error).code, 'unknown-peer');
  } finally {
    client.close();
    await server.close();
  }
});

test('bad arguments throw a TypeError that says what is wrong', () => {
  assert.throws(() => new SignalClient('http://x', 'r', 'p', fast), /ws:\/\/ or wss:\/\//);
  assert.throws(() => new SignalClient('ws://127.0.0.1:1', '', 'p', fast), /room/);
  assert.throws(() => new SignalClient('ws://127.0.0.1:1', 'r', 42, fast), /peer/);
});

test('garbage from a misbehaving server becomes error events, never a throw', async () => {
  const { WebSocketServer } = await import('ws');
  const fake = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => fake.once('listening', resolve));
  const garbage = ['{', 'null', '[]', '42', JSON.stringify({ type: 'welcome', peers: 'nope' }),
    JSON.stringify({ type: 'signal' }), JSON.stringify({ type: 'peer-joined', peer: {} }), JSON.stringify({ type: 'surprise' })];
  const welcome = JSON.stringify({ type: 'welcome', room: 'r', peer: 'p', peers: [], token: 'x'.repeat(24) });
  fake.on('connection', (socket) => socket.on('message', () => [welcome, ...garbage].forEach((frame) => socket.send(frame))));
  const client = new SignalClient(`ws://127.0.0.1:${fake.address().port}`, 'r', 'p', fast);
  const errors = [];
  client.addEventListener('error', (event) => errors.push(event.detail.code));
  try {
    await client.ready();
    const deadline = Date.now() + 5000;
    while (errors.length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    // the second, malformed welcome counts as a welcome with no peers
    assert.deepEqual(errors, Array(7).fill('bad-server-frame'));
    assert.deepEqual([...client.peers], []);
  } finally {
    client.close();
    await new Promise((resolve) => fake.close(resolve));
  }
});

test('iceServers from a server: good entries are kept, malformed ones are an error event and ignored', async () => {
  const { WebSocketServer } = await import('ws');
  const fake = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => fake.once('listening', resolve));
  const good = [{ urls: 'turn:127.0.0.1:3478', username: '1800000000:p', credential: 'c2VjcmV0' }];
  const frames = [
    { type: 'welcome', room: 'r', peer: 'p', peers: [], token: 'x'.repeat(24), iceServers: good },
    { type: 'ice-servers', iceServers: [{ urls: 'http://evil.example' }] },
    { type: 'ice-servers', iceServers: [{ urls: 'turn:a:1', username: 42 }] },
    { type: 'ice-servers', iceServers: 'turn:a:1' },
    { type: 'ice-servers', iceServers: [{ urls: ['turn:b:2'], username: '1900000000:p', credential: 'bmV3' }] },
  ];
  fake.on('connection', (socket) => socket.on('message', () => frames.forEach((frame) => socket.send(JSON.stringify(frame)))));
  const client = new SignalClient(`ws://127.0.0.1:${fake.address().port}`, 'r', 'p', fast);
  const errors = [];
  const refreshed = [];
  client.addEventListener('error', (event) => errors.push(event.detail.code));
  client.addEventListener('iceservers', (event) => refreshed.push(event.detail.iceServers));
  try {
    const opened = new Promise((resolve) => client.addEventListener('open', (event) => resolve(event.detail), { once: true }));
    assert.deepEqual((await opened).iceServers, [{ urls: ['turn:127.0.0.1:3478'], username: '1800000000:p', credential: 'c2VjcmV0' }]);
    await withTimeout((async () => { while (refreshed.length < 1) await new Promise((resolve) => setTimeout(resolve, 10)); })(), 5000, 'the good refresh');
    assert.deepEqual(errors, Array(3).fill('bad-server-frame'));
    assert.deepEqual(refreshed, [[{ urls: ['turn:b:2'], username: '1900000000:p', credential: 'bmV3' }]]);
    assert.deepEqual(client.iceServers, refreshed[0]);
  } finally {
    client.close();
    await new Promise((resolve) => fake.close(resolve));
  }
});

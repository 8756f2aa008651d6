// RTCMesh.join always settles: each failure kind rejects within timeoutMs with
// an RTCMeshError naming it, and leaves no socket and no member behind.
//
// Shown to bite: with main's join.js and server every test here times out
// (join never settles), and the child process of the last test never exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import { RTCMesh, RTCMeshError } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection } from '../support/mesh-bus.mjs';
import { freePort } from '../../tools/redis.mjs';
import { poll } from '../support/wait.mjs';

const options = (extra = {}) => ({ WebSocket, RTCPeerConnection, reconnectMinMs: 20, reconnectMaxMs: 100, timeoutMs: 1500, ...extra });

/** Runs join and returns { error, ms }; fails the test if it resolves or takes past the timeout. */
async function failedJoin(url, room, extra) {
  const started = Date.now();
  const outcome = await RTCMesh.join(url, room, options(extra)).then((mesh) => { mesh.close(); return null; }, (error) => error);
  const ms = Date.now() - started;
  assert.ok(outcome, 'join resolved where it should have failed');
  assert.ok(outcome instanceof RTCMeshError, `${outcome}`);
  assert.ok(ms < (extra?.timeoutMs ?? 1500) + 500, `settled after ${ms} ms`);
  return { error: outcome, ms };
}

async function listening(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

test('a closed port: unreachable, at the timeout', async () => {
  const { error, ms } = await failedJoin(`ws://127.0.0.1:${await freePort()}`, 'r');
  assert.equal(error.code, 'unreachable');
  assert.match(error.message, /ECONNREFUSED/);
  assert.ok(ms >= 1400, 'it kept trying until the timeout');
});

test('some other HTTP server: not-a-signaling-server, at once', async () => {
  const web = http.createServer((request, response) => response.end('<h1>hello</h1>'));
  const port = await listening(web);
  try {
    const { error, ms } = await failedJoin(`ws://127.0.0.1:${port}`, 'r');
    assert.equal(error.code, 'not-a-signaling-server');
    assert.ok(ms < 1000, `${ms} ms`);
  } finally {
    web.closeAllConnections();
    await new Promise((resolve) => web.close(resolve));
  }
});

test('a WebSocket server that speaks something else, or nothing', async () => {
  const chatty = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await Promise.all([chatty, silent].map((s) => new Promise((resolve) => s.once('listening', resolve))));
  chatty.on('connection', (socket) => socket.send('hello, I am an echo server'));
  try {
    assert.equal((await failedJoin(`ws://127.0.0.1:${chatty.address().port}`, 'r')).error.code, 'not-a-signaling-server');
    const { error, ms } = await failedJoin(`ws://127.0.0.1:${silent.address().port}`, 'r', { timeoutMs: 800 });
    assert.equal(error.code, 'not-a-signaling-server');
    assert.ok(ms >= 750);
  } finally {
    for (const s of [chatty, silent]) {
      for (const client of s.clients) client.terminate();
      await new Promise((resolve) => s.close(resolve));
    }
  }
});

test('a TCP port that never answers the handshake: unreachable at the timeout', async () => {
  const sockets = [];
  const blackhole = net.createServer((socket) => sockets.push(socket));
  const port = await listening(blackhole);
  try {
    assert.equal((await failedJoin(`ws://127.0.0.1:${port}`, 'r', { timeoutMs: 800 })).error.code, 'unreachable');
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => blackhole.close(resolve));
  }
});

test('id taken, room full, origin refused: rejected at once, no socket or member left', async () => {
  const server = await startSignalServer({ limits: { maxPeersPerRoom: 1 } });
  const holder = await RTCMesh.join(server.url, 'r', options({ id: 'taken' }));
  try {
    const taken = await failedJoin(server.url, 'r', { id: 'taken' });
    assert.equal(taken.error.code, 'id-taken');
    assert.match(taken.error.message, /"taken"/);
    const full = await failedJoin(server.url, 'r', { id: 'second' });
    assert.equal(full.error.code, 'room-full');
    class ForeignPage extends WebSocket {
      constructor(url) { super(url, { origin: 'https://evil.example' }); }
    }
    const refused = await failedJoin(server.url, 'elsewhere', { WebSocket: ForeignPage });
    assert.equal(refused.error.code, 'origin-refused');
    for (const { ms } of [taken, full, refused]) assert.ok(ms < 500, `${ms} ms`);
    await poll(() => server.socketCount === 1, 2000, 'the failed joins\' sockets to close');
    assert.deepEqual(server.peersIn('r'), ['taken']);
    assert.deepEqual(server.peersIn('elsewhere'), []);
  } finally {
    holder.close();
    await server.close();
  }
});

test('a join that fails after the welcome (bad mesh options) leaves no ghost', async () => {
  const server = await startSignalServer();
  const member = await RTCMesh.join(server.url, 'r', options({ id: 'member' }));
  try {
    const left = new Promise((resolve) => member.signaling.addEventListener('peerleft', (e) => resolve(e.detail.peer), { once: true }));
    await assert.rejects(RTCMesh.join(server.url, 'r', options({ id: 'ghost', iceServers: 'not an array' })), TypeError);
    assert.equal(await left, 'ghost', 'it left at once, not after a grace period');
    assert.deepEqual(server.peersIn('r'), ['member']);
    await poll(() => server.socketCount === 1, 2000, 'the failed join\'s socket to close');
    assert.ok(!member.peers.includes('ghost'), `peers: ${member.peers}`);
  } finally {
    member.close();
    await server.close();
  }
});

test('a failed join lets the process exit on its own', async () => {
  const port = await freePort();
  const script = `
    import WebSocket from 'ws';
    import { RTCMesh } from 'rtcmesh';
    RTCMesh.join('ws://127.0.0.1:${port}', 'r', { WebSocket, timeoutMs: 300, reconnectMinMs: 20 })
      .catch((error) => console.log(error.code));`;
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const started = Date.now();
  const { stdout } = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 10000 }, (error, out) => (error ? reject(error) : resolve({ stdout: out })));
  });
  assert.equal(stdout.trim(), 'unreachable');
  assert.ok(Date.now() - started < 8000);
});

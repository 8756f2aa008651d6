// Each cap of the signaling server is hit and answered, and foreign origins
// are refused by default.
//
// Shown to bite: against main's server (RTCMESH_SIGNAL_SERVER, see
// tests/support/signal-server.mjs) every socket and room is accepted, the
// half-open handshake and the unjoined socket are held, the join/leave loop
// reaches the member every time, and any Origin is let in.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { RecordingClient } from '../support/ws-client.mjs';
import { withServer } from '../support/signal-server.mjs';
import { isLoopbackOrigin } from '../../js/signal/server.js';

/** Opens a WebSocket and resolves with what the server did: { welcome | error, close }. */
async function refusedOrAccepted(url, options) {
  const client = await RecordingClient.connect(url, options);
  const outcome = await Promise.race([
    client.next('error', { timeoutMs: 2000 }).then((error) => ({ error })),
    client.join('r', `p${Math.random().toString(36).slice(2)}`).then((welcome) => ({ welcome })),
  ]);
  if (outcome.error) outcome.close = await client.closed;
  else client.socket.terminate();
  return outcome;
}

describe('caps', () => {
  test('sockets per address: past the cap each socket gets too-many-sockets and 1013', () => withServer({ limits: { maxSocketsPerIp: 5 } }, async ({ connect }) => {
    const held = [];
    for (let i = 0; i < 5; i++) {
      held.push(await connect());
      await held[i].join('r', `ok-${i}`);
    }
    for (let i = 0; i < 3; i++) {
      const extra = await connect();
      assert.equal((await extra.next('error')).code, 'too-many-sockets');
      assert.deepEqual(await extra.closed, { code: 1013, reason: 'too-many-sockets' });
    }
    await held[0].leave();
    assert.equal((await (await connect()).join('r', 'later')).type, 'welcome', 'a freed slot is usable again');
  }));

  test('2,000 connection attempts from one address: the default cap holds, the rest are cut off', { timeout: 60000 }, () => withServer({}, async ({ server }) => {
    const sockets = [];
    try {
      const outcomes = await Promise.all(Array.from({ length: 2000 }, () => new Promise((resolve) => {
        const socket = new WebSocket(server.url);
        sockets.push(socket);
        socket.on('open', () => resolve('open'));
        socket.on('error', () => resolve('error'));
        socket.on('close', () => resolve('closed'));
      })));
      assert.ok(outcomes.filter((o) => o === 'open').length >= server.limits.maxSocketsPerIp);
      assert.ok(server.socketCount <= server.limits.maxSocketsPerIp, `${server.socketCount} sockets held`);
    } finally {
      for (const socket of sockets) socket.terminate();
    }
  }));

  test('sockets in total: server-full and 1013', () => withServer({ limits: { maxSockets: 3 } }, async ({ server }) => {
    const clients = [];
    try {
      for (let i = 0; i < 3; i++) clients.push(await RecordingClient.connect(server.url));
      const outcome = await refusedOrAccepted(server.url);
      assert.equal(outcome.error.code, 'server-full');
      assert.deepEqual(outcome.close, { code: 1013, reason: 'server-full' });
    } finally {
      for (const client of clients) client.socket.terminate();
    }
  }));

  test('rooms in total: too-many-rooms and 1013; existing rooms still take members', () => withServer({ limits: { maxRooms: 2 } }, async ({ connect }) => {
    await (await connect()).join('one', 'a');
    await (await connect()).join('two', 'b');
    const third = await connect();
    third.send({ type: 'join', room: 'three', peer: 'c' });
    assert.equal((await third.next('error')).code, 'too-many-rooms');
    assert.deepEqual(await third.closed, { code: 1013, reason: 'too-many-rooms' });
    assert.equal((await (await connect()).join('two', 'c')).type, 'welcome');
  }));

  test('join deadline: an unjoined socket is closed with join-timeout and 4001', () => withServer({ limits: { joinTimeoutMs: 200 } }, async ({ connect }) => {
    const idle = await connect();
    const started = Date.now();
    assert.equal((await idle.next('error')).code, 'join-timeout');
    assert.deepEqual(await idle.closed, { code: 4001, reason: 'join-timeout' });
    assert.ok(Date.now() - started < 2000);
    const joined = await connect();
    await joined.join('r', 'p');
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the deadline: a joined socket stays
    assert.equal(joined.socket.readyState, WebSocket.OPEN);
    // Leaving starts the deadline again: a socket cannot idle unjoined after a leave.
    joined.send({ type: 'leave' });
    assert.equal((await joined.next('error')).code, 'join-timeout');
    assert.deepEqual(await joined.closed, { code: 4001, reason: 'join-timeout' });
  }));

  test('a half-open handshake is dropped after handshakeTimeoutMs', () => withServer({ limits: { handshakeTimeoutMs: 200 } }, async ({ server }) => {
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'); // never finished
    const started = Date.now();
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('half-open socket held for 3 s')), 3000);
      socket.once('close', () => { clearTimeout(timer); resolve(); });
      socket.on('error', () => {});
    });
    assert.ok(Date.now() - started < 2000);
  }));

  test('join/leave loop: joins past the burst are refused, so members see few ghosts', () => withServer({ limits: { joinBurst: 3 } }, async ({ connect }) => {
    const member = await connect();
    await member.join('r', 'member');
    const looper = await connect();
    const codes = [];
    for (let i = 0; i < 10; i++) {
      looper.send({ type: 'join', room: 'r', peer: 'ghost' });
      const reply = await Promise.race([looper.next('welcome'), looper.next('error')]);
      codes.push(reply.type === 'welcome' ? 'welcome' : reply.code);
      if (reply.type === 'welcome') looper.send({ type: 'leave' });
    }
    assert.deepEqual(codes.slice(0, 3), ['welcome', 'welcome', 'welcome']);
    assert.ok(codes.slice(3).every((code) => code === 'join-rate'), codes.join());
    assert.equal(looper.socket.readyState, WebSocket.OPEN, 'refused, not closed');
    const marker = await connect();
    await marker.join('r', 'marker');
    await member.next('peer-joined', { where: (f) => f.peer === 'marker' });
    assert.equal(member.frames.filter((f) => f.type === 'peer-joined' && f.peer === 'ghost').length, 3);
  }));

  test('a join loop over new sockets from one address is refused past the address\'s bucket', () => withServer({ limits: { ipJoinBurst: 4, ipJoinsPerMinute: 1 } }, async ({ connect }) => {
    const member = await connect();
    await member.join('r', 'member'); // one of the 4
    const codes = [];
    for (let i = 0; i < 6; i++) {
      const churn = await connect();
      churn.send({ type: 'join', room: 'r', peer: `ghost-${i}` });
      const reply = await Promise.race([churn.next('welcome'), churn.next('error')]);
      codes.push(reply.type === 'welcome' ? 'welcome' : reply.code);
      await churn.leave();
    }
    assert.deepEqual(codes, ['welcome', 'welcome', 'welcome', 'join-rate', 'join-rate', 'join-rate']);
  }));

  test('room size is checked with resumes counted: a full room refuses newcomers but not a returning member', () => withServer({ limits: { maxPeersPerRoom: 2 } }, async ({ server, connect }) => {
    const first = await connect();
    const { token } = await first.join('r', 'one');
    await (await connect()).join('r', 'two');
    first.socket.terminate();
    const newcomer = await connect();
    newcomer.send({ type: 'join', room: 'r', peer: 'three' });
    assert.equal((await newcomer.next('error')).code, 'room-full');
    const back = await connect();
    back.send({ type: 'join', room: 'r', peer: 'one', token });
    assert.equal((await back.next('welcome')).resumed, true);
    assert.deepEqual(server.peersIn('r').sort(), ['one', 'two']);
  }));
});

describe('origins', () => {
  test('with no allow-list: loopback pages and Origin-less clients only', () => withServer({}, async ({ server }) => {
    for (const origin of ['http://evil.example', 'null', 'https://127.0.0.1.evil.example', 'file://', 'http://192.168.1.5:8080']) {
      const outcome = await refusedOrAccepted(server.url, { origin });
      assert.equal(outcome.error?.code, 'origin-refused', origin);
      assert.deepEqual(outcome.close, { code: 4003, reason: 'origin-refused' });
    }
    for (const origin of ['http://localhost:8080', 'http://127.0.0.1:5173', 'https://[::1]:8443', 'http://app.localhost', undefined]) {
      assert.ok((await refusedOrAccepted(server.url, origin ? { origin } : {})).welcome, String(origin));
    }
  }));

  test('with an allow-list: exactly those origins', () => withServer({ allowedOrigins: ['https://app.example'] }, async ({ server }) => {
    assert.ok((await refusedOrAccepted(server.url, { origin: 'https://app.example' })).welcome);
    assert.equal((await refusedOrAccepted(server.url, { origin: 'http://localhost:8080' })).error.code, 'origin-refused');
    assert.equal((await refusedOrAccepted(server.url, { origin: 'https://app.example.evil' })).error.code, 'origin-refused');
  }));

  test('isLoopbackOrigin', () => {
    assert.equal(isLoopbackOrigin('http://127.0.0.2'), true);
    assert.equal(isLoopbackOrigin('null'), false);
    assert.equal(isLoopbackOrigin('http://localhost.evil.example'), false);
  });

  test('a non-loopback bind with no allow-list prints a warning', async () => {
    const { SignalServer } = await import('../../js/signal/server.js');
    assert.match(SignalServer.bindWarning('0.0.0.0', null), /warning: .*no allowed origins/);
    assert.equal(SignalServer.bindWarning('0.0.0.0', ['https://app.example']), null);
    assert.equal(SignalServer.bindWarning('127.0.0.1', null), null);
    assert.equal(SignalServer.bindWarning('::1', null), null);
  });
});

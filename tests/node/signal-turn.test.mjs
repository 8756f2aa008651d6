// TURN REST API credentials minted by the signaling server: the format, the
// HMAC against vectors computed outside Node, option validation (code and
// CLI), the welcome frame on one process and on a Redis cluster.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_TURN_LIFETIME_SECONDS, mintTurnCredentials, resolveTurnOptions, turnPassword,
} from '../../js/signal/turn.js';
import { startSignalServer, withServer } from '../support/signal-server.mjs';
import { RecordingClient } from '../support/ws-client.mjs';
import { haveRedis, startRedis } from '../../tools/redis.mjs';
import { withTimeout } from '../support/wait.mjs';

const binary = fileURLToPath(new URL('../../bin/rtcmesh-signal.js', import.meta.url));

function haveOpenssl() {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** base64(HMAC-SHA1(secret, text)) as the openssl command computes it. */
function opensslPassword(secret, text) {
  const digest = execFileSync('openssl', ['dgst', '-sha1', '-hmac', secret, '-binary'], { input: text });
  return digest.toString('base64');
}

/** Checks an iceServers entry as coturn would: the expiry, then the HMAC. */
function assertValidFor(entry, { secret, id, urls, nowSeconds, lifetimeSeconds }) {
  assert.deepEqual(entry.urls, urls);
  const match = /^(\d+):(.+)$/.exec(entry.username);
  assert.ok(match, `username "${entry.username}" is "<unix expiry>:<id>"`);
  assert.equal(match[2], id);
  const expiry = Number(match[1]);
  assert.ok(Math.abs(expiry - (nowSeconds + lifetimeSeconds)) <= 2, `expiry ${expiry} is about now + ${lifetimeSeconds} s`);
  assert.equal(entry.credential, turnPassword(secret, entry.username));
  if (haveOpenssl()) assert.equal(entry.credential, opensslPassword(secret, entry.username));
}

describe('minting', () => {
  test('the password is base64(HMAC-SHA1(secret, username)): a fixed vector and openssl agree', () => {
    // Computed with Python's hmac module and with `openssl dgst -sha1 -hmac north-wind -binary | base64`.
    assert.equal(turnPassword('north-wind', '1700003600:ana'), 'jQMrAptrL8QGWEEvDbTX2xKxjiY=');
    if (haveOpenssl()) {
      for (const [secret, username] of [['s', '1:x'], ['a longer secret with spaces', '1999999999:member.id-with:colon'], ['ünïcode', '42:é']]) {
        assert.equal(turnPassword(secret, username), opensslPassword(secret, username), `${secret} / ${username}`);
      }
    }
  });

  test('the username is "<unix expiry>:<member id>", the expiry now + lifetime', () => {
    const turn = resolveTurnOptions({ urls: 'turn:turn.example:3478', secret: 'north-wind', now: () => 1700000000_500 });
    assert.equal(turn.lifetimeSeconds, DEFAULT_TURN_LIFETIME_SECONDS);
    assert.equal(DEFAULT_TURN_LIFETIME_SECONDS, 3600);
    assert.deepEqual(mintTurnCredentials(turn, 'ana'), {
      urls: ['turn:turn.example:3478'],
      username: '1700003600:ana',
      credential: 'jQMrAptrL8QGWEEvDbTX2xKxjiY=',
    });
    const short = resolveTurnOptions({ urls: ['turn:a:1', 'turns:b:5349?transport=tcp'], secret: 'x', lifetimeSeconds: 60, now: () => 1000_000 });
    const entry = mintTurnCredentials(short, 'ben');
    assert.equal(entry.username, '1060:ben');
    assert.deepEqual(entry.urls, ['turn:a:1', 'turns:b:5349?transport=tcp']);
  });
});

describe('option validation', () => {
  const good = { urls: ['turn:127.0.0.1:3478'], secret: 's' };
  const bad = [
    ['not an object', 'turn:x'],
    ['an array', [good]],
    ['no urls', { secret: 's' }],
    ['empty urls', { urls: [], secret: 's' }],
    ['an http url', { urls: ['http://turn.example'], secret: 's' }],
    ['a url that is not a string', { urls: [3478], secret: 's' }],
    ['no secret', { urls: good.urls }],
    ['an empty secret', { urls: good.urls, secret: '' }],
    ['a secret that is not a string', { urls: good.urls, secret: 42 }],
    ['a lifetime under a minute', { ...good, lifetimeSeconds: 59 }],
    ['a lifetime of zero', { ...good, lifetimeSeconds: 0 }],
    ['a negative lifetime', { ...good, lifetimeSeconds: -3600 }],
    ['a fractional lifetime', { ...good, lifetimeSeconds: 90.5 }],
    ['a lifetime over a week', { ...good, lifetimeSeconds: 7 * 24 * 3600 + 1 }],
    ['a lifetime as a string', { ...good, lifetimeSeconds: '3600' }],
    ['a clock that is not a function', { ...good, now: 5 }],
  ];
  for (const [what, turn] of bad) {
    test(`startSignalServer refuses ${what} with code bad_argument`, async () => {
      await assert.rejects(async () => startSignalServer({ turn }), (error) => {
        assert.equal(error.code, 'bad_argument');
        assert.match(error.message, /turn/);
        return true;
      });
    });
  }

  test('no turn option: welcomes carry no iceServers', () => withServer({}, async ({ connect }) => {
    const client = await connect();
    client.send({ type: 'join', room: 'r', peer: 'ana' });
    const welcome = await client.next('welcome');
    assert.equal('iceServers' in welcome, false);
  }));

  test('the secret is not kept where the server prints or exposes its options', async () => {
    const server = await startSignalServer({ turn: { ...good, secret: 'do-not-print-me' } });
    try {
      assert.doesNotMatch(JSON.stringify(server.options), /do-not-print-me/);
      assert.equal(server.turn.lifetimeSeconds, 3600);
    } finally {
      await server.close();
    }
  });
});

describe('welcome', () => {
  test('every member gets its own credentials, fresh on every welcome (a resume too)', async () => {
    let nowMs = 1_800_000_000_000;
    const turn = { urls: ['turn:127.0.0.1:3478?transport=udp'], secret: 'room-secret', lifetimeSeconds: 600, now: () => nowMs };
    await withServer({ turn, limits: { resumeGraceMs: 5000 } }, async ({ connect }) => {
      const ana = await connect();
      ana.send({ type: 'join', room: 'r', peer: 'ana' });
      const first = await ana.next('welcome');
      assert.equal(first.iceServers.length, 1);
      assertValidFor(first.iceServers[0], { secret: 'room-secret', id: 'ana', urls: turn.urls, nowSeconds: nowMs / 1000, lifetimeSeconds: 600 });

      const ben = await connect();
      ben.send({ type: 'join', room: 'r', peer: 'ben' });
      const benWelcome = await ben.next('welcome');
      assertValidFor(benWelcome.iceServers[0], { secret: 'room-secret', id: 'ben', urls: turn.urls, nowSeconds: nowMs / 1000, lifetimeSeconds: 600 });

      // ana's socket drops; later she resumes with her token and new credentials.
      ana.socket.terminate();
      nowMs += 3600_000;
      const again = await connect();
      again.send({ type: 'join', room: 'r', peer: 'ana', token: first.token });
      const resumed = await again.next('welcome');
      assert.equal(resumed.resumed, true);
      assertValidFor(resumed.iceServers[0], { secret: 'room-secret', id: 'ana', urls: turn.urls, nowSeconds: nowMs / 1000, lifetimeSeconds: 600 });
      assert.notEqual(resumed.iceServers[0].username, first.iceServers[0].username);
    });
  });

  test('a member gets fresh credentials before its welcome\'s are half spent, checked on heartbeats', async () => {
    let nowMs = 1_800_000_000_000;
    const turn = { urls: ['turn:127.0.0.1:3478'], secret: 'refresh-secret', lifetimeSeconds: 600, now: () => nowMs };
    await withServer({ turn, limits: { heartbeatIntervalMs: 30 } }, async ({ connect }) => {
      const ana = await connect();
      let pings = 0;
      ana.socket.on('ping', () => { pings++; });
      ana.send({ type: 'join', room: 'r', peer: 'ana' });
      const welcome = await ana.next('welcome');
      // Three heartbeats with the credentials fresh: nothing is sent.
      const start = pings;
      await withTimeout(new Promise((resolve) => { const check = () => (pings >= start + 3 ? resolve() : setTimeout(check, 10)); check(); }), 5000, 'three heartbeats');
      assert.equal(ana.frames.some((frame) => frame.type === 'ice-servers'), false, 'no refresh while the credentials are fresh');
      // 300 s left of 600: at the next heartbeat the member gets new ones.
      nowMs += 300_000;
      const refresh = await ana.next('ice-servers', { timeoutMs: 5000 });
      assertValidFor(refresh.iceServers[0], { secret: 'refresh-secret', id: 'ana', urls: turn.urls, nowSeconds: nowMs / 1000, lifetimeSeconds: 600 });
      assert.equal(Number(refresh.iceServers[0].username.split(':')[0]) - Number(welcome.iceServers[0].username.split(':')[0]), 300);
    });
  });

  test('on a Redis cluster, every process mints valid credentials from the same secret', { skip: haveRedis() ? false : 'redis-server is not installed' }, async () => {
    const redis = await startRedis();
    const turn = { urls: ['turn:127.0.0.1:3478'], secret: 'cluster-secret' };
    const servers = [];
    const clients = [];
    try {
      for (let i = 0; i < 2; i++) servers.push(await startSignalServer({ redis: redis.url, turn }));
      for (const [index, id] of ['ana', 'ben'].entries()) {
        const client = await RecordingClient.connect(servers[index].url);
        clients.push(client);
        client.send({ type: 'join', room: 'shared', peer: id });
        const welcome = await client.next('welcome');
        assertValidFor(welcome.iceServers[0], { secret: 'cluster-secret', id, urls: turn.urls, nowSeconds: Date.now() / 1000, lifetimeSeconds: 3600 });
      }
      const last = clients[1].frames.find((frame) => frame.type === 'welcome');
      assert.deepEqual(last.peers, ['ana'], 'the two processes share the room');
    } finally {
      for (const client of clients) client.socket.terminate();
      for (const server of servers) await server.close();
      await redis.stop();
    }
  });
});

describe('rtcmesh-signal command', () => {
  function run(args, env) {
    const child = spawn(process.execPath, [binary, '--port', '0', ...args], {
      env: { ...process.env, RTCMESH_TURN_SECRET: '', RTCMESH_TURN_URLS: '', RTCMESH_TURN_LIFETIME: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => output, exited };
  }

  test('takes the secret from RTCMESH_TURN_SECRET, the urls and lifetime from flags, and mints with them', async () => {
    const server = run(['--turn-url', 'turn:127.0.0.1:3478', '--turn-url', 'turn:127.0.0.1:3479?transport=tcp', '--turn-lifetime', '120'], { RTCMESH_TURN_SECRET: 'env-secret' });
    let client;
    try {
      const line = await withTimeout(new Promise((resolve) => {
        const check = () => { const m = /rtcmesh signaling server: (ws:\/\/\S+?);? TURN/.exec(server.output()); if (m) resolve(m[1]); };
        server.child.stdout.on('data', check);
        check();
      }), 10000, 'the server to print its URL');
      assert.match(server.output(), /valid 120 s/);
      assert.doesNotMatch(server.output(), /env-secret/);
      client = await RecordingClient.connect(line);
      client.send({ type: 'join', room: 'r', peer: 'cli' });
      const welcome = await client.next('welcome');
      assertValidFor(welcome.iceServers[0], {
        secret: 'env-secret', id: 'cli', urls: ['turn:127.0.0.1:3478', 'turn:127.0.0.1:3479?transport=tcp'], nowSeconds: Date.now() / 1000, lifetimeSeconds: 120,
      });
    } finally {
      client?.socket.terminate();
      server.child.kill('SIGKILL');
      await server.exited;
    }
  });

  for (const [what, args, env, message] of [
    ['urls without a secret', ['--turn-url', 'turn:a:1'], {}, /needs the TURN server's shared secret/],
    ['a secret without urls', [], { RTCMESH_TURN_SECRET: 's' }, /needs --turn-url/],
    ['a lifetime that is not a number', ['--turn-url', 'turn:a:1', '--turn-lifetime', '1h'], { RTCMESH_TURN_SECRET: 's' }, /whole number of seconds/],
    ['a lifetime too short', ['--turn-url', 'turn:a:1', '--turn-lifetime', '5'], { RTCMESH_TURN_SECRET: 's' }, /from 60 to 604800, got 5/],
  ]) {
    test(`refuses ${what} and exits 1`, async () => {
      const server = run(args, env);
      try {
        assert.equal(await withTimeout(server.exited, 10000, 'the command to exit'), 1);
        assert.match(server.output(), message);
      } finally {
        server.child.kill('SIGKILL');
      }
    });
  }
});

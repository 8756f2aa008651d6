// Three rtcmesh-signal processes sharing rooms through a local redis-server:
// presence, signals, resume tokens and room isolation across processes, and a
// process killed under a live mesh.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import Redis from 'ioredis';
import { RTCMesh } from 'rtcmesh';
import { startSignalCluster } from '../../tools/signal-cluster.mjs';
import { haveRedis } from '../../tools/redis.mjs';
import { RecordingClient } from '../support/ws-client.mjs';
import { RTCPeerConnection, nextEvent } from '../support/mesh-bus.mjs';
import { poll, withTimeout } from '../support/wait.mjs';

const skip = haveRedis() ? false : 'redis-server is not installed (apt-get install -y redis-server)';
// Short presence expiry, so a crashed process's members go within ~3 s.
const limits = { presenceTtlMs: 2000, presenceRefreshMs: 300 };

describe('a cluster of 3 processes on one Redis', { skip }, () => {
  let cluster;
  let redis;
  const clients = [];
  const connect = async (url) => {
    const client = await RecordingClient.connect(url);
    clients.push(client);
    return client;
  };
  const membersInRedis = async (room) => {
    const now = Date.now();
    return Object.entries(await redis.hgetall(`rtcmesh:room:${room}`)).filter(([, raw]) => JSON.parse(raw).exp >= now).map(([peer]) => peer).sort();
  };

  before(async () => {
    cluster = await startSignalCluster({ count: 3, limits });
    redis = new Redis(cluster.redis.url);
  });
  after(async () => {
    for (const client of clients) client.socket.terminate();
    redis?.disconnect();
    await cluster?.stop();
  });

  test('presence and signals cross processes; rooms stay apart; ids and tokens hold across them', async () => {
    const [s0, s1, s2] = cluster.urls;
    const a0 = await connect(s0);
    const a1 = await connect(s1);
    const a2 = await connect(s2);
    const b0 = await connect(s0);
    const b2 = await connect(s2);
    assert.deepEqual((await a0.join('A', 'a0')).peers, []);
    assert.deepEqual((await a1.join('A', 'a1')).peers, ['a0']);
    const { token } = await a2.join('A', 'a2');
    await b0.join('B', 'b0');
    await b2.join('B', 'b2');
    assert.equal((await a0.next('peer-joined', { where: (f) => f.peer === 'a2' })).peer, 'a2');
    assert.equal((await a1.next('peer-joined', { where: (f) => f.peer === 'a2' })).peer, 'a2');
    // Every ordered pair of room A, each across processes.
    const pairs = [[a0, 'a0'], [a1, 'a1'], [a2, 'a2']];
    for (const [from, fromId] of pairs) {
      for (const [to, toId] of pairs) {
        if (from === to) continue;
        from.send({ type: 'signal', to: toId, data: `${fromId}->${toId}` });
        assert.equal((await to.next('signal', { where: (f) => f.data === `${fromId}->${toId}` })).from, fromId);
      }
    }
    b0.send({ type: 'signal', to: 'b2', data: 'room B only' });
    await b2.next('signal');
    a0.send({ type: 'signal', to: 'b2', data: 'across rooms' });
    assert.equal((await a0.next('error')).code, 'unknown-peer');
    for (const client of [a0, a1, a2]) {
      const seen = client.frames.filter((f) => f.type !== 'error').flatMap((f) => [f.from, f.peer, ...(f.peers ?? [])]).filter(Boolean); // an error's peer is the client's own target
      assert.ok(seen.every((peer) => peer.startsWith('a')), `room A saw ${seen}`);
    }
    assert.deepEqual(await membersInRedis('A'), ['a0', 'a1', 'a2']);
    // The id is taken on every process; its token resumes it on another one.
    const squatter = await connect(s0);
    squatter.send({ type: 'join', room: 'A', peer: 'a2' });
    assert.equal((await squatter.next('error')).code, 'id-taken');
    a2.socket.terminate();
    const back = await connect(s1);
    back.send({ type: 'join', room: 'A', peer: 'a2', token });
    assert.equal((await back.next('welcome')).resumed, true);
    a0.send({ type: 'signal', to: 'a2', data: 'to the resumed a2' });
    assert.equal((await back.next('signal')).from, 'a0');
    assert.equal(a0.frames.filter((f) => f.type === 'peer-left').length, 0, 'no churn for the others');
    for (const client of [a0, a1, back, b0, b2, squatter]) await client.leave();
    await poll(async () => (await membersInRedis('A')).length === 0, 3000, 'room A to empty');
  });

  test('a process killed under a live mesh: its members resume elsewhere, no link closes', { timeout: 90000 }, async () => {
    const [s0, s1, s2] = cluster.urls;
    const urlsFrom = (i) => [cluster.urls[i], ...cluster.urls.filter((_, j) => j !== i)];
    const options = (id, i) => ({ id, WebSocket, RTCPeerConnection, reconnectMinMs: 20, reconnectMaxMs: 200, timeoutMs: 10000 });
    const meshes = [];
    const removed = [];
    try {
      for (let i = 0; i < 6; i++) meshes.push(await RTCMesh.join(urlsFrom(i % 3), 'live', options(`m${i}`, i % 3)));
      for (const mesh of meshes) mesh.addEventListener('removechannel', (e) => removed.push(`${mesh.id}-${e.detail.peer}`));
      const allOpen = (list) => list.every((m) => list.every((o) => o === m || m.readyState(o.id) === 'open'));
      await poll(() => allOpen(meshes), 30000, 'the mesh of 6 to form');
      // A raw member on s0 with no reconnect: it must disappear with its process.
      const orphan = await connect(s0);
      await orphan.join('live', 'orphan');
      const witness = await connect(s1);
      await witness.join('live', 'witness');

      const moved = meshes.filter((_, i) => i % 3 === 0);
      const resumed = moved.map((mesh) => nextEvent(mesh.signaling, 'open'));
      await cluster.nodes[0].stop('SIGKILL');
      const opens = await withTimeout(Promise.all(resumed), 10000, 'the killed process\'s members to rejoin');
      assert.ok(opens.every((event) => event.detail.resumed), 'they got their ids back');
      assert.ok(moved.every((mesh) => mesh.signaling.url !== s0));
      assert.deepEqual(removed, [], 'no peer link closed');
      assert.ok(allOpen(meshes));
      // The orphan's presence expires; the others are told.
      assert.equal((await witness.next('peer-left', { timeoutMs: 6000, where: (f) => f.peer === 'orphan' })).peer, 'orphan');
      assert.deepEqual(await membersInRedis('live'), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'witness']);
      // Signaling still works for everyone: a newcomer links up with all six.
      const late = await RTCMesh.join([s2, s1], 'live', options('late'));
      meshes.push(late);
      await poll(() => allOpen(meshes), 30000, 'the newcomer to link with everyone');
      const heard = nextEvent(meshes[0], 'message');
      late.send('m0', 'after the crash');
      assert.equal((await withTimeout(heard, 5000, 'a message')).data, 'after the crash');
      assert.deepEqual(removed, []);
    } finally {
      for (const mesh of meshes) mesh.close();
    }
  });
});

test('npm start -- --cluster: its three servers share rooms through their own redis-server', { skip }, async () => {
  const { startLocalSignaling } = await import('../../tools/local-signaling.mjs');
  const signaling = await startLocalSignaling({ port: 0, cluster: true });
  const clients = [];
  try {
    assert.equal(signaling.urls.length, 3);
    for (const [i, url] of signaling.urls.entries()) {
      clients.push(await RecordingClient.connect(url));
      await clients[i].join('demo', `p${i}`);
    }
    assert.deepEqual(clients[2].frames.find((f) => f.type === 'welcome').peers.sort(), ['p0', 'p1']);
    clients[2].send({ type: 'signal', to: 'p0', data: 'hello from the third server' });
    assert.equal((await clients[0].next('signal')).from, 'p2');
  } finally {
    for (const client of clients) client.socket.terminate();
    await signaling.stop();
  }
});

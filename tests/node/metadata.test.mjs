// Member metadata over a real room (Node, @roamhq/wrtc): every member sees
// every other's at join and after an update, a later member too; bad values
// throw clear errors; connected() and Raft's synced() wait for the room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh, Raft, ReplicatedMap } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const join = (url, room, id, metadata) => RTCMesh.join(url, room, { id, metadata, WebSocket, RTCPeerConnection });
const fast = { electionMinTimeout: 300, electionMaxTimeout: 600, heartbeatInterval: 50 };

/** Records every `metadata` event of a mesh as [peer, value]. */
function record(mesh) {
  const seen = [];
  mesh.addEventListener('metadata', ({ detail }) => seen.push([detail.peer, detail.metadata]));
  return seen;
}

test('metadata reaches every member at join, a later member, and after an update', { timeout: 60000 }, async () => {
  const server = await startSignalServer();
  const meshes = [];
  try {
    for (const id of ['ana', 'ben']) meshes.push(await join(server.url, 'meta', id, { name: id.toUpperCase(), tags: [id] }));
    const seen = meshes.map(record);
    await withTimeout(Promise.all(meshes.map((mesh) => mesh.connected())), 20000, 'the first two to link');
    await poll(() => meshes[0].metadata('ben')?.name === 'BEN' && meshes[1].metadata('ana')?.name === 'ANA', 10000, 'both names');
    assert.deepEqual(meshes[0].metadata(), { name: 'ANA', tags: ['ana'] }, 'its own');
    assert.deepEqual(meshes[1].metadata('ana'), { name: 'ANA', tags: ['ana'] });

    const cho = await join(server.url, 'meta', 'cho', 'just a string');
    meshes.push(cho);
    const choSeen = record(cho);
    assert.deepEqual(await withTimeout(cho.connected(), 20000, 'cho to link to both'), ['ana', 'ben']);
    await poll(() => cho.metadata('ana')?.name === 'ANA' && cho.metadata('ben')?.name === 'BEN', 10000, 'cho to learn both');
    await poll(() => meshes[0].metadata('cho') === 'just a string', 10000, 'ana to learn cho');

    meshes[1].setMetadata({ name: 'Ben', away: true });
    await poll(() => meshes[0].metadata('ben')?.away === true && cho.metadata('ben')?.away === true, 10000, 'the update');
    assert.deepEqual(seen[0].filter(([peer]) => peer === 'ben').map(([, value]) => value),
      [{ name: 'BEN', tags: ['ben'] }, { name: 'Ben', away: true }], 'one event per value, in order');
    assert.equal(choSeen.filter(([peer]) => peer === 'ana').length, 1);

    // Gone from the room: forgotten.
    meshes[1].close();
    await poll(() => !meshes[0].peers.includes('ben'), 15000, 'ben to leave');
    assert.equal(meshes[0].metadata('ben'), undefined);
  } finally {
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

test('metadata that is too big or not JSON throws a clear error, and nothing is sent', { timeout: 30000 }, async () => {
  const server = await startSignalServer();
  try {
    await assert.rejects(join(server.url, 'bad', 'x', 'é'.repeat(2048)),
      (error) => error instanceof RangeError && error.code === 'bad_argument' && /4098 bytes as JSON, over the limit of 4096/.test(error.message));
    await assert.rejects(join(server.url, 'bad', 'y', { n: 1n }), (error) => error instanceof TypeError && error.code === 'bad_argument');
    const mesh = await join(server.url, 'bad', 'z', { ok: true });
    try {
      assert.throws(() => mesh.setMetadata(() => {}), (error) => error.code === 'bad_argument' && /must be a JSON value/.test(error.message));
      assert.throws(() => mesh.setMetadata('x'.repeat(5000)), (error) => error instanceof RangeError);
      assert.deepEqual(mesh.metadata(), { ok: true }, 'unchanged');
      assert.deepEqual(mesh.peers, [], 'the refused joins left no member in the room');
    } finally {
      mesh.close();
    }
  } finally {
    await server.close();
  }
});

test('connected() and Raft.synced() wait for the room: a late member reads what was written', { timeout: 60000 }, async () => {
  const server = await startSignalServer();
  const meshes = [];
  const rafts = [];
  try {
    for (const id of ['r1', 'r2']) {
      const mesh = await join(server.url, 'sync', id);
      meshes.push(mesh);
      rafts.push(new Raft({ mesh, ...fast }));
    }
    await withTimeout(Promise.all(meshes.map((mesh) => mesh.connected())), 20000, 'the two to link');
    const map = new ReplicatedMap(rafts[0]);
    for (let i = 0; i < 20; i += 1) await withTimeout(map.set(`k${i}`, i), 10000, 'a set');

    const late = await join(server.url, 'sync', 'r3');
    meshes.push(late);
    const raft = new Raft({ mesh: late, ...fast });
    rafts.push(raft);
    const lateMap = new ReplicatedMap(raft);
    await withTimeout(late.connected(), 20000, 'the late member to link');
    const index = await raft.synced({ timeoutMs: 20000 });
    assert.ok(index >= rafts[0].commitIndex - 1, `caught up to ${index} of ${rafts[0].commitIndex}`);
    assert.equal(lateMap.get('k19'), 19, 'read locally, without a read of its own');
    const lonely = new Raft({ address: 'lonely', members: ['lonely', 'nobody'], ...fast });
    rafts.push(lonely);
    await assert.rejects(lonely.synced({ timeoutMs: 500 }), (error) => error.code === 'timeout' && /not caught up within 500 ms/.test(error.message));
  } finally {
    for (const raft of rafts) await withTimeout(raft.close(), 5000, 'raft close').catch(() => {});
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

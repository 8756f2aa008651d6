// An id crafted to hash like a member's on the wire, with real WebRTC
// (@roamhq/wrtc) and the real signaling server on loopback. Frames carry a
// 64-bit FNV-1a hash of each id; FNV is not collision-resistant, and the two
// ids of COLLIDING_IDS (tests/support/tampering.mjs) share one.
// Before version 3 of the frame format a collision made every later join of
// the room throw; now the later of two colliding ids is refused and reported
// by whoever meets both, and the room stays open. The same rule runs against
// the core with crafted 12-bit hashes in native-tests/mesh/trust_test.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { COLLIDING_IDS, idHash } from '../support/tampering.mjs';
import { poll } from '../support/wait.mjs';

const [MEMBER, CRAFTED] = COLLIDING_IDS;

const options = (id) => ({ id, WebSocket, RTCPeerConnection, reconnectMinMs: 20, reconnectMaxMs: 100 });
const openLinks = (mesh, ids) => ids.every((id) => id === mesh.id || mesh.readyState(id) === 'open');

test('the two ids really collide on the wire', () => {
  assert.notEqual(MEMBER, CRAFTED);
  assert.equal(idHash(MEMBER), idHash(CRAFTED));
});

test('an id that collides with a member\'s cannot lock the room: it is refused, and later members join', { timeout: 60000 }, async () => {
  const server = await startSignalServer();
  const meshes = new Map();
  const errors = [];
  const heard = [];
  const join = async (id) => {
    const mesh = await RTCMesh.join(server.url, 'collide', options(id));
    mesh.addEventListener('error', ({ detail }) => errors.push({ at: id, ...detail }));
    mesh.addEventListener('message', ({ origin, data }) => heard.push(`${id} <- ${origin}: ${data}`));
    meshes.set(id, mesh);
    return mesh;
  };
  try {
    const members = [MEMBER, 'bob', 'cho'];
    for (const id of members) await join(id);
    await poll(() => members.every((id) => openLinks(meshes.get(id), members)), 15000, 'the room to form');

    // The crafted id joins: nothing throws, here or at any member.
    const eve = await join(CRAFTED);
    assert.ok(!eve.peers.includes(MEMBER), 'her mesh lists the member it collides with');
    await poll(() => members.every((id) => errors.some((e) => e.at === id && e.code === 'peer_refused' && e.peer === CRAFTED)), 10000,
      'every member refusing the crafted id');
    // Her own mesh refused the member she collides with, and says so.
    await poll(() => errors.some((e) => e.at === CRAFTED && e.code === 'peer_refused' && e.peer === MEMBER), 5000, 'the crafted id refusing the member');

    // A later member joins a room that lists both: it links with every
    // real member, and refuses the later of the two, once.
    const dave = await join('dave');
    const everyone = [...members, 'dave'];
    await poll(() => everyone.every((id) => openLinks(meshes.get(id), everyone)), 15000, 'dave linked with every real member');
    const refusals = errors.filter((e) => e.at === 'dave' && e.code === 'peer_refused');
    assert.deepEqual(refusals.map((e) => e.peer), [CRAFTED]);
    assert.match(refusals[0].message, new RegExp(`hashes like member '${MEMBER}'`));

    // The member is heard under its own name by everyone, dave included.
    meshes.get(MEMBER).broadcast('pay bob 10');
    await poll(() => ['bob', 'cho', 'dave'].every((id) => heard.includes(`${id} <- ${MEMBER}: pay bob 10`)), 10000, "the member's message");
    assert.deepEqual(heard.filter((line) => !line.endsWith(`<- ${MEMBER}: pay bob 10`)), []);
    for (const id of everyone) assert.ok(!meshes.get(id).peers.includes(CRAFTED), `${id} lists the crafted id`);
    assert.equal(dave.readyState(MEMBER), 'open');
  } finally {
    for (const mesh of meshes.values()) mesh.close();
    await server.close();
  }
});

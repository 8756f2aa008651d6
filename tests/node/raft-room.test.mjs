// Raft over a room on the signaling server: the core's bootstrap rule (the
// oldest member present starts the cluster) does not depend on when each
// member creates its Raft, nor on members arriving at the same instant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh, Raft } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const options = (id) => ({ id, WebSocket, RTCPeerConnection, reconnectMinMs: 20, reconnectMaxMs: 100 });
const fast = { electionMinTimeout: 300, electionMaxTimeout: 600, heartbeatInterval: 50 };
const fullyOpen = (meshes) => meshes.every((mesh) => meshes.every((o) => o === mesh || mesh.readyState(o.id) === 'open'));

/** Every node agrees on one leader, and every id is a voter in its view. */
function oneCluster(rafts, ids) {
  const leader = rafts[0].leader;
  return Boolean(leader) && rafts.every((raft) => raft.leader === leader && ids.every((id) => raft.members.voters.includes(id)));
}

async function closeAll(rafts, meshes, server) {
  for (const raft of rafts) await withTimeout(raft.close(), 5000, 'raft close').catch(() => {});
  for (const mesh of meshes) mesh.close();
  await server.close();
}

test('a Raft created after the mesh is fully formed elects, with every member a voter', { timeout: 60000 }, async () => {
  const server = await startSignalServer();
  const meshes = [];
  const rafts = [];
  try {
    for (const id of ['r1', 'r2', 'r3']) meshes.push(await RTCMesh.join(server.url, 'late-raft', options(id)));
    await poll(() => fullyOpen(meshes), 15000, 'the mesh to form');
    // Only now, and youngest first, does each member create its Raft.
    for (const mesh of [...meshes].reverse()) rafts.push(new Raft({ mesh, ...fast }));
    await poll(() => oneCluster(rafts, ['r1', 'r2', 'r3']), 20000, 'one cluster with three voters');
    const { index } = await withTimeout(rafts[0].propose('hello'), 5000, 'a proposal');
    assert.ok(index > 0);
  } finally {
    await closeAll(rafts, meshes, server);
  }
});

test('two members that join an empty room at the same instant end in one cluster', { timeout: 60000 }, async () => {
  const server = await startSignalServer();
  const meshes = [];
  const rafts = [];
  try {
    const joined = await Promise.all(['s1', 's2'].map((id) => RTCMesh.join(server.url, 'same-instant', options(id))));
    meshes.push(...joined);
    // Each creates its Raft at once, before their link is even open.
    for (const mesh of meshes) rafts.push(new Raft({ mesh, ...fast }));
    await poll(() => oneCluster(rafts, ['s1', 's2']), 20000, 'one cluster with both members');
    const terms = new Set(rafts.map((raft) => raft.members.voters.join()));
    assert.equal(terms.size, 1, 'both see the same voters');
    await withTimeout(rafts[1].propose('from either'), 5000, 'a proposal from either member');
  } finally {
    await closeAll(rafts, meshes, server);
  }
});

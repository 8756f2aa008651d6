// Issue #14, bug 7 ("Bulk data starves Raft"): a big file sent to the room
// over real WebRTC (@roamhq/wrtc) must not cost the Raft leader its place,
// because the mesh sends Raft's messages ahead of the file's chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft } from 'rtcmesh';
import { MeshBus, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

// Timeouts well above what a heartbeat needs to cross a loopback link that
// is already carrying a megabyte (tens of ms), and far below the seconds it
// takes behind a whole 40 MB message.
const timings = { electionMinTimeout: 750, electionMaxTimeout: 1500, heartbeatInterval: 100 };
const BULK_BYTES = 40 * 1000 * 1000;

const leadersOf = (nodes) => nodes.filter((node) => !node.closed && node.role === 'leader');

/** Resolves when `mesh` has received one app message of `bytes` bytes. */
function bulkArrival(mesh, bytes) {
  return new Promise((resolve) => {
    mesh.addEventListener('message', function onMessage({ data }) {
      if (!(data instanceof ArrayBuffer) || data.byteLength !== bytes) return;
      mesh.removeEventListener('message', onMessage);
      resolve();
    });
  });
}

test('bulk data starves Raft: a 40 MB broadcast by the leader moves no leadership', { timeout: 30000 }, async () => {
  const ids = ['peer-1', 'peer-2', 'peer-3'];
  const bus = MeshBus.full(ids);
  const nodes = [...bus.meshes.values()].map((mesh) => new Raft({ mesh, ...timings }));
  try {
    await bus.formed();
    await poll(() => leadersOf(nodes).length === 1 && nodes.every((n) => n.leader === leadersOf(nodes)[0].address), 10000, 'one leader known to all');
    const leader = leadersOf(nodes)[0];
    const term = leader.term;
    const changes = [];
    const lost = new Set(); // followers that see no leader now
    let bothLost = false; // at one moment, no follower saw the leader
    for (const node of nodes) {
      for (const type of ['term', 'leader']) node.addEventListener(type, ({ detail }) => changes.push({ at: node.address, type, detail }));
      node.addEventListener('leader', ({ detail }) => {
        if (detail.leader === null) lost.add(node.address);
        else lost.delete(node.address);
        if (lost.size === nodes.length - 1) bothLost = true;
      });
    }

    const mesh = bus.meshes.get(leader.address);
    const followers = [...bus.meshes.values()].filter((other) => other !== mesh);
    const arrived = Promise.all(followers.map((other) => bulkArrival(other, BULK_BYTES)));
    const bulk = new Uint8Array(BULK_BYTES);
    for (let i = 0; i < bulk.length; i += 4096) bulk[i] = i >> 12; // not all zeros
    mesh.broadcast(bulk);
    await withTimeout(arrived, 20000, 'the 40 MB message at both followers');

    // No term changed, no member followed anyone else, and the followers
    // never lost the leader together. One follower may lose sight of it for
    // a moment (a `leader` event of null: it asked for pre-votes, which the
    // other refused under the leader's lease): on a loaded machine wrtc's
    // SCTP, three members in one process, now and then holds one link's
    // frames for a second or more (measured: chunks that left the leader
    // arrived 2.5 s later, Raft's frames with them), and no order of sending
    // helps a link that delivers nothing. If Raft's frames waited behind the
    // file instead, both followers would lose the leader, grant each other's
    // pre-votes and elect: a term change.
    assert.equal(bothLost, false, `both followers lost the leader at once: ${JSON.stringify(changes)}`);
    assert.deepEqual(changes.filter(({ type }) => type === 'term'), []);
    assert.deepEqual(changes.filter(({ type, detail }) => type === 'leader' && detail.leader !== null && detail.leader !== leader.address), []);
    assert.equal(leader.role, 'leader');
    assert.equal(leader.term, term);
    assert.deepEqual(bus.errors, []);
  } finally {
    bus.closeAll();
  }
});

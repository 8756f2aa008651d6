// Raft in Node on the wasm core: the seed's example over an in-process
// network, and Raft over RTCMesh on real WebRTC (@roamhq/wrtc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raft, ReplicatedMap } from 'rtcmesh';
import { MeshBus, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const fast = { electionMinTimeout: 150, electionMaxTimeout: 300, heartbeatInterval: 50 };

const leadersOf = (nodes) => nodes.filter((node) => !node.closed && node.role === 'leader');

test("the seed's example: join() with send callbacks, onRaftMessage(), one leader", async () => {
  const addresses = ['f7ac595c', '47582a65', '869564f3'];
  const nodes = new Map(addresses.map((address) => [address, new Raft({ address, ...fast })]));
  for (const [address, raft] of nodes) {
    for (const other of addresses) {
      if (other === address) continue;
      // send(data) delivers asynchronously, as a network would.
      raft.join(other, (data) => setImmediate(() => {
        const target = nodes.get(other);
        if (!target.closed) target.onRaftMessage(data);
      }));
    }
  }
  try {
    const all = [...nodes.values()];
    await poll(() => leadersOf(all).length === 1 && all.every((n) => n.leader === leadersOf(all)[0].address), 5000, 'a leader');
    const leader = leadersOf(all)[0];
    const applied = all.map((node) => new Promise((resolve) => node.addEventListener('apply', ({ detail }) => resolve(new TextDecoder().decode(detail.data)), { once: true })));
    const { index } = await leader.propose('first entry');
    assert.ok(index >= 2);
    assert.deepEqual(await withTimeout(Promise.all(applied), 5000, 'apply everywhere'), ['first entry', 'first entry', 'first entry']);
    assert.deepEqual(leader.members.voters.sort(), [...addresses].sort());

    // A follower's proposal is forwarded to the leader by the core, over the same send callbacks.
    const follower = all.find((node) => node !== leader);
    const forwarded = await withTimeout(follower.propose('via a follower'), 5000, 'a forwarded proposal');
    assert.ok(forwarded.index > index);
    assert.ok(await withTimeout(follower.readIndex(), 5000, 'a forwarded read') >= forwarded.index);

    const events = [];
    for (const type of ['closing', 'closed']) leader.addEventListener(type, () => events.push(type));
    await withTimeout(leader.close(), 5000, 'close');
    assert.deepEqual(events, ['closing', 'closed']);
    await poll(() => leadersOf(all).length === 1, 5000, 'a new leader after close');
    assert.notEqual(leadersOf(all)[0], leader);
  } finally {
    for (const node of nodes.values()) await withTimeout(node.close(), 5000, 'close all');
  }
});

for (const size of [3, 5]) {
  test(`Raft over a ${size}-peer mesh elects one leader and commits on all`, { timeout: 60000 }, async () => {
    const ids = Array.from({ length: size }, (_, i) => `peer-${i + 1}`);
    const bus = MeshBus.full(ids);
    const nodes = [...bus.meshes.values()].map((mesh) => new Raft({ mesh, ...fast }));
    try {
      await bus.formed();
      await poll(() => leadersOf(nodes).length === 1 && nodes.every((n) => n.leader === leadersOf(nodes)[0].address), 10000, 'one leader known to all');
      const follower = nodes.find((node) => node.role !== 'leader');
      const result = await withTimeout(follower.propose('via a follower'), 10000, 'a forwarded proposal');
      assert.ok(result.index > 0);
      await poll(() => nodes.every((node) => node.appliedIndex >= result.index), 5000, 'apply on all');
    } finally {
      bus.closeAll();
    }
  });
}

test('closing the leader\'s mesh yields a new leader and the map stays consistent', { timeout: 60000 }, async () => {
  const ids = ['peer-1', 'peer-2', 'peer-3'];
  const bus = MeshBus.full(ids);
  const nodes = [...bus.meshes.values()].map((mesh) => new Raft({ mesh, ...fast }));
  const maps = nodes.map((raft) => new ReplicatedMap(raft));
  try {
    await bus.formed();
    await poll(() => leadersOf(nodes).length === 1, 10000, 'a leader');
    const leaderIndex = nodes.indexOf(leadersOf(nodes)[0]);
    const other = (leaderIndex + 1) % 3;
    await maps[other].set('color', 'blue');
    await maps[leaderIndex].set('size', 3);
    await maps[other].delete('size');
    assert.equal(await maps[other].read('color'), 'blue');

    const changes = [];
    maps[other].addEventListener('change', ({ detail }) => changes.push(detail));
    bus.meshes.get(ids[leaderIndex]).close(); // the leader's page goes away
    const survivors = nodes.filter((_, i) => i !== leaderIndex);
    await poll(() => leadersOf(survivors).length === 1, 15000, 'a new leader');
    await maps[other].set('after', 'failover');
    for (const [i, map] of maps.entries()) {
      if (i === leaderIndex) continue;
      assert.equal(await withTimeout(map.read('color'), 5000, 'read'), 'blue');
      assert.equal(map.get('size'), undefined);
      assert.equal(map.get('after'), 'failover');
    }
    assert.deepEqual(changes, [{ key: 'after', value: 'failover', deleted: false }]);
  } finally {
    bus.closeAll();
  }
});

/** The IndexedDB storage's contract, kept in memory, with an asynchronous save. */
function durableStore() {
  const saved = { hardState: null, snapshot: null, entries: [] };
  return {
    saved,
    storage: {
      load: async () => structuredClone(saved),
      save: async (ready) => {
        await new Promise((resolve) => setTimeout(resolve, 1)); // a disk is slow
        if (ready.snapshot) {
          saved.snapshot = ready.snapshot;
          saved.entries = saved.entries.filter((e) => e.index > ready.snapshot.index);
        }
        if (ready.entries.length) {
          saved.entries = saved.entries.filter((e) => e.index < ready.entries[0].index).concat(ready.entries);
        }
        if (ready.hardState) saved.hardState = ready.hardState;
      },
      saveSnapshot: async (snapshot) => {
        saved.snapshot = snapshot;
        saved.entries = saved.entries.filter((e) => e.index > snapshot.index);
      },
    },
  };
}

test('a node restarted from durable storage keeps its term, vote and log, and catches up', async () => {
  const addresses = ['a', 'b', 'c'];
  const stores = new Map(addresses.map((address) => [address, durableStore()]));
  const nodes = new Map();
  const wire = (raft) => {
    for (const other of addresses) {
      if (other === raft.address) continue;
      raft.join(other, (data) => setImmediate(() => {
        const target = nodes.get(other);
        if (target && !target.closed) target.onRaftMessage(data);
      }));
    }
  };
  for (const address of addresses) {
    const raft = await Raft.open({ address, members: addresses, ...fast, storage: stores.get(address).storage });
    nodes.set(address, raft);
    wire(raft);
  }
  try {
    const all = () => [...nodes.values()];
    await poll(() => leadersOf(all()).length === 1, 5000, 'a leader');
    const leader = leadersOf(all())[0];
    for (let i = 0; i < 5; i++) await leader.propose(`entry ${i}`);
    const victim = all().find((node) => node !== leader);
    const { term } = victim;
    const lastApplied = victim.appliedIndex;
    await poll(() => victim.appliedIndex >= (lastApplied || 1), 5000, 'the victim to apply');
    assert.ok(stores.get(victim.address).saved.entries.length >= 6, 'entries were persisted');
    assert.equal(stores.get(victim.address).saved.hardState.term, term);

    await victim.close(); // the tab goes away (its storage stays)
    await leader.propose('while it was away');
    const reborn = await Raft.open({ address: victim.address, members: addresses, ...fast, storage: stores.get(victim.address).storage });
    assert.equal(reborn.term, term, 'the term survived');
    nodes.set(victim.address, reborn);
    wire(reborn);
    const replayed = [];
    reborn.addEventListener('apply', ({ detail }) => replayed.push(new TextDecoder().decode(detail.data)));
    await poll(() => replayed.includes('while it was away'), 5000, 'the restarted node to catch up');
    assert.deepEqual(replayed, ['entry 0', 'entry 1', 'entry 2', 'entry 3', 'entry 4', 'while it was away']);
  } finally {
    for (const node of nodes.values()) await withTimeout(node.close(), 5000, 'close');
  }
});

test('a node closed before its first update still closes, and lets the process exit', async () => {
  // Ticking by itself, and ticked by hand: neither had run an update() yet.
  for (const options of [{ address: 'early' }, { address: 'early-manual', autoUpdate: false }]) {
    const raft = new Raft(options);
    await withTimeout(raft.close(), 2000, `close() of ${options.address}`);
    assert.equal(raft.closed, true);
  }
});

// RTCMesh on real WebRTC in Node (@roamhq/wrtc), signaling through an
// in-process bus: formation, data of every kind and size, run-time peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { RTCMeshError } from 'rtcmesh';
import { MeshBus, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const ids = (count) => Array.from({ length: count }, (_, index) => `peer-${index + 1}`);

/** Collects `count` message events on `mesh`; resolves with them. */
function collectMessages(mesh, count) {
  const received = [];
  return new Promise((resolve) => {
    mesh.addEventListener('message', function onMessage(event) {
      received.push({ from: event.origin, data: event.data });
      if (received.length === count) {
        mesh.removeEventListener('message', onMessage);
        resolve(received);
      }
    });
  });
}

for (const size of [3, 5]) {
  test(`${size} peers form a full mesh with one connection per pair`, async () => {
    const bus = MeshBus.full(ids(size));
    try {
      await bus.formed();
      for (const mesh of bus.meshes.values()) {
        assert.equal(mesh.openPeerConnections, size - 1, `${mesh.id} has one RTCPeerConnection per peer`);
        for (const peer of mesh.peers) assert.equal(mesh.readyState(peer), 'open');
        assert.equal(mesh.user_channel(mesh.peers[0]).readyState, 'open');
      }
      assert.deepEqual(bus.errors, []);
    } finally {
      bus.closeAll();
    }
  });
}

test('broadcast and one-to-one messages, string and binary, arrive byte-exact', async () => {
  const bus = MeshBus.full(ids(3));
  try {
    await bus.formed();
    const [a, b, c] = bus.meshes.values();
    const atB = collectMessages(b, 3);
    const atC = collectMessages(c, 2);
    const binary = randomBytes(1000);
    a.broadcast('héllo, mesh ✓');
    a.broadcast(binary);
    a.send('peer-2', new Uint16Array([1, 2, 3]));
    const [fromA, toC] = await withTimeout(Promise.all([atB, atC]), 10000, 'the messages');
    assert.deepEqual(fromA[0], { from: 'peer-1', data: 'héllo, mesh ✓' });
    assert.ok(fromA[1].data instanceof ArrayBuffer);
    assert.deepEqual(Buffer.from(fromA[1].data), binary);
    assert.deepEqual(new Uint16Array(fromA[2].data), new Uint16Array([1, 2, 3]));
    assert.deepEqual(toC.map(({ data }) => typeof data), ['string', 'object']);
  } finally {
    bus.closeAll();
  }
});

test('a 5 MiB binary message and a 1 MiB string arrive byte-exact', async () => {
  const bus = MeshBus.full(ids(2));
  try {
    await bus.formed();
    const [a, b] = bus.meshes.values();
    const big = randomBytes(5 * 1024 * 1024);
    const text = 'x'.repeat(512 * 1024) + 'é'.repeat(256 * 1024); // 1 MiB of UTF-8
    const arrived = collectMessages(b, 2);
    a.send('peer-2', big);
    a.send('peer-2', text);
    const [binary, string] = await withTimeout(arrived, 30000, 'the large messages');
    assert.equal(binary.data.byteLength, big.length);
    assert.ok(Buffer.from(binary.data).equals(big), '5 MiB arrived byte-exact');
    assert.equal(string.data, text);
  } finally {
    bus.closeAll();
  }
});

test('a message over the limit is refused with a clear error and the mesh goes on', async () => {
  const bus = MeshBus.full(ids(2), { maxMessageBytes: 1024 });
  try {
    await bus.formed();
    const [a, b] = bus.meshes.values();
    assert.throws(() => a.send('peer-2', new Uint8Array(1025)), (error) => {
      assert.ok(error instanceof RTCMeshError);
      assert.equal(error.code, 'message_too_large');
      assert.match(error.message, /1025 bytes exceeds the limit of 1024/);
      return true;
    });
    const arrived = collectMessages(b, 1);
    a.send('peer-2', 'still fine');
    assert.equal((await withTimeout(arrived, 10000, 'a message after the refusal'))[0].data, 'still fine');
  } finally {
    bus.closeAll();
  }
});

test('peers added and removed at run time join and leave the mesh', async () => {
  const bus = MeshBus.full(ids(2));
  try {
    await bus.formed();
    const [a, b] = bus.meshes.values();
    const c = bus.add('peer-3', ids(3));
    const added = [];
    a.addEventListener('peeradded', ({ detail }) => added.push(detail.peer));
    a.addPeer('peer-3');
    a.addPeer('peer-3'); // already there: no second event
    assert.deepEqual(added, ['peer-3']);
    b.addPeer('peer-3');
    await bus.formed();
    assert.deepEqual(c.peers.sort(), ['peer-1', 'peer-2']);

    const removed = new Promise((resolve) => a.addEventListener('removechannel', ({ detail }) => resolve(detail.peer)));
    const peerRemoved = new Promise((resolve) => a.addEventListener('peerremoved', ({ detail }) => resolve(detail.peer)));
    a.removePeer('peer-3');
    assert.equal(await peerRemoved, 'peer-3');
    assert.equal(await withTimeout(removed, 5000, 'removechannel'), 'peer-3');
    assert.equal(a.readyState('peer-3'), 'closed');
    assert.equal(a.openPeerConnections, 1);
  } finally {
    bus.closeAll();
  }
});

test('a closed mesh closes every RTCPeerConnection and refuses further calls', async () => {
  const bus = MeshBus.full(ids(3));
  await bus.formed();
  const [a] = bus.meshes.values();
  const removed = [];
  a.addEventListener('removechannel', ({ detail }) => removed.push(detail.peer));
  a.close();
  assert.deepEqual(removed.sort(), ['peer-2', 'peer-3']);
  assert.equal(a.openPeerConnections, 0);
  assert.equal(a.readyState('peer-2'), 'closed');
  assert.throws(() => a.broadcast('x'), { name: 'RTCMeshError', code: 'closed' });
  assert.throws(() => a.createOffer('peer-2'), { code: 'closed' });
  a.close(); // a second close is harmless
  bus.closeAll();
});

test('a sender that follows bufferedAmount and bufferedamountlow streams without queue_full', async () => {
  const bus = MeshBus.full(ids(2), { maxQueuedBytesPerPeer: 4 * 1024 * 1024 });
  try {
    await bus.formed();
    const [a, b] = bus.meshes.values();
    a.bufferedAmountLowThreshold = 512 * 1024;
    const chunk = new Uint8Array(64 * 1024);
    const total = 320; // 20 MiB, five times the queue limit
    let bytes = 0;
    b.addEventListener('message', ({ data }) => { bytes += data.byteLength; });
    let lowEvents = 0;
    let highest = 0;
    for (let sent = 0; sent < total; sent++) {
      if (a.bufferedAmount('peer-2') > 2 * 1024 * 1024) {
        await withTimeout(new Promise((resolve) => a.addEventListener('bufferedamountlow', resolve, { once: true })), 10000, 'bufferedamountlow');
        lowEvents++;
        assert.ok(a.bufferedAmount('peer-2') <= a.bufferedAmountLowThreshold);
      }
      a.send('peer-2', chunk);
      highest = Math.max(highest, a.bufferedAmount('peer-2'));
    }
    assert.ok(lowEvents > 0, 'the sender had to wait at least once');
    assert.ok(highest <= 2 * 1024 * 1024 + chunk.length, `bufferedAmount peaked at ${highest}`);
    await withTimeout((async () => { while (bytes < total * chunk.length) await new Promise((r) => setTimeout(r, 10)); })(), 20000, 'all bytes');
    assert.equal(bytes, total * chunk.length);
    assert.throws(() => { for (let i = 0; i < 100; i++) a.send('peer-2', chunk); }, { code: 'queue_full' });
  } finally {
    bus.closeAll();
  }
});

test('many descriptions made at once resolve each, with no listener per call (no MaxListenersExceededWarning)', async () => {
  const { RTCMesh } = await import('rtcmesh');
  const { RTCPeerConnection } = await import('../support/mesh-bus.mjs');
  const peers = ids(20);
  const warnings = [];
  const onWarning = (warning) => warnings.push(warning.name);
  process.on('warning', onWarning);
  // peer-1 offers to every other on its first tick; each call waits for its own.
  const mesh = new RTCMesh({ id: 'peer-1', peers, RTCPeerConnection });
  try {
    const offers = await withTimeout(Promise.all(peers.slice(1).map((peer) => mesh.createOffer(peer))), 20000, 'offers');
    assert.equal(offers.length, 19);
    for (const offer of offers) assert.match(offer.sdp, /^v=0/);
    assert.equal(new Set(offers.map((offer) => offer.sdp)).size, 19, 'one description per peer');
    const pending = mesh.createOffer('peer-2');
    mesh.close();
    await assert.rejects(pending, (error) => error instanceof RTCMeshError && error.code === 'closed');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((name) => name === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
    mesh.close();
  }
});

test('tcpCandidates: false sends no TCP candidate, and links over UDP', async () => {
  const { RTCMesh } = await import('rtcmesh');
  const { RTCPeerConnection } = await import('../support/mesh-bus.mjs');
  // What a mesh offering to a peer that never answers sends while it gathers.
  const transportsSent = async (options) => {
    const mesh = new RTCMesh({ id: 'peer-1', peers: ids(2), RTCPeerConnection, ...options });
    const transports = [];
    let ended = false;
    mesh.addEventListener('icecandidate', ({ detail }) => {
      if (detail.candidate) transports.push(detail.candidate.candidate.split(' ')[2].toLowerCase());
      else ended = true;
    });
    try {
      await poll(() => ended, 10000, 'the end of its candidates');
      return transports;
    } finally {
      mesh.close();
    }
  };
  const all = await transportsSent({});
  assert.ok(all.includes('tcp') && all.includes('udp'), `wrtc gathers both here, so the check below can fail: ${all}`);
  const without = await transportsSent({ tcpCandidates: false });
  assert.ok(without.length > 0);
  assert.deepEqual(without.filter((transport) => transport !== 'udp'), []);

  const bus = MeshBus.full(ids(3), { tcpCandidates: false });
  try {
    await bus.formed();
  } finally {
    bus.closeAll();
  }
  assert.throws(() => new RTCMesh({ id: 'a', RTCPeerConnection, tcpCandidates: 'no' }), (error) => error.code === 'bad_argument' && /tcpCandidates must be a boolean/.test(error.message));
});

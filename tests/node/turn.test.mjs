// TURN for real, in Node with wrtc: a relay-only mesh through a throwaway
// coturn (tests/support/coturn.mjs), with credentials the signaling server
// mints into its welcome; and expired credentials, which coturn refuses.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection, nextEvent, withTimeout } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';
import { skipWithoutCoturn, startCoturn } from '../support/coturn.mjs';

const fullyOpen = (meshes) => meshes.every((mesh) => meshes.every((o) => o === mesh || mesh.readyState(o.id) === 'open'));

/** An RTCPeerConnection constructor that records every connection and its configuration. */
function recordingPeerConnection() {
  const created = [];
  function Recording(configuration) {
    const pc = new RTCPeerConnection(configuration);
    created.push({ pc, configuration });
    return pc;
  }
  return { Recording, created };
}

/** The local and remote candidates of the pair a connection selected, from getStats(). */
async function selectedPair(pc) {
  const stats = new Map();
  (await pc.getStats()).forEach((report) => stats.set(report.id, report));
  const reports = [...stats.values()];
  const transport = reports.find((r) => r.type === 'transport' && r.selectedCandidatePairId);
  const pair = transport
    ? stats.get(transport.selectedCandidatePairId)
    : reports.find((r) => r.type === 'candidate-pair' && r.state === 'succeeded' && r.nominated);
  if (!pair) return null;
  return { local: stats.get(pair.localCandidateId), remote: stats.get(pair.remoteCandidateId) };
}

describe('TURN through coturn', { skip: skipWithoutCoturn }, () => {
  const secret = 'node-test-secret';
  let turn;
  before(async () => { turn = await startCoturn({ secret }); });
  after(async () => { await turn?.stop(); });

  test('a 3-member relay-only mesh forms with server-minted credentials, and messages flow through the relay', async () => {
    const server = await startSignalServer({ turn: { urls: [turn.url], secret } });
    const { Recording, created } = recordingPeerConnection();
    const meshes = [];
    try {
      for (const id of ['ana', 'ben', 'cho']) {
        meshes.push(await RTCMesh.join(server.url, 'relay-room', {
          id, WebSocket, RTCPeerConnection: Recording, iceTransportPolicy: 'relay', reconnectMinMs: 20, reconnectMaxMs: 100,
        }));
      }
      assert.equal(meshes[0].iceTransportPolicy, 'relay');
      await poll(() => fullyOpen(meshes), 30000, 'the relay-only mesh to form');

      // Every connection was made relay-only, with this member's minted credentials.
      assert.ok(created.length >= 6, `${created.length} connections for 3 pairs`);
      for (const { configuration } of created) {
        assert.equal(configuration.iceTransportPolicy, 'relay');
        const minted = configuration.iceServers.filter((server) => server.urls.includes(turn.url));
        assert.equal(minted.length, 1);
        assert.match(minted[0].username, /^\d+:(ana|ben|cho)$/);
      }
      // coturn allocated for the three members' usernames.
      for (const id of ['ana', 'ben', 'cho']) assert.match(turn.output(), new RegExp(`username=<\\d+:${id}>`), `coturn saw ${id}`);

      // Messages flow: each member broadcasts, every other one hears it.
      const heard = meshes.map((mesh) => new Promise((resolve) => {
        const got = new Set();
        mesh.addEventListener('message', ({ origin, data }) => {
          got.add(`${origin}:${data}`);
          if (got.size === 2) resolve([...got].sort());
        });
      }));
      for (const mesh of meshes) mesh.broadcast(`hi from ${mesh.id}`);
      const received = await withTimeout(Promise.all(heard), 10000, 'the broadcasts');
      assert.deepEqual(received[0], ['ben:hi from ben', 'cho:hi from cho']);
      assert.deepEqual(received[2], ['ana:hi from ana', 'ben:hi from ben']);
      for (const mesh of meshes) for (const other of meshes) if (other !== mesh) assert.equal(mesh.relayed(other.id), false, 'direct links, not relayed by a member');

      // wrtc reports the selected pair: both ends are relay candidates.
      const live = created.filter(({ pc }) => pc.connectionState === 'connected');
      assert.ok(live.length >= 6, `${live.length} connected connections`);
      for (const { pc } of live) {
        const pair = await selectedPair(pc);
        assert.ok(pair, 'getStats names a selected candidate pair');
        assert.equal(pair.local.candidateType, 'relay', 'the local candidate is a TURN relay');
        assert.equal(pair.remote.candidateType, 'relay', 'the remote candidate is a TURN relay');
      }
    } finally {
      for (const mesh of meshes) mesh.close();
      await server.close();
    }
  });

  test('a reconnect brings fresh credentials, and new connections use them', async () => {
    let nowMs = Date.now();
    const server = await startSignalServer({ turn: { urls: [turn.url], secret, now: () => nowMs } });
    const { Recording, created } = recordingPeerConnection();
    let mesh;
    try {
      mesh = await RTCMesh.join(server.url, 'refresh-room', { id: 'ana', WebSocket, RTCPeerConnection: Recording, iceTransportPolicy: 'relay', reconnectMinMs: 20, reconnectMaxMs: 100 });
      const first = mesh.signaling.iceServers[0].username;
      nowMs += 600_000; // ten minutes later
      const reopened = nextEvent(mesh.signaling, 'open');
      mesh.signaling.socket.close(); // the socket drops; the client resumes
      await withTimeout(reopened, 5000, 'the signaling client to rejoin');
      const second = mesh.signaling.iceServers[0].username;
      assert.equal(Number(second.split(':')[0]) - Number(first.split(':')[0]), 600, 'the new expiry is ten minutes later');

      mesh.addPeer('ben'); // ana offers to ben (the lower id offers): a new connection
      await poll(() => created.length > 0, 5000, 'a connection to ben');
      const { configuration } = created.at(-1);
      assert.equal(configuration.iceServers.at(-1).username, second, 'the new connection uses the refreshed credentials');
    } finally {
      mesh?.close();
      await server.close();
    }
  });

  test('credentials the server refreshes while the member stays connected reach new connections', async () => {
    let nowMs = Date.now();
    const server = await startSignalServer({ turn: { urls: [turn.url], secret, lifetimeSeconds: 600, now: () => nowMs }, limits: { heartbeatIntervalMs: 50 } });
    const { Recording, created } = recordingPeerConnection();
    let mesh;
    try {
      mesh = await RTCMesh.join(server.url, 'refresh-room-2', { id: 'ana', WebSocket, RTCPeerConnection: Recording, iceTransportPolicy: 'relay' });
      const first = mesh.signaling.iceServers[0].username;
      mesh.addPeer('ben'); // ana offers to ben (the lower id offers): a connection with the first credentials
      await poll(() => created.length === 1, 5000, 'a connection to ben');
      assert.equal(created[0].configuration.iceServers.at(-1).username, first);
      const refreshed = nextEvent(mesh.signaling, 'iceservers');
      nowMs += 300_000; // half the lifetime later
      const { detail } = await withTimeout(refreshed, 5000, 'the refreshed credentials');
      const fresh = detail.iceServers[0].username;
      assert.equal(Number(fresh.split(':')[0]) - Number(first.split(':')[0]), 300);
      assert.equal(mesh.signaling.iceServers[0].username, fresh);
      // The open connection has them for its next ICE restart...
      const current = created[0].pc.getConfiguration();
      assert.equal(current.iceServers.at(-1).username, fresh);
      assert.equal(current.iceTransportPolicy, 'relay');
      // ... and a new connection is made with them.
      mesh.addPeer('cho');
      await poll(() => created.length === 2, 5000, 'a connection to cho');
      assert.equal(created[1].configuration.iceServers.at(-1).username, fresh);
    } finally {
      mesh?.close();
      await server.close();
    }
  });

  test('expired credentials are refused by coturn: the relay-only mesh does not form, and members see failed attempts, not a hang', async () => {
    // A server clock two hours behind mints credentials that expired an hour ago.
    const server = await startSignalServer({ turn: { urls: [turn.url], secret, now: () => Date.now() - 2 * 3600_000 } });
    const meshes = [];
    const failures = [];
    try {
      for (const id of ['dan', 'eve']) {
        const mesh = await RTCMesh.join(server.url, 'expired-room', {
          id, WebSocket, RTCPeerConnection, iceTransportPolicy: 'relay', connectTimeoutMs: 2000, reconnectMinMs: 20, reconnectMaxMs: 100,
        });
        mesh.addEventListener('failed', ({ detail }) => failures.push({ at: id, ...detail }));
        meshes.push(mesh);
      }
      // Each member's own: two joins can fall on either side of a second.
      const usernames = meshes.map((mesh) => mesh.signaling.iceServers[0].username);
      for (const username of usernames) assert.ok(Number(username.split(':')[0]) < Date.now() / 1000, `${username}: already expired`);
      // Bounded: a failed attempt is reported within the connect timeout (plus a margin).
      await poll(() => failures.length > 0, 10000, 'a failed event for the link attempt');
      assert.notEqual(meshes[0].readyState('eve'), 'open', 'no link formed');
      assert.notEqual(meshes[1].readyState('dan'), 'open', 'no link formed');
      // coturn refused the expired usernames (401), rather than never being asked.
      const refused = (username) => new RegExp(`user <${username}>: incoming packet message processed, error 401`).test(turn.output());
      await poll(() => usernames.every(refused), 15000, `coturn to log the refusal of both members (${usernames.join(', ')})`);
      for (const username of usernames) assert.doesNotMatch(turn.output(), new RegExp(`username=<${username}>`), 'coturn allocated nothing for them');
      assert.ok(failures.every(({ reason }) => typeof reason === 'string'), 'each failed event says why');
    } finally {
      for (const mesh of meshes) mesh.close();
      await server.close();
    }
  });
});

test('iceTransportPolicy is validated with code bad_argument, and reaches every RTCPeerConnection', async () => {
  for (const bad of ['none', 'RELAY', '', 1, {}]) {
    assert.throws(() => new RTCMesh({ id: 'a', peers: ['b'], RTCPeerConnection, iceTransportPolicy: bad }), (error) => {
      assert.equal(error.code, 'bad_argument');
      assert.match(error.message, /iceTransportPolicy/);
      return error instanceof TypeError;
    });
  }
  const { Recording, created } = recordingPeerConnection();
  const all = new RTCMesh({ id: 'a', peers: ['b'], RTCPeerConnection: Recording, iceServers: [{ urls: 'stun:127.0.0.1:9' }] });
  const relay = new RTCMesh({ id: 'c', peers: ['d'], RTCPeerConnection: Recording, iceTransportPolicy: 'relay' });
  try {
    assert.equal(all.iceTransportPolicy, 'all');
    await poll(() => created.length === 2, 5000, 'both meshes to make their connection');
    const byPolicy = created.map(({ configuration }) => configuration).sort((x, y) => x.iceTransportPolicy.localeCompare(y.iceTransportPolicy));
    assert.deepEqual(byPolicy, [
      { iceServers: [{ urls: 'stun:127.0.0.1:9' }], iceTransportPolicy: 'all' },
      { iceServers: [], iceTransportPolicy: 'relay' },
    ]);
  } finally {
    all.close();
    relay.close();
  }
});

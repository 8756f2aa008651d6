// Rooms with a secret, with real WebRTC (@roamhq/wrtc) and the real
// signaling server on loopback: members form and talk; the server sees no
// SDP or candidate; an outsider and a member with the wrong secret learn
// nothing and are not admitted; a hostile server that bridges two members
// with its own peer connections reads and rewrites an open room's traffic,
// and gets nothing through in a sealed room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Raft, RTCMesh, RoomSeal } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { RTCPeerConnection, nextEvent, withTimeout } from '../support/mesh-bus.mjs';
import { bridge, drop, startHostileServer } from '../support/hostile-server.mjs';
import { relayedDataFrom, replaceText, tamperingPeerConnection } from '../support/tampering.mjs';
import { RecordingClient } from '../support/ws-client.mjs';
import { poll } from '../support/wait.mjs';

const options = (id, extra = {}) => ({ id, WebSocket, RTCPeerConnection, reconnectMinMs: 20, reconnectMaxMs: 100, ...extra });
const fullyOpen = (meshes) => meshes.every((mesh) => meshes.every((o) => o === mesh || mesh.readyState(o.id) === 'open'));
const plaintext = (data) => JSON.stringify(data ?? null);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A server that lets only each member's first signal to the other (its
// hello) through between `a` and `b`: the two never link, and a third
// member relays for them.
function helloOnlyBetween(a, b) {
  const count = new Map();
  return startHostileServer({
    onSignal: ({ from, to, data }) => {
      if (![from, to].every((id) => id === a || id === b)) return data;
      const n = (count.get(from) ?? 0) + 1;
      count.set(from, n);
      return n === 1 ? data : drop;
    },
  });
}

test('members with the secret form a mesh; the server sees only ciphertext', async () => {
  const server = await startHostileServer(); // forwards everything, records what it sees
  const secret = RTCMesh.createSecret();
  const meshes = [];
  try {
    for (const id of ['ana', 'ben', 'cho']) meshes.push(await RTCMesh.join(server.url, 'sealed-1', options(id, { secret })));
    await poll(() => fullyOpen(meshes), 15000, 'the sealed mesh to form');
    const heard = Promise.all(meshes.slice(1).map((mesh) => nextEvent(mesh, 'message')));
    meshes[0].broadcast('hi all');
    const events = await withTimeout(heard, 5000, 'the chat message');
    assert.deepEqual(events.map((e) => [e.origin, e.data]), [['ana', 'hi all'], ['ana', 'hi all']]);
    assert.ok(server.seen.length > 6, 'signals went through the server');
    for (const data of server.seen) {
      assert.ok(['sealed', 'pair'].includes(Object.keys(data).join()), 'one sealed field');
      assert.doesNotMatch(plaintext(data), /v=0|candidate|fingerprint|hello|127\.0\.0\.1/);
    }
  } finally {
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

test('an outsider without the secret learns no SDP or address and is not admitted', async () => {
  const server = await startSignalServer();
  const secret = RTCMesh.createSecret();
  const meshes = [];
  let outsider;
  try {
    for (const id of ['ana', 'ben']) meshes.push(await RTCMesh.join(server.url, 'sealed-2', options(id, { secret })));
    await poll(() => fullyOpen(meshes), 15000, 'the sealed mesh to form');
    const refusals = meshes.map((mesh) =>
      withTimeout(nextEvent(mesh, 'error', (e) => e.detail.code === 'bad_seal'), 10000, 'bad_seal'),
    );
    // A bare WebSocket that knows the room's name, and says hello as a member would.
    outsider = await RecordingClient.connect(server.url);
    outsider.send({ type: 'join', room: 'sealed-2', peer: 'eve' });
    const welcome = await outsider.next('welcome');
    assert.deepEqual(welcome.peers.sort(), ['ana', 'ben'], 'the server still lists members (ids only)');
    for (const member of welcome.peers) outsider.send({ type: 'signal', to: member, data: { kind: 'hello' } });
    for (const member of welcome.peers) outsider.send({ type: 'signal', to: member, data: { sealed: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    const [refused] = await Promise.all(refusals);
    assert.equal(refused.detail.peer, 'eve');
    await sleep(1500); // time for any member that would dial a newcomer to do so
    assert.deepEqual(outsider.frames.filter((f) => f.type === 'signal'), [], 'no member said anything to eve');
    for (const mesh of meshes) assert.equal(mesh.peers.includes('eve'), false);
  } finally {
    outsider?.socket.terminate();
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

test('a member with the wrong secret, or none, is never linked; a password room works', async () => {
  const server = await startSignalServer();
  const meshes = [];
  try {
    meshes.push(await RTCMesh.join(server.url, 'sealed-3', options('ana', { password: 'correct horse battery staple' })));
    meshes.push(await RTCMesh.join(server.url, 'sealed-3', options('ben', { password: 'correct horse battery staple' })));
    await poll(() => fullyOpen(meshes), 15000, 'the password room to form');
    const refused = withTimeout(nextEvent(meshes[0], 'error', (e) => e.detail.code === 'bad_seal'), 10000, 'bad_seal');
    const wrong = await RTCMesh.join(server.url, 'sealed-3', options('mal', { secret: RTCMesh.createSecret() }));
    meshes.push(wrong);
    const open = await RTCMesh.join(server.url, 'sealed-3', options('opn'));
    meshes.push(open);
    assert.equal((await refused).detail.peer, 'mal');
    await sleep(1500);
    assert.deepEqual(meshes[0].peers, ['ben']);
    assert.deepEqual(wrong.peers, []);
    assert.equal(open.openPeerConnections, 0, 'an open-room client gets no link either');
  } finally {
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

test('a member with the secret cannot speak for another, even through the server', async () => {
  const server = await startHostileServer();
  const secret = RTCMesh.createSecret();
  const meshes = [];
  try {
    for (const id of ['ana', 'ben']) meshes.push(await RTCMesh.join(server.url, 'sealed-4', options(id, { secret })));
    await poll(() => fullyOpen(meshes), 15000, 'the sealed mesh to form');
    const [, ben] = meshes;
    const refusals = [];
    ben.addEventListener('error', ({ detail }) => detail.code === 'bad_seal' && refusals.push(detail));
    const answers = [];
    ben.addEventListener('answer', ({ detail }) => answers.push(detail.peer));
    // mal holds the secret and writes as ana; the server delivers it as from ana.
    const impostor = await RoomSeal.create('sealed-4', 'ana', { secret });
    const offer = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n'; // never applied
    server.inject('ben', 'ana', await impostor.seal('ben', impostor.hello()));
    server.inject('ben', 'ana', await impostor.seal('ben', { kind: 'offer', sdp: offer }));
    await poll(() => refusals.length > 0, 10000, 'bad_seal at ben');
    assert.equal(refusals[0].peer, 'ana');
    await sleep(500);
    assert.deepEqual(answers, [], 'ben answered no offer');
    assert.equal(ben.readyState('ana'), 'open', "ana's real link is untouched");
  } finally {
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

// mal holds the secret and joins first under the id ana will use. Under a
// chosen id ("ana") ben believes her (the test bites); under the id ana's
// key names, her hello does not open, and ana, joining later, is admitted.
for (const keyId of [false, true]) {
  test(`a member ${keyId ? 'cannot take an id derived from another\'s key' : 'takes a chosen id first (trusted on first use)'}`, { timeout: 60000 }, async () => {
    const server = await startSignalServer();
    const secret = RTCMesh.createSecret();
    const anaIdentity = await RTCMesh.createIdentity();
    const anaId = keyId ? await RTCMesh.identityId(anaIdentity) : 'ana';
    const meshes = [];
    try {
      const ben = await RTCMesh.join(server.url, 'squat', options('ben', { secret }));
      meshes.push(ben);
      const refusals = [];
      ben.addEventListener('error', ({ detail }) => detail.code === 'bad_seal' && refusals.push(detail));
      const mal = await RTCMesh.join(server.url, 'squat', options(anaId, { secret })); // her own new key
      meshes.push(mal);
      if (!keyId) {
        await poll(() => ben.readyState(anaId) === 'open', 15000, 'mal admitted under "ana"');
        return;
      }
      await poll(() => refusals.length > 0, 10000, 'bad_seal at ben');
      assert.equal(refusals[0].peer, anaId);
      await sleep(1000);
      assert.deepEqual(ben.peers, [], 'mal was not admitted');
      mal.close();
      await sleep(500);
      // The real ana, with no id given, joins as the id her key names.
      const ana = await RTCMesh.join(server.url, 'squat', { WebSocket, RTCPeerConnection, secret, identity: anaIdentity });
      meshes.push(ana);
      assert.equal(ana.id, anaId);
      await poll(() => ben.readyState(anaId) === 'open' && ana.readyState('ben') === 'open', 15000, 'ana admitted and linked');
    } finally {
      for (const mesh of meshes) mesh.close();
      await server.close();
    }
  });
}

test('bad secrets are refused before joining', async () => {
  await assert.rejects(RTCMesh.join('ws://127.0.0.1:9', 'r', options('x', { secret: 'short' })), { code: 'bad_argument' });
  await assert.rejects(RTCMesh.join('ws://127.0.0.1:9', 'r', options('x', { password: '' })), { code: 'bad_argument' });
  const link = RTCMesh.inviteLink('https://app.example/chat', 'team room', 'abc_DEF-123');
  assert.equal(new URL(link).search, '', 'nothing in the part a server sees');
  assert.deepEqual(RTCMesh.readInvite(link), { room: 'team room', secret: 'abc_DEF-123' });
  assert.equal(RTCMesh.readInvite('https://app.example/chat'), null);
  assert.match(RTCMesh.createSecret(), /^[A-Za-z0-9_-]{43}$/);
});

for (const sealed of [false, true]) {
  test(`a server that bridges two members with its own connections ${sealed ? 'gets nothing through a sealed room' : 'rewrites an open room (the attack bites)'}`, async () => {
    let attack;
    const server = await startHostileServer({ onSignal: (signal) => attack.onSignal(signal) });
    attack = bridge(server);
    const secret = sealed ? { secret: RTCMesh.createSecret() } : {};
    const meshes = [];
    try {
      meshes.push(await RTCMesh.join(server.url, 'bridged', options('ana', secret)));
      meshes.push(await RTCMesh.join(server.url, 'bridged', options('ben', secret)));
      const [ana, ben] = meshes;
      const got = [];
      ben.addEventListener('message', ({ origin, data }) => got.push(`${origin}: ${data}`));
      if (!sealed) {
        await poll(() => fullyOpen(meshes), 15000, 'the bridged link to open');
        ana.send('ben', 'pay bob 10');
        await poll(() => got.length > 0, 10000, 'a message through the bridge');
        assert.deepEqual(got, ['ana: pay eve 99'], 'the bridge read and rewrote it');
        return;
      }
      const refused = await withTimeout(nextEvent(ben, 'error', (e) => e.detail.code === 'bad_seal'), 10000, 'bad_seal at ben');
      assert.equal(refused.detail.peer, 'ana', "the server's own offer, under ana's name, does not open");
      await sleep(2000);
      // Neither admitted the other: no sealed hello got through.
      assert.deepEqual([ana.peers, ben.peers], [[], []]);
      assert.throws(() => ana.send('ben', 'pay bob 10'), { code: 'unknown_peer' });
      assert.equal(ben.openPeerConnections, 0, "ben never answered the server's offer");
      assert.deepEqual(got, []);
      assert.equal(attack.state.rewrote, 0);
    } finally {
      for (const mesh of meshes) mesh.close();
      attack.close();
      await server.close();
    }
  });
}

test('a server that bridges two members who share a key is found out by the link proof, and no message passes', { timeout: 60000 }, async () => {
  // An open room, so the server can bridge (it reads and writes the SDP), but
  // ana and ben were handed a key of their own (as a sealed room's hellos
  // give them): each end proves it over the channel, bound to the DTLS
  // fingerprints it sees, and through the bridge those differ.
  let attack;
  const server = await startHostileServer({ onSignal: (signal) => attack.onSignal(signal) });
  attack = bridge(server);
  const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const meshes = [];
  try {
    const ana = await RTCMesh.join(server.url, 'bridged-keyed', options('ana'));
    meshes.push(ana);
    ana.addEventListener('peeradded', ({ detail }) => detail.peer === 'ben' && ana.setRelayKey('ben', key)); // before any link to ben
    const ben = await RTCMesh.join(server.url, 'bridged-keyed', options('ben'));
    meshes.push(ben);
    ben.setRelayKey('ana', key); // ben's link to ana is only being negotiated
    // An end whose channel opens after the bridge passed the other's proof
    // on never gets one: its attempt times out instead. So at least one end
    // says so; neither opens.
    const refusals = [];
    for (const mesh of meshes) {
      mesh.addEventListener('error', ({ detail }) => detail.code === 'bad_link_proof' && refusals.push({ at: mesh.id, ...detail }));
    }
    const got = [];
    ben.addEventListener('message', ({ origin, data }) => got.push(`${origin}: ${data}`));
    await poll(() => refusals.length > 0, 20000, 'bad_link_proof at ana or ben');
    assert.equal(refusals[0].peer, refusals[0].at === 'ana' ? 'ben' : 'ana');
    assert.match(refusals[0].message, /in the middle/);
    assert.ok(attack.state.attempts > 0, 'the server did bridge');
    ana.send('ben', 'pay bob 10'); // waits for a link: none opens through the bridge
    await sleep(3000);
    assert.notEqual(ana.readyState('ben'), 'open');
    assert.deepEqual(got, []);
    assert.equal(attack.state.rewrote, 0, 'nothing the bridge could read or rewrite went through it');
  } finally {
    for (const mesh of meshes) mesh.close();
    attack.close();
    await server.close();
  }
});

test('in a sealed room a relay carries two members\' messages and cannot alter them', { timeout: 90000 }, async () => {
  // The server lets ana's and ben's hellos through (each one's first signal
  // to the other) and drops the rest between them, so they never link and
  // cho relays. cho runs a modified client that rewrites what she relays.
  const server = await helloOnlyBetween('ana', 'ben');
  const secret = RTCMesh.createSecret();
  let tampering = true;
  const Tampering = tamperingPeerConnection({
    incoming() {},
    outgoing: (frame) => (tampering && relayedDataFrom(frame, 'ana') && replaceText(frame, 'pay ben 10', 'pay eve 99') ? frame : undefined),
  });
  const meshes = {};
  try {
    meshes.ana = await RTCMesh.join(server.url, 'sealed-relay', options('ana', { secret }));
    meshes.cho = await RTCMesh.join(server.url, 'sealed-relay', options('cho', { secret, RTCPeerConnection: Tampering }));
    meshes.ben = await RTCMesh.join(server.url, 'sealed-relay', options('ben', { secret }));
    const { ana, ben } = meshes;
    await poll(() => ana.relayed('ben') && ben.relayed('ana'), 30000, 'ana and ben relayed through cho');
    const got = [];
    ben.addEventListener('message', ({ origin, data }) => got.push(`${origin}: ${data}`));
    const refused = [];
    ben.addEventListener('error', ({ detail }) => detail.code === 'forged_frame' && refused.push(detail));
    ana.send('ben', 'pay ben 10');
    await poll(() => refused.length > 0, 10000, 'forged_frame at ben');
    assert.equal(refused[0].peer, 'cho');
    assert.deepEqual(got, []);
    tampering = false; // cho relays honestly now: the retransmit arrives as written
    await poll(() => got.length > 0, 15000, "ana's message at ben");
    assert.deepEqual(got, ['ana: pay ben 10']);
    const back = nextEvent(ana, 'message');
    ben.send('ana', 'thanks');
    const { origin, data } = await withTimeout(back, 10000, "ben's answer, relayed");
    assert.deepEqual([origin, data], ['ben', 'thanks']);
  } finally {
    for (const mesh of Object.values(meshes)) mesh.close();
    await server.close();
  }
});

test('Raft in a sealed room: members join it once they proved their keys, over a link or through a relay', { timeout: 90000 }, async () => {
  // As above, ana and ben never link (the server drops all but their
  // hellos): each proves its key to the other only in the MACs of frames
  // cho relays. Raft still ends as one cluster with all three voters.
  const server = await helloOnlyBetween('ana', 'ben');
  const secret = RTCMesh.createSecret();
  const fast = { electionMinTimeout: 300, electionMaxTimeout: 600, heartbeatInterval: 50 };
  const meshes = [];
  const rafts = [];
  try {
    for (const id of ['ana', 'cho', 'ben']) {
      const mesh = await RTCMesh.join(server.url, 'sealed-raft', options(id, { secret }));
      meshes.push(mesh);
      rafts.push(new Raft({ mesh, ...fast }));
    }
    const ids = ['ana', 'ben', 'cho'];
    await poll(() => rafts.every((raft) => raft.leader && raft.leader === rafts[0].leader &&
      ids.every((id) => raft.members.voters.includes(id))), 45000, 'one cluster with three voters');
    const [ana, , ben] = meshes;
    assert.ok(ana.relayed('ben') && ben.relayed('ana'), 'ana and ben reach each other only through cho');
    assert.notEqual(ana.readyState('ben'), 'open');
    const follower = rafts.find((raft) => raft.leader !== raft.address);
    const { index } = await withTimeout(follower.propose('sealed'), 10000, 'a proposal forwarded to the leader');
    await poll(() => rafts.every((raft) => raft.appliedIndex >= index), 10000, 'applied everywhere');
  } finally {
    for (const raft of rafts) await withTimeout(raft.close(), 5000, 'raft close').catch(() => {});
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

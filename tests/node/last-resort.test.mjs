// The last-resort path with real WebRTC (Node, @roamhq/wrtc): two members
// whose candidates a test signaling path filters out, so no link forms, and
// who share no third member, still exchange messages through the signaling
// server; once candidates pass again their own link forms and the traffic
// moves back to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { drop, startHostileServer } from '../support/hostile-server.mjs';
import { RTCPeerConnection } from '../support/mesh-bus.mjs';
import { poll } from '../support/wait.mjs';

const join = (url, id) => RTCMesh.join(url, 'last-resort', {
  id, WebSocket, RTCPeerConnection, lastResort: true, connectTimeoutMs: 3000, reconnectMinMs: 20, reconnectMaxMs: 100,
});

test('no link and no relay member: messages go through the server, then back to the link', { timeout: 120000 }, async () => {
  let filtering = true;
  // While filtering, no candidate reaches the other member: ICE has no pair to try.
  const onSignal = ({ data }) => {
    if (!filtering) return undefined;
    if (data?.kind === 'candidate') return drop;
    if (typeof data?.sdp === 'string') return { ...data, sdp: data.sdp.replace(/^a=candidate:.*\r?\n/gm, '') };
    return undefined;
  };
  const server = await startHostileServer({ onSignal, serverOptions: { relay: true } });
  const meshes = [];
  try {
    for (const id of ['ana', 'ben']) meshes.push(await join(server.url, id));
    const [ana, ben] = meshes;
    const relayEvents = [];
    ana.addEventListener('relay', ({ detail }) => relayEvents.push(detail));
    const got = { ana: [], ben: [] };
    ana.addEventListener('message', ({ data }) => got.ana.push(data));
    ben.addEventListener('message', ({ data }) => got.ben.push(data));

    await poll(() => ana.relayed('ben') && ben.relayed('ana'), 30000, 'both to route through the server');
    assert.ok(relayEvents.some((e) => e.peer === 'ben' && e.server === true && e.via === null), 'a relay event says so');
    assert.notEqual(ana.readyState('ben'), 'open');
    for (let i = 0; i < 20; i++) {
      ana.send('ben', `a${i}`);
      ben.send('ana', `b${i}`);
    }
    ana.send('ben', new Uint8Array(100 * 1024).fill(7)); // chunked, through the server too
    await poll(() => got.ben.length === 21 && got.ana.length === 20, 20000, 'every message through the server');
    assert.deepEqual(got.ben.slice(0, 20), Array.from({ length: 20 }, (_, i) => `a${i}`));
    assert.equal(new Uint8Array(got.ben[20]).every((b) => b === 7) && got.ben[20].byteLength === 100 * 1024, true);
    const seenByServer = server.relays.map((data) => Buffer.from(data, 'base64').toString('latin1'));
    assert.ok(seenByServer.some((text) => text.includes('a19')), 'in an open room the server reads what it relays');
    const relayedBefore = server.upstream.stats.relayedBytes;
    assert.ok(relayedBefore > 100 * 1024, `${relayedBefore} bytes through the server`);

    filtering = false; // the path clears: the core's next attempt links them
    await poll(() => ana.readyState('ben') === 'open' && !ana.relayed('ben') && !ben.relayed('ana'), 60000, 'their own link');
    assert.ok(relayEvents.some((e) => e.peer === 'ben' && e.server === false && e.via === null), 'direct again, said so');
    await new Promise((resolve) => setTimeout(resolve, 500)); // acks in flight settle
    const relayedAtSwitch = server.upstream.stats.relayedBytes;
    for (let i = 20; i < 40; i++) ana.send('ben', `a${i}`);
    await poll(() => got.ben.length === 41, 10000, 'messages over the link');
    assert.deepEqual(got.ben.slice(21), Array.from({ length: 20 }, (_, i) => `a${20 + i}`));
    assert.ok(server.upstream.stats.relayedBytes - relayedAtSwitch < 2000, 'nothing more through the server but acks in flight');
  } finally {
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

test('in a room with a secret the server relays only sealed frames it cannot read', { timeout: 60000 }, async () => {
  const server = await startHostileServer({ serverOptions: { relay: true } });
  const secret = RTCMesh.createSecret();
  const meshes = [];
  try {
    // Relay-only ICE and no TURN server: no candidate at all, so no link.
    const options = (id) => ({
      id, secret, WebSocket, RTCPeerConnection, lastResort: true, connectTimeoutMs: 2000, iceTransportPolicy: 'relay',
    });
    for (const id of ['ana', 'ben']) meshes.push(await RTCMesh.join(server.url, 'sealed-last-resort', options(id)));
    const [ana, ben] = meshes;
    const got = [];
    ben.addEventListener('message', ({ data }) => got.push(data));
    await poll(() => ana.relayed('ben') && ben.relayed('ana'), 30000, 'both to route through the server');
    for (let i = 0; i < 10; i++) ana.send('ben', `secret message ${i}`);
    ana.send('ben', new Uint8Array(60 * 1024).fill(42)); // more than one sealed frame
    await poll(() => got.length === 11, 20000, 'every message, sealed through the server');
    assert.deepEqual(got.slice(0, 10), Array.from({ length: 10 }, (_, i) => `secret message ${i}`));
    assert.equal(got[10].byteLength, 60 * 1024);
    assert.ok(server.relays.length > 10);
    const seenByServer = server.relays.map((data) => Buffer.from(data, 'base64').toString('latin1'));
    assert.ok(seenByServer.every((text) => !text.includes('secret message') && /^\{"(sealed|pair)":/.test(text)), 'ciphertext only');
  } finally {
    for (const mesh of meshes) mesh.close();
    await server.close();
  }
});

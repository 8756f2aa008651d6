// Named channels in a real room (Node, @roamhq/wrtc): each name reaches only
// its own listeners, what comes before a channel is opened waits for it, an
// unreliable channel's messages do not wait behind a big reliable transfer
// and lose what a lossy path drops while the reliable one loses nothing, and
// bad options and sizes throw clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { startSignalServer } from '../../js/signal/server.js';
import { MeshBus, RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { LossyUdp } from '../support/lossy-udp.mjs';
import { poll } from '../support/wait.mjs';

const join = (url, room, id) => RTCMesh.join(url, room, { id, WebSocket, RTCPeerConnection });
const unreliable = { ordered: false, maxRetransmits: 0 };

/** Every `message` event of a target as [origin, data]. */
function record(target) {
  const seen = [];
  target.addEventListener('message', (event) => seen.push([event.origin, event.data]));
  return seen;
}

/** Resolves once `channel` (unordered or unreliable) took a message for `peer`: its data channel opened. */
function sendWhenOpen(channel, peer, data) {
  return poll(() => {
    try {
      channel.send(peer, data);
      return true;
    } catch (error) {
      if (error.code !== 'not_connected') throw error;
      return false;
    }
  }, 10000, `channel "${channel.name}" to open to ${peer}`);
}

async function room(name, ids) {
  const server = await startSignalServer();
  const meshes = [];
  for (const id of ids) meshes.push(await join(server.url, name, id));
  await withTimeout(Promise.all(meshes.map((mesh) => mesh.connected())), 30000, 'the room to link up');
  return { server, meshes, close: async () => { for (const mesh of meshes) mesh.close(); await server.close(); } };
}

test('each channel reaches only its own listeners, and what comes first waits for the channel', { timeout: 60000 }, async () => {
  const { meshes: [ana, ben, cho], close } = await room('names', ['ana', 'ben', 'cho']);
  try {
    const plain = record(ben);
    const chat = [ana, ben, cho].map((mesh) => mesh.channel('chat'));
    const cursor = [ana, ben, cho].map((mesh) => mesh.channel('cursor', unreliable));
    const benChat = record(chat[1]);
    const benCursor = record(cursor[1]);
    const choCursor = record(cursor[2]);
    assert.equal(ana.channel('chat'), chat[0], 'the same name again is the same channel');
    assert.equal(chat[0].reliable, true);
    assert.equal(cursor[0].reliable, false);

    chat[0].send('ben', 'hello on chat');
    ana.send('ben', 'plain hello');
    // The unreliable channel's data channels open a moment after the call.
    await poll(() => {
      try {
        cursor[0].broadcast(JSON.stringify({ x: 1 }));
      } catch (error) {
        if (error.code !== 'not_connected') throw error;
      }
      return benCursor.length > 0 && choCursor.length > 0;
    }, 10000, 'the cursor channel to carry a message to both');
    await poll(() => benChat.length === 1 && plain.length === 1, 10000, 'the chat and plain messages');
    assert.deepEqual(benChat, [['ana', 'hello on chat']]);
    assert.deepEqual(plain, [['ana', 'plain hello']], 'the mesh sees only its own messages');
    assert.ok(benCursor.every(([origin, data]) => origin === 'ana' && data === '{"x":1}'));

    // Sent before ben opens "late": it waits, then arrives in order.
    const late = ana.channel('late');
    late.send('ben', 'first');
    late.send('ben', new Uint8Array([1, 2, 3]));
    await poll(() => ana.bufferedAmount('ben') === 0, 10000, 'ben to have both (acknowledged)');
    const benLate = record(ben.channel('late'));
    await poll(() => benLate.length === 2, 10000, 'the waiting messages');
    assert.equal(benLate[0][1], 'first');
    assert.deepEqual([...new Uint8Array(benLate[1][1])], [1, 2, 3]);
    assert.equal(plain.length, 1, 'no channel message reached the mesh');
    assert.equal(benChat.length, 1, 'no other channel message reached chat');

    // Closed here: no more delivery; sends throw.
    chat[1].close();
    assert.throws(() => chat[1].send('ana', 'x'), (error) => error.code === 'closed');
    assert.notEqual(ben.channel('chat'), chat[1], 'a closed name can be opened again');
  } finally {
    await close();
  }
});

// With "ticks" opened reliable (it then rides the mesh's frames, behind the
// big message) no tick arrives before the big message: checked by hand.
test('an unreliable channel delivers while a big reliable message is in flight', { timeout: 90000 }, async () => {
  const { meshes: [ana, ben], close } = await room('busy', ['ana', 'ben']);
  try {
    const bulk = [ana.channel('bulk'), ben.channel('bulk')];
    const ticks = [ana.channel('ticks', unreliable), ben.channel('ticks', unreliable)];
    let bulkAt = null;
    bulk[1].addEventListener('message', () => { bulkAt = performance.now(); });
    const tickAt = [];
    ticks[1].addEventListener('message', (event) => tickAt.push([Number(event.data), performance.now()]));
    await sendWhenOpen(ticks[0], 'ben', '-1');

    bulk[0].send('ben', new Uint8Array(32 * 1024 * 1024));
    const started = performance.now();
    for (let i = 0; i < 20 && bulkAt === null; i++) {
      ticks[0].send('ben', String(i));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await poll(() => bulkAt !== null, 60000, 'the big message');
    const during = tickAt.filter(([n, at]) => n >= 0 && at < bulkAt);
    console.log(`bulk took ${(bulkAt - started).toFixed(0)} ms; ${during.length} ticks arrived before it`);
    assert.ok(during.length > 0, 'ticks arrived while the big message was still in flight');
  } finally {
    await close();
  }
});

test('channel options and sizes are checked with clear errors', { timeout: 60000 }, async () => {
  const { meshes: [ana, ben], close } = await room('checks', ['ana', 'ben']);
  try {
    assert.throws(() => ana.channel(''), (error) => error instanceof TypeError || error.code === 'bad_argument');
    assert.throws(() => ana.channel('x', { maxRetransmits: -1 }), (error) => error.code === 'bad_argument' && /maxRetransmits/.test(error.message));
    assert.throws(() => ana.channel('x', { ordered: 'yes' }), (error) => error.code === 'bad_argument' && /ordered/.test(error.message));
    assert.throws(() => ana.channel('y'.repeat(65)), (error) => error.code === 'bad_argument' && /1 to 64 bytes/.test(error.message));
    const state = ana.channel('state', unreliable);
    ben.channel('state', unreliable);
    assert.throws(() => ana.channel('state'), (error) => error.code === 'bad_argument' && /other options/.test(error.message));
    await sendWhenOpen(state, 'ben', 'ping');
    assert.throws(() => state.send('ben', new Uint8Array(70000)),
      (error) => error.code === 'message_too_large' && /65535/.test(error.message));
    assert.throws(() => state.send('nobody', 'x'), (error) => error.code === 'unknown_peer' || error.code === 'not_connected');
    ana.close();
    assert.throws(() => state.send('ben', 'x'), (error) => error.code === 'closed');
  } finally {
    await close();
  }
});

test('under packet loss an unreliable channel loses some messages and the reliable one loses none', { timeout: 90000 }, async () => {
  const loss = new LossyUdp(0.1);
  const bus = new MeshBus();
  bus.candidates = (from, to, candidate) => loss.rewrite(candidate);
  try {
    const [ana, ben] = ['ana', 'ben'].map((id) => bus.add(id, ['ana', 'ben']));
    await bus.formed(30000);
    const chat = [ana.channel('chat'), ben.channel('chat')];
    const state = [ana.channel('state', unreliable), ben.channel('state', unreliable)];
    const gotChat = record(chat[1]);
    const gotState = record(state[1]);
    await sendWhenOpen(state[0], 'ben', 'open?');
    const count = 300;
    for (let i = 0; i < count; i++) {
      chat[0].send('ben', `c${i}`);
      state[0].send('ben', `s${i}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The unreliable ones went with them: arrived by now, or lost.
    await poll(() => gotChat.length === count, 30000, 'every reliable message');
    const states = gotState.map(([, data]) => data).filter((data) => data !== 'open?');
    console.log(`loss: ${loss.dropped} data records dropped of ${loss.dropped + loss.forwarded}; unreliable ${states.length} of ${count} arrived, reliable ${gotChat.length} of ${count}`);
    assert.deepEqual(gotChat.map(([, data]) => data), Array.from({ length: count }, (_, i) => `c${i}`), 'every reliable message, in order');
    assert.ok(loss.dropped > 0, 'the path lost packets');
    assert.ok(states.length < count, 'the unreliable channel did not retransmit');
    assert.ok(states.length > count / 2, 'most unreliable messages arrived');
  } finally {
    bus.closeAll();
    loss.close();
  }
});

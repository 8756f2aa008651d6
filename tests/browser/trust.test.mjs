// Attacks by a member, in Chromium: mallory's (or cho's) tab runs a modified
// page whose RTCPeerConnection rewrites the frames her mesh writes (as anyone
// who edits the page can). The same attacks run in Node (tests/node/trust.test.mjs) and
// against the core with the protection off first (native-tests/mesh/trust_test.cpp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { drop, startHostileServer } from '../support/hostile-server.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

// Runs in a tab: window.TamperingPeerConnection, whose data channels hand
// each outgoing frame (v3, 40-byte header; a copy) to the attack `mode`
// before it leaves, and show it each incoming one.
// - 'forge' (mallory): her text messages that start with "pay eve" leave
//   with alice's origin hash and epoch (learned from alice's frames to her);
//   first chunks of her 1000-byte binary messages claim 64 MiB.
// - 'relay' (cho): text she relays from ana (hops_left 1, ana's origin) has
//   "pay ben 10" rewritten to "pay eve 99" while window.tampering holds.
function installTampering(mode) {
  const [VERSION, HEADER, FLAG_ACK] = [4, 40, 16]; // src/core/mesh/frame.hpp
  const payloadLength = (frame) => frame.length - HEADER - (frame[2] & FLAG_ACK ? 4 : 0); // an ack ends a frame
  const fnv = (id) => {
    let h = 0xcbf29ce484222325n;
    for (const byte of new TextEncoder().encode(id)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h === 0n ? 1n : h;
  };
  const origin = (frame) => (frame.length >= HEADER && frame[0] === VERSION ? new DataView(frame.buffer).getBigUint64(8, true) : 0n);
  const replace = (frame, text, replacement) => {
    const [from, to] = [new TextEncoder().encode(text), new TextEncoder().encode(replacement)];
    for (let i = HEADER; i + from.length <= frame.length; i++) {
      if (!from.every((byte, j) => frame[i + j] === byte)) continue;
      frame.set(to, i);
      return true;
    }
    return false;
  };
  const alice = fnv('alice');
  const ana = fnv('ana');
  let aliceEpoch = 0;
  window.aliceEpochSeen = () => aliceEpoch !== 0;
  window.tampering = true;
  window.rewritten = 0;
  const attacks = {
    forge(frame) {
      const view = new DataView(frame.buffer);
      if (frame[0] !== VERSION || frame[1] !== 1) return;
      if (new TextDecoder().decode(frame.subarray(HEADER)).startsWith('pay eve')) {
        view.setBigUint64(8, alice, true);
        view.setUint32(4, aliceEpoch, true);
      } else if (payloadLength(frame) === 1000) {
        view.setUint32(36, 64 << 20, true);
      }
    },
    relay(frame) {
      const relayedFromAna = frame[1] === 1 && frame[3] === 1 && origin(frame) === ana;
      if (window.tampering && relayedFromAna && replace(frame, 'pay ben 10', 'pay eve 99')) window.rewritten++;
    },
  };
  const Native = window.RTCPeerConnection;
  window.TamperingPeerConnection = class extends Native {
    createDataChannel(label, init) {
      const channel = super.createDataChannel(label, init);
      const send = channel.send.bind(channel);
      channel.send = (data) => {
        const frame = new Uint8Array(ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data);
        attacks[mode](frame);
        send(frame);
      };
      channel.addEventListener('message', ({ data }) => {
        const frame = new Uint8Array(data);
        if (origin(frame) === alice) aliceEpoch = new DataView(frame.buffer).getUint32(4, true);
      });
      return channel;
    }
  };
}

async function openTab(id, { tampering = false } = {}) {
  const { page, errors } = await rooms.blankTab();
  if (tampering) await page.evaluate(installTampering, 'forge');
  await page.evaluate(
    async ({ url, id }) => {
      const { RTCMesh } = await import('/js/index.js');
      window.heard = [];
      window.errors = [];
      const options = { id, ...(window.TamperingPeerConnection ? { RTCPeerConnection: window.TamperingPeerConnection } : {}) };
      window.mesh = await RTCMesh.join(url, 'trust', options);
      window.mesh.addEventListener('message', ({ origin, data }) => window.heard.push(`${origin}: ${typeof data === 'string' ? data : `${data.byteLength} bytes`}`));
      window.mesh.addEventListener('error', ({ detail }) => window.errors.push(detail));
    },
    { url: rooms.signal.url, id },
  );
  return { page, errors, id };
}

test("a member's forged origin and oversized claims are refused, and others' messages flow", { timeout: 60000 }, async () => {
  const alice = await openTab('alice');
  const bob = await openTab('bob');
  const mallory = await openTab('mallory', { tampering: true });
  const tabs = [alice, bob, mallory];
  try {
    const open = (tab) => tab.page.evaluate(() => window.mesh.peers.filter((p) => window.mesh.readyState(p) === 'open').length);
    await poll(async () => (await Promise.all(tabs.map(open))).every((n) => n === 2), 30000, 'three linked tabs');
    await poll(() => mallory.page.evaluate(() => window.aliceEpochSeen()), 10000, "alice's epoch at mallory");
    await mallory.page.evaluate(() => {
      window.mesh.send('bob', 'pay eve 9999');
      for (let i = 0; i < 300; i++) window.mesh.send('bob', new Uint8Array(1000));
    });
    const state = () => bob.page.evaluate(() => ({ heard: window.heard, errors: window.errors }));
    await poll(async () => (await state()).errors.some((e) => e.code === 'forged_frame'), 10000, 'forged_frame at bob');
    // alice's 3 MiB and her text arrive under her name, at once.
    await alice.page.evaluate(() => {
      window.mesh.send('bob', new Uint8Array(3 << 20));
      window.mesh.send('bob', 'pay bob 10');
    });
    await poll(async () => (await state()).heard.includes('alice: pay bob 10'), 15000, "alice's messages at bob");
    const { heard, errors } = await state();
    assert.ok(heard.includes(`alice: ${3 << 20} bytes`));
    assert.deepEqual(heard.filter((line) => line.includes('pay eve')), []);
    const forged = errors.filter((e) => e.code === 'forged_frame');
    assert.ok(forged.every((e) => e.peer === 'mallory'));
    const limits = errors.filter((e) => e.code === 'reassembly_limit');
    assert.ok(limits.length > 0, "mallory's claims ran into her own budget");
    assert.ok(limits.every((e) => e.peer === 'mallory'));
    for (const tab of tabs) assert.deepEqual(tab.errors, [], `${tab.id} page errors`);
  } finally {
    for (const tab of tabs) await tab.page.close();
  }
});

// Open room first: no key between ana and ben, so the rewrite is believed
// (the test bites). Then a sealed room, where their hellos gave them one.
for (const sealed of [false, true]) {
  test(`${sealed ? 'in a sealed room a relay tab cannot alter' : 'in an open room a relay tab alters'} what it carries between two others`, { timeout: 90000 }, async () => {
    // ana and ben never link: the server drops their signals to each other
    // (in a sealed room all but their hellos, each one's first), so cho relays.
    const count = new Map();
    const server = await startHostileServer({
      onSignal: ({ from, to }) => {
        if (![from, to].every((id) => id === 'ana' || id === 'ben')) return undefined;
        count.set(from, (count.get(from) ?? 0) + 1);
        return sealed && count.get(from) === 1 ? undefined : drop;
      },
    });
    const secret = await rooms.blankTab().then(async ({ page }) => {
      const made = await page.evaluate(async () => (await import('/js/index.js')).RTCMesh.createSecret());
      await page.close();
      return made;
    });
    const tabs = {};
    const joinAs = async (id, tampering = false) => {
      const { page, errors } = await rooms.blankTab();
      if (tampering) await page.evaluate(installTampering, 'relay');
      await page.evaluate(
        async ({ url, id, secret }) => {
          const { RTCMesh } = await import('/js/index.js');
          window.heard = [];
          window.errors = [];
          const options = { id, ...(secret ? { secret } : {}), ...(window.TamperingPeerConnection ? { RTCPeerConnection: window.TamperingPeerConnection } : {}) };
          window.mesh = await RTCMesh.join(url, 'sealed-relay', options);
          window.mesh.addEventListener('message', ({ origin, data }) => window.heard.push(`${origin}: ${data}`));
          window.mesh.addEventListener('error', ({ detail }) => window.errors.push(detail));
        },
        { url: server.url, id, secret: sealed ? secret : null },
      );
      tabs[id] = { page, errors, id };
    };
    try {
      await joinAs('ana');
      await joinAs('cho', true);
      await joinAs('ben');
      const relayed = (tab, peer) => tab.page.evaluate((p) => window.mesh.relayed(p), peer);
      await poll(async () => (await relayed(tabs.ana, 'ben')) && (await relayed(tabs.ben, 'ana')), 30000, 'ana and ben relayed through cho');
      await tabs.ana.page.evaluate(() => window.mesh.send('ben', 'pay ben 10'));
      const state = () => tabs.ben.page.evaluate(() => ({ heard: window.heard, errors: window.errors }));
      if (!sealed) {
        await poll(async () => (await state()).heard.length > 0, 10000, "ana's message at ben");
        assert.deepEqual((await state()).heard, ['ana: pay eve 99']); // rewritten, and believed
        return;
      }
      await poll(async () => (await state()).errors.some((e) => e.code === 'forged_frame'), 10000, 'forged_frame at ben');
      assert.ok((await tabs.cho.page.evaluate(() => window.rewritten)) > 0, 'cho rewrote what she relayed');
      assert.deepEqual((await state()).heard, []);
      assert.ok((await state()).errors.filter((e) => e.code === 'forged_frame').every((e) => e.peer === 'cho'));
      await tabs.cho.page.evaluate(() => { window.tampering = false; });
      await poll(async () => (await state()).heard.length > 0, 15000, "ana's retransmitted message at ben");
      assert.deepEqual((await state()).heard, ['ana: pay ben 10']);
      for (const tab of Object.values(tabs)) assert.deepEqual(tab.errors, [], `${tab.id} page errors`);
    } finally {
      for (const tab of Object.values(tabs)) await tab.page.close();
      await server.close();
    }
  });
}

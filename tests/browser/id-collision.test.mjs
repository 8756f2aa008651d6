// An id crafted to hash like a member's on the wire, in Chromium tabs joined
// through the signaling server: the tab with the later of the two ids is
// refused and reported, and a later tab still joins and links with every
// real member. The Node twin is tests/node/id-collision.test.mjs; the rule
// runs against the core in native-tests/mesh/trust_test.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { COLLIDING_IDS, idHash } from '../support/tampering.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();
const [MEMBER, CRAFTED] = COLLIDING_IDS;

async function openTab(id) {
  const { page, errors } = await rooms.blankTab();
  await page.evaluate(
    async ({ url, id }) => {
      const { RTCMesh } = await import('/js/index.js');
      window.mesh = await RTCMesh.join(url, 'collide', { id });
      window.refused = [];
      window.heard = [];
      window.mesh.addEventListener('error', ({ detail }) => detail.code === 'peer_refused' && window.refused.push(detail));
      window.mesh.addEventListener('message', ({ origin, data }) => window.heard.push(`${origin}: ${data}`));
    },
    { url: rooms.signal.url, id },
  );
  return { page, errors, id };
}

const state = (tab) =>
  tab.page.evaluate(() => ({
    peers: window.mesh.peers,
    open: window.mesh.peers.filter((peer) => window.mesh.readyState(peer) === 'open'),
    refused: window.refused.map((e) => ({ peer: e.peer, message: e.message })),
    heard: window.heard,
  }));

test('a tab whose id collides with a member\'s cannot lock the room: it is refused, and later tabs join', { timeout: 90000 }, async () => {
  assert.equal(idHash(MEMBER), idHash(CRAFTED));
  const tabs = [];
  try {
    for (const id of [MEMBER, 'bob', 'cho']) tabs.push(await openTab(id));
    await poll(async () => (await Promise.all(tabs.map(state))).every((s) => s.open.length === 2), 30000, 'three linked tabs');
    const eve = await openTab(CRAFTED);
    tabs.push(eve);
    await poll(async () => (await Promise.all(tabs.slice(0, 3).map(state))).every((s) => s.refused.some((e) => e.peer === CRAFTED)), 15000,
      'every member refusing the crafted id');
    const eveState = await state(eve);
    assert.ok(!eveState.peers.includes(MEMBER));
    assert.deepEqual(eveState.refused.map((e) => e.peer), [MEMBER]);

    const dave = await openTab('dave');
    tabs.push(dave);
    const real = tabs.filter((tab) => tab !== eve);
    await poll(async () => (await Promise.all(real.map(state))).every((s) => s.open.length === 3), 30000, 'dave linked with every real member');
    const daveState = await state(dave);
    assert.deepEqual(daveState.refused.map((e) => e.peer), [CRAFTED]);
    assert.match(daveState.refused[0].message, new RegExp(`hashes like member '${MEMBER}'`));

    await real[0].page.evaluate(() => window.mesh.broadcast('pay bob 10'));
    await poll(async () => (await Promise.all(real.slice(1).map(state))).every((s) => s.heard.includes(`${MEMBER}: pay bob 10`)), 10000,
      "the member's message at every real member");
    for (const tab of tabs) assert.deepEqual(tab.errors, [], `${tab.id} page errors`);
  } finally {
    for (const tab of tabs) await tab.page.close();
  }
});

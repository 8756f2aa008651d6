// Rooms with a secret in Chromium (WebCrypto, real WebRTC), through a
// hostile signaling server on loopback (tests/support/hostile-server.mjs):
// tabs with the secret form and talk while the server sees only ciphertext;
// a tab with another secret is not admitted; and the server's bridge (its
// own peer connections between two members, which reads and rewrites an
// open room: tests/node/secret-room.test.mjs) gets nothing through, nor
// through an open room between two tabs that share a key (the link proof).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStaticServer } from '../../tools/static-server.mjs';
import { bridge, startHostileServer } from '../support/hostile-server.mjs';
import { hasDocumentedCode } from '../support/error-codes.mjs';
import { poll } from '../support/wait.mjs';
import { collectPageErrors, launchChromium, testPageMounts } from './chromium.mjs';

describe('rooms with a secret in Chromium', () => {
  let web;
  let browser;

  before(async () => {
    web = await startStaticServer({ mounts: testPageMounts });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await web?.close();
  });

  // `relayKey` (bytes, as an array): a key the tab shares with every member,
  // set for each peer before its link opens (as a sealed room's hellos do).
  async function openTab(signalUrl, room, id, options, relayKey = null) {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${web.url}blank.html`);
    await page.evaluate(
      async ({ url, room, id, options, relayKey }) => {
        const { RTCMesh } = await import('/js/index.js');
        window.heard = [];
        window.errors = [];
        window.mesh = await RTCMesh.join(url, room, { id, ...options });
        if (relayKey) {
          const key = new Uint8Array(relayKey);
          for (const peer of window.mesh.peers) window.mesh.setRelayKey(peer, key);
          window.mesh.addEventListener('peeradded', ({ detail }) => window.mesh.setRelayKey(detail.peer, key));
        }
        window.mesh.addEventListener('message', (event) => window.heard.push(`${event.origin}: ${event.data}`));
        window.mesh.addEventListener('error', (event) => window.errors.push(event.detail));
      },
      { url: signalUrl, room, id, options, relayKey },
    );
    return { page, errors, id };
  }

  const state = (tab) =>
    tab.page.evaluate(() => ({
      peers: window.mesh.peers,
      open: window.mesh.peers.filter((peer) => window.mesh.readyState(peer) === 'open'),
      heard: window.heard,
      errors: window.errors,
    }));

  test('tabs with the secret form and talk; a tab with another secret is refused; the server sees ciphertext', { timeout: 90000 }, async () => {
    const server = await startHostileServer();
    const tabs = [];
    try {
      const secret = await browser.context.newPage().then(async (page) => {
        await page.goto(`${web.url}blank.html`);
        const made = await page.evaluate(async () => (await import('/js/index.js')).RTCMesh.createSecret());
        await page.close();
        return made;
      });
      for (const id of ['ana', 'ben', 'cho']) tabs.push(await openTab(server.url, 'sealed-tabs', id, { secret }));
      await poll(async () => (await Promise.all(tabs.map(state))).every((s) => s.open.length === 2), 30000, 'three sealed tabs to link');
      await tabs[0].page.evaluate(() => window.mesh.broadcast('hi all'));
      await poll(async () => (await Promise.all(tabs.slice(1).map(state))).every((s) => s.heard.includes('ana: hi all')), 10000, 'the message');

      const mal = await openTab(server.url, 'sealed-tabs', 'mal', { secret: 'A'.repeat(43) });
      tabs.push(mal);
      await poll(async () => (await state(tabs[0])).errors.some((e) => e.code === 'bad_seal' && e.peer === 'mal'), 15000, 'bad_seal for mal');
      for (const tab of tabs.slice(0, 3)) {
        const s = await state(tab);
        assert.equal(s.peers.includes('mal'), false);
        for (const error of s.errors) assert.ok(hasDocumentedCode(error), `documented: ${error.code}`);
      }
      assert.deepEqual((await state(mal)).peers, []);
      for (const data of server.seen) assert.ok(['sealed', 'pair'].includes(Object.keys(data).join()), 'one sealed field');
      for (const tab of tabs) assert.deepEqual(tab.errors, [], `${tab.id} page errors`);
    } finally {
      for (const tab of tabs) await tab.page.close();
      await server.close();
    }
  });

  test("a server's bridge of its own connections gets nothing through a sealed room", { timeout: 60000 }, async () => {
    let attack;
    const server = await startHostileServer({ onSignal: (signal) => attack.onSignal(signal) });
    attack = bridge(server);
    const tabs = [];
    try {
      const secret = 'sealed-bridge-test-secret-0123456789abcdefg';
      tabs.push(await openTab(server.url, 'bridged', 'ana', { secret }));
      tabs.push(await openTab(server.url, 'bridged', 'ben', { secret }));
      await poll(async () => (await state(tabs[1])).errors.some((e) => e.code === 'bad_seal' && e.peer === 'ana'), 15000, "bad_seal for the server's offer");
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const tab of tabs) {
        const s = await state(tab);
        assert.deepEqual(s.peers, [], `${tab.id} admitted nobody`);
        assert.deepEqual(s.heard, []);
      }
      assert.equal(attack.state.attempts, 1, 'the server tried');
      assert.equal(attack.state.rewrote, 0);
    } finally {
      for (const tab of tabs) await tab.page.close();
      attack.close();
      await server.close();
    }
  });

  test("a server's bridge between two tabs that share a key is found out by the link proof", { timeout: 60000 }, async () => {
    // An open room, so the server can bridge, but ana and ben share a key:
    // each link's proof binds it to the DTLS fingerprints both ends see.
    let attack;
    const server = await startHostileServer({ onSignal: (signal) => attack.onSignal(signal) });
    attack = bridge(server);
    const tabs = [];
    try {
      const key = [...globalThis.crypto.getRandomValues(new Uint8Array(32))];
      tabs.push(await openTab(server.url, 'bridged-keyed', 'ana', {}, key));
      tabs.push(await openTab(server.url, 'bridged-keyed', 'ben', {}, key));
      const refused = async () => (await Promise.all(tabs.map(state))).flatMap((s) => s.errors).filter((e) => e.code === 'bad_link_proof');
      await poll(async () => (await refused()).length > 0, 20000, 'bad_link_proof at ana or ben');
      assert.match((await refused())[0].message, /in the middle/);
      await tabs[0].page.evaluate(() => window.mesh.send('ben', 'pay bob 10')); // waits for a link that never opens
      await new Promise((resolve) => setTimeout(resolve, 2000));
      for (const tab of tabs) assert.deepEqual((await state(tab)).open, [], `${tab.id} opened no link`);
      assert.deepEqual((await state(tabs[1])).heard, []);
      assert.ok(attack.state.attempts > 0, 'the server bridged');
      assert.equal(attack.state.rewrote, 0, 'nothing went through the bridge');
      for (const tab of tabs) assert.deepEqual(tab.errors, [], `${tab.id} page errors`);
    } finally {
      for (const tab of tabs) await tab.page.close();
      attack.close();
      await server.close();
    }
  });
});

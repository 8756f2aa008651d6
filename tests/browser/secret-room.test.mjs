// Rooms with a secret in Chromium (WebCrypto, real WebRTC), through a
// hostile signaling server on loopback (tests/support/hostile-server.mjs):
// tabs with the secret form and talk while the server sees only ciphertext;
// a tab with another secret is not admitted; and the server's bridge (its
// own peer connections between two members, which reads and rewrites an
// open room: tests/node/secret-room.test.mjs) gets nothing through.
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

  async function openTab(signalUrl, room, id, options) {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${web.url}blank.html`);
    await page.evaluate(
      async ({ url, room, id, options }) => {
        const { RTCMesh } = await import('/js/index.js');
        window.heard = [];
        window.errors = [];
        window.mesh = await RTCMesh.join(url, room, { id, ...options });
        window.mesh.addEventListener('message', (event) => window.heard.push(`${event.origin}: ${event.data}`));
        window.mesh.addEventListener('error', (event) => window.errors.push(event.detail));
      },
      { url: signalUrl, room, id, options },
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
      for (const data of server.seen) assert.deepEqual(Object.keys(data), ['sealed']);
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
});

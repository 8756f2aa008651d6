// Named channels between Chromium tabs: each name reaches only its own
// listeners, and an unreliable channel's messages keep arriving while a big
// reliable transfer is in flight (on a reliable channel they would wait).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

// A tab in `room` with channels "chat" (reliable) and "ticks" (unordered, no
// retransmits), recording every message of the mesh and of each channel.
async function openTab(room, id) {
  const tab = await rooms.blankTab();
  await tab.page.evaluate(async ({ url, room, id }) => {
    const { RTCMesh } = await import('/js/index.js');
    const mesh = await RTCMesh.join(url, room, { id });
    window.mesh = mesh;
    window.got = { mesh: [], chat: [], ticks: [], bulk: [] };
    const record = (target, list) => target.addEventListener('message', (event) => list.push({
      origin: event.origin, data: typeof event.data === 'string' ? event.data : `${event.data.byteLength} bytes`, at: performance.now(),
    }));
    window.channels = {
      chat: mesh.channel('chat'),
      ticks: mesh.channel('ticks', { ordered: false, maxRetransmits: 0 }),
      bulk: mesh.channel('bulk'),
    };
    record(mesh, window.got.mesh);
    for (const name of ['chat', 'ticks', 'bulk']) record(window.channels[name], window.got[name]);
    // Sends on "ticks" until one goes out: its data channel opens after the link.
    window.sendTick = (peer, text) => {
      try {
        window.channels.ticks.send(peer, text);
        return true;
      } catch (error) {
        if (error.code === 'not_connected') return false;
        throw error;
      }
    };
  }, { url: rooms.signal.url, room, id });
  return tab;
}

const got = (tab, name) => tab.page.evaluate((n) => window.got[n], name);

test('tabs keep named channels apart, and an unreliable one is not held up by a big transfer', { timeout: 120000 }, async () => {
  const tabs = { ana: await openTab('named', 'ana'), ben: await openTab('named', 'ben'), cho: await openTab('named', 'cho') };
  try {
    await tabs.ana.page.evaluate(() => window.mesh.connected({ timeoutMs: 30000 }));
    await tabs.ana.page.evaluate(() => {
      window.channels.chat.broadcast('hi on chat');
      window.mesh.broadcast('hi on the mesh');
    });
    await poll(async () => (await tabs.ana.page.evaluate(() => window.sendTick('ben', 'tick 0') && window.sendTick('cho', 'tick 0'))),
      15000, 'the ticks channel to open to both');
    for (const peer of ['ben', 'cho']) {
      await poll(async () => (await got(tabs[peer], 'ticks')).length > 0 && (await got(tabs[peer], 'chat')).length > 0, 15000, `${peer}'s messages`);
      assert.deepEqual((await got(tabs[peer], 'chat')).map((m) => [m.origin, m.data]), [['ana', 'hi on chat']]);
      assert.deepEqual((await got(tabs[peer], 'mesh')).map((m) => [m.origin, m.data]), [['ana', 'hi on the mesh']]);
      assert.ok((await got(tabs[peer], 'ticks')).every((m) => m.origin === 'ana' && /^tick \d+$/.test(m.data)));
      assert.deepEqual(await got(tabs[peer], 'bulk'), []);
    }

    // 32 MiB on "bulk" to ben, and a tick every 20 ms meanwhile.
    const sent = await tabs.ana.page.evaluate(async () => {
      window.channels.bulk.send('ben', new Uint8Array(32 * 1024 * 1024));
      let ticks = 0;
      for (let i = 1; i <= 100; i++) {
        if (window.sendTick('ben', `tick ${i}`)) ticks++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return ticks;
    });
    await poll(async () => (await got(tabs.ben, 'bulk')).length === 1, 60000, 'the big message');
    const [bulk] = await got(tabs.ben, 'bulk');
    const ticks = (await got(tabs.ben, 'ticks')).filter((m) => m.data !== 'tick 0');
    const early = ticks.filter((m) => m.at < bulk.at);
    console.log(`${sent} ticks sent, ${ticks.length} arrived, ${early.length} before the 32 MiB message`);
    assert.equal(bulk.data, `${32 * 1024 * 1024} bytes`);
    assert.ok(early.length > 0, 'ticks arrived while the big message was in flight');
    for (const tab of Object.values(tabs)) assert.deepEqual(tab.errors, []);
  } finally {
    for (const tab of Object.values(tabs)) await tab.page.close();
  }
});

// Named channels between Chromium tabs: each name reaches only its own
// listeners, an unreliable channel's messages keep arriving while a big
// reliable transfer is in flight (on a reliable channel they would wait), and
// on a lossy path the unreliable channel loses some while the reliable one
// loses none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { startHostileServer } from '../support/hostile-server.mjs';
import { LossyUdp } from '../support/lossy-udp.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

// A tab in `room` with channels "chat" (reliable) and "ticks" (unordered, no
// retransmits), recording every message of the mesh and of each channel.
async function openTab(room, id, url = rooms.signal.url) {
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
  }, { url, room, id });
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

test('on a lossy path the unreliable channel loses some messages and the reliable one none', { timeout: 120000 }, async () => {
  // Between the tabs: a signaling proxy that points every candidate at a UDP
  // proxy dropping a tenth of the data packets each way.
  const loss = new LossyUdp(0.1);
  const server = await startHostileServer({
    onSignal: async ({ data }) => (data?.kind === 'candidate' ? { ...data, candidate: await loss.rewrite(data.candidate) ?? null } : undefined),
  });
  const tabs = {};
  try {
    tabs.ana = await openTab('lossy', 'ana', server.url);
    tabs.ben = await openTab('lossy', 'ben', server.url);
    await tabs.ana.page.evaluate(() => window.mesh.connected({ timeoutMs: 30000 }));
    await poll(() => tabs.ana.page.evaluate(() => window.sendTick('ben', 'open?')), 15000, 'the ticks channel to open');
    const count = 300;
    await tabs.ana.page.evaluate(async (n) => {
      for (let i = 0; i < n; i++) {
        window.channels.chat.send('ben', `c${i}`);
        window.sendTick('ben', `t${i}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }, count);
    // The ticks went with the chat messages: arrived by now, or lost.
    await poll(async () => (await got(tabs.ben, 'chat')).length === count, 60000, 'every reliable message');
    const chat = (await got(tabs.ben, 'chat')).map((m) => m.data);
    const ticks = (await got(tabs.ben, 'ticks')).map((m) => m.data).filter((data) => data !== 'open?');
    console.log(`loss: ${loss.dropped} data packets dropped of ${loss.dropped + loss.forwarded}; unreliable ${ticks.length} of ${count} arrived, reliable ${chat.length} of ${count}`);
    assert.deepEqual(chat, Array.from({ length: count }, (_, i) => `c${i}`), 'every reliable message, in order');
    assert.ok(loss.dropped > 0, 'the path lost packets');
    assert.ok(ticks.length < count && ticks.length > count / 2, `${ticks.length} of ${count} unreliable messages arrived`);
  } finally {
    for (const tab of Object.values(tabs)) await tab.page.close();
    await server.close();
    loss.close();
  }
});

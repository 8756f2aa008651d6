// Firefox in the matrix: a Firefox ESR page and a Chromium page join one
// room through the signaling server, exchange string, binary and 5 MiB
// messages both ways, and agree on one Raft leader and the replicated map.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSignalServer } from '../../js/signal/server.js';
import { startStaticServer } from '../../tools/static-server.mjs';
import { collectPageErrors, launchChromium, testPageMounts } from './chromium.mjs';
import { launchFirefox } from './firefox.mjs';
import { poll } from '../support/wait.mjs';

let signal;
let web;
let chromium;
let firefox;

before(async () => {
  signal = await startSignalServer({ port: 0 });
  web = await startStaticServer({ mounts: testPageMounts });
  chromium = await launchChromium();
  firefox = await launchFirefox();
});

after(async () => {
  await firefox?.close();
  await chromium?.close();
  web?.server.closeAllConnections();
  await web?.close();
  await signal?.close();
});

// Runs in each page: joins, and keeps what arrives in window.member.
async function joinRoom({ signalUrl, room, id }) {
  const { RTCMesh, Raft, ReplicatedMap } = await import('/js/index.js');
  const mesh = await RTCMesh.join(signalUrl, room, { id });
  const received = [];
  mesh.addEventListener('message', ({ origin, data }) => {
    if (typeof data === 'string') return received.push({ origin, text: data });
    const bytes = new Uint8Array(data);
    let sum = 0;
    for (const byte of bytes) sum = (sum + byte) % 65521;
    return received.push({ origin, length: bytes.length, sum, head: [...bytes.subarray(0, 3)] });
  });
  const raft = new Raft({ mesh });
  const map = new ReplicatedMap(raft);
  window.member = { mesh, raft, map, received };
}

function sendAll(to) {
  const { mesh } = window.member;
  mesh.send(to, `hello from ${mesh.id}`);
  mesh.send(to, new Uint8Array([1, 2, 3]));
  const big = new Uint8Array(5 << 20);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  mesh.send(to, big);
}

const expectedSum = (() => {
  let sum = 0;
  for (let i = 0; i < 5 << 20; i++) sum = (sum + (i % 251)) % 65521;
  return sum;
})();

test('a Firefox page and a Chromium page share a mesh, messages of every size, a leader and the map', { timeout: 180000 }, async () => {
  const chromiumPage = await chromium.context.newPage();
  const errors = collectPageErrors(chromiumPage);
  const firefoxPage = await firefox.browser.newPage();
  const pages = { chromium: chromiumPage, firefox: firefoxPage };
  try {
    for (const [id, page] of Object.entries(pages)) {
      await page.goto(`${web.url}blank.html`);
      await page.evaluate(joinRoom, { signalUrl: signal.url, room: 'firefox-and-chromium', id });
    }
    const state = (page, fn) => page.evaluate(fn);
    await poll(async () => (await state(chromiumPage, () => window.member.mesh.readyState('firefox'))) === 'open'
      && (await state(firefoxPage, () => window.member.mesh.readyState('chromium'))) === 'open', 30000, 'the link between the browsers');

    await chromiumPage.evaluate(sendAll, 'firefox');
    await firefoxPage.evaluate(sendAll, 'chromium');
    for (const [id, page] of Object.entries(pages)) {
      const other = id === 'chromium' ? 'firefox' : 'chromium';
      const received = await poll(async () => {
        const got = await page.evaluate(() => window.member.received);
        return got.length >= 3 ? got : null;
      }, 60000, `three messages in ${id}`);
      assert.deepEqual(received, [
        { origin: other, text: `hello from ${other}` },
        { origin: other, length: 3, sum: 6, head: [1, 2, 3] },
        { origin: other, length: 5 << 20, sum: expectedSum, head: [0, 1, 2] },
      ], `what ${id} received, in order`);
    }

    const leader = await poll(async () => {
      const leaders = await Promise.all(Object.values(pages).map((page) => page.evaluate(() => window.member.raft.leader)));
      return leaders[0] && leaders.every((name) => name === leaders[0]) ? leaders[0] : null;
    }, 30000, 'one leader in both browsers');
    assert.ok(['chromium', 'firefox'].includes(leader));
    await firefoxPage.evaluate(() => window.member.map.set('color', 'blue'));
    assert.equal(await chromiumPage.evaluate(() => window.member.map.read('color')), 'blue');
    await chromiumPage.evaluate(() => window.member.map.set('shape', 'round'));
    assert.equal(await firefoxPage.evaluate(() => window.member.map.read('shape')), 'round');
    assert.deepEqual(errors, []);
  } finally {
    for (const page of Object.values(pages)) await page.evaluate(() => window.member?.mesh.close()).catch(() => {});
    await chromiumPage.close();
    await firefoxPage.close();
  }
});

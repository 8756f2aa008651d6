// The demo's camera and microphone with fake devices: two tabs turn theirs
// on, and each shows the other's video tile, labelled with its name, with
// frames drawn; turned off, the tile goes from the other tab. Screenshot:
// test-artifacts/demo-video.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './chromium.mjs';
import { openTab, overflows, screenshot } from './demo-tabs.mjs';
import { startSignalServer } from '../../js/signal/server.js';
import { startStaticServer } from '../../tools/static-server.mjs';
import { poll } from '../support/wait.mjs';

const desktop = { width: 1400, height: 900 };
let browser;
let web;
let signal;

before(async () => {
  [browser, web, signal] = await Promise.all([
    launchChromium({ extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'] }),
    startStaticServer(), startSignalServer(),
  ]);
});

after(async () => {
  await browser?.close();
  await web?.close();
  await signal?.close();
});

// The tiles a tab shows: who, the label, and whether its video has drawn frames.
const tilesOf = (page) => page.evaluate(() => [...document.querySelectorAll('#tiles .tile')].map((tile) => ({
  peer: tile.dataset.peer,
  name: tile.querySelector('.name').textContent,
  playing: tile.querySelector('video').readyState >= 2 && tile.querySelector('video').videoWidth > 0,
  tracks: tile.querySelector('video').srcObject?.getTracks().length ?? 0,
})));

test('two demo tabs see each other on camera, labelled by name', { timeout: 120000 }, async () => {
  const url = (id) => `${web.url}?signal=${encodeURIComponent(signal.url)}&room=video&id=${id}&autojoin`;
  const tabs = [await openTab(browser, url('ada'), desktop), await openTab(browser, url('bo'), desktop)];
  try {
    for (const { page } of tabs) {
      await poll(() => page.evaluate(() => document.querySelectorAll('#graph line.open').length === 1), 30000, 'the link');
      await page.click('#media-toggle');
      await poll(() => page.evaluate(() => /off$/.test(document.querySelector('#media-toggle').textContent)), 10000, 'the camera on');
    }
    for (const [{ page }, other] of [[tabs[0], 'bo'], [tabs[1], 'ada']]) {
      await poll(async () => (await tilesOf(page)).some((t) => t.peer === other && t.name === other && t.playing && t.tracks === 2),
        30000, `the tile of ${other}, playing its audio and video`);
      assert.ok((await tilesOf(page)).some((t) => t.peer === '' && t.name === 'you'), 'its own tile');
      assert.deepEqual(await overflows(page), []);
    }
    await screenshot(tabs[0].page, 'demo-video');

    await tabs[1].page.click('#media-toggle');
    await poll(async () => !(await tilesOf(tabs[0].page)).some((t) => t.peer === 'bo'), 30000, 'bo\'s tile to go when bo turns off');
    assert.ok((await tilesOf(tabs[1].page)).some((t) => t.peer === 'ada'), 'bo still sees ada');
    for (const { errors } of tabs) assert.deepEqual(errors, []);
  } finally {
    for (const { page } of tabs) await page.close();
  }
});

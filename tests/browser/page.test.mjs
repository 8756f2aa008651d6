// Level 3: headless Chromium loads the demo page over a localhost static
// server; the page imports the package and calls into the wasm module.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startStaticServer } from '../../tools/static-server.mjs';
import { collectPageErrors, launchChromium } from './chromium.mjs';

const packageVersion = JSON.parse(await readFile(new URL('../../package.json', import.meta.url))).version;

let server;
let browser;

before(async () => {
  server = await startStaticServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the demo page loads the wasm core without console errors', { timeout: 60000 }, async () => {
  const page = await browser.context.newPage();
  const errors = collectPageErrors(page);
  await page.goto(server.url);
  await page.waitForSelector('body[data-core]', { timeout: 30000 });
  assert.equal(await page.getAttribute('body', 'data-core'), 'ready', await page.textContent('#core-status'));
  assert.equal(await page.textContent('#core-status'), `loaded, version ${packageVersion}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a page can call into the wasm module through the package', { timeout: 60000 }, async () => {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  const draws = await page.evaluate(async () => {
    const { loadCore } = await import('/js/index.js');
    const core = await loadCore();
    const first = new core.Rng(5);
    const second = new core.Rng(5);
    const result = { first: [first.nextU32(), first.nextU32()], second: [second.nextU32(), second.nextU32()] };
    first.delete();
    second.delete();
    return result;
  });
  assert.deepEqual(draws.first, draws.second);
  assert.notEqual(draws.first[0], draws.first[1]);
  await page.close();
});

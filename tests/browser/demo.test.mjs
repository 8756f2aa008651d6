// The main job end to end: `npm start` (signaling server + static server),
// then three tabs open the demo and join one room: chat reaches everyone,
// the replicated map syncs, and every tab shows the same leader.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectPageErrors, launchChromium } from './chromium.mjs';
import { poll } from '../support/wait.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let server;
let demoUrl;
let browser;

/** Runs `npm start` on free ports; resolves with the demo URL it prints. */
function startDemo() {
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', SIGNAL_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so npm and node stop together
  });
  let output = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no demo URL in 120 s:\n${output}`)), 120000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/rtcmesh demo: (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { child, url };
}

before(async () => {
  server = startDemo();
  demoUrl = await server.url;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server?.child.exitCode === null) process.kill(-server.child.pid, 'SIGTERM');
});

test('three tabs of the demo chat, share the map and agree on the leader', { timeout: 180000 }, async () => {
  const joinUrl = (id) => `${demoUrl}${demoUrl.includes('?') ? '&' : '?'}room=demo-test&id=${id}&autojoin`;
  const tabs = [];
  for (const id of ['tab-a', 'tab-b', 'tab-c']) {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(joinUrl(id));
    await page.waitForSelector('body[data-state="joined"]', { timeout: 30000 });
    tabs.push({ page, errors, id });
  }
  const text = (page, selector) => page.evaluate((s) => document.querySelector(s).textContent, selector);

  // The graph shows every link open, in every tab.
  await poll(async () => {
    const counts = await Promise.all(tabs.map(({ page }) => page.evaluate(() => document.querySelectorAll('#graph line.open').length)));
    return counts.every((count) => count === 3);
  }, 30000, 'three open links in every graph');

  await tabs[0].page.fill('#chat-input', 'hello from tab-a');
  await tabs[0].page.click('#chat-form button');
  for (const { page } of tabs.slice(1)) {
    await poll(async () => (await text(page, '#chat-log')).includes('hello from tab-a'), 10000, 'the chat line');
  }

  // Every tab shows the same leader.
  const leader = await poll(async () => {
    const shown = await Promise.all(tabs.map(({ page }) => text(page, '#leader')));
    return shown.every((name) => name === shown[0] && name.startsWith('tab-')) ? shown[0] : null;
  }, 30000, 'the same leader in every tab');
  assert.ok(['tab-a', 'tab-b', 'tab-c'].includes(leader));

  await tabs[1].page.fill('#kv-key', 'color');
  await tabs[1].page.fill('#kv-value', 'teal');
  await tabs[1].page.click('#kv-form button');
  for (const { page } of tabs) {
    await poll(async () => (await text(page, '#kv-entries')).includes('teal'), 15000, 'the map entry');
  }
  for (const { page } of tabs) {
    const rows = await page.evaluate(() => document.querySelectorAll('#raft-members tr').length);
    assert.equal(rows, 3, 'the Raft table lists every member');
  }
  for (const { errors, id } of tabs) assert.deepEqual(errors, [], `console errors in ${id}`);
  for (const { page } of tabs) await page.close();
});

// The main job end to end: `npm start` (signaling server + static server),
// then three tabs open the demo and join one room: chat reaches everyone,
// the replicated map syncs, and every tab shows the same leader. Then the
// demo as a person sees it (demo-views.mjs): four tabs at a desktop and a
// phone size, with screenshots in test-artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectPageErrors, launchChromium } from './chromium.mjs';
import { openTab, overflows, raftView, screenshot } from './demo-tabs.mjs';
import { startSignalServer } from '../../js/signal/server.js';
import { startStaticServer } from '../../tools/static-server.mjs';
import { poll } from '../support/wait.mjs';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let server;
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
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  try {
    if (server?.child.exitCode === null) process.kill(-server.child.pid, 'SIGTERM');
  } catch (error) {
    if (error.code !== 'ESRCH') throw error; // the group already ended
  }
});

// `npm start` is started here, not in before(): a run of only the other
// tests (--test-name-pattern) then builds nothing.
test('three tabs of the demo chat, share the map and agree on the leader', { timeout: 180000 }, async () => {
  server = startDemo();
  const demoUrl = await server.url;
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
  // The table fills from the reports each member broadcasts once a second.
  for (const { page } of tabs) {
    const rows = () => page.evaluate(() => document.querySelectorAll('#raft-members tr.member').length);
    await poll(async () => (await rows()) === 3, 5000, 'the Raft table to list every member');
  }
  for (const { errors, id } of tabs) assert.deepEqual(errors, [], `console errors in ${id}`);
  for (const { page } of tabs) await page.close();
});

// ---- the demo as a person sees it ------------------------------------------

const LONG_ID = `member.with_a:long-id-${'0123456789'.repeat(11)}`.slice(0, 128);
const LONG_WORD = 'supercalifragilistic'.repeat(15); // 300 characters, no break

async function agreeOnLeader(tabs, members, what) {
  return poll(async () => {
    const views = await Promise.all(tabs.map(({ page }) => raftView(page)));
    const leader = views[0].leader;
    const agreed = members.includes(leader) && views.every((view) =>
      view.leader === leader && view.rows.length === members.length &&
      view.rows.filter((row) => row.leader).length === 1 && view.rows.every((row) => !row.stale));
    return agreed ? leader : null;
  }, 30000, what);
}

async function assertLayoutHolds(tabs, label) {
  for (const { page, id } of tabs) assert.deepEqual(await overflows(page), [], `${label}: nothing wider than its box in ${id.slice(0, 20)}`);
}

/** Four tabs join, chat with a long word, set a key and send a file; screenshots after. */
async function joinFour(base, name, viewport) {
  const ids = ['ana', 'ben', LONG_ID, 'dan'];
  const tabs = [];
  for (const id of ids) tabs.push({ id, ...(await openTab(browser, `${base}&room=${name}&id=${id}&autojoin`, viewport)) });
  const leader = await agreeOnLeader(tabs, ids, 'four rows and one leader in every tab');
  await poll(async () => (await Promise.all(tabs.map(({ page }) => raftView(page)))).every((v) => v.openLinks === 6), 30000, 'six open links in every graph');
  // The election countdown: none for the leader, the followers' below the 3 s maximum.
  await poll(async () => {
    const { rows } = await raftView(tabs[0].page);
    const follower = rows.filter((row) => row.member !== leader);
    return rows.find((row) => row.member === leader)?.electionIn === '—' && follower.length === 3 &&
      follower.every((row) => /^\d\.\d s$/.test(row.electionIn) && parseFloat(row.electionIn) <= 3);
  }, 10000, 'an election countdown on every follower row and none on the leader');

  await tabs[2].page.fill('#chat-input', LONG_WORD);
  await tabs[2].page.click('#chat-form button');
  await poll(() => tabs[0].page.evaluate((w) => document.querySelector('#chat-log').textContent.includes(w), LONG_WORD), 10000, 'the long chat line');
  await tabs[1].page.fill('#kv-key', 'color');
  await tabs[1].page.fill('#kv-value', 'teal');
  await tabs[1].page.click('#kv-form button');
  await poll(async () => (await tabs[1].page.textContent('#kv-status')) === 'color committed', 15000, 'the commit message');

  // A 3 MiB file: the sender's row reaches 100% only from the receivers' acknowledgements.
  await tabs[0].page.setInputFiles('#file-input', { name: 'photo.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3 << 20, 7) });
  const termBefore = await tabs[0].page.evaluate(() => document.querySelector('#raft-members tr:not(.member) td[data-label="term"]').textContent);
  await tabs[0].page.click('#file-form button');
  for (const { page } of tabs) await page.waitForSelector('#transfers li[data-state="done"]', { timeout: 30000 });
  const termAfter = await tabs[0].page.evaluate(() => document.querySelector('#raft-members tr:not(.member) td[data-label="term"]').textContent);
  console.log(`${name}: term ${termBefore} before the file, ${termAfter} after`); // elections during a transfer show here
  const sent = await tabs[0].page.textContent('#transfers li');
  assert.match(sent, /photo\.bin to 3 peers .*3\.0 MiB of 3\.0 MiB \(100%\) · [\d.]+ MiB\/s delivered/);

  await assertLayoutHolds(tabs, `${name} joined`);
  await screenshot(tabs[0].page, `${name}-1-joined`);
  await screenshot(tabs[2].page, `${name}-1-joined-long-id`);
  return { tabs, leader };
}

/** Resolves with how long it took until no tab in `tabs` shows `dead` as leader; at most 2 s. */
async function noClaimFor(tabs, dead, since) {
  await poll(async () => {
    const views = await Promise.all(tabs.map(({ page }) => raftView(page)));
    return views.every((view) => view.leader !== dead && !view.rows.some((row) => row.member === dead && row.leader));
  }, 2000 - (Date.now() - since), `no tab to show the dead tab ${dead.slice(0, 20)} as leader`);
  return Date.now() - since;
}

/** The leader's tab closes: within 2 s no tab shows it as leader, then a new one is agreed. */
async function closeLeader(tabs, leader, name) {
  const gone = tabs.find((tab) => tab.id === leader);
  const closedAt = Date.now();
  await gone.page.close();
  const rest = tabs.filter((tab) => tab !== gone);
  const claimGoneAfter = await noClaimFor(rest, leader, closedAt);
  const next = await agreeOnLeader(rest, rest.map((tab) => tab.id), 'a new leader and three rows in every tab');
  assert.notEqual(next, leader);
  await assertLayoutHolds(rest, `${name} after the leader left`);
  await screenshot(rest[0].page, `${name}-2-leader-closed`);
  return { rest, claimGoneAfter };
}

/**
 * The leader's renderer crashes (no pagehide, no goodbye): its row is greyed
 * within 2 s, from the signaling server's word, and the others elect a leader.
 */
async function crashLeader(tabs, name) {
  const leader = await agreeOnLeader(tabs, tabs.map((tab) => tab.id), 'one leader before the crash');
  const victim = tabs.find((tab) => tab.id === leader);
  const session = await victim.page.context().newCDPSession(victim.page);
  const crashedAt = Date.now();
  session.send('Page.crash').catch(() => {}); // never answers: the page is gone
  const rest = tabs.filter((tab) => tab !== victim);
  const claimGoneAfter = await noClaimFor(rest, leader, crashedAt);
  await poll(async () => {
    const views = await Promise.all(rest.map(({ page }) => raftView(page)));
    return views.every((view) => view.leader === views[0].leader && rest.some((tab) => tab.id === view.leader));
  }, 30000, 'a new leader after the crash');
  await screenshot(rest[0].page, `${name}-4-leader-crashed`);
  return claimGoneAfter;
}

/** A fifth tab takes an id that is present: it says so and stays out; an invite link then joins. */
async function duplicateAndInvite(base, name, viewport, rest) {
  const taken = rest[0].id;
  const twin = await openTab(browser, `${base}&room=${name}&id=${taken}&autojoin`, viewport, null);
  await twin.page.waitForSelector('#status.error', { timeout: 15000 });
  assert.match(await twin.page.textContent('#status'), /is already in room .*pick another id/);
  assert.equal(await twin.page.getAttribute('body', 'data-state'), 'left');
  await assertLayoutHolds([{ ...twin, id: 'twin' }], `${name} duplicate id`);
  await screenshot(twin.page, `${name}-3-duplicate-id`);
  await twin.page.close();

  await rest[0].page.click('#invite');
  const invite = await rest[0].page.getAttribute('#invite', 'data-link');
  assert.ok(invite.includes(`room=${name}`) && invite.includes('autojoin') && !invite.includes('id='), invite);
  const guest = await openTab(browser, invite, viewport);
  await poll(async () => (await raftView(rest[0].page)).rows.length === rest.length + 1, 30000, 'the invited tab in the table');
  // A reload rejoins as the same member (the id is kept per tab, not in the shared address).
  const guestId = await guest.page.inputValue('#peer-id');
  assert.ok(!guest.page.url().includes('id='), 'the address bar can be shared as an invite');
  await guest.page.reload();
  await guest.page.waitForSelector('body[data-state="joined"]', { timeout: 30000 });
  assert.equal(await guest.page.inputValue('#peer-id'), guestId);
  return guest;
}

for (const [name, viewport] of [['desktop', { width: 1400, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
  test(`the demo at ${viewport.width}x${viewport.height}: four tabs, a leader leaving, a duplicate id`, { timeout: 240000 }, async () => {
    const signal = await startSignalServer({ port: 0 });
    const web = await startStaticServer({ port: 0 });
    const pages = [];
    try {
      const base = `${web.url}?signal=${encodeURIComponent(signal.url)}`;
      const { tabs, leader } = await joinFour(base, name, viewport);
      pages.push(...tabs.map((tab) => tab.page));
      const { rest, claimGoneAfter } = await closeLeader(tabs, leader, name);
      const guest = await duplicateAndInvite(base, name, viewport, rest);
      pages.push(guest.page);
      const guestId = await guest.page.evaluate(() => document.querySelector('#peer-id').value);
      const crashClaimGoneAfter = await crashLeader([...rest, { ...guest, id: guestId }], name);
      for (const { errors, id } of rest) assert.deepEqual(errors, [], `console errors in ${id.slice(0, 20)}`);
      console.log(`${name}: the leader's claim was gone ${claimGoneAfter} ms after its tab closed, ${crashClaimGoneAfter} ms after it crashed`);
    } finally {
      for (const page of pages) if (!page.isClosed()) await page.close();
      web.server.closeAllConnections(); // Chromium keeps idle sockets open for minutes
      await web.close();
      await signal.close();
    }
  });
}

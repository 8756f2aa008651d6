// Raft over RTCMesh in headless Chromium: five tabs elect one leader,
// closing the leader's tab yields a new one, and a reloaded tab rejoins and
// catches up with the log it kept in IndexedDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumRooms } from './chromium.mjs';
import { poll } from '../support/wait.mjs';

const rooms = chromiumRooms();

/** In the page: join the room, run Raft over the mesh with IndexedDB, keep a map. */
async function startMember(page, room, id) {
  await page.evaluate(
    async ({ url, room, id }) => {
      const { RTCMesh, Raft, ReplicatedMap, openIndexedDBStorage } = await import('/js/index.js');
      const mesh = await RTCMesh.join(url, room, { id });
      const storage = await openIndexedDBStorage(`${room}:${id}`);
      const saved = await storage.load();
      window.restored = { term: saved.hardState?.term ?? 0, entries: saved.entries.length };
      const raft = await Raft.open({ mesh, storage, electionMinTimeout: 800, electionMaxTimeout: 1600, heartbeatInterval: 100 });
      const map = new ReplicatedMap(raft);
      window.member = { mesh, raft, map };
    },
    { url: rooms.signal.url, room, id },
  );
}

async function openMember(room, id) {
  const { page, errors } = await rooms.blankTab();
  await startMember(page, room, id);
  return { page, errors, id };
}

const leaderSeenBy = (page) => page.evaluate(() => window.member.raft.leader);

/** The leader every tab agrees on (other than `previous`). */
function agreedLeader(tabs, previous = null, timeout = 30000) {
  return poll(async () => {
    const seen = await Promise.all(tabs.map(({ page }) => leaderSeenBy(page)));
    return seen.every((leader) => leader && leader === seen[0] && leader !== previous) ? seen[0] : null;
  }, timeout, 'one leader agreed by every tab');
}

test('five tabs elect one leader; closing its tab elects another; a reloaded tab catches up from IndexedDB', { timeout: 180000 }, async () => {
  const room = 'raft-tabs';
  const ids = ['tab-1', 'tab-2', 'tab-3', 'tab-4', 'tab-5'];
  let tabs = [];
  try {
    for (const id of ids) tabs.push(await openMember(room, id));
    await poll(async () => {
      const voters = await Promise.all(tabs.map(({ page }) => page.evaluate(() => window.member.raft.members.voters.length)));
      return voters.every((count) => count === ids.length);
    }, 60000, 'all five tabs to be voters');
    const leader = await agreedLeader(tabs);
    assert.ok(ids.includes(leader));

    // Replicated writes from a follower, seen everywhere.
    const writer = tabs.find((tab) => tab.id !== leader);
    await writer.page.evaluate(async () => {
      for (let i = 0; i < 10; i++) await window.member.map.set(`k${i}`, i);
    });
    for (const { page } of tabs) {
      assert.equal(await page.evaluate(() => window.member.map.read('k9')), 9);
    }

    // The leader's tab goes away: the others elect a new leader.
    const leaderTab = tabs.find((tab) => tab.id === leader);
    await leaderTab.page.close();
    tabs = tabs.filter((tab) => tab !== leaderTab);
    const second = await agreedLeader(tabs, leader);
    assert.notEqual(second, leader);

    // A follower reloads; while it is away the map changes; it rejoins with
    // its log from IndexedDB and catches up.
    const reloaded = tabs.find((tab) => tab.id !== second);
    const keptBefore = await reloaded.page.evaluate(() => window.member.raft.appliedIndex);
    await reloaded.page.reload();
    const other = tabs.find((tab) => tab !== reloaded);
    await other.page.evaluate(() => window.member.map.set('while-away', 'yes'));
    await startMember(reloaded.page, room, reloaded.id);
    const restored = await reloaded.page.evaluate(() => window.restored);
    assert.ok(restored.term > 0, 'the term came back from IndexedDB');
    assert.ok(restored.entries >= 10, `the log came back from IndexedDB (${restored.entries} entries)`);
    await poll(() => reloaded.page.evaluate(() => window.member.map.get('while-away') === 'yes'), 30000, 'the reloaded tab to catch up');
    assert.ok(await reloaded.page.evaluate((n) => window.member.raft.appliedIndex > n, keptBefore));
    assert.equal(await reloaded.page.evaluate(() => window.member.map.get('k9')), 9);
    for (const { errors, id } of tabs) assert.deepEqual(errors, [], `console errors in ${id}`);
  } finally {
    for (const { page } of tabs) if (!page.isClosed()) await page.close();
  }
});

// Issue "Raft: fix what an audit found", bug 2: a tab that joined a room where
// nobody writes kept an empty map until someone wrote. Heartbeats alone must
// bring it up to date: the map shows within 2 s of its link to the leader.
test('a member that joins a quiet room shows the existing map within 2 s', { timeout: 90000 }, async () => {
  const room = 'raft-quiet-room';
  const tabs = [];
  try {
    tabs.push(await openMember(room, 'first'));
    await poll(() => tabs[0].page.evaluate(() => window.member.raft.leader === 'first'), 20000, 'the first tab to lead');
    await tabs[0].page.evaluate(async () => {
      for (let i = 0; i < 5; i++) await window.member.map.set(`k${i}`, i);
    });
    // The room is quiet from here on: nobody writes.
    tabs.push(await openMember(room, 'late'));
    const late = tabs[1].page;
    await poll(() => late.evaluate(() => window.member.mesh.readyState('first') === 'open'), 20000, 'the late tab\'s link to the leader');
    await poll(() => late.evaluate(() => window.member.map.get('k4') === 4), 2000, 'the late tab to show the existing map');
    for (const { errors, id } of tabs) assert.deepEqual(errors, [], `console errors in ${id}`);
  } finally {
    for (const { page } of tabs) if (!page.isClosed()) await page.close();
  }
});

// The bootstrap rule lives in the core and follows the room's arrival order,
// so a Raft created after the mesh has fully formed still elects.
test('tabs that create their Raft after the mesh is fully formed elect one leader', { timeout: 90000 }, async () => {
  const room = 'raft-after-mesh';
  const ids = ['m1', 'm2', 'm3'];
  const pages = [];
  try {
    for (const id of ids) {
      const { page, errors } = await rooms.blankTab();
      pages.push({ page, errors, id });
      await page.evaluate(async ({ url, room, id }) => {
        const { RTCMesh } = await import('/js/index.js');
        window.mesh = await RTCMesh.join(url, room, { id });
      }, { url: rooms.signal.url, room, id });
    }
    await poll(async () => {
      const open = await Promise.all(pages.map(({ page }) => page.evaluate((all) => all.every((p) => p === window.mesh.id || window.mesh.readyState(p) === 'open'), ids)));
      return open.every(Boolean);
    }, 30000, 'the mesh to form');
    for (const { page } of [...pages].reverse()) {
      await page.evaluate(async () => {
        const { Raft } = await import('/js/index.js');
        window.raft = new Raft({ mesh: window.mesh, electionMinTimeout: 800, electionMaxTimeout: 1600, heartbeatInterval: 100 });
      });
    }
    await poll(async () => {
      const views = await Promise.all(pages.map(({ page }) => page.evaluate(() => [window.raft.leader, window.raft.members.voters.length])));
      return views.every(([leader, voters]) => leader && leader === views[0][0] && voters === ids.length);
    }, 30000, 'one leader and three voters seen by every tab');
    for (const { errors, id } of pages) assert.deepEqual(errors, [], `console errors in ${id}`);
  } finally {
    for (const { page } of pages) if (!page.isClosed()) await page.close();
  }
});

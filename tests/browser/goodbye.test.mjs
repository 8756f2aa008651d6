// A tab that goes away says goodbye (pagehide closes a joined mesh, and the
// core sends a goodbye frame ahead of the channel's close): the others drop
// its link without ICE's failure detection, and do not redial it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

const openTab = (id) => rooms.joinedTab('goodbye', id, ['removechannel', 'failed', 'reconnecting', 'peerremoved', 'disconnected']);

test('a closed tab is dropped at once by the others, who do not redial it', { timeout: 60000 }, async () => {
  const tabs = { ana: await openTab('ana'), ben: await openTab('ben'), cho: await openTab('cho') };
  try {
    const open = (tab) => tab.page.evaluate(() => window.mesh.peers.filter((p) => window.mesh.readyState(p) === 'open').length);
    await poll(async () => (await open(tabs.ana)) === 2 && (await open(tabs.ben)) === 2 && (await open(tabs.cho)) === 2, 30000, 'three tabs to link');
    await tabs.ben.page.close(); // pagehide: the mesh closes and says goodbye
    // Without a goodbye, ICE takes several seconds even to call the link disconnected.
    const seen = (tab) => tab.page.evaluate(() => window.seen);
    await poll(async () => (await seen(tabs.ana)).some(([type, peer]) => type === 'peerremoved' && peer === 'ben'), 3000, 'ana to remove ben');
    await poll(async () => (await seen(tabs.cho)).some(([type, peer]) => type === 'peerremoved' && peer === 'ben'), 3000, 'cho to remove ben');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const tab of [tabs.ana, tabs.cho]) {
      const events = (await seen(tab)).filter(([, peer]) => peer === 'ben').map(([type]) => type);
      assert.deepEqual(events, ['removechannel', 'peerremoved'], 'no failure, no reconnect attempt');
      assert.deepEqual(tab.errors, []);
    }
  } finally {
    for (const tab of Object.values(tabs)) if (!tab.page.isClosed()) await tab.page.close();
  }
});

// A page whose network changes (here: an `online` event) makes the offering
// side of each of its links restart ICE at once; the channels stay open and
// carry messages through it. The core's part is in native-tests/mesh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

const openTab = (id) => rooms.joinedTab('network-change', id, ['icerestart', 'removechannel', 'failed'], { messages: true });

test('an online event restarts ICE on the offering side; the link stays open', { timeout: 60000 }, async () => {
  const ana = await openTab('ana'); // "ana" < "ben": ana offers
  const ben = await openTab('ben');
  try {
    const open = (tab, peer) => tab.page.evaluate((p) => window.mesh.readyState(p) === 'open', peer);
    await poll(async () => (await open(ana, 'ben')) && (await open(ben, 'ana')), 30000, 'the link');
    await ben.page.evaluate(() => window.dispatchEvent(new Event('online'))); // ben answers: nothing to do
    await ana.page.evaluate(() => window.dispatchEvent(new Event('online')));
    const seen = (tab) => tab.page.evaluate(() => window.seen);
    await poll(async () => (await seen(ana)).some(([type, peer]) => type === 'icerestart' && peer === 'ben'), 5000, 'ana to restart ICE');
    await ana.page.evaluate(() => window.mesh.send('ben', 'through the restart'));
    await poll(async () => (await seen(ben)).some(([type, , data]) => type === 'message' && data === 'through the restart'), 10000, 'the message');
    assert.deepEqual((await seen(ben)).filter(([type]) => type === 'icerestart'), [], 'only the offering side restarts');
    for (const tab of [ana, ben]) {
      assert.deepEqual((await seen(tab)).filter(([type]) => type === 'removechannel' || type === 'failed'), [], 'restarted in place');
      assert.deepEqual(tab.errors, []);
    }
  } finally {
    await ana.page.close();
    await ben.page.close();
  }
});

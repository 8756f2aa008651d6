// Member metadata between Chromium tabs: visible to every member at join and
// after an update; an oversized value is a clear error in the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { poll } from '../support/wait.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

async function openTab(id, metadata) {
  const tab = await rooms.blankTab();
  await tab.page.evaluate(async ({ url, id, metadata }) => {
    const { RTCMesh } = await import('/js/index.js');
    window.mesh = await RTCMesh.join(url, 'metadata', { id, metadata });
  }, { url: rooms.signal.url, id, metadata });
  return tab;
}

const metadataOf = (tab, peer) => tab.page.evaluate((p) => window.mesh.metadata(p) ?? null, peer);

test('tabs see each other\'s metadata at join and after an update; too big is refused', { timeout: 60000 }, async () => {
  const tabs = { ana: await openTab('ana', { name: 'Ana' }), ben: await openTab('ben', { name: 'Ben' }) };
  try {
    await poll(async () => (await metadataOf(tabs.ana, 'ben'))?.name === 'Ben' && (await metadataOf(tabs.ben, 'ana'))?.name === 'Ana',
      30000, 'both names');
    tabs.cho = await openTab('cho', { name: 'Cho' });
    assert.deepEqual(await tabs.cho.page.evaluate(() => window.mesh.connected({ timeoutMs: 30000 })), ['ana', 'ben']);
    await poll(async () => (await metadataOf(tabs.cho, 'ana'))?.name === 'Ana' && (await metadataOf(tabs.ana, 'cho'))?.name === 'Cho',
      15000, 'the newcomer and the others');

    await tabs.ana.page.evaluate(() => {
      window.events = [];
      window.mesh.addEventListener('metadata', ({ detail }) => window.events.push(detail));
    });
    await tabs.ben.page.evaluate(() => window.mesh.setMetadata({ name: 'Ben', status: 'away' }));
    await poll(async () => (await metadataOf(tabs.ana, 'ben'))?.status === 'away' && (await metadataOf(tabs.cho, 'ben'))?.status === 'away',
      15000, 'the update');
    assert.deepEqual(await tabs.ana.page.evaluate(() => window.events), [{ peer: 'ben', metadata: { name: 'Ben', status: 'away' } }]);

    const refused = await tabs.cho.page.evaluate(() => {
      try {
        window.mesh.setMetadata({ avatar: 'x'.repeat(5000) });
        return null;
      } catch (error) {
        return { name: error.name, code: error.code, message: error.message };
      }
    });
    assert.equal(refused.name, 'RangeError');
    assert.equal(refused.code, 'bad_argument');
    assert.match(refused.message, /over the limit of 4096/);
    assert.deepEqual(await metadataOf(tabs.cho, 'cho'), { name: 'Cho' }, 'unchanged');
    for (const tab of Object.values(tabs)) assert.deepEqual(tab.errors, []);
  } finally {
    for (const tab of Object.values(tabs)) await tab.page.close();
  }
});

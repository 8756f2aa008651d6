// RTCMesh in headless Chromium: five separate pages (tabs) join one room on
// the signaling server, form the mesh and exchange messages; a Node peer on
// wrtc joins the same mesh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RTCMesh } from 'rtcmesh';
import { RTCPeerConnection, withTimeout } from '../support/mesh-bus.mjs';
import { chromiumRooms } from './chromium.mjs';

const rooms = chromiumRooms();

/** Opens a tab that joins `room` as `id`; it records what it hears in window.heard. */
async function openPeer(room, id) {
  const { page, errors } = await rooms.blankTab();
  await page.evaluate(
    async ({ url, room, id }) => {
      const { RTCMesh } = await import('/js/index.js');
      window.heard = [];
      window.mesh = await RTCMesh.join(url, room, { id });
      window.mesh.addEventListener('message', (event) => {
        const data = typeof event.data === 'string' ? event.data : `bytes:${event.data.byteLength}`;
        window.heard.push([event.origin, data]);
      });
    },
    { url: rooms.signal.url, room, id },
  );
  return { page, errors, id };
}

function waitForOpenLinks(page, count) {
  return page.waitForFunction(
    (expected) => window.mesh.peers.filter((peer) => window.mesh.readyState(peer) === 'open').length === expected,
    count,
    { timeout: 30000, polling: 50 },
  );
}

test('five tabs form a full mesh through the signaling server and exchange messages', { timeout: 90000 }, async () => {
  const ids = ['tab-1', 'tab-2', 'tab-3', 'tab-4', 'tab-5'];
  const tabs = [];
  try {
    for (const id of ids) tabs.push(await openPeer('five-tabs', id));
    await Promise.all(tabs.map(({ page }) => waitForOpenLinks(page, ids.length - 1)));
    for (const { page, id } of tabs) {
      await page.evaluate((from) => {
        window.mesh.broadcast(`hello from ${from}`);
        window.mesh.broadcast(new Uint8Array(200000)); // several chunks
      }, id);
    }
    for (const { page, id } of tabs) {
      await page.waitForFunction((n) => window.heard.length >= n, 2 * (ids.length - 1), { timeout: 20000 });
      const heard = await page.evaluate(() => window.heard);
      const expected = ids.filter((other) => other !== id).flatMap((other) => [
        [other, `hello from ${other}`],
        [other, 'bytes:200000'],
      ]);
      assert.deepEqual(heard.sort(), expected.sort(), `what ${id} heard`);
    }
    for (const { errors, id } of tabs) assert.deepEqual(errors, [], `console errors in ${id}`);
  } finally {
    for (const { page } of tabs) await page.close();
  }
});

test('a Node peer and Chromium pages share one mesh', { timeout: 90000 }, async () => {
  const tabs = [await openPeer('mixed', 'page-1'), await openPeer('mixed', 'page-2')];
  const node = await RTCMesh.join(rooms.signal.url, 'mixed', { id: 'node-1', WebSocket, RTCPeerConnection });
  try {
    await Promise.all(tabs.map(({ page }) => waitForOpenLinks(page, 2)));
    const heardByNode = [];
    node.addEventListener('message', (event) => heardByNode.push([event.origin, event.data]));
    node.broadcast('from node');
    await tabs[0].page.evaluate(() => window.mesh.send('node-1', 'from page-1'));
    for (const { page } of tabs) {
      await page.waitForFunction(() => window.heard.some(([from]) => from === 'node-1'), null, { timeout: 10000 });
      assert.deepEqual(await page.evaluate(() => window.heard), [['node-1', 'from node']]);
    }
    await withTimeout(
      (async () => {
        while (heardByNode.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      10000,
      'the page message at the Node peer',
    );
    assert.deepEqual(heardByNode, [['page-1', 'from page-1']]);
  } finally {
    node.close();
    for (const { page } of tabs) await page.close();
  }
});

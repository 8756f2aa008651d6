// Chromium refuses more than about 500 RTCPeerConnections in a page (24
// meshes of 24 members would need 552). The refusal must reach the user as an
// `error` event whose code names it, not as connect timeouts and retries.
//
// Shown to bite: with the shim's old failure path (it dropped a constructor's
// error because the connection was not registered yet) no error event came.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStaticServer } from '../../tools/static-server.mjs';
import { launchChromium, testPageMounts } from './chromium.mjs';

let web;
let browser;

before(async () => {
  web = await startStaticServer({ mounts: testPageMounts });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await web?.close();
});

test('a peer connection Chromium refuses is an error event with code connection_refused', { timeout: 60000 }, async () => {
  const page = await browser.context.newPage();
  await page.goto(`${web.url}blank.html`);
  const result = await page.evaluate(async () => {
    const { RTCMesh } = await import('/js/index.js');
    // Use up the page's connections first (bounded: the cap is about 500).
    const fillers = [];
    let refusal = null;
    for (let i = 0; i < 2000 && !refusal; i++) {
      try {
        fillers.push(new RTCPeerConnection());
      } catch (error) {
        refusal = String(error?.message ?? error);
      }
    }
    const errors = [];
    // Two meshes in this page, signaling each other directly (the seed's API).
    const a = new RTCMesh({ id: 'a', peers: ['a', 'b'] });
    const b = new RTCMesh({ id: 'b', peers: ['a', 'b'] });
    const meshes = { a, b };
    for (const [id, mesh] of Object.entries(meshes)) {
      const other = meshes[id === 'a' ? 'b' : 'a'];
      mesh.addEventListener('error', ({ detail }) => errors.push({ on: id, ...detail }));
      mesh.addEventListener('offer', ({ detail }) => other.createAnswer(id, detail.sdp).catch(() => {}));
      mesh.addEventListener('answer', ({ detail }) => other.addAnswer(id, detail.sdp).catch(() => {}));
      mesh.addEventListener('icecandidate', ({ detail }) => other.addIceCandidate(id, detail.candidate).catch(() => {}));
    }
    await a.createOffer('b').catch(() => {});
    const deadline = Date.now() + 10000;
    while (!errors.some((e) => e.code === 'connection_refused') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    a.close();
    b.close();
    for (const pc of fillers) pc.close();
    return { created: fillers.length, refusal, errors };
  });
  await page.close();
  assert.ok(result.refusal, `Chromium refused no connection after ${result.created}`);
  const refused = result.errors.find((e) => e.code === 'connection_refused');
  assert.ok(refused, `no connection_refused error; errors: ${JSON.stringify(result.errors)}`);
  assert.match(refused.message, /RTCPeerConnection/);
  assert.match(refused.message, /about 500/);
  assert.ok(['a', 'b'].includes(refused.peer), refused.peer);
  console.log(`Chromium refused connection ${result.created + 1}: "${result.refusal}"`);
});

// TURN for real in Chromium: tabs join a room with iceTransportPolicy
// 'relay', get TURN credentials from the signaling server's welcome, and form
// the mesh through a throwaway coturn (tests/support/coturn.mjs); with
// expired credentials coturn refuses them and no link forms.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSignalServer } from '../../js/signal/server.js';
import { startStaticServer } from '../../tools/static-server.mjs';
import { skipWithoutCoturn, startCoturn } from '../support/coturn.mjs';
import { hasDocumentedCode } from '../support/error-codes.mjs';
import { collectPageErrors, launchChromium, testPageMounts } from './chromium.mjs';

describe('TURN through coturn in Chromium', { skip: skipWithoutCoturn }, () => {
  const secret = 'browser-test-secret';
  let turn;
  let web;
  let browser;

  before(async () => {
    turn = await startCoturn({ secret });
    web = await startStaticServer({ mounts: testPageMounts });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await web?.close();
    await turn?.stop();
  });

  /**
   * Opens a tab that joins `room` as `id`, relay-only; it records what it
   * hears (window.heard), its failed link attempts (window.failures), its
   * error events (window.errors) and every RTCPeerConnection it made with
   * the configuration it was given (window.connections).
   */
  async function openPeer(signalUrl, room, id, options = {}) {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${web.url}blank.html`);
    await page.evaluate(
      async ({ url, room, id, options }) => {
        const { RTCMesh } = await import('/js/index.js');
        window.heard = [];
        window.failures = [];
        window.errors = [];
        window.connections = [];
        const Native = window.RTCPeerConnection;
        function Recording(configuration) {
          const pc = new Native(configuration);
          window.connections.push({ pc, configuration: JSON.parse(JSON.stringify(configuration)) });
          return pc;
        }
        window.mesh = await RTCMesh.join(url, room, { id, RTCPeerConnection: Recording, iceTransportPolicy: 'relay', ...options });
        window.mesh.addEventListener('message', (event) => window.heard.push([event.origin, event.data]));
        window.mesh.addEventListener('failed', (event) => window.failures.push(event.detail));
        window.mesh.addEventListener('error', (event) => window.errors.push(event.detail));
      },
      { url: signalUrl, room, id, options },
    );
    return { page, errors, id };
  }

  /** The candidate types of the selected pair of every connected connection in a tab. */
  function selectedPairs(page) {
    return page.evaluate(async () => {
      const pairs = [];
      for (const { pc } of window.connections) {
        if (pc.connectionState !== 'connected') continue;
        const stats = new Map();
        (await pc.getStats()).forEach((report) => stats.set(report.id, report));
        const transport = [...stats.values()].find((r) => r.type === 'transport' && r.selectedCandidatePairId);
        const pair = transport && stats.get(transport.selectedCandidatePairId);
        pairs.push(pair ? [stats.get(pair.localCandidateId).candidateType, stats.get(pair.remoteCandidateId).candidateType] : null);
      }
      return pairs;
    });
  }

  test('three relay-only tabs form a mesh through coturn with server-minted credentials, and messages flow', { timeout: 90000 }, async () => {
    const signal = await startSignalServer({ turn: { urls: [turn.url], secret } });
    const ids = ['tab-a', 'tab-b', 'tab-c'];
    const tabs = [];
    try {
      for (const id of ids) tabs.push(await openPeer(signal.url, 'relay-tabs', id));
      await Promise.all(tabs.map(({ page }) => page.waitForFunction(
        () => window.mesh.peers.length === 2 && window.mesh.peers.every((peer) => window.mesh.readyState(peer) === 'open'),
        null,
        { timeout: 30000, polling: 50 },
      )));
      for (const { page, id } of tabs) await page.evaluate((from) => window.mesh.broadcast(`hello from ${from}`), id);
      for (const { page, id } of tabs) {
        await page.waitForFunction(() => window.heard.length >= 2, null, { timeout: 10000 });
        const heard = await page.evaluate(() => window.heard);
        assert.deepEqual(heard.sort(), ids.filter((other) => other !== id).map((other) => [other, `hello from ${other}`]), `what ${id} heard`);
      }
      for (const { page, id } of tabs) {
        const configurations = await page.evaluate(() => window.connections.map(({ configuration }) => configuration));
        assert.ok(configurations.length >= 2, `${id} made its connections`);
        for (const configuration of configurations) {
          assert.equal(configuration.iceTransportPolicy, 'relay');
          assert.deepEqual(configuration.iceServers.map((server) => server.username.replace(/^\d+:/, '')), [id], 'its own minted credentials');
        }
        const pairs = await selectedPairs(page);
        assert.ok(pairs.length >= 2, `${id} has connected connections`);
        assert.deepEqual(pairs, pairs.map(() => ['relay', 'relay']), `${id}'s selected pairs are relay to relay`);
      }
      for (const id of ids) assert.match(turn.output(), new RegExp(`username=<\\d+:${id}>`), `coturn allocated for ${id}`);
      for (const { errors, id } of tabs) assert.deepEqual(errors, [], `console errors in ${id}`);
      for (const { page, id } of tabs) assert.deepEqual(await page.evaluate(() => window.errors), [], `error events in ${id}`);
    } finally {
      for (const { page } of tabs) await page.close();
      await signal.close();
    }
  });

  test('with expired credentials coturn refuses them: each tab gets one ice_server error (401) and failed attempts, and no link forms', { timeout: 60000 }, async () => {
    const signal = await startSignalServer({ turn: { urls: [turn.url], secret, now: () => Date.now() - 2 * 3600_000 } });
    const tabs = [];
    try {
      // Three tabs: two connections each, and one error event each all the same.
      for (const id of ['tab-x', 'tab-y', 'tab-z']) tabs.push(await openPeer(signal.url, 'expired-tabs', id, { connectTimeoutMs: 2000 }));
      // Bounded: each tab sees a failed attempt to each peer within its connect
      // timeout (plus a margin); by then both its connections have gathered.
      for (const { page } of tabs) {
        await page.waitForFunction(() => new Set(window.failures.map((failure) => failure.peer)).size === 2, null, { timeout: 15000, polling: 50 });
      }
      // Each tab was told that the TURN server refused its credentials, once.
      for (const { page, id } of tabs) {
        const errors = await page.evaluate(() => window.errors);
        assert.equal(errors.length, 1, `one error event in ${id}, not one per connection: ${JSON.stringify(errors)}`);
        assert.equal(errors[0].code, 'ice_server');
        assert.ok(hasDocumentedCode(errors[0]), 'the code is in the README table');
        assert.equal(errors[0].errorCode, 401);
        assert.equal(errors[0].url, turn.url);
        assert.match(errors[0].message, /refused the credentials/);
      }
      for (const { page, id } of tabs) {
        const states = await page.evaluate(() => window.mesh.peers.map((peer) => window.mesh.readyState(peer)));
        assert.equal(states.includes('open'), false, `${id} has no open link`);
        assert.equal(await page.evaluate(() => window.heard.length), 0);
      }
      for (const id of ['tab-x', 'tab-y', 'tab-z']) {
        assert.match(turn.output(), new RegExp(`user <\\d+:${id}>: incoming packet message processed, error 401`), `coturn refused ${id}`);
        assert.doesNotMatch(turn.output(), new RegExp(`username=<\\d+:${id}>`), `coturn allocated nothing for ${id}`);
      }
    } finally {
      for (const { page } of tabs) await page.close();
      await signal.close();
    }
  });
});

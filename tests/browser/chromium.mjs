// Launching Debian's Chromium headless for the browser tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { startSignalServer } from '../../js/signal/server.js';
import { startStaticServer } from '../../tools/static-server.mjs';

const flags = [
  '--no-sandbox', // tests run as root in CI
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // This machine has no network: without these Chromium keeps dialing out.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Plain IP candidates instead of mDNS names, so Node peers can reach pages.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** What the browser tests serve: the package's js/ and dist/, and their own pages. */
export const testPageMounts = [['/js/', 'js'], ['/dist/', 'dist'], ['/', 'tests/browser/pages']];

/**
 * Resolves to { context, close() }: a fresh profile, removed on close.
 * `extraArgs` adds flags (the benchmarks ask for precise memory figures).
 */
export async function launchChromium({ extraArgs = [] } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'rtcmesh-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...flags, ...extraArgs],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Collects console errors and uncaught page errors, to assert there are none. */
export function collectPageErrors(page) {
  const errors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  return errors;
}

/**
 * For a test file whose tabs meet in rooms (`extraArgs`: more Chromium
 * flags, such as fake media devices): registers before/after hooks that
 * start Chromium, the test pages' static server and a signaling server, and
 * returns { signal, blankTab() } (blankTab: a new tab on blank.html, with its
 * page errors collected, as { page, errors }). `signal` is set once before()
 * ran.
 */
export function chromiumRooms({ extraArgs = [] } = {}) {
  const fixture = { signal: null, web: null, browser: null };
  before(async () => {
    fixture.web = await startStaticServer({ mounts: testPageMounts });
    fixture.browser = await launchChromium({ extraArgs });
    fixture.signal = await startSignalServer();
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.web?.close();
    await fixture.signal?.close();
  });
  fixture.blankTab = async () => {
    const page = await fixture.browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${fixture.web.url}blank.html`);
    return { page, errors };
  };
  /**
   * A blank tab that joined `room` as `id`, recording in `window.seen` each
   * event of `types` as [type, peer] (and, with `messages`, each message as
   * ['message', origin, data]).
   */
  fixture.joinedTab = async (room, id, types, { messages = false } = {}) => {
    const tab = await fixture.blankTab();
    await tab.page.evaluate(
      async ({ url, room, id, types, messages }) => {
        const { RTCMesh } = await import('/js/index.js');
        window.seen = [];
        window.mesh = await RTCMesh.join(url, room, { id });
        for (const type of types) window.mesh.addEventListener(type, (event) => window.seen.push([type, event.detail?.peer]));
        if (messages) window.mesh.addEventListener('message', (event) => window.seen.push(['message', event.origin, event.data]));
      },
      { url: fixture.signal.url, room, id, types, messages },
    );
    return tab;
  };
  return fixture;
}

// What a room secret costs a browser page's formation (issue "Trust"): 8
// tabs of one headless Chromium join a room on a local signaling server one
// after another (each join awaited, as pages arrive), open and with a
// secret, alternating; timed from the first join until every tab has all 7
// links open. Pages are where a secret's WebCrypto calls run natively, one
// renderer each; bench/secret-room.mjs measures the same in Node with
// @roamhq/wrtc.
//
//   node bench/secret-room-tabs.mjs [runs=5]
import { launchChromium } from '../tests/browser/chromium.mjs';
import { startStaticServer } from '../tools/static-server.mjs';
import { startSignalServer } from '../js/signal/server.js';
import { RTCMesh } from '../js/node/index.js';
import { call, mounts } from './load.mjs';

const TABS = 8;
const FORM_TIMEOUT_MS = 30000;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const now = () => performance.timeOrigin + performance.now();

/** One formation of `TABS` fresh tabs, open or with `secret`: ms from the first join until all links are open. */
async function formation(browser, web, signal, room, secret) {
  const pages = [];
  try {
    for (let i = 0; i < TABS; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${web.url}bench/browser/load.html`);
      // rtcmesh loads (its wasm compiles) before the clock starts, as a page's scripts have.
      await page.evaluate(() => import('/bench/browser/load.js'));
      pages.push(page);
    }
    const started = now();
    const openAt = [];
    for (let index = 0; index < TABS; index++) {
      await call(pages[index], 'joinTab', { kind: 'rtcmesh', url: signal.url, room, index, secret });
      openAt.push(call(pages[index], 'tabLinksOpenAt', { want: TABS - 1, timeoutMs: FORM_TIMEOUT_MS }));
    }
    const times = await Promise.all(openAt);
    if (times.includes(null)) throw new Error(`${room}: not every tab had ${TABS - 1} open links within ${FORM_TIMEOUT_MS} ms`);
    return Math.max(...times) - started;
  } finally {
    await Promise.all(pages.map((page) => call(page, 'closeTab').catch(() => {})));
    await Promise.all(pages.map((page) => page.close().catch(() => {})));
  }
}

export async function runSecretRoomTabs({ runs = 5, log = () => {} } = {}) {
  const web = await startStaticServer({ mounts });
  const signal = await startSignalServer();
  const browser = await launchChromium();
  const samples = { open: [], secret: [] };
  try {
    for (let run = 0; run < runs; run++) {
      for (const mode of run % 2 === 0 ? ['open', 'secret'] : ['secret', 'open']) {
        const secret = mode === 'secret' ? RTCMesh.createSecret() : undefined;
        const ms = await formation(browser, web, signal, `tabs-${mode}-${run}`, secret);
        samples[mode].push(ms);
        log(`secret room, ${TABS} tabs: ${mode} run ${run + 1}: formed in ${ms.toFixed(0)} ms`);
      }
    }
  } finally {
    await browser.close();
    await signal.close();
    await web.close();
  }
  return { runs, tabs: TABS, open: { formationMs: median(samples.open), samples: samples.open }, secret: { formationMs: median(samples.secret), samples: samples.secret } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runSecretRoomTabs({ runs: Number(process.argv[2] ?? 5), log: console.log }), null, 2));
  process.exit(0);
}

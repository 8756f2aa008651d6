// Data-channel benchmarks in headless Chromium: raw RTCDataChannel against
// simple-peer (and, once the product's JS API exists, RTCMesh), in one run.
import { startStaticServer } from '../tools/static-server.mjs';
import { launchChromium } from '../tests/browser/chromium.mjs';

const mounts = [
  ['/bench/', 'bench'],
  ['/node_modules/', 'node_modules'],
  ['/js/', 'js'],
  ['/dist/', 'dist'],
];

async function withBenchPage(body) {
  const server = await startStaticServer({ mounts });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}bench/browser/index.html`);
    await page.waitForFunction(() => typeof globalThis.SimplePeer === 'function');
    const version = browser.context.browser()?.version() ?? 'unknown';
    return await body(page, version);
  } finally {
    await browser.close();
    await server.close();
  }
}

function call(page, name, args) {
  return page.evaluate(async ([fn, a]) => (await import('/bench/browser/raw-webrtc.js'))[fn](a), [name, args]);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// Throughput on a shared 2-core machine swings by a third between runs, so
// the paths take turns, `repeats` times each, and each reports its median.
async function throughputs(page, paths, { totalBytes, repeats }) {
  const samples = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
  for (let round = 0; round < repeats; round++) {
    for (const [name, fn] of Object.entries(paths)) samples[name].push((await call(page, fn, { totalBytes })).mbPerSecond);
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { mbPerSecond: median(values), samples: values }]));
}

export async function runDataChannelBenchmarks({ totalBytes = 256 * 1024 * 1024, rounds = 10000, repeats = 3 } = {}) {
  return withBenchPage(async (page, chromiumVersion) => {
    const throughput = await throughputs(page, { raw: 'rawThroughput', simplePeer: 'simplePeerThroughput' }, { totalBytes, repeats });
    const latency = { raw: await call(page, 'rawLatency', { rounds }) };
    const formation = [];
    for (const n of [2, 4, 8]) formation.push({ raw: await call(page, 'rawMeshFormation', n) });
    return { chromiumVersion, throughput, latency, formation };
  });
}

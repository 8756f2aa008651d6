// Data-channel benchmarks in headless Chromium: raw RTCDataChannel (the
// limit), RTCMesh (the wasm path) and simple-peer, in one run and one page.
import { startStaticServer } from '../tools/static-server.mjs';
import { launchChromium } from '../tests/browser/chromium.mjs';

const mounts = [
  ['/bench/', 'bench'],
  ['/node_modules/', 'node_modules'],
  ['/js/', 'js'],
  ['/dist/', 'dist'],
];

// Cross-origin isolated pages get 5 µs performance.now() instead of 100 µs.
const crossOriginIsolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

async function withBenchPage(body) {
  const server = await startStaticServer({ mounts, headers: crossOriginIsolation });
  // Exact JS heap figures and a callable gc() for the memory benchmark.
  const browser = await launchChromium({ extraArgs: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  try {
    const page = await browser.context.newPage();
    page.on('crash', () => console.error('bench: the Chromium page crashed'));
    await page.goto(`${server.url}bench/browser/index.html`);
    await page.waitForFunction(() => typeof globalThis.SimplePeer === 'function');
    const version = browser.context.browser()?.version() ?? 'unknown';
    return await body(page, version);
  } finally {
    await browser.close();
    await server.close();
  }
}

const modules = { raw: '/bench/browser/raw-webrtc.js', mesh: '/bench/browser/rtcmesh-bench.js' };

/** Runs `name` ("raw.rawLatency", "mesh.meshLatency") in the page. */
function call(page, name, args) {
  const [module, fn] = name.split('.');
  return page.evaluate(async ([url, f, a]) => (await import(url))[f](a), [modules[module], fn, args]);
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
    const throughput = await throughputs(
      page,
      { raw: 'raw.rawThroughput', mesh: 'mesh.meshThroughput', simplePeer: 'raw.simplePeerThroughput' },
      { totalBytes, repeats },
    );
    const latency = {
      raw: await call(page, 'raw.rawLatency', { rounds }),
      mesh: await call(page, 'mesh.meshLatency', { rounds }),
    };
    const formation = [];
    for (const n of [2, 4, 8]) {
      // Alternating, best of three each: formation takes tens of ms, so one
      // scheduling hiccup would otherwise decide the ratio.
      const raw = [];
      const mesh = [];
      for (let i = 0; i < 3; i++) {
        raw.push(await call(page, 'raw.rawMeshFormation', n));
        mesh.push(await call(page, 'mesh.meshFormation', n));
      }
      const best = (runs) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
      formation.push({ raw: best(raw), mesh: best(mesh) });
    }
    const large = {
      raw: await call(page, 'raw.rawLargeMessage', {}),
      mesh: await call(page, 'mesh.meshLargeMessage', {}),
    };
    // In a fresh page: the runs above leave garbage and a grown wasm memory.
    const fresh = await page.context().newPage();
    await fresh.goto(page.url());
    const memory = await call(fresh, 'mesh.meshMemory', 8);
    await fresh.close();
    return { chromiumVersion, throughput, latency, formation, large, memory };
  });
}

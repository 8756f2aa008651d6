// Load and idle benchmarks in headless Chromium: rtcmesh (RTCMesh.broadcast)
// against raw RTCDataChannels doing the same full mesh, in one run.
//
// - Tabs: `tabs` pages of one Chromium join one room on an in-process
//   signaling server (RTCMesh.join, or a minimal raw client on SignalClient).
//   Once every link is open and has settled, the room is left idle for
//   `idleSeconds` and the CPU time Chromium spent meanwhile is read (CDP
//   SystemInfo.getProcessInfo: every thread of the renderer processes, and
//   of all Chromium processes; and Performance.getMetrics TaskDuration: the
//   pages' main threads). Then every tab broadcasts `rate` messages of
//   `bytes` bytes a second for `seconds` s.
// - One page: `inPage` nodes in one page, signaling each other directly,
//   under the same load.
// Latency is one-way, from the sender's broadcast call to the receiver's
// message event, on the machine's one clock (performance.timeOrigin +
// performance.now() in every page). Every run is bounded: senders stop after
// their messages, and a message counts as delivered if it arrives within
// `drainMs` of the last scheduled send. A page swamped by the load may not
// return its figures in time; it also reports them as it goes, through a
// binding whose calls leave the page even from inside a long task, and the
// driver stops waiting 3 s after that deadline and takes the last report.
//
//   node bench/load.mjs [--json] [--tabs 8] [--in-page 16] [--seconds 10] [--rate 100] [--idle 5] [--rounds 2]
import { startStaticServer } from '../tools/static-server.mjs';
import { launchChromium } from '../tests/browser/chromium.mjs';
import { startSignalServer } from '../js/signal/server.js';

/** What the bench pages load: the pages, the package's JS, the core. */
export const mounts = [
  ['/bench/', 'bench'],
  ['/js/', 'js'],
  ['/dist/', 'dist'],
];

// Cross-origin isolated pages get 5 µs timers instead of 100 µs ones.
const crossOriginIsolation = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `fn(args)` of bench/browser/load.js in `page`. */
export function call(page, fn, args) {
  return page.evaluate(async ([f, a]) => (await import('/bench/browser/load.js'))[f](a), [fn, args]);
}

/** Rejects if `promise` has not settled within `ms`: the pages bound themselves, this is the backstop. */
function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`load bench: ${what} did not end within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// The pages' histograms: bucket i holds values up to 0.01 ms × 1.01^i
// (bench/browser/load.js); a percentile is reported as its bucket's
// geometric middle, within 0.5% of the value.
const BUCKETS = 1900;
const bucketValue = (i) => (i === 0 ? 0.01 : 0.01 * 1.01 ** (i - 0.5));

function addSparse(histogram, pairs) {
  for (let i = 0; i < pairs.length; i += 2) histogram[pairs[i]] += pairs[i + 1];
}

/**
 * The q-quantile over the histogram plus `missing` values later than any in
 * it (messages never delivered): Infinity when it falls among those.
 */
function percentile(histogram, q, missing = 0) {
  const total = histogram.reduce((a, b) => a + b, 0) + missing;
  if (total === 0) return NaN;
  const rank = Math.min(total - 1, Math.floor(q * total)); // as sorted[floor(q × n)]
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen > rank) return bucketValue(i);
  }
  return Infinity;
}

function highest(histogram) {
  for (let i = histogram.length - 1; i >= 0; i--) if (histogram[i]) return 0.01 * 1.01 ** i;
  return NaN;
}

/** Pools the nodes' snapshots (of one or more runs) into the reported figures. */
function pool(nodeResults) {
  const latencies = new Float64Array(BUCKETS);
  const lags = new Float64Array(BUCKETS);
  for (const r of nodeResults) {
    addSparse(latencies, r.latencies);
    addSparse(lags, r.sendLags);
  }
  const sum = (key) => nodeResults.reduce((total, r) => total + r[key], 0);
  const expected = sum('expected');
  const received = sum('received');
  return {
    sent: sum('sent'),
    sendFailures: sum('sendFailures'),
    lastSendError: nodeResults.find((r) => r.lastSendError)?.lastSendError ?? null,
    expected,
    received,
    delivered: expected ? received / expected : 0,
    late: sum('late'),
    duplicates: sum('duplicates'),
    // Over every message expected: one not delivered counts as later than
    // all that were, so a path that loses more than 1% has no finite p99.
    p50: percentile(latencies, 0.5, expected - received),
    p99: percentile(latencies, 0.99, expected - received),
    max: highest(latencies),
    sendLagP99: percentile(lags, 0.99),
  };
}

/** CPU seconds per Chromium process (CDP SystemInfo.getProcessInfo; the OS reports 10 ms steps). */
async function processCpu(browserSession) {
  const { processInfo } = await browserSession.send('SystemInfo.getProcessInfo');
  return new Map(processInfo.map(({ id, type, cpuTime }) => [id, { type, cpuTime }]));
}

function cpuUsed(before, after) {
  let renderers = 0;
  let all = 0;
  let rendererProcesses = 0;
  for (const [id, { type, cpuTime }] of after) {
    const used = cpuTime - (before.get(id)?.cpuTime ?? 0); // a process started meanwhile counts from 0
    all += used;
    if (type === 'renderer') {
      renderers += used;
      rendererProcesses++;
    }
  }
  return { renderers, all, rendererProcesses };
}

/** Sum over the pages of Performance.getMetrics' TaskDuration and ScriptDuration (seconds on their main threads). */
async function mainThreadSeconds(sessions) {
  const totals = { task: 0, script: 0 };
  for (const session of sessions) {
    const { metrics } = await session.send('Performance.getMetrics');
    totals.task += metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
    totals.script += metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0;
  }
  return totals;
}

/**
 * Waits until Chromium's renderers are quiet (under 50 ms of CPU per 500 ms)
 * so that a page still busy from the run before does not weigh on the next;
 * bounded at 30 s. Returns how long it waited.
 */
async function quiesce(browserSession) {
  const started = Date.now();
  let before = await processCpu(browserSession);
  while (Date.now() - started < 30000) {
    await sleep(500);
    const after = await processCpu(browserSession);
    const { renderers } = cpuUsed(before, after);
    before = after;
    if (renderers < 0.05) break;
  }
  return Date.now() - started;
}

async function waitForLinks(read, want, timeoutMs) {
  const started = Date.now();
  let open = await read();
  while (open < want && Date.now() - started < timeoutMs) {
    await sleep(100);
    open = await read();
  }
  return { open, ms: Date.now() - started };
}

/**
 * Opens a page of the load bench whose reports (bench/browser/load.js) land
 * in `reports`, keyed by the page.
 */
async function openLoadPage(browser, web, reports, log, what) {
  const page = await browser.context.newPage();
  page.on('crash', () => log(`${what}: a page crashed`));
  await page.exposeBinding('rtcmeshLoadReport', (_, json) => { reports.set(page, JSON.parse(json)); });
  // Counts the page's RTCDataChannel sends: what a path puts on the wire per message.
  await page.addInitScript(() => {
    const send = RTCDataChannel.prototype.send;
    globalThis.rtcmeshChannelSends = 0;
    RTCDataChannel.prototype.send = function countedSend(data) {
      globalThis.rtcmeshChannelSends++;
      return send.call(this, data);
    };
  });
  await page.goto(`${web.url}bench/browser/load.html`);
  return page;
}

/**
 * Starts the load on every page and waits until each has returned its final
 * figures, or until the run's deadline plus 3 s, whichever is first: a page
 * too busy to return by then is cut off, and its last report is what it
 * delivered (it stops counting at the deadline itself). A page that never
 * reported counts as having received nothing of `expectedPerPage`.
 */
async function loadPages(pages, reports, fn, loadArgs, { expectedPerPage, cutoffMs }) {
  for (const page of pages) reports.delete(page);
  const failures = [];
  const finished = Promise.all(pages.map((page) => call(page, fn, loadArgs).then(
    (final) => { reports.set(page, final); },
    (error) => { failures.push(error.message.split('\n')[0]); },
  )));
  let timer;
  const ended = await Promise.race([
    finished.then(() => 'by itself'),
    new Promise((resolve) => { timer = setTimeout(() => resolve('cut off'), cutoffMs); }),
  ]);
  clearTimeout(timer);
  const nodes = [];
  let unreported = 0;
  for (const page of pages) {
    const last = reports.get(page);
    if (last) nodes.push(...last.nodes);
    else {
      unreported++;
      nodes.push({ sent: 0, sendFailures: 0, expected: expectedPerPage, received: 0, late: 0, duplicates: 0, latencies: [], sendLags: [] });
    }
  }
  return { ended, unreported, failures, nodes, busy: ended !== 'by itself' };
}

/** Closes pages, bounded: a page still swamped by a cut-off run may not answer. */
async function closePages(pages, fn) {
  await Promise.all(pages.map((page) => within(call(page, fn), 5000, 'closing').catch(() => {})));
  await Promise.all(pages.map((page) => within(page.close(), 15000, 'closing a page').catch(() => {})));
}

/** Links the pages' meshes took down ('failed' events), logged by reason; their count. */
async function failuresIn(pages, log, what) {
  const all = {};
  for (const page of pages) {
    const counts = await within(call(page, 'linkFailures'), 10000, 'counting failures').catch(() => ({}));
    for (const [reason, count] of Object.entries(counts)) all[reason] = (all[reason] ?? 0) + count;
  }
  const total = Object.values(all).reduce((a, b) => a + b, 0);
  if (total > 0) log(`${what}: ${total} links failed and were re-made: ${Object.entries(all).map(([r, c]) => `${c}× ${r}`).join('; ')}`);
  return total;
}

async function channelSends(pages) {
  const counts = await Promise.all(pages.map((page) => within(page.evaluate(() => globalThis.rtcmeshChannelSends), 10000, 'counting sends').catch(() => 0)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Starts CDP's sampling profiler on a page (RTCMESH_LOAD_PROFILE=prefix), to say where a missed target's time goes. */
async function startProfile(session) {
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 200 });
  await session.send('Profiler.start');
  return session;
}

async function saveProfile(session, file, log) {
  const { profile } = await session.send('Profiler.stop');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(file, JSON.stringify(profile));
  log(`CPU profile of the first tab's main thread: ${file} (open in Chrome DevTools, or summarize with tools/profile-summary.mjs)`);
}

/** One path over `tabs` tabs: join, form, idle (CPU), load; then closes its tabs. */
async function tabsRun({ browser, browserSession, web, signal, kind, run, options, log }) {
  const { tabs, idleSeconds, settleMs, formTimeoutMs } = options;
  const room = `load-${kind}-${run}`;
  const pages = [];
  const reports = new Map();
  try {
    for (let i = 0; i < tabs; i++) pages.push(await openLoadPage(browser, web, reports, log, `${kind}, ${tabs} tabs`));
    const sessions = await Promise.all(pages.map(async (page) => {
      const session = await browser.context.newCDPSession(page);
      await session.send('Performance.enable');
      return session;
    }));
    const joinStarted = Date.now();
    await within(Promise.all(pages.map((page, index) => call(page, 'joinTab', { kind, url: signal.url, room, index }))), 30000, `${kind}: joining`);
    const want = tabs * (tabs - 1);
    const formed = await waitForLinks(
      async () => (await Promise.all(pages.map((page) => call(page, 'tabOpenLinks')))).reduce((a, b) => a + b, 0),
      want,
      formTimeoutMs,
    );
    const formedMs = Date.now() - joinStarted;
    log(`${kind}, ${tabs} tabs: ${formed.open}/${want} link sides open after ${formedMs} ms`);

    await sleep(settleMs);
    const cpuBefore = await processCpu(browserSession);
    const mainBefore = await mainThreadSeconds(sessions);
    const idleStarted = Date.now();
    const idleProfiler = options.profileTo && await startProfile(sessions[0]);
    await sleep(idleSeconds * 1000);
    if (idleProfiler) await saveProfile(idleProfiler, `${options.profileTo}-idle-${kind}-${run}.cpuprofile`, log);
    const cpuAfter = await processCpu(browserSession);
    const mainAfter = await mainThreadSeconds(sessions);
    const idleWall = (Date.now() - idleStarted) / 1000;
    const idle = {
      seconds: idleWall,
      ...cpuUsed(cpuBefore, cpuAfter),
      mainTask: mainAfter.task - mainBefore.task,
      mainScript: mainAfter.script - mainBefore.script,
    };
    log(`${kind}, ${tabs} tabs idle ${idleWall.toFixed(1)} s: ${idle.rendererProcesses} renderer processes ${idle.renderers.toFixed(2)} s CPU, all Chromium ${idle.all.toFixed(2)} s, main threads ${idle.mainTask.toFixed(2)} s`);

    const { args, cutoffMs } = await loadArguments(pages[0], options);
    const profiler = options.profileTo && await startProfile(sessions[0]);
    const sendsBefore = await channelSends(pages);
    const outcome = await loadPages(pages, reports, 'runTab', { ...args, senders: tabs - 1 }, { expectedPerPage: (tabs - 1) * args.count, cutoffMs });
    outcome.channelSends = (await channelSends(pages)) - sendsBefore;
    outcome.linkFailures = await failuresIn(pages, log, `${kind}, ${tabs} tabs`);
    log(`${kind}, ${tabs} tabs: ${outcome.channelSends} RTCDataChannel sends under load, ${(outcome.channelSends / (tabs * (tabs - 1) * args.count)).toFixed(2)} per message and receiver`);
    if (profiler) await saveProfile(profiler, `${options.profileTo}-${kind}-${run}.cpuprofile`, log);
    const figures = pool(outcome.nodes);
    log(`${kind}, ${tabs} tabs under load: ${describe(figures)}; ended ${outcome.ended}${outcome.failures.length ? `; ${outcome.failures.join('; ')}` : ''}`);
    return { kind, run, linkSides: formed.open, wanted: want, formedMs, idle, ended: outcome.ended, unreported: outcome.unreported, channelSends: outcome.channelSends, linkFailures: outcome.linkFailures, load: figures, nodes: outcome.nodes };
  } finally {
    await closePages(pages, 'closeTab');
  }
}

/** One path with `inPage` nodes in one fresh page. */
async function inPageRun({ browser, web, kind, run, options, log }) {
  const reports = new Map();
  const page = await openLoadPage(browser, web, reports, log, `${kind}, ${options.inPage} in one page`);
  try {
    const formed = await within(call(page, 'formInPage', { kind, n: options.inPage, timeoutMs: options.formTimeoutMs }), options.formTimeoutMs + 30000, `${kind}: forming in one page`);
    log(`${kind}, ${options.inPage} in one page: ${formed.linkSides}/${formed.wanted} link sides open after ${formed.ms.toFixed(0)} ms`);
    await sleep(options.settleMs);
    const { args, cutoffMs } = await loadArguments(page, options);
    const profiler = options.profileTo && await startProfile(await browser.context.newCDPSession(page));
    const outcome = await loadPages([page], reports, 'runInPage', args, { expectedPerPage: (options.inPage - 1) * args.count * options.inPage, cutoffMs });
    if (profiler) await saveProfile(profiler, `${options.profileTo}-in-page-${kind}-${run}.cpuprofile`, log);
    outcome.linkFailures = await failuresIn([page], log, `${kind}, ${options.inPage} in one page`);
    const figures = pool(outcome.nodes);
    log(`${kind}, ${options.inPage} in one page under load: ${describe(figures)}; ended ${outcome.ended}${outcome.failures.length ? `; ${outcome.failures.join('; ')}` : ''}`);
    return { kind, run, linkSides: formed.linkSides, wanted: formed.wanted, formedMs: formed.ms, ended: outcome.ended, unreported: outcome.unreported, linkFailures: outcome.linkFailures, load: figures, nodes: outcome.nodes };
  } finally {
    await closePages([page], 'closeInPage');
  }
}

/** The load's arguments for the pages, and when (ms from now) the driver stops waiting for them. */
async function loadArguments(page, { rate, seconds, bytes, drainMs }) {
  // Everyone starts on the same tick of the shared clock, a second from now.
  const pageNow = await page.evaluate(() => performance.timeOrigin + performance.now());
  const args = { count: Math.round(rate * seconds), intervalMs: 1000 / rate, bytes, startAt: pageNow + 1000, drainMs };
  return { args, cutoffMs: 1000 + args.count * args.intervalMs + drainMs + 3000 };
}

const msText = (v, digits) => (Number.isFinite(v) ? `${v.toFixed(digits)} ms` : 'not delivered');

function describe(f) {
  return `${f.received}/${f.expected} delivered (${(100 * f.delivered).toFixed(1)}%), p50 ${msText(f.p50, 2)}, p99 ${msText(f.p99, 2)}, max ${f.max.toFixed(1)} ms, ${f.late} late, send lag p99 ${f.sendLagP99.toFixed(1)} ms${f.sendFailures ? `, ${f.sendFailures} sends threw (${f.lastSendError})` : ''}`;
}

export const defaultLoadOptions = {
  tabs: 8,
  inPage: 16,
  rate: 100, // messages a second per node, each broadcast to every other node
  seconds: 10,
  bytes: 100,
  idleSeconds: 5,
  settleMs: 2000, // after the links open, before idling or loading
  drainMs: 5000, // after the last send, how long receivers wait for the rest
  formTimeoutMs: 60000,
  rounds: 2, // runs per path and shape; paths take turns, raw first in the first round, rtcmesh in the second
};

/**
 * Resolves to { options, chromiumVersion, tabs: { rtcmesh, raw }, inPage: { rtcmesh, raw } },
 * each path with its runs and their figures pooled.
 */
export async function runLoadBenchmarks(overrides = {}, log = () => {}) {
  const options = { ...defaultLoadOptions, ...overrides };
  const web = await startStaticServer({ mounts, headers: crossOriginIsolation });
  const signal = await startSignalServer();
  const browser = await launchChromium();
  try {
    const browserSession = await browser.context.browser().newBrowserCDPSession();
    const chromiumVersion = browser.context.browser()?.version() ?? 'unknown';
    const runs = { tabs: { rtcmesh: [], raw: [] }, inPage: { rtcmesh: [], raw: [] } };
    for (let run = 0; run < options.rounds; run++) {
      const order = run % 2 === 0 ? ['raw', 'rtcmesh'] : ['rtcmesh', 'raw'];
      for (const [shape, runShape] of [['tabs', tabsRun], ['inPage', inPageRun]]) {
        for (const kind of order) {
          const waited = await quiesce(browserSession);
          if (waited > 1000) log(`waited ${waited} ms for Chromium to quieten before the next run`);
          runs[shape][kind].push(await runShape({ browser, browserSession, web, signal, kind, run, options, log }));
        }
      }
    }
    const summarize = (list) => ({
      runs: list.map(({ nodes, ...rest }) => rest),
      load: pool(list.flatMap((r) => r.nodes)),
      idle: list[0].idle && {
        renderers: list.reduce((s, r) => s + r.idle.renderers, 0) / list.length,
        all: list.reduce((s, r) => s + r.idle.all, 0) / list.length,
        mainTask: list.reduce((s, r) => s + r.idle.mainTask, 0) / list.length,
      },
    });
    return {
      options,
      chromiumVersion,
      tabs: { rtcmesh: summarize(runs.tabs.rtcmesh), raw: summarize(runs.tabs.raw) },
      inPage: { rtcmesh: summarize(runs.inPage.rtcmesh), raw: summarize(runs.inPage.raw) },
    };
  } finally {
    await browser.close();
    await signal.close();
    await web.close();
  }
}

/**
 * The load targets of issue #15 on a result: delivery at least raw's, p99 at
 * most 1.5× raw's; idle CPU at most 1.5× raw's. A p99 that is not finite
 * (more than 1% not delivered) misses the target, even when raw's is not
 * finite either: then the two cannot be compared.
 */
export function loadVerdicts(result) {
  const shape = ({ rtcmesh, raw }) => ({
    delivered: rtcmesh.load.delivered >= raw.load.delivered,
    p99Ratio: Number.isFinite(rtcmesh.load.p99) && Number.isFinite(raw.load.p99) ? rtcmesh.load.p99 / raw.load.p99 : NaN,
    p99: Number.isFinite(rtcmesh.load.p99) && rtcmesh.load.p99 <= 1.5 * raw.load.p99,
  });
  const idleRatio = result.tabs.rtcmesh.idle.renderers / result.tabs.raw.idle.renderers;
  return { tabs: shape(result.tabs), inPage: shape(result.inPage), idleRatio, idle: idleRatio <= 1.5 };
}

function parseArguments(argv) {
  if (argv[0] === '--json') return { json: true, ...parseArguments(argv.slice(1)) };
  const names = { '--tabs': 'tabs', '--in-page': 'inPage', '--seconds': 'seconds', '--rate': 'rate', '--idle': 'idleSeconds', '--rounds': 'rounds', '--bytes': 'bytes', '--drain-ms': 'drainMs' };
  const overrides = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = names[argv[i]];
    const value = Number(argv[i + 1]);
    if (!name || !(value > 0)) throw new Error(`usage: node bench/load.mjs ${Object.keys(names).map((n) => `[${n} N]`).join(' ')}`);
    overrides[name] = value;
  }
  return overrides;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { json, ...overrides } = parseArguments(process.argv.slice(2));
  if (process.env.RTCMESH_LOAD_PROFILE) overrides.profileTo = process.env.RTCMESH_LOAD_PROFILE;
  const result = await runLoadBenchmarks(overrides, (line) => console.log(`load: ${line}`));
  if (json) console.log(`load-json ${JSON.stringify(result)}`);
  const { options } = result;
  const verdicts = loadVerdicts(result);
  const mark = (met) => (met ? 'met' : 'MISSED');
  for (const [shape, title] of [['tabs', `${options.tabs} tabs in one room`], ['inPage', `${options.inPage} nodes in one page`]]) {
    console.log(`\n${title}, ${options.rate} broadcasts/s of ${options.bytes} B each for ${options.seconds} s:`);
    for (const kind of ['raw', 'rtcmesh']) console.log(`  ${kind.padEnd(7)} ${describe(result[shape][kind].load)}`);
    const v = verdicts[shape];
    console.log(`  delivers at least raw: ${mark(v.delivered)}; p99 ${Number.isFinite(v.p99Ratio) ? `${v.p99Ratio.toFixed(2)}x raw` : 'not comparable (more than 1% of a path\'s messages were not delivered)'} (target <= 1.5x): ${mark(v.p99)}`);
  }
  const { rtcmesh, raw } = result.tabs;
  console.log(`\nidle ${options.tabs}-tab room, CPU seconds over ${options.idleSeconds} s (renderer processes; all Chromium processes; pages' main threads):`);
  for (const [kind, idle] of [['raw', raw.idle], ['rtcmesh', rtcmesh.idle]]) {
    console.log(`  ${kind.padEnd(7)} ${idle.renderers.toFixed(2)}; ${idle.all.toFixed(2)}; ${idle.mainTask.toFixed(2)}`);
  }
  console.log(`  ${verdicts.idleRatio.toFixed(2)}x raw (target <= 1.5x): ${mark(verdicts.idle)}`);
}

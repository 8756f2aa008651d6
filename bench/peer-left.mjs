// How soon the others notice a member that went (issue "Reachability"): three
// Chromium tabs in a room on a local signaling server, then one goes, either
// closed (the page's pagehide runs: rtcmesh says goodbye) or crashed (CDP
// Page.crash: nothing runs); or the middle member is a Node process
// (tests/support/room-member.mjs, @roamhq/wrtc) that is killed. Timed, on the machine's
// one clock, from the moment it went until each other tab noticed: rtcmesh's
// `peerremoved`, and for raw RTCPeerConnections (load.js's raw client) the
// first of its channel's close or its connection going disconnected, failed
// or closed. Kinds alternate; medians of `runs`.
//
//   node bench/peer-left.mjs [runs=3]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from '../tools/static-server.mjs';
import { launchChromium } from '../tests/browser/chromium.mjs';
import { startSignalServer } from '../js/signal/server.js';

const mounts = [
  ['/bench/', 'bench'],
  ['/js/', 'js'],
  ['/dist/', 'dist'],
];
const NOTICE_TIMEOUT_MS = 40000;
const memberScript = fileURLToPath(new URL('../tests/support/room-member.mjs', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const call = (page, fn, args) => page.evaluate(async ([f, a]) => (await import('/bench/browser/peer-left.js'))[f](a), [fn, args]);

async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`peer-left bench: ${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

// The "killed" member: a Node process (tests/support/room-member.mjs) between tabs a and c.
function nodeMember(kind, url, room) {
  const child = spawn(process.execPath, [memberScript, kind, url, room, 'b'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const member = { child, links: 0 };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const match = /^linked (\d+)$/.exec(line);
    if (match) member.links = Number(match[1]);
  });
  return member;
}

async function once(browser, web, signal, kind, way, run) {
  const room = `left-${kind}-${way}-${run}`;
  const tabs = [];
  let member = null;
  try {
    for (const id of ['a', 'b', 'c']) {
      if (id === 'b' && way === 'killed') {
        member = nodeMember(kind, signal.url, room);
        continue;
      }
      const page = await browser.context.newPage();
      await page.goto(`${web.url}bench/browser/load.html`);
      await call(page, 'join', { kind, url: signal.url, room, id });
      tabs.push({ id, page });
    }
    const linked = async () => (await Promise.all(tabs.map(({ page }) => call(page, 'openLinks')))).every((n) => n === 2)
      && (member === null || member.links === 2);
    await until(linked, 60000, `three linked members (${kind}, ${way})`);
    await sleep(1000);
    const [a, victim, c] = member ? [tabs[0], null, tabs[1]] : tabs;
    const wentAt = await call(a.page, 'clock');
    if (way === 'killed') {
      member.child.kill('SIGKILL'); // nothing runs: no goodbye, no close
    } else if (way === 'closed') {
      await victim.page.close(); // runs pagehide
    } else {
      const cdp = await browser.context.newCDPSession(victim.page);
      cdp.send('Page.crash').catch(() => {}); // never answers: the renderer is gone
    }
    const noticed = [];
    for (const observer of [a, c]) {
      const at = await until(() => call(observer.page, 'goneAt', 'b'), NOTICE_TIMEOUT_MS, `${observer.id} to notice b (${kind}, ${way})`);
      noticed.push(at - wentAt);
    }
    return Math.max(...noticed);
  } finally {
    for (const { page } of tabs) if (!page.isClosed()) await page.close().catch(() => {});
    if (member && member.child.exitCode === null && member.child.signalCode === null) member.child.kill('SIGKILL');
  }
}

export async function runPeerLeftBenchmarks({ runs = 3, log = () => {} } = {}) {
  const web = await startStaticServer({ mounts });
  const signal = await startSignalServer();
  const browser = await launchChromium();
  const results = {};
  try {
    for (const way of ['closed', 'crashed', 'killed']) {
      for (let run = 0; run < runs; run++) {
        for (const kind of run % 2 === 0 ? ['rtcmesh', 'raw'] : ['raw', 'rtcmesh']) {
          // A room that does not link on a loaded machine is tried once more, in a new room.
          const ms = await once(browser, web, signal, kind, way, run).catch((error) => {
            log(`${way} ${kind} run ${run + 1}: ${error.message}; once more`);
            return once(browser, web, signal, kind, way, `${run}-again`);
          });
          ((results[way] ??= {})[kind] ??= []).push(ms);
          log(`${way} ${kind} run ${run + 1}: ${ms.toFixed(0)} ms`);
        }
      }
    }
  } finally {
    await browser.close();
    await signal.close();
    await web.close();
  }
  const summary = {};
  for (const [way, kinds] of Object.entries(results)) {
    summary[way] = Object.fromEntries(Object.entries(kinds).map(([kind, samples]) => [kind, { median: median(samples), samples }]));
  }
  return { runs, ...summary };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runPeerLeftBenchmarks({ runs: Number(process.argv[2] ?? 3), log: console.log });
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}

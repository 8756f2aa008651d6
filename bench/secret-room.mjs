// What a room secret costs (issue "Trust"): the same work in an open room and
// in a room joined with `secret`, alternating, in Node with @roamhq/wrtc and
// a local signaling server. Formation: 8 members join one after another
// (each join awaited, as pages arrive), timed until every link is open; once
// with all 8 in this process, where every member's WebCrypto calls and
// connections share one event loop, and once with each in a process of its
// own (bench/room-process.mjs, forked and loaded before the clock starts),
// as pages are.
// Throughput: 32 MiB from one member to another in 64 KiB messages.
// Latency: small-message round trips between two members (p50).
//
//   node bench/secret-room.mjs [runs=5]
import { fork } from 'node:child_process';
import wrtc from '@roamhq/wrtc';
import WebSocket from 'ws';
import { RTCMesh } from '../js/node/index.js';
import { startSignalServer } from '../js/signal/server.js';

const { RTCPeerConnection } = wrtc;
const MEMBERS = 8;
const BULK_BYTES = 32 * 2 ** 20;
const CHUNK = 64 * 1024;
const ROUND_TRIPS = 300;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

// The time at which `mark()` is first called, as a promise that fails after
// `timeoutMs`: events end the clock, not a poll of the loop being timed.
function moment(timeoutMs, what) {
  const result = { marked: false };
  result.at = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    result.mark = () => {
      if (result.marked) return;
      result.marked = true;
      clearTimeout(timer);
      resolve(performance.now());
    };
  });
  return result;
}

const fullyOpen = (meshes) => meshes.every((m) => meshes.every((o) => o === m || m.readyState(o.id) === 'open'));

async function room(server, name, count, secret) {
  const meshes = [];
  const formed = moment(60000, `${count} members to link`); // when the last link opened
  const check = () => {
    if (!formed.marked && meshes.length === count && fullyOpen(meshes)) formed.mark();
  };
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const mesh = await RTCMesh.join(server.url, name, { id: `m${i}`, WebSocket, RTCPeerConnection, ...(secret ? { secret } : {}) });
    mesh.addEventListener('addchannel', check);
    meshes.push(mesh);
  }
  check();
  return { meshes, formationMs: (await formed.at) - started };
}

// The same formation with each member in its own process.
async function processRoom(server, name, count, secret) {
  const children = Array.from({ length: count }, () => fork(new URL('./room-process.mjs', import.meta.url), { stdio: 'inherit' }));
  const open = new Array(count).fill(0);
  const next = (child, key) => new Promise((resolve) => {
    const listener = (message) => {
      if (!(key in message)) return;
      child.off('message', listener);
      resolve(message[key]);
    };
    child.on('message', listener);
  });
  try {
    const formed = moment(120000, `${count} member processes to link`); // when the last member reported all its links open
    children.forEach((child, i) => child.on('message', (message) => {
      if (!('open' in message)) return;
      open[i] = message.open;
      if (open.every((n) => n === count - 1)) formed.mark();
    }));
    await Promise.all(children.map((child) => next(child, 'ready')));
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const joined = next(children[i], 'joined');
      children[i].send({ join: { url: server.url, room: name, id: `m${i}`, secret } });
      await joined;
    }
    return (await formed.at) - started;
  } finally {
    for (const child of children) child.kill();
  }
}

async function bulk(sender, receiver) {
  let received = 0;
  const done = new Promise((resolve) =>
    receiver.addEventListener('message', ({ data }) => {
      received += data.byteLength;
      if (received >= BULK_BYTES) resolve();
    }),
  );
  const started = performance.now();
  const chunk = new Uint8Array(CHUNK);
  for (let sent = 0; sent < BULK_BYTES; sent += CHUNK) {
    while (sender.bufferedAmount(receiver.id) > 8 * 2 ** 20) await new Promise((resolve) => setTimeout(resolve, 1));
    sender.send(receiver.id, chunk);
  }
  await done;
  return BULK_BYTES / 1e6 / ((performance.now() - started) / 1000);
}

async function roundTrips(a, b) {
  b.addEventListener('message', ({ data }) => typeof data === 'string' && b.send(a.id, data));
  const times = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const back = new Promise((resolve) => a.addEventListener('message', resolve, { once: true }));
    const started = performance.now();
    a.send(b.id, `ping ${i}`);
    await back;
    times.push(performance.now() - started);
  }
  return median(times);
}

async function once(server, mode, run) {
  const secret = mode === 'secret' ? RTCMesh.createSecret() : undefined;
  const formed = await room(server, `formation-${mode}-${run}`, MEMBERS, secret);
  for (const mesh of formed.meshes) mesh.close();
  const processFormationMs = await processRoom(server, `processes-${mode}-${run}`, MEMBERS, secret);
  const pair = await room(server, `pair-${mode}-${run}`, 2, secret);
  try {
    const [a, b] = pair.meshes;
    return { formationMs: formed.formationMs, processFormationMs, mbPerSecond: await bulk(a, b), rttMs: await roundTrips(a, b) };
  } finally {
    for (const mesh of pair.meshes) mesh.close();
  }
}

export async function runSecretRoomBenchmarks({ runs = 5, log = () => {} } = {}) {
  const server = await startSignalServer();
  const samples = { open: [], secret: [] };
  try {
    for (let run = 0; run < runs; run++) {
      for (const mode of run % 2 === 0 ? ['open', 'secret'] : ['secret', 'open']) {
        const sample = await once(server, mode, run);
        samples[mode].push(sample);
        log(`${mode} run ${run + 1}: ${JSON.stringify(sample)}`);
      }
    }
  } finally {
    await server.close();
  }
  const summary = (mode) => ({
    formationMs: median(samples[mode].map((s) => s.formationMs)),
    processFormationMs: median(samples[mode].map((s) => s.processFormationMs)),
    mbPerSecond: median(samples[mode].map((s) => s.mbPerSecond)),
    rttMs: median(samples[mode].map((s) => s.rttMs)),
    samples: samples[mode],
  });
  return { runs, members: MEMBERS, bulkBytes: BULK_BYTES, roundTrips: ROUND_TRIPS, open: summary('open'), secret: summary('secret') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runSecretRoomBenchmarks({ runs: Number(process.argv[2] ?? 5), log: console.log });
  const { samples: _o, ...open } = result.open;
  const { samples: _s, ...secret } = result.secret;
  console.log(JSON.stringify({ open, secret }, null, 2));
  process.exit(0);
}

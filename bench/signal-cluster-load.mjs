// Load on rtcmesh-signal processes: C clients in R rooms, spread over P server
// processes (P > 1: a cluster on a throwaway redis-server; P = 1: one process,
// rooms in memory). Clients live in this process and are dealt to servers in
// turn, so every room spans every process.
//
//  1. server memory is read (VmRSS of each process, after a full garbage
//     collection), then all sockets connect;
//  2. every client joins (at most `joinConcurrency` joins in flight), and
//     each join's time from the join frame to the welcome is recorded;
//  3. once presence has settled, memory is read again: the growth divided by
//     the clients is the memory per idle joined connection (socket, member,
//     presence; the kernel's socket buffers are not in RSS), both as RSS and
//     as JS heap plus external memory;
//  4. `rounds` times, every client signals every other member of its room;
//     signals/s is all of them over the time from the first send to the
//     last arrival. Lost, misdelivered and cross-room frames are counted.
//
//   node bench/signal-cluster-load.mjs            prints both runs as JSON
//   node bench/signal-cluster-load.mjs --write    also rewrites that section of BENCHMARKS.md
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { RecordingClient } from '../tests/support/ws-client.mjs';
import { binNodeFlags, startSignalCluster, startSignalProcess } from '../tools/signal-cluster.mjs';
import { wsBaselineMemory } from './ws-baseline-memory.mjs';

function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function inBatches(items, size, each) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`signal load: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * `spread`: 'clients' deals clients to processes in turn (every room spans
 * every process: most signals cross Redis); 'rooms' keeps each room on one
 * process (as a load balancer routing by room would), so Redis carries
 * presence but few signals. `redis: false` with 'rooms': independent
 * processes, no Redis at all.
 */
export async function runClusterLoad({ clients = 2000, rooms = 200, processes = 3, rounds = 3, warmupRounds = 1, joinConcurrency = 50, timeoutMs = 120000, spread = 'clients', redis = true } = {}) {
  // Every client comes from 127.0.0.1: lift the per-address caps for the load.
  const limits = { maxSocketsPerIp: clients + 100, maxSockets: clients + 100, ipJoinBurst: clients + 100 };
  const nodeArgs = ['--expose-gc', '--import', new URL('./gc-on-signal.mjs', import.meta.url).href];
  // redis false: independent processes, each with its rooms in memory (the
  // control: what running that many processes costs on this machine).
  const cluster = processes > 1 && redis
    ? await startSignalCluster({ count: processes, limits, nodeArgs })
    : { nodes: await Promise.all(Array.from({ length: processes }, () => startSignalProcess({ limits, nodeArgs }))), stop: null };
  cluster.stop ??= () => Promise.all(cluster.nodes.map((node) => node.stop('SIGKILL')));
  const urls = cluster.nodes.map((node) => node.url);
  const members = Array.from({ length: clients }, (_, i) => ({
    room: `room-${i % rooms}`, peer: `peer-${i}`, url: urls[(spread === 'rooms' ? i % rooms : i) % urls.length],
  }));
  const perRoom = new Map();
  for (const m of members) perRoom.set(m.room, (perRoom.get(m.room) ?? 0) + 1);
  // After a full collection in each server (bench/gc-on-signal.mjs): the
  // processes' RSS, and their JS heap plus external memory.
  const serverMemory = () => Promise.all(cluster.nodes.map((node) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a server did not report its memory')), 5000);
    const onData = (chunk) => {
      const match = /rtcmesh-bench-memory (\{.*\})/.exec(String(chunk));
      if (!match) return;
      clearTimeout(timer);
      node.child.stdout.off('data', onData);
      const { heapUsed, external } = JSON.parse(match[1]);
      resolve({ rss: rssBytes(node.pid), js: heapUsed + external });
    };
    node.child.stdout.on('data', onData);
    node.child.kill('SIGUSR2');
  }))).then((all) => ({ rss: all.reduce((sum, m) => sum + m.rss, 0), js: all.reduce((sum, m) => sum + m.js, 0) }));
  try {
    const memoryIdle = await serverMemory();
    await inBatches(members, 100, async (m) => { m.client = await RecordingClient.connect(m.url); });

    const joinMs = [];
    const joinStarted = performance.now();
    await inBatches(members, joinConcurrency, async (m) => {
      const started = performance.now();
      await m.client.join(m.room, m.peer);
      joinMs.push(performance.now() - started);
    });
    const joinAllMs = performance.now() - joinStarted;
    // Presence settles: every member has heard of every other (welcome or peer-joined).
    const known = (m) => {
      const welcome = m.client.frames.find((f) => f.type === 'welcome');
      return welcome.peers.length + m.client.frames.filter((f) => f.type === 'peer-joined').length;
    };
    await waitFor(() => members.every((m) => known(m) === perRoom.get(m.room) - 1), timeoutMs, 'presence to settle');
    const memoryJoined = await serverMemory();

    const signalsOf = (m) => m.client.frames.filter((f) => f.type === 'signal');
    const byRoom = new Map();
    for (const m of members) byRoom.set(m.room, [...(byRoom.get(m.room) ?? []), m]);
    const signalRound = (round) => {
      let count = 0;
      for (const from of members) {
        for (const to of byRoom.get(from.room)) {
          if (to === from) continue;
          from.client.send({ type: 'signal', to: to.peer, data: { round, note: `${from.peer}->${to.peer}` } });
          count++;
        }
      }
      return count;
    };
    // Warm-up rounds, not measured: each server process compiles its hot
    // paths while it handles them, so the figures are the steady state's.
    for (let round = 0; round < warmupRounds; round++) signalRound(-1 - round);
    const warmup = new Map(members.map((m) => [m, (perRoom.get(m.room) - 1) * warmupRounds]));
    await waitFor(() => members.every((m) => signalsOf(m).length >= warmup.get(m)), timeoutMs, 'the warm-up signals to arrive');
    for (const m of members) m.client.frames = m.client.frames.filter((f) => f.type !== 'signal');
    const expected = new Map(members.map((m) => [m, (perRoom.get(m.room) - 1) * rounds]));
    let sent = 0;
    const cpuOf = () => ({
      servers: cluster.nodes.reduce((sum, node) => sum + cpuSeconds(node.pid), 0),
      redis: cluster.redis ? cpuSeconds(cluster.redis.pid) : 0,
      clients: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    });
    const cpuBefore = cpuOf();
    const sendStarted = performance.now();
    for (let round = 0; round < rounds; round++) sent += signalRound(round);
    let lastArrival = 0;
    await waitFor(() => {
      const done = members.every((m) => signalsOf(m).length >= expected.get(m));
      if (done) lastArrival = performance.now();
      return done;
    }, timeoutMs, 'every signal to arrive');
    const signalMs = lastArrival - sendStarted;
    const cpuAfter = cpuOf();
    const cpuMicrosPerSignal = (key) => Number((((cpuAfter[key] - cpuBefore[key]) / sent) * 1e6).toFixed(1));

    const received = members.reduce((sum, m) => sum + signalsOf(m).length, 0);
    const misdelivered = members.reduce((sum, m) => sum + signalsOf(m).filter((f) => f.data?.note !== `${f.from}->${m.peer}`).length, 0);
    const roomOf = new Map(members.map((m) => [m.peer, m.room]));
    const crossRoom = members.reduce((sum, m) => sum + m.client.frames
      .filter((f) => (f.type === 'signal' || f.type === 'peer-joined') && roomOf.get(f.from ?? f.peer) !== m.room).length, 0);
    const errors = members.reduce((sum, m) => sum + m.client.frames.filter((f) => f.type === 'error').length, 0);
    joinMs.sort((a, b) => a - b);
    return {
      processes, clients, rooms, rounds, warmupRounds, spread, redis,
      joinP50Ms: Number(percentile(joinMs, 50).toFixed(1)),
      joinP99Ms: Number(percentile(joinMs, 99).toFixed(1)),
      joinAllMs: Math.round(joinAllMs),
      sent, received, lost: sent - received, misdelivered, crossRoom, errors,
      signalsPerSecond: Math.round((sent / signalMs) * 1000),
      serverCpuMicrosPerSignal: cpuMicrosPerSignal('servers'),
      redisCpuMicrosPerSignal: cpuMicrosPerSignal('redis'),
      clientCpuMicrosPerSignal: cpuMicrosPerSignal('clients'),
      bytesPerIdleConnection: Math.round((memoryJoined.rss - memoryIdle.rss) / clients),
      jsBytesPerIdleConnection: Math.round((memoryJoined.js - memoryIdle.js) / clients),
      serverRssMB: Number((memoryJoined.rss / 1e6).toFixed(1)),
      loadAverage: Number(os.loadavg()[0].toFixed(1)),
    };
  } finally {
    for (const m of members) m.client?.socket.terminate();
    await cluster.stop();
  }
}

export const targets = [
  ['0 signals lost', (single, multi) => single.lost === 0 && multi.lost === 0],
  ['join p99 ≤ 250 ms on loopback', (single, multi) => single.joinP99Ms <= 250 && multi.joinP99Ms <= 250],
  ['cluster signals/s ≥ 0.8 × one process', (single, multi) => multi.signalsPerSecond >= 0.8 * single.signalsPerSecond],
  ['server memory (RSS) per idle connection ≤ 16 kB', (single, multi) => single.bytesPerIdleConnection <= 16000 && multi.bytesPerIdleConnection <= 16000],
];

/** The bare-ws floor for the memory figure, without and with rtcmesh-signal's Node flags. */
export async function wsBaselines(clients) {
  return { plain: await wsBaselineMemory(clients, []), bounded: await wsBaselineMemory(clients, binNodeFlags) };
}

/** The BENCHMARKS.md section for the two runs. */
export function clusterSection(single, multi, table, sharded = null, baseline = null, control = null) {
  const name = (r) => {
    if (r.processes === 1) return '1 process (in memory)';
    if (!r.redis) return `${r.processes} independent processes, no Redis, each room on one (the control)`;
    return `${r.processes} processes + Redis, ${r.spread === 'rooms' ? 'each room on one process' : 'every room on every process'}`;
  };
  const row = (r) => [name(r), r.joinP50Ms, r.joinP99Ms,
    r.signalsPerSecond, r.serverCpuMicrosPerSignal, r.redisCpuMicrosPerSignal, r.sent, r.lost, r.misdelivered + r.crossRoom, r.errors,
    (r.bytesPerIdleConnection / 1000).toFixed(1), (r.jsBytesPerIdleConnection / 1000).toFixed(1)];
  return `## Signaling across processes

${multi.clients} WebSocket clients in ${multi.rooms} rooms (${multi.clients / multi.rooms} per room) on loopback, dealt in
turn to the server processes so that every room spans all of them (the targets
are checked on this run); the clients run in one Node process. Joins run ${'50'} at a time; each client then signals every other
member of its room ${multi.rounds} times, after ${multi.warmupRounds} unmeasured warm-up round${multi.warmupRounds === 1 ? '' : 's'} (each server process compiles its hot
paths as it handles them). Medians of ${multi.runs} alternating runs (sums for
signals sent, lost, misdelivered and errors). Memory: growth of the servers' RSS per joined idle
connection, from before the first socket, each read after a full garbage collection
(\`bench/signal-cluster-load.mjs\`). The servers are \`rtcmesh-signal\` processes run with the
Node flags of its shebang (\`${binNodeFlags.join(' ')}\`). Servers, Redis and clients share the machine's
${os.cpus().length} cores (1-minute load average at the end of the runs: ${single.loadAverage} and ${multi.loadAverage}; above
${os.cpus().length}, other work was running on the machine too).

${table(['servers', 'join p50 ms', 'join p99 ms', 'signals/s', 'servers\' CPU µs per signal', 'Redis CPU µs per signal', 'signals sent', 'lost', 'misdelivered', 'errors', 'kB per idle connection (RSS)', '(JS heap + external)'], [single, multi, sharded, control].filter(Boolean).map(row))}

${baseline ? `For scale, the floor: a bare \`ws\` server that answers each socket's one frame grows by
${(baseline.plain / 1000).toFixed(1)} kB of RSS per connection, and by ${(baseline.bounded / 1000).toFixed(1)} kB with \`${binNodeFlags.join(' ')}\`, read the same way
on the same machine (\`bench/ws-baseline-memory.mjs\`).
` : ''}
${table(['target', 'met?'], targets.map(([name, check]) => [name, check(single, multi) ? 'met' : '**missed**']))}

A signal between two processes is handled by both of them and by Redis
(signals for one process are published as one batch per event-loop turn),
and here all of them, and the clients, share ${os.cpus().length} cores.
${sharded ? `With each room on one process no signal crosses Redis, so that run is the
ceiling for the cluster here: ${(sharded.signalsPerSecond / single.signalsPerSecond).toFixed(2)} × one process, against ${(multi.signalsPerSecond / single.signalsPerSecond).toFixed(2)} × with
every room on every process.
` : ''}${control ? `The control runs the same number of processes with no Redis and no cluster code,
each room wholly on one: ${(control.signalsPerSecond / single.signalsPerSecond).toFixed(2)} × one process, at ${control.serverCpuMicrosPerSignal} µs of server CPU per signal against
${single.serverCpuMicrosPerSignal} µs for one process. On this machine three busy server processes cost ${(control.serverCpuMicrosPerSignal / single.serverCpuMicrosPerSignal).toFixed(1)} times the CPU per
signal that one does, whatever they share; the Redis path adds ${(multi.serverCpuMicrosPerSignal - control.serverCpuMicrosPerSignal).toFixed(1)} µs on top (and Redis itself
${multi.redisCpuMicrosPerSignal} µs). The target compares the cluster with one process on the same 2 cores, so it measures
that cost; across machines each process would have cores of its own.
` : ''}The memory per connection of the cluster is the sum over its processes, each
of which also keeps a view of every room it serves; RSS can grow by less than
the heap where the heap reuses pages a process had committed before the first
socket.`;
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/**
 * Runs the three configurations `times` times, alternating, and keeps the
 * median of each figure (the sums for sent, lost, misdelivered and errors):
 * other work on the machine moves single runs a lot.
 */
export async function runClusterLoads({ times = 3, ...options } = {}) {
  const configs = [{ processes: 1 }, { processes: 3 }, { processes: 3, spread: 'rooms' }, { processes: 3, spread: 'rooms', redis: false }];
  const runs = configs.map(() => []);
  for (let t = 0; t < times; t++) {
    for (const [i, config] of configs.entries()) {
      const result = await runClusterLoad({ ...options, ...config });
      console.log(JSON.stringify(result));
      runs[i].push(result);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const summed = new Set(['sent', 'received', 'lost', 'misdelivered', 'crossRoom', 'errors']);
  return runs.map((list) => {
    const combined = { runs: list.length };
    for (const key of Object.keys(list[0])) {
      const values = list.map((r) => r[key]);
      if (typeof values[0] !== 'number' || ['processes', 'clients', 'rooms', 'rounds', 'warmupRounds'].includes(key)) combined[key] = values[0];
      else combined[key] = summed.has(key) ? values.reduce((a, b) => a + b, 0) : median(values);
    }
    return combined;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [single, multi, sharded, control] = await runClusterLoads();
  console.log(JSON.stringify({ single, multi, sharded, control }));
  if (process.argv.includes('--write')) {
    const path = new URL('../BENCHMARKS.md', import.meta.url);
    const document = await readFile(path, 'utf8');
    const baseline = await wsBaselines(multi.clients);
    console.log(JSON.stringify({ wsBaseline: baseline }));
    const section = clusterSection(single, multi, table, sharded, baseline, control);
    const start = document.indexOf('## Signaling across processes');
    const next = start < 0 ? -1 : document.indexOf('\n## ', start + 1);
    const updated = start < 0
      ? document.replace('\n## Fuzzing', `\n${section}\n\n## Fuzzing`)
      : `${document.slice(0, start)}${section}\n${next < 0 ? '' : document.slice(next)}`;
    await writeFile(path, updated);
    console.log('wrote the section to BENCHMARKS.md');
  }
}

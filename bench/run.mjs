// `npm run bench`: runs every benchmark in one go and rewrites BENCHMARKS.md.
// Figures that compare two things are measured in the same run, so the ratio
// holds even on a noisy machine; absolute numbers are this machine's.
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { runDataChannelBenchmarks } from './datachannel.mjs';
import { runSignalLoad } from './signal-load.mjs';
import { clusterSection, runClusterLoads, wsBaselines } from './signal-cluster-load.mjs';
import { runSizeBenchmarks } from './size.mjs';
import { electionTimes, nativeRaftThroughput, simulatorSweeps, wasmRaftThroughput } from './raft.mjs';
import { runFuzzTotals } from './fuzz.mjs';

const fixed = (value, digits = 1) => (typeof value === 'number' ? value.toFixed(digits) : String(value));
const kb = (bytes) => (bytes / 1000).toFixed(1);

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function sizeSection(rows) {
  const ours = rows.find((row) => row.name === 'rtcmesh (JS + wasm)');
  return `## Bundle size

What a browser downloads: rtcmesh's JS bundled and minified by esbuild plus its
\`.wasm\`, next to the peers bundled the same way from npm (kB = 1000 bytes).

${table(['bundle', 'raw kB', 'gzip kB', 'brotli kB'], rows.map((row) => (row.error
    ? [row.name, 'failed to bundle', row.error, '']
    : [row.name, kb(row.raw), kb(row.gzip), kb(row.brotli)])))}

Target: at most 150 kB gzip: **${ours.gzip <= 150000 ? 'met' : 'missed'}** (${kb(ours.gzip)} kB).
`;
}

const verdict = (met) => (met ? '**met**' : '**missed**');

function dataChannelSection(result, totalBytes, rounds) {
  const { raw, mesh, simplePeer } = result.throughput;
  const mb = totalBytes / (1024 * 1024);
  const runs = (path) => path.samples.map((v) => fixed(v)).join(', ');
  const latency = result.latency;
  const p50Overhead = latency.mesh.p50 / latency.raw.p50 - 1;
  const eight = result.formation.find(({ raw: r }) => r.peers === 8);
  const formationRatio = eight.mesh.ms / eight.raw.ms;
  return `## Data channel throughput

Two peers in one headless Chromium page, 64 KiB messages, ${mb} MiB in total
per run; the paths take turns, three runs each, and the median is shown (all
runs in MB/s: raw ${runs(raw)}; RTCMesh ${runs(mesh)}; simple-peer ${runs(simplePeer)}).
Raw: \`bufferedAmountLowThreshold\` 1 MiB, sending paused above 4 MiB buffered.
RTCMesh: \`send(peer, data)\`, paused while \`bufferedAmount(peer)\` is above
4 MiB until \`bufferedamountlow\`. simple-peer: its stream \`write()\` with \`drain\`.

${table(['path', 'MB/s', 'ratio to raw'], [
    ['raw RTCDataChannel', fixed(raw.mbPerSecond), '1.00'],
    ['RTCMesh (wasm path)', fixed(mesh.mbPerSecond), fixed(mesh.mbPerSecond / raw.mbPerSecond, 2)],
    ['simple-peer', fixed(simplePeer.mbPerSecond), fixed(simplePeer.mbPerSecond / raw.mbPerSecond, 2)],
  ])}

Targets: RTCMesh at least 0.9× raw: ${verdict(mesh.mbPerSecond >= 0.9 * raw.mbPerSecond)};
at least simple-peer: ${verdict(mesh.mbPerSecond >= simplePeer.mbPerSecond)}.

## Small-message latency

100-byte ping-pong, ${rounds} round trips, in milliseconds, both peers in one
cross-origin isolated page (so \`performance.now()\` has 5 µs steps, and both
ends' work shares one thread).

${table(['path', 'p50', 'p99', 'p99.9'], [
    ['raw RTCDataChannel', fixed(latency.raw.p50, 2), fixed(latency.raw.p99, 2), fixed(latency.raw.p999, 2)],
    ['RTCMesh (wasm path)', fixed(latency.mesh.p50, 2), fixed(latency.mesh.p99, 2), fixed(latency.mesh.p999, 2)],
  ])}

Target: p50 overhead at most 10% of raw: ${verdict(p50Overhead <= 0.1)} (${fixed(100 * p50Overhead, 0)}%).

## Mesh formation

Time from start until every pair of N peers has an open channel, all peers in
one page; raw = pairwise connections made by a minimal script, RTCMesh = N
meshes signaling each other in the page. Best of three alternating runs.

${table(['peers', 'channels', 'raw ms', 'RTCMesh ms', 'ratio'], result.formation.map(({ raw: r, mesh: m }) => [
    r.peers, r.channels, fixed(r.ms), fixed(m.ms), fixed(m.ms / r.ms, 2),
  ]))}

Target: 8-peer formation at most 1.5× raw: ${verdict(formationRatio <= 1.5)} (${fixed(formationRatio, 2)}×).

## Large message

${result.large.mesh.bytes / 2 ** 20} MiB to ${result.large.mesh.receivers} peers: RTCMesh \`broadcast\` (chunked,
acknowledged, reassembled in the wasm heap) against raw channels with manual
64 KiB chunking and reassembly.

${table(['path', 'ms', 'ratio to raw'], [
    ['raw, manual chunks', fixed(result.large.raw.ms, 0), '1.00'],
    ['RTCMesh broadcast', fixed(result.large.mesh.ms, 0), fixed(result.large.mesh.ms / result.large.raw.ms, 2)],
  ])}

## Memory

${result.memory.meshes} meshes in one page, each connected to ${result.memory.meshes - 1} peers
(${result.memory.links} peer entries in all), after the links are open and idle.

${table(['wasm heap per peer (bytes)', 'JS heap per peer (bytes)', 'wasm memory size (MB)'], [[
    fixed(result.memory.wasmBytesPerPeer, 0), fixed(result.memory.jsBytesPerPeer, 0), fixed(result.memory.wasmHeapBytes / 1e6),
  ]])}

Measured in a fresh page, after \`gc()\`. The wasm memory never shrinks: a
page that once reassembled a large message keeps that much memory.`;
}

function raftSection(raft, elections) {
  const rows = raft.map(({ where, nodes, entries, seconds, entries_per_second: rate }) => [where, nodes, entries, fixed(seconds, 2), Math.round(rate).toLocaleString('en-US')]);
  const native3 = raft.find((r) => r.where === 'native' && r.nodes === 3);
  return `## Raft throughput

Committed entries per second (applied on every member), 100-byte entries
proposed in batches of 1000 on a perfect in-process network, all members in
one thread. Native: \`build/native/raft-bench\` (each member persists to a
MemoryStorage and compacts every 100,000 entries). Wasm: the same cluster
through the public \`Raft\` class under Node.

${table(['build', 'nodes', 'entries', 'seconds', 'entries/s'], rows)}

Target: native Raft at least 1,000,000 committed entries/s: ${verdict(native3.entries_per_second >= 1e6)} for 3 nodes.
The wasm path hands each Ready to JS packed in one buffer (no embind object
per field); what remains is one crossing and one promise per proposal, and
the copies of each entry's bytes into and out of the wasm heap.

### Election time (the Raft paper's Figure 16)

\`raft-sim --figure16 [--no-prevote]\`: ${elections.trials} trials, 5 nodes, election timeouts 150-300 ms, heartbeat
50 ms, one-way delay uniform in 7-22 ms (broadcast time ~15 ms); the leader
crashes at a random point of its heartbeat interval. Time from the crash
until the new leader's first heartbeat has reached every other node
(the followers' leader lease included), as the paper ran it and with PreVote:

${table(['PreVote', 'median ms', 'p99 ms', 'max ms', 'split votes', 'trials over 513 ms', 'of them after a split vote'],
    elections.rows.map((r) => [r.preVote ? 'on' : 'off (the paper)', r.median, r.p99, r.max, r.splitVotes, r.overPaperWorst, r.overAfterSplit]))}

The paper's worst case was 513 ms. Every trial beyond it here followed a split
vote: two candidates timed out within a round trip of each other, neither won,
and a second randomized timeout (150-300 ms) had to pass. PreVote adds one
round trip to every election (the median moves by about that) and, because
pre-candidates do not raise terms, lets split pre-votes repeat. Shortening the
tail means a wider timeout range or fewer near-simultaneous timeouts, both
trade-offs against the median; the defaults keep the paper's range.
`;
}

function simulatorSection({ sweeps, hunts }) {
  return `### Raft fault simulator

\`raft-sim --seeds 1-N --nodes K\` (the same sweeps \`npm test\` runs): every fault on
(loss, duplication, delays past the election timeout, partitions, crashes
with torn writes, asynchronous disk writes, paused clocks, leader removal and
replacement, newcomers, compaction, ReadIndex, close, hostile messages), the
five safety properties after every step, removal and liveness checks at the
end, then linearizability of the KV history.

${table(['nodes', 'seeds', 'violations', 'seconds', 'seeds/s', 'client ops', 'hostile refused', 'snapshots installed', 'ReadIndex reads', 'removals learned', 'undecided histories'],
    sweeps.map((s) => [s.nodes, s.seeds, s.failed, s.seconds, s.perSecond, s.operations.toLocaleString('en-US'), s.hostile, s.snapshots, s.reads, s.removals, s.undecided]))}

The test-only core faults must be caught (\`--fault two-votes|old-term --expect-failure\`):

${table(['nodes', 'fault', 'caught at seed'], hunts.map((h) => [h.nodes, h.fault, h.seed ?? '**not caught**']))}

The old-term commit (Figure 8) is reached at 5 nodes by runs in which a
leader whose commit index lands on an entry of an older term applies it and
crashes before it sends its next append, with small batches and windows so
that old entries travel apart from the new leader's no-op.`;
}

function fuzzSection(results) {
  const total = results.reduce((sum, r) => sum + r.executions, 0);
  const crashes = results.filter((r) => r.crashed).length;
  return `## Fuzzing

Each libFuzzer target (clang, ASan + UBSan) for ${results[0]?.seconds ?? 0} s from its seed corpus
in \`fuzz/corpus/\`. \`npm test\` runs them for 30 s each.

${table(['target', 'executions', 'coverage (edges)', 'crashed'], results.map((r) => [r.target, r.executions.toLocaleString('en-US'), r.coverage, r.crashed ? '**yes**' : 'no']))}

Total: ${total.toLocaleString('en-US')} executions, ${crashes} crashes.`;
}

function signalSection(load) {
  return `## Signaling server load

${load.clients} WebSocket clients in ${load.rooms} rooms on loopback, in one
process with the server; each client signals every other member of its room.

${table(['signals sent', 'received', 'cross-room', 'errors', 'join all ms', 'total ms', 'signals/s', 'heap growth MB (server + clients)'], [[
    load.sent, load.received, load.crossRoomFrames, load.errors, load.joinMs, load.totalMs, load.framesPerSecond, fixed(load.serverHeapGrowthBytes / 1e6),
  ]])}`;
}

// `npm run bench -- --raft-only`: re-measures the Raft and simulator sections
// and puts them in place in BENCHMARKS.md (from "## Raft throughput" to the
// next "## "), leaving the other figures as they were.
async function updateRaftSections() {
  const raft = [];
  for (const nodes of [3, 5]) raft.push({ where: 'native', ...(await nativeRaftThroughput(nodes)) });
  for (const nodes of [3, 5]) raft.push({ where: 'wasm (Node)', ...(await wasmRaftThroughput(nodes, 50000)) });
  const elections = await electionTimes(1000);
  const simulator = await simulatorSweeps();
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const text = await readFile(file, 'utf8');
  const start = text.indexOf('## Raft throughput');
  const end = text.indexOf('\n## ', start + 1);
  if (start < 0 || end < 0) throw new Error('BENCHMARKS.md has no "## Raft throughput" section to replace');
  const sections = `${raftSection(raft, elections)}\n\n${simulatorSection(simulator)}\n`;
  const stamp = `\n_Raft sections re-measured ${new Date().toISOString()} by \`npm run bench -- --raft-only\`._\n`;
  await writeFile(file, text.slice(0, start) + sections + stamp + text.slice(end));
  console.log('bench: wrote the Raft sections of BENCHMARKS.md');
}

async function main() {
  if (process.argv.includes('--raft-only')) return updateRaftSections();
  const totalBytes = 256 * 1024 * 1024;
  const rounds = 10000;
  const started = new Date();
  console.log('bench: bundle size');
  const sizes = await runSizeBenchmarks();
  console.log('bench: data channels in Chromium');
  const dataChannel = await runDataChannelBenchmarks({ totalBytes, rounds });
  console.log('bench: Raft throughput');
  const raft = [];
  for (const nodes of [3, 5]) raft.push({ where: 'native', ...(await nativeRaftThroughput(nodes)) });
  console.log('bench: Raft throughput in wasm');
  for (const nodes of [3, 5]) raft.push({ where: 'wasm (Node)', ...(await wasmRaftThroughput(nodes, 50000)) });
  console.log('bench: election times');
  const elections = await electionTimes(1000);
  console.log('bench: fault simulator sweeps');
  const simulator = await simulatorSweeps();
  console.log('bench: fuzzing totals');
  const fuzz = await runFuzzTotals(15);
  console.log('bench: signaling server load');
  const load = await runSignalLoad({ clients: 200, rooms: 20 });
  console.log('bench: signaling across processes (2,000 clients, 1 process, then 3 on Redis)');
  const [singleProcess, threeProcesses, threeSharded] = await runClusterLoads();
  const wsBaseline = await wsBaselines(threeProcesses.clients);

  const document = `# rtcmesh benchmarks

Written by \`npm run bench\` (bench/run.mjs); do not edit by hand.

- Date: ${started.toISOString()}
- Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}
- Chromium ${dataChannel.chromiumVersion}, Node ${process.version}
- Command: \`npm run bench\`

${sizeSection(sizes)}

${dataChannelSection(dataChannel, totalBytes, rounds)}

${raftSection(raft, elections)}

${simulatorSection(simulator)}

${signalSection(load)}

${clusterSection(singleProcess, threeProcesses, table, threeSharded, wsBaseline)}

${fuzzSection(fuzz)}
`;
  await writeFile(new URL('../BENCHMARKS.md', import.meta.url), document);
  console.log(`bench: wrote BENCHMARKS.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// A benchmark whose promise can never settle would let Node exit quietly
// with status 0; say so and fail instead.
let finished = false;
process.on('exit', (code) => {
  if (!finished && code === 0) {
    console.error('bench: stopped early: a benchmark waited on something that can never happen');
    process.exitCode = 1;
  }
});

main().then(() => { finished = true; }).catch((error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});

// `npm run bench`: runs every benchmark in one go and rewrites BENCHMARKS.md.
// Figures that compare two things are measured in the same run, so the ratio
// holds even on a noisy machine; absolute numbers are this machine's.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { runDataChannelBenchmarks } from './datachannel.mjs';
import { runSignalLoad } from './signal-load.mjs';
import { runSizeBenchmarks } from './size.mjs';

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
The wasm core holds only what has landed so far; this figure grows as the
mesh and Raft cores are bound.`;
}

function dataChannelSection(result, totalBytes, rounds) {
  const { raw, simplePeer } = result.throughput;
  const mb = totalBytes / (1024 * 1024);
  return `## Data channel throughput

Two peers in one headless Chromium page, 64 KiB messages, ${mb} MiB in total
per run; the paths take turns, three runs each, and the median is shown
(all runs: raw ${raw.samples.map((v) => fixed(v)).join(', ')}; simple-peer
${simplePeer.samples.map((v) => fixed(v)).join(', ')} MB/s).
Raw: \`bufferedAmountLowThreshold\` 1 MiB, sending paused above 4 MiB buffered.
simple-peer: its stream \`write()\` with \`drain\`.

${table(['path', 'MB/s', 'ratio to raw'], [
    ['raw RTCDataChannel', fixed(raw.mbPerSecond), '1.00'],
    ['simple-peer', fixed(simplePeer.mbPerSecond), fixed(simplePeer.mbPerSecond / raw.mbPerSecond, 2)],
    ['RTCMesh (wasm path)', 'not measured yet', 'the JS API is not bound yet'],
  ])}

## Small-message latency

100-byte ping-pong, ${rounds} round trips, in milliseconds (Chromium's
\`performance.now()\` is coarsened to 0.1 ms in pages that are not
cross-origin isolated).

${table(['path', 'p50', 'p99', 'p99.9'], [
    ['raw RTCDataChannel', fixed(result.latency.raw.p50, 2), fixed(result.latency.raw.p99, 2), fixed(result.latency.raw.p999, 2)],
    ['RTCMesh (wasm path)', 'not measured yet', '', ''],
  ])}

## Mesh formation

Time from start until every pair of N peers has an open channel, all peers in
one page; raw = pairwise connections made by a minimal script.

${table(['peers', 'channels', 'raw ms', 'RTCMesh ms'], result.formation.map(({ raw }) => [raw.peers, raw.channels, fixed(raw.ms), 'not measured yet']))}`;
}

function signalSection(load) {
  return `## Signaling server load

${load.clients} WebSocket clients in ${load.rooms} rooms on loopback, in one
process with the server; each client signals every other member of its room.

${table(['signals sent', 'received', 'cross-room', 'errors', 'join all ms', 'total ms', 'signals/s', 'heap growth MB (server + clients)'], [[
    load.sent, load.received, load.crossRoomFrames, load.errors, load.joinMs, load.totalMs, load.framesPerSecond, fixed(load.serverHeapGrowthBytes / 1e6),
  ]])}`;
}

async function main() {
  const totalBytes = 256 * 1024 * 1024;
  const rounds = 10000;
  const started = new Date();
  console.log('bench: bundle size');
  const sizes = await runSizeBenchmarks();
  console.log('bench: data channels in Chromium');
  const dataChannel = await runDataChannelBenchmarks({ totalBytes, rounds });
  console.log('bench: signaling server load');
  const load = await runSignalLoad({ clients: 200, rooms: 20 });

  const document = `# rtcmesh benchmarks

Written by \`npm run bench\` (bench/run.mjs); do not edit by hand.

- Date: ${started.toISOString()}
- Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}
- Chromium ${dataChannel.chromiumVersion}, Node ${process.version}
- Command: \`npm run bench\`

${sizeSection(sizes)}

${dataChannelSection(dataChannel, totalBytes, rounds)}

${signalSection(load)}
`;
  await writeFile(new URL('../BENCHMARKS.md', import.meta.url), document);
  console.log(`bench: wrote BENCHMARKS.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});

// A link cut and restored in the simulated WebRTC (issue #18): runs
// build/native/native-tests/link-recovery (bench/native/link_recovery.cpp)
// for each mesh size and cut duration over `seeds` seeds (the longest cut
// outlasts the core's 8 reconnection attempts), and sums up its
// per-seed lines: medians and maxima, in simulated milliseconds.
//
//   node bench/link-recovery.mjs [seeds=20]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const program = fileURLToPath(new URL('../build/native/native-tests/link-recovery', import.meta.url));
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sum = (values) => values.reduce((a, b) => a + b, 0);

export async function runLinkRecoveryBenchmarks({ nodes = [3, 5], cutsMs = [1000, 5000, 20000, 60000, 600000], seeds = 20 } = {}) {
  const rows = [];
  for (const n of nodes) {
    for (const cutMs of cutsMs) {
      const { stdout } = await promisify(execFile)(program, ['--nodes', String(n), '--cut-ms', String(cutMs), '--seeds', `1-${seeds}`], { maxBuffer: 1 << 24 });
      const trials = stdout.trim().split('\n').map((line) => JSON.parse(line));
      const recovered = trials.filter((t) => t.link_open_ms >= 0 && t.direct_ms >= 0);
      const of = (key) => recovered.map((t) => t[key]);
      rows.push({
        nodes: n,
        cutMs,
        seeds: trials.length,
        notRecovered: trials.length - recovered.length,
        // Over the seeds that recovered within the program's bound (300 s); null when none did.
        linkOpen: recovered.length ? { median: median(of('link_open_ms')), max: Math.max(...of('link_open_ms')) } : null,
        direct: recovered.length ? { median: median(of('direct_ms')), max: Math.max(...of('direct_ms')) } : null,
        longestGap: { median: median(trials.map((t) => t.longest_gap_ms)), max: Math.max(...trials.map((t) => t.longest_gap_ms)) },
        stalled: trials.filter((t) => t.longest_gap_ms > 1000).length,
        sentInCut: sum(trials.map((t) => t.sent_in_cut)),
        arrivedInCut: sum(trials.map((t) => t.arrived_in_cut)),
        lost: sum(trials.map((t) => t.lost)),
        duplicated: sum(trials.map((t) => t.duplicated)),
        sentTotal: sum(trials.map((t) => t.sent_total)),
        iceRestarts: median(trials.map((t) => t.ice_restarts)),
        failed: median(trials.map((t) => t.failed)),
        gaveUp: sum(trials.map((t) => t.gave_up)),
      });
    }
  }
  return { seeds, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runLinkRecoveryBenchmarks({ seeds: Number(process.argv[2] ?? 20) }), null, 2));
}

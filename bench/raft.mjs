// Raft throughput: the native core (build/native/raft-bench) and the same
// cluster in wasm under Node through the public Raft class, 100-byte entries,
// proposals in batches of 1000, on a perfect in-process network.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Raft } from 'rtcmesh';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export async function nativeRaftThroughput(nodes, entries = 2000000) {
  const { stdout } = await promisify(execFile)(`${repoRoot}build/native/raft-bench`, [String(nodes), String(entries), '1000']);
  return JSON.parse(stdout);
}

/**
 * The Raft paper's Figure 16, from the fault simulator: as the paper ran it
 * (no PreVote) and as rtcmesh runs (PreVote on).
 */
export async function electionTimes(trials = 1000) {
  const rows = [];
  for (const preVote of [false, true]) {
    const args = ['--figure16', '--trials', String(trials), ...(preVote ? [] : ['--no-prevote'])];
    const { stdout } = await promisify(execFile)(`${repoRoot}build/native/native-tests/raft-sim`, args);
    const times = stdout.match(/median (\d+) ms, p99 (\d+) ms, max (\d+) ms/);
    const tail = stdout.match(/split votes in (\d+) trials; (\d+) trials over 513 ms, (\d+) of them/);
    rows.push({
      preVote, median: Number(times[1]), p99: Number(times[2]), max: Number(times[3]),
      splitVotes: Number(tail[1]), overPaperWorst: Number(tail[2]), overAfterSplit: Number(tail[3]), line: stdout.trim(),
    });
  }
  return { trials, rows };
}

/**
 * The fault simulator's sweeps (as in CI) and its hunts for the two test-only
 * core faults: seeds/s and what the sweeps exercised.
 */
export async function simulatorSweeps() {
  const raftSim = `${repoRoot}build/native/native-tests/raft-sim`;
  const sweeps = [];
  for (const [nodes, seeds] of [[2, 2000], [3, 2000], [4, 2000], [5, 10000], [7, 2000]]) {
    const { stdout } = await promisify(execFile)(raftSim, ['--seeds', `1-${seeds}`, '--nodes', String(nodes)], { maxBuffer: 1 << 24 });
    const run = stdout.match(/(\d+) operations \((\d+) answered\), (\d+) failed; ([\d.]+) s, ([\d.]+) seeds\/s/);
    const seen = stdout.match(/exercised (\d+) hostile messages refused, (\d+) snapshots installed, (\d+) ReadIndex reads, (\d+) removals learned; (\d+) histories undecided/);
    sweeps.push({ nodes, seeds, operations: Number(run[1]), failed: Number(run[3]), seconds: Number(run[4]), perSecond: Number(run[5]),
      hostile: Number(seen[1]), snapshots: Number(seen[2]), reads: Number(seen[3]), removals: Number(seen[4]), undecided: Number(seen[5]) });
  }
  const hunts = [];
  for (const nodes of [3, 5]) {
    for (const fault of ['two-votes', 'old-term']) {
      const { stdout } = await promisify(execFile)(raftSim, ['--seeds', '1-10000', '--nodes', String(nodes), '--fault', fault, '--expect-failure', '--no-shrink'], { maxBuffer: 1 << 24 });
      const caught = stdout.match(/caught the fault at seed (\d+)/);
      hunts.push({ nodes, fault, seed: caught ? Number(caught[1]) : null });
    }
  }
  return { sweeps, hunts };
}

export async function wasmRaftThroughput(nodes, entries = 200000) {
  const addresses = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const queue = [];
  const members = new Map();
  let now = 0;
  for (const address of addresses) {
    const raft = new Raft({ address, members: addresses, autoUpdate: false, electionMinTimeout: 150, electionMaxTimeout: 300, heartbeatInterval: 50, seed: members.size + 1 });
    members.set(address, raft);
  }
  for (const [address, raft] of members) {
    for (const other of addresses) if (other !== address) raft.join(other, (bytes) => queue.push([other, bytes]));
  }
  // Delivers until the network is quiet; awaits between rounds so each
  // node's batched Ready (a microtask) runs.
  const drain = async () => {
    for (let round = 0; round < 1e6; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (queue.length === 0) return;
      for (const [to, bytes] of queue.splice(0)) if (!members.get(to).closed) members.get(to).onRaftMessage(bytes);
    }
  };
  let leader = null;
  for (let step = 0; step < 1000 && !leader; step++) {
    now += 10;
    for (const raft of members.values()) raft.update(now);
    await drain();
    leader = [...members.values()].find((raft) => raft.role === 'leader');
  }
  if (!leader) throw new Error('no leader');
  const applied = new Map(addresses.map((address) => [address, 0]));
  for (const [address, raft] of members) raft.addEventListener('apply', () => applied.set(address, applied.get(address) + 1));
  const payload = new Uint8Array(100).fill(0x5a);
  const start = performance.now();
  for (let proposed = 0; proposed < entries;) {
    const batch = [];
    for (let i = 0; i < 1000 && proposed < entries; i++, proposed++) batch.push(leader.propose(payload));
    await drain();
  }
  await drain();
  const seconds = (performance.now() - start) / 1000;
  const committed = Math.min(...applied.values());
  // Closing takes messages (a leader hands over first) and time.
  const closed = Promise.all([...members.values()].map((raft) => raft.close()));
  for (let step = 0; step < 1000 && [...members.values()].some((raft) => !raft.closed); step++) {
    now += 10;
    for (const raft of members.values()) raft.update(now);
    await drain();
  }
  await closed;
  return { nodes, entries: committed, seconds, entries_per_second: committed / seconds };
}

/**
 * Raft in wasm, warm, in a Node process of its own: the benchmarks before it
 * in one process (wrtc's threads, the JIT's feedback from other code) made
 * its runs up to a third slower. There, `warmups` unmeasured runs first
 * (V8 compiles the hot paths and tiers the wasm up: after a single short
 * one, the next two runs were still the slowest), then `runs` runs of
 * `entries`. Resolves to the median run, with every run's entries/s in `runs`.
 */
export async function wasmRaftThroughputMedian(nodes, options = {}) {
  const script = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, [script, 'wasm-median', String(nodes), JSON.stringify(options)]);
  return JSON.parse(stdout);
}

async function wasmRaftThroughputMedianHere(nodes, { warmups = 3, runs = 5, entries = 50000 } = {}) {
  for (let i = 0; i < warmups; i++) await wasmRaftThroughput(nodes, entries);
  const all = [];
  for (let i = 0; i < runs; i++) all.push(await wasmRaftThroughput(nodes, entries));
  const sorted = [...all].sort((a, b) => a.entries_per_second - b.entries_per_second);
  return { ...sorted[Math.floor(runs / 2)], runs: all.map((run) => Math.round(run.entries_per_second)) };
}

// `node bench/raft.mjs wasm-median <nodes> [options as JSON]`: the child
// process of wasmRaftThroughputMedian; prints its result as JSON.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'wasm-median') {
  const result = await wasmRaftThroughputMedianHere(Number(process.argv[3]), JSON.parse(process.argv[4] ?? '{}'));
  process.stdout.write(JSON.stringify(result));
}

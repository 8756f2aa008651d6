// Fuzzing totals for BENCHMARKS.md: each libFuzzer target in build/fuzz runs
// for a fixed time from its seed corpus alone (a fresh work corpus, so runs
// compare); executions, coverage and crashes come from libFuzzer's final
// statistics.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFuzzTargets } from '../tools/fuzzing.mjs';

export async function runFuzzTotals(seconds = 15) {
  const scratch = await mkdtemp(join(tmpdir(), 'rtcmesh-fuzz-'));
  try {
    const results = [];
    const runs = runFuzzTargets(seconds, { workCorpus: (name) => join(scratch, name), prepare: (name) => mkdir(join(scratch, name)) });
    for await (const { target, executions, coverage, crashed } of runs) results.push({ target, seconds, executions, coverage: coverage[0] ?? 0, crashed });
    return results;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

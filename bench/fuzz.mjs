// Fuzzing totals for BENCHMARKS.md: each libFuzzer target in build/fuzz runs
// for a fixed time from its seed corpus alone (a fresh work corpus, so runs
// compare); executions, coverage and crashes come from libFuzzer's final
// statistics.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzCommands, fuzzTotals } from '../tools/fuzzing.mjs';
import { run } from '../tools/process.mjs';

export async function runFuzzTotals(seconds = 15) {
  const scratch = await mkdtemp(join(tmpdir(), 'rtcmesh-fuzz-'));
  try {
    const results = [];
    for (const { target, binary, args } of await fuzzCommands(seconds, (name) => join(scratch, name))) {
      await mkdir(join(scratch, target));
      const { code, output } = await run(binary, args, { capture: true, echo: false });
      const { executions, coverage, crashes } = fuzzTotals(output);
      results.push({ target, seconds, executions, coverage: coverage[0] ?? 0, crashed: code !== 0 || crashes > 0 });
    }
    return results;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// Fuzzing totals for BENCHMARKS.md: each libFuzzer target in build/fuzz runs
// for a fixed time from its seed corpus; executions, coverage and crashes
// are read from libFuzzer's final statistics.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function runTarget(binary, corpus, seconds) {
  return new Promise((resolve) => {
    execFile(binary, [`-max_total_time=${seconds}`, '-print_final_stats=1', '-timeout=20', ...corpus], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const number = (pattern) => Number(output.match(pattern)?.[1] ?? 0);
      resolve({
        executions: number(/stat::number_of_executed_units: (\d+)/),
        coverage: number(/DONE\s+cov: (\d+)/),
        crashed: Boolean(error) || /==\d+==ERROR|deadly signal/.test(output),
      });
    });
  });
}

export async function runFuzzTotals(seconds = 15) {
  const folder = join(repoRoot, 'build/fuzz/fuzz');
  const targets = (await readdir(folder)).filter((name) => name.endsWith('_fuzzer')).sort();
  const results = [];
  for (const target of targets) {
    const scratch = await mkdtemp(join(tmpdir(), 'rtcmesh-fuzz-'));
    const seeds = join(repoRoot, 'fuzz/corpus', target.replace(/_fuzzer$/, ''));
    results.push({ target, seconds, ...(await runTarget(join(folder, target), [scratch, seeds], seconds)) });
    await rm(scratch, { recursive: true, force: true });
  }
  return results;
}

// The libFuzzer targets as CTest runs them, and the totals libFuzzer prints.
// fuzz/CMakeLists.txt is the one place that holds the targets' flags and
// corpora: `npm test` runs them through CTest, `npm run soak` and the bench
// run the same commands for another length of time.
import { basename } from 'node:path';
import { run } from './process.mjs';

/**
 * The fuzz preset's commands: [{ target, binary, args }], each running for
 * `seconds`. `workCorpus`, when given, is (target) => the folder where
 * libFuzzer writes new inputs (its first corpus argument) in place of the
 * build's; the seeds stay.
 */
async function fuzzCommands(seconds, workCorpus) {
  const { code, output } = await run('ctest', ['--preset', 'fuzz', '--show-only=json-v1'], { capture: true, echo: false });
  if (code !== 0) throw new Error(`ctest --preset fuzz --show-only failed (exit ${code}): build the fuzz preset first`);
  return JSON.parse(output).tests.map(({ command: [binary, ...args] }) => {
    const firstCorpus = args.findIndex((arg) => !arg.startsWith('-'));
    const target = basename(binary);
    return {
      target,
      binary,
      args: args.map((arg, i) => {
        if (arg.startsWith('-max_total_time=')) return `-max_total_time=${seconds}`;
        return i === firstCorpus && workCorpus ? workCorpus(target) : arg;
      }),
    };
  });
}

/**
 * Runs each target as fuzzCommands() says, one after another; yields
 * { target, code, output, executions, coverage, crashes, crashed } for each.
 * `prepare(target)`, when given, is awaited before its run.
 */
export async function* runFuzzTargets(seconds, { workCorpus, prepare } = {}) {
  for (const { target, binary, args } of await fuzzCommands(seconds, workCorpus)) {
    await prepare?.(target);
    const { code, output } = await run(binary, args, { capture: true, echo: false });
    const { executions, coverage, crashes } = fuzzTotals(output);
    yield { target, code, output, executions, coverage, crashes, crashed: code !== 0 || crashes > 0 };
  }
}

/** Targets, executions, final coverage per target, and crash reports in libFuzzer's output. */
export function fuzzTotals(output) {
  const runs = [...output.matchAll(/stat::number_of_executed_units: (\d+)/g)].map((m) => Number(m[1]));
  const coverage = [...output.matchAll(/DONE\s+cov: (\d+)/g)].map((m) => Number(m[1]));
  const crashes = (output.match(/==\d+==ERROR|deadly signal|SUMMARY: \w+Sanitizer/g) ?? []).length;
  return { targets: runs.length, executions: runs.reduce((a, b) => a + b, 0), coverage, crashes };
}

export function reportFuzzTotals(output) {
  const { targets, executions, coverage, crashes } = fuzzTotals(output);
  console.log(`fuzz: ${targets} targets, ${executions} executions, coverage ${coverage.join('/')}, crashes ${crashes}`);
}

// `npm run soak`: the long runs CI has no time for. It sweeps the two
// simulators over seeds past the ones `npm test` runs (raft-sim and
// session-sim sweep 1-2000 there, raft-sim 1-10000 at 5 nodes), in every
// shape, including the ones CI leaves out (session-sim at 7 members), and
// can fuzz each libFuzzer target for longer than CI's 30 s.
//
//   npm run soak                          # 30 minutes of sweeps from seed 20001
//   npm run soak -- --minutes 120 --from 50001 --chunk 2000
//   npm run soak -- --minutes 0 --fuzz-seconds 600   # only fuzzing, 10 min a target
//
// Seeds go in chunks: every shape runs seeds [from, from + chunk), then the
// next chunk, until the time is up (a chunk that started finishes). A failing
// seed prints its replay command; full output is kept in build/soak/. Exits
// non-zero if anything failed. Runs as many sweeps at once as the machine
// has cores: run it on a quiet machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from './build.mjs';
import { runFuzzTargets } from './fuzzing.mjs';
import { repoRoot, run } from './process.mjs';

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    from: { type: 'string', default: '20001' },
    chunk: { type: 'string', default: '1000' },
    'fuzz-seconds': { type: 'string', default: '0' },
  },
});
const minutes = Number(options.minutes);
const from = Number(options.from);
const chunk = Number(options.chunk);
const fuzzSeconds = Number(options['fuzz-seconds']);
for (const [name, value] of [['minutes', minutes], ['from', from], ['chunk', chunk], ['fuzz-seconds', fuzzSeconds]]) {
  if (!Number.isSafeInteger(value) || value < 0 || ((name === 'from' || name === 'chunk') && value < 1)) {
    throw new Error(`--${name} takes a whole number${name === 'from' || name === 'chunk' ? ' from 1' : ''}, not ${options[name]}`);
  }
}

const sims = join(repoRoot, 'build/native/native-tests');
const shapes = [
  ...[2, 3, 4, 5, 7].map((nodes) => ['raft-sim', '--nodes', String(nodes)]),
  ...[3, 5].map((nodes) => ['raft-sim', '--nodes', String(nodes), '--keeper']),
  ...[3, 5, 7].flatMap((members) =>
    [[], ['--keeper'], ['--simultaneous'], ['--sealed']].map((extra) => ['session-sim', '--members', String(members), ...extra]),
  ),
];

const logs = join(repoRoot, 'build/soak');
mkdirSync(logs, { recursive: true });
const failures = [];
let seedsRun = 0;

// One shape over one chunk of seeds; its FAIL and replay lines are the news.
async function sweep([sim, ...args], first) {
  const seeds = `${first}-${first + chunk - 1}`;
  const { code, output } = await run(join(sims, sim), ['--seeds', seeds, ...args], { capture: true, echo: false });
  const name = `${sim}${args.join('')}-${seeds}`.replace(/--/g, '_');
  writeFileSync(join(logs, `${name}.log`), output);
  const summary = output.split('\n').find((line) => line.startsWith(`${sim}: `) && / failed;/.test(line));
  console.log(`${sim} ${args.join(' ')} --seeds ${seeds}: ${summary ? summary.replace(/^[^:]+: /, '') : `exit ${code}, no summary`}`);
  seedsRun += chunk;
  const failed = output.split('\n').filter((line) => line.startsWith('FAIL seed') || line.trim().startsWith('replay:'));
  if (code !== 0 || !summary || / [1-9]\d* failed;/.test(summary)) failures.push({ sweep: `${sim} --seeds ${seeds} ${args.join(' ')}`, failed, log: join(logs, `${name}.log`) });
}

async function soakSimulators() {
  const deadline = Date.now() + minutes * 60_000;
  let next = 0; // every shape over one chunk, then every shape over the next
  const worker = async () => {
    while (Date.now() < deadline) {
      const job = next++;
      await sweep(shapes[job % shapes.length], from + Math.floor(job / shapes.length) * chunk);
    }
  };
  await Promise.all(Array.from({ length: availableParallelism() }, worker));
}

async function soakFuzzers() {
  for await (const { target, code, output, executions, crashes, crashed } of runFuzzTargets(fuzzSeconds)) {
    writeFileSync(join(logs, `${target}.log`), output);
    console.log(`${target}: ${fuzzSeconds} s, ${executions} executions, ${crashes} crashes, exit ${code}`);
    if (crashed) failures.push({ sweep: target, failed: output.split('\n').filter((l) => /ERROR|SUMMARY|artifact/.test(l)), log: join(logs, `${target}.log`) });
  }
}

await build(fuzzSeconds > 0 ? ['native', 'fuzz'] : ['native']);
const started = Date.now();
if (minutes > 0) await soakSimulators();
if (fuzzSeconds > 0) await soakFuzzers();
console.log(`soak: ${seedsRun} seeds in ${shapes.length} shapes, ${Math.round((Date.now() - started) / 1000)} s, ${failures.length} failed`);
for (const { sweep: what, failed, log } of failures) {
  console.log(`FAILED ${what} (full output: ${log})`);
  for (const line of failed.slice(0, 10)) console.log(`  ${line.trim()}`);
  if (failed.length > 10) console.log(`  ... and ${failed.length - 10} lines more in the log`);
}
process.exit(failures.length > 0 ? 1 : 0);

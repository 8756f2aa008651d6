// `npm test`: sets up what is missing, builds once, then runs every level.
//   1. native : Catch2 tests of the C++ core, through CTest
//   2. sanitize: the same Catch2 tests built with ASan + UBSan (they read
//              bytes from other people's browsers, so memory errors matter)
//   3. fuzz   : each libFuzzer target for 30 s (cmake -DRTCMESH_FUZZ_SECONDS=...)
//   4. node   : node --test on the wasm module, real WebRTC via @roamhq/wrtc
//   5. browser: node --test driving Debian's Chromium with playwright-core
// `npm test -- native node` runs only the named levels.
// Ends with one line "total: N passed, N failed"; exits non-zero on any failure.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, ensureNodeModules } from './build.mjs';
import { reportFuzzTotals } from './fuzzing.mjs';
import { mustRun, repoRoot, run } from './process.mjs';

async function ensureTestDependencies() {
  await mustRun('bash', [join(repoRoot, 'tools/ensure-test-deps.sh')]);
  await ensureNodeModules();
}

function testFiles(folder) {
  const dir = join(repoRoot, folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.mjs'))
    .sort()
    .map((name) => join(folder, name));
}

function countsFromCtest(output) {
  const match = output.match(/(\d+)% tests passed, (\d+) tests? failed out of (\d+)/);
  if (!match) return null;
  const failed = Number(match[2]);
  return { passed: Number(match[3]) - failed, failed };
}

function countsFromNodeTest(output) {
  const passed = output.match(/^\S* ?pass (\d+)$/m);
  const failed = output.match(/^\S* ?fail (\d+)$/m);
  if (!passed || !failed) return null;
  return { passed: Number(passed[1]), failed: Number(failed[1]) };
}

const levels = {
  native: async () => {
    const unit = countsFromCtest((await run('ctest', ['--preset', 'native', '-E', '^(raft|session)-sim'], { capture: true })).output);
    // The simulators' sweeps run verbosely: they print seeds, operations and seeds/s.
    const { output } = await run('ctest', ['--preset', 'native', '-R', '^(raft|session)-sim', '-V'], { capture: true });
    for (const line of output.split('\n').filter((l) => / (raft|session)-sim: |figure16/.test(l))) console.log(line.replace(/^\d+: /, ''));
    const sim = countsFromCtest(output);
    return unit && sim ? { passed: unit.passed + sim.passed, failed: unit.failed + sim.failed } : null;
  },
  sanitize: async () =>
    countsFromCtest((await run('ctest', ['--preset', 'native-sanitize'], { capture: true })).output),
  fuzz: async () => {
    const { output } = await run('ctest', ['--preset', 'fuzz'], { capture: true });
    reportFuzzTotals(output);
    return countsFromCtest(output);
  },
  node: async () => {
    const files = testFiles('tests/node');
    return countsFromNodeTest((await run('node', ['--test', ...files], { capture: true })).output);
  },
  browser: async () => {
    const files = testFiles('tests/browser');
    // One file at a time: each starts its own Chromium with several tabs, and
    // on two cores running them together starves Raft's timers.
    return countsFromNodeTest((await run('node', ['--test', '--test-concurrency=1', ...files], { capture: true })).output);
  },
};

async function main() {
  const requested = process.argv.slice(2);
  const chosen = requested.length ? requested : Object.keys(levels);
  for (const name of chosen) {
    if (!levels[name]) throw new Error(`unknown test level "${name}" (known: ${Object.keys(levels).join(', ')})`);
  }
  await ensureTestDependencies();
  const presets = { native: 'native', sanitize: 'native-sanitize', fuzz: 'fuzz' };
  await build([...chosen.filter((name) => presets[name]).map((name) => presets[name]), 'wasm']);

  const totals = { passed: 0, failed: 0 };
  const summary = [];
  for (const name of chosen) {
    console.log(`\n=== ${name} tests ===`);
    // A level whose runner printed no counts (crashed, or found no tests) fails.
    const counts = (await levels[name]()) ?? { passed: 0, failed: 1 };
    totals.passed += counts.passed;
    totals.failed += counts.failed;
    summary.push(`${name}: ${counts.passed} passed, ${counts.failed} failed`);
  }
  console.log(`\n${summary.join('\n')}`);
  console.log(`total: ${totals.passed} passed, ${totals.failed} failed`);
  process.exitCode = totals.failed === 0 && totals.passed > 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(`npm test: ${error.message}`);
  process.exitCode = 1;
});

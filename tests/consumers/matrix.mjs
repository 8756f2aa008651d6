// The bundler matrix, run by hand (CI runs only the latest Vite, webpack and
// esbuild, in tests/browser/consumers.test.mjs, for time):
//   node tests/consumers/matrix.mjs [--only vite5,rollup4]
// Installs Vite 5, 6 and 7 and Rollup 4 into test-artifacts/matrix/<name>/
// (once; the latest Vite, webpack and esbuild come from tests/consumers), and
// builds the app from the packed tarball with each: through "rtcmesh" and
// "rtcmesh/async", without configuration and with the README's vite.config.js.
// Vites also serve it from their dev server. Every result is loaded in
// Chromium. Prints a Markdown table and writes it to tests/consumers/MATRIX.md
// (with --only, to test-artifacts/consumers-matrix.md); exits 1 if a way the
// README documents as working failed (`mustWork` below).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../browser/chromium.mjs';
import { assertAppRuns, buildApp, consumers, makeApp, mustRun, packPackage, repoRoot, serveBuilt, startDevServer } from './harness.mjs';

const work = join(repoRoot, 'test-artifacts/matrix');
const toolsets = [
  { name: 'vite5', bundler: 'vite', packages: ['vite@5'] },
  { name: 'vite6', bundler: 'vite', packages: ['vite@6'] },
  { name: 'vite7', bundler: 'vite', packages: ['vite@7'] },
  { name: 'vite8', bundler: 'vite', dir: consumers },
  { name: 'webpack5', bundler: 'webpack', dir: consumers },
  { name: 'esbuild', bundler: 'esbuild', dir: consumers },
  { name: 'rollup4', bundler: 'rollup', packages: ['rollup@4', '@rollup/plugin-node-resolve@16'] },
];
// The app's variants: which entry, and whether it has the README's vite.config.js.
const variants = [
  { key: 'default', entry: 'default', config: false },
  { key: 'async', entry: 'async', config: false },
  { key: 'default+config', entry: 'default', config: true, viteOnly: true },
  { key: 'async+config', entry: 'async', config: true, viteOnly: true },
];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only ? new Set(values.only.split(',')) : null;

/** A toolset's folder: its bundlers plus copies of build.mjs and dev.mjs, which import them from there. */
async function prepare(toolset) {
  if (toolset.dir) return toolset.dir;
  const dir = join(work, toolset.name);
  if (!existsSync(join(dir, 'node_modules/.package-lock.json'))) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`);
    mustRun('npm', ['install', '--no-audit', '--no-fund', ...toolset.packages], dir, 600000);
  }
  for (const name of ['build.mjs', 'dev.mjs']) await copyFile(join(consumers, name), join(dir, name));
  return dir;
}

/** "vite 5.4.21": the bundler's version as installed in `dir`. */
function bundlerVersion(dir, bundler) {
  const { version } = JSON.parse(readFileSync(join(dir, 'node_modules', bundler, 'package.json'), 'utf8'));
  return `${bundler} ${version}`;
}

/** The line of an error that says what went wrong, for the table. */
function reason(error) {
  const lines = String(error?.message ?? error).split('\n').map((line) => line.trim()).filter(Boolean);
  const specific = lines.find((line) => /Top-level await|magic word|not_ready|could not be loaded|Could not resolve|not exported/i.test(line));
  const generic = lines.find((line) => /error|failed/i.test(line) && !/build\.mjs/.test(line));
  return (specific ?? generic ?? lines[0]).replace(/\|/g, '/').slice(0, 300);
}

async function attempt(run) {
  try {
    return { ok: true, detail: await run() };
  } catch (error) {
    return { ok: false, detail: reason(error) };
  }
}

const tarball = await packPackage(work);
const browser = await launchChromium();
const results = [];
try {
  for (const toolset of toolsets.filter((t) => !only || only.has(t.name))) {
    const dir = await prepare(toolset);
    for (const variant of variants.filter((v) => toolset.bundler === 'vite' || !v.viteOnly)) {
      const appDir = await makeApp(tarball, join(work, 'apps', toolset.name, variant.key), variant);
      const row = { toolset: toolset.name, variant: variant.key, version: bundlerVersion(dir, toolset.bundler) };
      row.build = await attempt(async () => {
        const outDir = join(work, 'dist', toolset.name, variant.key);
        const built = buildApp(dir, toolset.bundler, appDir, outDir);
        const server = await serveBuilt(outDir);
        try {
          await assertAppRuns(browser, server.url, variant);
        } finally {
          await server.close();
        }
        return built;
      });
      if (toolset.bundler === 'vite') {
        row.dev = await attempt(async () => {
          const server = await startDevServer(dir, appDir);
          try {
            await assertAppRuns(browser, server.url, variant).catch((error) => {
              throw new Error(`${error.message}\n${server.output()}`); // a crash says why only there
            });
          } finally {
            await server.close();
          }
          return server.version;
        });
      }
      const cell = (r) => (r ? (r.ok ? `ok (${r.detail})` : `FAIL: ${r.detail}`) : '-');
      console.log(`${row.toolset} ${row.variant}: build ${cell(row.build)}; dev ${cell(row.dev)}`);
      results.push(row);
    }
  }
} finally {
  await browser.close();
}

// What the README documents as working; anything else is reported, not required.
const all = variants.map((v) => v.key);
const mustWork = {
  vite5: { build: ['async', 'default+config', 'async+config'], dev: ['default+config', 'async+config'] },
  vite6: { build: ['async', 'default+config', 'async+config'], dev: ['default+config', 'async+config'] },
  vite7: { build: all, dev: ['default+config', 'async+config'] },
  vite8: { build: all, dev: all },
};
const expected = (r, mode) => (mustWork[r.toolset] ?? { build: all })[mode]?.includes(r.variant) ?? false;
const mark = (r, mode) => {
  const result = r[mode];
  if (!result) return 'n/a';
  if (result.ok) return 'yes';
  return `${expected(r, mode) ? '**no (documented to work)**' : 'no'}: ${result.detail}`;
};
const table = [
  '| bundler | app | built, loaded in Chromium | dev server, loaded in Chromium |',
  '|---|---|---|---|',
  ...results.map((r) => `| ${r.version} | ${r.variant} | ${mark(r, 'build')} | ${mark(r, 'dev')} |`),
].join('\n');
const chromium = mustRun(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], repoRoot).trim();
const record = [
  '# The bundler matrix',
  '',
  `Written by \`node tests/consumers/matrix.mjs\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${chromium}.`,
  'Each app is built (or served) from the `npm pack` tarball and loaded in Chromium, where two meshes exchange',
  'a message; through `rtcmesh/async`, a constructor called before `ready()` must also throw `not_ready`.',
  'Apps: `default` imports `rtcmesh`, `async` imports `rtcmesh/async`; `+config` adds the README\'s `vite.config.js`',
  '(tests/consumers/vite.config.js). "documented to work" marks a failure of what the README promises.',
  '',
  table,
  '',
].join('\n');
// The whole matrix is the record the README points to; a partial run (--only) is not.
await writeFile(only ? join(repoRoot, 'test-artifacts/consumers-matrix.md') : join(consumers, 'MATRIX.md'), record);
console.log(`\n${table}`);
const broken = results.filter((r) => ['build', 'dev'].some((mode) => r[mode] && !r[mode].ok && expected(r, mode)));
process.exitCode = broken.length > 0 ? 1 : 0;
